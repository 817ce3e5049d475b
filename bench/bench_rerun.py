#!/usr/bin/env python3
"""What `envaudit rerun` costs on top of the runs themselves.

    python bench/bench_rerun.py [--reps N] [--runs R]

For each workload, median of N repetitions:

  * baseline: the command run R times, one after another, each in its own prepared
    copy of the project (what a user doing it by hand pays for the runs);
  * `envaudit rerun PROJECT --runs R -- COMMAND` (start-up, fresh copies, output
    discovery, comparison, the static DET check; reproducible workloads, so no knob runs).

Overhead = rerun - baseline. The issue's target: overhead < 5% of the baseline + 0.3 s.
On a busy machine two separately timed batches differ by more than the overhead, so
the bench also measures it inside one invocation: rerun's wall time minus the runs'
own time (as rerun clocks them), plus the CLI's start-up.
Workloads: the bundled torch training (fixtures/tiny-train) when torch is installed,
and a pure-Python job that writes a 4 MiB JSON and a 2 MiB CSV.
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

REPO = Path(__file__).resolve().parent.parent

JOB = """
import json, math
rows = [[i, math.sin(i) * 1e3, math.cos(i)] for i in range(60000)]
with open("out.json", "w") as fh:
    json.dump({"rows": rows[:90000]}, fh)
with open("log.csv", "w") as fh:
    fh.write("step,a,b\\n" + "".join(f"{i},{a:.6f},{b:.6f}\\n" for i, a, b in rows[:40000]))
print("loss", sum(r[2] for r in rows) / len(rows))
"""


def baseline(project: Path, command: list[str], runs: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        copies = []
        for i in range(runs):
            dest = Path(tmp) / f"c{i}" / project.name
            shutil.copytree(project, dest)
            copies.append(dest)
        start = time.perf_counter()
        for c in copies:
            subprocess.run(command, cwd=c, check=True, stdout=subprocess.DEVNULL)
        return time.perf_counter() - start


def with_rerun(project: Path, command: list[str], runs: int) -> float:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p),
    }
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "envaudit", "rerun", str(project), "-q", "--runs", str(runs), "--", *command],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    took = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"rerun did not say reproducible (exit {proc.returncode}):\n{proc.stdout}")
    return took


def internal(project: Path, command: list[str], runs: int) -> tuple[float, float]:
    """(rerun's wall time in-process, the runs' own time as rerun measured it): their
    difference is what rerun adds, measured within one invocation, free of the noise
    between two separately timed batches on a busy machine."""
    sys.path.insert(0, str(REPO))
    from envaudit.prove.rerun import rerun

    start = time.perf_counter()
    result = rerun(project.resolve(), command, runs=runs)
    wall = time.perf_counter() - start
    return wall, sum(r.seconds for r in result.runs)


def startup() -> float:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    times = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "envaudit", "rerun", "--help"],
            env=env,
            stdout=subprocess.DEVNULL,
            check=True,
        )
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--runs", type=int, default=2)
    args = ap.parse_args()
    workloads: list[tuple[str, Path, list[str]]] = []
    tmp = Path(tempfile.mkdtemp())
    job = tmp / "job"
    job.mkdir()
    (job / "job.py").write_text(JOB)
    workloads.append(("pure-Python job, 6 MiB of outputs", job, [sys.executable, "job.py"]))
    try:
        import torch  # noqa: F401

        workloads.append(
            (
                "tiny torch training (fixtures/tiny-train)",
                REPO / "fixtures" / "tiny-train",
                [sys.executable, "train.py"],
            )
        )
    except ImportError:
        print("torch not installed: the torch workload is skipped (pip install torch==2.13.0)")
    cli = startup()
    print(f"envaudit CLI start-up (rerun --help): {cli:.3f} s; load average {os.getloadavg()[0]:.1f}")
    for name, project, command in workloads:
        with_rerun(project, command, args.runs)  # warm caches (source cache, page cache)
        base, rer = [], []
        for _ in range(args.reps):
            base.append(baseline(project, command, args.runs))
            rer.append(with_rerun(project, command, args.runs))
        b, r = statistics.median(base), statistics.median(rer)
        over = r - b
        budget = 0.05 * b + 0.3
        print(
            f"{name}: {args.runs} runs {b:.2f} s by hand, {r:.2f} s with envaudit rerun (medians of {args.reps})"
        )
        print(
            f"  A/B overhead {over:+.2f} s = {100 * over / b:.1f}% of the runs; budget 5% + 0.3 s = {budget:.2f} s: "
            + ("OK" if over <= budget else "OVER")
        )
        inner = [internal(project, command, args.runs) for _ in range(args.reps)]
        added = statistics.median(w - s for w, s in inner) + cli
        runs_s = statistics.median(s for _, s in inner)
        budget = 0.05 * runs_s + 0.3
        print(
            f"  measured inside one rerun: the runs {runs_s:.2f} s, rerun adds {added:.3f} s "
            f"(copies, comparison, DET check, + {cli:.3f} s CLI start-up) = {100 * added / runs_s:.1f}%; "
            f"budget {budget:.2f} s: " + ("OK" if added <= budget else "OVER")
        )
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
