"""`envaudit check [PATH]`."""

from __future__ import annotations

from pathlib import Path

import click

from envaudit.commands._common import (
    absolute_python,
    require_selection,
    resolve_inventory,
    usage_error,
    use_color,
    write_output,
)
from envaudit.config import (
    FAIL_ON,
    Config,
    ConfigError,
    command_line_selection,
    load_config,
    parse_fail_on,
    split_codes,
)
from envaudit.report import FORMATS


@click.command()
@click.argument("path", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--python",
    "python",
    metavar="PATH",
    help="Interpreter, venv or conda env to audit (read from disk, never run). "
    "Default: the active env, then the project's .venv/venv/env, Poetry's, Pipenv's, conda's "
    "(environment.yml name), PDM's, Hatch's; never envaudit's own installation.",
)
@click.option(
    "--select", metavar="CODES", help="Comma-separated codes or prefixes to check (replaces config)."
)
@click.option("--extend-select", metavar="CODES", help="Codes or prefixes to add to the selection.")
@click.option("--ignore", metavar="CODES", help="Comma-separated codes or prefixes to skip.")
@click.option(
    "--fail-on",
    type=click.Choice(FAIL_ON, case_sensitive=False),
    help="Lowest severity that fails the run (default: error).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted(FORMATS)),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option("-o", "--output", metavar="FILE", help="Write the report to FILE instead of stdout.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings fail the run.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing for a passing run; findings only otherwise.")
@click.option("--no-color", is_flag=True, help="No ANSI colour (also: NO_COLOR set).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), help="Config file.")
@click.option(
    "--isolated",
    is_flag=True,
    help="Ignore the project's own configuration (.envaudit.toml, [tool.envaudit]): for a gate "
    "on code you do not trust, whose config could otherwise switch rules off.",
)
@click.option("--image", metavar="NAME", help="Also inspect this built Docker image.")
@click.option(
    "--rebuild-report",
    metavar="FILE",
    help="A record of `envaudit rebuild -o FILE` (checklist: clean environment).",
)
@click.option(
    "--rerun-report", metavar="FILE", help="A record of `envaudit rerun -o FILE` (checklist: re-run)."
)
@click.option(
    "--hook",
    "hook",
    metavar="ID",
    hidden=True,
    help="Set by the published pre-commit hooks (envaudit, envaudit-deps).",
)
@click.option("--statistics", is_flag=True, help="Text: a count per rule code instead of the findings.")
@click.option("--show-fixes", is_flag=True, help="Text: print each fix's diff.")
@click.option(
    "-v",
    "--verbose",
    is_flag=True,
    help="Text: every finding and every fix, nothing folded (implies --show-fixes).",
)
def check(
    path: Path,
    python: str | None,
    select: str | None,
    extend_select: str | None,
    ignore: str | None,
    fail_on: str | None,
    fmt: str,
    output: str | None,
    exit_zero: bool,
    quiet: bool,
    no_color: bool,
    config_path: Path | None,
    isolated: bool,
    image: str | None,
    rebuild_report: str | None,
    rerun_report: str | None,
    statistics: bool,
    show_fixes: bool,
    verbose: bool,
    hook: str | None,
) -> None:
    """Audit PATH (default: the current directory) and its environment."""
    from envaudit.config import validate_codes
    from envaudit.engine import run_check
    from envaudit.report import render

    if not path.exists():
        raise click.BadParameter(f"{path} does not exist", param_hint="PATH")
    root = path.resolve()
    python = absolute_python(python)
    try:
        # --isolated: only what the user passed (flags, --config FILE), as ruff's --isolated
        cfg = Config() if isolated and config_path is None else load_config(root, config_path)
        cfg = cfg.with_overrides(
            select=split_codes(select),
            extend_select=split_codes(extend_select),
            ignore=(*cfg.ignore, *(split_codes(ignore) or ())) if ignore else None,
            fail_on=parse_fail_on(fail_on) if fail_on else None,
            python=python,
            **command_line_selection(
                split_codes(select),
                split_codes(extend_select),
                split_codes(ignore),
                cfg if config_path is not None else None,
            ),
        )
        validate_codes(cfg)
        if hook == "envaudit-deps":  # both published hooks configured: never the same finding twice
            import os

            from envaudit.precommit import deps_selection, under_hook

            if under_hook(dict(os.environ)):
                cfg, note = deps_selection(Path.cwd(), cfg, dict(os.environ))
                if note is not None and not cfg.select:
                    click.echo(f"{note}; nothing else to run")
                    raise click.exceptions.Exit(0)
        require_selection(cfg)
        inv = resolve_inventory(root, cfg, python=python, image=image, prefetch=True)
        if rebuild_report or rerun_report:
            from envaudit.prove.records import reports_inventory

            records = reports_inventory(root, cfg, python, image, rebuild_report, rerun_report)
            for domain in ("rebuild_report", "rerun_report"):
                if records.has(domain):
                    inv.put(domain, records.get(domain))
        result = run_check(root, cfg, inventory=inv)
    except ConfigError as exc:
        raise usage_error(exc) from None
    color = use_color(no_color, output)
    if not (quiet and not result.findings and fmt == "text"):
        write_output(
            render(
                fmt,
                result,
                color=color,
                show_fixes=show_fixes,
                verbose=verbose,
                statistics=statistics,
                quiet=quiet,
            ),
            output,
        )
    if output not in (None, "-") and not quiet:
        counts = result.counts()
        click.echo(
            f"envaudit: wrote {fmt} report to {output} "
            f"({counts['error']} error, {counts['warning']} warning, {counts['info']} info)",
            err=True,
        )
    raise click.exceptions.Exit(0 if exit_zero else result.exit_code())
