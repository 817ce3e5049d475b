#!/usr/bin/env python3
"""A full `envaudit check` (every rule) vs `uv pip check`, on an ML environment and
three realistic repository layouts.

    python bench/bench_check.py [--venv PATH] [--runs N] [--uv PATH] [--big N]

Inputs, all named in the output:

  * the environment: a virtualenv of about 170 distributions (torch 2.13.0 CPU,
    transformers, pandas, scikit-learn, jupyter and what they pull in), built with pip
    the first time (bench/bench_deps.py builds the same one) and reused afterwards;
    $ENVAUDIT_BENCH_VENV or --venv, default bench/out/venv170;
  * three repositories this script writes under bench/out/repos/ (our own files, in the
    shape of real ones, each a git repository with one commit):
      - `detector`: an object-detection repository (models/, utils/, train/val/detect
        scripts, dataset YAMLs, requirements.txt with ranges, a CUDA Dockerfile);
      - `llm-uv`: a small uv-locked LLM training repository (pyproject.toml + uv.lock
        describing the bench environment, a few training scripts);
      - `lightning-hydra`: a Lightning/Hydra template (src/, configs/ with many Hydra
        YAMLs, tests/, environment.yaml, Makefile, pre-commit config);
  * `uv pip check --python VENV` (the uv binary next to this interpreter, or --uv).

For each repository the two commands run alternately, N times each (default 7), with
envaudit's source cache warm (a private cache dir, filled by one warm-up run), as on
every commit. It prints per-repository medians, the ratio, and the median ratio over
the repositories (target: at most 5x). It also prints a cold run (empty cache) with its
CPU/wall ratio (a process pool should use every core), `envaudit --version` against
`python -c "import click"` (target: at most 1.3x), and the peak RSS of every envaudit
run (target: under 100 MB). `--big N` adds a cold determinism scan of a repository of N
generated modules. Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGES = [
    "torch==2.13.0",
    "transformers",
    "pandas",
    "scikit-learn",
    "jupyter",
    "matplotlib",
    "seaborn",
    "datasets",
    "accelerate",
    "tensorboard",
    "lightning",
    "omegaconf",
    "wandb",
]
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
    "GIT_AUTHOR_DATE": "2026-01-05T10:00:00Z",
    "GIT_COMMITTER_DATE": "2026-01-05T10:00:00Z",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


# --------------------------------------------------------------------------- environment


def count_dists(venv: Path) -> int:
    return sum(
        1
        for sp in venv.glob("lib/python*/site-packages")
        for p in sp.iterdir()
        if p.name.endswith((".dist-info", ".egg-info"))
    )


def build_venv(venv: Path) -> None:
    print(f"building {venv} (pip install {' '.join(PACKAGES)}) ...", flush=True)
    venv.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = str(venv / "bin" / "python")
    # torch's CPU wheel comes from the local wheelhouse when pip is configured with one
    subprocess.run([py, "-m", "pip", "install", "-q", *PACKAGES], check=True)


def installed(venv: Path) -> list[tuple[str, str, list[str]]]:
    """(name, version, unconditional requirement names) of each dist, from METADATA."""
    out = []
    for sp in venv.glob("lib/python*/site-packages"):
        for d in sorted(sp.glob("*.dist-info")):
            name = version = ""
            reqs: list[str] = []
            for line in (d / "METADATA").read_text(encoding="utf-8", errors="replace").splitlines():
                if not line:
                    break
                if line.startswith("Name: "):
                    name = line[6:].strip()
                elif line.startswith("Version: "):
                    version = line[9:].strip()
                elif line.startswith("Requires-Dist: ") and ";" not in line:
                    req = line[15:].strip()
                    n = req
                    for sep in "<>=!~[( ":
                        n = n.split(sep)[0]
                    reqs.append(n)
            if name:
                out.append((name, version, reqs))
    return out


# --------------------------------------------------------------------------- repositories


def norm(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def write(root: Path, rel: str, text: str) -> None:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def git_commit(root: Path) -> None:
    env = {**os.environ, **GIT_ENV}
    for cmd in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "initial import"]):
        subprocess.run(["git", "-C", str(root), *cmd], check=True, env=env)


MODEL_MODULE = '''
"""{title} building blocks."""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def autopad(k, p=None, d=1):
    if d > 1:
        k = d * (k - 1) + 1 if isinstance(k, int) else [d * (x - 1) + 1 for x in k]
    if p is None:
        p = k // 2 if isinstance(k, int) else [x // 2 for x in k]
    return p


class Conv{i}(nn.Module):
    default_act = nn.SiLU()

    def __init__(self, c1, c2, k=1, s=1, p=None, g=1, d=1, act=True):
        super().__init__()
        self.conv = nn.Conv2d(c1, c2, k, s, autopad(k, p, d), groups=g, dilation=d, bias=False)
        self.bn = nn.BatchNorm2d(c2)
        self.act = self.default_act if act is True else act if isinstance(act, nn.Module) else nn.Identity()

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))

    def forward_fuse(self, x):
        return self.act(self.conv(x))


class Bottleneck{i}(nn.Module):
    def __init__(self, c1, c2, shortcut=True, g=1, e=0.5):
        super().__init__()
        c_ = int(c2 * e)
        self.cv1 = Conv{i}(c1, c_, 1, 1)
        self.cv2 = Conv{i}(c_, c2, 3, 1, g=g)
        self.add = shortcut and c1 == c2

    def forward(self, x):
        return x + self.cv2(self.cv1(x)) if self.add else self.cv2(self.cv1(x))


class Attention{i}(nn.Module):
    def __init__(self, dim, num_heads=8, attn_ratio=0.5):
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.key_dim = int(self.head_dim * attn_ratio)
        self.scale = self.key_dim**-0.5
        self.qkv = Conv{i}(dim, dim + self.key_dim * num_heads * 2, 1, act=False)
        self.proj = Conv{i}(dim, dim, 1, act=False)

    def forward(self, x):
        b, c, h, w = x.shape
        q, k, v = self.qkv(x).view(b, self.num_heads, -1, h * w).split(
            [self.key_dim, self.key_dim, self.head_dim], dim=2
        )
        attn = (q.transpose(-2, -1) @ k) * self.scale
        attn = attn.softmax(dim=-1)
        x = (v @ attn.transpose(-2, -1)).view(b, c, h, w)
        return self.proj(x)


def init_weights{i}(model):
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(m, nn.BatchNorm2d):
            m.eps = 1e-3
            m.momentum = 0.03
        elif isinstance(m, nn.Linear):
            bound = 1 / math.sqrt(m.weight.size(1))
            nn.init.uniform_(m.weight, -bound, bound)
    return F.silu(torch.zeros(1))
'''

UTIL_MODULE = '''
"""{title} helpers."""

import glob
import os
import random
from pathlib import Path

import numpy as np
import yaml
from PIL import Image

IMG_FORMATS = "bmp", "jpeg", "jpg", "png", "tif", "tiff", "webp"


def img2label_paths{i}(img_paths):
    sa, sb = f"{{os.sep}}images{{os.sep}}", f"{{os.sep}}labels{{os.sep}}"
    return [sb.join(x.rsplit(sa, 1)).rsplit(".", 1)[0] + ".txt" for x in img_paths]


def list_images{i}(path):
    files = []
    for p in path if isinstance(path, list) else [path]:
        p = Path(p)
        if p.is_dir():
            files += glob.glob(str(p / "**" / "*.*"), recursive=True)
        elif p.is_file():
            files += [x.strip() for x in p.read_text().splitlines()]
    return sorted(x for x in files if x.split(".")[-1].lower() in IMG_FORMATS)


def load_yaml{i}(file):
    with open(file, errors="ignore") as f:
        return yaml.safe_load(f)


def mosaic{i}(images, size=640):
    indices = random.choices(range(len(images)), k=3)
    random.shuffle(indices)
    canvas = np.full((size * 2, size * 2, 3), 114, dtype=np.uint8)
    for j, idx in enumerate(indices):
        im = np.asarray(Image.open(images[idx]).convert("RGB"))
        h, w = im.shape[:2]
        y, x = divmod(j, 2)
        canvas[y * size : y * size + h, x * size : x * size + w] = im[:size, :size]
    return canvas


def xywh2xyxy{i}(x):
    y = np.copy(x)
    y[..., 0] = x[..., 0] - x[..., 2] / 2
    y[..., 1] = x[..., 1] - x[..., 3] / 2
    y[..., 2] = x[..., 0] + x[..., 2] / 2
    y[..., 3] = x[..., 1] + x[..., 3] / 2
    return y


def box_iou{i}(box1, box2, eps=1e-7):
    (a1, a2), (b1, b2) = np.split(box1[:, None], 2, axis=2), np.split(box2, 2, axis=1)
    inter = (np.minimum(a2, b2) - np.maximum(a1, b1)).clip(0).prod(2)
    return inter / ((a2 - a1).prod(2) + (b2 - b1).prod(2) - inter + eps)
'''

SAVE = "torch." + "save"  # kept out of this file's text: envaudit audits its own repository

TRAIN_SCRIPT = '''
"""Train a detector on a custom dataset.

