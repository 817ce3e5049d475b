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


# ------------------------------------------------------------- cuDNN and base images
# The cuDNN major the torch CUDA wheels are built with (and pin as nvidia-cudnn-cu1x):
# torch <= 2.3 builds against cuDNN 8 (2.3.x pins nvidia-cudnn-cu12==8.9.2.26), cuDNN 9
# from torch 2.4 (nvidia-cudnn-cu12==9.1.0.70). Source: PyTorch's release build matrix,
# .github/scripts/generate_binary_build_matrix.py (CUDA_ARCHES_CUDNN_VERSION: "8" on the
# 2.3 branch, "9" from 2.4).
TORCH_CUDNN9_FROM = (2, 4)


def torch_cudnn_major(torch_version: tuple[int, int]) -> int:
    """The cuDNN major the torch CUDA wheels of this torch minor are built with."""
    return 9 if torch_version >= TORCH_CUDNN9_FROM else 8


# NVIDIA's nvidia/cuda images (doc/supported-tags.md and doc/unsupported-tags.md of
# gitlab.com/nvidia/container-images/cuda): per CUDA minor, the patch release whose
# tags are kept, and the cuDNN part of its cuDNN tags on Ubuntu 22.04. CUDA 11.x to
# 12.2 have cuDNN 8 only (`12.1.1-cudnn8-runtime-ubuntu22.04`; 12.1.0 has
# `-cudnn8-` too, no cuDNN 9); 12.3.2 has `-cudnn9-`; from 12.4.1 the cuDNN 9 tags are
# spelled `-cudnn-` without the major. 12.3.0/12.3.1, 12.4.0 and 12.5.0 had no cuDNN
# image at all. Ubuntu 24.04 images start at 12.5.1, with cuDNN from 12.6.
CUDA_IMAGE_PATCH: dict[tuple[int, int], int] = {
    (11, 8): 0,
    (12, 0): 1,
    (12, 1): 1,
    (12, 2): 2,
    (12, 3): 2,
    (12, 4): 1,
    (12, 5): 1,
    (12, 6): 3,
    (12, 8): 1,
    (12, 9): 1,
    (13, 0): 2,
}


def _cudnn_part(cuda: tuple[int, int], cudnn: int, ubuntu: str) -> str | None:
    if ubuntu == "24.04" and (cudnn != 9 or cuda < (12, 6)):
        return None
    if cudnn == 8:
        return "cudnn8" if cuda <= (12, 2) else None
    if cudnn == 9:
        if cuda == (12, 3):
            return "cudnn9"
        return "cudnn" if cuda >= (12, 4) else None
    return None


def nvidia_cuda_tag(cuda: tuple[int, int], cudnn: int | None, ubuntu: str = "22.04") -> str | None:
    """The `nvidia/cuda` runtime tag for this CUDA with this cuDNN major in the image
    (None: CUDA alone), or None when NVIDIA publishes no such image."""
    patch = CUDA_IMAGE_PATCH.get(cuda)
    if patch is None:
        return None
    version = f"{cuda[0]}.{cuda[1]}.{patch}"
    if cudnn is None:
        if ubuntu == "24.04" and cuda < (12, 5):
            return None
        return f"{version}-runtime-ubuntu{ubuntu}"
    part = _cudnn_part(cuda, cudnn, ubuntu)
    return f"{version}-{part}-runtime-ubuntu{ubuntu}" if part else None
