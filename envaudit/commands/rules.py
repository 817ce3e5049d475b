"""`envaudit rules` and `envaudit explain CODE`."""

from __future__ import annotations

import json

import click


@click.command()
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True
)
@click.option("--select", metavar="CODES", help="Only these codes or prefixes.")
def rules(fmt: str, select: str | None) -> None:
    """List every rule: code, name, default severity, summary."""
    from envaudit.config import split_codes
    from envaudit.rules import all_rules, expand_selector

    chosen = all_rules()
    if select:
        try:
            codes = {c for s in split_codes(select) or () for c in expand_selector(s)}
        except ValueError as exc:
            click.echo(f"envaudit: error: {exc}", err=True)
            raise click.exceptions.Exit(2) from None
        chosen = [r for r in chosen if r.code in codes]
    if fmt == "json":
        data = [
            {"code": r.code, "name": r.name, "severity": r.severity.label, "summary": r.summary}
            for r in chosen
        ]
        click.echo(json.dumps(data, indent=2))
        return
    if fmt == "markdown":
        from envaudit.templating import render_template

        click.echo(render_template("rules.md.j2", rules=chosen), nl=False)
        return
    width = max((len(r.name) for r in chosen), default=10)
    for r in chosen:
        click.echo(f"{r.code}  {r.name:<{width}}  {r.severity.label:<7}  {r.summary}")


@click.command()
@click.argument("code")
def explain(code: str) -> None:
    """Explain CODE (or a rule name): why it matters, an example, and the fix."""
    from envaudit.rules import by_name, get_rule

    r = get_rule(code) or by_name(code)
    if r is None:
        click.echo(f"envaudit: error: unknown rule {code!r} (see `envaudit rules`)", err=True)
        raise click.exceptions.Exit(2)
    click.echo(f"{r.code} {r.name} ({r.severity.label})\n")
    click.echo(f"{r.summary}.\n")
    click.echo(r.explanation + "\n")
    if r.example:
        click.echo("Example:\n")
        click.echo("\n".join("    " + line for line in r.example.splitlines()) + "\n")
    if r.fix:
        click.echo("Fix:\n")
        click.echo(r.fix)
