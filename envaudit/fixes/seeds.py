"""`envaudit fix seeds`: a seed_everything() helper and a call to it in each entry point
that DET001/DET002 flagged; the DataLoader pattern where DET005/DET006 fired.

The helper (`seeding.py` beside the entry point; inside a package it is
`<package>/seeding.py`, imported absolutely) seeds exactly the libraries the
project draws from (Python's `random` always: augmentation libraries use it),
and with `--strict` switches on PyTorch's and TensorFlow's deterministic modes
and CUBLAS_WORKSPACE_CONFIG. The call goes after the module docstring,
`__future__` imports and the leading imports; in a notebook it is a new code
cell before the first one. Shows diffs; writes atomically with `--write`.
"""

from __future__ import annotations

import ast
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from envaudit.engine import CheckResult
    from envaudit.inventory import Inventory
    from envaudit.scanners.source import Entry, SourceFacts

MARKER = "Written by `envaudit fix seeds"
SEEDABLE = ("random", "numpy", "torch", "tensorflow", "jax")


@dataclass
class Change:
    rel: str
    old: str
    new: str


def entry_libraries(entries: list[Entry], strict: bool) -> list[str]:
    """The libraries these entry points draw from (with --strict, also those they import,
    so the deterministic switches get written); Python's `random` always."""
    from envaudit.scanners.source import IMPORT, RANDOM

    used = {lib for en in entries for e in en.events if e.kind == RANDOM for lib in e.libs}
    if strict:
        used |= {lib for en in entries for e in en.events if e.kind == IMPORT for lib in e.libs}
    used.add("random")
    return [lib for lib in SEEDABLE if lib in used]


def render_helper(libs: list[str], *, strict: bool, seed: int, apis: dict[str, str] | None = None) -> str:
    from envaudit.templating import render_template

    return render_template(
        "seed_everything.py.j2", libs=libs, strict=strict, seed=seed, apis={**DEFAULT_APIS, **(apis or {})}
    )


# what the helper writes when no framework version can be read: the current APIs
DEFAULT_APIS = {
    "tf_seed": "tf.random.set_seed",
    "torch_det": "torch.use_deterministic_algorithms",
    "cublas": "yes",
    "tf_det": "enable_op_determinism",
    "loader_generator": "yes",
}


def framework_apis(inv: Inventory) -> dict[str, str]:
    """The seeding and determinism calls that exist in the framework versions the project
    pins (else has installed): the same facts the DET rules decide with."""
    from envaudit.rules._frameworks import (
        CUBLAS_CUDA,
        TF_DETERMINISTIC_OPS,
        TF_OP_DETERMINISM,
        TF_RANDOM_SET_SEED,
        TORCH_LOADER_GENERATOR,
        TORCH_SET_DETERMINISTIC,
        TORCH_USE_DETERMINISTIC,
        cuda_build,
        framework,
    )

    torch, tf = framework(inv, "torch"), framework(inv, "tensorflow")
    apis = dict(DEFAULT_APIS)
    if tf.before(TF_RANDOM_SET_SEED):
        apis["tf_seed"] = "tf.set_random_seed"
    if tf.before(TF_DETERMINISTIC_OPS):
        apis["tf_det"] = "TF_CUDNN_DETERMINISTIC"
    elif tf.before(TF_OP_DETERMINISM):
        apis["tf_det"] = "TF_DETERMINISTIC_OPS"
    if torch.before(TORCH_SET_DETERMINISTIC):
        apis["torch_det"] = ""
    elif torch.before(TORCH_USE_DETERMINISTIC):
        apis["torch_det"] = "torch.set_deterministic"
    cuda = cuda_build(torch.version)
    if cuda is not None and cuda < CUBLAS_CUDA:
        apis["cublas"] = ""
    if torch.before(TORCH_LOADER_GENERATOR):
        apis["loader_generator"] = ""
    return apis


def _helper_for(entry: Entry, facts: SourceFacts) -> tuple[str, str]:
    """(helper path, module to import it from) beside the entry point."""
    return _helper_beside(entry.path, facts)


def _helper_beside(path: str, facts: SourceFacts) -> tuple[str, str]:
    mod = facts.module(path)
    folder = path.rsplit("/", 1)[0] + "/" if "/" in path else ""
    package = ""
    if mod is not None and not mod.notebook and "." in mod.name:
        package = mod.name.rsplit(".", 1)[0]
    return f"{folder}seeding.py", (f"{package}.seeding" if package else "seeding")


