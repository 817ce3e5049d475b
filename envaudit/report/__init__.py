"""Renderers: one module per output format, each with `render(result, *, color) -> str`.

Every renderer receives findings whose messages were already redacted by the
engine's `redact_result`; renderers that show other facts (environment
summaries) must pass them through `envaudit.redact` themselves.
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


def render(fmt: str, result: CheckResult, *, color: bool = False) -> str:
    module = importlib.import_module(f"{__name__}.{FORMATS[fmt]}")
    return module.render(result, color=color)
