"""`check` (and snapshot/verify/fix) never execute the audited project's code; only
`rerun` does, on purpose. A project whose every entry point writes a marker proves it."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.conftest import invoke, write

MARK = "import pathlib\npathlib.Path({path!r}).write_text('{name} ran')\n"


def booby_trapped(tmp_path: Path) -> tuple[Path, Path]:
    marker = tmp_path / "MARKER"
    body = MARK.format(path=str(marker), name="{name}")
    files = {
        name: body.replace("{name}", name) + extra
        for name, extra in {
            "setup.py": "from setuptools import setup\nsetup(name='trap', version='1')\n",
            "conftest.py": "",
            "train.py": 'import random\nx = random.random()\nprint("trained")\n',
            "trap/__init__.py": "",
            "sitecustomize.py": "",
            "noxfile.py": "",
            "docs/conf.py": "",
        }.items()
    }
    files["requirements.txt"] = "numpy==1.26.4\n"
    files["pyproject.toml"] = "[project]\nname = 'trap'\nversion = '1'\ndependencies = ['numpy==1.26.4']\n"
    files["Dockerfile"] = "FROM python:3.11\nCOPY . .\nRUN python train.py\n"
    return write(tmp_path / "proj", files), marker


def test_check_never_runs_project_code(tmp_path: Path) -> None:
    root, marker = booby_trapped(tmp_path)
    for args in (
        ("check", str(root), "--exit-zero", "--format", "json"),
        ("check", str(root), "--exit-zero", "--select", "ALL", "--format", "sarif"),
        ("snapshot", str(root), "-o", str(tmp_path / "snap.json")),
        ("verify", str(tmp_path / "snap.json"), str(root)),
        ("fix", "pins", str(root)),
        ("fix", "seeds", str(root)),
    ):
        invoke(*args)
        assert not marker.exists(), f"`envaudit {args[0]}` ran the project's code: {marker.read_text()}"


def test_rerun_does_run_it_in_a_copy(tmp_path: Path) -> None:
    """The control: the marker works, and rerun runs the code (in copies, not in place)."""
    root, marker = booby_trapped(tmp_path)
    res = invoke("rerun", str(root), "-q", "--no-causes", "--", sys.executable, "train.py")
    assert res.exit_code in (0, 1), res.output
    assert marker.read_text() == "train.py ran"
    assert not (root / "MARKER").exists()
