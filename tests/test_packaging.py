"""A plain (non-editable) wheel must carry templates/ and render every template."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO


@pytest.mark.slow
def test_wheel_ships_and_renders_templates(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(REPO)],
        check=True,
        capture_output=True,
    )
    (wheel,) = dist.glob("envaudit-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        zf.extractall(tmp_path / "site")
    shipped = {n.split("/")[-1] for n in names if n.startswith("envaudit/templates/")}
    expected = {p.name for p in (REPO / "templates").iterdir() if p.suffix == ".j2"}
    assert expected and expected <= shipped
    # import the extracted wheel, not the source tree, and find its templates there
    code = (
        "import envaudit.templating as t, sys; d = t.templates_dir();"
        "assert 'site' in str(d), d; print(t.template_names())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path / "site")},
        capture_output=True,
        text=True,
        check=True,
    )
    assert "rules.md.j2" in out.stdout
