#!/usr/bin/env bash
# envaudit's GPU facts beside nvidia-smi's and torch's own answers, and whether they agree.
#
#   bench/gpu_check.sh [PYTHON]     PYTHON: the interpreter whose torch to ask (default: python3)
#
# envaudit reads everything without importing torch (NVML for the driver and GPUs,
# torch/version.py for the build); nvidia-smi and `import torch` are the references.
# Where there is no driver, no nvidia-smi or no torch, each column says so and the
# script still exits 0: only a disagreement between two answers that exist fails (1).
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$HERE")"
TARGET="${1:-python3}"
ENVAUDIT_PY="${ENVAUDIT_PYTHON:-/work/venv/bin/python}"
[ -x "$ENVAUDIT_PY" ] || ENVAUDIT_PY=python3

PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}" "$ENVAUDIT_PY" - "$TARGET" <<'PYEOF'
import json, shutil, subprocess, sys, time
from pathlib import Path

from envaudit.inventory import Inventory

target = sys.argv[1]
exe = shutil.which(target) or target
prefix = str(Path(exe).resolve().parent.parent) if Path(exe).exists() else None

# ---- envaudit (never imports torch)
inv = Inventory(".", python=exe if Path(exe).exists() else None)
inv.get("python")  # shared with every other rule: not counted
t = time.perf_counter()
facts = inv.get("gpu")
ms = (time.perf_counter() - t) * 1e3
n = facts.nvml
ea = {
    "driver": n.driver_version,
    "cuda_driver": ".".join(map(str, n.driver_cuda)) if n.driver_cuda else None,
    "gpus": [
        {
            "name": d.name,
            "memory_mib": d.memory_total // 2**20 if d.memory_total is not None else None,
            "cc": f"{d.compute_capability[0]}.{d.compute_capability[1]}" if d.compute_capability else None,
            "mig": d.mig_mode,
            "ecc": d.ecc_mode,
        }
        for d in n.devices
    ],
}
torch_build = next((b for b in facts.frameworks if b.framework == "torch"), None)

# ---- nvidia-smi
smi = {"available": False}
if shutil.which("nvidia-smi"):
    try:
        q = subprocess.run(
            ["nvidia-smi", "--query-gpu=name,memory.total,compute_cap,mig.mode.current,ecc.mode.current,driver_version",
             "--format=csv,noheader,nounits"],
            capture_output=True, text=True, timeout=30,
        )
        head = subprocess.run(["nvidia-smi"], capture_output=True, text=True, timeout=30).stdout
        rows = [[c.strip() for c in line.split(",")] for line in q.stdout.strip().splitlines() if line.strip()]
        cuda = None
        for tok in head.split("CUDA Version:")[1:2]:
            cuda = tok.split()[0]
        smi = {
            "available": q.returncode == 0,
            "error": q.stderr.strip() or None,
            "driver": rows[0][5] if rows else None,
            "cuda_driver": cuda,
            "gpus": [{"name": r[0], "memory_mib": r[1], "cc": r[2], "mig": r[3], "ecc": r[4]} for r in rows],
        }
    except (OSError, subprocess.TimeoutExpired) as exc:
        smi = {"available": False, "error": f"nvidia-smi failed: {exc}"}
else:
    smi["error"] = "nvidia-smi not on PATH (no NVIDIA driver here)"

# ---- torch, asked in its own interpreter
probe = (
    "import json, torch\n"
    "ok = torch.cuda.is_available()\n"
    "print(json.dumps({'version': torch.__version__, 'cuda': torch.version.cuda, 'hip': torch.version.hip,"
    " 'cudnn': torch.backends.cudnn.version() if ok else None, 'available': ok,"
    " 'gpus': [{'name': torch.cuda.get_device_name(i), 'cc': '%d.%d' % torch.cuda.get_device_capability(i),"
    " 'memory_mib': torch.cuda.get_device_properties(i).total_memory // 2**20} for i in range(torch.cuda.device_count())] if ok else [],"
    " 'driver_cuda': (lambda v: '%d.%d' % (v // 1000, v % 1000 // 10))(torch._C._cuda_getDriverVersion()) if ok and hasattr(torch._C, '_cuda_getDriverVersion') else None}))\n"
)
try:
    p = subprocess.run([exe, "-c", probe], capture_output=True, text=True, timeout=120)
    th = json.loads(p.stdout) if p.returncode == 0 else {"error": (p.stderr.strip().splitlines() or ["?"])[-1]}
