"""Benchmark: the git scan against `git status`, and DVC verification against `md5sum`.

    PYTHONPATH=. python bench/bench_git.py [--files 50000] [--data-mb 512] [--runs 11]

1. A repository of N tracked files (small, in nested directories) is generated in a
   temporary directory and committed. Timed, each the median of --runs warm runs
   (interleaved):
   `git status` (what a user types), `git status --porcelain=v2 --branch -z -uall`
   (what the scanner asks), and envaudit's whole git scan (`Inventory(root).get("git")`:
   every git process it starts, parsing, stats) in-process.
   Target: scan <= 2x `git status`.
2. A DVC-tracked directory of --data-mb MiB (8 files of random bytes, recorded in a
   DVC 3 `data.dvc`) is verified by the data scanner (`Inventory(root).get("data")`:
   read data.dvc, hash every file, build the .dir listing), compared with `md5sum` on the same files
   (one process, the way people verify by hand) and `md5sum` two at a time
   (`xargs -P2`). Page cache warm for all: this measures hashing, not the disk.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from envaudit.inventory import Inventory
from envaudit.scanners.data import dir_hash

ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "b",
    "GIT_AUTHOR_EMAIL": "b@example.com",
    "GIT_COMMITTER_NAME": "b",
    "GIT_COMMITTER_EMAIL": "b@example.com",
}


def median_time(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def make_repo(root: Path, n: int) -> None:
    root.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True, env=ENV)
    subprocess.run(
        ["git", "-C", str(root), "config", "gc.auto", "0"], check=True, env=ENV
    )  # no background gc
    per_dir = 100
    for i in range(n):
        d = root / f"pkg{i // (per_dir * 50):03d}" / f"mod{(i // per_dir) % 50:02d}"
        if i % per_dir == 0:
            d.mkdir(parents=True, exist_ok=True)
        (d / f"f{i:05d}.py").write_text(f"X = {i}\n")
    (root / ".gitignore").write_text("__pycache__/\n.env\n.venv/\n")
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True, env=ENV)
    subprocess.run(["git", "-C", str(root), "commit", "-q", "-m", "bench"], check=True, env=ENV)
    subprocess.run(["git", "-C", str(root), "status", "-s"], check=True, env=ENV, capture_output=True)


def bench_git(tmp: Path, n: int, runs: int) -> None:
    root = tmp / "repo"
    t0 = time.perf_counter()
    make_repo(root, n)
    count = len(
        subprocess.run(
            ["git", "-C", str(root), "ls-files"], capture_output=True, check=True
        ).stdout.splitlines()
    )
    print(f"repository: {count} tracked files (generated in {time.perf_counter() - t0:.1f} s)")

    def status() -> None:
        subprocess.run(["git", "status"], cwd=root, capture_output=True, check=True)

    def status_v2() -> None:
        subprocess.run(
            ["git", "status", "--porcelain=v2", "--branch", "-z", "--untracked-files=all"],
            cwd=root,
            capture_output=True,
            check=True,
        )

    def scan() -> None:
        facts = Inventory(root).get("git")
        assert facts.is_repo and len(facts.tracked) == count

    scan()  # warm caches, imports
    # Interleaved, so that load from elsewhere on a shared machine hits all three alike.
    times: dict[str, list[float]] = {"status": [], "v2": [], "scan": []}
    for _ in range(runs):
        for name, fn in (("status", status), ("v2", status_v2), ("scan", scan)):
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    t_status, t_v2, t_scan = (statistics.median(times[k]) for k in ("status", "v2", "scan"))
    ratios = sorted(sc / st for sc, st in zip(times["scan"], times["status"], strict=True))
    print(f"git status                                 {t_status * 1000:8.1f} ms")
    print(f"git status --porcelain=v2 --branch -z -uall {t_v2 * 1000:7.1f} ms")
    print(f"envaudit git scan (in-process)             {t_scan * 1000:8.1f} ms")
    print(
        f"ratio scan / git status: {t_scan / t_status:.2f}x of medians (target <= 2x); "
        f"per-run ratios min {ratios[0]:.2f}x median {statistics.median(ratios):.2f}x"
    )


def bench_dvc(tmp: Path, mib: int, runs: int) -> None:
    tmp = tmp / "dvcproject"
    tmp.mkdir()
    data = tmp / "data"
    data.mkdir()
    nfiles = 8
    per = mib * 1024 * 1024 // nfiles
    block = os.urandom(1024 * 1024)
    for i in range(nfiles):
        with open(data / f"part{i}.bin", "wb") as fh:
            for _ in range(per // len(block)):
                fh.write(block[:-1] + bytes([i]))  # distinct files
    files = sorted(str(p) for p in data.iterdir())
    total = sum(os.path.getsize(f) for f in files) / 1e6
    # a DVC 3 .dvc file for the directory, verified the way `envaudit check` does it
    (tmp / "data.dvc").write_text(f"outs:\n- md5: {dir_hash(data)}\n  hash: md5\n  path: data\n")

    def ours() -> None:
        facts = Inventory(tmp).get("data")
        assert [o.status for o in facts.outs] == ["ok"], facts.outs

    def md5sum() -> None:
        subprocess.run(["md5sum", *files], capture_output=True, check=True)

    def md5sum_p2() -> None:
        subprocess.run(
            ["xargs", "-0", "-n", "1", "-P", "2", "md5sum"],
            input="\0".join(files).encode(),
            capture_output=True,
            check=True,
        )

    t_ours = median_time(ours, runs)
    t_md5 = median_time(md5sum, runs)
    t_md5p = median_time(md5sum_p2, runs)
    print(f"data: {nfiles} files, {total:.0f} MB, page cache warm, {os.cpu_count()} CPUs")
    print(f"envaudit DVC verification    {t_ours:6.3f} s  {total / t_ours:7.0f} MB/s")
    print(f"md5sum (one process)            {t_md5:6.3f} s  {total / t_md5:7.0f} MB/s")
    print(f"md5sum (xargs -P2)              {t_md5p:6.3f} s  {total / t_md5p:7.0f} MB/s")
    print(
        f"ratio envaudit / md5sum throughput: {t_md5 / t_ours:.2f}x (one process), {t_md5p / t_ours:.2f}x (-P2)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=50_000)
    ap.add_argument("--data-mb", type=int, default=512)
    ap.add_argument("--runs", type=int, default=11)
    args = ap.parse_args()
    if shutil.which("git") is None or shutil.which("md5sum") is None:
        sys.exit("needs git and md5sum on PATH")
    with tempfile.TemporaryDirectory(prefix="envaudit-bench-", ignore_cleanup_errors=True) as tmp:
        bench_git(Path(tmp), args.files, args.runs)
        print()
        bench_dvc(Path(tmp), args.data_mb, args.runs)


if __name__ == "__main__":
    main()
