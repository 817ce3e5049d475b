"""`--format markdown`: the report for a pull request, a wiki page or a paper's
artifact appendix (rendered from templates/report.md.j2).

Inputs are escaped for Markdown *and* for the HTML that Markdown lets through:
a package named `<img src=x onerror=...>` shows as text on every renderer.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from envaudit.engine import CheckResult
    from envaudit.model import Finding

ICONS = {"passed": "✅", "failed": "❌", "not checkable": "➖"}
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def md(text: object) -> str:
    """Inline text: HTML-escaped, Markdown punctuation backslash-escaped, one line."""
    s = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    s = _MD_SPECIAL.sub(r"\\\1", s)
    return " ".join(s.split())


def prose(text: object) -> str:
    """envaudit's own rule texts: Markdown kept (`code`), HTML and table pipes escaped."""
    s = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")
    return " ".join(s.split())


def code(text: object) -> str:
    """Content for a single-backtick code span (no backticks, one line)."""
    return " ".join(str(text).replace("`", "'").split())


def fenced(text: str, lang: str = "", indent: str = "") -> str:
    """A fenced block whose fence is longer than any backtick run inside."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    body = text.rstrip("\n").splitlines()
    lines = [f"{fence}{lang}", *body, fence]
    return "\n".join(indent + line if line else line for line in lines)


def loc(f: Finding) -> str:
    return str(f.location)


def render(result: CheckResult, *, color: bool = False) -> str:
    from envaudit.report._view import build
    from envaudit.templating import render_template

    view = build(result)
    return (
        render_template(
            "report.md.j2", v=view, md=md, prose=prose, code=code, fenced=fenced, loc=loc, icon=ICONS
        ).rstrip("\n")
        + "\n"
    )
