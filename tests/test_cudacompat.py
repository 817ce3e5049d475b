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
