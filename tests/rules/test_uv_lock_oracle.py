"""DEP004 on uv.lock decided the way `uv lock --check` decides it, with uv as the oracle.

One project is locked by uv itself, offline, from wheels this test builds (two flat
indexes), a git repository and a path package it makes; it uses every kind of
`[tool.uv.sources]` entry that real projects use (a git source, per-marker indexes, a
group-only index, an editable path), optional dependencies and dependency groups. Then
the pyproject is changed in one way at a time, and envaudit's verdict (any DEP004 on the
lock) must equal uv's (`uv lock --check --offline` failing).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import check
from tests.wheelhouse import build_wheel


def _uv() -> str | None:
    here = Path(sys.executable).parent / "uv"
    return str(here) if here.is_file() else shutil.which("uv")


UV = _uv()
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(UV is None, reason="uv not found next to the interpreter or on PATH (pip install uv)"),
]

BASE = """\
[project]
name = "demo"
version = "0.1"
description = "a project locked by uv"
requires-python = ">=3.10"
dependencies = [
    "alpha>=1",
    "epsilon",
    "zeta",
    "local-pkg",
]

[project.optional-dependencies]
fast = ["gamma>=1"]

[dependency-groups]
dev = ["beta>=1"]
lint = ["gamma"]

[tool.uv]
package = false

[tool.uv.sources]
zeta = { git = "GITURL", tag = "v0.1" }
local-pkg = { path = "vendor/local-pkg", editable = true }
epsilon = [
    { index = "second", marker = "sys_platform == 'linux'" },
    { index = "first", marker = "sys_platform != 'linux'" },
]
gamma = [{ index = "second", group = "lint" }]

[[tool.uv.index]]
name = "first"
url = "WH1"
format = "flat"

