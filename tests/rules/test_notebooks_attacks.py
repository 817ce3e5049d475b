"""DEP014 and DEP008 on hostile notebooks and conda specs (issue 15, attacker round).

Before this round: an nbformat-3 notebook's imports were read (DEP008) but its
`!pip install` was not (DEP014); `%pip install {pkg}==3.0` was called unpinned although
`==3.0` pins whatever IPython puts in for `{pkg}`; `!pip install 'numpy==1.26.4'` was
"outside every manifest" while requirements.txt pinned numpy==1.26.4; a VCS URL without a
commit was a pinned install (the Dockerfile rule DKR004 calls it unpinned); and conda's
bracket MatchSpec `pandas[version='>=2']` was an unreadable dependency, so DEP008 then
called pandas undeclared.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from envaudit.scanners.manifests import conda_spec
from tests.conftest import check, write
from tests.rules.test_notebooks import notebook


def _dep014(tmp_path: Path) -> list[tuple[str, str]]:
    return sorted((f.severity.name, f.message) for f in check(tmp_path, "DEP014").findings)


def test_nbformat3_install_is_read_like_its_imports(tmp_path: Path) -> None:
    nb = {
        "nbformat": 3,
        "nbformat_minor": 0,
        "metadata": {},
        "worksheets": [
            {
                "cells": [
                    {"cell_type": "code", "input": "!pip install networkx\nimport networkx", "outputs": []}
                ]
            }
        ],
    }
    write(tmp_path, {"old.ipynb": json.dumps(nb), "requirements.txt": "numpy==1.26.4\n"})
    (f,) = check(tmp_path, "DEP014").findings
    assert "unpinned networkx" in f.message
    assert [g.message for g in check(tmp_path, "DEP008").findings if "networkx" in g.message]


@pytest.mark.parametrize(
    ("line", "verdict"),
    [
        ("%pip install {pkg}==3.0", "WARNING"),  # pinned, whatever {pkg} is
        ("!pip install ${pkg}==3.0", "WARNING"),
        ("!pip install $pkg", None),  # the name is not known: nothing to say
        ("%pip install {pkg}", None),
        ('!pip install "{pkg}>=3"', "ERROR"),  # a range, whatever the name
        ("!pip install {pkg}>=3", None),  # unquoted, `>=3` is a redirection to the file `=3`
    ],
)
def test_ipython_expansions(tmp_path: Path, line: str, verdict: str | None) -> None:
    write(tmp_path, {"nb.ipynb": notebook(["pkg = 'optuna'\n", line + "\n"])})
    got = _dep014(tmp_path)
    assert [g[0] for g in got] == ([verdict] if verdict else []), got


def test_a_pin_the_manifest_already_declares_is_not_outside_it(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "nb.ipynb": notebook(["!pip install 'numpy==1.26.4.0' \"pandas==2.1.0\"\n"]),
            "requirements.txt": "numpy==1.26.4\n",
        },
    )
    (f,) = check(tmp_path, "DEP014").findings
    assert f.message.startswith("cell 1 installs pandas==2.1.0 outside every manifest")
    write(tmp_path, {"requirements.txt": "numpy==1.26.4\npandas==2.1.0\n"})
    assert check(tmp_path, "DEP014").findings == []
    write(tmp_path, {"requirements.txt": "numpy==1.26.3\npandas==2.1.0\n"})
    (f,) = check(tmp_path, "DEP014").findings
    assert f.message.startswith("cell 1 installs numpy==1.26.4.0 outside every manifest")


def test_vcs_install_without_commit_is_unpinned(tmp_path: Path) -> None:
    sha = "0123456789abcdef0123456789abcdef01234567"
    write(
        tmp_path,
        {
            "a.ipynb": notebook(["!pip install -q git+https://github.com/a/b.git\n"]),
            "b.ipynb": notebook([f"!pip install git+https://github.com/a/c.git@{sha}\n"]),
        },
    )
    got = {f.location.path: f.severity.name for f in check(tmp_path, "DEP014").findings}
    assert got == {"a.ipynb": "ERROR", "b.ipynb": "WARNING"}


@pytest.mark.parametrize(
    ("spec", "pep440", "build"),
    [
        ("[version='>=2']", ">=2", None),
        ("[version='1.26.4']", "==1.26.4", None),
        ("[version=1.26.4, build=py311_0]", "==1.26.4", "py311_0"),
        ("=1.26[build='py311*']", "==1.26.*", "py311*"),
        ("[build=py311_0]", "", "py311_0"),
        ("[version='1.2|1.3']", "", None),
        ('[version=">=1,<2"]', ">=1,<2", None),
        ("1.2[version=1.3]", "==1.3", None),  # the bracket wins, as in conda's MatchSpec
    ],
)
def test_conda_bracket_matchspec(spec: str, pep440: str, build: str | None) -> None:
    assert conda_spec(spec) == (pep440, build)


def test_bracket_spec_declares_its_package(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "environment.yml": "name: x\ndependencies:\n  - python=3.11\n  - \"pandas[version='>=2']\"\n"
            "  - conda-forge::numpy[version='1.26.4',build=py311*]\n",
            "train.py": "import pandas, numpy\n",
        },
    )
    res = check(tmp_path, "DEP002,DEP008,EA001")
    got = sorted((f.code, f.message) for f in res.findings)
    assert [c for c, _ in got] == ["DEP002"], got  # pandas is a range; numpy is pinned; both declared
    assert "pandas" in got[0][1]


def test_pip_install_r_reads_the_file(tmp_path: Path) -> None:
    """`%pip install -r reqs.txt` installs what reqs.txt says: it passed whatever the file
    held; now an unpinned file is an error, as DKR004 says for a Dockerfile's -r file."""
    nb = notebook(["%pip install -r reqs.txt\n", "import numpy\n"])
    write(tmp_path, {"notebooks/a.ipynb": nb, "notebooks/reqs.txt": "lightgbm\nnumpy==1.26.4\n"})
    (f,) = check(tmp_path, "DEP014").findings
    assert f.severity.name == "ERROR" and "notebooks/reqs.txt does not pin lightgbm" in f.message
    write(tmp_path, {"notebooks/reqs.txt": "lightgbm==4.1.0\nnumpy==1.26.4\n"})
    assert check(tmp_path, "DEP014").findings == []
    write(tmp_path, {"notebooks/a.ipynb": notebook(["%pip install -r missing.txt\n"])})
    assert check(tmp_path, "DEP014").findings == []  # not in the project: nothing to read
