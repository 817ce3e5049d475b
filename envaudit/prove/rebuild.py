"""`envaudit rebuild`: a clean environment from the project's lock, built for real.

The lock (pylock.toml, uv.lock, poetry.lock, pdm.lock, Pipfile.lock, a pip-compile /
uv output, or any requirements file whose every line is pinned with `--hash`) is read
by envaudit's lock scanners and written out as one hashed requirements list; a fresh
virtual environment is made in a temporary directory and the list is installed
into it with hashes required and no resolution (`--no-deps`): with uv when it is on
PATH, with pip otherwise. pip runs isolated (`--isolated`, no config file, no PIP_*
variables): only the index options given here (--find-links, --no-index, --index-url)
apply, never this machine's own configuration.

Each package that fails is classified from the installer's own words: version not
on the index, no wheel for this platform or Python, needs a compiler, hash
mismatch. The built environment is then compared with the lock, and with a
snapshot (`--against`, the comparison `verify` makes). `--docker` builds the
project's Dockerfile instead and reads the image's packages.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from envaudit.outputwatch import run_watched
from envaudit.prove import REBUILD_SCHEMA

NOT_ON_INDEX = "version not on the index"
NO_WHEEL = "no wheel for this platform or Python"
NEEDS_COMPILER = "needs a compiler"
HASH_MISMATCH = "hash mismatch"
BUILD_FAILED = "build failed"
NOT_HASHABLE = "not installable from the lock (a direct URL, VCS or local path)"
UNPINNED = "no exact version in the lock"
# the order in which a project's locks are preferred when none is named
FORMAT_ORDER = (
    "pylock",
    "uv",
    "poetry",
    "pdm",
    "pipfile",
    "pip-compile",
    "uv-pip-compile",
    "hashed-requirements",
)
CONDA_FORMATS = ("conda-lock", "conda-explicit")
INSTALLER_TOOLS = frozenset({"pip", "setuptools", "wheel", "distribute"})


class RebuildError(Exception):
    """A usage problem: no lock, an unreadable lock, a lock this command cannot build."""


@dataclass(frozen=True)
class Pin:
    name: str
    version: str | None
    hashes: tuple[str, ...]
    source: str | None = None
    line: int | None = None


@dataclass
class RebuildResult:
    lock: str
    lock_format: str
    installer: str
    installed: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str | None, str]] = field(default_factory=list)
    drift: list[tuple[str, str | None, str | None]] = field(default_factory=list)
    against_drift: list[tuple[str, str | None, str | None]] = field(default_factory=list)
    env_path: str | None = None
    image: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.drift and not self.against_drift

    def to_record(self) -> dict[str, Any]:
        # `source` tells lock drift from snapshot drift; `recorded` is the snapshot's version
        # (a snapshot-only difference has `locked` null)
        drift = [{"name": n, "locked": a, "built": b, "source": "lock"} for n, a, b in self.drift]
        drift += [
            {"name": n, "locked": None, "built": b, "source": "snapshot", "recorded": a}
            for n, a, b in self.against_drift
        ]
        return {
            "schema": REBUILD_SCHEMA,
            "ok": self.ok,
            "installed": [{"name": n, "version": v} for n, v in self.installed],
            "failed": [{"name": n, "version": v, "reason": r} for n, v, r in self.failed],
            "drift": drift,
            # additive: what the text report's "note:" lines say (lock options not followed, ...)
            **({"notes": list(self.notes)} if self.notes else {}),
        }


# --------------------------------------------------------------------- the lock


def _canon(name: str) -> str:
    from packaging.utils import canonicalize_name

    return str(canonicalize_name(name))


def find_lock(root: Path, lock: str | None) -> tuple[str, str, list[Pin]]:
    """(relative path, format, pins) of the named lock or of the project's best one."""
    from envaudit.config import load_config
    from envaudit.inventory import Inventory

    inv = Inventory(root, config=load_config(root, None))
    locks = inv.get("locks").locks
    if lock is not None:
        from envaudit.boundary import outside, outside_message
        from envaudit.safeio import check_regular

        p = Path(lock)
        given = p if p.is_absolute() else Path.cwd() / p
        if not given.is_symlink() and not given.exists():
            raise RebuildError(f"{shown(lock)}: no such file")
        if outside(root, given):
            raise RebuildError(
                outside_message(shown(lock) or "", given)
                if given.is_symlink()
                else f"{shown(lock)}: the lock must be inside the project ({root})"
            )
        full = given.resolve()
        _, refused = check_regular(full)
        if refused is not None:
            raise RebuildError(refused.message(shown(lock) or ""))
        rel = full.relative_to(Path(os.path.realpath(root))).as_posix()
        found = next((lk for lk in locks if lk.path == rel), None)
        if found is not None:
            return rel, found.format, _pins_of(found)
        pins = _hashed_requirements(inv, rel)
        if pins is None:
            if _pinned_without_hashes(inv, rel):
                raise RebuildError(
                    f"{rel} pins without --hash, so it is not a lock rebuild can check: "
                    "run `envaudit fix pins --write` (hashes by default)"
                )
            problems = [d.message for d in inv.diagnostics if d.path == rel]
            raise RebuildError(
                f"{rel}: not a lock envaudit can read"
                + (f" ({problems[0]})" if problems else "")
                + "; use a hashed requirements file, uv.lock, poetry.lock, Pipfile.lock, pylock.toml or a conda lock"
            )
        return rel, "hashed-requirements", pins
    candidates: list[tuple[int, int, str, str, list[Pin]]] = []
    for lk in locks:
        order = FORMAT_ORDER.index(lk.format) if lk.format in FORMAT_ORDER else len(FORMAT_ORDER)
        candidates.append((lk.path.count("/"), order, lk.path, lk.format, _pins_of(lk)))
    for rel in inv.files():
        if rel.endswith(".txt") and not any(c[2] == rel for c in candidates):
            pins = _hashed_requirements(inv, rel)
            if pins:
                candidates.append(
                    (
                        rel.count("/"),
                        FORMAT_ORDER.index("hashed-requirements"),
                        rel,
                        "hashed-requirements",
                        pins,
                    )
                )
    if not candidates:
        unhashed = next(
            (r for r in inv.files() if r.endswith(".txt") and _pinned_without_hashes(inv, r)), None
        )
        if unhashed is not None:
            raise RebuildError(
                f"{unhashed} pins without --hash, so it is not a lock rebuild can check: "
                "run `envaudit fix pins --write` (hashes by default), or name another lock with --lock"
            )
        unread = _unread_locks(root, inv)
        raise RebuildError(
            f"{root}: no lock found (hashed requirements, uv.lock, poetry.lock, Pipfile.lock, pylock.toml, "
            "pdm.lock or a conda lock); make one with `envaudit fix pins` or name it with --lock"
            + (f"; not read: {'; '.join(unread[:3])}" if unread else "")
        )
    candidates.sort(key=lambda c: (c[0], c[1], c[2]))
    _, _, rel, fmt, pins = candidates[0]
    return rel, fmt, pins


