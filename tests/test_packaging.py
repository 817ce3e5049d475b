"""A plain (non-editable) wheel must carry templates/ and package data, and use them."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO


def _run_from_wheel(site: Path, code: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=site.parent,
        env={"PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.mark.slow
def test_wheel_ships_and_renders_templates(installed_wheel: tuple[Path, Path]) -> None:
    wheel, site = installed_wheel
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
    shipped = {n.split("/")[-1] for n in names if n.startswith("envaudit/templates/")}
    expected = {p.name for p in (REPO / "templates").iterdir() if p.suffix == ".j2"}
    assert expected and expected <= shipped
    # import the extracted wheel, not the source tree, and find its templates there
    code = (
        "import envaudit.templating as t, sys; d = t.templates_dir();"
        "assert 'site' in str(d), d; print(t.template_names())"
    )
    assert "rules.md.j2" in _run_from_wheel(site, code)


@pytest.mark.slow
def test_wheel_ships_the_cuda_driver_table(installed_wheel: tuple[Path, Path]) -> None:
    """The CUDA driver table is package data: the wheel must ship it and read it from there."""
    wheel, site = installed_wheel
    with zipfile.ZipFile(wheel) as zf:
        assert "envaudit/data/cuda_drivers.json" in zf.namelist()
    code = (
        "import envaudit, envaudit.cudacompat as c;"
        "assert 'site' in envaudit.__file__, envaudit.__file__;"
        "print(c.full_support_driver('12.4').driver, c.family_floor(13), c.source()[:13])"
    )
    assert _run_from_wheel(site, code).startswith("550.54.14 580.65.06 NVIDIA CUDA")
