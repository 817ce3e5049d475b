"""The bundled example projects: the README's first command shows useful findings on
mnist-example, and mnist-fixed (its reproducible twin) passes the PY and DEP checks."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conftest import FIXTURES, invoke, write
from tests.fakeenv import make_venv

EXAMPLE = FIXTURES / "mnist-example"
FIXED = FIXTURES / "mnist-fixed"


def findings(*args: str) -> list[tuple[str, str | None, int | None]]:
    res = invoke("check", *args, "--format", "json", "--exit-zero")
    assert res.exit_code == 0, res.output
    return [
        (f["code"], f["location"]["path"], f["location"]["line"]) for f in json.loads(res.stdout)["findings"]
    ]


def test_example_fails_the_way_real_projects_do(tmp_path: Path) -> None:
    env = tmp_path / "env"
    make_venv(env, {"numpy": "2.3.5"})
    got = findings(str(EXAMPLE), "--select", "PY,DEP,EA", "--python", str(env))
    assert got == [
        ("PY001", None, None),
        ("DEP002", "requirements.txt", 1),
        ("DEP002", "requirements.txt", 2),
        ("DEP002", "requirements.txt", 3),
        ("DEP002", "requirements.txt", 4),
        ("DEP002", "requirements.txt", 5),
        ("DEP012", "requirements.txt", 5),
    ]


def test_readme_first_command_prints_useful_findings() -> None:
    res = invoke("check", str(EXAMPLE), "--exit-zero", "--no-color", "--select", "PY,DEP")
    assert res.exit_code == 0
    assert "requirements.txt:1: DEP002 [error] `torch` is not pinned" in res.stdout
    assert "PY001" in res.stdout and "fix:" in res.stdout
    assert invoke("check", str(EXAMPLE), "--select", "PY,DEP").exit_code == 1


def test_fixed_twin_passes_whatever_environment_is_active(tmp_path: Path) -> None:
    other = tmp_path / "other"
    make_venv(other, {"torch": "1.0"}, version="3.8.10")
    for env in (None, {"VIRTUAL_ENV": str(other)}):
        res = invoke("check", str(FIXED), "--select", "PY,DEP,EA", env=env)
        assert res.exit_code == 0, res.output
        assert "All checks passed." in res.stdout


def test_fixed_twin_reads_its_own_environment(tmp_path: Path) -> None:
    """Not vacuous: the same project with a drifted .venv fails."""
    copy = tmp_path / "fixed"
    shutil.copytree(FIXED, copy, symlinks=True)
    site = copy / ".venv" / "lib" / "python3.11" / "site-packages"
    shutil.rmtree(site / "numpy-2.3.5.dist-info")
    shutil.rmtree(site / "pillow-13.0.0.dist-info")
    write(site, {"numpy-2.0.0.dist-info/METADATA": "Name: numpy\nVersion: 2.0.0\n\n"})
    got = {c for c, _, _ in findings(str(copy), "--select", "PY,DEP")}
    assert got == {"DEP006", "DEP007", "DEP009"}
