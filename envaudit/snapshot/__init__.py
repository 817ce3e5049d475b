"""Provenance snapshots: record an environment, read it back, compare records.

`envaudit.snapshot(path=".", python=None)` returns the record as a dict. The
package itself is callable (its module class defines `__call__`) so that
`envaudit.snapshot(...)` works whether or not `envaudit.snapshot` was first
imported as a package by `from envaudit.snapshot import ...`.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

from envaudit.snapshot.build import SCHEMA, build_snapshot, sha256_file
from envaudit.snapshot.diff import DiffResult, compare
from envaudit.snapshot.load import SnapshotError, load, loads, validate
from envaudit.snapshot.serialise import dumps

__all__ = [
    "SCHEMA",
    "DiffResult",
    "SnapshotError",
    "build_snapshot",
    "compare",
    "dumps",
    "load",
    "loads",
    "sha256_file",
    "snapshot",
    "validate",
]


def snapshot(path: str | Path = ".", python: str | None = None) -> dict[str, Any]:
    """The provenance record of the project at `path` and its environment: the
    interpreter `python`, else `python =` of the project's config, else the
    interpreter running this call (in-process, it is the project's)."""
    from envaudit.config import load_config
    from envaudit.inventory import Inventory

    root = Path(path).resolve()
    config = load_config(root, None) if root.is_dir() else None
    if python is None and (config is None or config.python is None):
        # called in-process (a training script, a Ray worker): the interpreter running this
        # code is the project's, whatever the command line's discovery would find
        python = sys.executable
    inv = Inventory(root, config=config, python=python)
    return build_snapshot(inv)


class _CallableModule(types.ModuleType):
    def __call__(self, path: str | Path = ".", python: str | None = None) -> dict[str, Any]:
        return snapshot(path, python)


sys.modules[__name__].__class__ = _CallableModule
