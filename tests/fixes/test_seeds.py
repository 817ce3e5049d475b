"""`envaudit fix seeds`: the written code parses and makes DET001/DET002 stop firing."""

from __future__ import annotations

import ast
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import check, codes, invoke
from tests.determinism.accuracy import CORPUS, load_labels

Make = Callable[[dict[str, str | bytes]], Path]

SEED_CASES = sorted(
    name for name, want in load_labels().items() if any(w.startswith(("DET001", "DET002")) for w in want)
)
# ordering is not tracked: the seed that comes after the first draw already counts, so nothing fires
SEED_CASES.remove("hard_seed_after_randomness")


@pytest.mark.parametrize("case", SEED_CASES)
@pytest.mark.parametrize("strict", [False, True])
def test_write_then_recheck_is_clean(case: str, strict: bool, tmp_path: Path) -> None:
    root = tmp_path / case
    shutil.copytree(CORPUS / case, root)
    assert {"DET001", "DET002"} & set(codes(check(root, "DET001,DET002")))
    args = ["fix", "seeds", str(root), "--write"] + (["--strict"] if strict else [])
    res = invoke(*args)
    assert res.exit_code == 0, res.output
    for p in root.rglob("*.py"):
        ast.parse(p.read_text(), filename=str(p))
    for p in root.rglob("*.ipynb"):
        json.loads(p.read_text())
    after = check(root, "DET001,DET002,DET008,EA001")
    assert codes(after) == [], [f"{f.location}: {f.message}" for f in after.findings]


def test_dry_run_shows_diff_and_writes_nothing(make_project: Make) -> None:
    root = make_project(
        {"train.py": '"""Doc."""\nfrom __future__ import annotations\n\nimport torch\nx = torch.rand(2)\n'}
    )
    before = (root / "train.py").read_text()
    res = invoke("fix", "seeds", str(root))
    assert res.exit_code == 0
    assert "+++ b/seeding.py" in res.output and "+seed_everything(0)" in res.output
    assert (root / "train.py").read_text() == before and not (root / "seeding.py").exists()
    invoke("fix", "seeds", str(root), "--write", "--seed", "7")
    lines = (root / "train.py").read_text().splitlines()
    assert lines[:7] == [
        '"""Doc."""',
        "from __future__ import annotations",
        "",
        "import torch",
        "",
        "from seeding import seed_everything",
        "",
    ]
    assert lines[7] == "seed_everything(7)"
    helper = (root / "seeding.py").read_text()
    assert "torch.manual_seed(seed)" in helper and "np.random" not in helper  # only what is used
    assert "use_deterministic_algorithms" not in helper
    assert invoke("fix", "seeds", str(root)).output.startswith("envaudit: nothing to fix")


def test_strict_helper_and_dataloader_notes(make_project: Make) -> None:
    root = make_project(
        {
            "pkg/__init__.py": "",
            "pkg/train.py": (
                "import numpy as np\nimport torch\nfrom torch.utils.data import DataLoader\n\n"
                "class D(torch.utils.data.Dataset):\n    def __getitem__(self, i):\n        return np.random.rand()\n\n"
                "if __name__ == '__main__':\n    dl = DataLoader(D(), shuffle=True, num_workers=2)\n"
            ),
        }
    )
    res = invoke("fix", "seeds", str(root), "--strict", "--write")
    assert res.exit_code == 0, res.output
    helper = (root / "pkg/seeding.py").read_text()
    for needle in (
        "torch.backends.cudnn.deterministic = True",
        "torch.backends.cudnn.benchmark = False",
        "torch.use_deterministic_algorithms(True)",
        'os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")',
        "def seed_worker(",
    ):
        assert needle in helper
    text = (root / "pkg/train.py").read_text()
    assert "from pkg.seeding import seed_everything, seed_worker, torch_generator" in text
    # the DataLoader gets its seeded generator and worker_init_fn; the seed opens the __main__ block
    assert (
        "if __name__ == '__main__':\n    seed_everything(0)\n"
        "    dl = DataLoader(D(), shuffle=True, num_workers=2, generator=torch_generator(), "
        "worker_init_fn=seed_worker)\n"
    ) in text
    assert codes(check(root, "DET001,DET002,DET004,DET005,DET006,DET008")) == []


SEED_PLACES = {
    # package module: inside main(), the function the __main__ block calls; never module level
    "pkg/cli.py": (
        'import numpy as np\n\n\ndef main():\n    """Run."""\n    print(np.random.rand(3))\n\n\n'
        'if __name__ == "__main__":\n    raise SystemExit(main())\n',
        'def main():\n    """Run."""\n    seed_everything(0)\n    print(np.random.rand(3))\n',
    ),
    # a __main__ block that calls no function of the file: the top of the block
    "pkg/run.py": (
        "import random\n\nif __name__ == '__main__':\n    print(random.random())\n",
        "if __name__ == '__main__':\n    seed_everything(0)\n    print(random.random())\n",
    ),
    # a console script: the function it names
    "pkg/app.py": (
        "import random\n\n\ndef start():\n    return random.random()\n",
        "def start():\n    seed_everything(0)\n    return random.random()\n",
    ),
}


