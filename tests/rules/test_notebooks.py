"""DEP014 (installs from inside a notebook) and DEP008 reading notebook imports."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import check, write


def notebook(*cells: list[str] | str) -> str:
    """An nbformat-4 notebook as Jupyter writes it (one JSON string per source line)."""
    out = []
    for c in cells:
        if isinstance(c, str):
            out.append({"cell_type": "markdown", "metadata": {}, "source": [c]})
        else:
            out.append(
                {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": c}
            )
    return json.dumps({"cells": out, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1)


def line_of(text: str, needle: str) -> int:
    return next(i for i, ln in enumerate(text.splitlines(), 1) if needle in ln)


def test_pip_install_in_a_notebook(tmp_path: Path) -> None:
    nb = notebook(
        "# Explore\n",
        ["!pip install lightgbm\n", "%pip install -q tqdm==4.66.0\n", "import numpy as np\n"],
        ["import lightgbm\n", "from tqdm import tqdm\n", "%matplotlib inline\n"],
        ["!{sys.executable} -m pip install 'xgboost>=2'\n", "x = !pip list\n"],
        ["%%bash\n", "pip install -r requirements.txt\n", "conda install -y -c conda-forge shap\n"],
        ["%conda install pandas=2.2.2=py311h1234567_0\n", "%time 1 + 1\n"],
    )
    write(tmp_path, {"requirements.txt": "numpy==1.26.4\n", "notebooks/explore.ipynb": nb})
    res = check(tmp_path, "DEP008,DEP014")
    got = sorted((f.code, f.location.line, f.severity.name, f.message) for f in res.findings)
    rel = "notebooks/explore.ipynb"
    assert all(f.location.path == rel for f in res.findings)
    assert [(c, ln, s) for c, ln, s, _ in got] == sorted(
        [
            ("DEP014", line_of(nb, "!pip install lightgbm"), "ERROR"),
            ("DEP014", line_of(nb, "tqdm==4.66.0"), "WARNING"),
            ("DEP014", line_of(nb, "xgboost>=2"), "ERROR"),
            ("DEP014", line_of(nb, "conda install -y"), "ERROR"),
            ("DEP014", line_of(nb, "%conda install pandas"), "WARNING"),
            # the notebook's imports: installed by a cell is not declared
            ("DEP008", line_of(nb, "import lightgbm"), "ERROR"),
            ("DEP008", line_of(nb, "from tqdm import"), "ERROR"),
        ]
    )
    messages = " | ".join(m for *_, m in got)
    assert "cell 2 installs unpinned lightgbm outside every manifest with `!pip install lightgbm`" in messages
    assert "installs unpinned shap" in messages


def test_notebook_true_negatives(tmp_path: Path) -> None:
    nb = notebook(
        ["%pip install -r requirements.txt\n", "# !pip install nothing\n", "import numpy\n"],
        ["print('!pip install x')\n", "%load_ext autoreload\n", "!ls data\n"],
        ["import lightgbm  # declared\n"],
    )
    write(
        tmp_path,
        {"requirements.txt": "numpy==1.26.4\nlightgbm==4.3.0\n", "a.ipynb": nb},
    )
    assert check(tmp_path, "DEP008,DEP014").findings == []


def test_broken_notebook_is_no_crash(tmp_path: Path) -> None:
    write(tmp_path, {"requirements.txt": "numpy==1.26.4\n", "bad.ipynb": "{not json", "x.ipynb": "[]"})
    res = check(tmp_path, "DEP008,DEP014")
    assert "EA003" not in [f.code for f in res.findings]
    assert [f.code for f in res.findings if f.code.startswith("DEP")] == []


def test_a_vcs_install_without_a_commit_is_unpinned_as_dep010_says(tmp_path: Path) -> None:
    url = "git+https://github.com/org/adapters.git"
    sha = "0123456789abcdef0123456789abcdef01234567"
    nb = notebook([f"!pip install --upgrade --no-deps {url}\n"], [f"%pip install 'adapters @ {url}@{sha}'\n"])
    write(tmp_path, {"requirements.txt": f"numpy==1.26.4\n{url}#egg=adapters\n", "nb.ipynb": nb})
    res = check(tmp_path, "DEP010,DEP014")
    by = {(f.code, f.location.line): f for f in res.findings}
    dep010 = by[("DEP010", 2)]
    loose = by[("DEP014", line_of(nb, "--no-deps"))]
    # same severity, same reason, same remedy as DEP010 for the same URL in a requirements file
    assert loose.severity == dep010.severity and loose.severity.name == "ERROR"
    assert "names no revision" in loose.message and "names no revision" in dep010.message
    assert "pin a full commit" in loose.fix.description and "move the pin" not in loose.fix.description
    # pinned to a full commit: a pinned install outside the manifests (a warning)
    pinned = by[("DEP014", line_of(nb, sha))]
    assert pinned.severity.name == "WARNING" and "move the pin" in pinned.fix.description
    assert len(res.findings) == 3


def test_every_requirement_of_an_install_line_is_reported(tmp_path: Path) -> None:
    nb = notebook(["%pip install scikit-learn==1.5.2 'datasets>=2.19'\n"], ["!pip install a==1 b==2\n"])
    write(tmp_path, {"requirements.txt": "numpy==1.26.4\n", "nb.ipynb": nb})
    mixed, both = sorted(check(tmp_path, "DEP014").findings, key=lambda f: f.location.line or 0)
    # one line, one finding: the unpinned one makes it an error, the pinned one is named too
    assert mixed.severity.name == "ERROR"
    assert "unpinned datasets>=2.19 and pinned scikit-learn==1.5.2" in mixed.message
    assert "scikit-learn==1.5.2" in mixed.fix.description and "datasets" in mixed.fix.description
    assert both.severity.name == "WARNING" and "installs a==1, b==2 outside" in both.message
    assert "move the pins" in both.fix.description
