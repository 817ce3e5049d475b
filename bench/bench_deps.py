#!/usr/bin/env python3
"""Dependency audit speed: envaudit vs pip, side by side, on one big virtualenv.

    python bench/bench_deps.py [--venv PATH] [--runs N]

Builds (or reuses) a virtualenv of about 170 distributions — torch (CPU),
transformers, pandas, scikit-learn, jupyter and what they pull in — then times,
in the same run, median of N:

  * `pip freeze` in that environment (the peer: reads every installed dist);
  * `pip check` (what DEP009 computes without running pip);
  * `envaudit check --select PY,DEP fixtures/mnist-example --python VENV`;
  * `envaudit --version` (start-up).

The issue's targets: envaudit check < 0.5 x pip freeze, --version < 100 ms.
It also compares DEP009's findings with `pip check`'s output on that venv.
The venv path may also come from $ENVAUDIT_BENCH_VENV; default bench/out/venv170.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ["torch==2.13.0", "transformers", "pandas", "scikit-learn", "jupyter"]


def count_dists(venv: Path) -> int:
    return sum(
        1
        for sp in venv.glob("lib/python*/site-packages")
        for p in sp.iterdir()
        if p.name.endswith((".dist-info", ".egg-info"))
    )


def build(venv: Path) -> None:
    print(f"building {venv} (pip install {' '.join(PACKAGES)}) ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = str(venv / "bin" / "python")
    # torch's CPU wheel comes from the local wheelhouse when pip is configured with one
    subprocess.run([py, "-m", "pip", "install", "-q", *PACKAGES], check=True)


CPU: dict[str, float] = {}


def timed(
    cmd: list[str], runs: int, env: dict[str, str] | None = None
) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Median wall time; the median CPU time (user+sys of the child) goes to CPU[cmd]."""
    import resource

    times, cpu = [], []
    last = None
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        last = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO)
        times.append(time.perf_counter() - t)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    assert last is not None
    CPU[" ".join(cmd)] = statistics.median(cpu)
    return statistics.median(times), last


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--venv", default=os.environ.get("ENVAUDIT_BENCH_VENV", str(REPO / "bench" / "out" / "venv170"))
    )
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    venv = Path(args.venv).resolve()
    if not (venv / "pyvenv.cfg").exists():
        venv.parent.mkdir(parents=True, exist_ok=True)
        build(venv)
    n = count_dists(venv)
    py = str(venv / "bin" / "python")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("VIRTUAL_ENV", None)
    envaudit = [sys.executable, "-m", "envaudit"]
    check_cmd = [
        *envaudit,
        "check",
        "--select",
        "PY,DEP",
        "fixtures/mnist-example",
        "--python",
        str(venv),
        "--exit-zero",
    ]

    # warm the page cache once for everyone
    subprocess.run([py, "-m", "pip", "freeze"], capture_output=True)
    subprocess.run(check_cmd, capture_output=True, env=env, cwd=REPO)

    cmds = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "python -c 'import click'": [sys.executable, "-c", "import click"],
        "pip freeze": [py, "-m", "pip", "freeze"],
        "pip check": [py, "-m", "pip", "check"],
        "envaudit check --select PY,DEP": check_cmd,
        "envaudit --version": [*envaudit, "--version"],
    }
    py_t, _ = timed(cmds["python -c pass"], args.runs)
    click_t, _ = timed(cmds["python -c 'import click'"], args.runs)
    freeze_t, freeze = timed(cmds["pip freeze"], args.runs)
    pipcheck_t, pipcheck = timed(cmds["pip check"], max(3, args.runs // 2))
    check_t, check = timed(check_cmd, args.runs, env)
    version_t, _ = timed(cmds["envaudit --version"], args.runs, env)

    print(f"\nvenv: {venv} ({n} distributions; pip freeze lists {len(freeze.stdout.splitlines())} lines)")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"median of {args.runs} runs, wall clock, this machine ({os.cpu_count()} CPUs, load average {load:.1f})\n"
    )
    rows = [
        ("python -c pass", py_t),
        ("python -c 'import click'", click_t),
        ("pip freeze", freeze_t),
        ("pip check", pipcheck_t),
        ("envaudit check --select PY,DEP", check_t),
        ("envaudit --version", version_t),
    ]
    print(f"  {'':<34} {'wall':>8}    {'cpu':>8}")
    for name, t in rows:
        cpu = CPU[" ".join(cmds[name])]
        print(f"  {name:<34} {t * 1000:8.1f} ms {cpu * 1000:8.1f} ms")
    ratio = check_t / freeze_t
    print(
        f"\n  envaudit check / pip freeze  = {ratio:.2f}x   (target < 0.5)  {'PASS' if ratio < 0.5 else 'FAIL'}"
    )
    cpu_ratio = CPU[" ".join(check_cmd)] / CPU[" ".join(cmds["pip freeze"])]
    print(f"  (in CPU time: {cpu_ratio:.2f}x)")
    print(f"  envaudit check / pip check   = {check_t / pipcheck_t:.2f}x")
    print(
        f"  envaudit --version           = {version_t * 1000:.0f} ms (target < 100 ms)  {'PASS' if version_t < 0.1 else 'FAIL'}"
    )

    # DEP009 is pip check computed from metadata: compare what each reports
    js = subprocess.run(
        [*check_cmd[:-1], "--select", "DEP009", "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
    )
    ours = sorted(f["message"] for f in json.loads(js.stdout)["findings"])
    theirs = [
        line for line in pipcheck.stdout.splitlines() if line.strip() and "No broken requirements" not in line
    ]
    print(f"\n  DEP009 findings: {len(ours)}; pip check lines: {len(theirs)}")
    for line in ours[:10]:
        print(f"    envaudit: {line}")
    for line in theirs[:10]:
        print(f"    pip     : {line}")
    if check.returncode not in (0, 1):
        print(check.stderr, file=sys.stderr)
        return 1
    return 0 if ratio < 0.5 and version_t < 0.1 else 1


if __name__ == "__main__":
    sys.exit(main())
