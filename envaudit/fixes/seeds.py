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
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from envaudit.engine import CheckResult
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


def render_helper(libs: list[str], *, strict: bool, seed: int) -> str:
    from envaudit.templating import render_template

    return render_template("seed_everything.py.j2", libs=libs, strict=strict, seed=seed)


def _helper_for(entry: Entry, facts: SourceFacts) -> tuple[str, str]:
    """(helper path, module to import it from) beside the entry point."""
    mod = facts.module(entry.path)
    folder = entry.path.rsplit("/", 1)[0] + "/" if "/" in entry.path else ""
    package = ""
    if mod is not None and not mod.notebook and "." in mod.name:
        package = mod.name.rsplit(".", 1)[0]
    return f"{folder}seeding.py", (f"{package}.seeding" if package else "seeding")


def plan(result: CheckResult, *, strict: bool, seed: int) -> tuple[list[Change], list[str]]:
    """The file changes and the notes (DataLoader patterns, jax) for a check result."""
    from envaudit.scanners.source import Entry

    inv = result.inventory
    facts: SourceFacts = inv.get("source")
    entries: dict[str, Entry] = {}
    for f in result.findings:
        if f.code in ("DET001", "DET002") and isinstance(f.fact, Entry):
            entries.setdefault(f.fact.path, f.fact)
    changes: list[Change] = []
    notes: list[str] = []
    groups: dict[tuple[str, str], list[Entry]] = {}
    for _rel, entry in sorted(entries.items()):
        helper_rel, helper_mod = _helper_for(entry, facts)
        target = inv.root / helper_rel
        if target.exists() and MARKER not in target.read_text(encoding="utf-8", errors="replace"):
            # someone's own seeding.py: leave it alone
            helper_rel = helper_rel[: -len(".py")] + "_envaudit.py"
            helper_mod += "_envaudit"
        groups.setdefault((helper_rel, helper_mod), []).append(entry)
    libs: set[str] = set()
    for (helper_rel, helper_mod), group in groups.items():
        helper_libs = entry_libraries(group, strict)
        libs.update(helper_libs)
        helper_text = render_helper(helper_libs, strict=strict, seed=seed)
        target = inv.root / helper_rel
        old = target.read_text(encoding="utf-8", errors="replace") if target.exists() else ""
        if old != helper_text:
            changes.append(Change(helper_rel, old, helper_text))
        for entry in group:
            mod = facts.module(entry.path)
            alias = "seed_everything"
            if mod is not None and "seed_everything" in mod.defs:
                alias = "envaudit_seed_everything"
            imp = f"from {helper_mod} import seed_everything" + (
                f" as {alias}" if alias != "seed_everything" else ""
            )
            call = f"{alias}({seed})"
            src = inv.read(entry.path)
            if src is None:
                continue
            if entry.path.endswith(".ipynb"):
                new = _insert_notebook(src.text, imp, call)
            else:
                new = _insert_py(_seed_generators(src.text, entry, seed, notes), imp, call)
            if new is not None and new != src.text:
                changes.append(Change(entry.path, src.text, new))
    if "jax" in libs:
        notes.append(
            "jax: JAX has no global seed; build every key from seeding.jax_key(seed) instead of a key "
            "made from the clock."
        )
    for f in result.findings:
        if f.code == "DET005":
            notes.append(
                f"{f.location}: DataLoader: pass generator=torch_generator() "
                f"(from the seeding helper), e.g. DataLoader(ds, shuffle=True, generator=torch_generator())"
            )
        elif f.code == "DET006":
            notes.append(
                f"{f.location}: DataLoader: pass worker_init_fn=seed_worker, generator=torch_generator() "
                "(both in the seeding helper) so every worker reseeds numpy and random"
            )
    return changes, notes


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


def _insert_py(text: str, imp: str, call: str) -> str | None:
    from envaudit.scanners.source import _body_line

    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    line = _body_line(tree.body)  # 1-based line to insert before
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    before, after = lines[: line - 1], lines[line - 1 :]
    block = [f"{imp}\n", "\n", f"{call}\n"]
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
    from envaudit.fixes._write import UnsafeWrite, unified_diff

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
        click.echo(f"note: {n}")
    if write:
        try:
            apply(root, changes)
        except (UnsafeWrite, OSError) as exc:
            click.echo(f"envaudit: error: {exc}", err=True)
            raise click.exceptions.Exit(1) from None
        click.echo(f"envaudit: wrote {len(changes)} file(s)", err=True)
    elif changes:
        click.echo("envaudit: run again with --write to apply", err=True)
