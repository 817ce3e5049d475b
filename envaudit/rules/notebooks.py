"""DEP014: packages installed from inside a notebook.

`!pip install lightgbm` in a cell installs something no manifest knows about: the next
person who builds the environment from the manifests gets a notebook that fails at the
import, or that runs with whatever lightgbm is newest that day. Notebooks are read as
JSON (never run); each finding points at the line of the .ipynb file that holds the cell
line, as the DET rules do.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

from envaudit._dataclass import dataclass
from envaudit._lazyre import lazy_re
from envaudit.model import Fix, Hit, Location, Severity
from envaudit.rules import rule

if TYPE_CHECKING:
    from envaudit.inventory import Inventory

# `!pip …`, `%pip …`, `x = !pip …`, and `!{sys.executable} -m pip …`
_SHELL_LINE = lazy_re(r"^\s*(?:[\w.\[\], ]+=\s*)?(!|%)\s*(.*)$")
_SHELL_CELLS = ("%%bash", "%%sh", "%%script bash", "%%script sh", "%%system")
_LINE_MAGICS = {"pip", "conda", "mamba", "micromamba", "uv"}
_IPY_EXPANSION = re.compile(r"\{[^{}]*\}|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?")
_IPY_WHOLE = re.compile(r"^(?:\{[^{}]*\}|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?)$")
_CONDA_VALUE_OPTS = {"-c", "--channel", "-n", "--name", "-p", "--prefix", "--file", "--override-channels"}


@dataclass(frozen=True)
class NotebookInstall:
    path: str
    line: int  # line of the .ipynb file
    cell: int  # 1-based over all cells
    tool: str  # pip, uv, conda
    packages: tuple[str, ...]
    unpinned: tuple[str, ...]
    requirement_files: tuple[str, ...]
    text: str  # the command as written (first 200 characters)
    # URL / VCS requirements that name no immutable revision or hash: (spec, why), as DEP010 says it
    loose_urls: tuple[tuple[str, str], ...] = ()


def _cells(text: str) -> list[tuple[int, list[str], list[int] | None]] | None:
    """(cell number, source lines, .ipynb line of each) of every code cell."""
    from envaudit.scanners.source import _cell_source_lines

    try:
        nb = json.loads(text)
    except ValueError:
        return None  # the source scanner reports the broken notebook (EA001)
    cells = nb.get("cells") if isinstance(nb, dict) else None
    if not isinstance(cells, list) and isinstance(nb, dict) and isinstance(nb.get("worksheets"), list):
        # nbformat 3 (as the source scanner reads it for DEP008): cells in worksheets, code in "input"
        cells = [c for ws in nb["worksheets"] if isinstance(ws, dict) for c in ws.get("cells", []) or []]
    if not isinstance(cells, list):
        return None
    where = _cell_source_lines(text, len(cells))
    out = []
    for idx, cell in enumerate(cells):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        src = cell.get("source", cell.get("input", ""))
        if isinstance(src, list):
            src = "".join(s for s in src if isinstance(s, str))
        if not isinstance(src, str):
            continue
        out.append((idx + 1, src.splitlines(), where[idx] if where and idx < len(where) else None))
    return out


def _shell_commands(lines: list[str]) -> Iterator[tuple[int, str]]:
    """(index of the line, shell text) of each shell command of a cell."""
    first = lines[0].strip() if lines else ""
    if first.startswith(_SHELL_CELLS):
        for j, ln in enumerate(lines[1:], start=1):
            if ln.strip() and not ln.lstrip().startswith("#"):
                yield j, ln
        return
    for j, ln in enumerate(lines):
        m = _SHELL_LINE.match(ln)
        if not m:
            continue
        bang, rest = m.group(1), m.group(2)
        if bang == "%":
            word = rest.split(" ", 1)[0]
            if word not in _LINE_MAGICS:
                continue  # %matplotlib, %time, %load_ext: not an install
        yield j, rest


def installs(inv: Inventory, rel: str) -> list[NotebookInstall]:
    from envaudit.dockercmds import is_local_or_url, pip_install, spec_pinned
    from envaudit.rules.docker import _vcs_problem  # a VCS URL is pinned by a full commit only
    from envaudit.scanners.dockerfiles import split_shell
    from envaudit.scanners.source import MAX_NOTEBOOK_BYTES
    from envaudit.textio import read_text

    tf, _problem = read_text(inv.root / rel, rel, max_bytes=MAX_NOTEBOOK_BYTES)
    if tf is None:
        return []
    cells = _cells(tf.text)
    if not cells:
        return []
    out: list[NotebookInstall] = []
    for number, lines, where in cells:
        for j, shell in _shell_commands(lines):
            line = where[min(j, len(where) - 1)] if where else 1
            script = re.sub(r"\{\s*sys\.executable\s*\}", "python", shell)
            written = lines[j].strip()[:200]
            for cmd in split_shell(script, {}, line):
                p = pip_install(cmd)
                if p is not None:
                    # IPython expands `$name` and `{expr}` from the kernel's variables before the
                    # shell runs: the name is unknown, a `==1.0` written after it still pins
                    pkgs = tuple(s for s in p.packages if not _IPY_WHOLE.match(s))
                    loose = tuple(
                        s
                        for s in pkgs
                        if (
                            _vcs_problem(s)
                            if is_local_or_url(s)
                            else not spec_pinned(_IPY_EXPANSION.sub("x", s))
                        )
                    )
                    urls = tuple((s, why) for s in pkgs if is_local_or_url(s) and (why := _url_problem(s)))
                    out.append(
                        NotebookInstall(
                            rel, line, number, p.tool, pkgs, loose, p.requirement_files, written, urls
                        )
                    )
                    continue
                conda = _conda_install(cmd.argv)
                if conda is not None:
                    out.append(NotebookInstall(rel, line, number, "conda", *conda, (), written))
    return out


def _url_problem(spec: str) -> str | None:
    """DEP010's verdict on a URL / VCS / path requirement (`name @ url` or the bare URL)."""
    from envaudit.rules.deps import url_spec_problem

    m = re.match(r"^[A-Za-z0-9_.\-\[\], ]+@\s*(\S.*)$", spec.strip())
    url = m.group(1) if m and "://" not in spec.split("@", 1)[0] else spec.strip()
    return url_spec_problem(url)


