"""How much the GPU scan adds to a check, in fresh processes (target: < 50 ms without a driver).

Each run is a new interpreter that has already imported the core and scanned the
`python` domain (shared with other rules); what is timed is what the GPU rules
add: importing the GPU scanner and running it (NVML probe, framework files,
nvidia-* wheels, nvcc, variables). Wall time and CPU time (this process plus
children, i.e. nvcc) are both printed: on a shared machine the wall time mostly
measures waiting for a core, the CPU time measures the work.

    PYTHONPATH=. /work/venv/bin/python bench/gpu_scan_time.py [--runs 20] [--python PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = r"""
import json, os, resource, sys, time
def cpu_now():
    a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime
from envaudit.inventory import Inventory
env = dict(os.environ)
if sys.argv[3] == "no-toolkit":
    env["PATH"] = "/usr/bin:/bin"
inv = Inventory(sys.argv[1], python=sys.argv[2] or None, environ=env)
inv.get("python")
c0, t0 = cpu_now(), time.perf_counter()
import envaudit.scanners.gpu as g
if sys.argv[3] == "no-toolkit":
    g.DEFAULT_CUDA_HOMES = ()
t1 = time.perf_counter()
facts = inv.get("gpu")
t2, c2 = time.perf_counter(), cpu_now()
cpu = c2 - c0
print(json.dumps({"import_ms": (t1 - t0) * 1e3, "scan_ms": (t2 - t1) * 1e3, "cpu_ms": cpu * 1e3,
                  "nvml": facts.nvml.available, "reason": facts.nvml.reason,
                  "nvcc": facts.toolkit.nvcc_version, "frameworks": len(facts.frameworks),
                  "pynvml_imported": "pynvml" in sys.modules}))
"""


def run(case: str, env: dict[str, str], proj: str, python: str, runs: int) -> None:
    samples = []
    for i in range(runs + 1):
        out = subprocess.run(
            [sys.executable, "-c", CHILD, proj, python, case],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        if i:  # the first run warms the bytecode and page caches
            samples.append(json.loads(out.stdout))
    wall = [s["import_ms"] + s["scan_ms"] for s in samples]
    cpu = [s["cpu_ms"] for s in samples]
    last = samples[-1]
    print(
        f"  [{case}] nvcc: {last['nvcc']}; NVML available: {last['nvml']}; pynvml imported: {last['pynvml_imported']}"
    )
    print(
        f"    wall: median {statistics.median(wall):.1f} ms (min {min(wall):.1f}, max {max(wall):.1f}); "
        f"import {statistics.median(s['import_ms'] for s in samples):.1f} + scan "
        f"{statistics.median(s['scan_ms'] for s in samples):.1f}"
    )
    verdict = "yes" if statistics.median(cpu) < 50 else "NO"
    print(f"    cpu:  median {statistics.median(cpu):.1f} ms (min {min(cpu):.1f}); under 50 ms: {verdict}")


def end_to_end(env: dict[str, str], proj: str, runs: int) -> None:
    """`envaudit check` of an empty project with every rule, and with the GPU rules ignored
    (interleaved, so load changes hit both alike). CPU time of the child is the robust
    figure on a shared machine; wall time is printed too."""
    import resource
    import time

    def once(extra: list[str]) -> tuple[float, float]:
        r0, t = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "envaudit", "check", proj, "--exit-zero", "-q", *extra],
            env=env,
            capture_output=True,
            check=True,
        )
        wall = (time.perf_counter() - t) * 1e3
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime) * 1e3
        return wall, cpu

    once([])  # warm
    with_gpu, without = [], []
    for _ in range(runs):
        with_gpu.append(once([]))
        without.append(once(["--ignore", "GPU"]))
    wa, wb = (statistics.median(x[0] for x in v) for v in (with_gpu, without))
    ca, cb = (statistics.median(x[1] for x in v) for v in (with_gpu, without))
    print(
        f"  envaudit check, all rules vs --ignore GPU: cpu {ca:.0f} vs {cb:.0f} ms (GPU adds {ca - cb:.0f} ms); "
        f"wall {wa:.0f} vs {wb:.0f} ms (medians)"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--python", default="")
    args = ap.parse_args()
    repo = Path(__file__).resolve().parent.parent
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = float("nan")
    print(f"{os.cpu_count()} CPUs, load average {load:.2f}; {args.runs} runs per case")
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as proj:
        for label, extra in (
            ("bytecode cached (as from an installed wheel)", {"PYTHONPYCACHEPREFIX": cache}),
            ("no bytecode (PYTHONDONTWRITEBYTECODE=1, as in this sandbox)", {"PYTHONDONTWRITEBYTECODE": "1"}),
        ):
            env = {
                k: v
                for k, v in os.environ.items()
                if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")
            }
            env.update(extra)
            env["PYTHONPATH"] = str(repo)
            print(label + ":")
            for case in ("as-is", "no-toolkit"):
                run(case, env, proj, args.python, args.runs)
            end_to_end(env, proj, args.runs)


if __name__ == "__main__":
    main()