def _in_package(path: str, facts: SourceFacts) -> bool:
    mod = facts.module(path)
    return mod is not None and not mod.notebook and "." in mod.name and not path.endswith("__main__.py")


def plan(result: CheckResult, *, strict: bool, seed: int) -> tuple[list[Change], list[str]]:
    """The file changes and the notes (jax, calls it could not edit) for a check result."""
    from envaudit.scanners.source import Entry

    inv = result.inventory
    facts: SourceFacts = inv.get("source")
    apis = framework_apis(inv)
    entries: dict[str, Entry] = {}
    for f in result.findings:
        if f.code in ("DET001", "DET002") and isinstance(f.fact, Entry):
            entries.setdefault(f.fact.path, f.fact)
    # DataLoader calls to complete: path -> [(line, column, keywords to add)]
    loaders: dict[str, list[tuple[int, int, dict[str, str]]]] = {}
    for f in result.findings:
        if f.code not in ("DET005", "DET006") or f.fact is None:
            continue
        ev = f.fact
        want = {"generator": "torch_generator()"}
        if f.code == "DET006":
            want = {"worker_init_fn": "seed_worker", **want}
        if ev.kw("generator") is not None or not apis["loader_generator"]:  # type: ignore[attr-defined]
            want.pop("generator")  # torch before 1.6 has no DataLoader(generator=)
        if not want:
            continue
        calls = loaders.setdefault(ev.path, [])  # type: ignore[attr-defined]
        same = next((c for c in calls if c[:2] == (ev.line, ev.column)), None)  # type: ignore[attr-defined]
        if same is not None:
            same[2].update(want)
        else:
            calls.append((ev.line, ev.column, want))  # type: ignore[attr-defined]
    changes: list[Change] = []
    notes: list[str] = []
    groups: dict[tuple[str, str], list[Entry]] = {}
    torch_helpers: set[tuple[str, str]] = set()

    def helper_key(rel: str, mod_name: str) -> tuple[str, str]:
        target = inv.root / rel
        if os.path.lexists(target) and MARKER not in _existing(inv.root, target):
            # someone's own seeding.py: leave it alone
            return rel[: -len(".py")] + "_envaudit.py", mod_name + "_envaudit"
        return rel, mod_name

    for _rel, entry in sorted(entries.items()):
        groups.setdefault(helper_key(*_helper_for(entry, facts)), []).append(entry)
    for path in loaders:
        key = helper_key(*_helper_beside(path, facts))
        groups.setdefault(key, [])
        torch_helpers.add(key)
    libs: set[str] = set()
    file_helper: dict[str, tuple[str, str]] = {}
    for (helper_rel, helper_mod), group in groups.items():
        helper_libs = entry_libraries(group, strict)
        if (helper_rel, helper_mod) in torch_helpers and "torch" not in helper_libs:
            helper_libs = [lib for lib in SEEDABLE if lib in {*helper_libs, "torch"}]
        libs.update(helper_libs)
        helper_text = render_helper(helper_libs, strict=strict, seed=seed, apis=apis)
        target = inv.root / helper_rel
        old = _existing(inv.root, target)
        if old != helper_text:
            changes.append(Change(helper_rel, old, helper_text))
        for entry in group:
            file_helper[entry.path] = (helper_rel, helper_mod)
    for path in loaders:
        file_helper.setdefault(path, helper_key(*_helper_beside(path, facts)))
    for path in sorted({*entries, *loaders}):
        src = inv.read(path)
        if src is None:
            continue
        helper_mod = file_helper[path][1]
        mod = facts.module(path)
        entry = entries.get(path)
        names: list[str] = []
        call = None
        if entry is not None:
            alias = "seed_everything"
            if mod is not None and "seed_everything" in mod.defs:
                alias = "envaudit_seed_everything"
            names.append("seed_everything" + (f" as {alias}" if alias != "seed_everything" else ""))
            call = f"{alias}({seed})"
        if path.endswith(".ipynb"):
            if entry is not None:
                new = _insert_notebook(src.text, f"from {helper_mod} import {', '.join(names)}", call or "")
            else:
                new = None
            for line, _col, want in loaders.get(path, []):
                kws = ", ".join(f"{k}={v}" for k, v in want.items())
                notes.append(f"{path}:{line}: DataLoader: pass {kws} (from the seeding helper)")
        else:
            text = src.text
            if entry is not None:
                text = _seed_generators(text, entry, seed, notes)
            text, added = _complete_loaders(text, path, loaders.get(path, []), notes)
            names += sorted(added)
            new = (
                _insert_py(
                    text,
                    f"from {helper_mod} import {', '.join(names)}",
                    call,
                    entry,
                    in_package=_in_package(path, facts),
                    notes=notes,
                )
                if names
                else text
            )
        if new is not None and new != src.text:
            changes.append(Change(path, src.text, new))
    if "jax" in libs:
        notes.append(
            "jax: JAX has no global seed; build every key from seeding.jax_key(seed) instead of a key "
            "made from the clock."
        )
    return changes, notes


