"""`--format markdown`: the report for a pull request, a wiki page or a paper's
artifact appendix (rendered from templates/report.md.j2).

Inputs are escaped for Markdown *and* for the HTML that Markdown lets through:
a package named `<img src=x onerror=...>` shows as text on every renderer.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from envaudit._lazyre import lazy_re

if TYPE_CHECKING:
    from envaudit.engine import CheckResult
    from envaudit.model import Finding

ICONS = {"passed": "✅", "failed": "❌", "not checkable": "➖"}
_MD_SPECIAL = lazy_re(r"([\\`*_\[\]|~])")


def md(text: object) -> str:
    """Inline text: HTML-escaped, Markdown punctuation backslash-escaped, one line."""
    s = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    s = _MD_SPECIAL.sub(r"\\\1", s)
    return " ".join(s.split())


_CODE_SPAN = lazy_re(r"(`+)(.+?)\1", re.S)


def _html(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def code_span(content: str) -> str:
    """A code span that shows `content` literally: a fence longer than any backtick run
    inside, padded where the content starts or ends with a backtick. Nothing is escaped
    in it: an entity (`&gt;`) would show as the six characters it is made of."""
    content = " ".join(content.split())
    longest = max((len(m) for m in re.findall(r"`+", content)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if content.startswith("`") or content.endswith("`") else ""
    return f"{fence}{pad}{content}{pad}{fence}"


def _spans(text: str, outside: object) -> str:
    """Text with its `code spans` kept as code spans and `outside` applied to the rest."""
    out: list[str] = []
    last = 0
    for m in _CODE_SPAN.finditer(text):
        out.append(outside(text[last : m.start()]))  # type: ignore[operator]
        out.append(code_span(m.group(2)))
        last = m.end()
    out.append(outside(text[last:]))  # type: ignore[operator]
    return "".join(out).strip()


def _one_line(s: str) -> str:
    return re.sub(r"\s+", " ", s)


def inline(text: object) -> str:
    """A message or a fix: its `code` shown as code, everything else as escaped text."""
    return _spans(str(text), lambda s: _MD_SPECIAL.sub(r"\\\1", _html(_one_line(s))))


def prose(text: object) -> str:
    """envaudit's own rule texts: Markdown kept (`code`), HTML and table pipes escaped
    outside code spans."""
    return _spans(str(text), lambda s: _html(_one_line(s)).replace("|", "\\|"))


def is_multiline(text: object) -> bool:
    return "\n" in str(text).strip()


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
            "report.md.j2",
            v=view,
            md=md,
            inline=inline,
            code_span=code_span,
            prose=prose,
            code=code,
            fenced=fenced,
            multiline=is_multiline,
            loc=loc,
            icon=ICONS,
        ).rstrip("\n")
        + "\n"
    )
