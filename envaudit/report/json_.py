"""`--format json`: the contract CI scripts parse (schema envaudit/check/1)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from envaudit import __version__
from envaudit.report._target import target_dict

if TYPE_CHECKING:
    from envaudit.engine import CheckResult

SCHEMA = "envaudit/check/1"


def as_dict(result: CheckResult) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "envaudit_version": __version__,
        "root": str(result.root),
        "target": target_dict(result.inventory),  # added in 0.x: which environment was audited
        "summary": result.counts(),
        "findings": [f.to_dict() for f in result.findings],
    }


def render(result: CheckResult, *, color: bool = False) -> str:
    from envaudit.terminal import escape_json_controls

    return escape_json_controls(json.dumps(as_dict(result), indent=2, ensure_ascii=False)) + "\n"
