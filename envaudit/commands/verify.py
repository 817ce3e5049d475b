"""`envaudit verify SNAPSHOT [PATH]`: fail CI when the environment drifted from a record.

Exit codes: 0 the environment matches, 1 drift (PRV001), 2 usage error,
3 the snapshot cannot be read (PRV002).
"""

from __future__ import annotations

from pathlib import Path

import click

from envaudit.commands._common import absolute_python, resolve_inventory, usage_error, use_color, write_output
from envaudit.report import FORMATS

EXIT_UNREADABLE = 3


@click.command()
@click.argument("snapshot", type=click.Path(path_type=Path))
@click.argument("path", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--python", "python", metavar="PATH", help="Interpreter, venv or conda env to verify.")
@click.option(
    "--ignore",
    "ignore",
    multiple=True,
    metavar="PATTERN",
    help="Expected differences: fnmatch over group.key, e.g. 'git.*', 'packages.torch', 'variables.PIP_*' "
    "(repeatable, or comma-separated).",
)
@click.option(
    "--host", "include_host", is_flag=True, help="Also compare host facts (OS, kernel, CPU, memory)."
)
@click.option("--format", "fmt", type=click.Choice(sorted(FORMATS)), default="text", show_default=True)
@click.option("-o", "--output", metavar="FILE", help="Write the report to FILE instead of stdout.")
@click.option("--no-color", is_flag=True, help="No ANSI colour (also: NO_COLOR set).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), help="Config file.")
def verify(
    snapshot: Path,
    path: Path,
    python: str | None,
    ignore: tuple[str, ...],
    include_host: bool,
    fmt: str,
    output: str | None,
    no_color: bool,
    config_path: Path | None,
) -> None:
    """Compare the environment of PATH with SNAPSHOT; every difference is a PRV001
    finding. Exit 0 match, 1 drift, 2 usage error, 3 unreadable snapshot (PRV002)."""
    from envaudit.config import ConfigError, load_config
    from envaudit.engine import run_check
    from envaudit.report import render
    from envaudit.rules.provenance import VerifyRequest
    from envaudit.snapshot import SnapshotError, load

    if not path.exists():
        raise click.BadParameter(f"{path} does not exist", param_hint="PATH")
    root = path.resolve()
    patterns = tuple(p.strip() for item in ignore for p in item.split(",") if p.strip())
    try:
        record, error = load(snapshot), None
    except SnapshotError as exc:
        record, error = None, str(exc)
    try:
        cfg = load_config(root, config_path).with_overrides(
            select=("PRV001", "PRV002"), extend_select=(), ignore=(), python=python
        )
        # the environment is found as `check` finds it; `--python` naming nothing is exit 2
        inv = resolve_inventory(root, cfg, python=absolute_python(python), image=None)
        inv.put("verify", VerifyRequest(str(snapshot), record, error, patterns, include_host))
        result = run_check(root, cfg, inventory=inv)
    except ConfigError as exc:
        raise usage_error(exc) from None
    write_output(render(fmt, result, color=use_color(no_color, output)), output)
    if any(f.code == "PRV002" for f in result.findings):
        raise click.exceptions.Exit(EXIT_UNREADABLE)
    raise click.exceptions.Exit(result.exit_code())
