"""Reading back the records `rebuild` and `rerun` write, for `check --rebuild-report /
--rerun-report`: a clear error for a missing, corrupt or foreign file, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from envaudit.prove import REBUILD_SCHEMA, RERUN_SCHEMA

_STATUSES = {"identical", "close", "different", "missing"}


class RecordError(ValueError):
    pass


def _list_of_dicts(rec: dict[str, Any], key: str, fields: tuple[str, ...], where: str) -> None:
    items = rec.get(key)
    if not isinstance(items, list):
        raise RecordError(f"{where}: `{key}` must be a list")
    for i, item in enumerate(items):
        if not isinstance(item, dict) or any(f not in item for f in fields):
            raise RecordError(f"{where}: `{key}[{i}]` must be an object with {', '.join(fields)}")


def load_record(path: str, schema: str) -> dict[str, Any]:
    """The record at `path`, checked against `schema` (envaudit/rebuild/1 or envaudit/rerun/1)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RecordError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RecordError(f"{path}: cannot read it ({getattr(exc, 'strerror', None) or exc})") from None
    try:
        rec = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RecordError(
            f"{path}: not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    if not isinstance(rec, dict) or rec.get("schema") != schema:
        got = rec.get("schema") if isinstance(rec, dict) else None
        raise RecordError(
            f"{path}: schema {got!r}, expected {schema!r} (write it with envaudit {schema.split('/')[1]} -o FILE)"
        )
    if schema == RERUN_SCHEMA:
        if not isinstance(rec.get("runs"), int) or not isinstance(rec.get("reproducible"), bool):
            raise RecordError(f"{path}: `runs` must be an integer and `reproducible` a boolean")
        _list_of_dicts(rec, "outputs", ("path", "status"), path)
        _list_of_dicts(rec, "causes", ("knob", "reproducible_with", "detail"), path)
        bad = next((o["status"] for o in rec["outputs"] if o["status"] not in _STATUSES), None)
        if bad is not None:
            raise RecordError(f"{path}: unknown output status {bad!r}")
    elif schema == REBUILD_SCHEMA:
        if not isinstance(rec.get("ok"), bool):
            raise RecordError(f"{path}: `ok` must be a boolean")
        _list_of_dicts(rec, "installed", ("name", "version"), path)
        _list_of_dicts(rec, "failed", ("name", "version", "reason"), path)
        _list_of_dicts(rec, "drift", ("name", "locked", "built"), path)
    return rec


def reports_inventory(
    root: Path, cfg: Any, python: str | None, image: str | None, rebuild: str | None, rerun: str | None
) -> Any:
    """An Inventory seeded with the records (domains `rebuild_report`, `rerun_report`);
    a bad record is a ConfigError (exit 2, one line)."""
    from envaudit.config import ConfigError
    from envaudit.inventory import Inventory
    from envaudit.rules.run import Report

    inv = Inventory(root, config=cfg, python=python, image=image)
    for path, schema, domain in (
        (rebuild, REBUILD_SCHEMA, "rebuild_report"),
        (rerun, RERUN_SCHEMA, "rerun_report"),
    ):
        if path:
            try:
                inv.put(domain, Report(path, load_record(path, schema)))
            except RecordError as exc:
                raise ConfigError(str(exc)) from None
    return inv
