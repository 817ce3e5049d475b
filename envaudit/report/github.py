"""`--format github`: GitHub Actions workflow commands, one annotation per finding.

`::error file=requirements.txt,line=3,col=1,title=DEP002 unpinned-requirement::message`
(error, warning, and `notice` for info). `file=` is relative to the repository root
(a monorepo's `services/train/requirements.txt`), where GitHub looks for it. Values are escaped the way the Actions
runner unescapes them: `%`, CR and LF in the message; additionally `:` and `,`
in property values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from envaudit.engine import CheckResult

LEVELS = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(result: CheckResult, *, color: bool = False) -> str:
    from pathlib import Path

    from envaudit.model import Location
    from envaudit.report._paths import repo_prefix

    # GitHub resolves `file=` against the repository checkout, not the audited folder
    prefix = repo_prefix(Path(result.root))
    lines = []
    for f in result.findings:
        props = []
        loc = f.location
        if loc.path is not None and loc.line is None and not (Path(result.root) / loc.path).exists():
            # a file the finding asks for (`no .dockerignore`): a project-level annotation,
            # as ruff and hadolint give for project issues, not one on a file that is not there
            loc = Location()
        if loc.path is not None:
            props.append(f"file={escape_property(prefix + loc.path)}")
            if loc.line is not None:
                props.append(f"line={loc.line}")
                if loc.column is not None:
                    props.append(f"col={loc.column}")
        props.append(f"title={escape_property(f'{f.code} {f.name}')}")
        message = f.message if loc.path is not None else f"{f.message} ({loc})"  # `(.venv)`, `(project)`
        if f.fix is not None:
            message += f"\nFix: {f.fix.description}"
        lines.append(f"::{LEVELS[f.severity.label]} {','.join(props)}::{escape_data(message)}")
    counts = result.counts()
    lines.append(
        f"envaudit: {counts['error']} error, {counts['warning']} warning, {counts['info']} info"
        + (" (failed)" if result.failed() else " (passed)")
    )
    return "\n".join(lines) + "\n"
