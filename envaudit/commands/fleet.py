"""`envaudit fleet [PATH]`: snapshot every node of a Ray cluster and diff them."""

from __future__ import annotations

import re
from pathlib import Path

import click

from envaudit.commands._common import write_output


@click.command()
@click.argument("path", default=".")
@click.option("--address", metavar="ADDR", help="Ray cluster address (default: RAY_ADDRESS or 'auto').")
@click.option(
    "--python", "python", metavar="PATH", help="Interpreter to record on each node (default: the worker's)."
)
@click.option(
    "--save",
    "save_dir",
    metavar="DIR",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also write each node's snapshot to DIR/snap-NODE.json.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True
)
@click.option("-o", "--output", metavar="FILE", help="Write the diff to FILE instead of stdout.")
@click.option("--ignore", "ignore", multiple=True, metavar="PATTERN", help="Skip keys matching PATTERN.")
@click.option("--timeout", default=300.0, show_default=True, help="Seconds to wait for every node.")
def fleet(
    path: str,
    address: str | None,
    python: str | None,
    save_dir: Path | None,
    fmt: str,
    output: str | None,
    ignore: tuple[str, ...],
    timeout: float,
) -> None:
    """Record PATH (as seen on each node; default: this directory's absolute path) on
    every node of a Ray cluster, then diff them and name the outliers. Exit 0 if all
    nodes agree, 1 if they differ, 2 if the cluster cannot be reached."""
    from envaudit.fleet import FleetError, gather
    from envaudit.snapshot import compare, dumps
    from envaudit.snapshot.diff import RENDERERS
    from envaudit.snapshot.filters import drop_ignored

    try:
        results = gather(str(Path(path).absolute()), address=address, python=python, timeout=timeout)
    except FleetError as exc:
        click.echo(f"envaudit: error: {exc}", err=True)
        raise click.exceptions.Exit(2) from None
    if save_dir is not None:
        save_dir.mkdir(parents=True, exist_ok=True)
        for label, record in results:
            safe = re.sub(r"[^A-Za-z0-9._-]+", "_", label)
            (save_dir / f"snap-{safe}.json").write_text(dumps(record), encoding="utf-8")
    if len(results) == 1:
        click.echo(f"envaudit: the cluster has one node ({results[0][0]}): nothing to compare", err=True)
        raise click.exceptions.Exit(0)
    result = drop_ignored(compare([r for _, r in results], [label for label, _ in results]), ignore)
    text = RENDERERS[fmt](result)
    if fmt != "json":
        from envaudit.terminal import escape_controls

        text = escape_controls(text)
    write_output(text, output)
    raise click.exceptions.Exit(0 if result.identical else 1)