except (OSError, subprocess.TimeoutExpired, ValueError) as exc:
    th = {"error": str(exc)}

# ---- side by side
def show(label, a, b, c):
    print(f"{label:<22} {str(a):<34} {str(b):<34} {str(c)}")

print(f"envaudit GPU scan: {ms:.1f} ms; target interpreter: {exe}")
if not n.available:
    print(f"envaudit: {n.reason}")
if not smi.get("available"):
    print(f"nvidia-smi: {smi.get('error')}")
if "error" in th:
    print(f"torch: {th['error']}")
print()
show("", "envaudit", "nvidia-smi", "torch")
show("driver", ea["driver"], smi.get("driver"), "-")
show("CUDA of the driver", ea["cuda_driver"], smi.get("cuda_driver"), th.get("driver_cuda"))
show("torch version", torch_build.version if torch_build else None, "-", th.get("version"))
show("torch CUDA build", torch_build.cuda if torch_build else None, "-", th.get("cuda"))
show("torch cuDNN", torch_build.cudnn if torch_build else None, "-", th.get("cudnn"))
show("nvcc", facts.toolkit.version, "-", "-")
count = max(len(ea["gpus"]), len(smi.get("gpus", [])), len(th.get("gpus", [])))
for i in range(count):
    e = ea["gpus"][i] if i < len(ea["gpus"]) else {}
    s = smi.get("gpus", [])[i] if i < len(smi.get("gpus", [])) else {}
    g = th.get("gpus", [])[i] if i < len(th.get("gpus", [])) else {}
    for key in ("name", "memory_mib", "cc", "mig", "ecc"):
        show(f"GPU {i} {key}", e.get(key), s.get(key, "-"), g.get(key, "-"))

# ---- agreement, only where both answers exist
problems = []
if smi.get("available") and n.available:
    if smi.get("driver") != ea["driver"]:
        problems.append(f"driver: envaudit {ea['driver']} vs nvidia-smi {smi.get('driver')}")
    if smi.get("cuda_driver") and smi.get("cuda_driver") != ea["cuda_driver"]:
        problems.append(f"CUDA of the driver: envaudit {ea['cuda_driver']} vs nvidia-smi {smi.get('cuda_driver')}")
    for i, (e, s) in enumerate(zip(ea["gpus"], smi.get("gpus", []))):
        if e["name"] != s["name"] or (s["cc"] not in ("[N/A]", "") and e["cc"] != s["cc"]):
            problems.append(f"GPU {i}: envaudit {e['name']} {e['cc']} vs nvidia-smi {s['name']} {s['cc']}")
if torch_build and "error" not in th:
    if torch_build.version != th.get("version") or torch_build.cuda != th.get("cuda"):
        problems.append(f"torch build: envaudit {torch_build.version}/{torch_build.cuda} vs torch {th.get('version')}/{th.get('cuda')}")
    for i, (e, g) in enumerate(zip(ea["gpus"], th.get("gpus", []))):
        if e["name"] != g["name"] or e["cc"] != g["cc"]:
            problems.append(f"GPU {i}: envaudit {e['name']} {e['cc']} vs torch {g['name']} {g['cc']}")
compared = (smi.get("available") and n.available) or (torch_build and "error" not in th)
print()
if problems:
    print("DISAGREE:\n  " + "\n  ".join(problems))
    sys.exit(1)
print("agree on every answer both sides have" if compared else
      "nothing to compare here (no driver / nvidia-smi / torch): envaudit degraded to GPU007 as designed")
PYEOF
