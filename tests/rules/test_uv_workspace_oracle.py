"""DEP004 on a uv workspace, with `uv lock --check` as the oracle (issue 15, attacker round).

uv records a workspace's members in uv.lock's `[manifest] members`; a member added
(or dropped) after locking makes `uv lock --check` fail. envaudit said nothing. The members
are found as uv finds them: the `members` globs of `[tool.uv.workspace]`, minus `exclude`,
each a folder with a pyproject.toml. Offline: the members have no dependencies.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import check


def _uv() -> str | None:
    here = Path(sys.executable).parent / "uv"
    return str(here) if here.is_file() else shutil.which("uv")


UV = _uv()
pytestmark = [pytest.mark.slow, pytest.mark.skipif(UV is None, reason="uv not found")]

ROOT = """\
[project]
name = "root"
version = "0.1"
requires-python = ">=3.10"
dependencies = ["a"]

[tool.uv.workspace]
members = ["pkgs/a"]

[tool.uv.sources]
a = { workspace = true }
"""
MEMBER = '[project]\nname = "{name}"\nversion = "0.1"\nrequires-python = ">=3.10"\ndependencies = []\n'

MUTATIONS = [
    ("unchanged", "", ""),
    ("member-added", 'members = ["pkgs/a"]', 'members = ["pkgs/a", "pkgs/b"]'),
    ("glob-same-members", 'members = ["pkgs/a"]', 'members = ["pkgs/*"]\nexclude = ["pkgs/b"]'),
    ("glob-more-members", 'members = ["pkgs/a"]', 'members = ["pkgs/*"]'),
]


@pytest.fixture(scope="module")
def locked(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    base = tmp_path_factory.mktemp("uvws")
    project = base / "project"
    for name in ("a", "b"):
        (project / "pkgs" / name).mkdir(parents=True)
        (project / "pkgs" / name / "pyproject.toml").write_text(MEMBER.format(name=name))
    (project / "pyproject.toml").write_text(ROOT)
    env = {
        **os.environ,
        "UV_CACHE_DIR": str(base / "cache"),
        "UV_NO_CONFIG": "1",
        "UV_PYTHON": sys.executable,
    }
    res = subprocess.run(
        [str(UV), "lock", "--offline"], cwd=project, env=env, capture_output=True, text=True, timeout=120
    )
    assert res.returncode == 0, res.stderr
    return project, env


@pytest.mark.parametrize(("name", "old", "new"), MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_envaudit_agrees_with_uv_on_workspace_members(
    locked: tuple[Path, dict[str, str]], name: str, old: str, new: str
) -> None:
    project, env = locked
    work = project.parent / f"case-{name}"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(project, work)
    (work / "pyproject.toml").write_text(ROOT.replace(old, new, 1) if old else ROOT)
    res = subprocess.run(
        [str(UV), "lock", "--check", "--offline"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    uv_stale = res.returncode != 0
    found = [f for f in check(work, "DEP004").findings if f.location.path == "uv.lock"]
    assert bool(found) == uv_stale, (name, uv_stale, res.stderr, [f.message for f in found])
    assert uv_stale == (name in ("member-added", "glob-more-members"))
