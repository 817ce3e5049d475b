"""Shared by the fixers: diffs and safe atomic writes."""

from __future__ import annotations

import difflib
import os
import tempfile
from pathlib import Path


class UnsafeWrite(Exception):
    pass


def unified_diff(old: str, new: str, rel: str) -> str:
    return "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile=f"a/{rel}" if old else "/dev/null",
            tofile=f"b/{rel}",
        )
    )


def safe_target(root: Path, target: Path) -> Path:
    """Refuse a target that resolves outside the project (a symlink out, `..`)."""
    root = root.resolve()
    resolved = target.resolve()
    try:
        resolved.relative_to(root)
    except ValueError:
        raise UnsafeWrite(
            f"refusing to write {target}: it resolves outside the project ({resolved})"
        ) from None
    return resolved


def atomic_write(root: Path, target: Path, text: str) -> None:
    dest = safe_target(root, target)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", dir=dest.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        if dest.exists():
            os.chmod(tmp, dest.stat().st_mode & 0o7777)
        os.replace(tmp, dest)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