_LOCK_NAME_RE = re.compile(
    r"(?:^|/)(?:uv\.lock|poetry\.lock|Pipfile\.lock|pdm\.lock|pylock(?:\.[^/]+)?\.toml"
    r"|[^/]*requirements[^/]*\.txt|conda-lock\.ya?ml)$"
)


def _unread_locks(root: Path, inv: Any) -> list[str]:
    """Why each file named like a lock was not read (unreadable, too big, not UTF-8, a FIFO,
    a symlink out of the project), each with its file and line."""
    from envaudit.boundary import outside, outside_message

    out = []
    for d in inv.diagnostics:
        if d.path and _LOCK_NAME_RE.search(d.path):
            msg = str(d.message)
            where = f"{d.path}:{d.line}" if d.line else d.path
            out.append(shown(msg if msg.startswith(d.path) else f"{where}: {msg}") or "")
    with contextlib.suppress(OSError):
        for entry in sorted(root.iterdir()):
            if _LOCK_NAME_RE.search(entry.name) and entry.is_symlink() and outside(root, entry):
                out.append(outside_message(shown(entry.name) or "", entry))
    return list(dict.fromkeys(out))


def lock_options(root: Path, rel: str) -> list[str]:
    """Notes on the index options a requirements lock carries (--index-url, --find-links,
    --trusted-host ...): rebuild does not follow them; only its own command line's apply."""
    from envaudit.safeio import read_bytes

    data, _ = read_bytes(root / rel)
    text = data.decode("utf-8", "replace") if data else ""
    out = []
    for i, line in enumerate(text.splitlines(), 1):
        m = _LOCK_OPTION_RE.match(line)
        if m:
            out.append(
                f"{rel}:{i} has `{shown(line.strip())}`: not followed (only --index-url, --find-links and "
                "--no-index given to rebuild apply)"
            )
    return out[:5]


_LOCK_OPTION_RE = re.compile(
    r"\s*(?:-i|--index-url|--extra-index-url|-f|--find-links|--trusted-host|--no-index|--pre|"
    r"--only-binary|--no-binary|--prefer-binary)(?:[\s=]|$)"
)


def _pins_of(lock: Any) -> list[Pin]:
    return [
        Pin(p.name, p.version, tuple(p.hashes), p.source, p.line)
        for p in lock.packages
        if p.applies and not p.root and not p.optional
    ]


def _pinned_without_hashes(inv: Any, rel: str) -> bool:
    """A requirements file whose every requirement is pinned with == but some lack a hash."""
    from envaudit.scanners.requirements import parse_requirements_file

    try:
        reqs = [d for d in parse_requirements_file(inv, rel) if getattr(d, "path", rel) == rel]
    except (OSError, ValueError):
        return False
    return bool(reqs) and all(d.exact_version for d in reqs) and not all(d.hashes for d in reqs)


def _hashed_requirements(inv: Any, rel: str) -> list[Pin] | None:
    """A plain requirements file counts as a lock when every requirement is pinned with hashes."""
    from envaudit.scanners.requirements import parse_requirements_file

    try:
        reqs = [d for d in parse_requirements_file(inv, rel) if getattr(d, "path", rel) == rel]
    except (OSError, ValueError):
        return None
    if not reqs or not all(d.hashes and d.exact_version for d in reqs):
        return None
    return [Pin(d.name, d.exact_version, tuple(d.hashes), d.url, d.line) for d in reqs if d.applies]


