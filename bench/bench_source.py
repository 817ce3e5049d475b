"""Speed of the source scanner (the determinism lint's parsing and call graph) against
`ruff check` on the same generated tree of realistic ML project files.

    PYTHONPATH=. python bench/bench_source.py [--files 3000] [--repeat 3] [--keep DIR]

The tree mixes training scripts (with `__main__` blocks and top-level code),
model, dataset and utility modules in packages, and seeding helpers; every file
is 60-200 lines. Both tools read every file from disk; ruff runs with
`--no-cache --isolated` (its default rules) so neither profits from a cache.
Reports the median of the runs in files per second, and the ratio.
"""

from __future__ import annotations

import argparse
import ast
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from envaudit.inventory import Inventory

HEADER = '''"""{doc}"""

from __future__ import annotations

import argparse
import logging
import os
import random

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

from {pkg}.utils_{u} import seed_everything, AverageMeter
from {pkg}.models_{m} import Net{m}

logger = logging.getLogger(__name__)
'''

MODEL = '''

class Block{i}(nn.Module):
    """A residual block."""

    def __init__(self, channels: int = {c}) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)
        self.drop = nn.Dropout(p=0.{c})

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.drop(self.conv2(out))
        if self.training and x.shape[0] > {c}:
            out = out + 0.01 * torch.randn_like(out)
        return F.relu(out + x)
'''

DATASET = """

class Noisy{i}(Dataset):
    def __init__(self, n: int = {c}, augment: bool = True) -> None:
        self.n = n
        self.augment = augment
        self.items = [np.zeros(8, dtype=np.float32) + k for k in range(n)]

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, idx: int):
        x = self.items[idx]
        if self.augment:
            x = x + np.random.normal(0, 0.1, size=x.shape).astype(np.float32)
            if random.random() < 0.5:
                x = x[::-1].copy()
        return torch.from_numpy(x), idx % 2
"""

FUNC = '''

def step_{i}(model: nn.Module, batch, optimizer, scaler=None, clip: float = {c}.0):
    """One optimisation step."""
    x, y = batch
    logits = model(x)
    loss = F.cross_entropy(logits, y)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    stats = {{"loss": float(loss), "acc": float((logits.argmax(1) == y).float().mean())}}
    for key, value in sorted(stats.items()):
        logger.debug("%s=%.4f", key, value)
    return stats
'''

MAIN = """

def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default={c})
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    seed_everything(args.seed)
    torch.backends.cudnn.benchmark = {bench}
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = Net{m}().to(device)
    loader = DataLoader(Noisy0(), batch_size=32, shuffle=True, num_workers=args.workers)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(args.epochs):
        for batch in loader:
            step_0(model, batch, optimizer)
        logger.info("epoch %d done", epoch)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
"""

UTILS = '''"""Utilities."""

import random

import numpy as np
import torch


def seed_everything(seed: int = 0) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


class AverageMeter:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.sum = 0.0
        self.count = 0

    def update(self, value: float, n: int = 1) -> None:
        self.sum += value * n
        self.count += n

    @property
    def avg(self) -> float:
        return self.sum / max(self.count, 1)
'''


def generate(root: Path, n: int) -> int:
    rng = random.Random(1234)
    pkgs = max(1, n // 200)
    written = 0
    for p in range(pkgs):
        pkg = root / f"proj{p}"
        pkg.mkdir(parents=True)
        (pkg / "__init__.py").write_text('"""Package."""\n')
        for u in range(3):
            (pkg / f"utils_{u}.py").write_text(UTILS)
        for m in range(3):
            body = "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"
            body += "".join(MODEL.format(i=i, c=rng.randint(8, 64)) for i in range(3))
            body += f"\n\nclass Net{m}(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
            body += "        self.blocks = nn.Sequential(Block0(), Block1(), Block2())\n"
            body += "        self.head = nn.Linear(16, 2)\n\n    def forward(self, x):\n"
            body += "        return self.head(self.blocks(x).mean((2, 3)))\n"
            (pkg / f"models_{m}.py").write_text(body)
        written += 7
    i = 0
    while written < n:
        p, u, m = i % pkgs, rng.randint(0, 2), rng.randint(0, 2)
        text = HEADER.format(doc=f"Module {i}.", pkg=f"proj{p}", u=u, m=m)
        text += "".join(DATASET.format(i=k, c=rng.randint(10, 99)) for k in range(rng.randint(1, 2)))
        text += "".join(FUNC.format(i=k, c=rng.randint(1, 9)) for k in range(rng.randint(1, 4)))
        if i % 3 == 0:
            text += MAIN.format(c=rng.randint(1, 90), m=m, bench=rng.choice(["True", "False"]))
        (root / f"proj{p}" / f"mod_{i}.py").write_text(text)
        i += 1
        written += 1
    return written


def time_envaudit(root: Path, env: dict[str, str]) -> tuple[float, float, int, int]:
    """(wall s, CPU s of it and its worker processes, modules, entry points) of one scan;
    `env` says whether the per-file cache is used (ENVAUDIT_NO_CACHE) and where it is."""
    kids0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    c0, t0 = time.process_time(), time.perf_counter()
    inv = Inventory(root, environ=env)
    facts = inv.get("source")
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)  # the parsing worker processes
    cpu += (kids.ru_utime - kids0.ru_utime) + (kids.ru_stime - kids0.ru_stime)
    return wall, cpu, len(facts.modules), len(facts.entries)


