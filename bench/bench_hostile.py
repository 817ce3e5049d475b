#!/usr/bin/env python3
"""Hostile projects: wall time of `envaudit check` on each, with a time and memory cap.

    python bench/bench_hostile.py [--timeout S] [--mem-mb MB] [CASE ...]

Builds every case of tests/hostile/cases.py (superlinear inputs and unbounded reads:
a FIFO requirements.txt, /dev/zero as train.py, a 20 MB METADATA, 10k nested YAML, ...)
in a temporary directory and times one `envaudit check` on it in a child process whose
address space is capped (`--mem-mb`, default 2048) and which is killed after `--timeout`
seconds (default 60). The goal (issue 13): every case finishes in under 5 s, with a
finding, never a traceback. Prints one row per case: seconds, the ratio to a trivial
project timed the same way (start-up included; on a loaded machine the ratio is the
figure to read), exit code, findings, and the EA001/EA003 findings' count.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.hostile.cases import BOUNDED, SUPERLINEAR, baseline  # noqa: E402


def run_case(name: str, timeout: float, mem_mb: int) -> tuple[str, float, str, str]:
    builder = {"baseline": baseline, **SUPERLINEAR, **BOUNDED}[name]
    with tempfile.TemporaryDirectory(prefix="envaudit-hostile-") as tmp:
        root = Path(tmp) / "project"
        root.mkdir()
        extra = builder(root)
        env = dict(os.environ, PYTHONPATH=str(REPO), ENVAUDIT_CACHE_DIR=str(Path(tmp) / "cache"))
        cmd = [sys.executable, "-m", "envaudit", "check", str(root), *extra, "--format", "json"]

        def limit() -> None:
            cap = mem_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

        t0 = time.perf_counter()
        try:
            proc = subprocess.run(
                cmd, capture_output=True, timeout=timeout, preexec_fn=limit, env=env, check=False
            )
        except subprocess.TimeoutExpired:
            return name, time.perf_counter() - t0, "timeout", ""
        took = time.perf_counter() - t0
        try:
            findings = json.loads(proc.stdout)["findings"]
        except (ValueError, KeyError, TypeError):
            tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["?"]
            return name, took, f"rc={proc.returncode}", f"no JSON: {tail[0][:90]}"
        ea = [f for f in findings if f["code"] in ("EA001", "EA003")]
        note = f"{len(findings)} findings, EA001/EA003: {len(ea)}"
        if any(f["code"] == "EA003" for f in ea):
            note += " (internal error!)"
        return name, took, f"rc={proc.returncode}", note


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("cases", nargs="*", help="case names (default: all)")
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--mem-mb", type=int, default=2048)
    args = ap.parse_args()
    names = args.cases or [*SUPERLINEAR, *BOUNDED]
    print(f"{'case':<24} {'seconds':>8} {'x base':>7}  {'exit':<8} notes")
    base = run_case("baseline", args.timeout, args.mem_mb)[1]  # a trivial project, for the ratio
    print(f"{'baseline':<24} {base:>8.2f} {1.0:>7.1f}", flush=True)
    for name in names:
        case, took, rc, note = run_case(name, args.timeout, args.mem_mb)
        print(f"{case:<24} {took:>8.2f} {took / base:>7.1f}  {rc:<8} {note}", flush=True)


if __name__ == "__main__":
    main()
