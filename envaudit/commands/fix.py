"""`envaudit fix <what>`: each fixer is a module of `envaudit.fixes` exposing a click
command named `command`; the subcommand name is the module name with `_` -> `-`."""

from __future__ import annotations

import importlib
import pkgutil

import click


class FixGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        import envaudit.fixes as pkg

        return sorted(
            m.name.replace("_", "-") for m in pkgutil.iter_modules(pkg.__path__) if not m.name.startswith("_")
        )

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.list_commands(ctx):
            return None
        module = importlib.import_module(f"envaudit.fixes.{cmd_name.replace('-', '_')}")
        cmd: click.Command = module.command
        return cmd


@click.group(cls=FixGroup)
def fix() -> None:
    """Write the fix for what `check` found. Shows a diff; `--write` writes it."""
