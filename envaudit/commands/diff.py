"""`envaudit diff A B [C ...]`: what differs between snapshots; with more than
two, which snapshot is the outlier."""

from __future__ import annotations

from pathlib import Path

import click

from envaudit.commands._common import write_output


@click.command()
@click.argument("snapshots", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
)
@click.option("-o", "--output", metavar="FILE", help="Write the diff to FILE instead of stdout.")
@click.option(
    "--ignore", "ignore", multiple=True, metavar="PATTERN", help="Skip keys matching PATTERN (e.g. 'host.*')."
)
def diff(snapshots: tuple[Path, ...], fmt: str, output: str | None, ignore: tuple[str, ...]) -> None:
    """Compare snapshot files. Exit 0 if identical, 1 if they differ, 2 if one is unreadable."""
    from envaudit.snapshot import SnapshotError, compare, load
    from envaudit.snapshot.diff import RENDERERS
    from envaudit.snapshot.filters import drop_ignored
    from envaudit.snapshot.serialise import to_jsonable

    if len(snapshots) < 2:
        raise click.UsageError("give at least two snapshots to compare")
    records = []
    for p in snapshots:
        try:
            # a snapshot given to diff may hold credentials (hand-made, an older envaudit):
            # every value is redacted as a snapshot envaudit writes is
            records.append(to_jsonable(load(p)))
        except SnapshotError as exc:
            click.echo(f"envaudit: error: PRV002 snapshot-unreadable: {exc}", err=True)
            raise click.exceptions.Exit(2) from None
    labels = _labels(snapshots)
    result = drop_ignored(compare(records, labels), ignore)
    text = RENDERERS[fmt](result)
    if fmt != "json":  # snapshot text (package names, variables) never drives the terminal
        from envaudit.terminal import escape_controls

        text = escape_controls(text)
    write_output(text, output)
    raise click.exceptions.Exit(0 if result.identical else 1)


def _labels(paths: tuple[Path, ...]) -> list[str]:
    """File names, or the paths as given where two share a name."""
    names = [p.name for p in paths]
    if len(set(names)) == len(names):
        return names
    return [str(p) for p in paths]
