"""fnmatch for patterns taken from the audited project (.dockerignore, .gitignore-style
excludes, configuration): the same matching, with a length limit.

`fnmatch.translate` looks for the closing `]` from every `[`, so a 200k-character
pattern of `[` takes minutes to compile. No real pattern is longer than a path
(PATH_MAX is 4096 on Linux); a longer one is junk and matches nothing. Scanners that
read patterns report the ones they drop (`too_long`).
"""

from __future__ import annotations

import fnmatch

MAX_PATTERN = 4096


def too_long(pattern: str) -> bool:
    return len(pattern) > MAX_PATTERN


def fnmatchcase(name: str, pattern: str) -> bool:
    """`fnmatch.fnmatchcase`, False for a pattern longer than MAX_PATTERN."""
    if len(pattern) > MAX_PATTERN:
        return False
    return fnmatch.fnmatchcase(name, pattern)
