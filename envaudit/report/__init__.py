"""Renderers: one module per output format, each with `render(result, *, color) -> str`.

Every renderer receives findings whose messages were already redacted by the
engine's `redact_result`; renderers that show other facts (environment
summaries) must pass them through `envaudit.redact` themselves. Control characters
in project text (file names, messages) are escaped (`envaudit.terminal`) for every
format a terminal might show.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from envaudit.engine import CheckResult

# format name -> module; later formats are added here.
FORMATS: dict[str, str] = {
    "text": "text",
    "json": "json_",
    "markdown": "markdown",
    "html": "html",
    "sarif": "sarif",
    "github": "github",
}


# Formats whose whole output is made safe for a terminal here (no colour codes of our
# own in them); `text` escapes field by field, around its colours; JSON and SARIF
# encode control characters themselves.
_ESCAPED_WHOLE = frozenset({"markdown", "github", "html"})


def render(fmt: str, result: CheckResult, *, color: bool = False, **text_options: bool) -> str:
    """`text_options` (show_fixes, verbose, statistics, quiet) shape the text format only;
    every other format keeps every finding."""
    module = importlib.import_module(f"{__name__}.{FORMATS[fmt]}")
    if fmt == "text":
        return module.render(result, color=color, **text_options)  # type: ignore[no-any-return]
    out = module.render(result, color=color)
    if fmt in _ESCAPED_WHOLE:
        from envaudit.terminal import escape_controls

        out = escape_controls(out)
    return out  # type: ignore[no-any-return]
