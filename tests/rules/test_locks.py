from __future__ import annotations

import shutil
import sys
import textwrap
from pathlib import Path

from envaudit.inventory import Inventory
from envaudit.rules.locks import lock_pins
from tests.conftest import check, codes, write

DATA = Path(__file__).parent.parent / "scanners" / "data"


def copy(name: str, tmp_path: Path) -> Path:
    dest = tmp_path / name
    shutil.copytree(DATA / name, dest)
    return dest


def findings(root: Path, code: str, **kw: object) -> list:
    return [f for f in check(root, code, **kw).findings if f.code == code]


# ------------------------------------------------------------------ DEP003


def test_dep003_fires_for_ranges_without_a_lock(tmp_path: Path) -> None:
    write(tmp_path, {"requirements.in": "numpy>=1.26\ntorch\n", "Pipfile": '[packages]\nsix = "*"\n'})
    found = findings(tmp_path, "DEP003")
    assert [(f.location.path, f.location.line) for f in found] == [("Pipfile", 2), ("requirements.in", 1)]
    assert "2 dependencies as ranges (first: numpy>=1.26)" in found[1].message
    assert "fix pins" in found[1].fix.description


def test_dep003_quiet_when_locked(tmp_path: Path) -> None:
    # Pipfile + Pipfile.lock (real pipenv output)
    assert findings(copy("pipenv", tmp_path), "DEP003") == []
    # requirements.in compiled by uv
    assert findings(copy("uv-compile", tmp_path), "DEP003") == []
    # requirements.in next to a hand-pinned requirements.txt
    root = write(tmp_path / "hand", {"requirements.in": "six\n", "requirements.txt": "six==1.17.0\n"})
    assert findings(root, "DEP003") == []


def test_dep003_exact_pins_in_a_manifest_need_no_lock(tmp_path: Path) -> None:
    write(tmp_path, {"Pipfile": '[packages]\nsix = "==1.17.0"\n'})
    assert findings(tmp_path, "DEP003") == []


# ------------------------------------------------------------------ DEP004


def test_real_locks_are_in_sync(tmp_path: Path) -> None:
    for name in ("poetry1", "poetry2", "pipenv", "uv", "uv-forked", "pylock", "uv-compile"):
        root = copy(name, tmp_path)
        assert codes(check(root, "DEP004,EA001")) == [], name


def test_dep004_stale_poetry_content_hash(tmp_path: Path) -> None:
    root = copy("poetry2", tmp_path)
    py = root / "pyproject.toml"
    py.write_text(py.read_text().replace('"six>=1.16"', '"six>=1.17"'))
    (f,) = findings(root, "DEP004")
    assert f.location.path == "poetry.lock" and f.location.line == 43
    assert "content hash e69c4d3e6ac9f69c02a…" in f.message and "poetry lock" in f.fix.description


def test_dep004_poetry_before_2_3_did_not_hash_dependency_groups(tmp_path: Path) -> None:
    root = copy("poetry2", tmp_path)
    py = root / "pyproject.toml"
    py.write_text(py.read_text() + '\n[dependency-groups]\nlint = ["iniconfig"]\n')
    lock = root / "poetry.lock"
    assert len(findings(root, "DEP004")) == 1  # Poetry 2.5 hashes [dependency-groups]
    lock.write_text(lock.read_text().replace("Poetry 2.5.1", "Poetry 2.1.3"))
    assert findings(root, "DEP004") == []  # Poetry 2.1 did not, and accepts the lock


def test_dep004_stale_pipfile_lock_hash_and_missing_package(tmp_path: Path) -> None:
    root = copy("pipenv", tmp_path)
    pf = root / "Pipfile"
    pf.write_text(pf.read_text().replace("[dev-packages]", 'requests = "*"\n\n[dev-packages]'))
    found = findings(root, "DEP004")
    msgs = sorted(f.message for f in found)
    assert len(found) == 2
    assert "Pipfile declares requests but Pipfile.lock does not lock it" in msgs[0]
    assert msgs[1].startswith("Pipfile.lock content hash 7e3aba165f9873a4918…")
    assert {f.location.path for f in found} == {"Pipfile", "Pipfile.lock"}


def test_dep004_pipfile_name_spelling_is_not_a_change(tmp_path: Path) -> None:
    root = copy("pipenv", tmp_path)
    pf = root / "Pipfile"
    pf.write_text(pf.read_text().replace("Six =", "six ="))  # pipenv canonicalises names before hashing
    assert findings(root, "DEP004") == []


