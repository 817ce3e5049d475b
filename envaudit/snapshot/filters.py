"""`--ignore PATTERN`: fnmatch patterns over `group.key` (`packages.torch`,
`variables.CUDA_*`, `git.*`, `host.*`); a bare group name drops the group."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable

from envaudit.snapshot.diff import DiffResult, KeyDiff


def is_ignored(change: KeyDiff, patterns: Iterable[str]) -> bool:
    name = change.name
    for pat in patterns:
        pat = pat.strip()
        if not pat:
            continue
        if pat == change.group or fnmatch.fnmatchcase(name, pat):
            return True
        # `packages.torch` also covers nested keys under it (`git.remotes[origin].url` by `git.remotes*`)
        if name.startswith(pat + ".") or name.startswith(pat + "["):
            return True
    return False


def drop_ignored(result: DiffResult, patterns: Iterable[str]) -> DiffResult:
    pats = [p for p in patterns if p.strip()]
    if not pats:
        return result
    kept = [c for c in result.changes if not is_ignored(c, pats)]
    return DiffResult(result.labels, kept, result.notes)
