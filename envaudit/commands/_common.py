"""Helpers shared by the commands: colour, output files, usage errors."""

from __future__ import annotations

import os
import sys
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
    if output in (None, "-"):
        click.echo(text, nl=False)
        return
    path = Path(output)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        raise click.UsageError(f"cannot write {output}: {exc.strerror or exc}") from None


def usage_error(exc: ConfigError) -> click.exceptions.Exit:
    click.echo(f"envaudit: error: {exc}", err=True)
    return click.exceptions.Exit(2)
