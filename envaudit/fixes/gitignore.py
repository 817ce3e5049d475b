"""`envaudit fix gitignore`: append what .gitignore misses (GIT008), as a diff or `--write`.

The entries come from the git scanner's `git check-ignore` probes, so an entry
is proposed only when git itself says the path would not be ignored; nothing
already covered (by any .gitignore, `.git/info/exclude` or a global excludes
file) is added twice.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from envaudit.inventory import Inventory

HEADER = "# added by envaudit fix gitignore (reproducibility hygiene)"


def gaps(inv: Inventory) -> list[tuple[str, str]]:
    """(category, gitignore line) for each gap GIT008 reports, in a stable order."""
    from envaudit.scanners.git import IGNORE_PROBES

    facts = inv.get("git")
    if not facts.is_repo:
        return []
    out: list[tuple[str, str]] = []
    for cat, (_, line, only_if_present) in IGNORE_PROBES.items():
        if cat in facts.ignored_probes:
            continue
        if only_if_present and cat not in facts.present_probes:
            continue
        out.append((cat, line))
    seen: set[str] = set()
    for path in facts.untracked_weights:
        suffix = "*" + Path(path).suffix.lower()
        if suffix not in seen:
            seen.add(suffix)
            out.append(("model-weights", suffix))
    return out


def proposed(inv: Inventory) -> tuple[Path, str, str]:
    """(target, old text, new text) for the project's .gitignore."""
    target = inv.root / ".gitignore"
    from envaudit.fixes._write import UnsafeWrite, read_existing

    try:
        old = read_existing(inv.root, target)
    except (UnsafeWrite, OSError):  # linked out of the project: not read (and --write refuses it)
        old = ""
    lines = [line for _, line in gaps(inv)]
    if not lines:
        return target, old, old
    sep = "" if not old or old.endswith("\n") else "\n"
    block = ("\n" if old.strip() else "") + HEADER + "\n" + "".join(f"{x}\n" for x in lines)
    return target, old, old + sep + block


@click.command("gitignore")
@click.argument("path", default=".", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--write", is_flag=True, help="Append the missing entries to PATH/.gitignore.")
def command(path: Path, write: bool) -> None:
    """Show (or --write) the .gitignore entries GIT008 finds missing."""
    from envaudit.fixes._write import UnsafeWrite, atomic_write, unified_diff
    from envaudit.inventory import Inventory

    inv = Inventory(path)
    facts = inv.get("git")
    if not facts.available or not facts.is_repo:
        why = "git is not available" if not facts.available else f"{inv.root} is not a git repository"
        click.echo(f"envaudit: error: {why}; nothing to fix", err=True)
        raise click.exceptions.Exit(2)
    target, old, new = proposed(inv)
    if new == old:
        click.echo("envaudit: .gitignore already covers everything GIT008 checks", err=True)
        return
    if not write:
        click.echo(unified_diff(old, new, ".gitignore"), nl=False)
        return
    try:
        atomic_write(inv.root, target, new)
    except (UnsafeWrite, OSError) as exc:
        click.echo(f"envaudit: error: {exc}", err=True)
        raise click.exceptions.Exit(2) from None
    added = len(new.splitlines()) - len(old.splitlines())
    click.echo(f"envaudit: appended {added} lines to {inv.rel(target)}", err=True)
