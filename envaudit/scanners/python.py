"""The target interpreter, found and read from disk: never run.

Where it is looked for is `envaudit.envfind`'s business (never the interpreter
running envaudit unless `--python` names it). The version comes from pyvenv.cfg (`version` /
`version_info`), conda-meta, or the `lib/pythonX.Y` directory; the PEP 508
marker environment is the running one with the target's Python values put in
(or `packaging.markers.default_environment()` when the target is this process).
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from dataclasses import field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from envaudit._dataclass import dataclass
from envaudit._lazyre import lazy_re

if TYPE_CHECKING:
    from envaudit.inventory import Inventory

_LIB_RE = lazy_re(r"^(python|pypy)(\d{1,3})\.(\d{1,3})t?$")
_CONDA_PY_RE = lazy_re(r"^python-(\d{1,3}\.\d{1,3}(?:\.\d{1,4})?)-")


@dataclass(frozen=True)
class Interpreter:
    executable: str
    prefix: str
    version: str  # "3.11.7" ("" when unknown)
    version_info: tuple[int, ...]
    implementation: str  # "cpython", "pypy"
    kind: str  # "venv" | "conda" | "system"
    site_packages: tuple[str, ...]
    markers: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    found_by: str = "running interpreter"
    running: bool = False  # the interpreter running envaudit itself
    base_prefix: str | None = None  # a venv's base installation (pyvenv.cfg `home`)
    looked: tuple[str, ...] = ()  # where discovery searched before finding it (or not)
    host_version: str = ""  # with no target: the running Python, for advice only

    @property
    def found(self) -> bool:
        """False when no project environment was found (kind "none")."""
        return self.kind != "none"

    def describe(self) -> str:
        """`venv at /p/.venv (.venv/ in the project), CPython 3.11.7`, for report headers."""
        if not self.found:
            return "no environment found"
        impl = {"cpython": "CPython", "pypy": "PyPy"}.get(self.implementation, self.implementation)
        ver = f", {impl} {self.version}" if self.version else ""
        return f"{self.kind} at {self.prefix} (found by {self.found_by}){ver}"

    @property
    def minor(self) -> str:
        return ".".join(str(p) for p in self.version_info[:2])


def scan(inv: Inventory) -> Interpreter:
    """The target environment (see `envaudit.envfind` for the order). With none found, an
    Interpreter with `found` False: no site-packages, this machine's marker values, and
    `looked` saying where envaudit searched. `--python` naming nothing raises
    TargetNotFound (the CLI turns it into exit 2)."""
    from envaudit.envfind import TargetNotFound, discover

    found = discover(inv.root, inv.python_arg, inv.environ, getattr(inv, "python_label", None))
    looked = found.looked
    if found.path is not None:
        interp = _from_path(found.path, found.found_by, inv)
        why = unusable(interp)
        if why is None and interp is not None:
            return replace(interp, looked=found.looked)
        if inv.python_arg:
            raise TargetNotFound(f"--python {inv.python_arg}: {why}")
        looked = (*looked, f"{found.found_by} ({found.path}): {why}; not audited")
    return absent(looked)


def unusable(interp: Interpreter | None) -> str | None:
    """Why a found interpreter or environment cannot be audited (None: it can). A gate must
    never pass on an environment envaudit could not read: one with no site-packages (a
    bare `bin/python`, a FIFO or a device named as the interpreter) or a Python 2 one."""
    if interp is None:
        return "not a Python executable, virtualenv or conda environment"
    if interp.running:
        return None
    if not interp.site_packages:
        return f"no site-packages under {interp.prefix}, so nothing installed could be read"
    if interp.version_info and interp.version_info[0] != 3:
        return f"Python {interp.version}; envaudit audits Python 3 environments"
    return None


def absent(looked: tuple[str, ...]) -> Interpreter:
    """No project environment: nothing installed is read; markers are this machine's."""
    from packaging.markers import default_environment

    vi = sys.version_info
    return Interpreter(
        executable="",
        prefix="",
        version="",
        version_info=(),
        implementation=sys.implementation.name,
        kind="none",
        site_packages=(),
        markers={k: str(v) for k, v in default_environment().items()},
        found_by="no environment found",
        running=False,
        looked=looked,
        host_version=f"{vi.major}.{vi.minor}.{vi.micro}",
    )


def site_dirs_of(prefix: Path) -> list[str]:
    """The site-packages folders of an environment directory (read from disk)."""
    interp = _from_path(prefix, "")
    return list(interp.site_packages) if interp is not None else []