def test_dep004_locked_version_outside_declared_range(tmp_path: Path) -> None:
    root = copy("uv-compile", tmp_path)
    (root / "requirements.in").write_text("six>=1.18\nidna\n")
    msgs = sorted(f.message for f in findings(root, "DEP004"))
    assert msgs == [
        "requirements.in declares idna but requirements.txt does not lock it",
        "requirements.txt locks six 1.17.0, outside the range >=1.18 that requirements.in declares",
    ]


def test_dep004_uv_recorded_requirements_vs_pyproject(tmp_path: Path) -> None:
    root = copy("uv", tmp_path)
    py = root / "pyproject.toml"
    text = py.read_text()
    py.write_text(
        text.replace('"six>=1.16"', '"six>=1.16", "click"').replace('dev = ["iniconfig"]', "dev = []")
    )
    msgs = sorted(f.message for f in findings(root, "DEP004"))
    assert msgs == [
        "pyproject.toml declares click but uv.lock was locked without it",
        "uv.lock was locked with iniconfig (group dev), which pyproject.toml no longer declares",
    ]
    py.write_text(text.replace('"six>=1.16"', '"six>=1.17"'))
    (f,) = findings(root, "DEP004")
    assert f.message == "pyproject.toml declares six>=1.17 but uv.lock recorded six>=1.16"
    assert f.location.path == "uv.lock"


def test_dep004_uv_marker_spelling_is_not_a_change(tmp_path: Path) -> None:
    # pyproject says `python_version >= '3.8'`, uv records `python_full_version >= '3.8'`
    root = copy("uv", tmp_path)
    assert "python_version >= '3.8'" in (root / "pyproject.toml").read_text()
    assert findings(root, "DEP004") == []


def test_dep004_lock_for_another_platform(tmp_path: Path) -> None:
    write(tmp_path, {"conda-lock.yml": "version: 1\nmetadata:\n  platforms: [win-32]\npackage: []\n"})
    (f,) = findings(tmp_path, "DEP004")
    assert f.location.path == "conda-lock.yml" and "win-32" in f.message


def test_bad_lock_is_ea001_and_others_still_checked(tmp_path: Path) -> None:
    root = copy("pipenv", tmp_path)
    (root / "poetry.lock").write_text('[[package]]\nname = "six"\nversion = \n')
    pf = root / "Pipfile"
    pf.write_text(pf.read_text().replace(">=1.16", ">=1.16,<2"))
    result = check(root, "DEP004,EA001")
    assert sorted(codes(result)) == ["DEP004", "EA001"]
    ea = next(f for f in result.findings if f.code == "EA001")
    assert ea.location.path == "poetry.lock" and ea.location.line == 3


# ---------------------------------------------------------- DEP006/7 support


def test_lock_pins_for_drift_checks(tmp_path: Path) -> None:
    root = copy("uv-forked", tmp_path)
    pins = lock_pins(Inventory(root))
    by = {(p.name, p.specifier): p for p in pins}
    assert ("forked", "==0.1.0") not in by  # the project itself
    assert by[("iniconfig", "==2.3.1")].applies and not by[("iniconfig", "==2.0.0")].applies
    assert not by[("colorama", "==0.4.6")].applies  # win32 only
    assert by[("iniconfig", "==2.3.1")].source == "uv" and by[("iniconfig", "==2.3.1")].role == "pin"
    dev = {p.name: p for p in lock_pins(Inventory(copy("poetry2", tmp_path)))}
    assert dev["iniconfig"].group == "dev" and not dev["iniconfig"].applies
    assert dev["six"].applies and dev["six"].hashes


# ------------------------------------------------------------------ DEP008


def test_dep008_undeclared_imports(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "requirements.txt": "click==8.1.7\n",
            "app/__init__.py": "",
            "app/main.py": """
                import os, json
                import click
                import yaml
                from git import Repo
                import cv2
                from . import helpers
                from app import helpers as h2
                import utils
            """,
            "app/helpers.py": "",
            "utils.py": "",
        },
    )
    found = findings(tmp_path, "DEP008", python=sys.executable)  # the test env: gitpython, no cv2
    got = {f.message.split(" imports ")[1].split(" ")[0]: f for f in found}
    assert set(got) == {"yaml", "git", "cv2"}
    assert got["yaml"].location.line == 3 and "distribution pyyaml" in got["yaml"].message
    assert "distribution gitpython" in got["git"].message  # from the installed RECORD
    assert "opencv-python" in got["cv2"].message and "not installed" in got["cv2"].message


