"""Shared by the fixers: diffs and safe atomic writes."""

from __future__ import annotations

import difflib
import os
import tempfile
from pathlib import Path


class UnsafeWrite(Exception):
    pass


def refused(exc: Exception) -> Exception:
    """Every fixer's answer to an unsafe target (outside the project, not a regular
    file): `envaudit: error: …` on stderr, exit 2, like any usage error."""
    import click

    click.echo(f"envaudit: error: {exc}", err=True)
    return click.exceptions.Exit(2)


def unified_diff(old: str, new: str, rel: str) -> str:
    """The diff shown to the user: redacted like the reports (a secret in the old file
    or the new one never reaches the terminal) and with control characters escaped.
    Only what is shown is changed: --write writes `new` as it is."""
    from envaudit.redact import redact_text
    from envaudit.terminal import escape_controls

    diff = "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile=f"a/{rel}" if old else "/dev/null",
            tofile=f"b/{rel}",
        )
    )
    return escape_controls(redact_text(diff))


def read_existing(root: Path, target: Path) -> str:
    """The current text of a file a fixer will replace ("" when there is none). A target
    that resolves outside the project, or is not a regular file, is refused unread."""
    from envaudit.boundary import outside

    if not os.path.lexists(target):
        return ""
    if outside(root, target):
        raise UnsafeWrite(f"refusing to read or replace {target}: it resolves outside the project")
    if not target.is_file():
        raise UnsafeWrite(f"refusing to read or replace {target}: it is not a regular file")
    return target.read_text(encoding="utf-8", errors="replace")


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


def _umask() -> int:
    mask = os.umask(0o022)  # the only portable way to read it: set, then restore
    os.umask(mask)
    return mask


def atomic_write(root: Path, target: Path, text: str) -> None:
    dest = safe_target(root, target)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", dir=dest.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        # mkstemp creates 0600; a written file should look like one the user wrote:
        # an existing file keeps its mode, a new one gets what the umask gives (0644)
        os.chmod(tmp, dest.stat().st_mode & 0o7777 if dest.exists() else 0o666 & ~_umask())
        os.replace(tmp, dest)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
