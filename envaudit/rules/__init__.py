"""The rule registry.

A rule is a pure function over the Inventory that yields `Hit`s. Rules are
declared with the `@rule` decorator in the modules of this package; every
module here is discovered by name, so a new rule family is a new module and
nothing else. Codes are stable (see RULES.md): never reuse one.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from envaudit._dataclass import dataclass
from envaudit._lazyre import lazy_re
from envaudit.model import Hit, Severity

if TYPE_CHECKING:
    from envaudit.inventory import Inventory

CheckFn = Callable[["Inventory"], Iterable[Hit]]

CODE_RE = lazy_re(r"^[A-Z]{2,4}[0-9]{3}$")


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


def _rule_index() -> dict[str, tuple[str, str]]:
    """code -> (module, name), without importing any rule module: selecting and
    validating codes must not cost the import of every rule family (~150 ms)."""
    from envaudit.rules._index import RULES

    return RULES


def known_codes() -> list[str]:
    """Indexed codes plus any registered at run time (a plugin, a test)."""
    return sorted(set(_rule_index()) | set(_REGISTRY))


def _names() -> dict[str, str]:
    """rule name -> code, from the index and the registry."""
    names = {name: code for code, (_module, name) in _rule_index().items()}
    names.update({r.name: r.code for r in _REGISTRY.values()})
    return names


def load_rules(codes: Iterable[str]) -> list[Rule]:
    """The Rule objects of `codes`, importing only the modules that define them."""
    wanted = sorted({c.upper() for c in codes})
    for code in wanted:
        entry = _rule_index().get(code)
        if entry is not None:
            importlib.import_module(f"{__name__}.{entry[0]}")
    if any(c not in _REGISTRY for c in wanted):  # an index older than the code: be right, then slow
        _load()
    return [_REGISTRY[c] for c in wanted if c in _REGISTRY]


def all_rules() -> list[Rule]:
    _load()
    return [_REGISTRY[c] for c in sorted(_REGISTRY)]


def get_rule(code: str) -> Rule | None:
    found = load_rules([code])
    return found[0] if found else None


def by_name(name: str) -> Rule | None:
    code = _names().get(name)
    return get_rule(code) if code else None


def build_index() -> dict[str, tuple[str, str]]:
    """The index as the registry says it should be (`python -m envaudit.rules` writes it)."""
    return {r.code: (r.check.__module__.rsplit(".", 1)[-1], r.name) for r in all_rules()}


def expand_selector(selector: str) -> list[str]:
    """`DEP` -> every DEP code, `DEP00` -> DEP001..DEP009, `DEP002` -> itself,
    `ALL` -> everything, a rule name -> its code. Raises ValueError if nothing matches."""
    sel = selector.strip()
    if not sel:
        raise ValueError("empty rule selector")
    if sel.upper() == "ALL":
        return known_codes()
    if sel in _names():
        return [_names()[sel]]
    up = sel.upper()
    codes = [c for c in known_codes() if c.startswith(up)]
    if not codes:
        raise ValueError(f"unknown rule code or prefix {selector!r} (see `envaudit rules`)")
    return codes
