"""Helpers shared by the commands: colour, output files, usage errors."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from envaudit.config import Config, ConfigError

if TYPE_CHECKING:
    from envaudit.inventory import Inventory


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
        import tempfile

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


def require_selection(cfg: Config) -> None:
    """An empty selection (`--select ''`, `select = []`, or everything ignored) runs no rule
    and would pass every gate: a usage error instead."""
    if not cfg.selected_codes():
        named = ", ".join((*cfg.select, *cfg.extend_select)) or "nothing"
        raise ConfigError(
            f"the selection is empty (select: {named}; ignore: {', '.join(cfg.ignore) or 'nothing'}): "
            "no rule would run; select at least one code or prefix, or ALL"
        )


def resolve_inventory(
    root: Path, cfg: Config, *, python: str | None, image: str | None, prefetch: bool = False
) -> Inventory:
    """The Inventory with what the user named resolved up front: an environment (`--python`,
    `python =`) that names nothing, or an image that cannot be inspected, is a usage error
    (exit 2), never a run that passes without looking. `prefetch`: start the scans the
    selected rules will wait on (git) now, in the background (`check`)."""
    from envaudit.inventory import Inventory

    refused = cfg.python_refusal() if python is None else None
    if refused:  # a setting that cannot be obeyed: never audit another environment instead
        raise ConfigError(refused)
    inv = Inventory(root, config=cfg, python=python, image=image)
    if prefetch:
        from envaudit.engine import prefetch_for

        prefetch_for(inv, cfg)
    try:
        _resolve(inv, cfg, python, image)
    except BaseException:
        inv.drop_prefetched()
        raise
    return inv


def _resolve(inv: Inventory, cfg: Config, python: str | None, image: str | None) -> None:
    from envaudit.envfind import TargetNotFound

    if inv.python_arg is not None:
        try:
            inv.get("python")
        except TargetNotFound as exc:
            where = f" ({cfg.source})" if python is None and cfg.source else ""
            raise ConfigError(f"{exc}{where}") from None
    if image:
        facts = inv.get("image")
        if facts is None or not facts.available:
            reason = facts.reason if facts is not None else "not inspected"
            raise ConfigError(f"--image {image}: cannot be inspected ({reason})")


def absolute_python(python: str | None) -> str | None:
    """`--python` relative to where the user typed it (a relative `python` in the config is
    the project's); a bare `python3.11` is looked up on PATH."""
    if not python or not python.strip():
        return python  # empty: refused by discovery (exit 2), never a silent fallback
    python = os.path.expanduser(python)
    if os.sep in python or os.path.exists(python):
        python = os.path.abspath(python)
    return python
