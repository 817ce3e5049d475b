"""Framework versions for the DET rules: bounds of declared ranges, CUDA builds."""

from __future__ import annotations

import pytest

from envaudit.rules._frameworks import Framework, _bounds, cpu_only, cuda_build


@pytest.mark.parametrize(
    ("spec", "low", "high", "inclusive"),
    [
        (">=2.1,<3", (2, 1), (3,), False),
        ("~=2.1", (2, 1), (3,), False),
        ("~=1.8.1", (1, 8, 1), (1, 9), False),
        ("==1.13.*", (1, 13), (1, 14), False),
        ("<=1.8.1", None, (1, 8, 1), True),
        (">1.2,!=1.5", (1, 2), None, False),
        ("", None, None, False),
    ],
)
def test_bounds(
    spec: str, low: tuple[int, ...] | None, high: tuple[int, ...] | None, inclusive: bool
) -> None:
    assert _bounds(spec) == (low, high, inclusive)


@pytest.mark.parametrize(
    ("fw", "floor", "before", "at_least"),
    [
        (Framework("torch", "1.8.1+cu111", "requirements.txt"), (1, 9), True, False),
        (Framework("torch", "1.9.0", "installed"), (1, 9), False, True),
        (Framework("torch", None, "r.txt", "torch<1.9", None, (1, 9)), (1, 9), True, False),
        (Framework("torch", None, "r.txt", "torch<=1.9.0", None, (1, 9, 0), True), (1, 9), False, False),
        (Framework("torch", None, "r.txt", "torch>=1.9", (1, 9)), (1, 9), False, True),
        (Framework("torch", None, None), (1, 9), False, False),
    ],
)
def test_before_and_at_least(fw: Framework, floor: tuple[int, int], before: bool, at_least: bool) -> None:
    assert (fw.before(floor), fw.at_least(floor)) == (before, at_least)
    decided = before or at_least or fw.known
    assert (fw.assumes("x", floor) == "") is decided


def test_builds() -> None:
    assert (
        cuda_build("2.3.1+cu121") == 121 and cuda_build("2.3.1+cpu") == 0 and cuda_build("2.3.1+rocm6.0") == 0
    )
    assert cuda_build("2.3.1") is None and cuda_build(None) is None
    assert cpu_only("2.2.2+cpu") and not cpu_only("2.2.2+rocm5.7") and not cpu_only("2.2.2")
