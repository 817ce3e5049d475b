"""Facts shaped like the other domains' contracts (DESIGN/BRIEF), to seed an Inventory
where the test is about the snapshot, not about the scanner."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FakeInterpreter:
    executable: str = "/opt/venv/bin/python"
    prefix: str = "/opt/venv"
    version: str = "3.11.7"
    version_info: tuple[int, ...] = (3, 11, 7)
    implementation: str = "cpython"
    kind: str = "venv"
    site_packages: tuple[str, ...] = ()
    markers: dict[str, str] = field(default_factory=lambda: {"python_version": "3.11"})
    found_by: str = "--python"


@dataclass(frozen=True)
class FakeDist:
    name: str
    version: str
    installer: str | None = "pip"
    direct_url: dict[str, Any] | None = None
    location: str = ""

    @property
    def canonical(self) -> str:
        return self.name.lower().replace("_", "-")


@dataclass(frozen=True)
class FakePackages:
    dists: tuple[FakeDist, ...]

    def get(self, name: str) -> FakeDist | None:
        key = name.lower().replace("_", "-")
        return next((d for d in self.dists if d.canonical == key), None)


def record(**over: Any) -> dict[str, Any]:
    """A valid snapshot record, with sections replaced by `over`."""
    base: dict[str, Any] = {
        "schema": "envaudit/snapshot/1",
        "envaudit": "0.1.0",
        "created": "2026-01-01T00:00:00Z",
        "project": {"root": "/p"},
        "host": {"hostname": "a", "os": "Linux", "kernel": "6.1", "cpu_model": "X", "cpu_count": 8},
        "python": {"version": "3.11.7", "implementation": "cpython", "executable": "/v/bin/python"},
        "packages": {
            "numpy": {"name": "numpy", "version": "1.26.4", "installer": "pip", "direct_url": None},
            "six": {"name": "six", "version": "1.16.0", "installer": "pip", "direct_url": None},
        },
        "files": {"requirements.txt": "a" * 64},
        "git": {"commit": "c1", "branch": "main", "dirty": False},
        "cuda": {"driver_version": "535.104.05", "gpus": [{"index": 0, "name": "H100", "uuid": "GPU-1"}]},
        "frameworks": {},
        "variables": {"CUBLAS_WORKSPACE_CONFIG": ":4096:8"},
        "data": None,
        "unavailable": {},
        "diagnostics": [],
    }
    out = copy.deepcopy(base)
    out.update(over)
    return out
