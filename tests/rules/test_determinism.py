"""DET rules beyond the labelled corpus: messages, launch files, framework switches."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from envaudit.rules import all_rules
from tests.conftest import check, codes, invoke

Make = Callable[[dict[str, str | bytes]], Path]


@pytest.mark.parametrize("code", [f"DET{i:03d}" for i in range(1, 11)])
def test_every_det_rule_is_explained(code: str) -> None:
    rule = next(r for r in all_rules() if r.code == code)
    assert len(rule.explanation) > 200 and rule.example and rule.fix
    res = invoke("explain", code)
    assert res.exit_code == 0 and rule.name in res.stdout and "Fix:" in res.stdout


def test_det001_names_libraries_and_helper_location(make_project: Make) -> None:
    root = make_project(
        {
            "data.py": "import numpy as np\n\ndef load():\n    return np.random.rand(3)\n",
            "train.py": "import torch\nfrom data import load\n\nbatch = load()\nw = torch.randn(3)\n",
        }
    )
    (f,) = check(root, "DET001").findings
    assert f.location.path == "train.py" and f.location.line == 5  # first randomness in the entry's file
    assert "numpy (numpy.random.rand at data.py:4)" in f.message and "torch (torch.randn)" in f.message


def test_det002_names_unseeded_libraries(make_project: Make) -> None:
    root = make_project({"t.py": "import random\nimport torch\nrandom.seed(1)\nx = torch.rand(1)\n"})
    (f,) = check(root, "DET002").findings
    assert "seeds random but not torch" in f.message and f.location.line == 4
    assert f.fix is not None and "torch.manual_seed(seed)" in f.fix.description


def test_det008_satisfied_by_launch_files(make_project: Make) -> None:
    code = "import torch\ntorch.manual_seed(0)\ntorch.use_deterministic_algorithms(True)\n"
    root = make_project({"train.py": code})
    assert codes(check(root, "DET008")) == ["DET008"]
    (root / "run.sh").write_text("export CUBLAS_WORKSPACE_CONFIG=:4096:8\npython train.py\n")
    assert codes(check(root, "DET008")) == []


def test_det008_setdefault_and_warn_only(make_project: Make) -> None:
    root = make_project(
        {
            "train.py": (
                "import os\nimport torch\n"
                "os.environ.setdefault('CUBLAS_WORKSPACE_CONFIG', ':16:8')\n"
                "torch.use_deterministic_algorithms(mode=True, warn_only=True)\n"
            )
        }
    )
    assert codes(check(root, "DET008")) == []


def test_det009_env_and_op_determinism(make_project: Make) -> None:
    code = "import tensorflow as tf\ntf.random.set_seed(0)\nx = tf.random.uniform((2,))\n"
    root = make_project({"a.py": code})
    (f,) = check(root, "DET009").findings
    assert f.location.line == 1
    (root / "a.py").write_text("import os\nos.environ['TF_DETERMINISTIC_OPS'] = '1'\n" + code)
    assert codes(check(root, "DET009")) == []


def test_det004_lightning_deterministic_trainer(make_project: Make) -> None:
    root = make_project(
        {
            "train.py": (
                "import lightning as L\nimport torch\n\n"
                "if __name__ == '__main__':\n    L.seed_everything(0)\n"
                "    trainer = L.Trainer(accelerator='cuda', deterministic=True)\n"
                "    torch.use_deterministic_algorithms(True)\n"
            )
        }
    )
    # deterministic=True: cuDNN/algorithms on, and Lightning sets CUBLAS_WORKSPACE_CONFIG itself
    assert codes(check(root, "DET004,DET008")) == []
    (root / "train.py").write_text(
        "import torch\ntorch.manual_seed(0)\ndevice = torch.device('cuda')\nm = torch.nn.Linear(2, 2).to(device)\n"
    )
    assert codes(check(root, "DET004")) == ["DET004"]


def test_det005_det006_need_the_right_conditions(make_project: Make) -> None:
    root = make_project(
        {
            "ds.py": (
                "import numpy as np\nfrom torch.utils.data import Dataset\n\n"
                "class D(Dataset):\n    def __getitem__(self, i):\n        return self.aug(i)\n\n"
                "    def aug(self, i):\n        return i * np.random.random()\n"
            ),
            "train.py": (
                "import torch\nfrom torch.utils.data import DataLoader\nfrom ds import D\n"
                "torch.manual_seed(0)\n"
                "a = DataLoader(D(), shuffle=False, num_workers=0)\n"
                "b = DataLoader(D(), sampler=None, num_workers=8)\n"
                "c = DataLoader(D(), shuffle=True, num_workers=8, worker_init_fn=print, generator=torch.Generator())\n"
            ),
        }
    )
    res = check(root, "DET005,DET006")
    assert [(f.code, f.location.line) for f in res.findings] == [("DET006", 6)]
    # no torch version to read: the verdict says which one it assumes
    assert "numpy.random.random at ds.py:9" in res.findings[0].message
    assert "assuming torch < 1.9" in res.findings[0].message


def test_det007_det003_det010_locations(make_project: Make) -> None:
    root = make_project(
        {
            "a.py": (
                "import os\nfrom os import environ\nimport torch.backends.cudnn as cb\n"
                "from sklearn.cluster import KMeans\n"
                "environ['PYTHONHASHSEED'] = '0'\ncb.benchmark = True\nkm = KMeans(3, random_state=None)\n"
            )
        }
    )
    got = [(f.code, f.location.line) for f in check(root, "DET003,DET007,DET010").findings]
    assert got == [("DET007", 5), ("DET003", 6), ("DET010", 7)]


def test_inline_suppression_on_a_det_line(make_project: Make) -> None:
    root = make_project({"t.py": "import torch\nx = torch.randn(1)  # envaudit: ignore[DET001]\n"})
    res = check(root, "DET001")
    assert res.findings == [] and res.suppressed == 1


DETERMINISTIC = "import torch\ntorch.manual_seed(0)\ntorch.use_deterministic_algorithms(True)\n"


def test_det008_is_decided_per_entry_point(make_project: Make) -> None:
    """CUBLAS_WORKSPACE_CONFIG set in train.py does not help evaluate.py, which never imports it."""
    setup = 'import os\nos.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")\n'
    root = make_project(
        {
            "train.py": setup + DETERMINISTIC,
            "evaluate.py": DETERMINISTIC,
            # a helper that sets it counts for the entry points that import it
            "common.py": setup,
            "finetune.py": "import common\n" + DETERMINISTIC,
        }
    )
    found = check(root, "DET008").findings
    assert [(f.location.path, f.location.line) for f in found] == [("evaluate.py", 3)]
    assert "evaluate.py" in found[0].message


def test_det008_launchers_cover_what_they_start(make_project: Make) -> None:
    root = make_project({"train.py": DETERMINISTIC, "evaluate.py": DETERMINISTIC})
    (root / "train.sh").write_text("export CUBLAS_WORKSPACE_CONFIG=:4096:8\npython train.py --epochs 3\n")
    assert [f.location.path for f in check(root, "DET008").findings] == ["evaluate.py"]
    # an image's ENV is set for every program run in it
    (root / "Dockerfile").write_text("FROM python:3.11-slim\nENV CUBLAS_WORKSPACE_CONFIG=:4096:8\n")
    assert check(root, "DET008").findings == []


@pytest.mark.parametrize(
    ("pin", "fires"),
    [("torch==2.3.1+cu121", True), ("torch==2.3.1+cpu", False), ("torch==1.8.1+cu101", False), ("", True)],
)
def test_det008_reads_the_pinned_torch_build(make_project: Make, pin: str, fires: bool) -> None:
    root = make_project({"evaluate.py": DETERMINISTIC, "requirements.txt": pin + "\n" if pin else ""})
    assert (codes(check(root, "DET008")) == ["DET008"]) is fires


# enable_op_determinism() arrived in TensorFlow 2.8 (TF 2.8.0 RELEASE.md, "Deterministic Op
# Functionality"); TF_DETERMINISTIC_OPS in 2.1 and TF_CUDNN_DETERMINISTIC in 1.14
# (NVIDIA/framework-determinism README)
@pytest.mark.parametrize(
    ("pin", "in_message", "in_fix"),
    [
        ("tensorflow==2.7.4", "TensorFlow 2.7.4", 'os.environ["TF_DETERMINISTIC_OPS"] = "1"'),
        (
            "tensorflow==2.8.0",
            "enable_op_determinism()",
            "Call tf.config.experimental.enable_op_determinism()",
        ),
        (
            "tensorflow==2.15.1",
            "enable_op_determinism()",
            "Call tf.config.experimental.enable_op_determinism()",
        ),
        ("tensorflow-gpu==2.0.4", "TensorFlow 2.0.4", "TF_CUDNN_DETERMINISTIC"),
        ("tensorflow==1.13.2", "TensorFlow 1.13.2", "upgrade to TensorFlow >= 2.8"),
        ("", "enable_op_determinism()", "this assumes TensorFlow >= 2.8"),
    ],
)
def test_det009_speaks_for_the_tensorflow_version(
    make_project: Make, pin: str, in_message: str, in_fix: str
) -> None:
    code = "import tensorflow as tf\ntf.random.set_seed(0)\n"
    root = make_project({"train.py": code, "requirements.txt": pin + "\n"})
    (f,) = check(root, "DET009").findings
    assert in_message in f.message and f.fix is not None and in_fix in f.fix.description
    # an API the pinned version lacks is never recommended
    if pin in ("tensorflow==2.7.4", "tensorflow-gpu==2.0.4", "tensorflow==1.13.2"):
        assert "Call tf.config.experimental.enable_op_determinism()" not in f.fix.description


def test_det009_env_in_one_entry_point_only(make_project: Make) -> None:
    code = "import tensorflow as tf\ntf.random.set_seed(0)\n"
    root = make_project(
        {
            "a.py": 'import os\nos.environ["TF_DETERMINISTIC_OPS"] = "1"\n' + code,
            "b.py": code,
        }
    )
    assert [f.location.path for f in check(root, "DET009").findings] == ["b.py"]
