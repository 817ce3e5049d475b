"""Facts (frozen dataclasses) -> JSON values, deterministically ordered and redacted."""

from __future__ import annotations

import dataclasses
import enum
import json
from pathlib import PurePath
from typing import Any

from envaudit.redact import redact_text, redact_value


def to_jsonable(obj: Any, _name: str = "") -> Any:
    """Dataclasses become objects, tuples and lists arrays, sets sorted arrays, dict keys
    sorted; every string goes through envaudit.redact (by its field name too)."""
    if obj is None or isinstance(obj, bool | int):
        return obj
    if isinstance(obj, float):
        return obj if obj == obj and obj not in (float("inf"), float("-inf")) else None
    if isinstance(obj, str):
        return redact_value(_name, obj) if _name else redact_text(obj)
    if isinstance(obj, enum.Enum):
        return to_jsonable(obj.value, _name)
    if isinstance(obj, PurePath):
        return redact_text(str(obj))
    if isinstance(obj, bytes):
        return None
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {
            f.name: to_jsonable(getattr(obj, f.name), f.name)
            for f in sorted(dataclasses.fields(obj), key=lambda f: f.name)
            if not f.name.startswith("_")
        }
    if isinstance(obj, dict):
        return {str(k): to_jsonable(obj[k], str(k)) for k in sorted(obj, key=str)}
    if isinstance(obj, set | frozenset):
        items = [to_jsonable(x) for x in obj]
        return sorted(items, key=lambda x: json.dumps(x, sort_keys=True))
    if isinstance(obj, list | tuple):
        return [to_jsonable(x, _name) for x in obj]
    return redact_text(str(obj))


def dumps(record: dict[str, Any]) -> str:
    """The snapshot file's text: stable key order, 2-space indent, trailing newline."""
    from envaudit.terminal import escape_json_controls

    return escape_json_controls(json.dumps(record, indent=2, sort_keys=True, ensure_ascii=False)) + "\n"
