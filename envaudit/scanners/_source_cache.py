"""A per-file cache for the source scanner, like ruff's: a module whose bytes, module
identity, project module set and envaudit version are unchanged is not parsed again.

It lives in the user's cache directory (never in the audited project):
`$ENVAUDIT_CACHE_DIR`, else `$XDG_CACHE_HOME/envaudit`, else `~/.cache/envaudit`, one
file per project root. `ENVAUDIT_NO_CACHE=1` turns it off. The file is written
atomically with owner-only permissions; anything unreadable is ignored and rebuilt.

The file is plain JSON, never pickle: a cache directory can be shared or restored from
a CI cache, and loading a planted file must not run code. What is loaded is checked
against the shape of the facts it stands for (every field's type, field for field);
an entry that does not fit is dropped and that module is parsed again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from envaudit import __version__

if TYPE_CHECKING:
    from envaudit.inventory import Inventory

FORMAT = 4  # 2: JSON (1 was a pickle); 3: torch.set_deterministic is read; 4: open(..., 'w') is not data read


def cache_dir(environ: dict[str, str]) -> Path:
    if environ.get("ENVAUDIT_CACHE_DIR"):
        return Path(environ["ENVAUDIT_CACHE_DIR"])
    base = environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "envaudit"


def text_digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogateescape"), digest_size=16).hexdigest()


def digest(path: Path, limit: int) -> str | None:
    """The file's digest, or None (not cached) for what the parser will refuse anyway:
    not a regular file, or over `limit` bytes (checked before anything is read)."""
    from envaudit import safeio

    data, _refused = safeio.read_bytes(path, limit)
    return hashlib.blake2b(data, digest_size=16).hexdigest() if data is not None else None


class SourceCache:
    def __init__(self, path: Path, namespace: str, entries: dict[Any, Any]) -> None:
        self.path = path
        self.namespace = namespace
        self.old = entries
        self.new: dict[Any, Any] = {}

    @classmethod
    def open(
        cls,
        inv: Inventory,
        project: frozenset[str],
        kind: str = "source",
        key_type: Any = None,
        value_type: Any = None,
    ) -> SourceCache | None:
        """`kind` names the cache file: "source" for the determinism scan, other names for
        other per-file results (the docs scan's signals, DEP008's imports), loaded as
        `key_type` -> `value_type` (the source scan's job and facts by default)."""
        if inv.environ.get("ENVAUDIT_NO_CACHE", "").lower() in ("1", "true", "yes"):
            return None
        root_id = hashlib.sha256(str(inv.root).encode("utf-8", "surrogateescape")).hexdigest()[:20]
        path = cache_dir(inv.environ) / f"{kind}-{root_id}.json"
        namespace = hashlib.sha256(
            repr((FORMAT, __version__, sorted(project))).encode("utf-8", "surrogateescape")
        ).hexdigest()
        return cls(path, namespace, _load(path, namespace, key_type, value_type))

    def get(self, key: Any) -> Any:
        hit = self.old.get(key)
        if hit is not None:
            self.new[key] = hit
        return hit

    def put(self, key: Any, value: Any) -> None:
        self.new[key] = value

    def save(self) -> None:
        """Keep only what this run saw (deleted files drop out); never fail the scan."""
        if self.new == self.old:
            return
        tmp: str | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            import tempfile  # only when something changed: a warm run writes nothing

            fd, tmp = tempfile.mkstemp(prefix=".source-", dir=self.path.parent)
            entries = [[list(key), _encode(value)] for key, value in self.new.items()]
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                json.dump({"namespace": self.namespace, "entries": entries}, fh, separators=(",", ":"))
            os.replace(tmp, self.path)
        except Exception:  # a read-only home, a full disk: the next run parses again
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)


# ----------------------------------------------------------------------------- format
# A cache value is ((Module, list[Event]) | None, list[Diagnostic]); a key is the parse job plus the
# file's digest: (rel, module name, alternative names, is a package, digest).
MAX_CACHE_BYTES = 256 * 1024 * 1024


