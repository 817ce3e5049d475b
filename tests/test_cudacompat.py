"""The driver table: NVIDIA's published figures, and the questions the rules ask of it."""

from __future__ import annotations

import itertools

import pytest

from envaudit import cudacompat as c


def test_source_is_named() -> None:
    assert "docs.nvidia.com/cuda/cuda-toolkit-release-notes" in c.source()


@pytest.mark.parametrize(
    ("cuda", "driver", "release"),
    [
        ("12.4", "550.54.14", "CUDA 12.4 GA"),
        ("12.8", "570.26", "CUDA 12.8 GA"),
        ("13.0", "580.65.06", "CUDA 13.0 GA"),
        ("12.1", "530.30.02", "CUDA 12.1 GA"),
        ("11.8", "520.61.05", "CUDA 11.8 GA"),
        ("12.6.3", "560.28.03", "CUDA 12.6 GA"),  # the minor's first release decides
    ],
)
def test_full_support_driver(cuda: str, driver: str, release: str) -> None:
    r = c.full_support_driver(cuda)
    assert r is not None and (r.driver, r.release) == (driver, release)


def test_unknown_or_major_only_cuda() -> None:
    assert c.full_support_driver("12") is None
    assert c.full_support_driver("99.1") is None


def test_family_floors() -> None:
    assert (c.family_floor(11), c.family_floor(12), c.family_floor(13)) == (
        "450.80.02",
        "525.60.13",
        "580.65.06",
    )
    assert c.family_floor(10) is None


@pytest.mark.parametrize(
    ("driver", "cuda"),
    [
        ("470.82.01", (11, 4)),
        ("535.104.05", (12, 2)),
        ("580.65.06", (13, 0)),
        ("570.26", (12, 8)),
        ("300.1", None),
    ],
)
def test_cuda_for_driver(driver: str, cuda: tuple[int, int] | None) -> None:
    assert c.cuda_for_driver(driver) == cuda


def test_table_is_ordered_and_sane() -> None:
    rel = c.releases()
    # a newer toolkit never needs an older driver
    for newer, older in itertools.pairwise(rel):
        assert newer.cuda > older.cuda
        assert c.version_tuple(newer.driver) >= c.version_tuple(older.driver), (newer, older)


def test_version_tuple() -> None:
    assert c.version_tuple("525.60.13") == (525, 60, 13)
    assert c.version_tuple("12.1") == (12, 1)
    assert c.version_tuple("2.3.1+cu121") == (2, 3, 1)
    assert c.version_tuple(None) == () and c.version_tuple("abc") == ()


# cuDNN per torch minor. Sources: PyTorch's release build matrix
# (.github/scripts/generate_binary_build_matrix.py: CUDA_ARCHES_CUDNN_VERSION is "8" for
# 11.8/12.1 on the 2.3 branch, "9" for 11.8/12.1/12.4 from 2.4), seen in the wheels' pins:
# torch 2.3.x+cu121 requires nvidia-cudnn-cu12==8.9.2.26, 2.4.x/2.5.x 9.1.0.70.
@pytest.mark.parametrize(
    ("torch", "cudnn"), [((2, 1), 8), ((2, 2), 8), ((2, 3), 8), ((2, 4), 9), ((2, 5), 9), ((2, 9), 9)]
)
def test_torch_cudnn_major(torch: tuple[int, int], cudnn: int) -> None:
    assert c.torch_cudnn_major(torch) == cudnn


# nvidia/cuda tags. Source: NVIDIA's doc/supported-tags.md and doc/unsupported-tags.md
# (gitlab.com/nvidia/container-images/cuda): 12.1.1 has `-cudnn8-` (no cuDNN 9 image,
# no `-cudnn-` form); 12.3.2 `-cudnn9-`; 12.4.1 and later `-cudnn-`; 12.5.1 on Ubuntu
# 24.04 has no cuDNN image (from 12.6 it has).
@pytest.mark.parametrize(
    ("cuda", "cudnn", "ubuntu", "tag"),
    [
        ((12, 1), 8, "22.04", "12.1.1-cudnn8-runtime-ubuntu22.04"),
        ((12, 1), 9, "22.04", None),
        ((12, 1), None, "22.04", "12.1.1-runtime-ubuntu22.04"),
        ((11, 8), 8, "22.04", "11.8.0-cudnn8-runtime-ubuntu22.04"),
        ((11, 8), 9, "22.04", None),
        ((12, 2), 8, "22.04", "12.2.2-cudnn8-runtime-ubuntu22.04"),
        ((12, 3), 9, "22.04", "12.3.2-cudnn9-runtime-ubuntu22.04"),
        ((12, 3), 8, "22.04", None),
        ((12, 4), 9, "22.04", "12.4.1-cudnn-runtime-ubuntu22.04"),
        ((12, 6), 9, "24.04", "12.6.3-cudnn-runtime-ubuntu24.04"),
        ((12, 5), 9, "24.04", None),
        ((12, 5), None, "24.04", "12.5.1-runtime-ubuntu24.04"),
        ((12, 7), None, "22.04", None),  # NVIDIA published no CUDA 12.7
    ],
)
def test_nvidia_cuda_tag(cuda: tuple[int, int], cudnn: int | None, ubuntu: str, tag: str | None) -> None:
    assert c.nvidia_cuda_tag(cuda, cudnn, ubuntu) == tag
