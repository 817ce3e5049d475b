from __future__ import annotations

import json
import os
import shutil
import subprocess
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from envaudit.cli import cli
from envaudit.config import Config
from envaudit.engine import CheckResult, run_check

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The source scanner's cache goes to a temporary dir, not the user's ~/.cache."""
    os.environ["ENVAUDIT_CACHE_DIR"] = str(tmp_path_factory.mktemp("envaudit-cache"))


# Where envaudit looks for the project's environment: a developer's activated env or
# tool settings must not decide what the tests audit (each test names its environment).
DISCOVERY_VARS = (
    "VIRTUAL_ENV",
    "CONDA_PREFIX",
    "CONDA_DEFAULT_ENV",
    "CONDA_ENVS_PATH",
    "CONDA_ENVS_DIRS",
    "CONDARC",
    "UV_PROJECT_ENVIRONMENT",
    "POETRY_VIRTUALENVS_PATH",
    "POETRY_CONFIG_DIR",
    "POETRY_CACHE_DIR",
    "WORKON_HOME",
    "PIPENV_CUSTOM_VENV_NAME",
    "HATCH_DATA_DIR",
    "PRE_COMMIT",
)


@pytest.fixture(autouse=True, scope="session")
def _no_active_environment() -> None:
    for var in DISCOVERY_VARS:
        os.environ.pop(var, None)


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    """Create files under root; str content is dedented."""
    for rel, content in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
    return root


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[[dict[str, str | bytes]], Path]:
    def make(files: dict[str, str | bytes]) -> Path:
        root = tmp_path / "proj"
        root.mkdir(exist_ok=True)
        return write(root, files)

    return make


def check(root: Path, select: str | tuple[str, ...] = ("ALL",), **kw: Any) -> CheckResult:
    if isinstance(select, str):
        select = tuple(s.strip() for s in select.split(","))
    return run_check(root, Config(select=select), **kw)


def codes(result: CheckResult) -> list[str]:
    return [f.code for f in result.findings]


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def invoke_json(*args: str) -> dict[str, Any]:
    res = invoke(*args, "--format", "json")
    return json.loads(res.stdout)


@pytest.fixture(scope="session")
def installed_wheel(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """envaudit built as a plain wheel once per session and unpacked as a site dir:
    (wheel, site). Tests import it from there, not from the source tree."""
    import sys
    import zipfile

    tmp = tmp_path_factory.mktemp("wheel")
    dist = tmp / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(REPO)],
        check=True,
        capture_output=True,
    )
    (wheel,) = dist.glob("envaudit-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(tmp / "site")
    return wheel, tmp / "site"


def docker_available() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def git_init(root: Path) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com"}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True, env=env)
