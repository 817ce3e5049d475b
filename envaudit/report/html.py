"""`--format html`: one self-contained file (inline CSS and JS, no network) with a
severity filter, a search box and collapsible sections that work from file://.

Every input is escaped by jinja2's autoescape (templates/report.html.j2). As a
second wall, a Content-Security-Policy allows only this file's own style and
script (by hash) and no network at all: even markup that slipped through could
neither run an inline handler nor load anything.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markupsafe import Markup

    from envaudit.engine import CheckResult


def _csp_hash(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


@lru_cache(maxsize=1)
def _assets() -> tuple[Markup, Markup, str, str]:
    from markupsafe import Markup

    from envaudit.templating import templates_dir

    css = (templates_dir() / "report.css").read_text(encoding="utf-8")
    js = (templates_dir() / "report.js").read_text(encoding="utf-8")
    if "</" in css or "</" in js:  # would end the element early
        raise ValueError("report.css / report.js must not contain '</'")
    # Our own static assets, not input: inserted verbatim so the CSP hashes match.
    return Markup(css), Markup(js), _csp_hash(css), _csp_hash(js)


def diffclass(line: str) -> str:
    if line.startswith(("+++", "---", "@@")):
        return "dh"
    if line.startswith("+"):
        return "da"
    if line.startswith("-"):
        return "dd"
    return "dc"


def render(result: CheckResult, *, color: bool = False, environment: bool = True) -> str:
    from envaudit.report._view import build

    return render_view(build(result, environment=environment))


def render_view(view: object) -> str:
    from envaudit.templating import render_template

    css, js, style_hash, script_hash = _assets()
    return render_template(
        "report.html.j2",
        v=view,
        css=css,
        js=js,
        style_hash=style_hash,
        script_hash=script_hash,
        diffclass=diffclass,
    )
