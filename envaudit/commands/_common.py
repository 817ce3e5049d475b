"""Helpers shared by the commands: colour, output files, usage errors."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
import tempfile
from pathlib import Path

import click

from envaudit.config import ConfigError


def use_color(no_color: bool, output: str | None) -> bool:
    if no_color or "NO_COLOR" in os.environ or output not in (None, "-"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return sys.stdout.isatty()


def write_output(text: str, output: str | None) -> None:
    """Print, or write to `output` without ever destroying what is there: a regular file
    (or a new one) is replaced atomically (temporary file + rename, its mode kept); a
    symlink is followed and its target written the same way; anything else (a character
    device such as /dev/null, a FIFO, a socket) is written through, never replaced."""
    # a file name that is not UTF-8 reaches us as lone surrogates, which no UTF-8 stream
    # accepts: write them as `\udcff` (a valid escape inside JSON strings too)
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    if output in (None, "-"):
        click.echo(text, nl=False)
        return
    path = Path(os.path.realpath(output)) if os.path.islink(output) else Path(output)
    try:
        try:
            st: os.stat_result | None = os.stat(path)
        except FileNotFoundError:
            st = None
        if st is not None and not stat.S_ISREG(st.st_mode):
            if stat.S_ISDIR(st.st_mode):
                raise IsADirectoryError(errno.EISDIR, "is a directory")
            with open(path, "w", encoding="utf-8") as fh:  # a device or a FIFO: write through
                fh.write(text)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.chmod(tmp, (st.st_mode & 0o7777) if st is not None else 0o666 & ~_umask())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError as exc:
        raise click.UsageError(f"cannot write {output}: {exc.strerror or exc}") from None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def usage_error(exc: ConfigError) -> click.exceptions.Exit:
    click.echo(f"envaudit: error: {exc}", err=True)
    return click.exceptions.Exit(2)