[[tool.uv.index]]
name = "second"
url = "WH2"
format = "flat"
explicit = true
"""

# (name, old text, new text): one change of the manifest each
MUTATIONS: list[tuple[str, str, str]] = [
    ("unchanged", "", ""),
    ("description", 'description = "a project locked by uv"', 'description = "reworded"'),
    ("reordered", '    "alpha>=1",\n    "epsilon",', '    "epsilon",\n    "alpha>=1",'),
    ("spacing", '"alpha>=1"', '"alpha >= 1"'),
    ("requires-python", 'requires-python = ">=3.10"', 'requires-python = ">=3.11"'),
    ("requires-python-same", 'requires-python = ">=3.10"', 'requires-python = ">= 3.10"'),
    ("new-dependency", '    "local-pkg",\n]', '    "local-pkg",\n    "delta",\n]'),
    ("dropped-dependency", '    "zeta",\n', ""),
    ("tighter-range", '"alpha>=1"', '"alpha>=1,<2"'),
    ("extras", '"alpha>=1"', '"alpha[speed]>=1"'),
    ("marker", '"alpha>=1"', "\"alpha>=1; sys_platform == 'linux'\""),
    ("range-on-git-source", '    "zeta",', '    "zeta>=0.1",'),
    ("range-on-index-source", '    "epsilon",', '    "epsilon>=0.1",'),
    ("git-tag", 'tag = "v0.1"', 'tag = "v0.2"'),
    ("git-to-branch", 'tag = "v0.1"', 'branch = "main"'),
    (
        "index-swapped",
        '{ index = "second", marker = "sys_platform == \'linux\'" }',
        '{ index = "first", marker = "sys_platform == \'linux\'" }',
    ),
    (
        "index-marker",
        'marker = "sys_platform == \'linux\'" },\n    { index = "first", marker = "sys_platform != \'linux\'" }',
        'marker = "sys_platform == \'darwin\'" },\n    { index = "first", marker = "sys_platform != \'darwin\'" }',
    ),
    ("not-editable", "editable = true", "editable = false"),
    ("group-added", 'lint = ["gamma"]', 'lint = ["gamma", "delta"]'),
    ("group-range", 'dev = ["beta>=1"]', 'dev = ["beta>=2"]'),
    ("group-source-dropped", 'gamma = [{ index = "second", group = "lint" }]\n', ""),
    ("extra-added", 'fast = ["gamma>=1"]', 'fast = ["gamma>=1", "delta"]'),
    ("extra-range", 'fast = ["gamma>=1"]', 'fast = ["gamma>=1,<5"]'),
    ("extra-marker", 'fast = ["gamma>=1"]', "fast = [\"gamma>=1; sys_platform == 'linux'\"]"),
    ("new-extra", 'fast = ["gamma>=1"]', 'fast = ["gamma>=1"]\nwin = ["delta"]'),
    # attacker round: edits that change the text and not the meaning, and the reverse
    ("name-case", '"alpha>=1"', '"Alpha>=1"'),
    ("name-separator", '    "local-pkg",\n]', '    "local_pkg",\n]'),
    ("name-dots", '    "local-pkg",\n]', '    "Local.Pkg",\n]'),
    ("specifier-order", '"gamma>=1"]', '"gamma<5,>=1"]'),
    ("specifier-order-same", 'fast = ["gamma>=1"]', 'fast = ["gamma>=1.0"]'),
    ("extras-order", '"alpha>=1"', '"alpha[b,a]>=1"'),
    (
        "marker-quotes",
        '{ index = "second", marker = "sys_platform == \'linux\'" }',
        '{ index = "second", marker = \'sys_platform == "linux"\' }',
    ),
    ("marker-spacing", '"alpha>=1"', "\"alpha>=1;sys_platform=='linux'\""),
    ("comment", "[dependency-groups]", "# groups\n[dependency-groups]"),
    (
        "inline-array",
        '    "alpha>=1",\n    "epsilon",\n    "zeta",\n    "local-pkg",\n]',
        '"alpha>=1", "epsilon", "zeta", "local-pkg"]',
    ),
    ("literal-strings", '"alpha>=1"', "'alpha>=1'"),
    ("group-name-case", 'dev = ["beta>=1"]', 'Dev = ["beta>=1"]'),
    ("group-name-sep", 'lint = ["gamma"]', 'lint_ = ["gamma"]'),
    ("extra-name-case", 'fast = ["gamma>=1"]', 'Fast = ["gamma>=1"]'),
    ("duplicate-dependency", '    "zeta",\n', '    "zeta",\n    "zeta",\n'),
    ("requires-python-patch", 'requires-python = ">=3.10"', 'requires-python = ">=3.10.0"'),
    ("requires-python-upper", 'requires-python = ">=3.10"', 'requires-python = ">=3.10,<4"'),
    ("requires-python-tilde", 'requires-python = ">=3.10"', 'requires-python = "~=3.10"'),
    ("include-group", 'lint = ["gamma"]', 'lint = ["gamma", {include-group = "dev"}]'),
    ("version-changed", 'version = "0.1"', 'version = "0.2"'),
    ("tool-uv-package", "package = false", "package = false\nconstraint-dependencies = []"),
    ("constraint-added", "package = false", 'package = false\nconstraint-dependencies = ["alpha<3"]'),
    ("override-added", "package = false", 'package = false\noverride-dependencies = ["alpha<3"]'),
    ("marker-redundant", '"alpha>=1"', "\"alpha>=1; python_version >= '3.10'\""),
    ("version-same", 'version = "0.1"', 'version = "0.1.0"'),
    ("empty-extra", 'fast = ["gamma>=1"]', 'fast = ["gamma>=1"]\nnone = []'),
    (
        "build-constraint-added",
        "package = false",
        'package = false\nbuild-constraint-dependencies = ["setuptools<80"]',
    ),
    ("marker-never-true", '"alpha>=1"', "\"alpha>=1; python_version < '3.10'\""),
    (
        "marker-or-redundant",
        '"alpha>=1"',
        "\"alpha>=1; python_version >= '3.10' or sys_platform == 'linux'\"",
    ),
    ("empty-group", 'lint = ["gamma"]', 'lint = ["gamma"]\nnone = []'),
    (
        "python-fork",
        '"alpha>=1"',
        "\"alpha>=1; python_version >= '3.11'\", \"alpha<2; python_version < '3.11'\"",
    ),
]


def _run(cmd: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def locked(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    base = tmp_path_factory.mktemp("uvoracle")
    wh1, wh2 = base / "wh1", base / "wh2"
    build_wheel(wh1, "alpha", "1.0", ("beta>=1", "delta; sys_platform == 'win32'"))
    build_wheel(wh1, "alpha", "2.0", ("beta>=1",))
    build_wheel(wh1, "beta", "1.0", ("gamma",))
    build_wheel(wh1, "beta", "2.0", ("gamma>=1",))
    build_wheel(wh1, "gamma", "1.0")
    build_wheel(wh1, "delta", "1.0")
    build_wheel(wh1, "epsilon", "0.5")
    build_wheel(wh2, "gamma", "3.0")
    build_wheel(wh2, "epsilon", "1.0")
    git_env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    repo = base / "zeta"
    (repo / "zeta").mkdir(parents=True)
    (repo / "zeta" / "__init__.py").write_text("")
    (repo / "pyproject.toml").write_text(
        '[project]\nname = "zeta"\nversion = "0.1"\n[build-system]\nrequires = []\n'
        'build-backend = "backend"\nbackend-path = ["."]\n'
    )
    (repo / "backend.py").write_text(_BACKEND)
    for cmd in (["git", "init", "-q", "-b", "main"], ["git", "add", "-A"],
                ["git", "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "init"],
                ["git", "tag", "v0.1"], ["git", "tag", "v0.2"]):  # fmt: skip
        subprocess.run(cmd, cwd=repo, env=git_env, check=True, capture_output=True)
    project = base / "project"
    pkg = project / "vendor" / "local-pkg"
    (pkg / "local_pkg").mkdir(parents=True)
    (pkg / "local_pkg" / "__init__.py").write_text("")
    (pkg / "backend.py").write_text(_BACKEND)
    (pkg / "pyproject.toml").write_text(
        '[project]\nname = "local-pkg"\nversion = "0.1"\n[build-system]\nrequires = []\n'
        'build-backend = "backend"\nbackend-path = ["."]\n'
    )
    text = BASE.replace("GITURL", repo.as_uri()).replace("WH1", str(wh1)).replace("WH2", str(wh2))
    (project / "pyproject.toml").write_text(text)
    env = {
        **git_env,
        "UV_CACHE_DIR": str(base / "uv-cache"),
        "UV_PYTHON": sys.executable,
        "XDG_CONFIG_HOME": str(base / "xdg"),  # no user uv.toml (UV_NO_CONFIG would skip [tool.uv] too)
        "UV_OFFLINE": "1",
    }
    res = _run([str(UV), "lock", "--offline"], project, env)
    assert res.returncode == 0, res.stderr
    return project, env


# A build backend in a few lines, so uv can read the metadata of the git and path
# packages offline (no hatchling or setuptools to download).
_BACKEND = """
import os, zipfile, base64, hashlib

