"""Fix texts name commands that run against the audited environment (issue 12): pip
through the environment's own interpreter when it has pip, `uv pip --python ENV` in a
pip-less environment uv made, and never another project's installed version."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import check, write
from tests.fakeenv import dist_info


def real_venv(path: Path, dists: dict[str, str], *, uv: bool = False) -> Path:
    """A real virtualenv without pip (as `uv venv` makes one), with hand-written dist-info;
    `uv=True` adds the `uv = ` line uv writes to pyvenv.cfg."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True, timeout=60)
    site = path / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages"
    for name, version in dists.items():
        dist_info(site, name, version)
    if uv:
        cfg = path / "pyvenv.cfg"
        cfg.write_text(cfg.read_text(encoding="utf-8") + "uv = 0.5.0\n", encoding="utf-8")
    return path


def project(tmp_path: Path) -> Path:
    return write(
        tmp_path / "proj",
        {
            "pyproject.toml": '[project]\nname = "p"\nversion = "0"\ndependencies = ["click>=8.5.2"]\n',
            "requirements.txt": "six==1.17.0\npackaging\nidna==3.7\n",
        },
    )


def fixes(root: Path, select: str, python: Path | None = None) -> dict[tuple[str, str, int | None], str]:
    kw = {"python": str(python)} if python is not None else {}
    res = check(root, select, environ={"HOME": str(root.parent)}, **kw)
    return {
        (f.code, f.location.path or "", f.location.line): f.fix.description for f in res.findings if f.fix
    }


def test_a_pipless_uv_venv_gets_uv_pip_with_its_path(tmp_path: Path) -> None:
    root = project(tmp_path)
    real_venv(root / ".venv", {"click": "8.5.1", "packaging": "26.4", "six": "1.16.0"}, uv=True)
    got = fixes(root, "DEP002,DEP006,DEP007")
    assert "`uv pip install --python .venv 'click>=8.5.2'`" in got[("DEP006", "pyproject.toml", 4)], got
    assert "`uv pip install --python .venv 'six==1.17.0'`" in got[("DEP006", "requirements.txt", 1)], got
    assert "`uv pip install --python .venv -r requirements.txt`" in got[("DEP007", "requirements.txt", 3)], (
        got
    )
    # DEP002 offers the installed pin; with a range it names the show command
    assert "packaging==26.4" in got[("DEP002", "requirements.txt", 2)], got
    assert not any(t.startswith("`pip ") or " `pip " in t or "(`pip " in t for t in got.values()), got


def test_a_venv_with_pip_gets_its_own_interpreter(tmp_path: Path) -> None:
    root = project(tmp_path)
    real_venv(root / ".venv", {"click": "8.5.1", "packaging": "26.4", "pip": "24.0"}, uv=True)
    got = fixes(root, "DEP006,DEP007")
    assert re.search(
        r"`\.venv/bin/python3? -m pip install 'click>=8\.5\.2'`", got[("DEP006", "pyproject.toml", 4)]
    )
    assert re.search(
        r"`\.venv/bin/python3? -m pip install -r requirements\.txt`", got[("DEP007", "requirements.txt", 3)]
    )


def test_an_environment_outside_the_project_is_named_by_its_path(tmp_path: Path) -> None:
    root = project(tmp_path)
    env = real_venv(tmp_path / "elsewhere", {"click": "8.5.1"}, uv=True)
    got = fixes(root, "DEP006", python=env)
    assert f"`uv pip install --python {env} 'click>=8.5.2'`" in got[("DEP006", "pyproject.toml", 4)], got


def test_dep002_show_command_targets_the_environment(tmp_path: Path) -> None:
    root = write(tmp_path / "proj", {"requirements.txt": "packaging\n"})
    real_venv(root / ".venv", {}, uv=True)  # packaging not installed: no version to offer
    got = fixes(root, "DEP002")
    assert "`uv pip show --python .venv packaging`" in got[("DEP002", "requirements.txt", 1)], got


def test_a_sub_project_without_an_environment_gets_no_other_projects_version(tmp_path: Path) -> None:
    root = write(
        tmp_path / "mono",
        {
            "requirements.txt": "packaging\n",
            "services/api/pyproject.toml": '[project]\nname = "api"\nversion = "0"\n',
            "services/train/requirements.txt": "click==8.1.7\npackaging\n",
            "services/train/Dockerfile": "FROM scratch\n",
        },
    )
    real_venv(root / ".venv", {"packaging": "24.1"})
    api = real_venv(root / "services" / "api" / ".venv", {"packaging": "26.4"})
    for python in (None, api):  # `--python` belongs to the root, as the active environment does
        got = fixes(root, "DEP002", python)
        train = got[("DEP002", "services/train/requirements.txt", 2)]
        assert "==24.1" not in train and "==26.4" not in train, train
        assert "`packaging==<version>`" in train and "the environment this project is installed into" in train
        # true negative: the root's own declaration still gets its environment's version
        want = "packaging==24.1" if python is None else "packaging==26.4"
        assert want in got[("DEP002", "requirements.txt", 1)], got


def test_a_sub_project_with_its_own_environment_gets_its_version(tmp_path: Path) -> None:
    root = write(
        tmp_path / "mono",
        {
            "requirements.txt": "packaging\n",
            "services/api/pyproject.toml": '[project]\nname = "api"\nversion = "0"\n',
            "services/api/requirements.txt": "packaging\n",
        },
    )
    real_venv(root / ".venv", {"packaging": "24.1"})
    real_venv(root / "services" / "api" / ".venv", {"packaging": "26.4"})
    got = fixes(root, "DEP002")
    assert "packaging==26.4" in got[("DEP002", "services/api/requirements.txt", 1)], got
    assert "packaging==24.1" in got[("DEP002", "requirements.txt", 1)], got