def running(found_by: str) -> Interpreter:
    from packaging.markers import default_environment

    vi = sys.version_info
    if (Path(sys.prefix) / "conda-meta").is_dir():
        kind = "conda"
    elif sys.prefix != getattr(sys, "base_prefix", sys.prefix):
        kind = "venv"
    else:
        kind = "system"
    return Interpreter(
        executable=sys.executable,
        prefix=sys.prefix,
        version=f"{vi.major}.{vi.minor}.{vi.micro}",
        version_info=(vi.major, vi.minor, vi.micro),
        implementation=sys.implementation.name,
        kind=kind,
        site_packages=tuple(_running_site_packages()),
        markers={k: str(v) for k, v in default_environment().items()},
        found_by=found_by,
        running=True,
        base_prefix=getattr(sys, "base_prefix", None),
    )


def _running_site_packages() -> list[str]:
    import site
    import sysconfig

    paths: list[str] = []
    candidates: list[str] = []
    with contextlib.suppress(AttributeError):  # very old virtualenv
        candidates += site.getsitepackages()
    candidates += [sysconfig.get_paths().get("purelib", ""), sysconfig.get_paths().get("platlib", "")]
    if site.ENABLE_USER_SITE and site.USER_SITE:
        candidates.append(site.USER_SITE)
    for c in candidates:
        if c and os.path.isdir(c) and c not in paths:
            paths.append(c)
    return paths


def _is_same_as_running(prefix: Path) -> bool:
    try:
        return prefix.resolve() == Path(sys.prefix).resolve()
    except OSError:
        return False


def _from_path(p: Path, found_by: str, inv: Inventory | None = None) -> Interpreter | None:
    """An executable, a venv dir or a conda env dir -> Interpreter (read from disk)."""
    try:
        if p.is_dir():
            prefix = p
            exe = _find_exe(prefix)
        elif p.exists():
            exe = p
            # <prefix>/bin/python or <prefix>/Scripts/python.exe or <prefix>/python.exe (conda, Windows)
            prefix = p.parent.parent if p.parent.name in ("bin", "Scripts") else p.parent
        else:
            return None
    except OSError:
        return None
    if _is_same_as_running(prefix):
        return running(found_by)
    cfg = _pyvenv_cfg(prefix / "pyvenv.cfg", inv)
    lib_versions = _lib_versions(prefix)
    if cfg is not None:
        kind = "venv"
    elif (prefix / "conda-meta").is_dir():
        kind = "conda"
    elif lib_versions or exe is not None:
        kind = "system"
    else:
        return None
    version = ""
    impl = "cpython"
    base_prefix = None
    if cfg is not None:
        version = _plain_version(cfg.get("version_info") or cfg.get("version") or "")
        if not _VERSION_RE.match(version):  # a planted pyvenv.cfg: junk is not a version
            version = ""
        impl = (cfg.get("implementation") or "cpython").lower()
        if not _IMPL_RE.match(impl):
            impl = "cpython"
        home = cfg.get("home")
        if home:
            h = Path(home)
            base_prefix = str(h.parent if h.name in ("bin", "Scripts") else h)
    if not version and kind == "conda":
        version = _conda_python(prefix)
    if not version and lib_versions:
        version = lib_versions[0][1]
    if not version and exe is not None:
        m = re.search(r"python(\d+\.\d+)", exe.name)
        version = m.group(1) if m else ""
    if lib_versions and lib_versions[0][0] == "pypy":
        impl = "pypy"
    vinfo = _vtuple(version)
    site = _site_dirs(prefix, vinfo, lib_versions)
    if (
        cfg is not None
        and cfg.get("include-system-site-packages", "").lower() == "true"
        and base_prefix
        # a venv's `home` is a base installation, never another venv: a planted pyvenv.cfg
        # naming someone's virtualenv there does not get its packages read
        and not os.path.lexists(os.path.join(base_prefix, "pyvenv.cfg"))
    ):
        site += [
            s for s in _site_dirs(Path(base_prefix), vinfo, _lib_versions(Path(base_prefix))) if s not in site
        ]
    return Interpreter(
        executable=str(exe) if exe is not None else str(prefix / "bin" / "python"),
        prefix=str(prefix),
        version=version,
        version_info=vinfo,
        implementation=impl,
        kind=kind,
        site_packages=tuple(site),
        markers=_markers_for(version, impl),
        found_by=found_by,
        running=False,
        base_prefix=base_prefix,
    )


def _find_exe(prefix: Path) -> Path | None:
    for rel in ("bin/python3", "bin/python", "Scripts/python.exe", "python.exe"):
        c = prefix / rel
        if os.path.lexists(c):
            return c
    return None