def _meta():
    import tomllib
    with open("pyproject.toml", "rb") as f:
        p = tomllib.load(f)["project"]
    return p["name"], p["version"]

def prepare_metadata_for_build_wheel(d, config_settings=None):
    name, version = _meta()
    info = os.path.join(d, f"{name.replace('-', '_')}-{version}.dist-info")
    os.makedirs(info, exist_ok=True)
    with open(os.path.join(info, "METADATA"), "w") as f:
        f.write(f"Metadata-Version: 2.1\\nName: {name}\\nVersion: {version}\\n")
    return os.path.basename(info)

prepare_metadata_for_build_editable = prepare_metadata_for_build_wheel

def build_wheel(d, config_settings=None, metadata_directory=None):
    name, version = _meta()
    dist = name.replace("-", "_")
    fn = f"{dist}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(d, fn), "w") as z:
        z.writestr(f"{dist}-{version}.dist-info/METADATA", f"Metadata-Version: 2.1\\nName: {name}\\nVersion: {version}\\n")
        z.writestr(f"{dist}-{version}.dist-info/WHEEL", "Wheel-Version: 1.0\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n")
        z.writestr(f"{dist}-{version}.dist-info/RECORD", "")
    return fn

build_editable = build_wheel
"""


def _copy(project: Path, name: str) -> Path:
    """A copy beside the locked project: uv may record the flat indexes relative to it
    (`../wh1`), so the copy sits at the same depth."""
    work = project.parent / f"case-{name}"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(project, work, symlinks=True)
    return work


def _uv_check(project: Path, env: dict[str, str]) -> tuple[bool, str]:
    """(stale, uv's own words) from `uv lock --check`."""
    res = _run([str(UV), "lock", "--check", "--offline"], project, env)
    if res.returncode not in (0, 1, 2):
        pytest.fail(f"uv lock --check: {res.stderr}")
    return res.returncode != 0, res.stderr.strip().splitlines()[-1] if res.stderr.strip() else ""


def _uv_says_stale(project: Path, env: dict[str, str]) -> bool:
    return _uv_check(project, env)[0]


@pytest.mark.parametrize(("name", "old", "new"), MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_envaudit_agrees_with_uv_lock_check(
    locked: tuple[Path, dict[str, str]], tmp_path: Path, name: str, old: str, new: str
) -> None:
    project, env = locked
    work = _copy(project, name)
    py = work / "pyproject.toml"
    text = py.read_text()
    if old:
        assert old in text, name
        py.write_text(text.replace(old, new, 1))
    uv_stale, uv_said = _uv_check(work, env)
    found = [f for f in check(work, "DEP004").findings if f.location.path == "uv.lock"]
    assert bool(found) == uv_stale, (name, uv_stale, uv_said, [f.message for f in found])


def test_the_oracle_sees_both_verdicts(locked: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    """The table above is not all one answer: uv calls some changes stale and others not."""
    project, env = locked
    verdicts = set()
    for name, old, new in MUTATIONS[:6]:
        work = _copy(project, f"both-{name}")
        if old:
            (work / "pyproject.toml").write_text((work / "pyproject.toml").read_text().replace(old, new, 1))
        verdicts.add(_uv_says_stale(work, env))
    assert verdicts == {True, False}
