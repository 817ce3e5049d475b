"""DEP: dependencies, manifests and the installed environment.

Pinned means exactly one `==` without `.*`, or `===` (envaudit.deps.is_pinned).
Markers are evaluated for the *target* interpreter: a requirement that does not
apply there never fires DEP006/DEP007. The installed side is read from disk.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from envaudit._lazyre import lazy_re
from envaudit.deps import Declared, evaluate_marker, marker_env, parse_pep508, pin_satisfied
from envaudit.model import Fix, Hit, Location, Severity
from envaudit.rules import rule

if TYPE_CHECKING:
    from envaudit.condaspec import CondaSpec
    from envaudit.inventory import Inventory
    from envaudit.projectenvs import ProjectEnv
    from envaudit.scanners.packages import InstalledPackages

LOCKFILES = (
    "poetry.lock",
    "uv.lock",
    "Pipfile.lock",
    "pdm.lock",
    "conda-lock.yml",
    "conda-lock.yaml",
)
# Tools for testing, linting, typing, formatting and docs: they belong in a dev/test
# requirements file, an extra or a dependency group, not in what the project needs to run.
DEV_TOOLS = frozenset(
    {
        "pytest",
        "black",
        "ruff",
        "flake8",
        "mypy",
        "pylint",
        "isort",
        "pre-commit",
        "tox",
        "nox",
        "coverage",
        "hypothesis",
        "bandit",
        "pyright",
        "autopep8",
        "yapf",
        "pycodestyle",
        "pydocstyle",
        "pyflakes",
        "codespell",
        "twine",
        "sphinx",
        "mkdocs",
        "ipdb",
        "pdbpp",
        "nbqa",
        "bump2version",
        "interrogate",
        "pytest-cov",
        "pytest-xdist",
        "pytest-mock",
    }
)
DEV_PREFIXES = ("pytest-", "flake8-", "types-", "sphinx-", "mkdocs-", "mypy-")
_DEV_FILE_RE = lazy_re(
    r"(^|[-_./])(dev|devel|develop|test|tests|testing|lint|docs?|ci|tox|check|style|typing|build)([-_.]|$)"
)
_HEX40 = lazy_re(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
_URL_HASH = lazy_re(r"[#&](sha256|sha384|sha512)=[0-9a-fA-F]+")


# ------------------------------------------------------------------ helpers
def declared(inv: Inventory) -> list[Declared]:
    return [*inv.get("requirements").requirements, *inv.get("manifests").requirements]


def _loc(d: Declared) -> Location:
    return Location(d.path, d.line or None)


def _where(d: Declared) -> str:
    return f"{d.path}:{d.line}" if d.line else d.path


def _installable_pin(d: Declared) -> bool:
    """A pinned requirement that pip would install from this file (constraints install nothing)."""
    return d.source in ("requirements", "conda-pip") and d.role == "pin" and d.exact_version is not None


def _line_text(inv: Inventory, rel: str, line: int) -> str | None:
    text = inv.read(inv.root / rel, record=False)
    if text is None:
        return None
    lines = text.text.splitlines()
    return lines[line - 1] if 1 <= line <= len(lines) else None


def _replace_line_diff(inv: Inventory, d: Declared, new_line: str) -> str | None:
    old = _line_text(inv, d.path, d.line)
    if old is None or old.rstrip().endswith("\\"):
        return None  # a continued requirement: describe, do not guess a diff
    return f"--- a/{d.path}\n+++ b/{d.path}\n@@ -{d.line} +{d.line} @@\n-{old}\n+{new_line}\n"


def _constraint_pins(inv: Inventory, path: str) -> dict[str, str]:
    """Exact pins that reach `path`'s install through -c files of its include tree."""
    reqs = inv.get("requirements")
    files = {f.path: f for f in reqs.files}
    out: dict[str, str] = {}
    # every root whose closure contains `path` contributes its constraint files
    roots = [f.path for f in reqs.files if path in reqs.closure(f.path)]
    constraint_files: set[str] = set()
    for r in roots:
        for p in reqs.closure(r):
            f = files.get(p)
            if f is not None and f.role == "constraint":
                constraint_files.add(p)
    for d in reqs.requirements:
        if d.path in constraint_files and d.exact_version:
            out.setdefault(d.name, d.exact_version)
    return out


# -------------------------------------------------------------------- DEP001
_MANIFEST_NAMES = frozenset(
    {"pyproject.toml", "setup.cfg", "Pipfile", "environment.yml", "environment.yaml"}
    | {"poetry.lock", "uv.lock", "Pipfile.lock", "pdm.lock", "pylock.toml"}
)


@rule(
    "DEP001",
    "no-dependency-manifest",
    Severity.ERROR,
    summary="No requirements file, pyproject dependencies, Pipfile, environment.yml or lockfile at all",
    explanation="""
        Without a dependency manifest nobody — not a colleague, not CI, not you in six
        months — can know which packages the code needs, let alone which versions.
        envaudit looks for requirements*.txt / *.in, pyproject.toml dependencies
        (PEP 621, Poetry, dependency groups), setup.cfg install_requires, setup.py,
        Pipfile, environment.yml and lockfiles (poetry.lock, uv.lock, Pipfile.lock,
        pdm.lock, pylock.toml, conda-lock).
    """,
    example="""
        project: DEP001 [error] no dependency manifest: nothing declares what this project needs
    """,
    fix="""
        Record what runs today: `pip freeze > requirements.txt` in the project's
        environment (then prune it to direct dependencies, or compile it from a
        requirements.in with pip-compile --generate-hashes).
    """,
)
def no_dependency_manifest(inv: Inventory) -> Iterator[Hit]:
    if inv.get("requirements").files:
        return
    if any(m.has_dependencies for m in inv.get("manifests").files):
        return
    # a manifest that exists but cannot be read is EA001's finding: whether it declares
    # anything is unknown, so "no manifest" would be a second, wrong finding about it
    from envaudit.scanners.requirements import is_requirements_name

    unreadable = {d.path for d in inv.diagnostics if d.code == "EA001" and d.path}
    if any(PurePosixPath(p).name in _MANIFEST_NAMES or is_requirements_name(p) for p in unreadable):
        return
    for rel in inv.files():
        name = PurePosixPath(rel).name
        if name in LOCKFILES or name in ("Pipfile", "setup.py") or name.endswith(".conda-lock.yml"):
            return
        if name == "pylock.toml" or (name.startswith("pylock.") and name.endswith(".toml")):
            return
    yield Hit(
        "no dependency manifest: nothing declares what this project needs (no requirements file, "
        "pyproject dependencies, setup.cfg, Pipfile, environment.yml or lockfile)",
        Location(),
        Fix(
            "write the direct dependencies with their versions into requirements.txt (`pip freeze` shows them)"
        ),
    )


def _pypi(d: Declared) -> str | None:
    """The Python distribution a declaration names (conda's `pytorch` is `torch`)."""
    if d.source == "conda":
        from envaudit.condanames import pypi_name

        return pypi_name(d.name)
    return d.name


