"""DET rules decided per entry point (from what it reaches) and per framework version
(pinned in the project, else installed in its environment).

Every version boundary used here is checked in envaudit/rules/_frameworks.py, which names
the framework's own document for it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import check, codes
from tests.fakeenv import make_venv

Make = Callable[[dict[str, str | bytes]], Path]


def where(root: Path, select: str) -> list[tuple[str, str, int]]:
    return [(f.code, f.location.path, f.location.line) for f in check(root, select).findings]


def fix_of(root: Path, select: str) -> str:
    (f,) = check(root, select).findings
    assert f.fix is not None
    return f.fix.description


# ---------------------------------------------------------------- per entry point


def test_det003_only_where_an_entry_point_runs_the_assignment(make_project: Make) -> None:
    root = make_project(
        {
            "speed.py": "import torch\n\ndef fast():\n    torch.backends.cudnn.benchmark = True\n",
            "train.py": "import torch\nfrom speed import fast\n\nfast()\nprint(torch.zeros(1))\n",
            "evaluate.py": "import torch\nimport speed\n\nprint(torch.zeros(1))\n",  # imports, never calls
        }
    )
    (f,) = check(root, "DET003").findings
    assert (f.location.path, f.location.line) == ("speed.py", 4)
    assert "run by train.py" in f.message and "evaluate.py" not in f.message
    # nobody calls it: nothing to report
    (root / "train.py").write_text("import torch\nimport speed\n\nprint(torch.zeros(1))\n")
    assert codes(check(root, "DET003")) == []


def test_det004_deterministic_flag_in_a_helper_counts_for_its_importers_only(make_project: Make) -> None:
    cuda = "import torch\ntorch.manual_seed(0)\nm = torch.nn.Linear(2, 2).to(torch.device('cuda'))\n"
    root = make_project(
        {
            "determinism.py": "import torch\ntorch.backends.cudnn.deterministic = True\n",
            "train.py": "import determinism\n" + cuda,
            "evaluate.py": cuda,
        }
    )
    assert [p for _c, p, _l in where(root, "DET004")] == ["evaluate.py"]


def test_det005_unreached_loader_is_not_reported(make_project: Make) -> None:
    loaders = (
        "from torch.utils.data import DataLoader\n\n"
        "def train_loader(ds):\n    return DataLoader(ds, shuffle=True)\n\n"
        "def old_loader(ds):\n    return DataLoader(ds, shuffle=True)\n"
    )
    root = make_project(
        {
            "loaders.py": loaders,
            "train.py": "import torch\nfrom loaders import train_loader\ntorch.manual_seed(0)\ntrain_loader([1, 2])\n",
        }
    )
    assert where(root, "DET005") == [("DET005", "loaders.py", 4)]


NOISY = (
    "import numpy as np\nfrom torch.utils.data import Dataset\n\n"
    "class Noisy(Dataset):\n    def __getitem__(self, i):\n        return np.random.rand() + i\n"
)
PLAIN = "from torch.utils.data import Dataset\n\nclass Plain(Dataset):\n    def __getitem__(self, i):\n        return i\n"


def _loader_script(module: str, cls: str) -> str:
    return (
        f"import torch\nfrom torch.utils.data import DataLoader\nfrom {module} import {cls}\n"
        f"torch.manual_seed(0)\nloader = DataLoader({cls}(), num_workers=4)\n"
    )


def test_det006_judges_each_entry_point_by_its_own_dataset(make_project: Make) -> None:
    root = make_project(
        {
            "noisy.py": NOISY,
            "plain.py": PLAIN,
            "train.py": _loader_script("noisy", "Noisy"),
            "evaluate.py": _loader_script("plain", "Plain"),  # its workers never touch NumPy
        }
    )
    assert where(root, "DET006") == [("DET006", "train.py", 5)]


def test_det006_python_random_in_workers_is_reseeded_by_torch(make_project: Make) -> None:
    # torch seeds `random` in every worker (pytorch/pytorch#4018, #7886): not a DET006
    jitter = NOISY.replace("import numpy as np", "import random").replace(
        "np.random.rand()", "random.random()"
    )
    root = make_project({"jitter.py": jitter, "train.py": _loader_script("jitter", "Noisy")})
    assert codes(check(root, "DET006")) == []


def test_det007_per_entry_point_spawn(make_project: Make) -> None:
    root = make_project(
        {
            "env.py": "import os\n\ndef fix_hash():\n    os.environ['PYTHONHASHSEED'] = '0'\n",
            "runner.py": "import subprocess\n\ndef run(cmd):\n    subprocess.run(cmd, check=True)\n",
            # hands the variable to the child it starts: the write has a point here
            "launch.py": "from env import fix_hash\nfrom runner import run\n\nfix_hash()\nrun(['python', 'x.py'])\n",
            # starts nothing: the write changes nothing
            "train.py": "from env import fix_hash\n\nfix_hash()\nprint({'a', 'b'})\n",
        }
    )
    (f,) = check(root, "DET007").findings
    assert (f.location.path, f.location.line) == ("env.py", 4)
    assert "run by train.py" in f.message and "launch.py" not in f.message
    (root / "train.py").unlink()
    assert codes(check(root, "DET007")) == []


def test_det010_only_calls_an_entry_point_reaches(make_project: Make) -> None:
    root = make_project(
        {
            "prep.py": (
                "from sklearn.model_selection import train_test_split\n\n"
                "def split(X, y):\n    return train_test_split(X, y)\n\n"
                "def old_split(X, y):\n    return train_test_split(X, y, test_size=0.5)\n"
            ),
            "fit.py": "from prep import split\n\nsplit([[0], [1]], [0, 1])\n",
        }
    )
    assert where(root, "DET010") == [("DET010", "prep.py", 4)]


def test_det005_det010_a_global_seed_does_not_excuse_them_and_the_message_says_why(
    make_project: Make,
) -> None:
    # A new user read "follows torch's global RNG" as wrong once torch.manual_seed(0) ran.
    # The rules are about fragility, as PyTorch's reproducibility notes say for
    # DataLoader(generator=): with only a global seed, any random call added before an
    # epoch (or before the split) changes the order. So they fire, and say so.
    root = make_project(
        {
            "train.py": (
                "import numpy as np\nimport torch\nfrom torch.utils.data import DataLoader\n"
                "from sklearn.model_selection import train_test_split\n\n"
                "torch.manual_seed(0)\nnp.random.seed(0)\n"
                "X, Xt = train_test_split(list(range(10)))\n"
                "loader = DataLoader(X, batch_size=2, shuffle=True)\n"
            ),
        }
    )
    found = {f.code: f.message for f in check(root, "DET005,DET010").findings}
    assert "even after torch.manual_seed()" in found["DET005"]
    assert "even after np.random.seed()" in found["DET010"]


# ---------------------------------------------------------------- per framework version


@pytest.mark.parametrize(
    ("torch", "fires", "note"),
    [
        ("torch==1.8.1", True, "torch 1.8.1 (requirements.txt)"),  # NumPy not seeded per worker before 1.9
        ("torch==1.9.0", False, ""),  # pytorch/pytorch#56488, released in 1.9.0
        ("torch==2.3.1+cu121", False, ""),
        ("", True, "assuming torch < 1.9"),
    ],
)
def test_det006_follows_the_pinned_torch(make_project: Make, torch: str, fires: bool, note: str) -> None:
    root = make_project(
        {"noisy.py": NOISY, "train.py": _loader_script("noisy", "Noisy"), "requirements.txt": torch + "\n"}
    )
    found = check(root, "DET006").findings
    assert bool(found) is fires
    if fires:
        assert note in found[0].message


def test_det006_reads_the_installed_torch(make_project: Make) -> None:
    root = make_project({"noisy.py": NOISY, "train.py": _loader_script("noisy", "Noisy")})
    make_venv(root / ".venv", {"torch": "1.10.2"})
    assert codes(check(root, "DET006")) == []
    make_venv(root / ".venv", {"torch": "1.8.2"})
    for d in (root / ".venv").glob("lib/python*/site-packages/torch-1.10.2.dist-info"):
        for f in d.iterdir():
            f.unlink()
        d.rmdir()
    (f,) = check(root, "DET006").findings
    assert "torch 1.8.2 (installed)" in f.message


@pytest.mark.parametrize(
    ("pin", "covered"), [("pytorch-lightning==1.2.10", False), ("pytorch-lightning==1.3.0", True)]
)
def test_det006_lightning_workers_needs_lightning_1_3(make_project: Make, pin: str, covered: bool) -> None:
    script = _loader_script("noisy", "Noisy").replace(
        "torch.manual_seed(0)\n", "import pytorch_lightning as pl\npl.seed_everything(0, workers=True)\n"
    )
    root = make_project({"noisy.py": NOISY, "train.py": script, "requirements.txt": f"torch==1.8.1\n{pin}\n"})
    assert (codes(check(root, "DET006")) == []) is covered


CUDA_SCRIPT = (
    "import torch\ntorch.manual_seed(0)\nm = torch.nn.Linear(2, 2).cuda()\nok = torch.cuda.is_available()\n"
)


@pytest.mark.parametrize(
    ("pin", "has", "lacks"),
    [
        (
            "torch==2.3.1+cu121",
            ["use_deterministic_algorithms(True)", "CUBLAS_WORKSPACE_CONFIG"],
            ["set_deterministic"],
        ),
        ("torch==1.8.1+cu101", ["use_deterministic_algorithms(True)"], ["CUBLAS_WORKSPACE_CONFIG"]),
        (
            "torch==1.7.1+cu110",
            ["torch.set_deterministic(True)", "CUBLAS_WORKSPACE_CONFIG"],
            ["use_deterministic_algorithms(True)"],
        ),
        (
            "torch==1.6.0",
            ["cudnn.deterministic = True"],
            ["use_deterministic_algorithms(True)", "set_deterministic"],
        ),
        ("", ["use_deterministic_algorithms(True)", "this assumes torch >= 1.8 on CUDA >= 10.2"], []),
    ],
)
def test_det004_fix_exists_in_the_pinned_torch(
    make_project: Make, pin: str, has: list[str], lacks: list[str]
) -> None:
    root = make_project({"train.py": CUDA_SCRIPT, "requirements.txt": pin + "\n"})
    fix = fix_of(root, "DET004")
    assert all(h in fix for h in has) and not any(x in fix for x in lacks), fix


def test_det004_det003_not_for_a_pinned_cpu_build_but_for_an_installed_one(make_project: Make) -> None:
    code = CUDA_SCRIPT + "torch.backends.cudnn.benchmark = True\n"
    root = make_project({"train.py": code, "requirements.txt": "torch==2.2.2+cpu\n"})
    assert codes(check(root, "DET003,DET004")) == []
    # an installed CPU build on the audit machine says nothing about where it trains
    (root / "requirements.txt").write_text("torch\n")
    make_venv(root / ".venv", {"torch": "2.2.2+cpu"})
    assert sorted(codes(check(root, "DET003,DET004"))) == ["DET003", "DET004"]


def test_det004_reads_the_installed_torch(make_project: Make) -> None:
    root = make_project({"train.py": CUDA_SCRIPT})
    make_venv(root / ".venv", {"torch": "1.7.1"})
    fix = fix_of(root, "DET004")
    assert "torch.set_deterministic(True)" in fix and "torch 1.7.1 (installed)" in fix


@pytest.mark.parametrize(("pin", "generator"), [("torch==1.5.1", False), ("torch==1.6.0", True), ("", True)])
def test_det005_fix_follows_the_torch_version(make_project: Make, pin: str, generator: bool) -> None:
    code = "import torch\nfrom torch.utils.data import DataLoader\ntorch.manual_seed(0)\nDataLoader([1, 2], shuffle=True)\n"
    root = make_project({"train.py": code, "requirements.txt": pin + "\n"})
    fix = fix_of(root, "DET005")
    assert ("generator=g" in fix) is generator
    if not generator:
        assert "torch 1.5.1 (requirements.txt) has no DataLoader(generator=)" in fix
    if pin == "":
        assert "this assumes torch >= 1.6" in fix


DETERMINISTIC_17 = "import torch\ntorch.manual_seed(0)\ntorch.set_deterministic(True)\n"


@pytest.mark.parametrize(
    ("pin", "fires"),
    [("torch==1.7.1+cu110", True), ("torch==1.7.1+cu101", False), ("torch==1.6.0", False)],
)
def test_det008_torch_1_7_set_deterministic(make_project: Make, pin: str, fires: bool) -> None:
    root = make_project({"train.py": DETERMINISTIC_17, "requirements.txt": pin + "\n"})
    found = check(root, "DET008").findings
    assert bool(found) is fires
    if fires:
        assert "set_deterministic(True)" in found[0].message and "torch 1.7.1+cu110" in found[0].message


def test_det008_says_what_it_assumes(make_project: Make) -> None:
    root = make_project({"train.py": "import torch\ntorch.use_deterministic_algorithms(True)\n"})
    (f,) = check(root, "DET008").findings
    assert "this assumes a CUDA >= 10.2 build" in f.message
    make_venv(root / ".venv", {"torch": "2.1.0"})
    (f,) = check(root, "DET008").findings
    assert "on torch 2.1.0 (installed)" in f.message


def test_det009_enable_op_determinism_missing_before_2_8(make_project: Make) -> None:
    code = "import tensorflow as tf\ntf.random.set_seed(0)\ntf.config.experimental.enable_op_determinism()\n"
    root = make_project({"train.py": code, "requirements.txt": "tensorflow==2.7.4\n"})
    (f,) = check(root, "DET009").findings
    assert f.location.line == 3 and "which TensorFlow 2.7.4 (requirements.txt) does not have" in f.message
    (root / "requirements.txt").write_text("tensorflow==2.8.0\n")
    assert codes(check(root, "DET009")) == []


def test_det009_tf_2_0_reads_cudnn_variable_from_a_launcher(make_project: Make) -> None:
    code = "import tensorflow as tf\ntf.random.set_seed(0)\n"
    root = make_project({"train.py": code, "requirements.txt": "tensorflow-gpu==2.0.4\n"})
    (root / "run.sh").write_text("export TF_DETERMINISTIC_OPS=1\npython train.py\n")
    assert codes(check(root, "DET009")) == ["DET009"]  # TF 2.0 does not read TF_DETERMINISTIC_OPS
    (root / "run.sh").write_text("export TF_CUDNN_DETERMINISTIC=1\npython train.py\n")
    assert codes(check(root, "DET009")) == []


@pytest.mark.parametrize(
    ("files", "rule", "want"),
    [
        ({"requirements.txt": "tensorflow==1.15.5\n"}, "DET001", "tf.set_random_seed(seed)"),
        ({"requirements.txt": "tensorflow==2.15.1\n"}, "DET001", "tf.random.set_seed(seed)"),
        ({"requirements.txt": "numpy==1.16.6\n"}, "DET002", "np.random.RandomState(seed)"),
        ({"requirements.txt": "numpy==1.26.4\n"}, "DET002", "np.random.default_rng(seed)"),
    ],
)
def test_det001_det002_seed_calls_exist_in_the_pinned_version(
    make_project: Make, files: dict[str, str], rule: str, want: str
) -> None:
    code = {
        "DET001": "import tensorflow as tf\nx = tf.random.uniform((2,))\n",
        "DET002": "import numpy as np\nnp.random.seed(0)\nrs = np.random.RandomState()\n",
    }[rule]
    root = make_project({"train.py": code, **files})
    assert want in fix_of(root, rule)


# ---------------------------------------------------------------- declared ranges decide too


@pytest.mark.parametrize(
    ("spec", "fires", "note"),
    [
        ("torch>=2.0", False, ""),  # every allowed torch seeds NumPy per worker
        ("torch>=1.4,<1.9", True, "with torch>=1.4,<1.9 (requirements.txt)"),
        (
            "torch>=1.4",
            True,
            "assuming torch < 1.9 (torch>=1.4 (requirements.txt) allows versions on both sides)",
        ),
    ],
)
def test_det006_declared_range(make_project: Make, spec: str, fires: bool, note: str) -> None:
    root = make_project(
        {"noisy.py": NOISY, "train.py": _loader_script("noisy", "Noisy"), "requirements.txt": spec + "\n"}
    )
    found = check(root, "DET006").findings
    assert bool(found) is fires
    if fires:
        assert note in found[0].message


@pytest.mark.parametrize(
    ("spec", "want", "unwanted"),
    [
        ("tensorflow>=2.4,<2.8", 'os.environ["TF_DETERMINISTIC_OPS"] = "1"', "Call tf.config"),
        ("tensorflow~=2.12", "Call tf.config.experimental.enable_op_determinism() after seeding.", "assumes"),
        ("tensorflow>=2.4", "this assumes TensorFlow >= 2.8", "TF_DETERMINISTIC_OPS"),
    ],
)
def test_det009_declared_range(make_project: Make, spec: str, want: str, unwanted: str) -> None:
    root = make_project(
        {"train.py": "import tensorflow as tf\ntf.random.set_seed(0)\n", "requirements.txt": spec + "\n"}
    )
    fix = fix_of(root, "DET009")
    assert want in fix and unwanted not in fix, fix


@pytest.mark.parametrize(
    ("pin", "fires"), [("tensorflow==2.15.1", True), ("tensorflow==1.15.5", False), ("", False)]
)
def test_det001_a_seed_call_the_version_lacks_seeds_nothing(
    make_project: Make, pin: str, fires: bool
) -> None:
    # TF 2.0 removed tf.set_random_seed (tensorflow/tensorflow#30070): under TF 2 it raises
    code = "import tensorflow as tf\ntf.set_random_seed(0)\nx = tf.random.uniform((2,))\n"
    root = make_project({"train.py": code, "requirements.txt": pin + "\n"})
    found = check(root, "DET001").findings
    assert bool(found) is fires
    if fires:
        assert (
            "tensorflow.set_random_seed at train.py:2 does not exist in TensorFlow 2.15.1" in found[0].message
        )
        assert found[0].fix is not None and "tf.random.set_seed(seed)" in found[0].fix.description


@pytest.mark.parametrize(
    ("pin", "said"),
    [
        ("torch==2.3.1+cu121", "with warn_only=True cuBLAS calls only warn and stay nondeterministic"),
        # warn_only= is documented from 1.11 (pytorch.org/docs/1.11/generated/torch.use_deterministic_algorithms)
        (
            "torch==1.10.2+cu113",
            "warn_only= arrived in torch 1.11: torch 1.10.2+cu113 (requirements.txt) rejects it",
        ),
    ],
)
def test_det008_warn_only_per_torch_version(make_project: Make, pin: str, said: str) -> None:
    code = "import torch\ntorch.use_deterministic_algorithms(True, warn_only=True)\n"
    root = make_project({"train.py": code, "requirements.txt": pin + "\n"})
    (f,) = check(root, "DET008").findings
    assert said in f.message
