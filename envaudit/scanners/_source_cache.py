"""A per-file cache for the source scanner, like ruff's: a module whose bytes, module
identity, project module set and envaudit version are unchanged is not parsed again.

It lives in the user's cache directory (never in the audited project):
`$ENVAUDIT_CACHE_DIR`, else `$XDG_CACHE_HOME/envaudit`, else `~/.cache/envaudit`, one
file per project root. `ENVAUDIT_NO_CACHE=1` turns it off. The file is written
atomically with owner-only permissions; anything unreadable is ignored and rebuilt.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from envaudit import __version__

if TYPE_CHECKING:
    from envaudit.inventory import Inventory

FORMAT = 1


def cache_dir(environ: dict[str, str]) -> Path:
    if environ.get("ENVAUDIT_CACHE_DIR"):
        return Path(environ["ENVAUDIT_CACHE_DIR"])
    base = environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "envaudit"


def digest(path: Path) -> str | None:
    try:
        with open(path, "rb") as fh:
            return hashlib.blake2b(fh.read(), digest_size=16).hexdigest()
    except OSError:
        return None


class SourceCache:
    def __init__(self, path: Path, namespace: str, entries: dict[Any, Any]) -> None:
        self.path = path
        self.namespace = namespace
        self.old = entries
        self.new: dict[Any, Any] = {}

    @classmethod
    def open(cls, inv: Inventory, project: frozenset[str]) -> SourceCache | None:
        if inv.environ.get("ENVAUDIT_NO_CACHE", "").lower() in ("1", "true", "yes"):
            return None
        root_id = hashlib.sha256(str(inv.root).encode("utf-8", "surrogateescape")).hexdigest()[:20]
        path = cache_dir(inv.environ) / f"source-{root_id}.pickle"
        namespace = hashlib.sha256(
            repr((FORMAT, __version__, sorted(project))).encode("utf-8", "surrogateescape")
        ).hexdigest()
        entries: dict[Any, Any] = {}
        try:
            with open(path, "rb") as fh:
                data = pickle.load(fh)
            if isinstance(data, dict) and data.get("namespace") == namespace:
                entries = data.get("entries", {})
        except Exception:  # missing, truncated, from another version: start afresh
            entries = {}
        return cls(path, namespace, entries)

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
            fd, tmp = tempfile.mkstemp(prefix=".source-", dir=self.path.parent)
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(
                    {"namespace": self.namespace, "entries": self.new}, fh, protocol=pickle.HIGHEST_PROTOCOL
                )
            os.replace(tmp, self.path)
        except Exception:  # a read-only home, a full disk: the next run parses again
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
