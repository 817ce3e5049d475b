"""PY: the target interpreter and the Python version the project declares."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator
from typing import TYPE_CHECKING

from envaudit.deps import running_python
from envaudit.model import Fix, Hit, Location, Severity
from envaudit.rules import rule

if TYPE_CHECKING:
    from envaudit.inventory import Inventory
    from envaudit.scanners.python import Interpreter
    from envaudit.scanners.pyversions import PyVersionDecl

# CPython end-of-life dates (the last day of security support).
# Source: the Python Developer's Guide, "Status of Python versions",
# https://devguide.python.org/versions/ (and the release PEPs 537, 569, 596, 619, 664,
# 693, 719, 745); dates for 3.13 and later are the planned ones.
CPYTHON_EOL: dict[str, _dt.date] = {
    "2.7": _dt.date(2020, 1, 1),
    "3.5": _dt.date(2020, 9, 30),
    "3.6": _dt.date(2021, 12, 23),
    "3.7": _dt.date(2023, 6, 27),
    "3.8": _dt.date(2024, 10, 7),
    "3.9": _dt.date(2025, 10, 31),
    "3.10": _dt.date(2026, 10, 31),
    "3.11": _dt.date(2027, 10, 31),
    "3.12": _dt.date(2028, 10, 31),
    "3.13": _dt.date(2029, 10, 31),
    "3.14": _dt.date(2030, 10, 31),
    "3.15": _dt.date(2031, 10, 31),
}
EOL_SOURCE = "https://devguide.python.org/versions/"


def eol_date(minor: str) -> _dt.date | None:
    """The end-of-life date of a CPython `X.Y`; versions older than the table are long gone."""
    if minor in CPYTHON_EOL:
        return CPYTHON_EOL[minor]
    parts = minor.split(".")
    try:
        major, mnr = int(parts[0]), int(parts[1]) if len(parts) > 1 else 0
    except ValueError:
        return None
    if major < 3 or (major == 3 and mnr < 5):
        return _dt.date(2019, 9, 13)  # 3.4, the oldest 3.x in the devguide table
    return None


def today() -> _dt.date:
    return _dt.date.today()


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def _where(d: PyVersionDecl) -> str:
    return f"{d.path}:{d.line}" if d.line else d.path


def _describe_target(t: Interpreter) -> str:
    return f"{t.implementation} {t.version} ({t.kind} at {t.prefix}, {t.found_by})"


@rule(
    "PY001",
    "python-version-undeclared",
    Severity.WARNING,
    summary="The project declares its Python version nowhere",
    explanation="""
        Packages pin versions, but the interpreter is the first dependency: a project
        written for 3.10 may not even import on 3.12 (removed modules, changed
        defaults), and wheels exist only for some Python versions. envaudit looks in
        pyproject.toml `requires-python`, setup.cfg `python_requires`, Poetry's
        `python`, `.python-version`, `runtime.txt`, environment.yml, Pipfile
        `python_version`, Dockerfile `FROM python:X.Y` tags and the README
        ("Python 3.10"). None of them says which Python this project needs.
    """,
    example="""
        project: PY001 [warning] the project declares its Python version nowhere
    """,
    fix="""
        Write the version you run down: `requires-python = ">=3.11"` in pyproject.toml,
        and/or a `.python-version` file holding `3.11` (pyenv, uv and rye read it).
    """,
)
def python_version_undeclared(inv: Inventory) -> Iterator[Hit]:
    decls = inv.get("pyversions").declarations
    if decls:
        return
    target = inv.get("python")
    message = (
        "the project declares its Python version nowhere (requires-python, .python-version, "
        "runtime.txt, environment.yml, Pipfile, Dockerfile base image, README)"
    )
    if not getattr(target, "found", True):
        # no project environment: the Python running envaudit is not the project's, so no
        # version is named (a `.python-version` with envaudit's would be a guess)
        yield Hit(
            message,
            Location(),
            Fix(
                "declare the Python the project runs on: a `.python-version` file (`3.X`), "
                'or `requires-python = ">=3.X"` in pyproject.toml'
            ),
            fact=None,
        )
        return
    minor = target.minor or _minor(running_python())
    version = target.version or target.host_version
    yield Hit(
        message,
        Location(),
        Fix(
            f"declare the Python you run ({version or minor}): a `.python-version` file, "
            f'or `requires-python = ">={minor}"` in pyproject.toml',
            f"--- /dev/null\n+++ b/.python-version\n@@ -0,0 +1 @@\n+{minor}\n",
        ),
        fact=version,
    )


def _spec_contains(spec: str, version: str) -> bool | None:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion, Version

    try:
        return Version(version) in SpecifierSet(spec, prereleases=True)
    except (InvalidSpecifier, InvalidVersion):
        return None


def _series_spec(d: PyVersionDecl) -> str:
    """An exact declaration compared by its X.Y series (a patch difference is not a mismatch)."""
    v = d.version
    if d.kind == "exact" and v:
        return f"=={_minor(v)}.*"
    return d.specifier


@rule(
    "PY002",
    "python-version-mismatch",
    Severity.ERROR,
    summary="The target interpreter does not satisfy the declared Python version, or two declarations disagree",
    explanation="""
        When pyproject.toml says `requires-python = ">=3.11"` but the environment runs
        3.10, or `.python-version` says 3.10 while the Dockerfile builds on
        `python:3.12`, the project runs under a Python nobody tested it with: the
        local run, CI and the container quietly differ. Exact declarations are
        compared by their X.Y series; README mentions are never compared (prose is
        too loose to be a contract). A sub-project (a folder with its own manifest
        or lock) is installed apart and may need another Python: its declarations
        are compared only with each other. Without a project environment the
        interpreter check does not run (EA004 says so).
    """,
    example="""
        Dockerfile:1: PY002 [error] python:3.12-slim (Python 3.12) disagrees with .python-version:1 (3.10)
    """,
    fix="""
        Pick one Python version and write it in every place that declares one, or
        point `--python` at an environment that matches the declaration.
    """,
)
def python_version_mismatch(inv: Inventory) -> Iterator[Hit]:
    decls = [d for d in inv.get("pyversions").declarations if d.kind != "mention"]
    if not decls:
        return
    from envaudit.projects import project_of, project_roots

    roots = project_roots(inv)
    target = inv.get("python")
    # the environment found for the root belongs to the root project; sub-projects have their own
    root_decls = [d for d in decls if project_of(d.path, roots) == ""] or decls
    if target.found and target.version and target.implementation in ("cpython", "pypy"):
        for d in root_decls:
            if d.source == "dockerfile":
                continue  # the image's Python, not the local target's: compared below
            ok = _spec_contains(_series_spec(d), target.version)
            if ok is False:
                yield Hit(
                    f"the target Python {target.version} does not satisfy {d.source} `{d.text}` "
                    f"({d.specifier}); target: {_describe_target(target)}",
                    Location(d.path, d.line),
                    Fix(
                        f"create the environment with a Python matching {d.specifier} "
                        f"(e.g. `uv venv --python {d.version or d.specifier.lstrip('=<>~!')}`) "
                        "or correct the declaration"
                    ),
                    fact=target.version,
                )
    ordered = sorted(decls, key=lambda d: (d.path, d.line or 0))
    for i, b in enumerate(ordered):
        for a in ordered[:i]:
            if project_of(a.path, roots) != project_of(b.path, roots):
                continue  # installed apart: a sub-project may need another Python
            if a.kind == "constraint" and b.kind == "constraint":
                continue
            if a.kind == "exact" and b.kind == "exact":
                va, vb = a.version or "", b.version or ""
                if _minor(va) == _minor(vb) or not va or not vb:
                    continue
                yield Hit(
                    f"{b.source} `{b.text}` (Python {_minor(vb)}) disagrees with {a.source} "
                    f"`{a.text}` at {_where(a)} (Python {_minor(va)})",
                    Location(b.path, b.line),
                    Fix(f"use one Python series everywhere: change one of {_where(a)} and {_where(b)}"),
                )
                break
            exact, constraint = (a, b) if a.kind == "exact" else (b, a)
            v = exact.version or ""
            probe = v if v.count(".") >= 2 else f"{v}.99"
            if v and _spec_contains(constraint.specifier, probe) is False:
                yield Hit(
                    f"{b.source} `{b.text}` disagrees with {a.source} `{a.text}` at {_where(a)}",
                    Location(b.path, b.line),
                    Fix(f"make {_where(exact)} a version that satisfies {constraint.specifier}"),
                )
                break


@rule(
    "PY003",
    "python-end-of-life",
    Severity.WARNING,
    summary="The target or declared Python is past its end of life",
    explanation=f"""
        A Python past end of life gets no security fixes, and new releases of the
        scientific stack (numpy, pandas, torch) stop shipping wheels for it, so the
        environment can no longer be rebuilt with current packages. envaudit keeps
        CPython's end-of-life dates as data (source: {EOL_SOURCE}) and
        compares them with today's date.
    """,
    example="""
        .python-version:1: PY003 [warning] Python 3.8 reached end of life on 2024-10-07
    """,
    fix="Move to a supported Python (see https://devguide.python.org/versions/) and re-pin.",
)
def python_end_of_life(inv: Inventory) -> Iterator[Hit]:
    now = today()
    target = inv.get("python")
    if target.found and target.implementation == "cpython" and target.minor:
        eol = eol_date(target.minor)
        if eol is not None and eol < now:
            yield Hit(
                f"the target Python {target.version} reached end of life on {eol.isoformat()} "
                f"({target.kind} at {target.prefix})",
                Location(),
                Fix(f"rebuild the environment on a supported Python ({EOL_SOURCE})"),
                fact=target.version,
            )
    for d in inv.get("pyversions").declarations:
        if d.kind != "exact" or not d.version:
            continue
        eol = eol_date(_minor(d.version))
        if eol is not None and eol < now:
            yield Hit(
                f"{d.source} `{d.text}` declares Python {_minor(d.version)}, which reached end of life "
                f"on {eol.isoformat()}",
                Location(d.path, d.line),
                Fix(f"declare a supported Python ({EOL_SOURCE})"),
                fact=d.version,
            )


@rule(
    "PY004",
    "not-isolated",
    Severity.WARNING,
    summary="The target interpreter is a system/global Python, not a virtualenv or conda environment",
    explanation="""
        Packages installed into a system or user-global Python mix with whatever the
        OS and other projects installed, so the environment cannot be listed,
        recreated or removed as one. A virtualenv (or conda env) per project keeps
        the installed set equal to what the project declares.
    """,
    example="""
        .venv: PY004 [warning] the target interpreter /usr/bin/python3 is a system Python, not a virtualenv or conda env
    """,
    fix="""
        python -m venv .venv && . .venv/bin/activate && pip install -r requirements.txt
        (or point `--python` at the project's environment).
    """,
)
def not_isolated(inv: Inventory) -> Iterator[Hit]:
    target = inv.get("python")
    if target.kind == "system":  # kind "none" (no environment found): EA004 says so
        yield Hit(
            f"the target interpreter {target.executable} is a system Python, not a virtualenv or conda "
            f"env ({target.found_by})",
            Location(),
            Fix("create a project environment: `python -m venv .venv && . .venv/bin/activate`, then install"),
            fact=target.prefix,
        )
