"""A faithful fake of nvidia-ml-py's `pynvml`, driven by a scenario file.

Faithful to nvidia-ml-py 13.x (the version pyproject requires and the venv has):
- the same function names and parameters (tests/scanners/test_gpu_fake.py checks them
  against the real module's signatures);
- the same return types: strings come back as `str` (the real module's
  @convertStrBytes decodes them), the CUDA driver version as an int
  (1000*major + 10*minor), memory as the real `c_nvmlMemory_t` ctypes structure,
  compute capability as a tuple, MIG and ECC modes as [current, pending] lists;
- the real exception classes: `NVMLError` and its generated `NVMLError_*`
  subclasses are taken from the installed pynvml, so `value` codes, `__str__` and
  `except pynvml.NVMLError_NotSupported` behave exactly as with a driver;
- every query before nvmlInit raises NVMLError_Uninitialized, as the real binding does.

Scenario files (tests/fakes/scenarios/*.json):
    {"init_error": "LibraryNotFound" | null,
     "driver_version": "580.65.06", "cuda_driver_version": 13000,
     "devices": [{"name": ..., "uuid": ..., "memory_total": bytes, "compute_capability": [9, 0],
                  "mig": [current, pending] | null (not supported), "ecc": [current, pending] | null}],
     "errors": [{"call": "nvmlDeviceGetMemoryInfo", "device": 2, "error": "GpuIsLost"}],
     "hang_in": "nvmlInit" | null}
An error names an NVMLError_* subclass without its prefix; `device` null means every call.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pynvml as _real

SCENARIOS = Path(__file__).parent / "scenarios"

# Constants and the exception hierarchy are the real module's.
NVML_SUCCESS = _real.NVML_SUCCESS
NVML_FEATURE_DISABLED = _real.NVML_FEATURE_DISABLED
NVML_FEATURE_ENABLED = _real.NVML_FEATURE_ENABLED
NVML_DEVICE_MIG_DISABLE = _real.NVML_DEVICE_MIG_DISABLE
NVML_DEVICE_MIG_ENABLE = _real.NVML_DEVICE_MIG_ENABLE
NVMLError = _real.NVMLError
c_nvmlMemory_t = _real.c_nvmlMemory_t
for _name in dir(_real):
    if _name.startswith(("NVML_ERROR_", "NVMLError_")):
        globals()[_name] = getattr(_real, _name)

_scenario: dict[str, Any] = {}
_initialized = 0
calls: list[str] = []  # every call made, in order (tests read it)
release_hang = threading.Event()


@dataclass(frozen=True)
class _Handle:
    """Stands in for the real `c_nvmlDevice_t` pointer: opaque to callers."""

    index: int


def load(scenario: str | dict[str, Any]) -> None:
    """Load a scenario by file stem (`"h100_driver580"`) or as a dict, and reset state."""
    global _scenario, _initialized
    if isinstance(scenario, str):
        scenario = json.loads((SCENARIOS / f"{scenario}.json").read_text(encoding="utf-8"))
    _scenario = dict(scenario)
    _initialized = 0
    calls.clear()
    release_hang.clear()


def _error(name: str) -> BaseException:
    cls = getattr(_real, f"NVMLError_{name}")
    return cls()  # the generated subclasses take no argument: their value is fixed


def _enter(call: str, device: int | None = None, *, needs_init: bool = True) -> None:
    calls.append(call)
    if _scenario.get("hang_in") == call:
        release_hang.wait(30)
    if needs_init and _initialized <= 0:
        raise _error("Uninitialized")
    for e in _scenario.get("errors", ()):
        if e["call"] == call and (e.get("device") is None or e.get("device") == device):
            raise _error(e["error"])


def _device(handle: Any) -> dict[str, Any]:
    if not isinstance(handle, _Handle):
        raise _error("InvalidArgument")
    return _scenario["devices"][handle.index]


# ---------------------------------------------------------------- the API
def nvmlInit() -> None:
    nvmlInitWithFlags(0)


def nvmlInitWithFlags(flags: int) -> None:
    global _initialized
    _enter("nvmlInit", needs_init=False)
    if _scenario.get("init_error"):
        raise _error(_scenario["init_error"])
    _initialized += 1


def nvmlShutdown() -> None:
    global _initialized
    _enter("nvmlShutdown")
    _initialized -= 1


def nvmlSystemGetDriverVersion() -> str:
    _enter("nvmlSystemGetDriverVersion")
    return str(_scenario["driver_version"])


def nvmlSystemGetCudaDriverVersion() -> int:
    _enter("nvmlSystemGetCudaDriverVersion")
    return int(_scenario["cuda_driver_version"])


def nvmlDeviceGetCount() -> int:
    _enter("nvmlDeviceGetCount")
    return len(_scenario.get("devices", ()))


def nvmlDeviceGetHandleByIndex(index: int) -> _Handle:
    _enter("nvmlDeviceGetHandleByIndex", index)
    if not 0 <= index < len(_scenario.get("devices", ())):
        raise _error("InvalidArgument")
    return _Handle(index)


def nvmlDeviceGetName(handle: Any) -> str:
    _enter("nvmlDeviceGetName", getattr(handle, "index", None))
    return str(_device(handle)["name"])


def nvmlDeviceGetUUID(handle: Any) -> str:
    _enter("nvmlDeviceGetUUID", getattr(handle, "index", None))
    return str(_device(handle)["uuid"])


def nvmlDeviceGetMemoryInfo(handle: Any, version: Any = None) -> Any:
    _enter("nvmlDeviceGetMemoryInfo", getattr(handle, "index", None))
    total = int(_device(handle)["memory_total"])
    used = total // 100
    return c_nvmlMemory_t(total=total, free=total - used, used=used)


def nvmlDeviceGetCudaComputeCapability(handle: Any) -> tuple[int, int]:
    _enter("nvmlDeviceGetCudaComputeCapability", getattr(handle, "index", None))
    major, minor = _device(handle)["compute_capability"]
    return (int(major), int(minor))


def nvmlDeviceGetMigMode(device: Any) -> list[int]:
    _enter("nvmlDeviceGetMigMode", getattr(device, "index", None))
    mig = _device(device).get("mig")
    if mig is None:
        raise _error("NotSupported")
    return [int(mig[0]), int(mig[1])]


def nvmlDeviceGetEccMode(handle: Any) -> list[int]:
    _enter("nvmlDeviceGetEccMode", getattr(handle, "index", None))
    ecc = _device(handle).get("ecc")
    if ecc is None:
        raise _error("NotSupported")
    return [int(ecc[0]), int(ecc[1])]


API = (
    "nvmlInit",
    "nvmlInitWithFlags",
    "nvmlShutdown",
    "nvmlSystemGetDriverVersion",
    "nvmlSystemGetCudaDriverVersion",
    "nvmlDeviceGetCount",
    "nvmlDeviceGetHandleByIndex",
    "nvmlDeviceGetName",
    "nvmlDeviceGetUUID",
    "nvmlDeviceGetMemoryInfo",
    "nvmlDeviceGetCudaComputeCapability",
    "nvmlDeviceGetMigMode",
    "nvmlDeviceGetEccMode",
)