# what a lock's name, version, hash and URL may hold: they are written into the installer's
# requirements file, so a newline or a space in one would add a line or an option of the
# lock author's (`--find-links /elsewhere`, `--index-url ...`)
_NAME_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")
_VERSION_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.+!_-]*[A-Za-z0-9])?")
_HASH_RE = re.compile(r"(?:[a-z0-9]{2,16}:)?[0-9a-fA-F]{32,128}")
_URL_RE = re.compile(r"https?://[^\s\\#;'\"<>]+")
_ARCHIVE_RE = re.compile(r"\.(whl|tar\.gz|tar\.bz2|tar\.xz|tgz|zip)$", re.IGNORECASE)
INVALID_ENTRY = "not a valid {what} in the lock: not installed (a lock's entries are written into the installer's requirements, where a space or a newline would add options)"
FROM_OTHER_INDEX = (
    "from the index {src} with no hash in the lock: not installed (by name from the index given here "
    "it could be another project's package of the same name)"
)
SDIST = (
    "only a source distribution: building it runs its build script (setup.py) on this machine; "
    "pass --allow-sdist to build it"
)


def shown(text: str | None) -> str | None:
    """A lock's string as it may be printed: secrets masked, control characters escaped."""
    from envaudit.prove.safety import scrub

    if text is None:
        return None
    return scrub(text, keep_newlines=False)[:120]


def requirements_lines(
    pins: list[Pin], allow_sdist: bool = True
) -> tuple[list[str], list[tuple[str, str | None, str]]]:
    """Hashed requirement lines, and the pins that cannot be written as one (with why).
    Only what is a package name, a version, a hash and an http(s) URL is written."""
    lines, bad = [], []
    for p in pins:
        src = p.source or ""
        at = f" (line {p.line})" if p.line else ""
        if not _NAME_RE.fullmatch(p.name):
            bad.append((p.name, p.version, INVALID_ENTRY.format(what="name") + at))
            continue
        if p.version and not _VERSION_RE.fullmatch(p.version):
            bad.append((p.name, p.version, INVALID_ENTRY.format(what="version") + at))
            continue
        if any(not _HASH_RE.fullmatch(h) for h in p.hashes):
            bad.append((p.name, p.version, INVALID_ENTRY.format(what="hash") + at))
            continue
        if re.search(r"[\s\x00-\x1f\x7f]", src):
            bad.append((p.name, p.version, INVALID_ENTRY.format(what="source") + at))
            continue
        direct = bool(_URL_RE.fullmatch(src)) and bool(_ARCHIVE_RE.search(src.split("?")[0]))
        index_name = bool(_NAME_RE.fullmatch(src))  # Pipfile.lock's `"index": "private"`
        if src and not _URL_RE.fullmatch(src) and not index_name:  # git, path, folder, file:, a path
            bad.append((p.name, p.version, NOT_HASHABLE))
            continue
        if src and not direct and not p.hashes:
            bad.append((p.name, p.version, FROM_OTHER_INDEX.format(src=shown(src))))
            continue
        if not p.version and not direct:
            bad.append((p.name, None, UNPINNED))
            continue
        if direct and not allow_sdist and not src.split("?")[0].lower().endswith(".whl"):
            bad.append((p.name, p.version, SDIST))
            continue
        hashes = " ".join(f"--hash={h if ':' in h else 'sha256:' + h}" for h in p.hashes)
        if direct:  # a direct file URL
            lines.append(f"{p.name} @ {src} {hashes}".strip())
        else:
            lines.append(f"{p.name}=={p.version} {hashes}".strip())
    return lines, bad


# ---------------------------------------------------------------- the installer