def time_parse_only(root: Path) -> float:
    """CPU s to read and `ast.parse` every file, nothing else: the floor of any ast-based lint."""
    c0 = time.process_time()
    for p in root.rglob("*.py"):
        ast.parse(p.read_text(encoding="utf-8"))
    return time.process_time() - c0


def time_ruff(root: Path, cache: Path | None) -> tuple[float, float] | None:
    """(wall s, CPU s of all its threads) of one `ruff check`, without cache or with `cache`."""
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    if not os.path.exists(ruff):
        return None
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(
        [
            ruff,
            "check",
            *(["--no-cache"] if cache is None else ["--cache-dir", str(cache)]),
            "--isolated",
            "--exit-zero",
            "--quiet",
            str(root),
        ],
        check=False,
        stdout=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=3000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep", type=Path)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="envaudit-bench-"))
    root = args.keep or tmp / "tree"
    try:
        if not root.exists():
            n = generate(root, args.files)
        else:
            n = sum(1 for _ in root.rglob("*.py"))
        lines = sum(p.read_text().count("\n") for p in root.rglob("*.py"))
        print(f"tree: {n} Python files, {lines} lines ({lines / n:.0f} per file) in {root}")
        cache = tmp / "cache"
        cold_env = {**os.environ, "ENVAUDIT_NO_CACHE": "1"}
        warm_env = {**os.environ, "ENVAUDIT_CACHE_DIR": str(cache / "envaudit")}
        time_envaudit(root, warm_env)  # prime both caches once
        time_ruff(root, cache / "ruff")
        runs: dict[str, list[tuple[float, float]]] = {
            k: [] for k in ("cold", "warm", "ruff-cold", "ruff-warm")
        }
        mods = entries = 0
        for _ in range(args.repeat):
            wall, cpu, mods, entries = time_envaudit(root, cold_env)
            runs["cold"].append((wall, cpu))
            runs["warm"].append(time_envaudit(root, warm_env)[:2])
            for key, rcache in (("ruff-cold", None), ("ruff-warm", cache / "ruff")):
                r = time_ruff(root, rcache)
                if r is not None:
                    runs[key].append(r)
        load = os.getloadavg()[0]
        print(f"load average {load:.1f} on {os.cpu_count()} CPUs (other work slows both tools alike)")
        print(f"{mods} modules, {entries} entry points; median of {args.repeat}")

        def row(label: str, key: str) -> float | None:
            if not runs[key]:
                print(f"{label:<28}: not found on PATH or beside this Python")
                return None
            w = statistics.median(w for w, _ in runs[key])
            c = statistics.median(c for _, c in runs[key])
            print(
                f"{label:<28}: {w:7.3f} s wall {n / w:8.0f} files/s | {c:7.3f} s CPU {n / c:8.0f} files/CPU-s"
            )
            return w

        ew, ewarm = row("envaudit, cold (no cache)", "cold"), row("envaudit, warm (cache)", "warm")
        rw, rwarm = row("ruff check --no-cache", "ruff-cold"), row("ruff check, warm cache", "ruff-warm")
        floor = time_parse_only(root)
        print(f"{'ast.parse alone':<28}: {floor:7.3f} s CPU {n / floor:8.0f} files/CPU-s  (one process)")
        if rw and ew:
            print(
                f"ratio envaudit/ruff         : cold {ew / rw:.1f}x, warm {ewarm / rwarm:.1f}x the wall time"
            )
        print(f"target >= 2000 files/s      : cold {n / ew:.0f}, warm {n / ewarm:.0f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
