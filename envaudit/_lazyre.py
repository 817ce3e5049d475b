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
