"""envaudit: environment and provenance auditing for machine-learning projects.

Nothing heavy is imported here: `envaudit --version` must start fast.
`envaudit.snapshot(path=".", python=None)` (the provenance record as a dict)
and `envaudit.integrations` are imported on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

__all__ = ["__version__", "integrations", "snapshot"]


def __getattr__(name: str) -> Any:
    if name in ("snapshot", "integrations"):
        # envaudit.snapshot is a callable package: envaudit.snapshot(...) -> dict
        return importlib.import_module(f"envaudit.{name}")
    raise AttributeError(f"module 'envaudit' has no attribute {name!r}")
