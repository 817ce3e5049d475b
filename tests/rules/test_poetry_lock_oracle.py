"""DEP004 on poetry.lock decided the way `poetry check --lock` decides it, with Poetry
itself as the oracle.

Poetry locks a project offline (nothing to download: the dependencies are added after
locking, and `poetry check --lock` compares the manifest with the lock's content-hash
without resolving). Then the pyproject is changed in one way at a time, in both the PEP
621 `[project]` table and Poetry's own `[tool.poetry]` tables, and envaudit's verdict
(any DEP004 on the lock) must equal Poetry's.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import check


def _poetry() -> str | None:
    here = Path(sys.executable).parent / "poetry"
    return str(here) if here.is_file() else shutil.which("poetry")


POETRY = _poetry()
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(POETRY is None, reason="poetry not found next to the interpreter or on PATH"),
]

BASE = """\
[project]
name = "demo"
version = "0.1.0"
description = "a project locked by Poetry"
requires-python = ">=3.10"
dependencies = []

[tool.poetry]
package-mode = false

[tool.poetry.group.dev.dependencies]
"""

# (name, old, new): one change of the manifest each; a requirement can be added after
# locking (Poetry hashes the manifest, `check --lock` resolves nothing), so all of this
# runs offline
MUTATIONS: list[tuple[str, str, str]] = [
    ("unchanged", "", ""),
    ("description", 'description = "a project locked by Poetry"', 'description = "reworded"'),
    ("version", 'version = "0.1.0"', 'version = "0.2.0"'),
    ("readme-added", "requires-python", 'readme = "README.md"\nrequires-python'),
    ("requires-python", 'requires-python = ">=3.10"', 'requires-python = ">=3.11"'),
    ("new-dependency", "dependencies = []", 'dependencies = ["alpha>=1"]'),
    (
        "new-extra",
        "dependencies = []",
        'dependencies = []\n\n[project.optional-dependencies]\nfast = ["gamma>=1"]',
    ),
    (
        "poetry-table",
        "package-mode = false\n",
        'package-mode = false\n\n[tool.poetry.dependencies]\nbeta = "^2.0"\n',
    ),
    # attacker round: formatting that Poetry's hash does not see, and keys it does
    ("comment", "[tool.poetry]\n", "# settings\n[tool.poetry]\n"),
    ("literal-strings", 'requires-python = ">=3.10"', "requires-python = '>=3.10'"),
    ("requires-python-spacing", 'requires-python = ">=3.10"', 'requires-python = ">= 3.10"'),
    ("build-system", "[tool.poetry]\n", '[build-system]\nrequires = ["poetry-core"]\n\n[tool.poetry]\n'),
    (
        "group-optional",
        "[tool.poetry.group.dev.dependencies]\n",
        "[tool.poetry.group.dev]\noptional = true\n\n[tool.poetry.group.dev.dependencies]\n",
    ),
    (
        "poetry-source",
        "package-mode = false\n",
        'package-mode = false\n\n[[tool.poetry.source]]\nname = "mirror"\nurl = "https://example.org/simple"\npriority = "supplemental"\n',
    ),
    ("poetry-extras", "package-mode = false\n", "package-mode = false\n\n[tool.poetry.extras]\nfast = []\n"),
    (
        "dependency-groups-table",
        "[tool.poetry]\n",
        '[dependency-groups]\ntest = ["pytest"]\n\n[tool.poetry]\n',
    ),
    ("dependency-spacing", "dependencies = []", 'dependencies = ["alpha >= 1"]'),
    (
        "poetry-scripts",
        "package-mode = false\n",
        'package-mode = false\n\n[tool.poetry.scripts]\ndemo = "demo:main"\n',
    ),
    ("dotted-keys", "[tool.poetry]\npackage-mode = false\n", "[tool]\npoetry.package-mode = false\n"),
    (
        "group-dependency",
        "[tool.poetry.group.dev.dependencies]\n",
        '[tool.poetry.group.dev.dependencies]\ndelta = "^1.0"\n',
    ),
]


VERDICTS: dict[str, bool] = {}


def _env(base: Path) -> dict[str, str]:
    return {
        **os.environ,
        "POETRY_CACHE_DIR": str(base / "cache"),
        "POETRY_CONFIG_DIR": str(base / "config"),
        "POETRY_DATA_DIR": str(base / "data"),
        "POETRY_VIRTUALENVS_CREATE": "false",
        "POETRY_NO_INTERACTION": "1",
    }


@pytest.fixture(scope="module")
def locked(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    base = tmp_path_factory.mktemp("poetryoracle")
    project = base / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(BASE)
    env = _env(base)
    res = subprocess.run(
        [str(POETRY), "lock"], cwd=project, env=env, capture_output=True, text=True, timeout=300
    )
    assert res.returncode == 0, res.stderr
    return project, env


def _poetry_says_stale(project: Path, env: dict[str, str]) -> tuple[bool, str]:
    res = subprocess.run(
        [str(POETRY), "check", "--lock"], cwd=project, env=env, capture_output=True, text=True, timeout=120
    )
    said = (res.stdout + res.stderr).strip()
    return "poetry.lock" in said and ("not consistent" in said or "changed significantly" in said), said


@pytest.mark.parametrize(("name", "old", "new"), MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_envaudit_agrees_with_poetry_check_lock(
    locked: tuple[Path, dict[str, str]], name: str, old: str, new: str
) -> None:
    project, env = locked
    work = project.parent / f"case-{name}"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(project, work)
    assert not old or old in BASE, name
    (work / "pyproject.toml").write_text(BASE.replace(old, new, 1) if old else BASE)
    stale, said = _poetry_says_stale(work, env)
    VERDICTS[name] = stale
    found = [f for f in check(work, "DEP004").findings if f.location.path == "poetry.lock"]
    assert bool(found) == stale, (name, stale, said, [f.message for f in found])


def test_the_cases_get_both_verdicts() -> None:
    """Runs after the cases: Poetry called some of the changes stale and some not (a table
    of one answer would prove nothing)."""
    if len(VERDICTS) < len(MUTATIONS):
        pytest.skip("the cases did not all run in this session")
    assert set(VERDICTS.values()) == {True, False}
    assert VERDICTS["description"] is False and VERDICTS["new-dependency"] is True
