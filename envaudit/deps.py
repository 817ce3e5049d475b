"""Declared dependencies: one shape for a requirement from any manifest.

Every scanner that reads a manifest (requirements files, pyproject.toml,
setup.cfg, environment.yml, Dockerfile `pip install`) produces `Declared`
records, so the rules judge them the same way wherever they were written.
What counts as *pinned* is decided here once: exactly one `==` without `.*`,
or `===` (the arbitrary-equality operator).
"""

from __future__ import annotations

import re
import sys
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from envaudit._dataclass import dataclass
from envaudit._lazyre import lazy_re

if TYPE_CHECKING:
    from envaudit.scanners.python import Interpreter

_OP_RE = lazy_re(r"^\s*(===|==|~=|!=|<=|>=|<|>)\s*(.*?)\s*$")


@dataclass(frozen=True)
class Declared:
    """One declared requirement, from any manifest."""

    name: str  # canonical (packaging.utils.canonicalize_name)
    raw: str  # text as written (redacted)
    specifier: str = ""  # "==2.3.1", ">=1,<2", "" if none
    extras: tuple[str, ...] = ()
    marker: str | None = None
    url: str | None = None  # redacted
    editable: bool = False
    hashes: tuple[str, ...] = ()
    path: str = ""  # relative to the audited root
    line: int = 0  # 1-based; the first physical line of a continued requirement
    source: str = "requirements"  # requirements, pyproject, poetry, setup.cfg, conda, conda-pip, dockerfile
    role: str = "pin"  # pin | range | constraint
    group: str | None = None  # extra / dependency group
    applies: bool = True  # the marker holds for the *target* interpreter

    @property
    def exact_version(self) -> str | None:
        """The version of a single `==`/`===` pin without a wildcard, else None."""
        return exact_version(self.specifier)

    @property
    def pinned(self) -> bool:
        return is_pinned(self.specifier)


def _clauses(specifier: str) -> list[tuple[str, str]]:
    out = []
    for part in specifier.split(","):
        if not part.strip():
            continue
        m = _OP_RE.match(part)
        if not m:
            return []
        out.append((m.group(1), m.group(2)))
    return out


def is_pinned(specifier: str) -> bool:
    """Exactly one `==` clause without `.*`, or one `===` clause.

    `==2.2.*`, `~=`, ranges, `!=` and bare names are not pinned.
    """
    return exact_version(specifier) is not None


def exact_version(specifier: str) -> str | None:
    clauses = _clauses(specifier)
    if len(clauses) != 1:
        return None
    op, ver = clauses[0]
    if op == "===" and ver:
        return ver
    if op == "==" and ver and "*" not in ver:
        return ver
    return None


def pin_satisfied(pin_op_version: str, installed: str) -> bool:
    """Does the installed version satisfy an exact pin (`"==2.3.1"` / `"===x"` or a bare version)?

    `==2.3.1` is satisfied by `2.3.1+cu121` (a local version is ignored when the pin has
    none); `==2.3.1+cu121` is not satisfied by `2.3.1`. `===` compares strings.
    """
    from packaging.version import InvalidVersion, Version

    clauses = _clauses(pin_op_version) if pin_op_version[:1] in "=<>!~" else [("==", pin_op_version)]
    if len(clauses) != 1:
        return False
    op, ver = clauses[0]
    if op == "===":
        return ver.strip() == installed.strip()
    try:
        want = Version(ver)
        have = Version(installed)
    except InvalidVersion:
        return ver.strip() == installed.strip()
    if want.local is None:
        return Version(have.public) == want
    return have == want


def marker_env(interpreter: Interpreter | None) -> dict[str, str]:
    """The PEP 508 marker environment of the target interpreter (envaudit's own if None)."""
    if interpreter is not None and interpreter.markers:
        return dict(interpreter.markers)
    return dict(_default_env())


@lru_cache(maxsize=1)
def _default_env() -> tuple[tuple[str, str], ...]:
    from packaging.markers import default_environment

    return tuple(default_environment().items())


@lru_cache(maxsize=4096)
def _marker(text: str) -> Any:
    from packaging.markers import Marker

    return Marker(text)


def evaluate_marker(marker: str | None, env: dict[str, str], extra: str = "") -> bool:
    """True when the marker holds in `env`; an unparsable marker counts as holding."""
    if not marker:
        return True
    try:
        return bool(_marker(marker).evaluate({**env, "extra": extra}))
    except Exception:  # InvalidMarker, UndefinedComparison, ...
        return True


def canonical(name: str) -> str:
    from packaging.utils import canonicalize_name

    return str(canonicalize_name(name))


@dataclass(frozen=True)
class ParsedRequirement:
    name: str
    extras: tuple[str, ...]
    specifier: str
    marker: str | None
    url: str | None


@lru_cache(maxsize=8192)
def parse_pep508(text: str) -> ParsedRequirement:
    """One PEP 508 line; raises ValueError with packaging's message when invalid."""
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        req = Requirement(text)
    except InvalidRequirement as exc:
        raise ValueError(str(exc).splitlines()[0]) from None
    return ParsedRequirement(
        name=canonical(req.name),
        extras=tuple(sorted(req.extras)),
        specifier=_spec_str(req.specifier),
        marker=str(req.marker) if req.marker is not None else None,
        url=req.url,
    )


def _spec_str(spec: Any) -> str:
    # keep the order as written where possible (packaging sorts clauses)
    return ",".join(str(s) for s in spec)


def python_version_tuple(version: str) -> tuple[int, ...]:
    out = []
    for part in version.split("."):
        m = re.match(r"\d+", part)
        if not m:
            break
        out.append(int(m.group(0)))
    return tuple(out)


def running_python() -> str:
    v = sys.version_info
    return f"{v.major}.{v.minor}.{v.micro}"
