"""pyproject.toml keys of the wrong type (issue 15, attacker round), with uv as the oracle.

uv refuses each of these files ("Failed to parse: pyproject.toml"), and so do pip's build
front ends; envaudit read past them in silence (`project = "x"` declared nothing and said
nothing). Each is now an EA001 that names the key and its line.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from envaudit.inventory import Inventory

HEAD = '[project]\nname = "demo"\nversion = "0.1"\n'

CASES = {
    "project-not-a-table": ('project = "x"\n', "project", 1),
    "optional-dependencies-array": (
        HEAD + 'optional-dependencies = ["x"]\n',
        "project.optional-dependencies",
        4,
    ),
    "requires-python-number": (HEAD + "requires-python = 3.10\n", "project.requires-python", 4),
    "uv-sources-string": (HEAD + '[tool.uv]\nsources = "x"\n', "tool.uv.sources", 5),
    "uv-source-entry-string": (HEAD + '[tool.uv.sources]\nnumpy = "x"\n', "tool.uv.sources.numpy", 5),
    "uv-index-table": (HEAD + '[tool.uv.index]\nname = "x"\n', "tool.uv.index", 4),
    "dependency-groups-array": ('dependency-groups = ["x"]\n' + HEAD, "dependency-groups", 1),
}


def _uv() -> str | None:
    here = Path(sys.executable).parent / "uv"
    return str(here) if here.is_file() else shutil.which("uv")


@pytest.mark.parametrize("name", list(CASES))
def test_wrong_type_is_ea001_naming_the_key(tmp_path: Path, name: str) -> None:
    text, key, line = CASES[name]
    (tmp_path / "pyproject.toml").write_text(text)
    inv = Inventory(tmp_path, environ={})
    inv.get("manifests")
    found = [(d.line, d.message) for d in inv.diagnostics if d.code == "EA001" and f"`{key}`" in d.message]
    assert found and found[0][0] == line, inv.diagnostics
    uv = _uv()
    if uv is not None:
        res = subprocess.run(
            [uv, "lock", "--offline", "--no-cache"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert res.returncode != 0 and "Failed to parse" in res.stderr, res.stderr


def test_well_formed_file_has_no_ea001(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        HEAD + 'requires-python = ">=3.10"\ndependencies = ["numpy"]\n[tool.uv.sources]\n'
        'numpy = [{ index = "a", marker = "sys_platform == \'linux\'" }]\n'
    )
    inv = Inventory(tmp_path, environ={})
    inv.get("manifests")
    assert [d for d in inv.diagnostics if d.code == "EA001"] == []


def test_environment_yml_pip_r_declares_what_the_file_names(tmp_path: Path) -> None:
    """conda runs pip from the environment file's folder with the `pip:` lines as a
    requirements file, so `-r pipdeps.txt` installs pipdeps.txt: its requirements were
    neither declared (DEP008 called tqdm undeclared) nor checked for pins."""
    from tests.conftest import check, write

    write(
        tmp_path,
        {
            "conda/environment.yml": "name: x\ndependencies:\n  - python=3.11\n  - pip\n  - pip:\n"
            "    - -r pipdeps.txt\n    - --requirement=../more/deps.txt\n    - -r missing.txt\n",
            "conda/pipdeps.txt": "tqdm==4.66.1\n",
            "more/deps.txt": "rich\n",
            "a.py": "import tqdm, rich\n",
        },
    )
    res = check(tmp_path, "DEP002,DEP008,EA001")
    got = sorted((f.code, f.location.path, f.location.line) for f in res.findings)
    assert got == [("DEP002", "more/deps.txt", 1), ("EA001", "conda/environment.yml", 8)], got