def _complete_loaders(
    text: str, path: str, calls: list[tuple[int, int, dict[str, str]]], notes: list[str]
) -> tuple[str, set[str]]:
    """Add `generator=torch_generator()` / `worker_init_fn=seed_worker` to the DataLoader
    calls DET005/DET006 named; the helper names the file now needs."""
    if not calls:
        return text, set()
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return text, set()
    want = {(line, col): kws for line, col, kws in calls}
    lines = text.splitlines(keepends=True)
    edits: list[tuple[int, int, str]] = []  # end line, end byte column of the ')', insertion
    names: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or (node.lineno, node.col_offset + 1) not in want:
            continue
        kws = want.pop((node.lineno, node.col_offset + 1))
        have = {k.arg for k in node.keywords}
        kws = {k: v for k, v in kws.items() if k not in have}
        end, end_col = node.end_lineno, node.end_col_offset
        if not kws or end is None or end_col is None:
            continue
        raw = lines[end - 1].encode("utf-8")
        if raw[end_col - 1 : end_col] != b")" or any(isinstance(k.value, ast.Starred) for k in node.keywords):
            notes.append(
                f"{path}:{node.lineno}: DataLoader: pass {', '.join(f'{k}={v}' for k, v in kws.items())}"
            )
            continue
        before = _text_before(lines, end, end_col - 1).rstrip()
        own_line = not raw[: end_col - 1].strip()
        if own_line and before.endswith(","):
            # one argument a line, the `)` alone: the same layout for the new ones
            prev = before.splitlines()[-1]
            indent = prev[: len(prev) - len(prev.lstrip())]
            added = "".join(f"{indent}{k}={v},\n" for k, v in kws.items())
            edits.append((end, 0, added.removesuffix("\n") + "\n"))
        else:
            sep = "" if before.endswith("(") else (" " if before.endswith(",") else ", ")
            edits.append((end, end_col - 1, sep + ", ".join(f"{k}={v}" for k, v in kws.items())))
        names.update("torch_generator" if v == "torch_generator()" else v for v in kws.values())
    for line, col, ins in sorted(edits, reverse=True):
        raw = lines[line - 1].encode("utf-8")
        lines[line - 1] = (raw[:col] + ins.encode("utf-8") + raw[col:]).decode("utf-8")
    for (line, _col), kws in want.items():
        notes.append(f"{path}:{line}: DataLoader: pass {', '.join(f'{k}={v}' for k, v in kws.items())}")
    return "".join(lines), names


def _text_before(lines: list[str], line: int, byte_col: int) -> str:
    """The source up to (line, byte column), for looking at what precedes a `)`."""
    head = "".join(lines[: line - 1])
    return head + lines[line - 1].encode("utf-8")[:byte_col].decode("utf-8", errors="replace")