def isolated_env() -> dict[str, str]:
    """This process's environment without any installer configuration."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_", "PYTHONPATH"))}
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["UV_NO_CONFIG"] = "1"
    return env


def site_packages(env_dir: Path) -> Path | None:
    found = sorted(env_dir.glob("lib/python*/site-packages")) or sorted(env_dir.glob("Lib/site-packages"))
    return found[0] if found else None


def env_python(env_dir: Path) -> Path:
    unix = env_dir / "bin" / "python"
    return unix if unix.exists() else env_dir / "Scripts" / "python.exe"


_NOT_FOUND_RE = re.compile(
    r"Could not find a version that satisfies the requirement (\S+?)==(\S+?)(?: \(from versions: ([^)]*)\))?$",
    re.MULTILINE,
)
_NO_MATCH_RE = re.compile(r"No matching distribution found for (\S+?)==(\S+)", re.MULTILINE)
_HASH_BLOCK_RE = re.compile(
    r"^\s+(\S+?)==(\S+) from .*:\n\s+Expected sha256 (\S+)\n\s+Got\s+(\S+)", re.MULTILINE
)
_WHEEL_TAG_RE = re.compile(r"Skipping link: none of the wheel's tags \(([^)]*)\).*?/([^/\s]+\.whl)")
_REQUIRES_PY_RE = re.compile(
    r"Link requires a different Python \(([^)]*)\): \S*?/([^/\s]+?)(?:#|$|\s)", re.MULTILINE
)
_BUILD_FAIL_RE = re.compile(
    r"(?:Failed to build|Building wheel for|Getting requirements to build wheel for|Preparing metadata .* for)\s+(\S+)"
)
_FAILED_BUILD_RE = re.compile(r"ERROR: Failed (?:to )?build(?:ing wheel for)?:?\s+(.+)$", re.MULTILINE)
_COMPILER_RE = re.compile(
    r"command '[^']*(?:gcc|cc|g\+\+|clang|cl\.exe)' failed|error: command '.*?' failed|"
    r"Microsoft Visual C\+\+|unable to execute '?(?:gcc|cc|x86_64-linux-gnu-gcc)|"
    r"(?:gcc|cc|c\+\+|clang): (?:error|No such file)|No CMAKE_C_COMPILER|"
    r"Python\.h: No such file|fatal error: [\w/]+\.h: No such file|Unknown compiler|"
    r"can't find Rust compiler|could not find .*compiler",
    re.IGNORECASE,
)


# uv's words (it stops at the first resolution error too, as pip does)
_UV_NOT_FOUND_RE = re.compile(
    r"Because (\S+?) was not found in the (?:provided package locations|package registry)"
)
_UV_NO_VERSION_RE = re.compile(
    r"Because there is no version of (\S+?)==(\S+)\s|"
    r"Because only (\S+?)(?:[<>=!~]=?[^\s,]+)? (?:is|are) available and you require (\S+?)==([^\s,]+),"
)
_UV_NO_WHEEL_RE = re.compile(
    r"Because (\S+?)==(\S+?) has no wheels with a matching ([\w ]+?) tag|"
    r"Because (\S+?)==(\S+?) (?:requires|depends on) Python ?([^\s,]+)"
)
# wheels only (no --allow-sdist): the package has a source distribution but no wheel
_PIP_NO_SOURCES_RE = re.compile(r"Skipping link: No sources permitted for (\S+?):")
_UV_NO_BUILD_RE = re.compile(
    r"Because (\S+?)==(\S+?) has no usable wheels\b[^\n]*(?:\n(?!\S*error)[^\n]*)*?building from source is disabled"
)
_UV_HASH_RE = re.compile(r"Hash mismatch for `(\S+?)==(\S+?)`")
# what uv prints after "Hash mismatch for `x==1`": Expected: <hash> ... Computed: <hash>
_UV_HASH_VALUES_RE = re.compile(r"\s*Expected:\s*(\S+)\s*Computed:\s*(\S+)")
_UV_BUILD_RE = re.compile(r"Failed to build `(\S+?)(?:==(\S+?))?(?: @ \S+)?`")


def _classify_uv(output: str, pins: dict[str, Pin]) -> dict[str, tuple[str, str | None, str]]:
    out: dict[str, tuple[str, str | None, str]] = {}

    def version(name: str, given: str | None) -> str | None:
        return given or (pins[name].version if name in pins else None)

    for m in _UV_NO_BUILD_RE.finditer(output):
        name = _canon(m.group(1))
        out.setdefault(name, (name, m.group(2), SDIST))
    for m in _UV_HASH_RE.finditer(output):
        name = _canon(m.group(1))
        both = _UV_HASH_VALUES_RE.match(output, m.end())
        why = (
            _mismatch(both.group(1), both.group(2))
            if both
            else f"{HASH_MISMATCH} (the file's sha256 is not the lock's)"
        )
        out.setdefault(name, (name, m.group(2), why))
    for m in _UV_NO_WHEEL_RE.finditer(output):
        if m.group(1):
            name, why = _canon(m.group(1)), f"{NO_WHEEL} (no wheel with a matching {m.group(3)} tag)"
            out.setdefault(name, (name, m.group(2), why))
        else:
            name = _canon(m.group(4))
            out.setdefault(name, (name, m.group(5), f"{NO_WHEEL} (it requires Python {m.group(6)})"))
    for m in _UV_NO_VERSION_RE.finditer(output):
        name = _canon(m.group(1) or m.group(3))
        out.setdefault(name, (name, m.group(2) or m.group(5), NOT_ON_INDEX))
    for m in _UV_NOT_FOUND_RE.finditer(output):
        name = _canon(m.group(1))
        out.setdefault(name, (name, version(name, None), NOT_ON_INDEX))
    for m in _UV_BUILD_RE.finditer(output):
        name = _canon(m.group(1))
        reason = NEEDS_COMPILER if _COMPILER_RE.search(output) else BUILD_FAILED
        out.setdefault(name, (name, version(name, m.group(2)), _build_reason(reason, output)))
    return out


def _mismatch(expected: str, got: str) -> str:
    """Both hashes in full (at most 128 hex digits each), and where they start to differ."""
    from envaudit.pinhash import first_difference

    e, g = expected[:140], got[:140]
    at = first_difference(e.partition(":")[2] or e, g.partition(":")[2] or g)
    return f"{HASH_MISMATCH}: the lock has {e}, the file has {g} (they differ from hex digit {at})"


def _dist_name(filename: str) -> str:
    return _canon(filename.split("-", 1)[0])


def classify(output: str, pins: dict[str, Pin]) -> list[tuple[str, str | None, str]]:
    """The packages pip (or uv) names as failed in `output`, each with the reason."""
    out: dict[str, tuple[str, str | None, str]] = _classify_uv(output, pins)
    for m in _HASH_BLOCK_RE.finditer(output):
        name = _canon(m.group(1))
        out[name] = (
            name,
            m.group(2),
            _mismatch(f"sha256:{m.group(3)}", f"sha256:{m.group(4)}"),
        )
    tags: dict[str, list[str]] = {}
    for m in _WHEEL_TAG_RE.finditer(output):
        tags.setdefault(_dist_name(m.group(2)), []).append(m.group(1))
    sdist_only = {_canon(m.group(1)) for m in _PIP_NO_SOURCES_RE.finditer(output)}
    pyreq: dict[str, list[str]] = {}
    for m in _REQUIRES_PY_RE.finditer(output):
        pyreq.setdefault(_dist_name(m.group(2)), []).append(m.group(1))
    for m in list(_NOT_FOUND_RE.finditer(output)) + list(_NO_MATCH_RE.finditer(output)):
        name, version = _canon(m.group(1)), m.group(2)
        if name in out:
            continue
        if name in sdist_only and name not in tags:
            reason = SDIST
        elif name in tags:
            reason = f"{NO_WHEEL} (only wheels tagged {', '.join(sorted(set(tags[name]))[:3])})"
        elif name in pyreq:
            reason = f"{NO_WHEEL} (it requires Python {pyreq[name][0].split('not in: ')[-1]})"
        else:
            versions = m.group(3) if m.re is _NOT_FOUND_RE else None
            avail = f" (the index has: {versions})" if versions and versions != "none" else ""
            reason = f"{NOT_ON_INDEX}{avail}"
        out[name] = (name, version, reason)
    built = _FAILED_BUILD_RE.search(output)
    if built:
        for raw in re.split(r"[,\s]+", built.group(1)):
            if not raw.strip():
                continue
            name = _canon(raw.strip())
            if name in out or name not in pins:
                continue
            reason = NEEDS_COMPILER if _COMPILER_RE.search(output) else BUILD_FAILED
            out[name] = (name, pins[name].version, _build_reason(reason, output))
    # a build error pip reported before naming the package in a summary line
    if not out and ("subprocess-exited-with-error" in output or "metadata-generation-failed" in output):
        for m in _BUILD_FAIL_RE.finditer(output):
            name = _canon(m.group(1).split("==")[0].strip("()'\""))
            if name in pins and name not in out:
                reason = NEEDS_COMPILER if _COMPILER_RE.search(output) else BUILD_FAILED
                out[name] = (name, pins[name].version, _build_reason(reason, output))
    return list(out.values())


_MISSING_HEADER_RE = re.compile(
    r"fatal error: '?([\w./+-]+\.h(?:h|pp)?)'?(?::)? (?:No such file or directory|file not found)"
)


def _build_reason(reason: str, output: str) -> str:
    header = _MISSING_HEADER_RE.search(output)
    if header:  # a compiler ran: what is missing is a library's headers, not a compiler
        name = header.group(1)
        package = (
            "python3-dev, or python3.X-dev for the Python used" if name == "Python.h" else "its -dev package"
        )
        return f"{BUILD_FAILED}: missing header {name} (install {package})"
    m = _COMPILER_RE.search(output)
    return f"{reason} ({m.group(0).strip()[:120]})" if m else reason


def _last_error(output: str) -> str:
    errors = [ln.strip() for ln in output.splitlines() if ln.strip().startswith(("ERROR:", "error:", "×"))]
    return (errors[-1] if errors else (output.strip().splitlines() or ["no output"])[-1])[:300]


@dataclass
class Installer:
    name: str  # "pip" | "uv"
    index_args: list[str]
    progress: Callable[[str], None]
    find_links: tuple[Path, ...] = ()
    offline: bool = False  # --no-index: the find-links directories are all there is
    same_python: bool = True  # the new environment's interpreter is this one (its tags are ours)
    allow_sdist: bool = False  # build source distributions (runs their build scripts)

    def make_env(self, env_dir: Path, python: str) -> None:
        if self.name == "uv":
            cmd = [shutil.which("uv") or "uv", "venv", "--no-config", "--python", python, str(env_dir)]
        else:
            cmd = [python, "-m", "venv", "--without-pip", str(env_dir)]
        proc = run_watched(cmd, env=isolated_env(), timeout=600)
        if proc.returncode != 0:
            raise RebuildError(
                f"cannot create a virtual environment in {env_dir}: {_last_error(proc.stderr + proc.stdout)}"
            )

    def install(self, env_dir: Path, req: Path, hashes: bool) -> tuple[int, str]:
        target = str(env_python(env_dir))
        if self.name == "uv":
            cmd = [
                shutil.which("uv") or "uv",
                "pip",
                "install",
                "--no-config",
                "--python",
                target,
                "--no-deps",
            ]
            cmd += ["--require-hashes"] if hashes else []
            cmd += [] if self.allow_sdist else ["--no-build"]
        else:
            cmd = [
                sys.executable,
                "-m",
                "pip",
                "--isolated",
                "--python",
                target,
                "install",
                "--no-deps",
                "-vv",
            ]
            cmd += ["--require-hashes"] if hashes else []
            cmd += [] if self.allow_sdist else ["--only-binary", ":all:"]
            cmd += ["--no-input", "--disable-pip-version-check", "--no-warn-script-location"]
        cmd += [*self.index_args, "-r", str(req)]
        proc = run_watched(cmd, env=isolated_env(), timeout=3600)
        return proc.returncode, proc.stdout + "\n" + proc.stderr


def pick_installer(requested: str) -> str:
    if requested == "auto":
        return "uv" if shutil.which("uv") else "pip"
    if requested == "uv" and not shutil.which("uv"):
        raise RebuildError("--installer uv: uv is not on PATH")
    return requested


# ----------------------------------------------------------------------- rebuild


MAX_ATTEMPTS = 25
NOT_ATTEMPTED = (
    f"not attempted: the installer stopped at {MAX_ATTEMPTS} earlier failures (fix those and rebuild)"
)


def precheck(
    pins: list[Pin], dirs: tuple[Path, ...], allow_sdist: bool = True
) -> list[tuple[str, str | None, str]]:
    """Offline (--no-index --find-links), every missing file is found at once, by the
    names of the files in the directories (pip would stop at the first)."""
    from packaging.tags import sys_tags
    from packaging.utils import (
        InvalidSdistFilename,
        InvalidWheelFilename,
        parse_sdist_filename,
        parse_wheel_filename,
    )

    files: dict[
        str, dict[str, list[frozenset[Any] | None]]
    ] = {}  # name -> version -> [wheel tags | None=sdist]
    for d in dirs:
        try:
            entries = list(d.iterdir())
        except OSError:
            continue
        for f in entries:
            try:
                if f.name.endswith(".whl"):
                    name, ver, _, tags = parse_wheel_filename(f.name)
                    files.setdefault(str(name), {}).setdefault(str(ver), []).append(frozenset(tags))
                elif f.name.endswith((".tar.gz", ".zip")):
                    name, ver = parse_sdist_filename(f.name)
                    files.setdefault(str(name), {}).setdefault(str(ver), []).append(None)
            except (InvalidWheelFilename, InvalidSdistFilename, ValueError):
                continue
    ours = set(sys_tags())
    out = []
    for p in pins:
        if p.version is None or p.source or not _NAME_RE.fullmatch(p.name):
            continue  # an invalid entry is named by requirements_lines
        from packaging.version import InvalidVersion, Version

        try:
            want = str(Version(p.version))
        except InvalidVersion:
            continue
        have = files.get(p.name, {})
        if want not in have:
            versions = ", ".join(sorted(have, key=_version_key))
            out.append(
                (p.name, p.version, NOT_ON_INDEX + (f" (the index has: {versions})" if versions else ""))
            )
            continue
        kinds = have[want]
        wheel = any(tags & ours for tags in kinds if tags is not None)
        if not wheel and not allow_sdist and None in kinds:
            out.append((p.name, p.version, SDIST))
            continue
        if None not in kinds and not wheel:
            shown = sorted({str(t) for tags in kinds if tags is not None for t in tags})[:3]
            out.append((p.name, p.version, f"{NO_WHEEL} (only wheels tagged {', '.join(shown)})"))
    return out


def check_hashes(rel: str, pins: list[Pin]) -> None:
    """Refuse a lock with a hash pip cannot check (an algorithm other than sha256/384/512, a
    digest of the wrong length or not hex) before any installer runs: pip refuses the
    whole file and uv blames every package of it, so no failure would name the culprit."""
    from envaudit.pinhash import hash_problem

    bad = []
    for p in pins:
        for h in p.hashes:
            problem = hash_problem(h, default="sha256")
            if problem is not None:
                where = f"{rel}:{p.line}" if p.line else rel
                bad.append(f"{where}: the hash of `{shown(p.name)}` {shown(problem)}")
                break
    if bad:
        more = f" (and {len(bad) - 3} more)" if len(bad) > 3 else ""
        raise RebuildError(
            "; ".join(bad[:3]) + more + "; nothing was installed: fix the lock's hashes "
            "(regenerate it, or `pip hash FILE` for one file)"
        )


def _version_key(v: str) -> Any:
    from packaging.version import InvalidVersion, Version

    try:
        return (0, Version(v))
    except InvalidVersion:
        return (1, v)


def _line_name(line: str) -> str:
    return re.split(r"[=@ ]", line, maxsplit=1)[0]


def install_pins(
    installer: Installer, env_dir: Path, pins: list[Pin], scratch: Path
) -> tuple[list[tuple[str, str | None, str]], list[str]]:
    """Install the pins; on failure, set the failed packages aside and try the rest
    again, so every failure is named (pip stops at the first)."""
    by_name = {p.name: p for p in pins}
    failed = precheck(pins, installer.find_links, installer.allow_sdist) if installer.offline else []
    gone = {f[0] for f in failed}
    lines, bad = requirements_lines([p for p in pins if p.name not in gone], installer.allow_sdist)
    failed += bad
    notes: list[str] = []
    hashed = [ln for ln in lines if "--hash=" in ln]
    bare = [ln for ln in lines if "--hash=" not in ln]
    if bare:
        names = ", ".join(_line_name(ln) for ln in bare[:5])
        notes.append(
            f"{len(bare)} package(s) have no hash in the lock ({names}...): installed without hash checking"
        )
    for group, with_hashes in ((hashed, True), (bare, False)):
        todo = list(group)
        attempt = 0
        while todo:
            attempt += 1
            req = scratch / f"requirements-{'hashed' if with_hashes else 'bare'}-{attempt}.txt"
            req.write_text("\n".join(todo) + "\n", encoding="utf-8")
            installer.progress(
                f"installing {len(todo)} package(s) with {installer.name}"
                + (" (hashes required)" if with_hashes else "")
            )
            code, output = installer.install(env_dir, req, with_hashes)
            if code == 0:
                break
            found = [f for f in classify(output, by_name) if any(_line_name(ln) == f[0] for ln in todo)]
            if not found:  # pip failed in a way it did not pin on a package: say what it said
                for ln in todo:
                    name = _line_name(ln)
                    failed.append((name, by_name[name].version, f"install failed: {_last_error(output)}"))
                break
            if attempt >= MAX_ATTEMPTS:  # one failure per attempt: bounded, and said so
                failed.extend(found)
                names = {f[0] for f in found}
                for ln in todo:
                    name = _line_name(ln)
                    if name not in names:
                        failed.append((name, by_name[name].version, NOT_ATTEMPTED))
                break
            for f in found:
                installer.progress(_scrub_long(f"failed: {f[0]} {f[1] or ''}: {f[2]}"))
            failed.extend(found)
            names = {f[0] for f in found}
            todo = [ln for ln in todo if _line_name(ln) not in names]
    return failed, notes


def rebuild(
    root: Path,
    *,
    lock: str | None = None,
    find_links: tuple[str, ...] = (),
    no_index: bool = False,
    index_url: str | None = None,
    against: str | None = None,
    keep: Path | None = None,
    docker: bool = False,
    installer: str = "auto",
    python: str | None = None,
    progress: Callable[[str], None] = lambda _m: None,
    allow_sdist: bool = False,
) -> RebuildResult:
    rel, fmt, pins = find_lock(root, lock)
    if fmt in CONDA_FORMATS:
        raise RebuildError(
            f"{rel}: a {fmt} lock is installed by conda, not pip; rebuild reads pip locks "
            f"(conda: `conda create --prefix DIR --file {rel}`, then `envaudit verify`)"
        )
    progress(f"lock: {rel} ({fmt}, {len(pins)} packages)")
    if docker:
        return _rebuild_docker(root, rel, fmt, pins, against, progress)
    check_hashes(rel, pins)
    tool = pick_installer(installer)
    index_args: list[str] = []
    if no_index:
        index_args.append("--no-index")
    if index_url:
        index_args += ["--index-url", index_url]
    for fl in find_links:
        index_args += ["--find-links", str(Path(fl).resolve()) if "://" not in fl else fl]
    local = tuple(Path(fl).resolve() for fl in find_links if "://" not in fl)
    same = python is None or Path(python).resolve() == Path(sys.executable).resolve()
    # the offline precheck reads the find-links folders: it needs them all to be folders
    offline = no_index and same and len(local) == len(find_links)
    inst = Installer(tool, index_args, progress, local, offline, same, allow_sdist)
    result = RebuildResult(rel, fmt, tool)
    with tempfile.TemporaryDirectory(prefix="envaudit-rebuild-") as tmp:
        scratch = Path(tmp)
        env_dir = keep.resolve() if keep is not None else scratch / "env"
        if keep is not None and env_dir.exists() and any(env_dir.iterdir()):
            raise RebuildError(f"--keep {keep}: the directory exists and is not empty")
        progress(f"creating a fresh environment in {env_dir}")
        inst.make_env(env_dir, python or sys.executable)
        result.failed, result.notes = install_pins(inst, env_dir, pins, scratch)
        sp = site_packages(env_dir)
        result.installed = _installed(sp)
        result.drift = lock_drift(pins, result.installed, result.failed)
        if against:
            result.against_drift = snapshot_drift(root, against, env_dir)
        result.env_path = str(env_dir) if keep is not None else None
    result.notes = lock_options(root, rel) + result.notes if fmt in _REQUIREMENTS_FORMATS else result.notes
    return sanitized(result)


_REQUIREMENTS_FORMATS = ("hashed-requirements", "pip-compile", "uv-pip-compile")


def sanitized(result: RebuildResult) -> RebuildResult:
    """Every string of the result as it may be printed (text, JSON, -o): a lock's names and
    versions, an installer's words and an index URL come with secrets masked and control
    characters escaped (a name cannot carry a newline or an ANSI escape to the terminal)."""

    def s(x: str | None) -> str | None:
        return None if x is None else shown(x)

    result.installed = [(s(n) or "", s(v) or "") for n, v in result.installed]
    result.failed = [(s(n) or "", s(v), _scrub_long(r)) for n, v, r in result.failed]
    result.drift = [(s(n) or "", s(a), s(b)) for n, a, b in result.drift]
    result.against_drift = [(s(n) or "", s(a), s(b)) for n, a, b in result.against_drift]
    result.notes = [_scrub_long(n) for n in result.notes]
    result.lock = shown(result.lock) or ""
    return result


def _scrub_long(text: str) -> str:
    from envaudit.prove.safety import scrub

    return scrub(text, keep_newlines=False)[:600]


def _installed(sp: Path | None) -> list[tuple[str, str]]:
    if sp is None:
        return []
    from envaudit.scanners.packages import read_site_packages

    dists = read_site_packages(str(sp))
    return sorted((d.canonical, d.version) for d in dists if d.canonical not in INSTALLER_TOOLS)


def lock_drift(
    pins: list[Pin], installed: list[tuple[str, str]], failed: list[tuple[str, str | None, str]]
) -> list[tuple[str, str | None, str | None]]:
    from packaging.version import InvalidVersion, Version

    def same(a: str, b: str) -> bool:
        try:
            return Version(a) == Version(b)
        except InvalidVersion:
            return a == b

    built = dict(installed)
    failed_names = {f[0] for f in failed}
    out = []
    for p in pins:
        if p.name in failed_names or p.name in INSTALLER_TOOLS:
            continue
        have = built.get(p.name)
        if have is None or p.version is None or not same(have, p.version):
            out.append((p.name, p.version, have))
    locked = {p.name for p in pins}
    out += [(n, None, v) for n, v in installed if n not in locked]
    return sorted(out)


def snapshot_drift(root: Path, against: str, env_dir: Path) -> list[tuple[str, str | None, str | None]]:
    """The packages (and the Python version) that differ from the snapshot: verify's
    comparison, between the snapshot and the rebuilt environment."""
    from envaudit.snapshot import SnapshotError, compare, load, snapshot

    try:
        record = load(against)
    except SnapshotError as exc:
        raise RebuildError(f"--against {against}: {exc}") from None
    built = snapshot(root, str(env_python(env_dir)))
    diff = compare([record, built], ["snapshot", "rebuilt"])
    out: list[tuple[str, str | None, str | None]] = []
    for change in diff.changes:
        if change.group not in ("packages", "python"):
            continue
        a, b = change.values
        if change.group == "packages":
            if change.key in INSTALLER_TOOLS:
                continue
            out.append((change.key, _version(a), _version(b)))
        elif change.key in ("version", "implementation"):
            out.append((f"python.{change.key}", _text(a), _text(b)))
    return sorted(out)


def _version(v: Any) -> str | None:
    """A package's version in a diff value (a dict), None where the record lacks it."""
    if isinstance(v, dict):
        return v.get("version")
    return v if isinstance(v, str) else None


