"""The audited project's boundary: envaudit never reads outside the project root.

A requirements file can name `-r /etc/hostname` or `-c ../../secrets.txt`; a
Dockerfile or requirements file can be a symlink to anywhere. Such a path is not read:
the caller reports a finding that names the path (never its content).
"""

from __future__ import annotations

import os
from pathlib import Path


def outside(root: Path | str, path: Path | str, *, real_root: str | None = None) -> bool:
    """Whether `path`, every symlink resolved, lies outside `root` (also resolved;
    `real_root`: that resolution, already made by a caller that checks many paths)."""
    try:
        real = os.path.realpath(path)
        base = real_root if real_root is not None else os.path.realpath(root)
    except (OSError, ValueError):
        return True
    return not (real == base or real.startswith(base.rstrip(os.sep) + os.sep))


def outside_message(shown: str, path: Path | str) -> str:
    """The finding's text: names the path, says why it was not read."""
    how = "is a symlink to a file outside the project" if os.path.islink(path) else "is outside the project"
    return f"{shown} {how}; not read (envaudit reads only files under the audited root)"