def test_dep008_tricky_negatives(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "my-proj"\nversion = "0"\n',
            "requirements.txt": "PyYAML==6.0.1\nopencv-python==4.9.0.80\n",
            "my_proj/__init__.py": """
                from __future__ import annotations
                from typing import TYPE_CHECKING
                import yaml  # declared as PyYAML
                import cv2  # declared as opencv-python
                import my_proj.sub
                try:
                    import ujson as json
                except ImportError:
                    import json
                if TYPE_CHECKING:
                    import pandas
                import pkg_resources
            """,
            "my_proj/sub.py": "import tomllib\n",
        },
    )
    assert findings(tmp_path, "DEP008") == []


def test_dep008_quiet_without_any_manifest(tmp_path: Path) -> None:
    write(tmp_path, {"main.py": "import yaml\n"})
    assert findings(tmp_path, "DEP008") == []


def test_dep008_inline_suppression(tmp_path: Path) -> None:
    write(
        tmp_path,
        {"requirements.txt": "click==8.1.7\n", "main.py": "import yaml  # envaudit: ignore[DEP008]\n"},
    )
    assert findings(tmp_path, "DEP008") == []


def test_dep003_pyproject_ranges(tmp_path: Path) -> None:
    write(
        tmp_path, {"pyproject.toml": '[project]\nname = "p"\nversion = "0"\ndependencies = ["numpy>=1.26"]\n'}
    )
    (f,) = findings(tmp_path, "DEP003")
    assert f.location == f.location.__class__("pyproject.toml", 4)
    (tmp_path / "uv.lock").write_text((DATA / "uv" / "uv.lock").read_text())
    assert findings(tmp_path, "DEP003") == []


def test_dep004_poetry_declared_dependency_missing(tmp_path: Path) -> None:
    root = copy("poetry1", tmp_path)
    py = root / "pyproject.toml"
    py.write_text(py.read_text().replace('six = "^1.16"', 'six = "^1.16"\nattrs = "^23"'))
    msgs = sorted(f.message for f in findings(root, "DEP004"))
    assert len(msgs) == 2
    assert msgs[1] == "pyproject.toml declares attrs>=23,<24 but poetry.lock does not lock it"
    assert msgs[0].startswith("poetry.lock content hash")


def _installed(name: str) -> str:
    from importlib.metadata import version

    return version(name)


def test_dep006_dep007_from_a_lock(tmp_path: Path) -> None:
    click = _installed("click")
    lock = f"""
        version = 1
        revision = 2
        requires-python = ">=3.10"

        [[package]]
        name = "p"
        version = "0"
        source = {{ editable = "." }}
        dependencies = [{{ name = "click" }}, {{ name = "not-a-real-dist-xyz" }}, {{ name = "pywin32-ctypes", marker = "sys_platform == 'win32'" }}]

        [[package]]
        name = "click"
        version = "{click}.post9"
        source = {{ registry = "https://pypi.org/simple" }}

        [[package]]
        name = "not-a-real-dist-xyz"
        version = "1.0"
        source = {{ registry = "https://pypi.org/simple" }}

        [[package]]
        name = "pywin32-ctypes"
        version = "0.2.3"
        source = {{ registry = "https://pypi.org/simple" }}
    """
    write(tmp_path, {"uv.lock": lock})
    # the environment running the tests has click: name it (it is never the default target)
    result = check(tmp_path, "DEP006,DEP007", python=sys.executable)
    got = sorted((f.code, f.location.path, f.location.line) for f in result.findings)
    assert got == [("DEP006", "uv.lock", 11), ("DEP007", "uv.lock", 16)]  # not the win32-only one
    (tmp_path / "uv.lock").write_text(
        (tmp_path / "uv.lock")
        .read_text()
        .replace(f"{click}.post9", click)
        .replace(', { name = "not-a-real-dist-xyz" }', "")
    )
    lock_text = (tmp_path / "uv.lock").read_text()
    start = lock_text.index('[[package]]\nname = "not-a-real')
    end = lock_text.index("[[package]]", start + 5)
    (tmp_path / "uv.lock").write_text(lock_text[:start] + lock_text[end:])
    assert codes(check(tmp_path, "DEP006,DEP007", python=sys.executable)) == []