@pytest.mark.parametrize("rel", sorted(SEED_PLACES))
def test_seed_goes_where_the_entry_point_starts(make_project: Make, rel: str) -> None:
    source, expected = SEED_PLACES[rel]
    files: dict[str, str | bytes] = {"pkg/__init__.py": "", rel: source}
    if rel == "pkg/app.py":
        files["pyproject.toml"] = (
            '[project]\nname = "pkg"\nversion = "0"\n[project.scripts]\napp = "pkg.app:start"\n'
        )
    root = make_project(files)
    res = invoke("fix", "seeds", str(root), "--write")
    assert res.exit_code == 0, res.output
    text = (root / rel).read_text()
    assert expected in text, text
    # nothing runs on import: no module-level call
    tree = ast.parse(text)
    assert not any(isinstance(s, ast.Expr) and isinstance(s.value, ast.Call) for s in tree.body), text
    assert (root / "pkg/seeding.py").stat().st_mode & 0o777 == 0o644
    assert codes(check(root, "DET001,DET002")) == []


def test_someone_elses_seeding_module_is_left_alone(make_project: Make) -> None:
    root = make_project({"seeding.py": "SEED = 1\n", "run.py": "import random\nprint(random.random())\n"})
    invoke("fix", "seeds", str(root), "--write")
    assert (root / "seeding.py").read_text() == "SEED = 1\n"
    assert "from seeding_envaudit import seed_everything" in (root / "run.py").read_text()
    assert codes(check(root, "DET001,DET002")) == []


def test_existing_seed_everything_name_is_not_shadowed(make_project: Make) -> None:
    root = make_project({"t.py": "import torch\n\ndef seed_everything():\n    pass\n\nx = torch.rand(1)\n"})
    invoke("fix", "seeds", str(root), "--write")
    text = (root / "t.py").read_text()
    assert "import seed_everything as envaudit_seed_everything" in text
    assert "envaudit_seed_everything(0)" in text
    assert codes(check(root, "DET001,DET002")) == []


def test_dataloader_in_another_module_gets_its_generator(make_project: Make) -> None:
    root = make_project(
        {
            "data.py": "from torch.utils.data import DataLoader\n\n\ndef make(ds):\n"
            "    return DataLoader(\n        ds,\n        shuffle=True,\n    )\n",
            "train.py": "import torch\n\nfrom data import make\n\nif __name__ == '__main__':\n"
            "    print(torch.rand(1), make([1, 2]))\n",
        }
    )
    assert "DET005" in codes(check(root, "DET005"))
    assert invoke("fix", "seeds", str(root), "--write").exit_code == 0
    text = (root / "data.py").read_text()
    assert "        shuffle=True,\n        generator=torch_generator(),\n    )\n" in text
    assert "from seeding import torch_generator" in text
    assert "def torch_generator(" in (root / "seeding.py").read_text()
    assert codes(check(root, "DET001,DET002,DET005,DET006")) == []


@pytest.mark.parametrize(
    ("pins", "has", "lacks"),
    [
        (
            "torch==2.3.1+cu121\ntensorflow==2.15.1\n",
            [
                "torch.use_deterministic_algorithms(True)",
                "CUBLAS_WORKSPACE_CONFIG",
                "tf.random.set_seed(seed)",
                "tf.config.experimental.enable_op_determinism()",
            ],
            ["set_deterministic", "TF_DETERMINISTIC_OPS"],
        ),
        (
            # torch 1.7 named it set_deterministic; CUDA 10.1 needs no cuBLAS workspace; TF 2.7 has no
            # enable_op_determinism() but reads TF_DETERMINISTIC_OPS (sources: envaudit/rules/_frameworks.py)
            "torch==1.7.1+cu101\ntensorflow==2.7.4\n",
            ["torch.set_deterministic(True)", 'os.environ.setdefault("TF_DETERMINISTIC_OPS", "1")'],
            [
                "use_deterministic_algorithms",
                "CUBLAS_WORKSPACE_CONFIG",
                "tf.config.experimental.enable_op_determinism()",
            ],
        ),
        (
            "torch==1.6.0\ntensorflow==1.15.5\n",
            [
                "torch.backends.cudnn.deterministic = True",
                "tf.set_random_seed(seed)",
                "TF_CUDNN_DETERMINISTIC",
            ],
            ["use_deterministic_algorithms", "set_deterministic(", "tf.random.set_seed"],
        ),
    ],
)
def test_strict_helper_writes_what_the_pinned_versions_have(
    make_project: Make, pins: str, has: list[str], lacks: list[str]
) -> None:
    code = "import tensorflow as tf\nimport torch\nx = torch.rand(2)\ny = tf.random.uniform((2,))\n"
    root = make_project({"train.py": code, "requirements.txt": pins})
    assert invoke("fix", "seeds", str(root), "--strict", "--write").exit_code == 0
    helper = (root / "seeding.py").read_text()
    ast.parse(helper)
    assert all(h in helper for h in has) and not any(x in helper for x in lacks), helper
    # and what it wrote is what the DET rules ask for in those versions
    assert codes(check(root, "DET001,DET002,DET008,DET009")) == []


def test_loader_generator_not_written_for_torch_before_1_6(make_project: Make) -> None:
    code = "import torch\nfrom torch.utils.data import DataLoader\ntorch.manual_seed(0)\nDataLoader([1, 2], shuffle=True)\n"
    root = make_project({"train.py": code, "requirements.txt": "torch==1.5.1\n"})
    assert invoke("fix", "seeds", str(root), "--write").exit_code == 0
    assert "generator=" not in (root / "train.py").read_text()
    (root / "requirements.txt").write_text("torch==1.6.0\n")
    assert invoke("fix", "seeds", str(root), "--write").exit_code == 0
    assert "generator=torch_generator()" in (root / "train.py").read_text()