def _same_project_declarations(inv: Inventory, d: Declared) -> Iterator[Declared]:
    """The other declarations of `d`'s distribution in `d`'s project that carry a version
    specifier and apply here (URL requirements left out)."""
    from envaudit.projects import project_of, project_roots

    roots = project_roots(inv)
    mine, name = project_of(d.path, roots), _pypi(d)
    if not name:
        return
    for other in declared(inv):
        if other is d or not other.specifier or not other.applies or other.url is not None:
            continue
        if _pypi(other) == name and project_of(other.path, roots) == mine:
            yield other


def declared_range_against(inv: Inventory, d: Declared, version: str) -> Declared | None:
    """Another declaration of `d`'s distribution in the same project (a manifest's range, a
    requirements.in source, environment.yml) that `version` does not satisfy: a fix text
    must not propose pinning `version` then."""
    for other in _same_project_declarations(inv, d):
        if other.role != "range" and other.source not in ("conda", "conda-pip"):
            continue  # locks and other pinned files are what the fix updates, not a bound on it
        if not _satisfies(other.specifier, version) and not _satisfies(
            other.specifier, version.split("+", 1)[0]
        ):
            return other
    return None


def _outside_text(name: str, version: str, other: Declared) -> str:
    return (
        f"the installed {name} {version} is outside `{other.specifier}` declared at {_where(other)}: "
        f"install a version in that range, test with it, then pin it (`{name}==<that version>`)"
    )


_LOCK_SOURCES = ("uv", "poetry", "pdm", "pipfile", "pylock")


def _probe_versions(specs: tuple[str, ...]) -> list[str]:
    """Versions that stand for every region the clauses of `specs` cut the version line
    into: each bound, just above it (`2.1.1`, `2.1.0.1`, `2.2`), and the lowest ones."""
    out = {"0", "0.1", "0.0.1"}
    for spec in specs:
        for m in re.finditer(r"(?:===|==|!=|~=|<=|>=|<|>)\s*([0-9][0-9A-Za-z.+!*-]*)", spec):
            v = m.group(1).replace(".*", "").split("+", 1)[0]
            if not re.match(r"^[0-9]+(?:\.[0-9]+)*$", v):
                continue
            parts = v.split(".")
            out |= {v, f"{v}.1", f"{v}.0.1", f"{v}.0.0.1"}
            out.add(".".join([*parts[:-1], str(int(parts[-1]) + 1)]))
            if len(parts) > 1:
                out.add(".".join([*parts[:-2], str(int(parts[-2]) + 1)]))
    return sorted(out)


def ranges_disjoint(a: str, b: str) -> bool:
    """True when no (final) version satisfies both specifiers (`>=1.26,<2.1` and `>=2.1`).
    Conservative: unparseable, or any probe in both, is not a contradiction."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        sa, sb = SpecifierSet(a), SpecifierSet(b)
    except InvalidSpecifier:
        return False
    return not any(v in sa and v in sb for v in _probe_versions((a, b)))


def contradicting_declaration(inv: Inventory, d: Declared) -> Declared | None:
    """Another declaration of `d`'s distribution in the same project whose range shares no
    version with `d`'s (locks excluded: their freshness is DEP004's)."""
    if not d.specifier or d.url is not None or d.source in _LOCK_SOURCES:
        return None
    for other in _same_project_declarations(inv, d):
        if other.source in _LOCK_SOURCES or (d.pinned and other.pinned):
            continue  # two pins: DEP011's pin comparison
        if ranges_disjoint(d.specifier, other.specifier):
            return other
    return None


# -------------------------------------------------------------------- DEP002
def _is_pinning_role(d: Declared) -> bool:
    return d.role == "pin" and d.source in ("requirements", "conda", "conda-pip", "dockerfile")


def _env_of(inv: Inventory, d: Declared) -> ProjectEnv | None:
    """The environment `d`'s project is installed into: the root's target for the root
    project, a sub-project's own environment, or None (a sub-project without one is
    compared with no environment: never another project's installed versions)."""
    from envaudit.projectenvs import project_envs
    from envaudit.projects import project_of, project_roots

    project = project_of(d.path, project_roots(inv))
    return next((e for e in project_envs(inv) if e.project == project), None)


@rule(
    "DEP002",
    "unpinned-requirement",
    Severity.ERROR,
    summary="A requirement in a pinning file without an exact `==`/`===` pin",
    explanation="""
        A requirements*.txt (not a .in), an environment.yml or a Dockerfile `pip
        install` is what gets installed, so each line must name one version. `torch`,
        `torch>=2`, `torch~=2.3` and `torch==2.3.*` all install whatever is newest on
        the day, and the project silently changes under you. Pinned means exactly
        one `==` without `.*`, or `===`. A pin in a `-c` constraints file that the
        file uses counts. Markers do not excuse a missing pin: a line that applies
        on another platform is still installed there. Ranges belong in
        pyproject.toml or requirements.in, compiled into a pinned file.
    """,
    example="""
        requirements.txt:1: DEP002 [error] `torch` is not pinned (no version): pin it with `==`
    """,
    fix="""
        Pin each line to the version you tested (`torch==2.3.1`); the fix shows the
        installed version. Better: keep ranges in requirements.in and generate this
        file with `pip-compile --generate-hashes requirements.in`.
    """,
)
def unpinned_requirement(inv: Inventory) -> Iterator[Hit]:
    from envaudit.pipcmd import pip_command

    constraint_cache: dict[str, dict[str, str]] = {}
    for d in declared(inv):
        if not _is_pinning_role(d) or d.pinned or d.url is not None or d.editable or not d.name:
            continue
        penv = _env_of(inv, d)
        installed = penv.packages if penv is not None else None
        if d.source == "requirements":
            pins = constraint_cache.setdefault(d.path, _constraint_pins(inv, d.path))
            if d.name in pins:
                continue  # pinned by a -c constraints file it installs with
        what = f"`{d.specifier}`" if d.specifier else "no version"
        if d.source == "conda":
            # a conda package: its Python distribution may have another name (pytorch -> torch)
            # or none at all (pytorch-cuda, cudatoolkit); conda, not pip, knows its version
            from envaudit.condanames import pypi_name

            pypi = pypi_name(d.name)
            dist = installed.get(pypi) if pypi and installed is not None else None
            if d.specifier:
                what = f"conda's `{d.raw.split(d.name, 1)[-1].strip() or d.raw}` means `{d.specifier}`"
            fix_desc = (
                f"pin it to the version you tested: `{d.name}==<version>` (`conda list {d.name}` in that "
                "environment prints it)"
            )
        else:
            dist = installed.get(d.name) if installed is not None else None
            show = pip_command(inv, penv.target if penv is not None else None, "show", d.name)
            fix_desc = (
                f"pin it to the version you tested: `{d.name}==<version>` (`{show}` in that "
                "environment prints it)"
                if penv is not None
                else f"pin it to the version you tested: `{d.name}==<version>` (`{show}` in the "
                "environment this project is installed into prints it)"
            )
        diff = None
        other = declared_range_against(inv, d, dist.version) if dist is not None else None
        clash = contradicting_declaration(inv, d) if d.specifier else None
        if clash is not None:
            # no pin can satisfy both: say so instead of proposing one that breaks either
            fix_desc = (
                f"`{d.specifier}` here and `{clash.specifier}` at {_where(clash)} share no version "
                f"(DEP011): decide which range is right, change the other, then pin a version inside both"
            )
        elif (
            dist is not None
            and d.specifier
            and not _satisfies(d.specifier, dist.version)
            and not _satisfies(d.specifier, dist.version.split("+", 1)[0])
        ):
            # never propose a pin that breaks the project's own range
            fix_desc = (
                f"the installed {d.name} {dist.version} does not satisfy `{d.specifier}`: install a version "
                f"in that range, test with it, then pin it (`{d.name}==<that version>`)"
            )
        elif dist is not None and other is not None:
            fix_desc = _outside_text(d.name, dist.version, other)
        elif dist is not None and d.source in ("requirements", "conda-pip"):
            extras = f"[{','.join(d.extras)}]" if d.extras else ""
            marker = f"; {d.marker}" if d.marker else ""
            pinned = f"{d.name}{extras}=={dist.version}{marker}"
            fix_desc = f"pin it to the installed version: `{pinned}`"
            if d.source == "requirements":
                diff = _replace_line_diff(inv, d, pinned)
        elif dist is not None and d.source == "conda":
            public = dist.version.split("+", 1)[0]  # conda versions carry no `+cu121`
            fix_desc = f"pin it to the installed version: `{d.name}=={public}`"
        if d.source == "conda-pip":
            from envaudit.fixes.pins import PIP_SECTION_ADVICE

            fix_desc += f"; or {PIP_SECTION_ADVICE}"
        yield Hit(
            f"`{d.name}` is not pinned ({what}): pin it with `==`",
            _loc(d),
            Fix(fix_desc, diff),
            fact=d,
        )


