"""The GPU stack: driver and devices (through NVML), the CUDA builds of the
installed frameworks (read from their files, never imported), the nvidia-*
CUDA wheels, the CUDA toolkit, and the variables that steer CUDA.

No driver is the common case (CI, laptops, this machine): the facts then say
NVML is unavailable and why, and nothing else is lost. NVML runs in a worker
thread bounded by a timeout; an NVML call that fails mid-way leaves that one
fact empty and is recorded with the call's name, never a traceback.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import threading
from collections.abc import Iterable, Sequence
from dataclasses import field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from envaudit._dataclass import dataclass
from envaudit._lazyre import lazy_re

if TYPE_CHECKING:
    import ast

    from envaudit.inventory import Inventory

NVML_TIMEOUT = 10.0  # seconds for init and every query together
NVCC_TIMEOUT = 10.0
CUDA_VARIABLES = ("CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES", "CUBLAS_WORKSPACE_CONFIG")
DEFAULT_CUDA_HOMES: tuple[str, ...] = ("/usr/local/cuda",)
COMPAT_GLOBS: tuple[str, ...] = ("/usr/local/cuda-*/compat",)  # cuda-compat packages
# nvidia-* distributions that are not part of the CUDA stack
_NOT_CUDA = {"nvidia-ml-py", "nvidia-ml-py3", "nvidia-pyindex", "nvidia-smi"}


# --------------------------------------------------------------------- facts
@dataclass(frozen=True)
class NvmlError:
    call: str  # the NVML function that failed, e.g. "nvmlDeviceGetMemoryInfo"
    device: int | None  # GPU index, None for a system call
    error: str  # NVML's own words ("Unknown Error") or the exception


@dataclass(frozen=True)
class Device:
    index: int
    name: str | None = None
    uuid: str | None = None
    memory_total: int | None = None  # bytes
    compute_capability: tuple[int, int] | None = None
    mig_mode: bool | None = None  # current mode; None: unknown or not supported
    mig_pending: bool | None = None
    ecc_mode: bool | None = None  # current mode; None: unknown or not supported


@dataclass(frozen=True)
class Nvml:
    available: bool
    reason: str | None = None  # why not available
    driver_version: str | None = None  # "580.65.06"
    cuda_driver_version: int | None = None  # NVML's 1000*major + 10*minor
    device_count: int | None = None
    devices: tuple[Device, ...] = ()
    errors: tuple[NvmlError, ...] = ()

    @property
    def driver_cuda(self) -> tuple[int, int] | None:
        """The CUDA the driver supports, as (major, minor)."""
        v = self.cuda_driver_version
        if v is None or v <= 0:
            return None
        return (v // 1000, (v % 1000) // 10)


@dataclass(frozen=True)
class FrameworkBuild:
    framework: str  # "torch" | "tensorflow" | "jax"
    dist: str  # the distribution that says so: torch, tensorflow-cpu, jax-cuda12-plugin, jaxlib
    version: str | None
    kind: str  # "cuda" | "rocm" | "cpu" | "unknown"
    cuda: str | None = None  # CUDA the build targets: "12.1", or "12" when only the major is known
    hip: str | None = None
    cudnn: str | None = None  # cuDNN the build needs: "9.1.0.70", "8", "8.9"
    cudnn_source: str | None = None  # where that came from
    compute_capabilities: tuple[str, ...] = ()
    path: str | None = None  # the file that was read

    @property
    def cuda_major(self) -> int | None:
        m = re.match(r"(\d+)", self.cuda or "")
        return int(m.group(1)) if m else None


@dataclass(frozen=True)
class CudaWheel:
    name: str  # canonical: nvidia-cudnn-cu12
    version: str
    location: str


@dataclass(frozen=True)
class Toolkit:
    nvcc: str | None = None  # path
    nvcc_version: str | None = None  # "12.4" from `nvcc --version`
    home: str | None = None  # the CUDA home that holds version.json
    json_version: str | None = None  # "12.4.1" from version.json
    error: str | None = None

    @property
    def version(self) -> str | None:
        return self.nvcc_version or self.json_version


@dataclass(frozen=True)
class CompatLib:
    """A forward-compatibility libcuda (the cuda-compat package) and its driver version."""

    path: str
    driver_version: str | None


@dataclass(frozen=True)
class GpuFacts:
    nvml: Nvml
    frameworks: tuple[FrameworkBuild, ...] = ()
    cuda_wheels: tuple[CudaWheel, ...] = ()
    toolkit: Toolkit = field(default_factory=Toolkit)
    variables: dict[str, str] = field(default_factory=dict)
    ld_library_cuda: tuple[str, ...] = ()  # LD_LIBRARY_PATH entries that look like CUDA
    compat_libs: tuple[CompatLib, ...] = ()
    site_packages: tuple[str, ...] = ()

    def wheel(self, prefix: str, cuda_major: int | None = None) -> CudaWheel | None:
        """The installed `prefix` wheel: `prefix-cu<major>` first, then the unsuffixed name
        (CUDA 13 wheels), then any other `-cuNN` variant."""
        named = {w.name: w for w in self.cuda_wheels}
        if cuda_major is not None and f"{prefix}-cu{cuda_major}" in named:
            return named[f"{prefix}-cu{cuda_major}"]
        if prefix in named:
            return named[prefix]
        for w in self.cuda_wheels:
            if re.fullmatch(re.escape(prefix) + r"-cu\d+", w.name):
                return w
        return None


# ----------------------------------------------------------------------- scan
def scan(inv: Inventory) -> GpuFacts:
    environ = inv.environ
    # `nvcc --version` (a subprocess, ~0.1 s with a real toolkit) runs while NVML is asked
    # and the site-packages are read, instead of after them
    toolkit_box: dict[str, Any] = {}

    def toolkit_work() -> None:
        try:
            toolkit_box["result"] = read_toolkit(environ, (inv.root,))
        except BaseException as exc:  # re-raised below, in the scanning thread
            toolkit_box["error"] = exc

    toolkit_thread = threading.Thread(target=toolkit_work, name="envaudit-nvcc", daemon=True)
    toolkit_thread.start()
    nvml = query_nvml(load_nvml)
    for e in nvml.errors:
        where = f" on GPU {e.device}" if e.device is not None else ""
        inv.skipped(f"NVML call {e.call}{where} failed ({e.error}); that GPU fact is missing")
    sites = site_packages_dirs(inv)
    frameworks = read_frameworks(sites)
    cuda_wheels = read_cuda_wheels(sites)
    toolkit_thread.join()
    if "error" in toolkit_box:
        raise toolkit_box["error"]
    return GpuFacts(
        nvml=nvml,
        frameworks=frameworks,
        cuda_wheels=cuda_wheels,
        toolkit=toolkit_box["result"],
        variables={k: environ[k] for k in CUDA_VARIABLES if k in environ},
        ld_library_cuda=cuda_library_paths(environ.get("LD_LIBRARY_PATH", "")),
        compat_libs=find_compat_libs(environ),
        site_packages=tuple(sites),
    )


# ------------------------------------------------------------------------ NVML
NVML_LIBRARY = "libnvidia-ml.so.1"
# Where a loaded NVIDIA driver shows itself on Linux: the kernel module's procfs entry
# and control device (also inside containers run with the NVIDIA runtime), and WSL2's GPU device.
DRIVER_MARKERS: tuple[str, ...] = ("/proc/driver/nvidia", "/dev/nvidiactl", "/dev/dxg")


class NvmlLibraryMissing(OSError):
    """No NVIDIA driver here: NVML cannot be loaded or would not initialise."""


def load_nvml() -> ModuleType:
    """The NVML binding (nvidia-ml-py's `pynvml`). Tests replace this function, or put a
    fake in `sys.modules["pynvml"]`.

    Importing pynvml costs ~100 ms and ctypes ~20 ms, so on Linux the driver is looked
    for first: without the kernel module NVML could only answer "Driver Not Loaded",
    and without the library it would answer "Library Not Found". Either way the scan
    without a driver stays cheap."""
    if "pynvml" not in sys.modules and sys.platform.startswith("linux"):
        if not any(os.path.exists(m) for m in DRIVER_MARKERS):
            raise NvmlLibraryMissing(f"no NVIDIA driver loaded ({DRIVER_MARKERS[0]} is absent)")
        import ctypes

        try:
            ctypes.CDLL(NVML_LIBRARY)
        except OSError as exc:
            raise NvmlLibraryMissing(f"NVML Shared Library Not Found ({exc})") from None
    import pynvml

    return pynvml


def _text(value: Any) -> str:
    if isinstance(value, bytes):  # nvidia-ml-py < 11.5 returned bytes
        return value.decode("utf-8", "replace")
    return str(value)


def _error_text(exc: BaseException) -> str:
    try:
        text = str(exc)
    except Exception:  # NVMLError.__str__ may call into the library
        text = ""
    return text or type(exc).__name__


def query_nvml(loader: Any = None, timeout: float | None = None) -> Nvml:
    """Ask NVML in a daemon thread; a hung driver costs `timeout` seconds, not the run."""
    loader = loader or load_nvml
    timeout = NVML_TIMEOUT if timeout is None else timeout
    box: dict[str, Nvml] = {}

    def work() -> None:
        try:
            box["result"] = _query(loader)
        except BaseException as exc:  # never let a binding bug escape the thread
            box["result"] = Nvml(False, f"NVML failed: {_error_text(exc)}")

    t = threading.Thread(target=work, name="envaudit-nvml", daemon=True)
    t.start()
    t.join(timeout)
    if t.is_alive():
        return Nvml(False, f"NVML did not answer within {timeout:g} s (hung driver?)")
    return box.get("result") or Nvml(False, "NVML gave no answer")


def _query(loader: Any) -> Nvml:
    try:
        nv = loader()
    except ImportError as exc:
        return Nvml(False, f"nvidia-ml-py is not installed ({exc})")
    except NvmlLibraryMissing as exc:
        return Nvml(False, f"NVML unavailable: {exc}")
    except Exception as exc:
        return Nvml(False, f"cannot load NVML bindings: {_error_text(exc)}")
    nvml_error: type[BaseException] = getattr(nv, "NVMLError", Exception)
    try:
        nv.nvmlInit()
    except nvml_error as exc:
        return Nvml(False, f"NVML unavailable: {_error_text(exc)}")
    except Exception as exc:  # OSError from ctypes and the like: any load failure
        return Nvml(False, f"NVML unavailable: {type(exc).__name__}: {_error_text(exc)}")
    errors: list[NvmlError] = []
    not_supported = getattr(nv, "NVML_ERROR_NOT_SUPPORTED", 3)

    def call(name: str, device: int | None, *args: Any) -> Any:
        try:
            return getattr(nv, name)(*args)
        except nvml_error as exc:
            if getattr(exc, "value", None) != not_supported:
                errors.append(NvmlError(name, device, _error_text(exc)))
            return None
        except Exception as exc:
            errors.append(NvmlError(name, device, f"{type(exc).__name__}: {_error_text(exc)}"))
            return None

    try:
        driver = call("nvmlSystemGetDriverVersion", None)
        cuda = call("nvmlSystemGetCudaDriverVersion", None)
        count = call("nvmlDeviceGetCount", None)
        devices = []
        for i in range(int(count or 0)):
            handle = call("nvmlDeviceGetHandleByIndex", i, i)
            if handle is None:
                devices.append(Device(i))
                continue
            name = call("nvmlDeviceGetName", i, handle)
            uuid = call("nvmlDeviceGetUUID", i, handle)
            mem = call("nvmlDeviceGetMemoryInfo", i, handle)
            cc = call("nvmlDeviceGetCudaComputeCapability", i, handle)
            mig = call("nvmlDeviceGetMigMode", i, handle)
            ecc = call("nvmlDeviceGetEccMode", i, handle)
            devices.append(
                Device(
                    index=i,
                    name=_text(name) if name is not None else None,
                    uuid=_text(uuid) if uuid is not None else None,
                    memory_total=int(mem.total) if mem is not None else None,
                    compute_capability=(int(cc[0]), int(cc[1])) if cc is not None else None,
                    mig_mode=bool(mig[0]) if mig is not None else None,
                    mig_pending=bool(mig[1]) if mig is not None else None,
                    ecc_mode=bool(ecc[0]) if ecc is not None else None,
                )
            )
    finally:
        with contextlib.suppress(Exception):  # nothing to do about a failing shutdown
            nv.nvmlShutdown()
    return Nvml(
        available=True,
        driver_version=_text(driver) if driver is not None else None,
        cuda_driver_version=int(cuda) if cuda is not None else None,
        device_count=int(count) if count is not None else None,
        devices=tuple(devices),
        errors=tuple(errors),
    )


# -------------------------------------------------------------- site-packages
def site_packages_dirs(inv: Inventory) -> list[str]:
    """The target interpreter's site-packages (the `python` domain: --python, $VIRTUAL_ENV,
    the project's .venv, else the running interpreter)."""
    try:
        interp = inv.get("python")
    except Exception as exc:  # the python domain records its own problems
        inv.skipped(f"cannot locate site-packages for the GPU scan: {exc}")
        return []
    return [str(s) for s in getattr(interp, "site_packages", ())]


# ----------------------------------------------------------------- dist-info
@dataclass(frozen=True)
class _Dist:
    name: str  # canonical
    version: str
    dist_info: Path
    site: str


def _canon(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _headers(dist_info: Path) -> dict[str, list[str]]:
    from envaudit import safeio

    out: dict[str, list[str]] = {}
    # the header block only (the body follows the first blank line), from a regular file
    raw, _refused = safeio.read_head(dist_info / "METADATA", 1024 * 1024, stop=(b"\n\n", b"\r\n\r\n"))
    if raw is None:
        return {}
    for line in raw.decode("utf-8", "replace").splitlines():
        if line[:1] in " \t" or ":" not in line:
            continue
        key, _, value = line.partition(":")
        out.setdefault(key.strip().lower(), []).append(value.strip())
    return out


def _dists(sites: Iterable[str], wanted: Any) -> list[_Dist]:
    """dist-info directories whose (canonical) name passes `wanted(name)`; first site wins."""
    seen: set[str] = set()
    out = []
    for site in sites:
        try:
            entries = sorted(os.listdir(site))
        except OSError:
            continue
        for entry in entries:
            if not entry.endswith(".dist-info"):
                continue
            stem = entry[: -len(".dist-info")]
            raw_name, _, raw_version = stem.partition("-")
            name = _canon(raw_name)
            if not wanted(name) or name in seen:
                continue
            seen.add(name)
            hdr = _headers(Path(site) / entry)
            version = (hdr.get("version") or [raw_version])[0]
            if hdr.get("name"):
                name = _canon(hdr["name"][0])
            out.append(_Dist(name, version, Path(site) / entry, site))
    return out


def _requires(d: _Dist) -> list[str]:
    return _headers(d.dist_info).get("requires-dist", [])


_CUDNN_PIN = lazy_re(r"^nvidia-cudnn(?:-cu\d+)?\s*(?:\[[^\]]*\])?\s*\(?\s*==\s*([0-9][0-9.]*)", re.IGNORECASE)
_CUDNN_REQ = lazy_re(r"^nvidia-cudnn(?:-cu\d+)?\s*(?:\[[^\]]*\])?\s*\(?([^;]*)", re.IGNORECASE)


def _cudnn_lower_bound(requires: Sequence[str]) -> str | None:
    """The `>=` bound of an nvidia-cudnn requirement, in any clause order
    (jax's plugins write `nvidia-cudnn-cu12<10.0,>=9.10.2.21; ... extra == "with-cuda"`)."""
    for req in requires:
        m = _CUDNN_REQ.match(req.strip())
        if m:
            low = re.search(r">=\s*([0-9][0-9.]*)", m.group(1))
            if low:
                return low.group(1).rstrip(".")
    return None


def _cudnn_from_requires(requires: Sequence[str]) -> str | None:
    for req in requires:
        m = _CUDNN_PIN.match(req.strip())
        if m:
            return m.group(1).rstrip(".")
    return None


# ----------------------------------------------------------------- frameworks
def read_frameworks(sites: Sequence[str]) -> tuple[FrameworkBuild, ...]:
    out: list[FrameworkBuild] = []
    torch = read_torch(sites)
    if torch:
        out.append(torch)
    tf = read_tensorflow(sites)
    if tf:
        out.append(tf)
    out.extend(read_jax(sites))
    return tuple(out)


def _module_constants(path: Path) -> dict[str, Any] | None:
    """Top-level `NAME = <literal>` assignments of a Python file, read with ast."""
    import ast

    try:
        from envaudit import safeio

        text = safeio.read_text_or_none(path, safeio.TEXT_LIMIT)
        if text is None:
            return None
        tree = ast.parse(text, filename=str(path))
    except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    out: dict[str, Any] = {}
    for node in tree.body:
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        for t in targets:
            if isinstance(t, ast.Name) and value is not None:
                literal = _literal(value)
                if literal is not _NO_VALUE:
                    out[t.id] = literal
    return out


_NO_VALUE = object()


def _literal(node: ast.expr) -> Any:
    """A literal, or `collections.OrderedDict([...])` / `dict(...)` of one (tensorflow's
    generated build_info.py uses both spellings)."""
    import ast

    if isinstance(node, ast.Call) and len(node.args) == 1 and not node.keywords:
        fn = node.func
        fname = fn.attr if isinstance(fn, ast.Attribute) else fn.id if isinstance(fn, ast.Name) else ""
        if fname in ("OrderedDict", "dict"):
            inner = _literal(node.args[0])
            try:
                return dict(inner) if inner is not _NO_VALUE else _NO_VALUE
            except (TypeError, ValueError):
                return _NO_VALUE
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _NO_VALUE


def _tf_version(text: Any) -> str | None:
    """'12.3' stays; Windows builds write '64_112' (CUDA 11.2) and '64_8' (cuDNN 8)."""
    if text is None or text == "":
        return None
    t = str(text)
    m = re.fullmatch(r"64_(\d+)", t)
    if m:
        digits = m.group(1)
        return f"{digits[:-1]}.{digits[-1]}" if len(digits) >= 3 else digits
    return t


def read_torch(sites: Sequence[str]) -> FrameworkBuild | None:
    for site in sites:
        vfile = Path(site) / "torch" / "version.py"
        if not vfile.is_file():
            continue
        consts = _module_constants(vfile) or {}
        version = consts.get("__version__")
        cuda = consts.get("cuda")
        hip = consts.get("hip")
        dists = _dists([site], lambda n: n == "torch")
        if version is None and dists:
            version = dists[0].version
        cudnn = cudnn_source = None
        if dists:
            cudnn = _cudnn_from_requires(_requires(dists[0]))
            if cudnn:
                cudnn_source = f"{dists[0].dist_info.name}/METADATA"
        if cudnn is None:
            bundled = sorted((Path(site) / "torch" / "lib").glob("libcudnn.so.*"))
            if bundled:
                cudnn = bundled[0].name.split(".so.", 1)[1]
                cudnn_source = f"torch/lib/{bundled[0].name}"
        kind = "cuda" if cuda else "rocm" if hip else "cpu"
        if not isinstance(cuda, str) and not isinstance(hip, str) and version is None:
            kind = "unknown"
        return FrameworkBuild(
            framework="torch",
            dist="torch",
            version=str(version) if version is not None else None,
            kind=kind,
            cuda=str(cuda) if cuda else None,
            hip=str(hip) if hip else None,
            cudnn=cudnn if kind == "cuda" else None,
            cudnn_source=cudnn_source if kind == "cuda" else None,
            path=str(vfile),
        )
    return None


_TF_DISTS = {
    "tensorflow",
    "tensorflow-cpu",
    "tensorflow-gpu",
    "tf-nightly",
    "tf-nightly-cpu",
    "tensorflow-intel",
}


def read_tensorflow(sites: Sequence[str]) -> FrameworkBuild | None:
    for site in sites:
        info = Path(site) / "tensorflow" / "python" / "platform" / "build_info.py"
        if not info.is_file():
            continue
        consts = _module_constants(info) or {}
        build = consts.get("build_info")
        build = build if isinstance(build, dict) else {}
        dists = _dists([site], lambda n: n in _TF_DISTS)
        version = dists[0].version if dists else None
        cuda = _tf_version(build.get("cuda_version"))
        cudnn = _tf_version(build.get("cudnn_version"))
        if build.get("is_cuda_build") or (cuda and not build.get("is_rocm_build")):
            kind = "cuda"
        elif build.get("is_rocm_build"):
            kind = "rocm"
        elif build:
            kind = "cpu"
        else:
            kind = "unknown"
        caps = build.get("cuda_compute_capabilities") or ()
        return FrameworkBuild(
            framework="tensorflow",
            dist=dists[0].name if dists else "tensorflow",
            version=version,
            kind=kind,
            cuda=cuda if kind == "cuda" else None,
            hip=str(build.get("rocm_version")) if build.get("rocm_version") else None,
            cudnn=cudnn if kind == "cuda" else None,
            cudnn_source="tensorflow/python/platform/build_info.py" if cudnn and kind == "cuda" else None,
            compute_capabilities=tuple(str(c) for c in caps) if isinstance(caps, (list, tuple)) else (),
            path=str(info),
        )
    return None


_JAX_PLUGIN = lazy_re(r"^jax-cuda(\d+)-(plugin|pjrt)$")
_JAXLIB_LOCAL = lazy_re(r"\+cuda(\d+)(?:\.cudnn(\d)(\d+))?")


def read_jax(sites: Sequence[str]) -> list[FrameworkBuild]:
    dists = _dists(sites, lambda n: n == "jaxlib" or bool(_JAX_PLUGIN.match(n)))
    if not dists:
        return []
    plugins = [d for d in dists if d.name.endswith("-plugin")] or [
        d for d in dists if _JAX_PLUGIN.match(d.name)
    ]
    out = []
    for d in plugins:
        m = _JAX_PLUGIN.match(d.name)
        assert m is not None
        cudnn = _cudnn_lower_bound(_requires(d))
        out.append(
            FrameworkBuild(
                framework="jax",
                dist=d.name,
                version=d.version,
                kind="cuda",
                cuda=m.group(1),
                cudnn=cudnn,
                cudnn_source=f"{d.dist_info.name}/METADATA (lower bound)" if cudnn else None,
                path=str(d.dist_info),
            )
        )
    if out:
        return out
    jaxlib = next((d for d in dists if d.name == "jaxlib"), None)
    if jaxlib is None:
        return []
    m = _JAXLIB_LOCAL.search(jaxlib.version)
    if m:  # old-style jaxlib==0.4.x+cuda12.cudnn89 from Google's index
        cudnn = f"{m.group(2)}.{m.group(3)}" if m.group(2) else None
        return [
            FrameworkBuild(
                "jax",
                "jaxlib",
                jaxlib.version,
                "cuda",
                cuda=m.group(1),
                cudnn=cudnn,
                cudnn_source="jaxlib local version" if cudnn else None,
                path=str(jaxlib.dist_info),
            )
        ]
    return [FrameworkBuild("jax", "jaxlib", jaxlib.version, "cpu", path=str(jaxlib.dist_info))]


def read_cuda_wheels(sites: Sequence[str]) -> tuple[CudaWheel, ...]:
    dists = _dists(sites, lambda n: n.startswith("nvidia-") and n not in _NOT_CUDA)
    return tuple(CudaWheel(d.name, d.version, str(d.dist_info)) for d in sorted(dists, key=lambda d: d.name))


# ------------------------------------------------------------------- toolkit
_NVCC_RELEASE = lazy_re(r"release\s+(\d+\.\d+)")


def _cuda_homes(environ: dict[str, str]) -> list[str]:
    homes = [environ[k] for k in ("CUDA_HOME", "CUDA_PATH") if environ.get(k)]
    return [*homes, *(h for h in DEFAULT_CUDA_HOMES if h not in homes)]


def read_toolkit(environ: dict[str, str], avoid: tuple[Path, ...] = ()) -> Toolkit:
    """The CUDA toolkit: version.json under CUDA_HOME and `nvcc --version`, nvcc never one
    the audited project (`avoid`: its root) could have planted (`envaudit.toolpath`)."""
    from envaudit.toolpath import passed_over, which

    homes = _cuda_homes(environ)
    json_version = home_found = None
    for home in homes:
        vj = Path(home) / "version.json"
        try:
            from envaudit import safeio
            from envaudit.parsing import json_loads

            raw = safeio.read_text_or_none(vj, safeio.SMALL_LIMIT)
            if raw is None:
                continue
            data = json_loads(raw)
        except (OSError, ValueError):
            continue
        ver = data.get("cuda", {}).get("version") if isinstance(data, dict) else None
        if isinstance(ver, str):
            json_version, home_found = ver, home
            break
    nvcc = which("nvcc", environ, avoid)
    if nvcc is None:
        for home in homes:
            cand = Path(home) / "bin" / "nvcc"
            if passed_over(str(cand.parent), avoid) is None and cand.is_file() and os.access(cand, os.X_OK):
                nvcc = str(cand)
                break
    nvcc_version = error = None
    if nvcc:
        import subprocess

        try:
            proc = subprocess.run(
                [nvcc, "--version"], capture_output=True, text=True, timeout=NVCC_TIMEOUT, check=False
            )
            m = _NVCC_RELEASE.search(proc.stdout)
            if m:
                nvcc_version = m.group(1)
            else:
                error = f"`nvcc --version` printed no release (exit {proc.returncode})"
        except subprocess.TimeoutExpired:
            error = f"`nvcc --version` did not finish within {NVCC_TIMEOUT:g} s"
        except OSError as exc:
            error = f"cannot run nvcc: {exc.strerror or exc}"
    return Toolkit(nvcc, nvcc_version, home_found, json_version, error)


_CUDA_PATH_RE = lazy_re(r"cuda|cudnn|nvidia", re.IGNORECASE)


def cuda_library_paths(ld_library_path: str) -> tuple[str, ...]:
    return tuple(p for p in ld_library_path.split(os.pathsep) if p and _CUDA_PATH_RE.search(p))


_LIBCUDA = lazy_re(r"^libcuda\.so\.(\d+\.\d+(?:\.\d+)?)$")


def find_compat_libs(environ: dict[str, str]) -> tuple[CompatLib, ...]:
    """Forward-compatibility libcuda from cuda-compat: <cuda home>/compat/libcuda.so.<driver>,
    or any `compat` directory on LD_LIBRARY_PATH."""
    dirs: list[str] = []
    for home in _cuda_homes(environ):
        dirs.append(str(Path(home) / "compat"))
    for pattern in COMPAT_GLOBS:
        parent, _, rest = pattern.partition("*")  # "/usr/local/cuda-" "*" "/compat"
        base, prefix = os.path.split(parent)
        with contextlib.suppress(OSError):
            dirs += sorted(base + "/" + n + rest for n in os.listdir(base) if n.startswith(prefix))
    dirs += [p for p in environ.get("LD_LIBRARY_PATH", "").split(os.pathsep) if p and "compat" in p]
    out: list[CompatLib] = []
    seen: set[str] = set()
    for d in dirs:
        try:
            names = sorted(os.listdir(d))
        except OSError:
            continue
        for n in names:
            m = _LIBCUDA.match(n)
            if m:
                path = str(Path(d) / n)
                if path not in seen:
                    seen.add(path)
                    out.append(CompatLib(path, m.group(1)))
    return tuple(out)
