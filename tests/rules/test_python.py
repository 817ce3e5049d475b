from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from envaudit.rules import python as pyrules
from tests.conftest import check, codes, write
from tests.fakeenv import make_venv


def run(root: Path, select: str, version: str = "3.11.7", **kw):  # type: ignore[no-untyped-def]
    env = root.parent / f"env-{version}"
    if not env.exists():
        make_venv(env, version=version)
    return check(root, select, python=str(env), environ={}, **kw)


@pytest.fixture
def proj(tmp_path: Path) -> Path:
    p = tmp_path / "proj"
    p.mkdir()
    return p


def test_py001_fires_when_nothing_declares_a_version(proj: Path) -> None:
    write(proj, {"requirements.txt": "numpy==1.26.4\n", "README.md": "# x\nRun python train.py\n"})
    res = run(proj, "PY001")
    assert codes(res) == ["PY001"]
    fix = res.findings[0].fix
    assert fix is not None and fix.diff is not None and "+3.11" in fix.diff


def test_py001_without_an_environment_names_no_version_of_envaudits_python(proj: Path) -> None:
    import platform
    import sys

    write(proj, {"requirements.txt": "numpy==1.26.4\n"})
    res = check(proj, "PY001", environ={"HOME": str(proj.parent / "home")})  # no env anywhere
    assert codes(res) == ["PY001"]
    fix = res.findings[0].fix
    assert fix is not None and fix.diff is None
    running = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert platform.python_version() not in fix.description and running not in fix.description
    assert 'requires-python = ">=3.X"' in fix.description


@pytest.mark.parametrize(
    "files",
    [
        {".python-version": "3.11\n"},
        {"pyproject.toml": '[project]\nname = "x"\nrequires-python = ">=3.10"\n'},
        {"Dockerfile": "FROM python:3.11-slim\n"},
        {"README.md": "Requires Python 3.11 or newer.\n"},
        {"environment.yml": "dependencies:\n  - python=3.11\n"},
    ],
)
def test_py001_silent_when_any_place_declares(proj: Path, files: dict[str, str]) -> None:
    write(proj, files)
    assert codes(run(proj, "PY001")) == []


def test_py002_target_outside_requires_python(proj: Path) -> None:
    write(proj, {"pyproject.toml": '[project]\nname = "x"\nrequires-python = ">=3.12"\n'})
    res = run(proj, "PY002", version="3.11.7")
    assert codes(res) == ["PY002"]
    assert res.findings[0].location.path == "pyproject.toml" and res.findings[0].location.line == 3
    assert codes(run(proj, "PY002", version="3.12.4")) == []


def test_py002_patch_difference_is_not_a_mismatch(proj: Path) -> None:
    write(proj, {".python-version": "3.11.4\n", "runtime.txt": "python-3.11.9\n"})
    assert codes(run(proj, "PY002", version="3.11.7")) == []


def test_py002_declarations_disagree(proj: Path) -> None:
    write(proj, {".python-version": "3.11\n", "Dockerfile": "FROM python:3.12-slim\n"})
    res = run(proj, "PY002", version="3.11.7")
    assert [(f.code, f.location.path) for f in res.findings] == [("PY002", "Dockerfile")]
    assert ".python-version" in res.findings[0].message


def test_py002_exact_outside_a_constraint(proj: Path) -> None:
    write(
        proj,
        {
            ".python-version": "3.10\n",
            "pyproject.toml": '[project]\nname = "x"\nrequires-python = ">=3.11"\n',
        },
    )
    res = run(proj, "PY002", version="3.11.7")
    msgs = [f.message for f in res.findings]
    assert any("disagrees" in m for m in msgs)
    assert any("does not satisfy .python-version" in m for m in msgs)


def test_py002_readme_mentions_are_never_compared(proj: Path) -> None:
    write(proj, {".python-version": "3.11\n", "README.md": "Tested on Python 3.9 and Python 3.12.\n"})
    assert codes(run(proj, "PY002", version="3.11.7")) == []


def test_py003_eol_target_and_declaration(proj: Path) -> None:
    write(proj, {"Dockerfile": "FROM python:3.8-slim\n"})
    res = run(proj, "PY003", version="3.7.17")
    assert sorted((f.location.path or "") for f in res.findings) == ["", "Dockerfile"]
    assert "2023-06-27" in " ".join(f.message for f in res.findings)


def test_py003_supported_versions_are_silent(proj: Path) -> None:
    write(
        proj,
        {".python-version": "3.13\n", "pyproject.toml": '[project]\nname = "x"\nrequires-python = ">=3.8"\n'},
    )
    # a lower bound of 3.8 does not declare that 3.8 is used
    assert codes(run(proj, "PY003", version="3.13.1")) == []


def test_py003_310_is_eol_after_october_2026(monkeypatch: pytest.MonkeyPatch, proj: Path) -> None:
    write(proj, {".python-version": "3.10\n"})
    monkeypatch.setattr(pyrules, "today", lambda: dt.date(2026, 11, 23))
    assert codes(run(proj, "PY003", version="3.12.1")) == ["PY003"]
    monkeypatch.setattr(pyrules, "today", lambda: dt.date(2026, 10, 1))
    assert codes(run(proj, "PY003", version="3.12.1")) == []


def test_py004_system_python(proj: Path, tmp_path: Path) -> None:
    prefix = tmp_path / "usr"
    (prefix / "lib" / "python3.11" / "site-packages").mkdir(parents=True)
    (prefix / "bin").mkdir()
    (prefix / "bin" / "python3").write_text("", encoding="utf-8")
    (prefix / "bin" / "python3").chmod(0o755)
    res = check(proj, "PY004", python=str(prefix / "bin" / "python3"), environ={})
    assert codes(res) == ["PY004"]


def test_py004_venv_and_conda_are_isolated(proj: Path, tmp_path: Path) -> None:
    assert codes(run(proj, "PY004")) == []
    conda = tmp_path / "conda"
    (conda / "conda-meta").mkdir(parents=True)
    (conda / "lib" / "python3.11" / "site-packages").mkdir(parents=True)
    assert codes(check(proj, "PY004", python=str(conda), environ={})) == []


def test_py002_sub_projects_may_need_another_python(tmp_path: Path) -> None:
    write(tmp_path, {
        "a/pyproject.toml": '[project]\nname = "a"\nrequires-python = ">=3.12"\n',
        "b/pyproject.toml": '[project]\nname = "b"\n', "b/.python-version": "3.10\n",
        ".python-version": "3.11\n", "Dockerfile": "FROM python:3.12-slim\n",
    })  # fmt: skip
    res = check(tmp_path, "PY002", environ={})
    # the root's .python-version and its Dockerfile disagree; a/ and b/ are never compared with them
    assert [(f.location.path, f.location.line) for f in res.findings] == [("Dockerfile", 1)]