def _satisfies(specifier: str, version: str) -> bool:
    """Whether `version` is inside the declared range (unparseable: assume not, so no pin is
    proposed on a guess)."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion, Version

    try:
        return Version(version) in SpecifierSet(specifier, prereleases=True)
    except (InvalidSpecifier, InvalidVersion):
        return False


# -------------------------------------------------------------------- DEP005
def fix_pins_command(inv: Inventory, rel: str, flags: str = "--write") -> str:
    """`envaudit fix pins` as it must be typed where the user ran envaudit to pin the file
    `rel`: its folder (relative to the cwd, as ruff prints paths) when that is not the
    cwd, and `--source NAME` when fix pins would not choose that file by itself."""
    import shlex

    from envaudit.fixes.pins import PinError, choose_source
    from envaudit.rules.git import _from_cwd

    folder, _, name = rel.rpartition("/")
    parts = ["envaudit fix pins"]
    where = _from_cwd(inv, folder)
    if where:
        parts.append(where)
    try:
        chosen: str | None = choose_source(inv.root / folder if folder else inv.root)
    except (PinError, OSError):
        chosen = None
    if chosen != name:
        parts.append(f"--source {shlex.quote(name)}")
    parts.append(flags)
    return " ".join(parts)


def _hashed(d: Declared) -> bool:
    """`--hash` options, or a URL carrying its own `#sha256=` (pip trusts both)."""
    return bool(d.hashes) or bool(d.url and _URL_HASH.search(d.url))


def _bad_hashes(requirements: list[Declared]) -> Iterator[Hit]:
    """`--hash` values pip refuses (an algorithm other than sha256/384/512) or that can
    never match (a digest of the wrong length): installing the file fails, and uv may blame
    another package for it."""
    from envaudit.pinhash import hash_problem

    for d in requirements:
        for h in d.hashes:
            problem = hash_problem(h)
            if problem is None:
                continue
            yield Hit(
                f"the `--hash` of `{d.name or d.raw}` {problem}: pip cannot check it, so installing the file fails",
                _loc(d),
                Fix("regenerate the hashes (`pip-compile --generate-hashes`, or `pip hash FILE` for one)"),
                severity=Severity.ERROR,
                fact=d,
            )


@rule(
    "DEP005",
    "missing-hashes",
    Severity.WARNING,
    summary="Pinned requirements without `--hash` (pip's hash-checking mode)",
    explanation="""
        A version pin names a release, not the bytes: a re-uploaded or compromised
        file, or a different wheel from another index, installs silently. With
        `--hash=sha256:…` on every requirement pip verifies each download (and
        turns on hash-checking mode). The mode is all-or-nothing: once one
        requirement of an install (included files too) carries a hash, or the file
        says `--require-hashes`, every requirement must, and pip refuses to install
        otherwise — those lines are errors. So is a `--hash` pip cannot check: an
        algorithm other than sha256, sha384 or sha512, or a digest of the wrong length.
    """,
    example="""
        requirements.txt: DEP005 [warning] 12 pinned requirements without --hash
        requirements.txt:7: DEP005 [error] `numpy` has no --hash, but hash-checking mode is on (requirements.txt:3 has one): pip will refuse to install
    """,
    fix="""
        Generate the file with hashes: `pip-compile --generate-hashes requirements.in`
        (or `uv pip compile --generate-hashes`).
    """,
)
def missing_hashes(inv: Inventory) -> Iterator[Hit]:
    reqs = inv.get("requirements")
    for diag in inv.diagnostics:  # `--hash` on a line of its own, which pip ignores with a warning
        if diag.code == "DEP005":
            yield Hit(
                diag.message,
                diag.location,
                Fix("end the requirement's line with ` \\` so the hash belongs to it"),
            )
    by_path: dict[str, list[Declared]] = {}
    for d in reqs.requirements:
        by_path.setdefault(d.path, []).append(d)
    yield from _bad_hashes(reqs.requirements)
    files = {f.path: f for f in reqs.files}
    strict: set[tuple[str, int]] = set()
    for f in reqs.files:
        closure = [p for p in reqs.closure(f.path) if files[p].role != "constraint"]
        members = [d for p in closure for d in by_path.get(p, ())]
        hashed = next((d for d in members if _hashed(d)), None)
        forced = next((files[p] for p in closure if files[p].require_hashes), None)
        if hashed is None and forced is None:
            continue
        why = f"{_where(hashed)} has one" if hashed is not None else f"{forced.path} says --require-hashes"  # type: ignore[union-attr]
        for d in members:
            if _hashed(d) or (d.path, d.line) in strict:
                continue
            strict.add((d.path, d.line))
            problem = "is editable" if d.editable else "has no --hash"
            yield Hit(
                f"`{d.name or d.raw}` {problem}, but hash-checking mode is on ({why}): pip will refuse to install",
                _loc(d),
                Fix("add `--hash=sha256:…` for it (pip-compile --generate-hashes writes them all)"),
                severity=Severity.ERROR,
                fact=d,
            )
    for f in reqs.files:
        if f.role != "pin":
            continue  # ranges are not installed as written; constraints install nothing
        own = by_path.get(f.path, [])
        pins = [d for d in own if d.pinned and not _hashed(d) and (d.path, d.line) not in strict]
        if not pins or any(_hashed(d) for d in own):
            continue
        tool = f.compiled_by or "pip-compile"
        cmd = (
            "uv pip compile --generate-hashes"
            if tool == "uv pip compile"
            else "pip-compile --generate-hashes"
        )
        # "from its .in file" only where there is one: a hand-written pin file gets the
        # command that writes the hashes (and keeps its requirements in a new .in)
        stem = f.path[: -len(".txt")] if f.path.endswith(".txt") else None
        source = f"{stem}.in" if stem and (inv.root / f"{stem}.in").is_file() else None
        if source is not None:
            fix = f"regenerate {f.path} with `{cmd}` from {source}"
        else:
            fix = (
                f"write the hashes with `{fix_pins_command(inv, f.path)}` (pins what the environment runs, "
                f"or --resolve with pip-compile; your requirements are kept in "
                f"{(stem or 'requirements') + '.in'})"
            )
        yield Hit(
            f"{len(pins)} pinned requirement{'s' if len(pins) != 1 else ''} without --hash "
            f"(first: `{pins[0].name}` at line {pins[0].line})",
            Location(f.path, None),
            Fix(fix),
            fact=f,
        )


# -------------------------------------------------------------- DEP006/007
def _targets(inv: Inventory) -> Iterator[Declared]:
    from envaudit.rules.locks import LOCK_SOURCES, lock_pins  # issue-3: locks pin too

    for d in [*declared(inv), *lock_pins(inv)]:
        if (
            d.source in ("requirements", "conda-pip", *LOCK_SOURCES)
            and d.role in ("pin", "constraint")
            and d.exact_version
            and d.applies
            and d.url is None
        ):
            yield d


@rule(
    "DEP006",
    "installed-drift",
    Severity.ERROR,
    summary="The target environment has a different version than the pin says",
    explanation="""
        The file says `torch==2.3.1` but the environment you run has 2.4.0: results
        come from a version nobody recorded, and a fresh install gives different
        ones. envaudit reads the target environment's site-packages (`--python`, the active
        environment, the project's `.venv/`, Poetry's, Pipenv's, conda's, …; never
        envaudit's own installation) and compares. A local
        version suffix is ignored when the pin has none (`torch==2.3.1` is satisfied
        by `2.3.1+cu121`), not the reverse. Requirements whose marker excludes the
        target interpreter are skipped.
    """,
    example="""
        requirements.txt:4: DEP006 [error] `torch` is pinned to 2.3.1 but 2.4.0 is installed (venv at .venv)
    """,
    fix="""
        Install what the file says (`pip install -r requirements.txt`, or
        `pip-sync requirements.txt`), or, if the installed version is the one you
        tested, update the pin.
    """,
)
def installed_drift(inv: Inventory) -> Iterator[Hit]:
    from envaudit.projectenvs import project_envs

    for env in project_envs(inv):  # no environment: EA004 says so once
        yield from _drift_hits(inv, env)
    if inv.image:  # `check --image NAME`: the image's distributions against the same pins
        from envaudit.rules.docker import image_dep006_hits

        yield from image_dep006_hits(inv)


def _drift_hits(inv: Inventory, env: ProjectEnv) -> Iterator[Hit]:
    """DEP006 for one project's declarations against its own environment."""
    from envaudit.pipcmd import pip_command

    packages, target = env.packages, env.target
    drifts: list[tuple[Declared, Any, str]] = []
    for d in _ordered_targets(inv, env.project):
        dist = packages.get(d.name)
        if dist is None:
            continue
        pin = ("===" if d.specifier.lstrip().startswith("===") else "==") + d.exact_version  # type: ignore[operator]
        if pin_satisfied(pin, dist.version):
            continue
        drifts.append((d, dist, pin))
    # one cause, one finding: a pin repeated in another file (a lock and its exported
    # requirements) is named in the first finding, not reported again
    first: dict[tuple[str, str], tuple[Declared, Any, str, list[str]]] = {}
    for d, dist, pin in drifts:
        key = (d.name, d.exact_version or "")
        if key in first:
            first[key][3].append(_where(d))
        else:
            first[key] = (d, dist, pin, [])
    for d, dist, pin, also in first.values():
        other = declared_range_against(inv, d, dist.version)
        update = (
            f"; not the pin: the installed {dist.version} is outside `{other.specifier}` declared at {_where(other)}"
            if other is not None
            else f" or update the pin to {dist.version}"
        )
        if d.source in _SYNC:
            # a lock is the tool's to write: sync the environment from it, or re-lock
            sync, relock = _SYNC[d.source]
            fix = f"install the environment from {d.path}: `{sync}`" + (
                update
                if other is not None
                else f"; or, if {dist.version} is the version you tested, allow it in the manifest and "
                f"re-lock with `{relock}` (never edit {d.path.rsplit('/', 1)[-1]} by hand)"
            )
        else:
            cmd = pip_command(inv, env.target, "install", f"'{d.name}{pin}'")
            fix = f"install the pinned version (`{cmd}`){update}"
        yield Hit(
            f"`{d.name}` is pinned to {d.exact_version} but {dist.version} is installed "
            f"({target.kind} at {target.prefix})" + (f"; also pinned at {', '.join(also)}" if also else ""),
            _loc(d),
            Fix(fix),
            fact={"name": d.name, "pinned": d.exact_version, "installed": dist.version, "also": also},
        )
    # a manifest's range (pyproject, setup.cfg, requirements.in, environment.yml's pip
    # section) the installed version is outside of: this project's only (a sub-project has
    # its own environment), and once per distribution (a pin drift above names the cause)
    reported = {d.name for d, _dist, _pin, _also in first.values()}
    from envaudit.projects import project_of, project_roots

    roots = project_roots(inv)
    for d in declared(inv):
        if (
            not (d.role == "range" or (d.source == "conda-pip" and d.exact_version is None))
            or not d.specifier
            or not d.applies
            or d.url is not None
            or d.name in reported
            or project_of(d.path, roots) != env.project
        ):
            continue
        dist = packages.get(d.name)
        if dist is None:
            continue
        exact = d.exact_version
        if exact is not None:
            ok = pin_satisfied(
                ("===" if d.specifier.lstrip().startswith("===") else "==") + exact, dist.version
            )
        else:
            ok = _satisfies(d.specifier, dist.version) or _satisfies(
                d.specifier, dist.version.split("+", 1)[0]
            )
        if ok:
            continue
        reported.add(d.name)
        install = pip_command(inv, env.target, "install", f"'{d.name}{d.specifier}'")
        yield Hit(
            f"`{d.name}`: installed {dist.version} does not satisfy the declared {d.specifier} "
            f"({target.kind} at {target.prefix})",
            _loc(d),
            Fix(
                f"install a version the range allows (`{install}`), or, if "
                f"{dist.version} is the one you tested, change the declared range"
            ),
            fact={"name": d.name, "declared": d.specifier, "installed": dist.version, "also": []},
        )
    # environment.yml's conda specs, read with conda's grammar (`numpy=1.26` is 1.26.*),
    # against conda-meta's record of that name (or the distribution it provides); only in
    # a conda environment: a virtualenv was not made from environment.yml
    for d, spec in _conda_specs(inv, env.project) if env.conda() else ():
        if spec.version is None and spec.build is None:
            continue
        have = _conda_installed(env, d)
        if have is None:
            continue
        version, build, _where_installed = have
        if (_pypi(d) or d.name) in reported:
            continue
        from envaudit.condaspec import matches

        if matches(spec, version, build):
            continue
        reported.add(_pypi(d) or d.name)
        shown = f"{version} ({build})" if build and spec.build else version
        yield Hit(
            f"`{spec.name}`: installed {shown} does not satisfy conda's `{spec.name}{_spec_text(spec)}` "
            f"(that is {spec.describe()}) ({target.kind} at {target.prefix})",
            _loc(d),
            Fix(
                f"install what {d.path} declares (`conda install '{spec.name}{_spec_text(spec)}'`, or "
                f"`conda env update -f {d.path} --prune`), or, if {version} is the one you tested, "
                "change the spec"
            ),
            fact={"name": d.name, "declared": spec.written, "installed": version, "build": build, "also": []},
        )


