"""Regular expressions compiled on first use, not at import.

`re.compile` parses and compiles in pure Python (0.1-5 ms a pattern); envaudit has
over a hundred module-level patterns and a run uses a fraction of them. A module
writes `NAME = lazy_re(r"...", re.M)` where it wrote `NAME = re.compile(...)`; the
first attribute looked up (`NAME.search`, `NAME.pattern`, ...) compiles the pattern
and binds that attribute on the instance, so later calls cost what a compiled
pattern's bound method costs. Typed as `re.Pattern[str]`, which it behaves as for
every method and attribute (not for `isinstance` or as an argument to `re.sub`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, cast


class _LazyPattern:
    def __init__(self, pattern: str, flags: int) -> None:
        self._args = (pattern, flags)
        self.pattern = pattern  # as the compiled one's; reading it compiles nothing

    def __getattr__(self, name: str) -> Any:
        # only reached for names not yet bound on the instance
        if name.startswith("__"):
            raise AttributeError(name)
        value = getattr(re.compile(*self._args), name)
        setattr(self, name, value)
        return value

    def __repr__(self) -> str:
        return f"lazy_re({self._args[0]!r}, {self._args[1]!r})"


def lazy_re(pattern: str, flags: int | re.RegexFlag = 0) -> re.Pattern[str]:
    return cast("re.Pattern[str]", _LazyPattern(pattern, int(flags)))


class _BuiltPattern(_LazyPattern):
    def __init__(self, build: Callable[[], str], flags: int) -> None:
        self._build = build
        self._flags = flags

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("_args", "_build", "_flags"):
            raise AttributeError(name)
        if "_args" not in vars(self):
            self._args = (self._build(), self._flags)
            self.pattern = self._args[0]
            if name == "pattern":
                return self.pattern
        return super().__getattr__(name)


def lazy_re_built(build: Callable[[], str], flags: int | re.RegexFlag = 0) -> re.Pattern[str]:
    """As `lazy_re`, for a pattern text that is itself costly to build (a trie of words):
    `build()` runs on first use too."""
    return cast("re.Pattern[str]", _BuiltPattern(build, int(flags)))
