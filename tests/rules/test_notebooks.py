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
    assert "cell 2 installs unpinned lightgbm with `!pip install lightgbm`" in messages
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
