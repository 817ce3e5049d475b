"""End to end on a real virtual environment read from disk by the packages scanner."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from envaudit.cli import cli
from tests.conftest import write


def _install_fake_dist(site: Path, name: str, version: str, installer: str = "pip") -> None:
    info = site / f"{name}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "INSTALLER").write_text(installer + "\n")
    (info / "RECORD").write_text("")


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("venv") / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    return root


def _site(venv: Path) -> Path:
    return next((venv / "lib").glob("python3*/site-packages"))


def test_snapshot_and_verify_a_venv(venv: Path, tmp_path: Path) -> None:
    site = _site(venv)
    _install_fake_dist(site, "alpha", "1.0")
    _install_fake_dist(site, "Beta_Pkg", "2.0", installer="uv")
    proj = write(tmp_path / "proj", {"requirements.txt": "alpha==1.0\n"})
    snap = tmp_path / "env.json"
    run = CliRunner().invoke
    res = run(cli, ["snapshot", str(proj), "--python", str(venv), "-o", str(snap)], env={"VIRTUAL_ENV": None})
    assert res.exit_code == 0, res.output
    rec = json.loads(snap.read_text())
    assert rec["python"]["prefix"] == str(venv)
    assert rec["packages"]["alpha"]["version"] == "1.0"
    assert rec["packages"]["beta-pkg"] == {
        "name": "Beta_Pkg",
        "version": "2.0",
        "installer": "uv",
        "direct_url": None,
    }
    args = ["verify", str(snap), str(proj), "--python", str(venv)]
    assert run(cli, args, env={"VIRTUAL_ENV": None}).exit_code == 0
    _install_fake_dist(site, "gamma", "0.1")
    res = run(cli, args, env={"VIRTUAL_ENV": None})
    assert res.exit_code == 1
    assert "package gamma 0.1 (installer pip) is installed but not in the snapshot" in res.output
    assert run(cli, [*args, "--ignore", "packages.gamma"], env={"VIRTUAL_ENV": None}).exit_code == 0