def _spec_text(spec: CondaSpec) -> str:
    w = spec.written
    return w if w[:1] in "=<>!~" else f" {w}"


def _conda_specs(inv: Inventory, project: str) -> list[tuple[Declared, CondaSpec]]:
    """environment.yml's conda lines of one project, parsed with conda's grammar (python and
    the pip tool itself are not packages of the project; an unreadable spec is EA001's)."""
    from envaudit.projects import project_of, project_roots

    roots = project_roots(inv)
    out = []
    for d in declared(inv):
        if d.source != "conda" or project_of(d.path, roots) != project:
            continue
        from envaudit.condaspec import SpecError, parse  # only with a conda file

        try:
            spec = parse(d.raw)
        except SpecError:
            continue
        out.append((d, spec))
    return out


def _conda_installed(env: ProjectEnv, d: Declared) -> tuple[str, str | None, str] | None:
    """(version, build, where) of a conda declaration in `env`: conda-meta's record of that
    conda name first, else the Python distribution it provides (installed by pip, or a
    virtualenv); None when neither is there."""
    rec = env.conda().get(d.name)
    if rec is not None:
        return rec.version, rec.build, rec.file
    pypi = _pypi(d)
    dist = env.packages.get(pypi) if pypi else None
    if dist is not None:
        return dist.version, None, dist.dist_info
    return None


