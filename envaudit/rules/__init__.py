"""The rule registry.

A rule is a pure function over the Inventory that yields `Hit`s. Rules are
declared with the `@rule` decorator in the modules of this package; every
module here is discovered by name, so a new rule family is a new module and
nothing else. Codes are stable (see RULES.md): never reuse one.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from envaudit.model import Hit, Severity

if TYPE_CHECKING:
    from envaudit.inventory import Inventory

CheckFn = Callable[["Inventory"], Iterable[Hit]]

CODE_RE = re.compile(r"^[A-Z]{2,4}[0-9]{3}$")


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity
    summary: str
    explanation: str
    example: str
    fix: str | None
    check: CheckFn
    late: bool = False  # runs after the others (reads what they made the Inventory scan)

    @property
    def family(self) -> str:
        return self.code.rstrip("0123456789")


_REGISTRY: dict[str, Rule] = {}
_LOADED = False


def rule(
    code: str,
    name: str,
    severity: Severity,
    *,
    summary: str,
    explanation: str,
    example: str = "",
    fix: str | None = None,
    late: bool = False,
) -> Callable[[CheckFn], CheckFn]:
    """Register a check function under a stable code."""
    if not CODE_RE.match(code):
        raise ValueError(f"bad rule code {code!r}")

    def register(fn: CheckFn) -> CheckFn:
        if code in _REGISTRY and _REGISTRY[code].check is not fn:
            raise ValueError(f"rule code {code} registered twice")
        _REGISTRY[code] = Rule(
            code=code,
            name=name,
            severity=severity,
            summary=summary.strip(),
            explanation=_dedent(explanation),
            example=_dedent(example),
            fix=_dedent(fix) if fix else None,
            check=fn,
            late=late,
        )
        return fn

    return register


def _dedent(text: str) -> str:
    import textwrap

    return textwrap.dedent(text).strip("\n")


def _load() -> None:
    global _LOADED
    if _LOADED:
        return
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")
    _LOADED = True


def all_rules() -> list[Rule]:
    _load()
    return [_REGISTRY[c] for c in sorted(_REGISTRY)]


def get_rule(code: str) -> Rule | None:
    _load()
    return _REGISTRY.get(code.upper())


def by_name(name: str) -> Rule | None:
    _load()
    for r in _REGISTRY.values():
        if r.name == name:
            return r
    return None


def families() -> set[str]:
    return {r.family for r in all_rules()}


def expand_selector(selector: str) -> list[str]:
    """`DEP` -> every DEP code, `DEP00` -> DEP001..DEP009, `DEP002` -> itself,
    `ALL` -> everything, a rule name -> its code. Raises ValueError if nothing matches."""
    sel = selector.strip()
    if not sel:
        raise ValueError("empty rule selector")
    if sel.upper() == "ALL":
        return [r.code for r in all_rules()]
    named = by_name(sel)
    if named:
        return [named.code]
    up = sel.upper()
    codes = [r.code for r in all_rules() if r.code.startswith(up)]
    if not codes:
        raise ValueError(f"unknown rule code or prefix {selector!r} (see `envaudit rules`)")
    return codes