def _encode(obj: Any) -> Any:
    """Dataclasses as lists of their fields in order; tuples and lists as lists."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return [_encode(getattr(obj, f.name)) for f in dataclasses.fields(obj)]
    if isinstance(obj, (tuple, list)):
        return [_encode(x) for x in obj]
    return obj


_HINTS: dict[type, list[Any]] = {}


def _hints(cls: type) -> list[Any]:
    if cls not in _HINTS:
        import sys

        hints = typing.get_type_hints(cls, vars(sys.modules[cls.__module__]))
        _HINTS[cls] = [hints[f.name] for f in dataclasses.fields(cls)]
    return _HINTS[cls]


def _decode(tp: Any, v: Any) -> Any:
    """`v` (loaded JSON) as a value of type `tp`; ValueError when it does not fit."""
    return _decoder(tp)(v)


# One checking function per type, built once: a warm run loads thousands of values, and
# working out each one's type again (get_origin, get_args, is_dataclass) cost most of it.
_DECODERS: dict[Any, Callable[[Any], Any]] = {}


def _decoder(tp: Any) -> Callable[[Any], Any]:
    try:
        return _DECODERS[tp]
    except KeyError:
        d = _DECODERS[tp] = _build_decoder(tp)
        return d


def _fail(message: str) -> Callable[[Any], Any]:
    def d(v: Any) -> Any:
        raise ValueError(message)

    return d


def _build_decoder(tp: Any) -> Callable[[Any], Any]:
    if tp is Any:
        return _fail("untyped field")
    if tp is str or tp is bool or tp is int:

        def exact(v: Any) -> Any:
            if type(v) is not tp:
                raise ValueError(f"expected {tp.__name__}")
            return v

        return exact
    if tp is type(None):

        def null(v: Any) -> None:
            if v is not None:
                raise ValueError("expected null")
            return None

        return null
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        alts = typing.get_args(tp)

        def union(v: Any) -> Any:
            for alt in alts:
                try:
                    return _decoder(alt)(v)
                except ValueError:
                    continue
            raise ValueError(f"no alternative of {tp} fits")

        return union
    if origin in (tuple, list):
        args = typing.get_args(tp)
        make = tuple if origin is tuple else list
        if origin is list or (len(args) == 2 and args[1] is Ellipsis):

            def seq(v: Any) -> Any:
                if not isinstance(v, list):
                    raise ValueError("expected a list")
                item = _decoder(args[0])
                return make([item(x) for x in v])

            return seq

        def fixed(v: Any) -> Any:
            if not isinstance(v, list):
                raise ValueError("expected a list")
            if len(args) != len(v):
                raise ValueError("wrong tuple length")
            return make([_decoder(a)(x) for a, x in zip(args, v, strict=True)])

        return fixed
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        fields: list[Callable[[Any], Any]] = []

        def record(v: Any) -> Any:
            if not isinstance(v, list):
                raise ValueError("expected a list")
            if not fields:  # the type hints, resolved on first use (as before)
                fields[:] = [_decoder(h) for h in _hints(tp)]
            if len(v) != len(fields):
                raise ValueError(f"wrong field count for {tp.__name__}")
            return tp(*[f(x) for f, x in zip(fields, v, strict=True)])

        return record

    def unsupported(v: Any) -> Any:
        if not isinstance(v, list):
            raise ValueError("expected a list")
        raise ValueError(f"unsupported type {tp}")

    return unsupported


def _value_type() -> Any:
    from envaudit.model import Diagnostic
    from envaudit.scanners.source import Event, Module

    return tuple[tuple[Module, list[Event]] | None, list[Diagnostic]]


_KEY_TYPE = tuple[str, str, tuple[str, ...], bool, str]


def _read_regular(path: Path, limit: int) -> bytes | None:
    """The bytes of `path` if it is a regular file of at most `limit` bytes, else None.
    Opened non-blocking and checked with fstat before any read: a FIFO or a device
    planted at the cache's name (or a symlink to one) neither blocks nor floods the scan."""
    import stat

    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > limit:
            return None
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=False) as fh:
            raw = fh.read(limit + 1)
    finally:
        os.close(fd)
    return None if len(raw) > limit else raw


def _load(path: Path, namespace: str, key_type: Any = None, value_type: Any = None) -> dict[Any, Any]:
    """The entries of a cache file for this namespace; {} for anything else (missing,
    truncated, another version, planted): every entry that does not fit is dropped."""
    try:
        raw = _read_regular(path, MAX_CACHE_BYTES)
        if raw is None:
            return {}
        data = json.loads(raw)
    except (OSError, ValueError, RecursionError):
        return {}
    if (
        not isinstance(data, dict)
        or data.get("namespace") != namespace
        or not isinstance(data.get("entries"), list)
    ):
        return {}
    value_type = _value_type() if value_type is None else value_type
    key_type = _KEY_TYPE if key_type is None else key_type
    entries: dict[Any, Any] = {}
    for item in data["entries"]:
        try:
            if not isinstance(item, list) or len(item) != 2:
                continue
            entries[_decode(key_type, item[0])] = _decode(value_type, item[1])
        except (ValueError, TypeError, RecursionError):
            continue
    return entries