@rule(
    "DEP007",
    "not-installed",
    Severity.WARNING,
    summary="A pinned dependency (for this platform's markers) is not installed in the target environment",
    explanation="""
        A pinned requirement that applies to the target interpreter (its marker, if
        any, holds there) is missing from the environment: either the environment
        was built from another file, or the code that needs it has never run here.
        Constraint-only pins (`-c`) install nothing and are not expected. A file
        whose pins are mostly missing (five or more, over half) was not installed
        here at all: one finding names it, the count and the first few. A pin
        repeated in a lock and its exported requirements is reported once, at the
        lock, naming the other place. Only the root project's pins are compared:
        a sub-project (a folder with its own manifest or lock) has its own
        environment.
    """,
    example="""
        requirements.txt:5: DEP007 [warning] `torchvision==0.18.1` is not installed in the target environment
    """,
    fix="Install the file into the environment: `pip install -r requirements.txt` (or `pip-sync`).",
)
def not_installed(inv: Inventory) -> Iterator[Hit]:
    from envaudit.projectenvs import project_envs

    for env in project_envs(inv):  # no environment: EA004 says so once
        yield from _missing_hits(inv, env)


def _missing_hits(inv: Inventory, env: ProjectEnv) -> Iterator[Hit]:
    """DEP007 for one project's pins (and conda specs) against its own environment."""
    packages = env.packages
    where = env.where
    total: dict[str, int] = {}
    missing: dict[str, list[Declared]] = {}
    text: dict[int, str] = {}  # id(declaration) -> how it is named (`numpy==1.26.4`, `numpy=1.26`)
    for d in _ordered_targets(inv, env.project):
        if d.role != "pin":
            continue
        total[d.path] = total.get(d.path, 0) + 1
        if packages.get(d.name) is None:
            missing.setdefault(d.path, []).append(d)
    # environment.yml's conda lines, in a conda environment only (a virtualenv was not made
    # from environment.yml, and cannot hold conda-only packages such as cudatoolkit)
    for d, spec in _conda_specs(inv, env.project) if env.conda() else ():
        total[d.path] = total.get(d.path, 0) + 1
        text[id(d)] = f"{spec.name}{_spec_text(spec)}" if spec.written else spec.name
        if _conda_installed(env, d) is None:
            missing.setdefault(d.path, []).append(d)

    def named(d: Declared) -> str:
        return text.get(id(d)) or f"{d.name}=={d.exact_version}"

    def key(d: Declared) -> str:  # conda's `pytorch` and pip's `torch` are one distribution
        return (_pypi(d) or d.name) if d.source == "conda" else d.name

    # One cause, one finding: a file whose pins are mostly missing was not installed here
    # (one finding for the file), and a pin repeated in another file (a lock and its
    # exported requirements) is named in the first finding, not reported again.
    out: list[tuple[Hit, list[str]]] = []
    owner: dict[str, list[str]] = {}  # name -> the `also` list of the finding that covers it
    for path, items in missing.items():
        new = [d for d in items if key(d) not in owner]
        for d in items:
            if key(d) in owner and path not in owner[key(d)] and _where(d) not in owner[key(d)]:
                owner[key(d)].append(path if len(items) >= MOSTLY_MISSING_MIN else _where(d))
        if len(items) >= MOSTLY_MISSING_MIN and len(items) * 2 > total[path]:
            also: list[str] = []
            if new:
                names = ", ".join(f"`{named(d)}`" for d in new[:5])
                more = f" and {len(new) - 5} more" if len(new) > 5 else ""
                hit = Hit(
                    f"this environment was not installed from {path}: {len(items)} of {total[path]} pins "
                    f"missing ({where}), first: {names}{more}",
                    Location(path),
                    Fix(_install_fix(inv, env, new[0], path)),
                    fact={"path": path, "missing": [d.name for d in items], "pins": total[path]},
                )
                out.append((hit, also))
            for d in new:
                owner[key(d)] = also
            continue
        for d in new:
            also = []
            out.append(
                (
                    Hit(
                        f"`{named(d)}` is not installed in the target environment ({where})",
                        _loc(d),
                        Fix(_install_fix(inv, env, d, d.path)),
                        fact=d,
                    ),
                    also,
                )
            )
            owner[key(d)] = also
    for hit, also in out:
        if also:
            hit = Hit(f"{hit.message}; also pinned at {', '.join(also)}", hit.location, hit.fix, hit.fact)
        yield hit


