"""`envaudit rebuild [PATH]`: build a clean environment from the project's lock and
compare it with the lock (and with a snapshot). Installs packages; runs no project code.

Exit codes: 0 everything installed and matches, 1 a package failed or drifted, 2 usage error.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from envaudit.commands._common import write_output


@click.command()
@click.argument("path", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--lock", "lock", metavar="FILE", help="The lock to build from (default: the project's best one)."
)
@click.option(
    "--find-links",
    "find_links",
    multiple=True,
    metavar="DIR",
    help="Also look for wheels in DIR (repeatable).",
)
@click.option("--no-index", is_flag=True, help="Do not use a package index (only --find-links).")
@click.option("--index-url", metavar="URL", help="The package index (default: the installer's, i.e. PyPI).")
@click.option(
    "--docker", is_flag=True, help="Build the project's Dockerfile and compare the image's packages."
)
@click.option(
    "--against", metavar="SNAPSHOT", help="Also compare the rebuilt environment with this snapshot."
)
@click.option(
    "--keep",
    metavar="DIR",
    type=click.Path(file_okay=False, path_type=Path),
    help="Build the environment in DIR and keep it (default: a temporary directory, removed).",
)
@click.option(
    "--installer",
    type=click.Choice(["auto", "pip", "uv"]),
    default="auto",
    show_default=True,
    help="auto: uv when it is on PATH, pip otherwise.",
)
@click.option(
    "--python", "python", metavar="PATH", help="Interpreter of the new environment (default: this one)."
)
@click.option(
    "--allow-sdist",
    is_flag=True,
    help="Build packages the lock has only as source distributions (this runs their build scripts, "
    "setup.py, on this machine). Default: wheels only.",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("-o", "--record", "record_path", metavar="FILE", help="Also write the JSON record to FILE.")
@click.option("-q", "--quiet", is_flag=True, help="No progress on stderr.")
def rebuild(
    path: Path,
    lock: str | None,
    find_links: tuple[str, ...],
    no_index: bool,
    index_url: str | None,
    docker: bool,
    against: str | None,
    keep: Path | None,
    installer: str,
    python: str | None,
    allow_sdist: bool,
    fmt: str,
    record_path: str | None,
    quiet: bool,
) -> None:
    """Create a fresh environment from PATH's lock (hashes required, no resolution),
    name each package that fails and why, and compare what was built with the lock
    and, with --against, with a snapshot. The machine's pip configuration is ignored:
    only the index options given here apply."""
    from envaudit.prove.rebuild import RebuildError
    from envaudit.prove.rebuild import rebuild as do_rebuild

    if not path.is_dir():
        raise click.BadParameter(f"{path} is not a directory", param_hint="PATH")
    if no_index and not find_links:
        raise click.UsageError("--no-index needs --find-links DIR: there would be nowhere to install from")
    for fl in find_links:
        if "://" not in fl and not Path(fl).is_dir():
            raise click.BadParameter(f"{fl} is not a directory", param_hint="--find-links")

    def progress(msg: str) -> None:
        if not quiet:  # every progress line is scrubbed: it quotes lock names, paths, installers
            from envaudit.prove.safety import scrub

            click.echo(f"envaudit rebuild: {scrub(msg, keep_newlines=False)}", err=True)

    try:
        result = do_rebuild(
            path.resolve(),
            lock=lock,
            find_links=find_links,
            no_index=no_index,
            index_url=index_url,
            against=against,
            keep=keep,
            docker=docker,
            installer=installer,
            python=python,
            progress=progress,
            allow_sdist=allow_sdist,
        )
    except RebuildError as exc:
        from envaudit.prove.safety import scrub

        click.echo(f"envaudit: error: {scrub(str(exc))}", err=True)
        raise click.exceptions.Exit(2) from None
    record = result.to_record()
    text = json.dumps(record, indent=2) + "\n"
    if record_path:
        write_output(text, record_path)
    write_output(text if fmt == "json" else render_text(result), None)
    raise click.exceptions.Exit(0 if result.ok else 1)


def render_text(result: Any) -> str:
    what = f"image {result.image}" if result.image else f"a fresh environment ({result.installer})"
    lines = [f"Rebuilt {what} from {result.lock} ({result.lock_format})"]
    lines.append(f"  installed: {len(result.installed)} package(s)")
    for note in result.notes:
        lines.append(f"  note: {note}")
    if result.failed:
        lines.append(f"  failed: {len(result.failed)} package(s)")
        for name, version, reason in result.failed:
            lines.append(f"    RUN001 {name}{'==' + version if version else ''}: {reason}")
    if result.drift:
        lines.append("  differs from the lock:")
        for name, locked, built in result.drift:
            lines.append(
                f"    RUN002 {name}: locked {locked or '(not in the lock)'}, built {built or '(not installed)'}"
            )
    if result.against_drift:
        lines.append("  differs from the snapshot:")
        for name, then, now in result.against_drift:
            lines.append(f"    RUN002 {name}: snapshot {then or '(absent)'}, built {now or '(absent)'}")
    if result.env_path:
        lines.append(f"  kept in {result.env_path}")
    lines.append("")
    lines.append(
        "Clean environment OK: everything in the lock installed and matches."
        if result.ok
        else "Clean environment FAILED."
    )
    return "\n".join(lines) + "\n"
