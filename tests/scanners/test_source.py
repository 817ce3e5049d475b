"""The source scanner: notebooks, entry points, imports, bad input."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from envaudit.inventory import Inventory
from envaudit.scanners.source import RANDOM, SEED, SourceFacts
from tests.conftest import check

Make = Callable[[dict[str, str | bytes]], Path]


def facts(root: Path) -> tuple[SourceFacts, Inventory]:
    inv = Inventory(root)
    return inv.get("source"), inv


def notebook(cells: list[str], minor: int = 5) -> str:
    doc = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "metadata": {},
                "outputs": [],
                "source": c.splitlines(True),
            }
            if not c.startswith("MD:")
            else {"cell_type": "markdown", "metadata": {}, "source": [c[3:]]}
            for c in cells
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": minor,
    }
    return json.dumps(doc, indent=1) + "\n"


def line_of(path: Path, needle: str) -> int:
    return next(i for i, ln in enumerate(path.read_text().splitlines(), 1) if needle in ln)


def test_entry_kinds_and_library_modules(make_project: Make) -> None:
    root = make_project(
        {
            "pyproject.toml": '[project]\nname = "x"\nversion = "1"\n[project.scripts]\nx = "pkg.cli:run"\n',
            "pkg/__init__.py": "",
            "pkg/cli.py": "import torch\n\ndef run():\n    return torch.rand(2)\n",
            "pkg/lib.py": "import numpy as np\nlogger = None\n\ndef f():\n    return np.random.rand()\n",
            "train.py": "import torch\nx = torch.randn(2)\n",
            "main.py": "def main():\n    pass\n\nif __name__ == '__main__':\n    main()\n",
            "tests/test_a.py": "import numpy as np\nX = np.random.rand(3)\n",
            "nb.ipynb": notebook(["x = 1"]),
        }
    )
    f, _ = facts(root)
    kinds = {e.path: e.kind for e in f.entries}
    assert kinds == {
        "pkg/cli.py": "project.scripts",
        "train.py": "script",
        "main.py": "main-block",
        "nb.ipynb": "notebook",
    }
    cli = next(e for e in f.entries if e.path == "pkg/cli.py")
    assert cli.target == "pkg.cli:run" and cli.line == 3
    assert [e.name for e in cli.events if e.kind == RANDOM] == ["torch.rand"]


def test_notebook_magics_skipped_and_lines_point_into_the_json(make_project: Make) -> None:
    root = make_project(
        {
            "nb.ipynb": notebook(
                [
                    "MD:# Title",
                    "!pip install numpy\n%matplotlib inline\nimport numpy as np\nfiles = !ls\nq = np.random.randn()  # why?\n",
                    "%%bash\necho $RANDOM\n",
                    "for i in range(3):\n    %time x = 1\n    y = np.random.rand()\ny?\n",
                ]
            )
        }
    )
    f, inv = facts(root)
    assert inv.diagnostics == []
    first, ev = [e for e in f.events if e.kind == RANDOM]  # a trailing `?` in a comment is no magic
    assert first.cell == "cell 2, line 5"
    assert ev.line == line_of(root / "nb.ipynb", "np.random.rand()")
    assert ev.cell == "cell 4, line 3"
    res = check(root, "DET001")
    (finding,) = res.findings
    assert finding.location.path == "nb.ipynb" and finding.location.line == first.line


def test_notebook_suppression_and_broken_cell(make_project: Make) -> None:
    root = make_project(
        {
            "nb.ipynb": notebook(
                [
                    "import numpy as np\n",
                    "def broken(:\n    pass\n",
                    "x = np.random.rand()  # envaudit: ignore[DET001]\n",
                ]
            )
        }
    )
    res = check(root, "DET,EA001")
    assert [f.code for f in res.findings] == ["EA001"]
    (ea,) = res.findings
    assert "cell 2, line 1" in ea.message
    assert ea.location.line == line_of(root / "nb.ipynb", "def broken(")
    assert res.suppressed == 1


def test_bad_input_one_finding_each_and_the_rest_still_scanned(make_project: Make) -> None:
    big = "".join(f"X{i} = {i}\n" for i in range(400_000)).encode()
    assert len(big) > 5_000_000
    root = make_project(
        {
            "broken.py": "import torch\n\ndef f(:\n    pass\n",
            "py2.py": "import random\nprint 'hello'\n",
            "notes.ipynb": "{ this is not json",
            "generated_table.py": big,
            "train.py": "import torch\nmodel = torch.nn.Linear(2, 2)\n",
        }
    )
    res = check(root, "DET001,EA001")
    by_path = {f.location.path: f for f in res.findings}
    assert sorted(by_path) == ["broken.py", "generated_table.py", "notes.ipynb", "py2.py", "train.py"]
    assert len(res.findings) == 5
    assert by_path["broken.py"].code == "EA001" and by_path["broken.py"].location.line == 3
    assert by_path["py2.py"].location.line == 2 and "Python 2" in by_path["py2.py"].message
    assert (
        by_path["notes.ipynb"].location.line == 1 and "not a JSON notebook" in by_path["notes.ipynb"].message
    )
    assert "MB" in by_path["generated_table.py"].message
    assert by_path["train.py"].code == "DET001" and by_path["train.py"].location.line == 2


def test_aliases_relative_and_star_imports_resolve(make_project: Make) -> None:
    root = make_project(
        {
            "pkg/__init__.py": "from .seeding import *\n",
            "pkg/seeding.py": "from torch import manual_seed as ms\n\ndef fix(s):\n    ms(s)\n",
            "pkg/run.py": (
                "import numpy as onp\nimport torch\nfrom pkg import fix\n\n"
                "if __name__ == '__main__':\n    fix(0)\n    onp.random.seed(1)\n    onp.random.rand()\n    torch.rand(1)\n"
            ),
        }
    )
    f, _ = facts(root)
    (entry,) = f.entries
    seeds = sorted(e.name for e in entry.events if e.kind == SEED)
    assert seeds == ["numpy.random.seed", "torch.manual_seed"]
    assert check(root, "DET001,DET002").findings == []


def test_seed_in_uncalled_function_and_clock_seed_do_not_count(make_project: Make) -> None:
    root = make_project(
        {
            "train.py": (
                "import random, time\nimport torch\n\n"
                "def seed():\n    torch.manual_seed(0)\n\n"
                "random.seed(time.time())\nx = torch.randn(2)\ny = random.random()\n"
            )
        }
    )
    res = check(root, "DET001,DET002")
    (f,) = res.findings
    assert f.code == "DET001" and "random" in f.message and "torch" in f.message
    assert f.location.line == 8


def test_module_code_of_imported_helpers_runs(make_project: Make) -> None:
    root = make_project(
        {
            "setup_seeds.py": "import torch\ntorch.manual_seed(0)\n",
            "train.py": "import torch\nimport setup_seeds\nprint(torch.randn(2))\n",
        }
    )
    assert check(root, "DET001,DET002").findings == []


def test_trie_regex_matches_like_a_plain_alternation() -> None:
    import re

    from envaudit.scanners.source import _trie_regex

    words = ["Config", "ConfigError", "seed", "seed_everything", "rand", "randn", "x"]
    texts = ["ConfigError()", "Configs", "Config(", "reseed", "seed_everything(1)", "randn", "y = x", "ra"]
    whole = re.compile(r"\b(?:" + _trie_regex(words, whole=True) + r")\b")
    plain_whole = re.compile(r"\b(?:" + "|".join(sorted(words, key=len, reverse=True)) + r")\b")
    sub = re.compile(_trie_regex(words))
    plain_sub = re.compile("|".join(words))
    for t in texts:
        assert bool(whole.search(t)) == bool(plain_whole.search(t)), t
        assert bool(sub.search(t)) == bool(plain_sub.search(t)), t


def test_big_notebook_with_outputs_is_still_read(make_project: Make) -> None:
    doc = json.loads(notebook(["import numpy as np\nx = np.random.rand()\n"]))
    doc["cells"][0]["outputs"] = [{"output_type": "display_data", "data": {"image/png": "A" * 3_000_000}}]
    root = make_project({"big.ipynb": json.dumps(doc, indent=1)})
    res = check(root, "DET001,EA001")
    assert [(f.code, f.location.line) for f in res.findings] == [
        ("DET001", line_of(root / "big.ipynb", "np.random.rand"))
    ]


def test_main_block_of_an_imported_module_does_not_run(make_project: Make) -> None:
    root = make_project(
        {
            "demo.py": "import random\n\ndef f():\n    return 1\n\nif __name__ == '__main__':\n    print(random.random())\n",
            "app.py": "import demo\n\nif __name__ == '__main__':\n    print(demo.f())\n",
        }
    )
    res = check(root, "DET001")
    assert [(f.location.path, f.location.line) for f in res.findings] == [("demo.py", 7)]


def test_parallel_parse_gives_the_same_facts(monkeypatch, tmp_path: Path) -> None:
    import shutil

    from envaudit.scanners import source
    from tests.determinism.accuracy import CORPUS

    root = tmp_path / "many"
    for case in ("tn_seed_in_helper_module", "tp_notebook_unseeded", "tn_relative_import_seed"):
        shutil.copytree(CORPUS / case, root / case)
    (root / "bad.py").write_text("def f(:\n")
    sequential, inv1 = facts(root)
    monkeypatch.setattr(source, "PARALLEL_MIN_FILES", 1)
    parallel, inv2 = facts(root)
    assert parallel == sequential
    assert inv1.diagnostics == inv2.diagnostics and len(inv1.diagnostics) == 1


def test_a_cold_parse_uses_every_core_it_may(monkeypatch, tmp_path: Path) -> None:
    """The pool is as wide as the CPUs this process may run on (no fixed cap)."""
    import concurrent.futures
    import os

    from envaudit.scanners import source

    widths: list[int] = []
    real = concurrent.futures.ProcessPoolExecutor

    def recording(*args: object, max_workers: int | None = None, **kw: object) -> object:
        widths.append(max_workers or 0)
        return real(*args, max_workers=max_workers, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", recording)
    monkeypatch.setattr(source, "PARALLEL_MIN_FILES", 1)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(12)), raising=False)
    monkeypatch.setenv("ENVAUDIT_NO_CACHE", "1")
    for i in range(3):
        (tmp_path / f"m{i}.py").write_text("import random\nrandom.seed(0)\n")
    facts(tmp_path)
    assert widths == [12]


def test_worker_events_are_per_entry_point(make_project: Make) -> None:
    """Each entry point's DataLoader workers run the dataset classes it reaches, not all of them."""
    ds = "from torch.utils.data import Dataset\n\nclass {c}(Dataset):\n    def __getitem__(self, i):\n        return {draw}\n"
    root = make_project(
        {
            "a.py": ds.format(c="A", draw="np.random.rand()").replace(
                "from torch", "import numpy as np\nfrom torch"
            ),
            "b.py": ds.format(c="B", draw="random.random()").replace(
                "from torch", "import random\nfrom torch"
            ),
            "train.py": "from a import A\nds = A()\n",
            "evaluate.py": "from b import B\nds = B()\n",
            "tool.py": "print('no dataset')\n",
        }
    )
    f, _inv = facts(root)
    libs = {e.path: {lib for w in e.worker_events if w.kind == RANDOM for lib in w.libs} for e in f.entries}
    assert libs == {"train.py": {"numpy"}, "evaluate.py": {"random"}, "tool.py": set()}


def test_torch_1_7_set_deterministic_is_read(make_project: Make) -> None:
    from envaudit.scanners.source import DET_ALGOS

    root = make_project({"t.py": "import torch\ntorch.set_deterministic(d=True)\n"})
    f, _inv = facts(root)
    (ev,) = [e for e in f.events if e.kind == DET_ALGOS]
    assert (ev.name, ev.value, ev.line) == ("torch.set_deterministic", "True", 2)