MOSTLY_MISSING_MIN = 5  # a file with at least this many pins missing, and more than half, is one finding


# the command that makes an environment equal to each tool's lock, and the one that
# rewrites the lock (Poetry 2.0 added `poetry sync`; `install --sync` is deprecated)
_SYNC = {
    "uv": ("uv sync", "uv lock"),
    "poetry": ("poetry sync", "poetry lock"),
    "pdm": ("pdm sync", "pdm lock"),
    "pipfile": ("pipenv sync", "pipenv lock"),
}


def _install_fix(inv: Inventory, env: ProjectEnv, d: Declared, path: str) -> str:
    from envaudit.pipcmd import pip_command

    if d.source == "requirements":
        return f"`{pip_command(inv, env.target, 'install', '-r ' + shlex.quote(path))}`"
    if d.source in _SYNC:
        return f"install the environment from {path}: `{_SYNC[d.source][0]}`"
    if d.source == "conda":
        return f"install the environment from {path}: `conda env update -f {path} --prune`"
    spec = f"'{d.name}=={d.exact_version}'"
    return f"`{pip_command(inv, env.target, 'install', spec)}`"


def _ordered_targets(inv: Inventory, project: str = "") -> list[Declared]:
    """One project's pins (each project is installed into an environment of its own; the
    root's by default), locks first (the source of truth), then the other files, each in
    line order."""
    from envaudit.projects import project_of, project_roots
    from envaudit.rules.locks import LOCK_SOURCES

    roots = project_roots(inv)
    mine = [d for d in _targets(inv) if project_of(d.path, roots) == project]
    return sorted(mine, key=lambda d: (d.source not in LOCK_SOURCES, d.path, d.line or 0))


# -------------------------------------------------------------------- DEP009
_EXTRA_ONLY = lazy_re(r"""^\s*extra\s*==\s*['"][^'"]*['"]\s*$""")


# Most Requires-Dist lines are `name[extras] (>=1,<2) ; marker`: read those with one regex
# (packaging's full parser costs ~0.5 ms a line, and a big environment has thousands).
_QUICK_REQ = lazy_re(
    r"^\s*(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[[^\]]*\])?\s*"
    r"(?P<paren>\()?\s*(?P<spec>(?:(?:===|==|~=|!=|<=|>=|<|>)\s*[A-Za-z0-9.*+!_-]+\s*,?\s*)*)(?(paren)\))"
    r"\s*(?:;\s*(?P<marker>.+?))?\s*$"
)
_CANON = lazy_re(r"[-_.]+")


def _quick_requirement(text: str) -> tuple[str, str, str | None] | None:
    m = _QUICK_REQ.match(text)
    if m is None:
        return None
    spec = re.sub(r"\s+", "", m.group("spec")).rstrip(",")
    return _CANON.sub("-", m.group("name")).lower(), spec, m.group("marker")


@lru_cache(maxsize=4096)
def _specifier(spec: str) -> Any:
    from packaging.specifiers import SpecifierSet

    return SpecifierSet(spec)


def broken_requirements(
    packages: InstalledPackages, env: dict[str, str]
) -> Iterable[tuple[Any, str, str, str | None]]:
    """(dist, requirement name, specifier, installed version or None) for each unmet
    requirement — what `pip check` reports: requirements behind an extra are ignored."""
    from packaging.version import InvalidVersion, Version

    seen: set[str] = set()
    for dist in packages.dists:
        if dist.canonical in seen:
            continue  # shadowed by an earlier site-packages entry
        seen.add(dist.canonical)
        for text in dist.requires:
            marker_part = text.partition(";")[2]
            if marker_part and _EXTRA_ONLY.match(marker_part):
                continue  # only wanted with an extra: pip check ignores these
            parsed = _quick_requirement(text)
            if parsed is None:
                try:
                    p = parse_pep508(text)
                except ValueError:
                    continue
                parsed = (p.name, p.specifier, p.marker)
            name, spec, marker = parsed
            if marker and not evaluate_marker(marker, env, ""):
                continue
            have = packages.get(name)
            if have is None:
                yield dist, name, spec, None
                continue
            if not spec:
                continue
            try:
                ok = _specifier(spec).contains(Version(have.version), prereleases=True)
            except (InvalidVersion, ValueError):
                continue
            if not ok:
                yield dist, name, spec, have.version


@rule(
    "DEP009",
    "broken-environment",
    Severity.ERROR,
    summary="Installed distributions whose own requirements are unsatisfied (what `pip check` reports)",
    explanation="""
        Each installed distribution declares what it needs (Requires-Dist in its
        metadata). When one of those is missing or at a version outside the range,
        the environment is broken: imports fail, or work by accident until the next
        install. This is what `pip check` reports, computed from the target's
        installed metadata (markers evaluated for the target interpreter,
        requirements behind extras ignored, as pip does) without running pip.
    """,
    example="""
        .venv: DEP009 [error] transformers 4.40.0 requires tokenizers<0.20,>=0.19, but tokenizers 0.15.2 is installed
    """,
    fix="""
        Install a consistent set: `pip install 'tokenizers<0.20,>=0.19'`, or rebuild the
        environment from a lock (`pip-sync requirements.txt`).
    """,
)
def broken_environment(inv: Inventory) -> Iterator[Hit]:
    from envaudit.projectenvs import env_label, project_envs

    for penv in project_envs(inv):  # no environment: EA004 says so once
        # a sub-project's own environment is named; the root's is the report's target
        subject = env_label(inv, penv.target.prefix) if penv.project else None
        for hit in _broken_hits(penv.target, penv.packages, inv):
            yield Hit(hit.message, Location(subject=subject), hit.fix, hit.fact)


def _broken_hits(target: Any, packages: InstalledPackages, inv: Inventory | None = None) -> Iterator[Hit]:
    from envaudit.pipcmd import pip_command

    def pip(args: str) -> str:
        return pip_command(inv, target, "install", args) if inv is not None else f"pip install {args}"

    env = marker_env(target)
    per_dist: dict[str, list[tuple[str, str, str | None]]] = {}
    dists: dict[str, Any] = {}
    for dist, name, spec, have in broken_requirements(packages, env):
        per_dist.setdefault(dist.canonical, []).append((name, spec, have))
        dists[dist.canonical] = dist
    for key, unmet in per_dist.items():
        dist = dists[key]
        if len(unmet) > DEP009_PER_DIST:  # a junk METADATA (200k Requires-Dist): one finding
            names = ", ".join(f"{n}{s}" for n, s, _ in unmet[:5])
            yield Hit(
                f"{dist.name} {dist.version} has {len(unmet)} unmet requirements ({names} and "
                f"{len(unmet) - 5} more); its metadata ({dist.dist_info}) looks broken",
                Location(),
                Fix("reinstall it: `" + pip(f"--force-reinstall '{dist.name}=={dist.version}'") + "`"),
                fact={"dist": dist.name, "version": dist.version, "unmet": len(unmet)},
            )
            continue
        yield from _dep009_hits(dist, unmet, pip)


