"""`envaudit snapshot` vs `python -m torch.utils.collect_env`, side by side, same venv.

    python bench/bench_snapshot.py [--venv /work/bench-venv] [--repeat 5]

The venv (default $ENVAUDIT_BENCH_VENV or /work/bench-venv, shared with the
dependency-scanner bench) is created once if missing: torch==2.13.0 (CPU) and
the usual stack, about 170 distributions. Both tools run as fresh processes,
interleaved, `repeat` times; the script prints min/median and the ratio, then a
field-by-field table: every line collect_env prints and where the snapshot
records the same fact (or why it does not).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

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
]

# collect_env line -> (snapshot paths, note)
FIELDS: list[tuple[str, list[str], str]] = [
    ("PyTorch version", ["packages.torch.version", "frameworks.torch.version"], ""),
    ("Is debug build", ["frameworks.torch.debug"], "torch/version.py read with ast"),
    ("CUDA used to build PyTorch", ["frameworks.torch.cuda", "cuda.framework_builds.torch.cuda"], ""),
    ("ROCM used to build PyTorch", ["frameworks.torch.hip"], ""),
    ("OS", ["host.distribution", "host.machine"], ""),
    ("GCC version", ["host.toolchain.gcc"], ""),
    ("Clang version", ["host.toolchain.clang"], "null: not installed"),
    ("CMake version", ["host.toolchain.cmake"], ""),
    ("Libc version", ["host.libc"], ""),
    ("Python version", ["python.version", "python.implementation", "python.markers.platform_machine"], ""),
    ("Python platform", ["host.platform"], ""),
    ("Is CUDA available", ["cuda.nvml_available", "cuda.gpus"], "gpu domain (NVML), no CUDA init"),
    ("CUDA runtime version", ["cuda.toolkit.nvcc_version"], "collect_env's value is nvcc's version"),
    ("CUDA_MODULE_LOADING set to", ["variables.CUDA_MODULE_LOADING"], "absent when unset"),
    ("GPU models and configuration", ["cuda.gpus"], ""),
    ("Nvidia driver version", ["cuda.driver_version"], ""),
    (
        "cuDNN version",
        ["cuda.framework_builds.torch.cudnn", "cuda.cuda_wheels"],
        "pip-installed cuDNN included",
    ),
    ("Is XPU available", [], "not recorded: needs importing torch (Intel GPUs)"),
    ("HIP runtime version", ["frameworks.torch.hip"], "build's HIP; no ROCm runtime probe"),
    ("MIOpen runtime version", [], "not recorded: ROCm only"),
    ("Is XNNPACK available", [], "not recorded: a property of the torch build, needs importing torch"),
    ("Caching allocator config", ["variables.PYTORCH_CUDA_ALLOC_CONF"], "absent when unset"),
    (
        "CPU",
        ["host.cpu_model", "host.cpu_count", "host.cpu_flags"],
        "lscpu's caches/vulnerabilities not kept",
    ),
    ("Versions of relevant libraries", ["packages"], "every distribution, not a grep"),
    ("[conda]", ["python.kind"], ""),
]


def ensure_venv(venv: Path) -> None:
    if (venv / "bin" / "python").exists():
        return
    print(f"creating {venv} (once) ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", *PACKAGES], check=True)


def count_dists(venv: Path) -> int:
    return sum(1 for _ in venv.glob("lib/python3*/site-packages/*.dist-info"))


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, str]:
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO, check=False)
    elapsed = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return elapsed, proc.stdout


def lookup(record: dict[str, Any], path: str) -> Any:
    cur: Any = record
    for part in path.split("."):
        if not isinstance(cur, dict):
            return None
        if part not in cur:
            # keys that themselves contain dots (dist names are canonical, no dots)
            return None
        cur = cur[part]
    return cur


def show(value: Any) -> str:
    if (
        isinstance(value, dict)
        and value
        and all(isinstance(v, dict) and "version" in v for v in value.values())
    ):
        return f"{len(value)} distributions"
    if isinstance(value, list) and len(value) > 6:
        return f"[{len(value)} items]"
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= 48 else text[:47] + "…"


def parse_collect_env(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    lines = text.splitlines()
    for i, line in enumerate(lines):
        key, sep, value = line.partition(":")
        if line.startswith("[conda]"):
            out["[conda]"] = line[len("[conda]") :].strip()
        elif line.startswith("Versions of relevant libraries"):
            libs = [x for x in lines[i + 1 :] if x.startswith("[pip")]
            out["Versions of relevant libraries"] = f"{len(libs)} pip lines (grep)"
        elif line.startswith("Model name:"):
            out["CPU"] = value.strip()
        elif sep and key in {f for f, _, _ in FIELDS}:
            out[key] = value.strip() or (lines[i + 1].strip() if i + 1 < len(lines) else "")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--venv", default=os.environ.get("ENVAUDIT_BENCH_VENV", "/work/bench-venv"))
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    venv = Path(args.venv)
    ensure_venv(venv)
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONWARNINGS": "ignore"}
    env.pop("VIRTUAL_ENV", None)
    # as installed by pip: bytecode compiled once (torch in the venv has its .pyc too);
    # a PYTHONDONTWRITEBYTECODE shell would otherwise recompile envaudit on every run
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "envaudit")], check=True, env=env)
    out = Path(tempfile.mkdtemp()) / "snap.json"
    # an ML project (the example of the README), not this checkout with its test fixtures
    project = REPO / "fixtures" / "mnist-example"
    if not project.is_dir():
        project = out.parent / "project"
        project.mkdir()
        (project / "requirements.txt").write_text("torch==2.13.0\ntransformers\npandas\n")
    ours_cmd = [
        sys.executable,
        "-m",
        "envaudit",
        "snapshot",
        str(project),
        "--python",
        str(venv),
        "-o",
        str(out),
    ]
    peer_cmd = [str(venv / "bin" / "python"), "-m", "torch.utils.collect_env"]
    ours: list[float] = []
    peer: list[float] = []
    peer_text = ""
    timed(ours_cmd, env)  # warm the page cache for both, untimed
    timed(peer_cmd, env)
    for _ in range(args.repeat):
        t, _o = timed(ours_cmd, env)
        ours.append(t)
        t, peer_text = timed(peer_cmd, env)
        peer.append(t)
    record = json.loads(out.read_text())
    n = count_dists(venv)
    print(f"venv: {venv}  ({n} distributions; snapshot recorded {len(record.get('packages') or {})})")
    print(f"project: {project}")
    print(
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; {args.repeat} interleaved runs each"
    )
    print()
    print(f"{'tool':<38} {'min s':>8} {'median s':>9}")
    print(f"{'envaudit snapshot --python VENV':<38} {min(ours):8.3f} {statistics.median(ours):9.3f}")
    print(f"{'python -m torch.utils.collect_env':<38} {min(peer):8.3f} {statistics.median(peer):9.3f}")
    print(
        f"ratio (collect_env / snapshot): median {statistics.median(peer) / statistics.median(ours):.1f}x, "
        f"min {min(peer) / min(ours):.1f}x"
    )
    if record.get("unavailable"):
        print(f"not recorded in this build (scanner not merged): {', '.join(record['unavailable'])}")
    print()
    theirs = parse_collect_env(peer_text)
    print("| collect_env field | collect_env prints | snapshot field | snapshot records | note |")
    print("|---|---|---|---|---|")
    for field, paths, note in FIELDS:
        got = [show(lookup(record, p)) for p in paths] if paths else []
        where = ", ".join(f"`{p}`" for p in paths) or "—"
        absent = sorted({p.split(".")[0] for p in paths if record.get(p.split(".")[0]) is None})
        if absent:
            note = "; ".join(
                x for x in (note, f"section {', '.join(absent)}: its scanner is not in this build") if x
            )
        print(f"| {field} | {show(theirs.get(field, '—'))} | {where} | {'; '.join(got) or '—'} | {note} |")


if __name__ == "__main__":
    main()