def test_dep004_pylock_without_the_dev_group_is_not_out_of_sync(tmp_path: Path) -> None:
    root = copy("pylock", tmp_path)
    lock = root / "pylock.toml"
    text = lock.read_text()
    start = text.index('[[packages]]\nname = "iniconfig"')
    end = text.index("[[packages]]", start + 5)
    lock.write_text(text[:start] + text[end:])  # as `uv export --no-dev` writes it
    assert findings(root, "DEP004") == []
    py = root / "pyproject.toml"
    py.write_text(py.read_text().replace('"six>=1.16"', '"six>=1.16", "attrs"'))
    (f,) = findings(root, "DEP004")
    assert f.message == "pyproject.toml declares attrs but pylock.toml does not lock it"


def test_dep004_pip_compile_from_pyproject(tmp_path: Path) -> None:
    header = """
        #
        # This file is autogenerated by pip-compile with Python 3.11
        # by the following command:
        #
        #    pip-compile --output-file=requirements.txt pyproject.toml
        #
    """
    root = write(
        tmp_path,
        {
            "pyproject.toml": """
                [project]
                name = "p"
                version = "0"
                dependencies = ["six>=1.16", "attrs"]
                [project.optional-dependencies]
                docs = ["sphinx"]
            """,
            "requirements.txt": textwrap.dedent(header).lstrip()
            + "six==1.17.0\n    # via p (pyproject.toml)\n",
        },
    )
    (f,) = findings(root, "DEP004")  # sphinx: the docs extra was not compiled, rightly absent
    assert f.message == "pyproject.toml declares attrs but requirements.txt does not lock it"
    assert f.location.path == "pyproject.toml" and f.location.line == 4


def test_dep003_a_broken_lock_is_ea001_not_a_missing_lock(tmp_path: Path) -> None:
    write(tmp_path, {"Pipfile": '[packages]\nsix = "*"\n', "Pipfile.lock": "{\n  broken\n"})
    result = check(tmp_path, "DEP003,EA001")
    assert [(f.code, f.location.path, f.location.line) for f in result.findings] == [
        ("EA001", "Pipfile.lock", 2)
    ]


def test_dep008_conda_names(tmp_path: Path) -> None:
    """environment.yml declares conda packages: pytorch provides torch, opencv provides cv2."""
    write(
        tmp_path,
        {
            "environment.yml": """
                name: x
                channels: [pytorch, nvidia, conda-forge]
                dependencies:
                  - python=3.11
                  - pytorch=2.3.1
                  - pytorch-cuda=12.1
                  - opencv=4.9.0
                  - scikit-learn=1.4.2
                  - pillow=10.3.0
                  - pip:
                    - einops==0.8.0
            """,
            "train.py": """
                import torch
                import cv2
                import sklearn
                from PIL import Image
                import einops
                import lightgbm
            """,
        },
    )
    found = findings(tmp_path, "DEP008")
    assert [f.message.split(" imports ")[1].split(" ")[0] for f in found] == ["lightgbm"]


def test_dep004_a_pip_lock_from_environment_yml_never_misses_a_conda_package(tmp_path: Path) -> None:
    header = """
        #
        # This file is autogenerated by pip-compile with Python 3.11
        # by the following command:
        #
        #    envaudit fix pins --resolve --source environment.yml
        #
    """
    root = write(
        tmp_path,
        {
            "environment.yml": """
                name: s
                dependencies:
                  - python=3.11
                  - numpy=2.4.6
                  - scipy
                  - pip
                  - pip:
                    - six==1.17.0
                    - attrs==25.1.0
            """,
            "requirements.txt": textwrap.dedent(header).lstrip() + "six==1.17.0\n",
        },
    )
    # numpy and scipy are conda's to lock; the `pip:` entry the lock lacks is still reported
    (f,) = findings(root, "DEP004")
    assert f.message == "environment.yml declares attrs==25.1.0 but requirements.txt does not lock it"
    # with every `pip:` entry locked nothing is out of sync, though numpy and scipy are not in it
    write(root, {"requirements.txt": textwrap.dedent(header).lstrip() + "six==1.17.0\nattrs==25.1.0\n"})
    assert findings(root, "DEP004") == []
