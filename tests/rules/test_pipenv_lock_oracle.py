"""DEP004 on Pipfile.lock decided the way `pipenv verify` decides it, with Pipenv itself
as the oracle.

Pipenv locks a Pipfile with no packages (nothing to download); then the Pipfile is
changed in one way at a time and envaudit's verdict (any DEP004 on the lock) must equal
`pipenv verify`'s, which compares the Pipfile with the lock's `_meta.hash` and resolves
nothing, so everything runs offline.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import check


def _pipenv() -> str | None:
    here = Path(sys.executable).parent / "pipenv"
    return str(here) if here.is_file() else shutil.which("pipenv")


PIPENV = _pipenv()
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(PIPENV is None, reason="pipenv not found next to the interpreter or on PATH"),
]

BASE = """\
[[source]]
url = "https://pypi.org/simple"
verify_ssl = true
name = "pypi"

[packages]

[dev-packages]

[requires]
python_version = "3.11"
"""

MUTATIONS: list[tuple[str, str, str]] = [
    ("unchanged", "", ""),
    ("comment", "[packages]\n", "[packages]\n# the runtime packages\n"),
    ("blank-lines", "[dev-packages]\n", "\n\n[dev-packages]\n"),
    ("new-package", "[packages]\n", '[packages]\nrequests = "*"\n'),
    ("pinned-package", "[packages]\n", '[packages]\nrequests = "==2.32.3"\n'),
    ("table-package", "[packages]\n", '[packages]\nrequests = {version = ">=2", extras = ["socks"]}\n'),
    ("dev-package", "[dev-packages]\n", '[dev-packages]\npytest = "*"\n'),
    ("python-version", 'python_version = "3.11"', 'python_version = "3.12"'),
    ("source-url", 'url = "https://pypi.org/simple"', 'url = "https://example.org/simple"'),
    ("new-category", "[requires]\n", '[docs]\nsphinx = "*"\n\n[requires]\n'),
    # attacker round: spellings that pipenv's hash sees or normalises
    ("name-case", "[packages]\n", '[packages]\nRequests = "*"\n'),
    ("name-separator", "[dev-packages]\n", '[dev-packages]\nzope_interface = "*"\n'),
    ("inline-table-version", "[packages]\n", '[packages]\nrequests = {version = "*"}\n'),
    ("literal-string", 'python_version = "3.11"', "python_version = '3.11'"),
    (
        "key-order-in-source",
        'url = "https://pypi.org/simple"\nverify_ssl = true',
        'verify_ssl = true\nurl = "https://pypi.org/simple"',
    ),
    ("scripts", "[requires]\n", '[scripts]\ntest = "pytest"\n\n[requires]\n'),
    (
        "python-full-version",
        'python_version = "3.11"',
        'python_version = "3.11"\npython_full_version = "3.11.4"',
    ),
    ("pipenv-settings", "[requires]\n", "[pipenv]\nallow_prereleases = true\n\n[requires]\n"),
]
VERDICTS: dict[str, bool] = {}


@pytest.fixture(scope="module")
def locked(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    base = tmp_path_factory.mktemp("pipenvoracle")
    project = base / "project"
    project.mkdir()
    (project / "Pipfile").write_text(BASE)
    env = {
        **os.environ,
        "PIPENV_VENV_IN_PROJECT": "0",
        "PIPENV_IGNORE_VIRTUALENVS": "1",
        "WORKON_HOME": str(base / "venvs"),
        "PIPENV_NOSPIN": "1",
        "PIPENV_YES": "1",
        "PIP_CONFIG_FILE": os.devnull,
    }
    res = subprocess.run(
        [str(PIPENV), "lock"], cwd=project, env=env, capture_output=True, text=True, timeout=300
    )
    assert res.returncode == 0, res.stderr
    return project, env


@pytest.mark.parametrize(("name", "old", "new"), MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_envaudit_agrees_with_pipenv_verify(
    locked: tuple[Path, dict[str, str]], name: str, old: str, new: str
) -> None:
    project, env = locked
    work = project.parent / f"case-{name}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    shutil.copy(project / "Pipfile.lock", work / "Pipfile.lock")
    assert not old or old in BASE, name
    (work / "Pipfile").write_text(BASE.replace(old, new, 1) if old else BASE)
    res = subprocess.run(
        [str(PIPENV), "verify"], cwd=work, env=env, capture_output=True, text=True, timeout=120
    )
    stale = res.returncode != 0
    VERDICTS[name] = stale
    found = [f for f in check(work, "DEP004").findings if f.location.path == "Pipfile.lock"]
    assert bool(found) == stale, (name, stale, res.stdout + res.stderr, [f.message for f in found])


def test_the_cases_get_both_verdicts() -> None:
    if len(VERDICTS) < len(MUTATIONS):
        pytest.skip("the cases did not all run in this session")
    assert VERDICTS["comment"] is False and VERDICTS["new-package"] is True