def _seed_generators(text: str, entry: Entry, seed: int, notes: list[str]) -> str:
    """Random sources a global seed never reaches, in the entry's own file: an unseeded
    `np.random.default_rng()` / `RandomState()` and a JAX key made from the clock get
    the seed as their argument."""
    from envaudit.scanners.source import RANDOM

    targets = {
        (ev.line, ev.column): ev
        for ev in entry.events
        if ev.kind == RANDOM
        and ev.path == entry.path
        and ("numpy.Generator" in ev.libs or ev.name.endswith("(<clock/entropy>)"))
    }
    if not targets:
        return text
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return text
    lines = text.splitlines(keepends=True)
    edits: list[tuple[int, int, int, str]] = []  # line, start col, end col, replacement
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or (node.lineno, node.col_offset + 1) not in targets:
            continue
        ev = targets.pop((node.lineno, node.col_offset + 1))
        args = [*node.args, *(k.value for k in node.keywords)]
        end = node.end_lineno
        if not args and end == node.lineno and node.end_col_offset is not None:
            edits.append((node.lineno, node.end_col_offset - 2, node.end_col_offset, f"({seed})"))
        elif len(args) == 1 and not node.keywords and args[0].lineno == args[0].end_lineno == node.lineno:
            a = args[0]
            edits.append((a.lineno, a.col_offset, a.end_col_offset or a.col_offset, str(seed)))
        else:
            notes.append(f"{ev.where}: {ev.name}: pass a fixed seed to it")
    for line, start, stop, repl in sorted(edits, reverse=True):
        # ast columns are UTF-8 byte offsets
        raw = lines[line - 1].encode("utf-8")
        lines[line - 1] = (raw[:start] + repl.encode("utf-8") + raw[stop:]).decode("utf-8")
    for ev in targets.values():
        notes.append(f"{ev.where}: {ev.name}: pass a fixed seed to it")
    return "".join(lines)


def _is_main_block(s: ast.stmt) -> bool:
    t = s.test if isinstance(s, ast.If) else None
    return (
        isinstance(t, ast.Compare)
        and isinstance(t.left, ast.Name)
        and t.left.id == "__name__"
        and len(t.comparators) == 1
        and isinstance(t.comparators[0], ast.Constant)
        and t.comparators[0].value == "__main__"
    )


def _called_names(body: list[ast.stmt]) -> list[str]:
    """Functions the `__main__` block calls directly: `main()`, `sys.exit(main())`,
    `raise SystemExit(main())`, `app = main()`."""
    out: list[str] = []
    for s in body:
        for node in ast.walk(s):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                out.append(node.func.id)
    return out


def _entry_body(tree: ast.Module, entry: Entry | None, module_draws: bool) -> list[ast.stmt] | None:
    """Where the entry point starts running: the console script's function, the function
    the `__main__` block calls (main()), or the block itself. None: module level."""
    defs = {s.name: s for s in tree.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))}
    if entry is not None and entry.kind == "project.scripts" and entry.target and ":" in entry.target:
        fn = defs.get(entry.target.rsplit(":", 1)[1].split(".")[0])
        return fn.body if fn is not None else None
    if module_draws:
        return None  # randomness at import time: only a module-level seed comes first
    block = next((s for s in reversed(tree.body) if _is_main_block(s)), None)
    if block is not None:
        for name in _called_names(block.body):  # type: ignore[attr-defined]
            if name in defs:
                return defs[name].body
        return block.body  # type: ignore[attr-defined,no-any-return]
    if "main" in defs:
        return defs["main"].body
    return None


def _module_level_draws(tree: ast.Module, entry: Entry | None) -> bool:
    """A random draw in this file that runs at import (outside every def, class and the
    `__main__` block)."""
    from envaudit.scanners.source import RANDOM

    if entry is None:
        return False
    spans = [
        (s.lineno, s.end_lineno or s.lineno)
        for s in tree.body
        if not isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and not _is_main_block(s)
    ]
    return any(
        ev.kind == RANDOM and ev.path == entry.path and any(a <= ev.line <= b for a, b in spans)
        for ev in entry.events
    )


