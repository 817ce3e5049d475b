"""DEP004 on pdm.lock decided the way `pdm lock --check` decides it, with PDM itself as
the oracle: PDM locks a project with no requirements (nothing to download), the manifest
is changed in one way at a time, and envaudit's verdict (any DEP004 on the lock) must
equal PDM's, which compares the manifest with the lock's content_hash without resolving."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import check


def _pdm() -> str | None:
    here = Path(sys.executable).parent / "pdm"
    return str(here) if here.is_file() else shutil.which("pdm")


PDM = _pdm()
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(PDM is None, reason="pdm not found next to the interpreter or on PATH"),
]

BASE = """\
[project]
name = "demo"
version = "0.1.0"
description = "a project locked by PDM"
requires-python = ">=3.10"
dependencies = []

[dependency-groups]
dev = []

[tool.pdm]
distribution = false
"""

MUTATIONS: list[tuple[str, str, str]] = [
    ("unchanged", "", ""),
    ("description", 'description = "a project locked by PDM"', 'description = "reworded"'),
    ("version", 'version = "0.1.0"', 'version = "0.2.0"'),
    ("requires-python", 'requires-python = ">=3.10"', 'requires-python = ">=3.11"'),
    ("new-dependency", "dependencies = []", 'dependencies = ["requests>=2"]'),
    (
        "new-extra",
        "dependencies = []\n",
        'dependencies = []\n\n[project.optional-dependencies]\nfast = ["orjson"]\n',
    ),
    ("group-dependency", "dev = []", 'dev = ["pytest"]'),
    ("new-group", "dev = []\n", 'dev = []\ndocs = ["sphinx"]\n'),
    # attacker round
    ("comment", "[dependency-groups]\n", "# groups\n[dependency-groups]\n"),
    ("group-name-case", "dev = []", "Dev = []"),
    ("group-name-separator", "dev = []\n", 'dev = []\ntest_x = ["pytest"]\n'),
    ("requires-python-spacing", 'requires-python = ">=3.10"', 'requires-python = ">= 3.10"'),
    (
        "legacy-dev-dependencies",
        "distribution = false\n",
        'distribution = false\n\n[tool.pdm.dev-dependencies]\nlint = ["ruff"]\n',
    ),
    (
        "resolution-overrides",
        "distribution = false\n",
        'distribution = false\n\n[tool.pdm.resolution.overrides]\nurllib3 = "<2"\n',
    ),
    (
        "pdm-scripts",
        "distribution = false\n",
        'distribution = false\n\n[tool.pdm.scripts]\ntest = "pytest"\n',
    ),
    ("include-group", "dev = []", 'dev = []\nall = [{include-group = "dev"}]'),
    (
        "pdm-source",
        "distribution = false\n",
        'distribution = false\n\n[[tool.pdm.source]]\nname = "mirror"\nurl = "https://example.org/simple"\n',
    ),
]
VERDICTS: dict[str, bool] = {}


@pytest.fixture(scope="module")
def locked(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    base = tmp_path_factory.mktemp("pdmoracle")
    project = base / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(BASE)
    env = {
        **os.environ,
        "PDM_HOME": str(base / "home"),
        "PDM_CACHE_DIR": str(base / "cache"),
        "PDM_CONFIG_FILE": str(base / "config.toml"),
        "PDM_CHECK_UPDATE": "false",
        "PDM_NON_INTERACTIVE": "1",
        "PDM_PYTHON": sys.executable,
    }
    res = subprocess.run(
        [str(PDM), "lock"], cwd=project, env=env, capture_output=True, text=True, timeout=300
    )
    assert res.returncode == 0, res.stderr
    return project, env


@pytest.mark.parametrize(("name", "old", "new"), MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_envaudit_agrees_with_pdm_lock_check(
    locked: tuple[Path, dict[str, str]], name: str, old: str, new: str
) -> None:
    project, env = locked
    work = project.parent / f"case-{name}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    shutil.copy(project / "pdm.lock", work / "pdm.lock")
    assert not old or old in BASE, name
    (work / "pyproject.toml").write_text(BASE.replace(old, new, 1) if old else BASE)
    res = subprocess.run(
        [str(PDM), "lock", "--check"], cwd=work, env=env, capture_output=True, text=True, timeout=120
    )
    stale = res.returncode != 0
    VERDICTS[name] = stale
    found = [f for f in check(work, "DEP004").findings if f.location.path == "pdm.lock"]
    assert bool(found) == stale, (name, stale, res.stdout + res.stderr, [f.message for f in found])


def test_the_cases_get_both_verdicts() -> None:
    if len(VERDICTS) < len(MUTATIONS):
        pytest.skip("the cases did not all run in this session")
    assert VERDICTS["description"] is False and VERDICTS["new-dependency"] is True