def _pyvenv_cfg(path: Path, inv: Inventory | None = None) -> dict[str, str] | None:
    from envaudit import safeio

    text, refused = safeio.read_text(path, safeio.SMALL_LIMIT)  # a FIFO here used to hang the audit
    if text is None:
        if refused is not None and not refused.missing and inv is not None:
            inv.diag(refused.message(str(path)), None)
        return None
    out = {}
    for line in text.splitlines():
        if "=" in line:
            k, _, v = line.partition("=")
            out[k.strip().lower()] = v.strip()
    return out


def _lib_versions(prefix: Path) -> list[tuple[str, str]]:
    """[(impl, "3.11")] from lib/pythonX.Y directories, newest first."""
    found = []
    for lib in ("lib", "lib64"):
        try:
            names = os.listdir(prefix / lib)
        except OSError:
            continue
        for n in names:
            m = _LIB_RE.match(n)
            if m:
                found.append((m.group(1), f"{m.group(2)}.{m.group(3)}"))
    found.sort(key=lambda t: _vtuple(t[1]), reverse=True)
    return found


def _conda_python(prefix: Path) -> str:
    try:
        names = os.listdir(prefix / "conda-meta")
    except OSError:
        return ""
    for n in sorted(names):
        m = _CONDA_PY_RE.match(n)
        if m and n.endswith(".json"):
            return m.group(1)
    return ""


# A version as pyvenv.cfg writes it (`3.11.7`, `3.13.0rc1`), an implementation name: each
# component short enough to be a number (a 5,000-digit one made int() raise)
_VERSION_RE = lazy_re(r"^\d{1,9}(?:\.\d{1,9}){0,3}[A-Za-z0-9+\-]{0,16}$")
_IMPL_RE = lazy_re(r"^[a-z][a-z0-9_]{0,31}$")

_RELEASELEVEL = {"alpha": "a", "beta": "b", "candidate": "rc"}


def _plain_version(text: str) -> str:
    """virtualenv (Poetry's, Pipenv's environments) writes `version_info = 3.11.7.final.0`,
    sys.version_info's five parts: the Python version is `3.11.7` (`3.13.0rc1` for
    `3.13.0.candidate.1`), as `python --version` and the README show it."""
    m = re.match(r"^\s*(\d+\.\d+\.\d+)\.(final|alpha|beta|candidate)\.(\d+)\s*$", text)
    if not m:
        return text
    return m.group(1) if m.group(2) == "final" else f"{m.group(1)}{_RELEASELEVEL[m.group(2)]}{m.group(3)}"


def _vtuple(version: str) -> tuple[int, ...]:
    out = []
    for part in version.split(".")[:3]:
        m = re.match(r"\d{1,9}(?!\d)", part)
        if not m:
            break
        out.append(int(m.group(0)))
    return tuple(out)


def _site_dirs(prefix: Path, vinfo: tuple[int, ...], lib_versions: list[tuple[str, str]]) -> list[str]:
    out: list[str] = []
    minors = []
    if len(vinfo) >= 2:
        minors.append(f"{vinfo[0]}.{vinfo[1]}")
    minors += [v for _, v in lib_versions if v not in minors]
    for lib in ("lib", "lib64"):
        for mv in minors:
            for impl in ("python", "pypy"):
                for t in ("", "t"):
                    d = prefix / lib / f"{impl}{mv}{t}" / "site-packages"
                    if d.is_dir() and str(d) not in out and not any(_same(d, o) for o in out):
                        out.append(str(d))
    win = prefix / "Lib" / "site-packages"
    if win.is_dir():
        out.append(str(win))
    # Debian/Ubuntu's system Python: /usr/local/lib/pythonX.Y/dist-packages, /usr/lib/python3/dist-packages
    debian = [prefix / "local" / "lib" / f"python{mv}" / "dist-packages" for mv in minors]
    debian += [prefix / "lib" / "python3" / "dist-packages"]
    debian += [prefix / "lib" / f"python{mv}" / "dist-packages" for mv in minors]
    for d in debian:
        if d.is_dir() and str(d) not in out:
            out.append(str(d))
    return out


def _same(a: Path, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _markers_for(version: str, impl: str) -> dict[str, str]:
    """The marker environment of another interpreter on this machine: platform values are
    this machine's, Python values the target's."""
    from packaging.markers import default_environment

    env = {k: str(v) for k, v in default_environment().items()}
    vinfo = _vtuple(version)
    if len(vinfo) >= 2:
        env["python_version"] = f"{vinfo[0]}.{vinfo[1]}"
        full = ".".join(str(p) for p in vinfo) if len(vinfo) == 3 else f"{vinfo[0]}.{vinfo[1]}"
        env["python_full_version"] = full
        if impl == "cpython":
            env["implementation_version"] = full
    env["implementation_name"] = impl
    env["platform_python_implementation"] = {"cpython": "CPython", "pypy": "PyPy"}.get(impl, impl)
    return env