DEP009_PER_DIST = 20


def _dep009_hits(
    dist: Any,
    unmet: list[tuple[str, str, str | None]],
    pip: Callable[[str], str] = lambda a: f"pip install {a}",
) -> Iterator[Hit]:
    for name, spec, have in unmet:
        if have is None:
            msg = f"{dist.name} {dist.version} requires {name}{spec}, which is not installed"
        else:
            msg = f"{dist.name} {dist.version} requires {name}{spec}, but {name} {have} is installed"
        yield Hit(
            msg,
            Location(),
            Fix("`" + pip(f"'{name}{spec}'") + "` (or rebuild the environment from its lock)"),
            fact={"dist": dist.name, "version": dist.version, "requires": f"{name}{spec}", "installed": have},
        )


# -------------------------------------------------------------------- DEP010
def _vcs_ref(url: str) -> str | None:
    body = url.split("+", 1)[1] if "+" in url.split("://", 1)[0] else url
    body = body.split("#", 1)[0]
    try:
        parts = urlsplit(body)
    except ValueError:
        return None
    path = parts.path
    if "@" in path:
        return path.rsplit("@", 1)[1]
    return None


def url_problem(d: Declared, inv: Inventory) -> str | None:
    """Why a URL/path requirement is not immutable, or None when it is."""
    return url_spec_problem(d.url or "", bool(d.hashes))


def url_fix(url: str) -> str:
    """DEP010's fix for this URL (also DEP014's, for the same URL installed by a notebook)."""
    if "+" in url.split("://", 1)[0]:
        return "pin a full commit: `…@<40-hex sha>` (`git ls-remote <repo> <branch>` prints it)"
    return "add `#sha256=<digest>` to the URL or `--hash=sha256:<digest>` to the line"