def _text(v: Any) -> str | None:
    return str(v) if isinstance(v, str | int | float) else None


# ------------------------------------------------------------------------ docker


def _rebuild_docker(
    root: Path, rel: str, fmt: str, pins: list[Pin], against: str | None, progress: Callable[[str], None]
) -> RebuildResult:
    if against:
        raise RebuildError(
            "--against compares a rebuilt virtual environment; it cannot be used with --docker"
        )
    dockerfile = root / "Dockerfile"
    if not dockerfile.is_file():
        raise RebuildError(f"--docker: {root} has no Dockerfile")
    try:
        import docker
        import docker.errors
    except ImportError as exc:
        raise RebuildError(f"--docker needs the Docker SDK ({exc})") from None
    try:
        client = docker.from_env(timeout=600)
        client.ping()
    except Exception as exc:
        raise RebuildError(
            f"--docker: the Docker daemon is not reachable ({type(exc).__name__}: {exc})"
        ) from None
    tag = (
        "envaudit-rebuild/"
        + (re.sub(r"[^a-z0-9._-]+", "-", root.name.lower()).strip("-.") or "project")
        + ":latest"
    )
    result = RebuildResult(rel, fmt, "docker", image=tag)
    progress(f"docker build -t {tag} {root}")
    error = None
    try:
        for chunk in client.api.build(
            path=str(root), tag=tag, rm=True, forcerm=True, decode=True, pull=False
        ):
            if "stream" in chunk:
                for line in str(chunk["stream"]).splitlines():
                    if line.strip():
                        progress(f"  {_scrub_long(line.rstrip())}")
            if "error" in chunk:
                error = str(chunk["error"]).strip()
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
    if error:
        result.failed.append(("<docker build>", None, error[:500]))
        return sanitized(result)
    from envaudit.inventory import Inventory

    facts = Inventory(root, image=tag).get("image")
    if facts is None or not facts.available:
        result.failed.append(
            ("<docker image>", None, getattr(facts, "reason", "the image could not be read"))
        )
        return sanitized(result)
    result.installed = sorted(
        (d.canonical, d.version) for d in facts.dists if d.canonical not in INSTALLER_TOOLS
    )
    result.drift = [d for d in lock_drift(pins, result.installed, []) if d[1] is not None]
    return sanitized(result)
