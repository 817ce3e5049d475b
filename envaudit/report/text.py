"""The terminal format, ruff-like: `path:line:col: CODE [severity] message`, then the fix."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from envaudit.engine import CheckResult

_COLORS = {"error": "red", "warning": "yellow", "info": "blue"}


def render(result: CheckResult, *, color: bool = False) -> str:
    import click

    from envaudit.terminal import escape_controls as esc

    def style(text: str, **kw: object) -> str:
        return click.style(text, **kw) if color else text  # type: ignore[arg-type]

    lines: list[str] = []
    for f in result.findings:
        sev = f.severity.label
        head = f"{style(esc(str(f.location)), bold=True)}: {style(f.code, fg=_COLORS[sev], bold=True)} "
        head += f"[{style(sev, fg=_COLORS[sev])}] {esc(f.message)}"
        lines.append(head)
        if f.fix is not None:
            lines.append(f"  {style('fix:', fg='green')} {esc(f.fix.description)}")
            if f.fix.diff:
                lines.extend("    " + d for d in esc(f.fix.diff).rstrip("\n").splitlines())
    counts = result.counts()
    total = sum(counts.values())
    if total:
        lines.append("")
        lines.append(
            f"Found {total} finding{'s' if total != 1 else ''} "
            f"({counts['error']} error, {counts['warning']} warning, {counts['info']} info)"
            + (f"; {result.suppressed} suppressed" if result.suppressed else "")
            + "."
        )
    else:
        lines.append(style("All checks passed.", fg="green"))
    return "\n".join(lines) + "\n"