def url_spec_problem(url: str, hashed: bool = False) -> str | None:
    """Why a URL/path requirement is not immutable, or None when it is (`hashed`: a
    `--hash` goes with it)."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme.startswith(("git+", "hg+")):
        ref = _vcs_ref(url)
        if ref is None:
            return "names no revision (it installs whatever the default branch is today)"
        if not _HEX40.match(ref.lower()):
            return f"is pinned to `{ref}`, a branch or tag that can move, not a full commit hash"
        return None
    if scheme.startswith(("svn+", "bzr+")):
        ref = _vcs_ref(url)
        if ref is None or not ref.isdigit():
            return "names no fixed revision number"
        return None
    if scheme:
        if _URL_HASH.search(url) or hashed:
            return None
        return "has no `#sha256=` fragment or `--hash`, so its content can change"
    # a local path: files inside the project are versioned with it
    path = url.split("#", 1)[0]
    if not path.startswith("/") and ".." not in PurePosixPath(path).parts:
        return None
    if hashed or _URL_HASH.search(url):
        return None
    return "is a path outside the project, which nobody else has"


@rule(
    "DEP010",
    "unpinned-vcs-or-url",
    Severity.ERROR,
    summary="A VCS or URL requirement without an immutable commit or hash",
    explanation="""
        `git+https://…@main` installs whatever the branch points to today, and a
        tag can be moved; only a full 40-character commit hash names fixed code.
        A plain URL (`https://…/pkg.whl`) can be replaced on the server; pip checks
        it only with a `#sha256=` fragment or `--hash`. A path outside the project
        exists only on one machine. Paths inside the project (`-e .`, `./libs/x`)
        are versioned with it and are fine.
    """,
    example="""
        requirements.txt:3: DEP010 [error] `peft` (git+https://github.com/huggingface/peft@main) is pinned to `main`, a branch or tag that can move, not a full commit hash
    """,
    fix="""
        Pin the commit: `git+https://github.com/org/repo@<40-hex commit>#egg=name`
        (`git ls-remote https://github.com/org/repo main` prints it), or add
        `#sha256=<digest>` / `--hash=sha256:<digest>` to a URL.
    """,
)
def unpinned_vcs_or_url(inv: Inventory) -> Iterator[Hit]:
    for d in declared(inv):
        if d.url is None:
            continue
        problem = url_problem(d, inv)
        if problem is None:
            continue
        yield Hit(f"`{d.name or d.raw}` ({d.url}) {problem}", _loc(d), Fix(url_fix(d.url)), fact=d)


# -------------------------------------------------------------------- DEP011
@rule(
    "DEP011",
    "conflicting-pins",
    Severity.WARNING,
    summary="Two files pin the same distribution to different versions, or declare ranges that share no version",
    explanation="""
        requirements.txt says `numpy==1.26.4` and requirements/gpu.txt says
        `numpy==2.0.1`: which one is the tested version depends on which file
        someone installs, and installing both fails. Pins that do not apply to the
        target interpreter (markers) are not compared, local variants of one
        version (`2.3.1` and `2.3.1+cu121`) do not conflict, and a sub-project (a
        folder with its own manifest or lock) is installed apart, so its pins are
        compared only with each other. Ranges are compared too: `numpy>=1.26,<2.1`
        in one file and `numpy>=2.1` in another share no version, so no pin can
        satisfy both.
    """,
    example="""
        requirements/gpu.txt:2: DEP011 [warning] `numpy` is pinned to 2.0.1 here but to 1.26.4 at requirements.txt:3
    """,
    fix="Agree on one version in every file (or generate them all from one lock).",
)
def conflicting_pins(inv: Inventory) -> Iterator[Hit]:
    from packaging.version import InvalidVersion, Version

    from envaudit.projects import project_of, project_roots

    roots = project_roots(inv)
    first: dict[tuple[str, str], Declared] = {}  # (project, name): sub-projects are installed apart
    for d in sorted(_targets(inv), key=lambda d: (d.path, d.line)):
        key = (project_of(d.path, roots), d.name)
        prev = first.get(key)
        if prev is None:
            first[key] = d
            continue
        a, b = prev.exact_version or "", d.exact_version or ""
        try:
            same = Version(Version(a).public) == Version(Version(b).public)
        except InvalidVersion:
            same = a == b
        if same:
            continue
        yield Hit(
            f"`{d.name}` is pinned to {b} here but to {a} at {_where(prev)}",
            _loc(d),
            Fix(f"use one version of {d.name} in both files"),
            fact={"name": d.name, "versions": [a, b]},
        )
    # ranges that contradict (`numpy>=1.26,<2.1` in requirements.txt, `numpy>=2.1` in
    # pyproject.toml): no version installs under both. One finding per pair, on the later.
    seen: set[tuple[str, int | None, str, int | None]] = set()
    for d in sorted(declared(inv), key=lambda d: (d.path, d.line or 0)):
        if not d.applies or d.role == "constraint":
            continue
        other = contradicting_declaration(inv, d)
        if other is None:
            continue
        a, b = sorted((d, other), key=lambda x: (x.path, x.line or 0))
        key = (a.path, a.line, b.path, b.line)
        if key in seen:
            continue
        seen.add(key)
        yield Hit(
            f"`{b.name}` is declared `{b.specifier}` here but `{a.specifier}` at {_where(a)}: "
            "no version satisfies both",
            _loc(b),
            Fix(f"make the two declarations of {b.name} agree (one range, or ranges that overlap)"),
            fact={"name": b.name, "ranges": [a.specifier, b.specifier]},
        )


# -------------------------------------------------------------------- DEP012
def is_dev_tool(name: str) -> bool:
    return name in DEV_TOOLS or name.startswith(DEV_PREFIXES)


def _runtime(d: Declared) -> bool:
    if d.source == "requirements":
        return (
            d.role != "constraint"
            and not _DEV_FILE_RE.search(PurePosixPath(d.path).name.lower())
            and not any(_DEV_FILE_RE.search(p.lower()) for p in PurePosixPath(d.path).parts[:-1])
        )
    return d.source in ("pyproject", "poetry", "setup.cfg") and d.group is None


@rule(
    "DEP012",
    "dev-deps-mixed",
    Severity.INFO,
    summary="Test/lint tools (pytest, black, ruff, mypy, …) in the runtime requirements",
    explanation="""
        The runtime requirements are what a user, a container or a deployment
        installs. Test, lint, type-check and docs tools there make every install
        bigger and slower and pin tool versions that conflict with other projects.
        Keep them in requirements-dev.txt, an extra (`[project.optional-dependencies]
        dev`) or a dependency group (`[dependency-groups] dev`).
    """,
    example="""
        requirements.txt:9: DEP012 [info] `pytest` is a development tool in the runtime requirements
    """,
    fix="Move it to requirements-dev.txt (which can `-r requirements.txt`) or a `dev` dependency group.",
)
def dev_deps_mixed(inv: Inventory) -> Iterator[Hit]:
    for d in declared(inv):
        if d.name and is_dev_tool(d.name) and _runtime(d):
            where = "requirements-dev.txt" if d.source == "requirements" else "a `dev` dependency group"
            yield Hit(
                f"`{d.name}` is a development tool in the runtime requirements ({d.path})",
                _loc(d),
                Fix(f"move `{d.raw}` to {where}"),
                fact=d,
            )


# -------------------------------------------------------------------- DEP013
_LOCAL_VERSION = lazy_re(r"^[^+]+\+([A-Za-z0-9.]+)$")
_SOURCE_OPTS = ("-i", "--index-url", "--extra-index-url", "-f", "--find-links")
_SOURCE_OPT_RE = lazy_re(r"(?m)^\s*-?\s*(?:-i|--index-url|--extra-index-url|-f|--find-links)[\s=]+(\S+)")
_PYPI_HOSTS = ("pypi.org", "pypi.python.org", "files.pythonhosted.org")


def _serving(url: str) -> bool:
    """An index or find-links location other than PyPI (PyPI never serves a local version)."""
    host = urlsplit(url if "://" in url else f"file://{url}").hostname or ""
    return not host.endswith(_PYPI_HOSTS)


def _file_sources(inv: Inventory, path: str) -> list[str]:
    """The index / find-links locations an install of `path` sees: its own options and
    those of every file it includes, plus (for a compiled .txt) its .in source's."""
    reqs = inv.get("requirements")
    files = {f.path: f for f in reqs.files}
    paths = list(reqs.closure(path)) if path in files else [path]
    if path.endswith(".txt") and path[:-4] + ".in" in files:
        paths += reqs.closure(path[:-4] + ".in")
    out: list[str] = []
    for p in paths:
        f = files.get(p)
        if f is not None:
            for opt in f.options:
                name, _, value = opt.partition(" ")
                if name in _SOURCE_OPTS and value:
                    out.append(value)
        elif p.endswith((".yml", ".yaml")):
            text = inv.read(inv.root / p, record=False)
            if text is not None:
                out += _SOURCE_OPT_RE.findall(text.text)
    return out


def torch_index_for(local: str) -> str | None:
    """The PyTorch index that serves `+cpu`, `+cu121`, `+rocm6.1` wheels."""
    if local == "cpu" or re.fullmatch(r"cu\d{2,3}|rocm\d+(\.\d+)*|xpu", local):
        return f"https://download.pytorch.org/whl/{local}"
    return None


@rule(
    "DEP013",
    "local-version-without-index",
    Severity.ERROR,
    summary="A pin with a local version (`torch==2.3.1+cu121`) and no index that serves it",
    explanation="""
        A local version label (`+cu121`, `+cpu`, `+rocm6.1`) names a build that
        PyPI never hosts: PyPI rejects uploads with one. `pip install` of such a
        pin succeeds only on a machine whose pip configuration happens to point at
        the index that has it (PyTorch's download.pytorch.org/whl/cu121), and fails
        everywhere else with "No matching distribution". The file has to say where
        the build comes from: an `--extra-index-url`, `--index-url` or
        `--find-links` line in the same file (or the .in file it was compiled
        from), or a direct URL for the requirement.
    """,
    example="""
        requirements.txt:3: DEP013 [error] `torch==2.3.1+cu121` has a local version, but requirements.txt names no index or find-links that serves it: it installs nowhere but here
    """,
    fix="""
        Add the index line to the file, e.g. `--extra-index-url https://download.pytorch.org/whl/cu121`
        (`envaudit fix pins` writes it with the pin), or pin the PyPI build (`torch==2.3.1`).
    """,
)
def local_version_without_index(inv: Inventory) -> Iterator[Hit]:
    cache: dict[str, bool] = {}
    for d in declared(inv):
        if d.source not in ("requirements", "conda-pip") or d.role == "constraint" or d.url:
            continue
        version = d.exact_version
        m = _LOCAL_VERSION.match(version or "")
        if not m:
            continue
        if d.path not in cache:
            cache[d.path] = any(_serving(u) for u in _file_sources(inv, d.path))
        if cache[d.path]:
            continue
        index = torch_index_for(m.group(1).lower()) if d.name in _TORCH_FAMILY else None
        line = f"--extra-index-url {index}" if index else "an `--extra-index-url` / `--find-links` line"
        yield Hit(
            f"`{d.name}=={version}` has a local version, but {d.path} names no index or find-links "
            "that serves it: it installs nowhere but here",
            _loc(d),
            Fix(f"add {line} to {d.path}, or pin the public build `{d.name}=={version.split('+')[0]}`"),  # type: ignore[union-attr]
            fact=d,
        )


_TORCH_FAMILY = frozenset({"torch", "torchvision", "torchaudio", "torchtext", "torchdata", "pytorch-triton"})