Usage: python {name}.py --data coco128.yaml --weights yolo-s.pt --img 640
"""

import argparse
import os
import random
import time

import numpy as np
import torch
import torch.distributed as dist
from torch.utils.data import DataLoader

from models.common import Conv0
from utils.general import load_yaml0


def parse_opt():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=str, default="data/coco128.yaml")
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args()


def main(opt):
    torch.backends.cudnn.benchmark = True
    data = load_yaml0(opt.data)
    model = Conv0(3, 16)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.937, nesterov=True)
    loader = DataLoader(data["train"], batch_size=opt.batch_size, shuffle=True, num_workers=opt.workers)
    if int(os.getenv("WORLD_SIZE", 1)) > 1:
        dist.init_process_group(backend="nccl")
    t0 = time.time()
    for epoch in range(opt.epochs):
        for imgs, targets in loader:
            loss = model(imgs.float() / 255).mean()
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
        print(epoch, time.time() - t0, np.random.rand())
    {save}(model.state_dict(), "last.pt")
    return random.random()


if __name__ == "__main__":
    main(parse_opt())
'''


def repo_detector(root: Path) -> None:
    for i, part in enumerate(
        ["common", "yolo", "experimental", "heads", "necks", "backbones", "tf", "attention"]
    ):
        write(root, f"models/{part}.py", MODEL_MODULE.format(title=part, i=i))
    write(root, "models/__init__.py", "")
    for i, part in enumerate(
        [
            "general", "dataloaders", "augmentations", "metrics", "plots", "loss", "torch_utils",
            "autoanchor", "callbacks", "downloads", "autobatch", "activations", "triton", "benchmarks",
        ]
    ):  # fmt: skip
        write(root, f"utils/{part}.py", UTIL_MODULE.format(title=part, i=i))
    write(root, "utils/__init__.py", "")
    for sub in ("loggers", "segment", "classify"):
        for i, part in enumerate(["general", "dataloaders", "metrics", "plots"]):
            write(root, f"utils/{sub}/{part}.py", UTIL_MODULE.format(title=f"{sub} {part}", i=i))
        write(root, f"utils/{sub}/__init__.py", "")
    for name in ("train", "val", "detect", "export", "hubconf", "benchmarks"):
        write(root, f"{name}.py", TRAIN_SCRIPT.format(name=name, save=SAVE))
    for task in ("segment", "classify"):
        for name in ("train", "val", "predict"):
            write(root, f"{task}/{name}.py", TRAIN_SCRIPT.format(name=name, save=SAVE))
    for ds in ("coco", "coco128", "VOC", "Objects365", "SKU-110K", "VisDrone", "xView", "GlobalWheat2020"):
        names = "\n".join(f"  {k}: class{k}" for k in range(80))
        write(
            root,
            f"data/{ds}.yaml",
            f"path: ../datasets/{ds}\ntrain: images/train\nval: images/val\nnames:\n{names}\n",
        )
    for h in ("scratch-low", "scratch-med", "scratch-high"):
        write(
            root, f"data/hyps/hyp.{h}.yaml", "lr0: 0.01\nlrf: 0.01\nmomentum: 0.937\nweight_decay: 0.0005\n"
        )
    write(
        root,
        "requirements.txt",
        """
        # Base ----------------------------------------
        matplotlib>=3.3
        numpy>=1.23.5
        opencv-python>=4.1.1
        Pillow>=10.3.0
        psutil
        PyYAML>=5.3.1
        requests>=2.32.2
        scipy>=1.4.1
        thop>=0.1.1
        torch>=1.8.0
        torchvision>=0.9.0
        tqdm>=4.66.3
        # Logging -------------------------------------
        # tensorboard>=2.4.1
        # Plotting ------------------------------------
        pandas>=1.1.4
        seaborn>=0.11.0
        setuptools>=70.0.0
        """,
    )
    write(
        root,
        "utils/docker/Dockerfile",
        """
        FROM pytorch/pytorch:2.0.0-cuda11.7-cudnn8-runtime
        ENV DEBIAN_FRONTEND=noninteractive
        RUN apt-get update && apt-get install -y gcc git zip curl htop libgl1 libglib2.0-0 libpython3-dev
        RUN mkdir -p /usr/src/app
        WORKDIR /usr/src/app
        COPY . /usr/src/app
        RUN pip install --no-cache -r requirements.txt albumentations comet gsutil notebook
        ENV OMP_NUM_THREADS=1
        """,
    )
    write(root, ".dockerignore", ".git\n*.pt\ndatasets/\nruns/\n")
    write(root, ".gitignore", "__pycache__/\n*.py[cod]\nruns/\n*.pt\ndatasets/\nwandb/\n.env\n")
    write(
        root,
        "README.md",
        """
        # Detector

        Real-time object detection in PyTorch.

        ## Install

        ```bash
        git clone https://github.com/example/detector
        cd detector
        pip install -r requirements.txt
        ```

        ## Train

        ```bash
        python train.py --data coco128.yaml --epochs 3 --img 640
        ```

        ## Inference

        ```bash
        python detect.py --weights yolo-s.pt --source data/images
        ```

        Results are logged to `runs/train/exp`. Multi-GPU training uses
        `python -m torch.distributed.run --nproc_per_node 2 train.py --batch 64`.
        """
        + "\n".join(f"\n## Section {k}\n\n" + "Lorem ipsum training detail. " * 30 for k in range(40)),
    )
    write(
        root,
        ".pre-commit-config.yaml",
        """
        repos:
          - repo: https://github.com/pre-commit/pre-commit-hooks
            rev: v4.5.0
            hooks:
              - id: end-of-file-fixer
              - id: trailing-whitespace
          - repo: https://github.com/astral-sh/ruff-pre-commit
            rev: v0.4.4
            hooks:
              - id: ruff
        """,
    )
    write(root, "setup.cfg", "[metadata]\nname = detector\n\n[flake8]\nmax-line-length = 120\n")


LLM_SCRIPT = '''
"""{title}"""

import math
import os
import random

import numpy as np
import torch
from datasets import load_dataset
from torch.utils.data import DataLoader
from transformers import AutoModelForCausalLM, AutoTokenizer, get_cosine_schedule_with_warmup


def set_seed(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def get_batches(tokenizer, split: str, block_size: int):
    ds = load_dataset("roneneldan/TinyStories", split=split)
    ds = ds.map(lambda ex: tokenizer(ex["text"]), batched=True, remove_columns=["text"])
    return DataLoader(ds, batch_size=8, shuffle=True, num_workers=4)


def main() -> None:
    set_seed(int(os.environ.get("SEED", 1337)))
    tokenizer = AutoTokenizer.from_pretrained("gpt2")
    model = AutoModelForCausalLM.from_pretrained("gpt2")
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=0.1)
    sched = get_cosine_schedule_with_warmup(opt, 100, 10_000)
    for step, batch in enumerate(get_batches(tokenizer, "train", 256)):
        loss = model(**batch, labels=batch["input_ids"]).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        if step % 100 == 0:
            print(step, loss.item(), math.exp(loss.item()))


if __name__ == "__main__":
    main()
'''


def repo_llm_uv(root: Path, dists: list[tuple[str, str, list[str]]]) -> None:
    top = ["torch", "transformers", "pandas", "scikit-learn", "numpy", "tqdm"]
    versions = {norm(n): v for n, v, _ in dists}
    deps = [f"{t}>={versions[norm(t)]}" if norm(t) in versions else t for t in top]
    write(
        root,
        "pyproject.toml",
        '[project]\nname = "tiny-llm"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n'
        'description = "Train a small language model"\ndependencies = [\n'
        + "".join(f'    "{d}",\n' for d in deps)
        + ']\n\n[tool.uv]\ndev-dependencies = ["pytest>=8"]\n',
    )
    # a uv.lock in uv's format describing the bench environment (registry sources, no
    # file:// paths); wheel URLs and hashes are derived from the names, as placeholders
    lines = ["version = 1", 'requires-python = ">=3.11"', ""]
    lines += ["[[package]]", 'name = "tiny-llm"', 'version = "0.1.0"', 'source = { editable = "." }']
    lines += (
        ["dependencies = ["]
        + [f'    {{ name = "{norm(t)}" }},' for t in top if norm(t) in versions]
        + ["]", ""]
    )
    import hashlib

    known = set(versions)
    for name, version, reqs in sorted(dists, key=lambda d: norm(d[0])):
        n = norm(name)
        h = hashlib.sha256(f"{n}=={version}".encode()).hexdigest()
        lines += ["[[package]]", f'name = "{n}"', f'version = "{version}"']
        lines += ['source = { registry = "https://pypi.org/simple" }']
        dep_names = sorted({norm(r) for r in reqs if norm(r) in known})
        if dep_names:
            lines += ["dependencies = ["] + [f'    {{ name = "{d}" }},' for d in dep_names] + ["]"]
        lines += [
            "wheels = [",
            f'    {{ url = "https://files.pythonhosted.org/packages/{h[:2]}/{h[2:4]}/{h[4:]}/'
            f'{n.replace("-", "_")}-{version}-py3-none-any.whl", hash = "sha256:{h}" }},',
            "]",
            "",
        ]
    (root / "uv.lock").write_text("\n".join(lines), encoding="utf-8")
    for name in ("train", "sample", "prepare", "eval"):
        write(root, f"{name}.py", LLM_SCRIPT.format(title=f"{name} a tiny GPT"))
    write(root, "model/__init__.py", "")
    write(root, "model/gpt.py", MODEL_MODULE.format(title="gpt", i=0))
    write(root, "configs/small.yaml", "n_layer: 6\nn_head: 6\nn_embd: 384\nblock_size: 256\ndropout: 0.2\n")
    write(root, ".python-version", "3.11\n")
    write(root, ".gitignore", ".venv/\n__pycache__/\ncheckpoints/\nwandb/\n")
    write(
        root,
        "README.md",
        """
        # tiny-llm

        ```bash
        uv sync
        uv run train.py
        uv run sample.py --ckpt checkpoints/last.pt
        ```
        """,
    )


LIT_MODULE = '''
"""{title}"""

from typing import Any, Dict, Optional, Tuple

import hydra
import lightning as L
import rootutils
import torch
from lightning import Callback, LightningDataModule, LightningModule, Trainer
from lightning.pytorch.loggers import Logger
from omegaconf import DictConfig
from torch.utils.data import DataLoader, Dataset, random_split
from torchmetrics import MaxMetric, MeanMetric
from torchmetrics.classification.accuracy import Accuracy


class {cls}Module(LightningModule):
    def __init__(self, net: torch.nn.Module, optimizer: torch.optim.Optimizer, compile: bool) -> None:
        super().__init__()
        self.save_hyperparameters(logger=False)
        self.net = net
        self.criterion = torch.nn.CrossEntropyLoss()
        self.train_acc = Accuracy(task="multiclass", num_classes=10)
        self.val_acc = Accuracy(task="multiclass", num_classes=10)
        self.train_loss = MeanMetric()
        self.val_acc_best = MaxMetric()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def model_step(self, batch: Tuple[torch.Tensor, torch.Tensor]):
        x, y = batch
        logits = self.forward(x)
        loss = self.criterion(logits, y)
        return loss, torch.argmax(logits, dim=1), y

    def training_step(self, batch, batch_idx: int) -> torch.Tensor:
        loss, preds, targets = self.model_step(batch)
        self.train_loss(loss)
        self.train_acc(preds, targets)
        self.log("train/loss", self.train_loss, on_step=False, on_epoch=True, prog_bar=True)
        return loss

    def configure_optimizers(self) -> Dict[str, Any]:
        return {{"optimizer": self.hparams.optimizer(params=self.trainer.model.parameters())}}


class {cls}DataModule(LightningDataModule):
    def __init__(self, data_dir: str = "data/", batch_size: int = 64, num_workers: int = 0) -> None:
        super().__init__()
        self.save_hyperparameters(logger=False)
        self.data_train: Optional[Dataset] = None

    def setup(self, stage: Optional[str] = None) -> None:
        dataset = torch.utils.data.TensorDataset(torch.randn(1000, 784), torch.randint(0, 10, (1000,)))
        self.data_train, self.data_val = random_split(dataset, [900, 100])

    def train_dataloader(self) -> DataLoader[Any]:
        return DataLoader(self.data_train, batch_size=self.hparams.batch_size, shuffle=True)


@hydra.main(version_base="1.3", config_path="../configs", config_name="train.yaml")
def main(cfg: DictConfig) -> Optional[float]:
    rootutils.setup_root(__file__, indicator=".project-root", pythonpath=True)
    if cfg.get("seed"):
        L.seed_everything(cfg.seed, workers=True)
    datamodule: LightningDataModule = hydra.utils.instantiate(cfg.data)
    model: LightningModule = hydra.utils.instantiate(cfg.model)
    callbacks: list[Callback] = []
    logger: list[Logger] = []
    trainer: Trainer = hydra.utils.instantiate(cfg.trainer, callbacks=callbacks, logger=logger)
    trainer.fit(model=model, datamodule=datamodule, ckpt_path=cfg.get("ckpt_path"))
    return trainer.callback_metrics.get("val/acc")
'''


def repo_lightning_hydra(root: Path) -> None:
    for i, part in enumerate(["mnist", "cifar", "imagenet", "text", "audio"]):
        write(root, f"src/models/{part}_module.py", LIT_MODULE.format(title=part, cls=part.capitalize()))
        write(
            root, f"src/data/{part}_datamodule.py", LIT_MODULE.format(title=part, cls=part.capitalize() + "D")
        )
        write(root, f"src/models/components/{part}_net.py", MODEL_MODULE.format(title=part, i=i))
    for part in ("train", "eval"):
        write(root, f"src/{part}.py", LIT_MODULE.format(title=part, cls="Run"))
    for part in ("instantiators", "logging_utils", "pylogger", "rich_utils", "utils"):
        write(root, f"src/utils/{part}.py", UTIL_MODULE.format(title=part, i=0))
    for d in ("src", "src/models", "src/data", "src/utils", "src/models/components", "tests"):
        write(root, f"{d}/__init__.py", "")
    for t in ("test_train", "test_eval", "test_datamodules", "test_configs", "test_sweeps"):
        write(
            root,
            f"tests/{t}.py",
            "import pytest\nimport torch\n\n\n@pytest.mark.slow\ndef test_it(tmp_path):\n"
            "    assert torch.ones(1).sum() == 1\n",
        )
    groups = {
        "callbacks": ["default", "early_stopping", "model_checkpoint", "model_summary", "rich_progress_bar"],
        "data": ["mnist", "cifar", "imagenet"],
        "debug": ["default", "fdr", "limit", "overfit", "profiler"],
        "experiment": ["example", "cifar_resnet", "mnist_mlp"],
        "extras": ["default"],
        "hparams_search": ["mnist_optuna"],
        "hydra": ["default"],
        "local": ["default"],
        "logger": ["aim", "comet", "csv", "many_loggers", "mlflow", "neptune", "tensorboard", "wandb"],
        "model": ["mnist", "cifar"],
        "paths": ["default"],
        "trainer": ["cpu", "ddp", "ddp_sim", "default", "gpu", "mps"],
    }
    for g, names in groups.items():
        for n in names:
            write(root, f"configs/{g}/{n}.yaml", f"# @package _global_\n_target_: src.{g}.{n}\nseed: 12345\n")
    write(
        root,
        "configs/train.yaml",
        "defaults:\n  - _self_\n  - data: mnist\n  - model: mnist\n  - callbacks: default\n"
        "  - logger: null\n  - trainer: default\n  - paths: default\n  - extras: default\n"
        "  - hydra: default\ntask_name: train\ntags: [dev]\ntrain: true\ntest: true\nseed: null\n",
    )
    write(
        root,
        "requirements.txt",
        """
        # --------- pytorch --------- #
        torch>=2.0.0
        torchvision>=0.15.0
        lightning>=2.0.0
        torchmetrics>=0.11.4

        # --------- hydra --------- #
        hydra-core==1.3.2
        hydra-colorlog==1.2.0
        hydra-optuna-sweeper==1.2.0

        # --------- others --------- #
        rootutils       # standardizing the project root setup
        pre-commit      # hooks for applying linters on commit
        rich            # beautiful text formatting in terminal
        pytest          # tests
        """,
    )
    write(
        root,
        "environment.yaml",
        """
        name: myenv
        channels:
          - pytorch
          - conda-forge
          - defaults
        dependencies:
          - python=3.10
          - pytorch=2.*
          - torchvision=0.*
          - lightning=2.*
          - torchmetrics=0.*
          - hydra-core=1.*
          - rich=13.*
          - pre-commit=3.*
          - pytest=7.*
          - pip>=23
          - pip:
              - hydra-optuna-sweeper
              - hydra-colorlog
              - rootutils
        """,
    )
    write(
        root,
        "setup.py",
        "from setuptools import find_packages, setup\n\nsetup(name='src', version='0.0.1', packages=find_packages())\n",
    )
    write(
        root,
        "Makefile",
        'help:\n\t@echo help\n\ntest:\n\tpytest -k "not slow"\n\ntrain:\n\tpython src/train.py\n',
    )
    write(root, ".project-root", "")
    write(root, ".env.example", "MY_VAR=/home/user/my/system/path\n")
    write(root, ".gitignore", "__pycache__/\n.venv\nlogs/\ndata/\n.env\n")
    write(
        root,
        ".pre-commit-config.yaml",
        "default_language_version:\n  python: python3\nrepos:\n  - repo: https://github.com/pre-commit/pre-commit-hooks\n"
        "    rev: v4.4.0\n    hooks:\n      - id: trailing-whitespace\n",
    )
    write(
        root,
        "README.md",
        """
        # Lightning-Hydra template

        ```bash
        conda env create -f environment.yaml -n myenv
        conda activate myenv
        pip install -r requirements.txt
        python src/train.py trainer=gpu
        python src/train.py experiment=example
        ```
        """,
    )


def make_repos(out: Path, venv: Path) -> list[Path]:
    builders = {
        "detector": repo_detector,
        "llm-uv": lambda r: repo_llm_uv(r, installed(venv)),
        "lightning-hydra": repo_lightning_hydra,
    }
    repos = []
    for name, build in builders.items():
        root = out / name
        if not (root / ".git").is_dir():
            if root.exists():
                shutil.rmtree(root)
            root.mkdir(parents=True)
            build(root)
            git_commit(root)
        repos.append(root)
    return repos


def make_big(root: Path, n: int) -> Path:
    """N generated modules (model/util shapes), for a cold determinism scan."""
    if (root / ".done").exists() and len(list(root.glob("pkg*/m*.py"))) == n:
        return root
    if root.exists():
        shutil.rmtree(root)
    for k in range(n):
        tmpl = MODEL_MODULE if k % 2 else UTIL_MODULE
        write(root, f"pkg{k // 100}/m{k}.py", tmpl.format(title=f"module {k}", i=k))
    for d in {f"pkg{k // 100}" for k in range(n)}:
        write(root, f"{d}/__init__.py", "")
    write(root, "requirements.txt", "torch\nnumpy\npyyaml\npillow\n")
    (root / ".done").write_text("")
    return root


# --------------------------------------------------------------------------- timing


def run_once(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, int, int]:
    """(wall s, cpu s of the process tree, peak RSS KiB of the largest process, rc)."""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=cwd)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    p.returncode = os.waitstatus_to_exitcode(status)
    err = p.stderr.read() if p.stderr else b""
    if p.returncode not in (0, 1) or b"Traceback" in err:
        sys.stderr.write(err.decode(errors="replace"))
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss, p.returncode


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--venv", default=os.environ.get("ENVAUDIT_BENCH_VENV", str(REPO / "bench" / "out" / "venv170"))
    )
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument(
        "--uv", default=shutil.which("uv", path=os.path.dirname(sys.executable)) or shutil.which("uv")
    )
    ap.add_argument("--big", type=int, default=0, help="also time a cold scan of N generated modules")
    ap.add_argument("--repos", default=str(REPO / "bench" / "out" / "repos"))
    ap.add_argument("--src", default=str(REPO), help="envaudit source tree to time (PYTHONPATH)")
    ap.add_argument(
        "--before",
        metavar="SRC",
        help="another envaudit source tree (e.g. `git archive main`) timed in the same alternation",
    )
    args = ap.parse_args()
    if not args.uv:
        print("uv not found: pip install uv (it is in the test extra)", file=sys.stderr)
        return 2
    venv = Path(args.venv).resolve()
    if not (venv / "pyvenv.cfg").exists():
        build_venv(venv)
    repos = make_repos(Path(args.repos).resolve(), venv)
    uv_version = subprocess.run([args.uv, "--version"], capture_output=True, text=True).stdout.strip()

    cache = Path(tempfile.mkdtemp(prefix="envaudit-bench-cache-"))
    env = {**os.environ, "PYTHONPATH": str(Path(args.src).resolve()), "ENVAUDIT_CACHE_DIR": str(cache)}
    env.pop("VIRTUAL_ENV", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed package has its .pyc files
    # what the `envaudit` console script runs (no runpy, unlike `python -m envaudit`)
    envaudit = [sys.executable, "-c", "import sys; from envaudit.cli import main; sys.exit(main())"]
    uvcheck = [args.uv, "pip", "check", "--python", str(venv / "bin" / "python")]

    print(f"environment : {venv} ({count_dists(venv)} distributions)")
    print(f"peer        : {' '.join(uvcheck)}  ({uv_version})")
    print(
        f"envaudit    : envaudit (from {env['PYTHONPATH']}) check REPO --python {venv} --exit-zero  (every rule)"
    )
    load = os.getloadavg()[0]
    print(
        f"machine     : {os.cpu_count()} CPUs, load average {load:.1f}; {args.runs} alternating runs each\n"
    )

    peaks: list[int] = []
    cpu_ratios: list[float] = []
    before_env = None
    if args.before:
        before_env = {**env, "PYTHONPATH": str(Path(args.before).resolve())}
        before_env["ENVAUDIT_CACHE_DIR"] = str(cache / "before")
        print(f"before      : envaudit from {before_env['PYTHONPATH']}, in the same alternation\n")
    ratios = []
    print(
        f"  {'repository':<18} {'files':>6} {'envaudit':>10} {'cpu':>8} {'uv pip check':>13} {'ratio':>7} {'peak RSS':>9}"
    )
    for root in repos:
        cmd = [*envaudit, "check", str(root), "--python", str(venv), "--exit-zero"]
        run_once(cmd, env, root)  # fill the source cache and the page cache
        run_once(uvcheck, env, root)
        if before_env is not None:
            run_once(cmd, before_env, root)
        ea, ea_cpu, uvs, uv_cpu, old, old_cpu = [], [], [], [], [], []
        for _ in range(args.runs):
            w, c, rss, _rc = run_once(cmd, env, root)
            ea.append(w)
            ea_cpu.append(c)
            peaks.append(rss)
            uw, uc, _rss, _rc = run_once(uvcheck, env, root)
            uvs.append(uw)
            uv_cpu.append(uc)
            if before_env is not None:
                w, c, _rss, _rc = run_once(cmd, before_env, root)
                old.append(w)
                old_cpu.append(c)
        e, u = statistics.median(ea), statistics.median(uvs)
        ratios.append(e / u)
        cpu_ratios.append(statistics.median(ea_cpu) / max(statistics.median(uv_cpu), 1e-3))
        files = sum(1 for p in root.rglob("*") if p.is_file() and ".git" not in p.parts)
        print(
            f"  {root.name:<18} {files:>6} {e * 1000:>8.0f}ms {statistics.median(ea_cpu) * 1000:>6.0f}ms "
            f"{u * 1000:>11.0f}ms {e / u:>6.1f}x {max(peaks[-args.runs :]) / 1024:>7.0f}MB"
        )
        if old:
            o = statistics.median(old)
            print(
                f"  {'  (--before)':<18} {'':>6} {o * 1000:>8.0f}ms {statistics.median(old_cpu) * 1000:>6.0f}ms "
                f"{'':>13} {o / u:>6.1f}x  -> now {o / e:.1f}x faster"
            )
    ratio = statistics.median(ratios)
    print(f"  (in CPU time, envaudit / uv pip check: median {statistics.median(cpu_ratios):.1f}x)")
    ok_ratio = ratio <= 5
    print(
        f"\n  median ratio over the repositories: {ratio:.1f}x  (target <= 5x)  {'PASS' if ok_ratio else 'FAIL'}"
    )

    # cold: an empty cache, as after a clone or an envaudit upgrade
    cold_env = {**env, "ENVAUDIT_NO_CACHE": "1"}
    for root in repos[:1]:
        cmd = [*envaudit, "check", str(root), "--python", str(venv), "--exit-zero"]
        runs = [run_once(cmd, cold_env, root) for _ in range(max(3, args.runs // 2))]
        w = statistics.median(r[0] for r in runs)
        c = statistics.median(r[1] for r in runs)
        peaks += [r[2] for r in runs]
        print(f"  cold (no cache) {root.name}: {w * 1000:.0f} ms wall, {c * 1000:.0f} ms cpu")
    if args.big:
        big = make_big(Path(args.repos).resolve().parent / f"big{args.big}", args.big)
        cmd = [*envaudit, "check", str(big), "--select", "DET", "--exit-zero"]
        runs = [run_once(cmd, cold_env, big) for _ in range(3)]
        w = statistics.median(r[0] for r in runs)
        c = statistics.median(r[1] for r in runs)
        peaks += [r[2] for r in runs]
        print(
            f"  cold determinism scan, {args.big} modules: {w * 1000:.0f} ms wall, {c * 1000:.0f} ms cpu "
            f"(cpu/wall {c / w:.1f} on {os.cpu_count()} CPUs)"
        )

    clicks, versions = [], []
    for _ in range(15):  # alternating, so both see the same load
        clicks.append(run_once([sys.executable, "-c", "import click"], env, REPO)[0])
        versions.append(run_once([*envaudit, "--version"], env, REPO)[0])
    click_t, ver_t = statistics.median(clicks), statistics.median(versions)
    ok_ver = ver_t <= 1.3 * click_t
    print(
        f"  envaudit --version {ver_t * 1000:.0f} ms vs python -c 'import click' {click_t * 1000:.0f} ms: "
        f"{ver_t / click_t:.2f}x  (target <= 1.3x)  {'PASS' if ok_ver else 'FAIL'}"
    )
    peak = max(peaks) / 1024
    ok_rss = peak < 100
    print(
        f"  peak RSS over every envaudit run: {peak:.0f} MB  (target < 100 MB)  {'PASS' if ok_rss else 'FAIL'}"
    )
    shutil.rmtree(cache, ignore_errors=True)
    return 0 if ok_ratio and ok_ver and ok_rss else 1


if __name__ == "__main__":
    sys.exit(main())
