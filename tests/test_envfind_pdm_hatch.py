"""PDM's and Hatch's environments, made by the real tools (offline: no dependencies), are
found where the tool put them. Each test skips when its tool is not installed."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from envaudit.envfind import discover, hatch_project_id, pdm_venv_prefix
from tests.conftest import invoke, write

needs_pdm = pytest.mark.skipif(
    importlib.util.find_spec("pdm") is None, reason="pdm is not installed (pip install -e '.[test]')"
)
needs_hatch = pytest.mark.skipif(
    importlib.util.find_spec("hatch") is None, reason="hatch is not installed (pip install -e '.[test]')"
)


def _env(home: Path) -> dict[str, str]:
    """A clean HOME, no active environment, nothing but the tool's own defaults."""
    drop = ("VIRTUAL_ENV", "CONDA_PREFIX", "XDG_", "PDM_", "HATCH_", "PIP_", "UV_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    return env | {"HOME": str(home), "PDM_CHECK_UPDATE": "false", "NO_COLOR": "1"}


def _run(cmd: list[str], cwd: Path, env: dict[str, str]) -> str:
    res = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=180)
    assert res.returncode == 0, res.stdout + res.stderr
    return res.stdout + res.stderr


def _target(proj: Path, env: dict[str, str]) -> dict:  # type: ignore[type-arg]
    res = invoke("check", str(proj), "--select", "DEP007", "--format", "json", env=env)
    return json.loads(res.stdout)["target"]  # type: ignore[no-any-return]


PDM_PROJECT = '[project]\nname = "demo"\nversion = "0.1"\nrequires-python = ">=3.10"\ndependencies = []\n[tool.pdm]\ndistribution = false\n'


@needs_pdm
def test_pdm_in_project_and_pdm_use(tmp_path: Path) -> None:
    home = tmp_path / "home"
    proj = write(tmp_path / "proj", {"pyproject.toml": PDM_PROJECT})
    env = _env(home)
    pdm = [sys.executable, "-m", "pdm"]
    _run([*pdm, "venv", "create", sys.executable], proj, env)  # venv.in_project: .venv
    assert (proj / ".venv" / "pyvenv.cfg").is_file()
    t = _target(proj, env)
    assert (t["path"], t["found_by"]) == (str(proj / ".venv"), ".venv/ in the project")
    _run([*pdm, "use", "-f", "--venv", "in-project"], proj, env)  # writes .pdm-python
    assert (proj / ".pdm-python").is_file()
    # .pdm-python wins where no .venv-style folder is (a renamed in-project env)
    (proj / ".venv").rename(proj / ".pdm-env")
    (proj / ".pdm-python").write_text(str(proj / ".pdm-env" / "bin" / "python") + "\n", encoding="utf-8")
    t = _target(proj, env)
    assert t["path"] == str(proj / ".pdm-env") and t["found_by"] == "PDM's interpreter (.pdm-python)"


@needs_pdm
def test_pdm_central_venv_without_pdm_python(tmp_path: Path) -> None:
    """`venv.in_project = false`: PDM keeps the venv in its venv.location, named
    `<folder>-<hash>-<python>`; found there even without .pdm-python (not committed)."""
    home = tmp_path / "home"
    proj = write(tmp_path / "proj", {"pyproject.toml": PDM_PROJECT})
    env = _env(home)
    pdm = [sys.executable, "-m", "pdm"]
    _run([*pdm, "config", "venv.in_project", "false"], proj, env)
    _run([*pdm, "venv", "create", sys.executable], proj, env)
    listed = _run([*pdm, "venv", "list"], proj, env)
    central = home / ".local" / "share" / "pdm" / "venvs"
    (made,) = [p for p in central.iterdir() if p.is_dir()]
    assert made.name.startswith(pdm_venv_prefix(str(proj))) and made.name in listed  # PDM's own naming
    assert not (proj / ".pdm-python").exists() and not (proj / ".venv").exists()
    t = _target(proj, env)
    assert t["path"] == str(made) and t["found_by"].startswith("PDM's environment for this project")
    # a venv.location set in PDM's config is followed
    _run([*pdm, "config", "venv.location", str(tmp_path / "pdm-venvs")], proj, env)
    _run([*pdm, "venv", "create", "--name", "other", sys.executable], proj, env)
    (made2,) = list((tmp_path / "pdm-venvs").iterdir())
    assert discover(proj, None, {"HOME": str(home)}).path == made2
    # true negative: another project's central venv is not taken
    other = write(tmp_path / "other", {"pyproject.toml": PDM_PROJECT})
    d = discover(other, None, {"HOME": str(home)})
    assert d.path is None and any("PDM's environment" in x for x in d.looked)


@needs_hatch
def test_hatch_env_create_default_data_dir(tmp_path: Path) -> None:
    home = tmp_path / "home"
    proj = write(
        tmp_path / "proj",
        {
            "pyproject.toml": '[project]\nname = "My_Demo"\nversion = "0.1"\n'
            "[tool.hatch.envs.default]\nskip-install = true\ndependencies = []\n"
        },
    )
    env = _env(home)
    hatch = [sys.executable, "-m", "hatch"]
    _run([*hatch, "env", "create"], proj, env)
    where = Path(_run([*hatch, "env", "find"], proj, env).strip().splitlines()[-1])
    assert where == home / ".local/share/hatch/env/virtual/my-demo" / hatch_project_id(str(proj)) / "my-demo"
    t = _target(proj, env)
    assert (t["path"], t["found_by"]) == (str(where), "Hatch's default environment (its data directory)")
    # HATCH_DATA_DIR moves it, and envaudit follows
    env2 = env | {"HATCH_DATA_DIR": str(tmp_path / "hatch-data")}
    _run([*hatch, "env", "create"], proj, env2)
    where2 = Path(_run([*hatch, "env", "find"], proj, env2).strip().splitlines()[-1])
    assert where2.is_relative_to(tmp_path / "hatch-data")
    assert _target(proj, env2)["path"] == str(where2)


@needs_hatch
def test_hatch_env_with_a_path_in_the_project(tmp_path: Path) -> None:
    home = tmp_path / "home"
    proj = write(
        tmp_path / "proj",
        {
            "hatch.toml": '[envs.default]\npath = ".hatch/default"\nskip-install = true\ndependencies = []\n',
            "pyproject.toml": '[project]\nname = "demo"\nversion = "0.1"\n',
        },
    )
    env = _env(home)
    _run([sys.executable, "-m", "hatch", "env", "create"], proj, env)
    assert (proj / ".hatch" / "default" / "pyvenv.cfg").is_file()
    t = _target(proj, env)
    assert (t["path"], t["found_by"]) == (
        str(proj / ".hatch" / "default"),
        "Hatch's default environment (envs.default.path)",
    )
