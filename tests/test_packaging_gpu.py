"""The CUDA driver table is package data: the wheel must ship it and read it from there."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO


@pytest.mark.slow
def test_wheel_ships_the_cuda_driver_table(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(REPO)],
        check=True,
        capture_output=True,
    )
    (wheel,) = dist.glob("envaudit-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        assert "envaudit/data/cuda_drivers.json" in zf.namelist()
        zf.extractall(tmp_path / "site")
    code = (
        "import envaudit, envaudit.cudacompat as c;"
        "assert 'site' in envaudit.__file__, envaudit.__file__;"
        "print(c.full_support_driver('12.4').driver, c.family_floor(13), c.source()[:13])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path / "site")},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.startswith("550.54.14 580.65.06 NVIDIA CUDA")