def _conda_install(argv: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    from envaudit.deps import is_pinned
    from envaudit.scanners.manifests import conda_spec

    if len(argv) < 2 or argv[0].rsplit("/", 1)[-1] not in ("conda", "mamba", "micromamba"):
        return None
    if argv[1] != "install":
        return None
    pkgs: list[str] = []
    skip = False
    for a in argv[2:]:
        if skip:
            skip = False
            continue
        if a.startswith("-"):
            skip = a in _CONDA_VALUE_OPTS
            continue
        pkgs.append(a)
    loose = []
    for spec in pkgs:
        m = re.match(r"^([A-Za-z0-9_.\-]+)(.*)$", spec)
        rest = m.group(2) if m else ""
        pep440, _build = conda_spec(rest)
        if not is_pinned(pep440):
            loose.append(spec)
    return tuple(pkgs), tuple(loose)


@rule(
    "DEP014",
    "notebook-pip-install",
    Severity.WARNING,
    summary="`!pip install` / `%pip install` in a notebook: an install outside every manifest",
    explanation="""
        A cell that runs `!pip install lightgbm` (or `%pip install`, `%conda install`,
        `!{sys.executable} -m pip install`, a `%%bash` cell with pip) changes the
        environment from inside the analysis. No manifest or lock knows the package,
        so whoever builds the environment from the project's files does not get it,
        and the version is whatever was newest on the day the cell ran. Unpinned
        names are an error, and so is a VCS or URL install without a full commit or
        hash (`git+https://…/repo.git`, as DEP010 says of the same line in a
        requirements file); pinned ones (`lightgbm==4.3.0`) a warning, since they
        still live outside the manifests. One finding per install line names every
        requirement on it. The notebook's imports are checked by
        DEP008 as well: a package installed only by a cell is undeclared.
    """,
    example="""
        explore.ipynb:14: DEP014 [error] cell 2 installs unpinned lightgbm outside every manifest with `!pip install lightgbm`
    """,
    fix="""
        Declare the package (with a pin, or a range compiled into a lock) in the
        project's manifest, install the environment from it, and delete the install
        cell (or keep it as `%pip install -r requirements.txt`).
    """,
)
def notebook_pip_install(inv: Inventory) -> Iterator[Hit]:
    from envaudit.rules.deps import url_fix

    declared: set[tuple[str, str]] | None = None
    for rel in inv.files():
        if not rel.endswith(".ipynb"):
            continue
        for ins in installs(inv, rel):
            loc = Location(rel, ins.line)
            if not ins.unpinned and ins.packages:
                if declared is None:
                    declared = _declared_pins(inv)
                # `!pip install 'numpy==1.26.4'` where requirements.txt pins numpy==1.26.4: the
                # same version the manifests install, so nothing lives outside them
                outside = tuple(s for s in ins.packages if _pin_of(s) not in declared)
                if not outside:
                    continue
                ins = replace(ins, packages=outside)
            # one install line, one finding that names every requirement on it: the
            # unpinned ones (an error), the URLs without a fixed revision (an error, as
            # DEP010 says for the same URL in a requirements file) and the pinned ones
            url_specs = {spec for spec, _ in ins.loose_urls}
            names = [u for u in ins.unpinned if u not in url_specs]
            pinned = [p for p in ins.packages if p not in ins.unpinned and p not in url_specs]
            if names or ins.loose_urls:
                said = []
                if names:
                    said.append(f"unpinned {', '.join(names)}")
                said += [f"`{spec}`, which {why}," for spec, why in ins.loose_urls]
                if pinned:
                    said.append(f"and pinned {', '.join(pinned)}")
                steps = []
                if names:
                    steps.append(f"declare {', '.join(names)}, pinned, in the project's manifest")
                for spec, _ in ins.loose_urls:
                    steps.append(f"for `{spec}`: {url_fix(spec)}, and declare it in the project's manifest")
                if pinned:
                    steps.append(f"move {', '.join(pinned)} into the project's manifest")
                yield Hit(
                    f"cell {ins.cell} installs {' '.join(said).rstrip(',')} outside every manifest "
                    f"with `{ins.text}`",
                    loc,
                    Fix("; ".join(steps) + "; then remove the install from the notebook"),
                    fact=ins,
                    severity=Severity.ERROR,
                )
            elif ins.packages:
                yield Hit(
                    f"cell {ins.cell} installs {', '.join(ins.packages)} outside every manifest with `{ins.text}`",
                    loc,
                    Fix(
                        f"move the pin{'s' if len(ins.packages) > 1 else ''} into the project's manifest "
                        "and remove the install from the notebook"
                    ),
                    fact=ins,
                )
            for ref in ins.requirement_files:
                # `%pip install -r requirements.txt` installs what that file says: fine when it
                # pins, unpinned when it does not (the file is read as DKR004 reads a -r file)
                hit = _loose_requirement_file(inv, rel, ref, ins)
                if hit is not None:
                    yield hit


def _pin_of(spec: str) -> tuple[str, str] | None:
    """(canonical name, version) of an exact `name==version` install, else None."""
    from envaudit.deps import exact_version
    from envaudit.dockercmds import spec_name

    m = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(===?[^;,\s]+)\s*$", spec)
    if not m:
        return None
    name, version = spec_name(m.group(1)), exact_version(m.group(2))
    return (name, _canon_version(version)) if name and version else None


def _canon_version(version: str) -> str:
    from packaging.utils import canonicalize_version

    return canonicalize_version(version)


def _declared_pins(inv: Inventory) -> set[tuple[str, str]]:
    """Every (name, version) a requirements file or manifest pins exactly."""
    from envaudit.rules.locks import _manifest_reqs, _req_reqs

    out = set()
    for d in [*_req_reqs(inv), *_manifest_reqs(inv)]:
        v = d.exact_version
        if v and d.name:
            out.add((d.name, _canon_version(v)))
    return out


def _loose_requirement_file(inv: Inventory, rel: str, ref: str, ins: NotebookInstall) -> Hit | None:
    import posixpath

    from envaudit.scanners.requirements import parse_requirements_file

    ref = ref.strip().strip("\"'")
    if not ref or "$" in ref or "{" in ref or ref.startswith("/"):
        return None
    files = set(inv.files())
    folder = posixpath.dirname(rel)
    for cand in (posixpath.normpath(posixpath.join(folder, ref)), posixpath.normpath(ref)):
        if cand in files:
            loose = sorted(
                {
                    d.name
                    for d in parse_requirements_file(inv, cand)
                    if not (d.url or d.editable or d.exact_version)
                }
            )
            if not loose:
                return None
            more = f" and {len(loose) - 5} more" if len(loose) > 5 else ""
            return Hit(
                f"cell {ins.cell} installs -r {ref}: {cand} does not pin {', '.join(loose[:5])}{more}",
                Location(rel, ins.line),
                Fix(f"pin {cand} (or install from a lock: `envaudit fix pins --write`)"),
                fact=ins,
                severity=Severity.ERROR,
            )
    return None
