"""envaudit/uvlock.py without uv: requires-python by meaning, workspace globs, bad input.

What uv itself decides is in tests/rules/test_uv_lock_oracle_project.py (uv as the oracle);
these are the pieces that need no uv, and malformed tables that uv would refuse but
envaudit must read without a traceback.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from envaudit.uvlock import _glob_match, python_specs_equal
from tests.conftest import check


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        (">=3.11,<3.12", "==3.11.*", True),
        ("~=3.11.0", "==3.11.*", True),
        ("<3.12, >= 3.11", "==3.11.*", True),
        (">=3.10", ">=3.10.0", True),
        (">=3.10 & >=3.9", ">=3.10", True),  # a workspace: every member's, intersected
        (">=3.10 & >=3.11", ">=3.10", False),
        (">=3.11,<3.13", "==3.11.*", False),
        (">=3.11.4,<3.12", "==3.11.*", False),
        (">=3.11,!=3.11.2", ">=3.11", False),
        ("==3.11.*", "~=3.11", False),  # ~=3.11 is >=3.11,<4
    ],
)
def test_requires_python_compared_by_meaning(a: str, b: str, same: bool) -> None:
    assert python_specs_equal(a, b) is same


def test_unparsable_requires_python_is_no_verdict() -> None:
    assert python_specs_equal("not a spec", ">=3.10") is None


@pytest.mark.parametrize(
    ("pattern", "path", "hit"),
    [
        ("packages/*", "packages/data", True),
        ("packages/*", "packages/data/sub", False),
        ("packages/*", "other/data", False),
        ("libs/**", "libs/a/b", True),
        ("./packages/d*", "packages/data", True),
        ("packages/data", "packages/data", True),
    ],
)
def test_workspace_globs(pattern: str, path: str, hit: bool) -> None:
    assert _glob_match(pattern, path) is hit


def test_malformed_uv_tables_give_findings_not_tracebacks(tmp_path: Path) -> None:
    """Every table of the wrong type, in pyproject.toml and uv.lock: no EA003 crash."""
    (tmp_path / "packages" / "a").mkdir(parents=True)
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\nversion = 3\ndynamic = "version"\nrequires-python = "not a spec"\n'
        'dependencies = "numpy"\noptional-dependencies = ["a"]\ndependency-groups = 5\n'
        '[tool.uv]\nenvironments = 7\nconflicts = "z"\nconstraint-dependencies = "abc"\nsources = []\n'
        '[tool.uv.workspace]\nmembers = "packages/*"\nexclude = [1]\n'
    )
    (tmp_path / "packages" / "a" / "pyproject.toml").write_text("[project]\nname = 5\n")
    (tmp_path / "uv.lock").write_text(
        'version = 1\nrequires-python = 5\nconflicts = "q"\nsupported-markers = "linux"\n'
        '[manifest]\nmembers = "x"\nconstraints = 3\n'
        '[[package]]\nname = "x"\nversion = "1"\nsource = { virtual = 5 }\n'
        'metadata = { requires-dist = "n", provides-extras = 4 }\n'
    )
    res = check(tmp_path, "DEP003,DEP004,EA003")
    assert not [f for f in res.findings if f.code == "EA003"], [f.message for f in res.findings]
    assert [f.code for f in res.findings] == ["DEP004"]
    assert "names the project x" in res.findings[0].message


def test_workspace_members_are_part_of_the_root_project(tmp_path: Path) -> None:
    """One uv workspace is one project (one lock, one environment): its members are not
    projects of their own; a folder the workspace excludes, with its own manifest, is."""
    from envaudit.inventory import Inventory
    from envaudit.projects import project_roots

    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "root"\nversion = "1"\n'
        '[tool.uv.workspace]\nmembers = ["packages/*"]\nexclude = ["packages/old"]\n'
    )
    for name in ("data", "model", "old"):
        (tmp_path / "packages" / name).mkdir(parents=True)
        (tmp_path / "packages" / name / "pyproject.toml").write_text(
            f'[project]\nname = "{name}"\nversion = "1"\n'
        )
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "pyproject.toml").write_text('[project]\nname = "tools"\nversion = "1"\n')
    assert set(project_roots(Inventory(tmp_path))) == {"", "packages/old", "tools"}
