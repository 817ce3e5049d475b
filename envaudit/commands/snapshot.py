"""`envaudit snapshot [PATH]`: record the environment as JSON or a CycloneDX SBOM."""

from __future__ import annotations

from pathlib import Path

import click

from envaudit.commands._common import absolute_python, resolve_inventory, usage_error, write_output


@click.command()
@click.argument("path", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("-o", "--output", metavar="FILE", help="Write the snapshot to FILE instead of stdout.")
@click.option(
    "--python",
    "python",
    metavar="PATH",
    help="Interpreter, venv or conda env to record (read from disk, never run); "
    "found as `check` finds it when omitted.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "cyclonedx"]),
    default="json",
    show_default=True,
    help="envaudit's snapshot JSON (read by diff/verify) or a CycloneDX 1.6 SBOM.",
)
@click.option(
    "--validate",
    is_flag=True,
    help="With --format cyclonedx: validate the SBOM against the CycloneDX 1.6 JSON schema (slow).",
)
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), help="Config file.")
def snapshot(
    path: Path, output: str | None, python: str | None, fmt: str, validate: bool, config_path: Path | None
) -> None:
    """Record PATH's environment: Python, every distribution, lockfile digests, git,
    CUDA, the variables that matter, data checksums. Compare with `envaudit diff`,
    check CI against it with `envaudit verify`."""
    from envaudit.config import ConfigError, load_config
    from envaudit.snapshot import build_snapshot, dumps

    if not path.exists():
        raise click.BadParameter(f"{path} does not exist", param_hint="PATH")
    root = path.resolve()
    try:
        cfg = load_config(root, config_path)
        # found the way `check` finds it; `--python` naming nothing is exit 2 here too
        inv = resolve_inventory(root, cfg, python=absolute_python(python), image=None)
    except ConfigError as exc:
        raise usage_error(exc) from None
    record = build_snapshot(inv)
    if fmt == "cyclonedx":
        from envaudit.snapshot.cyclonedx import CycloneDXError, to_cyclonedx

        try:
            text = to_cyclonedx(record, validate=validate)
        except CycloneDXError as exc:
            click.echo(f"envaudit: error: {exc}", err=True)
            raise click.exceptions.Exit(2) from None
    else:
        text = dumps(record)
    write_output(text, output)
    if output not in (None, "-"):
        n = len(record.get("packages") or {})
        missing = ", ".join(record.get("unavailable") or {}) or "none"
        click.echo(
            f"envaudit: wrote {fmt} snapshot to {output} ({n} distributions; not recorded: {missing})",
            err=True,
        )
