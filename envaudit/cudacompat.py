"""NVIDIA's published CUDA toolkit -> minimum driver table, kept as data.

The table lives in `envaudit/data/cuda_drivers.json` with its source named in
the file. This module answers the three questions the GPU rules ask: which
driver fully supports a CUDA release, what is the minor-version-compatibility
floor of a CUDA major, and which CUDA a driver version fully supports.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from envaudit._dataclass import dataclass
from envaudit._lazyre import lazy_re

# next to this module, inside the package: the wheel ships it (tests/test_packaging_gpu.py)
TABLE = Path(__file__).resolve().parent / "data" / "cuda_drivers.json"

_NUM = lazy_re(r"\d+")


def version_tuple(text: str | None) -> tuple[int, ...]:
    """`"525.60.13"` -> (525, 60, 13); `"12.1"` -> (12, 1); junk -> ()."""
    if not text:
        return ()
    out = []
    for part in str(text).strip().split("."):
        m = _NUM.match(part)
        if not m:
            break
        out.append(int(m.group()))
    return tuple(out)


@dataclass(frozen=True)
class ToolkitRelease:
    cuda: tuple[int, ...]
    release: str
    driver: str


@functools.lru_cache(maxsize=1)
def _load() -> dict[str, Any]:
    import json  # importlib.resources would pull in tempfile and random: ~30 ms for nothing

    data: dict[str, Any] = json.loads(TABLE.read_text(encoding="utf-8"))
    return data


def source() -> str:
    return str(_load()["source"])


def releases() -> tuple[ToolkitRelease, ...]:
    return tuple(
        ToolkitRelease(version_tuple(r["cuda"]), r["release"], r["driver"])
        for r in _load()["toolkit_drivers"]
    )


def family_floor(major: int) -> str | None:
    """The oldest driver that runs CUDA `major`.x under minor-version compatibility."""
    floor = _load()["family_floors"].get(str(major))
    return str(floor) if floor else None


def full_support_driver(cuda: str | tuple[int, ...]) -> ToolkitRelease | None:
    """The first release of CUDA major.minor and the driver it shipped with: a driver at
    least this new runs that CUDA fully (no minor-version-compatibility limits)."""
    want = version_tuple(cuda) if isinstance(cuda, str) else cuda
    if len(want) < 2:
        return None
    same = [r for r in releases() if r.cuda[:2] == want[:2]]
    if not same:
        return None
    return min(same, key=lambda r: (version_tuple(r.driver), r.cuda))


def cuda_for_driver(driver: str) -> tuple[int, int] | None:
    """The newest CUDA major.minor whose toolkit driver is not newer than `driver`."""
    d = version_tuple(driver)
    if not d:
        return None
    fits = [r.cuda[:2] for r in releases() if version_tuple(r.driver) <= d]
    if not fits:
        return None
    best = max(fits)
    return (best[0], best[1])