def _insert_py(
    text: str,
    imp: str,
    call: str | None,
    entry: Entry | None = None,
    *,
    in_package: bool = False,
    notes: list[str] | None = None,
) -> str | None:
    """The import after the leading imports; the call where the entry point starts: the top
    of main() (or the function the `__main__` block calls), else the top of the
    `__main__` block, else (a plain script) after the imports. Inside a package a
    module-level call would run on import, so there it is never written."""
    from envaudit.scanners.source import _body_line

    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    body = _entry_body(tree, entry, _module_level_draws(tree, entry)) if call else None
    if call and body is None and in_package:
        if notes is not None and entry is not None:
            notes.append(
                f"{entry.path}: no main() or `__main__` block to seed in, and a module-level call "
                f"would run on import: call {call} where this entry point starts"
            )
        call = None
    if call and body is not None:
        first = body[0]
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and len(body) > 1:
            first = body[1]  # after a docstring
        here = lines[first.lineno - 1]
        indent = here[: len(here) - len(here.lstrip())]
        if indent and first.col_offset == len(indent.encode("utf-8")):  # on a line of its own
            lines.insert(first.lineno - 1, f"{indent}{call}\n")
            call = None
    line = _body_line(tree.body)  # 1-based line to insert before
    before, after = lines[: line - 1], lines[line - 1 :]
    block = [f"{imp}\n"] + (["\n", f"{call}\n"] if call else [])
    if before and before[-1].strip():
        block.insert(0, "\n")
    if after and after[0].strip():
        block.append("\n")
    return "".join(before + block + after)


def _insert_notebook(text: str, imp: str, call: str) -> str | None:
    try:
        nb = json.loads(text)
    except ValueError:
        return None
    cells = nb.get("cells") if isinstance(nb, dict) else None
    if not isinstance(cells, list):
        return None
    at = len(cells)
    for i, c in enumerate(cells):
        if isinstance(c, dict) and c.get("cell_type") == "code":
            src = c.get("source", "")
            src = "".join(src) if isinstance(src, list) else str(src)
            code = [
                ln for ln in src.splitlines() if ln.strip() and not ln.lstrip().startswith(("%", "!", "#"))
            ]
            if code:
                at = i
                break
    cell: dict[str, object] = {
        "cell_type": "code",
        "execution_count": None,
        "metadata": {},
        "outputs": [],
        "source": [f"{imp}\n", "\n", call],
    }
    if (nb.get("nbformat"), nb.get("nbformat_minor", 0)) >= (4, 5):
        cell = {"id": "envaudit-seed", **cell}
    cells.insert(at, cell)
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def _existing(root: Path, target: Path) -> str:
    """A helper file's text; "" for one linked out of the project (never read; --write
    then refuses it)."""
    from envaudit.fixes._write import UnsafeWrite, read_existing

    try:
        return read_existing(root, target)
    except (UnsafeWrite, OSError):
        return ""


def apply(root: Path, changes: list[Change]) -> None:
    from envaudit.fixes._write import atomic_write

    for ch in changes:
        atomic_write(root, root / ch.rel, ch.new)


@click.command()
@click.argument("path", default=".", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--write", is_flag=True, help="Write the helper and the calls (default: show diffs).")
@click.option(
    "--strict",
    is_flag=True,
    help="Also cudnn.deterministic=True, benchmark=False, use_deterministic_algorithms(True), "
    "CUBLAS_WORKSPACE_CONFIG and TF op determinism.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="The seed the calls pass.")
def command(path: Path, write: bool, strict: bool, seed: int) -> None:
    """Seed every entry point that DET001/DET002 flagged, with a seed_everything() helper
    for exactly the libraries the project uses; show the DataLoader pattern where
    DET005/DET006 fired."""
    from envaudit.commands._common import usage_error
    from envaudit.config import ConfigError, load_config
    from envaudit.engine import run_check
    from envaudit.fixes._write import UnsafeWrite, refused, unified_diff
    from envaudit.terminal import escape_controls

    root = path.resolve()
    try:
        cfg = load_config(root, None).with_overrides(select=("DET001", "DET002", "DET005", "DET006"))
        result = run_check(root, cfg)
    except ConfigError as exc:
        raise usage_error(exc) from None
    changes, notes = plan(result, strict=strict, seed=seed)
    if not changes and not notes:
        click.echo("envaudit: nothing to fix: every entry point seeds what it uses")
        return
    for ch in changes:
        click.echo(unified_diff(ch.old, ch.new, ch.rel), nl=False)
    for n in notes:
        click.echo(f"note: {escape_controls(n)}")
    if write:
        try:
            apply(root, changes)
        except UnsafeWrite as exc:
            raise refused(exc) from None
        except OSError as exc:
            click.echo(f"envaudit: error: {exc}", err=True)
            raise click.exceptions.Exit(1) from None
        click.echo(f"envaudit: wrote {len(changes)} file(s)", err=True)
    elif changes:
        click.echo("envaudit: run again with --write to apply", err=True)
