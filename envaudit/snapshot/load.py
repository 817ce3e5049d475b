"""Reading a snapshot back: every way a file can be wrong becomes a SnapshotError
that names the file and what is wrong (reported as PRV002), never a traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from envaudit._lazyre import lazy_re
from envaudit.snapshot.build import SCHEMA

_HEX64 = lazy_re(r"^[0-9a-f]{64}$")
_OPTIONAL_OBJECTS = ("python", "packages", "git", "cuda", "data")
_REQUIRED = ("schema", "created", "host", "files", "variables")


class SnapshotError(ValueError):
    """The snapshot cannot be used; the message says which file and what is wrong."""


def _type(v: Any) -> str:
    if v is None:
        return "null"
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "an array"}.get(
        type(v), "an object"
    )


def _expect(cond: bool, where: str, what: str, value: Any) -> None:
    if not cond:
        shown = json.dumps(value)[:60] if not isinstance(value, dict | list) else _type(value)
        raise SnapshotError(f"{where}: expected {what}, found {shown}")


def validate(record: Any) -> dict[str, Any]:
    """Check the structure of a parsed snapshot; return it or raise SnapshotError."""
    if not isinstance(record, dict):
        raise SnapshotError(f"the top level is {_type(record)}, not a snapshot object")
    if "bomFormat" in record:
        raise SnapshotError(
            "this is a CycloneDX SBOM, not an envaudit snapshot; diff and verify read the "
            "JSON written by `envaudit snapshot` (the default --format json)"
        )
    schema = record.get("schema")
    if schema is None:
        raise SnapshotError(f"no `schema` key: not an envaudit snapshot (expected {SCHEMA!r})")
    if schema != SCHEMA:
        raise SnapshotError(f"unknown schema {schema!r}: this envaudit reads {SCHEMA!r}")
    for key in _REQUIRED:
        if key not in record:
            raise SnapshotError(f"missing required key `{key}`")
    _expect(isinstance(record["created"], str), "created", "a timestamp string", record["created"])
    _expect(isinstance(record["host"], dict), "host", "an object", record["host"])
    for key in _OPTIONAL_OBJECTS:
        value = record.get(key)
        _expect(value is None or isinstance(value, dict), key, "an object or null", value)
    for name, meta in (record.get("packages") or {}).items():
        where = f"packages.{name}"
        _expect(isinstance(meta, dict), where, "an object", meta)
        _expect(
            isinstance(meta.get("version"), str), f"{where}.version", "a version string", meta.get("version")
        )
        for opt in ("installer",):
            v = meta.get(opt)
            _expect(v is None or isinstance(v, str), f"{where}.{opt}", "a string or null", v)
        v = meta.get("direct_url")
        _expect(v is None or isinstance(v, dict), f"{where}.direct_url", "an object or null", v)
    _expect(isinstance(record["files"], dict), "files", "an object", record["files"])
    for rel, digest in record["files"].items():
        _expect(
            isinstance(digest, str) and bool(_HEX64.match(digest)),
            f"files.{rel}",
            "a sha256 hex digest",
            digest,
        )
    _expect(isinstance(record["variables"], dict), "variables", "an object", record["variables"])
    for name, value in record["variables"].items():
        _expect(value is None or isinstance(value, str), f"variables.{name}", "a string", value)
    py = record.get("python")
    if py is not None:
        v = py.get("version")
        _expect(v is None or isinstance(v, str), "python.version", "a version string", v)
    fw = record.get("frameworks", {})
    _expect(isinstance(fw, dict), "frameworks", "an object", fw)
    return record


def loads(text: str, source: str = "<snapshot>") -> dict[str, Any]:
    if not text.strip():
        raise SnapshotError(f"{source}: the file is empty")
    try:
        data = json.loads(text)
    except RecursionError:
        raise SnapshotError(f"{source}: JSON nested too deeply to be a snapshot") from None
    except json.JSONDecodeError as exc:
        truncated = exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated")
        hint = " (the file looks truncated)" if truncated else ""
        raise SnapshotError(
            f"{source}: not valid JSON{hint}: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    try:
        return validate(data)
    except SnapshotError as exc:
        raise SnapshotError(f"{source}: {exc}") from None


def load(path: str | Path) -> dict[str, Any]:
    """Read and validate a snapshot file; SnapshotError names what is wrong."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise SnapshotError(f"{p}: no such file") from None
    except IsADirectoryError:
        raise SnapshotError(f"{p}: is a directory, not a snapshot file") from None
    except OSError as exc:
        raise SnapshotError(f"{p}: cannot read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SnapshotError(f"{p}: not UTF-8 text (byte {exc.start}): not a JSON snapshot") from None
    return loads(text, str(p))
