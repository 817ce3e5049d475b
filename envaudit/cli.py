"""The `envaudit` command line.

Subcommands live in `envaudit.commands.<name>` and are imported only when
invoked, so `envaudit --version` imports click and nothing else of weight.
Exit codes: 0 pass, 1 findings at or above fail-on, 2 usage or configuration error.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from envaudit import __version__

# name -> (module under envaudit.commands, attribute, one-line help)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "check": ("check", "check", "Audit a project and its environment for reproducibility."),
    "rules": ("rules", "rules", "List every rule: code, name, severity, summary."),
    "explain": ("rules", "explain", "Explain one rule: why it matters, an example, the fix."),
    "fix": ("fix", "fix", "Write the fix: pinned requirements, Dockerfile, .dockerignore, seeds..."),
    "snapshot": ("snapshot", "snapshot", "Record the environment (JSON or CycloneDX) for diff and verify."),
    "diff": ("diff", "diff", "Compare snapshots; with more than two, name the outliers."),
    "fleet": ("fleet", "fleet", "Snapshot every node of a Ray cluster and name the odd ones out."),
    "rebuild": (
        "rebuild",
        "rebuild",
        "Build a clean environment from the lock and compare it (installs packages).",
    ),
    "rerun": ("rerun", "rerun", "Run a command twice in fresh copies and compare the outputs (runs code)."),
    "verify": ("verify", "verify", "Fail when the environment drifted from a snapshot (PRV001/PRV002)."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        spec = COMMANDS.get(cmd_name)
        if spec is None:
            return None
        module = importlib.import_module(f"envaudit.commands.{spec[0]}")
        cmd: click.Command = getattr(module, spec[1])
        return cmd

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="envaudit")
def cli() -> None:
    """envaudit: find why an ML project will not reproduce, before it happens."""


def main(argv: list[str] | None = None) -> Any:
    import gc

    # A check allocates tens of thousands of long-lived facts and next to no reference
    # cycles: the collector's young-generation passes cost ~25 ms of a warm check to free a
    # few hundred objects. Collect 70x less often (cycles are still collected; the peak RSS
    # of a check does not move).
    gc.set_threshold(50_000)
    try:
        return cli.main(args=argv, prog_name="envaudit")
    except KeyboardInterrupt:  # pragma: no cover
        click.echo("interrupted", err=True)
        sys.exit(130)
