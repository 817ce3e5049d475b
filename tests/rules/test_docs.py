"""DOC001–DOC007 on READMEs and trees written the ways real projects write them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import check, codes

MakeProject = Callable[[dict[str, str | bytes]], Path]


def doc(root: Path, code: str) -> list:
    return [f for f in check(root, code).findings if f.code == code]


# ---------------------------------------------------------------- DOC001
def test_doc001_fires_without_readme_and_carries_a_skeleton(make_project: MakeProject) -> None:
    root = make_project({"train.py": "print(1)\n", "docs/README.md": "# docs\n"})
    (f,) = doc(root, "DOC001")
    assert f.location.path is None
    assert "docs/README.md" in f.message
    assert f.fix is not None and f.fix.diff and "+++ b/README.md" in f.fix.diff
    assert "+## Installation" in f.fix.diff


@pytest.mark.parametrize(
    "name", ["README.md", "README.rst", "README.txt", "README", "readme.MD", "Readme.rst"]
)
def test_doc001_quiet_for_any_readme_spelling(make_project: MakeProject, name: str) -> None:
    root = make_project({name: "hello\n"})
    assert doc(root, "DOC001") == []


# ---------------------------------------------------------------- DOC002
SETUP_READMES = {
    "fenced": ("README.md", "# X\n\n## Installation\n\n```bash\npip install -r requirements.txt\n```\n"),
    "tilde-fence-prompt": ("README.md", "# X\n\n~~~console\n$ conda env create -f environment.yml\n~~~\n"),
    "indented": ("README.md", "# X\n\nGetting started:\n\n    git clone x\n    uv sync\n"),
    "inline": ("README.md", "# X\n\nRun `poetry install` and then `poetry run train`.\n"),
    "badges-then-make": (
        "README.md",
        "[![CI](https://github.com/a/b/actions/workflows/ci.yml/badge.svg)](https://github.com/a/b)\n"
        "[![PyPI](https://img.shields.io/pypi/v/x)](https://pypi.org/project/x)\n\n"
        "Setup\n-----\n\n```\nmake install\n```\n",
    ),
    "rst-code-block": (
        "README.rst",
        "Project\n=======\n\nInstallation\n------------\n\n.. code-block:: bash\n\n   python -m pip install -e .\n",
    ),
    "rst-literal": ("README.rst", "Project\n=======\n\nInstall it with::\n\n    pip3 install project\n"),
    "docker": ("README.md", "## Quickstart\n\n```sh\ndocker build -t demo .\ndocker run demo\n```\n"),
    "plain-text-prompt": ("README.txt", "Demo\n\nTo set up:\n$ python3 -m venv .venv\n"),
    "in-a-sentence": ("README", "Demo. Install it with pip install demo-tool and run demo.\n"),
    "html-heading": ("README.md", '<h2 align="center">Installation</h2>\n\n```\nuv sync\n```\n'),
}


@pytest.mark.parametrize("case", sorted(SETUP_READMES))
def test_doc002_quiet_when_commands_are_given(make_project: MakeProject, case: str) -> None:
    name, text = SETUP_READMES[case]
    root = make_project({name: text})
    assert doc(root, "DOC002") == [], case


def test_doc002_fires_on_an_installation_heading_without_commands(make_project: MakeProject) -> None:
    root = make_project(
        {
            "README.md": """
                # Project [![badge](https://img.shields.io/badge/a-b-c.svg)](https://x)

                ## Installation

                Install the requirements and you are good to go.

                ## Usage

                Run the training script.
                """
        }
    )
    (f,) = doc(root, "DOC002")
    assert f.location.path == "README.md" and f.location.line == 3
    assert '"Installation" section' in f.message


def test_doc002_fires_when_code_blocks_hold_no_setup(make_project: MakeProject) -> None:
    # a Python snippet is code, but not an instruction to set anything up
    root = make_project({"README.md": "# Lib\n\n```python\nimport lib\nlib.run()\n```\n"})
    (f,) = doc(root, "DOC002")
    assert f.location.line == 1


def test_doc002_quiet_with_install_doc_linked_or_kept_aside(make_project: MakeProject) -> None:
    linked_local = make_project(
        {
            "README.md": "# X\n\nSee the [installation guide](docs/install.md).\n",
            "docs/install.md": "# Install\n\n```\npip install -r requirements.txt\n```\n",
        }
    )
    assert doc(linked_local, "DOC002") == []


def test_doc002_link_to_web_docs_counts(tmp_path: Path) -> None:
    from tests.conftest import write

    root = write(
        tmp_path,
        {
            "README.md": "# X\n\nInstallation: https://x.readthedocs.io/en/latest/ see [docs](https://x.readthedocs.io/en/latest/installation.html)\n"
        },
    )
    assert doc(root, "DOC002") == []


def test_doc002_local_link_to_a_doc_without_commands_still_fires(make_project: MakeProject) -> None:
    root = make_project(
        {
            "README.md": "# X\n\nSee [setup](docs/setup.md).\n",
            "docs/setup.md": "# Setup\n\nAsk a colleague.\n",
        }
    )
    assert len(doc(root, "DOC002")) == 1


def test_doc002_install_file_counts(make_project: MakeProject) -> None:
    root = make_project({"README.md": "# X\n\nSee INSTALL.\n", "INSTALL.md": "Run:\n\n    pip install .\n"})
    assert doc(root, "DOC002") == []


def test_doc002_silent_without_readme(make_project: MakeProject) -> None:
    assert doc(make_project({"a.py": ""}), "DOC002") == []


# ---------------------------------------------------------------- DOC003
GPU_CODE = "import torch\nmodel = Net()\nmodel = model.to('cuda')\n"


def test_doc003_fires_for_gpu_code_and_silent_readme(make_project: MakeProject) -> None:
    root = make_project({"README.md": "# X\n\n    pip install -r requirements.txt\n", "train.py": GPU_CODE})
    (f,) = doc(root, "DOC003")
    assert f.location.path == "train.py" and f.location.line == 3
    assert "README.md names no GPU" in f.message


@pytest.mark.parametrize(
    "files",
    [
        {"requirements.txt": "torch==2.3.1+cu121\n"},
        {"Dockerfile": "FROM nvidia/cuda:12.1.1-runtime-ubuntu22.04\n"},
        {"environment.yml": "dependencies:\n  - pytorch-cuda=12.1\n"},
        {"train.py": "import torch\nif torch.cuda.is_available():\n    pass\n"},
    ],
)
def test_doc003_gpu_signals_outside_code(make_project: MakeProject, files: dict[str, str]) -> None:
    root = make_project({"README.md": "# X\n", **files})
    assert len(doc(root, "DOC003")) == 1


@pytest.mark.parametrize(
    "readme",
    [
        "# X\n\nTrained on one NVIDIA A100 (40 GB) with CUDA 12.1.\n",
        "# X\n\n## Requirements\n\n* a GPU with at least 16 GB of memory\n",
        "X\n=\n\nHardware: 2x RTX 3090.\n",
    ],
)
def test_doc003_quiet_when_hardware_is_named(make_project: MakeProject, readme: str) -> None:
    root = make_project({"README.md": readme, "train.py": GPU_CODE})
    assert doc(root, "DOC003") == []


def test_doc003_quiet_for_cpu_projects_and_comments(make_project: MakeProject) -> None:
    root = make_project(
        {
            "README.md": "# X\n",
            "train.py": "import torch\n# model.cuda() would be faster\nx = torch.zeros(3)\n",
            "requirements.txt": "torch==2.3.1\n",
        }
    )
    assert doc(root, "DOC003") == []


# ---------------------------------------------------------------- DOC004
def test_doc004_fires_for_read_csv_without_source(make_project: MakeProject) -> None:
    root = make_project(
        {
            "README.md": "# X\n[![docs](https://img.shields.io/badge/docs-latest-blue)](https://x.io)\n",
            "train.py": "import pandas as pd\n\ndf = pd.read_csv('train.csv')\n",
        }
    )
    (f,) = doc(root, "DOC004")
    assert f.location.path == "train.py" and f.location.line == 3


def test_doc004_fires_for_a_data_folder(make_project: MakeProject) -> None:
    root = make_project({"README.md": "# X\n", "data/raw/a.csv": "a,b\n"})
    (f,) = doc(root, "DOC004")
    assert "data/ folder" in f.message


@pytest.mark.parametrize(
    "extra",
    [
        {"README.md": "# X\n\n## Dataset\n\nGet it from https://zenodo.org/record/123 (v2).\n"},
        {"README.md": "# X\n\nThe data is at https://example.org/d.zip\n"},
        {"README.md": "# X\n", "scripts/download_data.sh": "wget x\n"},
        {"README.md": "# X\n", "sample_data/tiny.csv": "a\n"},
        {"README.md": "# X\n", "data.dvc": "outs:\n- path: data\n"},
        {"README.md": "# X\n\nRun `dvc pull` first.\n"},
    ],
)
def test_doc004_quiet_when_documented(make_project: MakeProject, extra: dict[str, str]) -> None:
    root = make_project({"train.py": "import pandas as pd\ndf = pd.read_csv('data/train.csv')\n", **extra})
    assert doc(root, "DOC004") == []


def test_doc004_quiet_when_the_code_downloads_a_named_dataset(make_project: MakeProject) -> None:
    root = make_project(
        {
            "README.md": "# X\n",
            "train.py": "from torchvision import datasets\nds = datasets.MNIST('data', download=True)\n",
        }
    )
    assert doc(root, "DOC004") == []


@pytest.mark.parametrize(
    ("line", "reads"),
    [
        ('with open("numbers.json", "w") as f:', False),  # the script's output (a new user's case)
        ("open('log.csv', mode='a')", False),
        ('open("out.npy", "wb")', False),
        ('open("run.txt", "x")', False),
        ('open("train.csv")', True),
        ('open("train.csv", "r")', True),
        ('open("train.csv", "rb")', True),
        ('open("train.csv", "r+")', True),  # read and update: it reads the data
    ],
)
def test_doc004_a_file_opened_to_write_is_not_data_read(
    make_project: MakeProject, line: str, reads: bool
) -> None:
    root = make_project({"README.md": "# X\n", "make_numbers.py": f"import json\n\n{line}\n"})
    assert [f.location.line for f in doc(root, "DOC004")] == ([3] if reads else [])


# ---------------------------------------------------------------- DOC005
HARD = "import torch\n\nlr = 0.001\nbatch_size = 64\nopt = torch.optim.Adam(params, lr=3e-4)\n"


def test_doc005_fires_for_hard_coded_hyperparameters(make_project: MakeProject) -> None:
    root = make_project({"README.md": "# X\n", "train.py": HARD})
    (f,) = doc(root, "DOC005")
    assert f.location == f.location.__class__("train.py", 3)
    assert "lr = 0.001" in f.message


@pytest.mark.parametrize(
    "extra",
    [
        {"configs/default.yaml": "lr: 0.001\n"},
        {"params.yaml": "train:\n  lr: 0.001\n"},
        {
            "cli.py": "import argparse\np = argparse.ArgumentParser()\np.add_argument('--lr', type=float, default=1e-3)\n"
        },
        {"main.py": "import hydra\n\n@hydra.main(config_path='conf')\ndef main(cfg):\n    pass\n"},
    ],
)
def test_doc005_quiet_with_config_files_or_options(make_project: MakeProject, extra: dict[str, str]) -> None:
    root = make_project({"README.md": "# X\n", "train.py": HARD, **extra})
    assert doc(root, "DOC005") == []


def test_doc005_ignores_tests_comments_and_comparisons(make_project: MakeProject) -> None:
    root = make_project(
        {
            "README.md": "# X\n",
            "tests/test_train.py": "lr = 0.1\n",
            "train.py": "# lr = 0.001\nif args.lr == 1:\n    pass\nlr = args.lr\n",
        }
    )
    assert doc(root, "DOC005") == []


# ---------------------------------------------------------------- DOC006
def test_doc006_fires_for_shipped_weights(make_project: MakeProject) -> None:
    root = make_project({"README.md": "# X\n", "checkpoints/best.pt": b"\x80\x02weights"})
    (f,) = doc(root, "DOC006")
    assert f.location.path == "checkpoints/best.pt"


def test_doc006_fires_for_code_that_saves_weights(make_project: MakeProject) -> None:
    root = make_project(
        {"README.md": "# X\n", "train.py": "import torch\n\ntorch.save(model.state_dict(), p)\n"}
    )
    (f,) = doc(root, "DOC006")
    assert f.location.line == 3 and "torch.save" in f.message


@pytest.mark.parametrize(
    "extra",
    [
        {"MODEL_CARD.md": "# Model card\n"},
        {"docs/model_card.md": "# card\n"},
        {"README.md": "# X\n\n## Model details\n\nResNet-50 trained on ...\n"},
        {"README.md": "---\nlicense: mit\npipeline_tag: image-classification\n---\n# X\n"},
    ],
)
def test_doc006_quiet_with_a_model_card(make_project: MakeProject, extra: dict[str, str]) -> None:
    root = make_project({"README.md": "# X\n", "model.safetensors": b"\x00\x01", **extra})
    assert doc(root, "DOC006") == []


def test_doc006_quiet_without_weights(make_project: MakeProject) -> None:
    root = make_project(
        {"README.md": "# X\n", "train.py": "print('no saving here')\n", "pytorch_model.txt": "x"}
    )
    assert doc(root, "DOC006") == []


# ---------------------------------------------------------------- DOC007
def test_doc007_no_tests(make_project: MakeProject) -> None:
    (f,) = doc(make_project({"train.py": "x = 1\n"}), "DOC007")
    assert "no tests" in f.message


def test_doc007_tests_without_ci(make_project: MakeProject) -> None:
    (f,) = doc(make_project({"train.py": "", "tests/test_a.py": "def test(): pass\n"}), "DOC007")
    assert "no CI configuration" in f.message


def test_doc007_ci_that_never_runs_the_tests(make_project: MakeProject) -> None:
    root = make_project(
        {
            "train.py": "",
            "test_model.py": "def test(): pass\n",
            ".github/workflows/lint.yml": "jobs:\n  lint:\n    steps:\n      - run: ruff check .\n",
        }
    )
    (f,) = doc(root, "DOC007")
    assert f.location.path == ".github/workflows/lint.yml" and "never runs them" in f.message


@pytest.mark.parametrize(
    "ci",
    [
        {".github/workflows/ci.yaml": "jobs:\n  t:\n    steps:\n      - run: python -m pytest -q\n"},
        {".gitlab-ci.yml": "test:\n  script:\n    - tox -e py311\n"},
        {".circleci/config.yml": "jobs:\n  build:\n    steps:\n      - run: make test\n"},
    ],
)
def test_doc007_quiet_with_ci_running_tests(make_project: MakeProject, ci: dict[str, str]) -> None:
    root = make_project({"train.py": "", "tests/test_a.py": "def test(): pass\n", **ci})
    assert doc(root, "DOC007") == []


def test_doc007_quiet_for_a_project_without_code(make_project: MakeProject) -> None:
    assert doc(make_project({"README.md": "# notes\n"}), "DOC007") == []


def test_a_well_documented_project_is_clean(make_project: MakeProject) -> None:
    root = make_project(
        {
            "README.md": """
                # Net [![CI](https://github.com/a/b/actions/workflows/ci.yml/badge.svg)](https://github.com/a/b)

                ## Getting started

                    pip install -r requirements.txt

                ## Hardware

                One NVIDIA V100 (32 GB), CUDA 12.1.

                ## Data

                CIFAR-10 from https://www.cs.toronto.edu/~kriz/cifar.html, fetched by `scripts/download_data.sh`.

                ## Model card

                See below.
                """,
            "train.py": "import torch\nmodel.cuda()\nlr = 0.1\ntorch.save(model, 'm.pt')\n",
            "configs/base.yaml": "lr: 0.1\n",
            "scripts/download_data.sh": "wget x\n",
            "tests/test_train.py": "def test(): pass\n",
            ".github/workflows/ci.yml": "jobs:\n  t:\n    steps:\n      - run: pytest\n",
        }
    )
    assert [c for c in codes(check(root, "DOC"))] == []
