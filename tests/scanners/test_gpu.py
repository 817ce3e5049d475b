"""The GPU scanner against the fake NVML (scenario files) and site-packages trees on disk."""

from __future__ import annotations

import dataclasses
import inspect
import json
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pynvml
import pytest

from envaudit.inventory import Inventory
from envaudit.scanners import gpu
from tests.fakes import fake_pynvml, sitepkgs


@pytest.fixture
def nvml(monkeypatch: pytest.MonkeyPatch):
    """Returns `use(scenario)`: the scanner's NVML loader now gives the fake with it."""

    def use(scenario: str | dict) -> None:
        fake_pynvml.load(scenario)
        monkeypatch.setattr(gpu, "load_nvml", lambda: fake_pynvml)

    monkeypatch.setattr(gpu, "DEFAULT_CUDA_HOMES", ())
    monkeypatch.setattr(gpu, "COMPAT_GLOBS", ())
    yield use
    fake_pynvml.release_hang.set()


def scan(tmp_path: Path, sites: list[Path] | None = None, environ: dict[str, str] | None = None) -> tuple:
    root = tmp_path / "proj"
    root.mkdir(exist_ok=True)
    prefix, site = sitepkgs.venv(tmp_path, "scan-venv")
    inv = Inventory(root, python=str(prefix), environ=environ if environ is not None else {"PATH": ""})
    facts = inv.get("gpu")
    assert facts.site_packages == (str(site),)
    if sites:  # the readers themselves take any list of site-packages directories
        facts = dataclasses.replace(
            facts,
            frameworks=gpu.read_frameworks([str(s) for s in sites]),
            cuda_wheels=gpu.read_cuda_wheels([str(s) for s in sites]),
        )
    return facts, inv


# ------------------------------------------------------------------ the fake itself
def test_fake_matches_real_signatures_and_types() -> None:
    for name in fake_pynvml.API:
        real = inspect.signature(getattr(pynvml, name))
        fake = inspect.signature(getattr(fake_pynvml, name))
        assert list(real.parameters) == list(fake.parameters), name
    assert fake_pynvml.NVMLError is pynvml.NVMLError
    assert fake_pynvml.NVMLError_LibraryNotFound is pynvml.NVMLError_LibraryNotFound
    assert pynvml.NVMLError_NotSupported().value == pynvml.NVML_ERROR_NOT_SUPPORTED == 3
    fake_pynvml.load("h100_driver580")
    with pytest.raises(pynvml.NVMLError_Uninitialized):
        fake_pynvml.nvmlSystemGetDriverVersion()
    fake_pynvml.nvmlInit()
    h = fake_pynvml.nvmlDeviceGetHandleByIndex(0)
    assert isinstance(fake_pynvml.nvmlSystemGetDriverVersion(), str)  # 13.x decodes (convertStrBytes)
    assert isinstance(fake_pynvml.nvmlDeviceGetName(h), str)
    assert fake_pynvml.nvmlSystemGetCudaDriverVersion() == 13000
    assert isinstance(fake_pynvml.nvmlDeviceGetMemoryInfo(h), pynvml.c_nvmlMemory_t)
    assert fake_pynvml.nvmlDeviceGetCudaComputeCapability(h) == (9, 0)
    with pytest.raises(pynvml.NVMLError_InvalidArgument):
        fake_pynvml.nvmlDeviceGetHandleByIndex(1)
    fake_pynvml.nvmlShutdown()


def test_real_binding_returns_str_in_installed_version() -> None:
    # the fake returns str because the installed nvidia-ml-py decodes: keep them in step
    src = inspect.getsource(pynvml.nvmlSystemGetDriverVersion)
    assert "convertStrBytes" in inspect.getsource(pynvml) and "c_version.value" in src


# ------------------------------------------------------------------------ NVML facts
def test_one_h100_on_driver_580(tmp_path: Path, nvml) -> None:
    nvml("h100_driver580")
    facts, inv = scan(tmp_path)
    n = facts.nvml
    assert n.available and n.reason is None
    assert n.driver_version == "580.65.06"
    assert n.cuda_driver_version == 13000 and n.driver_cuda == (13, 0)
    (d,) = n.devices
    assert d.name == "NVIDIA H100 80GB HBM3"
    assert d.memory_total == 85520809984
    assert d.compute_capability == (9, 0)
    assert d.mig_mode is False and d.ecc_mode is True
    assert n.errors == () and inv.diagnostics == []
    assert fake_pynvml.calls[0] == "nvmlInit" and fake_pynvml.calls[-1] == "nvmlShutdown"


def test_eight_a100s(tmp_path: Path, nvml) -> None:
    nvml("a100x8_driver470")
    facts, _ = scan(tmp_path)
    assert facts.nvml.driver_cuda == (11, 4)
    assert [d.index for d in facts.nvml.devices] == list(range(8))
    assert {d.name for d in facts.nvml.devices} == {"NVIDIA A100-SXM4-40GB"}


def test_mig_enabled_and_pending(tmp_path: Path, nvml) -> None:
    nvml("mig_enabled")
    facts, _ = scan(tmp_path)
    d0, d1 = facts.nvml.devices
    assert (d0.mig_mode, d0.mig_pending) == (True, True)
    assert (d1.mig_mode, d1.mig_pending) == (False, True)


def test_not_supported_is_no_fact_not_an_error(tmp_path: Path, nvml) -> None:
    nvml("mixed_models")
    facts, inv = scan(tmp_path)
    a6000 = facts.nvml.devices[4]
    assert a6000.name == "NVIDIA RTX A6000" and a6000.mig_mode is None and a6000.ecc_mode is False
    assert facts.nvml.errors == () and inv.diagnostics == []


def test_nvml_failing_midway_gives_partial_facts(tmp_path: Path, nvml) -> None:
    nvml("nvml_error_midway")
    facts, inv = scan(tmp_path)
    n = facts.nvml
    assert n.available and len(n.devices) == 4
    assert n.devices[2].memory_total is None and n.devices[2].compute_capability == (9, 0)
    assert n.devices[3].compute_capability is None and n.devices[3].memory_total == 85520809984
    assert [(e.call, e.device) for e in n.errors] == [
        ("nvmlDeviceGetMemoryInfo", 2),
        ("nvmlDeviceGetCudaComputeCapability", 3),
    ]
    assert n.errors[0].error == "GPU is lost"  # NVML's own words, from the real exception class
    assert {d.code for d in inv.diagnostics} == {"EA002"}
    assert any("nvmlDeviceGetMemoryInfo on GPU 2" in d.message for d in inv.diagnostics)
    assert fake_pynvml.calls[-1] == "nvmlShutdown"


@pytest.mark.parametrize(
    ("scenario", "words"),
    [("no_driver", "NVML Shared Library Not Found"), ("driver_not_loaded", "Driver Not Loaded")],
)
def test_no_driver(tmp_path: Path, nvml, scenario: str, words: str) -> None:
    nvml(scenario)
    facts, inv = scan(tmp_path)
    assert not facts.nvml.available and words in (facts.nvml.reason or "")
    assert facts.nvml.devices == () and inv.diagnostics == []


def test_hung_nvml_is_bounded(nvml) -> None:
    nvml("hang")
    t = time.perf_counter()
    n = gpu.query_nvml(gpu.load_nvml, timeout=0.3)
    assert time.perf_counter() - t < 2
    assert not n.available and "did not answer within 0.3 s" in (n.reason or "")


@pytest.mark.parametrize(
    ("exc", "words"),
    [
        (ImportError("No module named 'pynvml'"), "nvidia-ml-py is not installed"),
        (OSError("libnvidia-ml.so.1: cannot open"), "cannot load NVML bindings"),
        (
            gpu.NvmlLibraryMissing("NVML Shared Library Not Found (x)"),
            "NVML unavailable: NVML Shared Library Not Found",
        ),
    ],
)
def test_any_load_failure_is_unavailable(exc: Exception, words: str) -> None:
    def loader():
        raise exc

    n = gpu.query_nvml(loader)
    assert not n.available and words in (n.reason or "")


def test_init_raising_a_non_nvml_error(monkeypatch: pytest.MonkeyPatch) -> None:
    broken = SimpleNamespace(
        NVMLError=pynvml.NVMLError, nvmlInit=lambda: (_ for _ in ()).throw(OSError("boom"))
    )
    n = gpu.query_nvml(lambda: broken)
    assert not n.available and "OSError: boom" in (n.reason or "")


def test_sys_modules_seam_and_real_loader(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_pynvml.load("h100_driver580")
    monkeypatch.setitem(sys.modules, "pynvml", fake_pynvml)
    n = gpu.query_nvml()
    assert n.available and n.devices[0].name == "NVIDIA H100 80GB HBM3"


def test_real_nvml_on_this_machine_answers_without_traceback() -> None:
    n = gpu.query_nvml()  # the real nvidia-ml-py; a driver here or not, never an exception
    assert n.available or n.reason


def test_bytes_from_old_bindings_are_decoded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_pynvml.load("h100_driver580")
    old = SimpleNamespace(**{n: getattr(fake_pynvml, n) for n in fake_pynvml.API})
    old.NVMLError = pynvml.NVMLError
    old.nvmlSystemGetDriverVersion = lambda: b"470.82.01"
    old.nvmlDeviceGetName = lambda h: b"Tesla V100-SXM2-32GB"
    n = gpu.query_nvml(lambda: old)
    assert n.driver_version == "470.82.01" and n.devices[0].name == "Tesla V100-SXM2-32GB"


# ------------------------------------------------------------------ framework builds
def test_torch_cuda_build_and_cudnn_pin(tmp_path: Path, nvml) -> None:
    nvml("no_driver")
    site = tmp_path / "site-packages"
    sitepkgs.torch(site)
    sitepkgs.dist(site, "nvidia-cudnn-cu12", "9.1.0.70")
    sitepkgs.dist(site, "nvidia-ml-py", "13.615.71")
    facts, _ = scan(tmp_path, [site])
    (t,) = facts.frameworks
    assert (t.framework, t.version, t.kind, t.cuda, t.hip) == ("torch", "2.3.1+cu121", "cuda", "12.1", None)
    assert t.cuda_major == 12 and t.cudnn == "9.1.0.70"
    assert t.cudnn_source == "torch-2.3.1+cu121.dist-info/METADATA"
    assert [w.name for w in facts.cuda_wheels] == ["nvidia-cudnn-cu12"]  # nvidia-ml-py is not CUDA
    assert facts.wheel("nvidia-cudnn").version == "9.1.0.70"


@pytest.mark.parametrize(
    "req", ["nvidia-cudnn-cu13==9.13.0.50", "nvidia-cudnn==9.13.0.50", "nvidia-cudnn (==9.13.0.50)"]
)
def test_torch_cuda13_pins_in_either_spelling(tmp_path: Path, req: str) -> None:
    site = tmp_path / "site-packages"
    sitepkgs.torch(
        site, "2.9.0+cu130", "13.0", requires=[f"{req}; {sitepkgs.LINUX_X86}", "nvidia-nccl==2.27.7"]
    )
    (t,) = gpu.read_frameworks([str(site)])
    assert t.cuda == "13.0" and t.cudnn == "9.13.0.50"


def test_torch_cpu_rocm_and_bundled_cudnn(tmp_path: Path) -> None:
    cpu, rocm, old = (tmp_path / n / "site-packages" for n in ("cpu", "rocm", "old"))
    sitepkgs.torch(cpu, "2.3.1+cpu", None)
    sitepkgs.torch(rocm, "2.3.1+rocm6.0", None, hip="6.0.32830-d62f6a171")
    sitepkgs.torch(old, "1.13.1+cu117", "11.7", requires=[], bundled_cudnn="8")
    assert gpu.read_torch([str(cpu)]).kind == "cpu"
    r = gpu.read_torch([str(rocm)])
    assert r.kind == "rocm" and r.hip.startswith("6.0") and r.cudnn is None
    o = gpu.read_torch([str(old)])
    assert o.kind == "cuda" and o.cudnn == "8" and o.cudnn_source == "torch/lib/libcudnn.so.8"


def test_torch_version_file_broken_is_not_a_crash(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    (site / "torch").mkdir(parents=True)
    (site / "torch" / "version.py").write_text("__version__ = (\n", encoding="utf-8")
    t = gpu.read_torch([str(site)])
    assert t is not None and t.kind == "unknown"


@pytest.mark.parametrize(
    ("info", "kind", "cuda", "cudnn"),
    [
        (
            {"cuda_version": "12.3", "cudnn_version": "8", "is_cuda_build": True, "is_rocm_build": False},
            "cuda",
            "12.3",
            "8",
        ),
        ({"cuda_version": "64_112", "cudnn_version": "64_8", "is_cuda_build": True}, "cuda", "11.2", "8"),
        ({"is_cuda_build": False, "is_rocm_build": False, "is_tensorrt_build": False}, "cpu", None, None),
    ],
)
def test_tensorflow_build_info(
    tmp_path: Path, info: dict, kind: str, cuda: str | None, cudnn: str | None
) -> None:
    site = tmp_path / "site-packages"
    sitepkgs.tensorflow(site, info)
    tf = gpu.read_tensorflow([str(site)])
    assert (tf.kind, tf.cuda, tf.cudnn, tf.version) == (kind, cuda, cudnn, "2.16.1")


def test_tensorflow_plain_dict_spelling(tmp_path: Path) -> None:
    plat = tmp_path / "site-packages" / "tensorflow" / "python" / "platform"
    plat.mkdir(parents=True)
    (plat / "build_info.py").write_text(
        "build_info = {'cuda_version': '10.1', 'cudnn_version': '7', 'is_cuda_build': True}\n",
        encoding="utf-8",
    )
    tf = gpu.read_tensorflow([str(tmp_path / "site-packages")])
    assert (tf.kind, tf.cuda, tf.cudnn) == ("cuda", "10.1", "7")


def test_jax_plugin_jaxlib_local_and_cpu(tmp_path: Path) -> None:
    plug, local, cpu = (tmp_path / n / "site-packages" for n in ("plug", "local", "cpu"))
    sitepkgs.jax(plug, "0.4.30", "jax-cuda12-plugin", ['nvidia-cudnn-cu12<10.0,>=9.1; extra == "with-cuda"'])
    sitepkgs.dist(plug, "jax-cuda12-pjrt", "0.4.30")
    sitepkgs.jax(local, "0.4.20+cuda12.cudnn89", None)
    sitepkgs.jax(cpu, "0.4.30", None)
    (p,) = gpu.read_jax([str(plug)])
    assert (p.dist, p.kind, p.cuda, p.cuda_major) == ("jax-cuda12-plugin", "cuda", "12", 12)
    (lo,) = gpu.read_jax([str(local)])
    assert (lo.cuda, lo.cudnn) == ("12", "8.9")
    (c,) = gpu.read_jax([str(cpu)])
    assert c.kind == "cpu"


def test_jax_plugin_real_requirement_order(tmp_path: Path) -> None:
    # as jax-cuda12-plugin 0.12 writes it on PyPI: upper bound first, under an extra
    site = tmp_path / "site-packages"
    req = 'nvidia-cudnn-cu12<10.0,>=9.10.2.21; sys_platform == "linux" and extra == "with-cuda"'
    sitepkgs.jax(site, "0.12.0.1", "jax-cuda12-plugin", ["jax-cuda12-pjrt==0.12.0.1", req])
    (p,) = gpu.read_jax([str(site)])
    assert (p.cuda, p.cudnn) == ("12", "9.10.2.21")


def test_first_site_wins_and_missing_sites_are_fine(tmp_path: Path) -> None:
    a, b = tmp_path / "a" / "site-packages", tmp_path / "b" / "site-packages"
    sitepkgs.dist(a, "nvidia-cublas-cu12", "12.4.5.8")
    sitepkgs.dist(b, "nvidia-cublas-cu12", "12.1.3.1")
    (w,) = gpu.read_cuda_wheels([str(a), str(b), str(tmp_path / "absent")])
    assert w.version == "12.4.5.8"


# ------------------------------------------------------------- toolkit and variables
def _nvcc(bin_dir: Path, body: str) -> None:
    bin_dir.mkdir(parents=True, exist_ok=True)
    nvcc = bin_dir / "nvcc"
    nvcc.write_text("#!/bin/sh\n" + body, encoding="utf-8")
    nvcc.chmod(0o755)


def test_toolkit_nvcc_and_version_json(tmp_path: Path) -> None:
    home = tmp_path / "cuda-12.4"
    _nvcc(home / "bin", 'echo "Cuda compilation tools, release 12.4, V12.4.131"\n')
    (home / "version.json").write_text(json.dumps({"cuda": {"name": "CUDA SDK", "version": "12.4.1"}}))
    tk = gpu.read_toolkit({"PATH": str(home / "bin"), "CUDA_HOME": str(home)})
    assert (tk.nvcc_version, tk.json_version, tk.version, tk.error) == ("12.4", "12.4.1", "12.4", None)
    # nvcc not on PATH: found under CUDA_HOME/bin
    tk = gpu.read_toolkit({"PATH": "", "CUDA_HOME": str(home)})
    assert tk.nvcc == str(home / "bin" / "nvcc") and tk.nvcc_version == "12.4"


def test_hanging_nvcc_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _nvcc(tmp_path / "bin", "sleep 30\n")
    monkeypatch.setattr(gpu, "NVCC_TIMEOUT", 0.3)
    t = time.perf_counter()
    tk = gpu.read_toolkit({"PATH": str(tmp_path / "bin")})
    assert time.perf_counter() - t < 5
    assert tk.nvcc_version is None and "did not finish" in (tk.error or "")


def test_variables_ld_library_path_and_compat(tmp_path: Path, nvml) -> None:
    nvml("no_driver")
    home = tmp_path / "cuda"
    (home / "compat").mkdir(parents=True)
    (home / "compat" / "libcuda.so.550.54.15").write_bytes(b"\x7fELF")
    (home / "compat" / "libcuda.so").write_bytes(b"\x7fELF")
    env = {
        "PATH": "",
        "CUDA_HOME": str(home),
        "CUDA_VISIBLE_DEVICES": "0,1",
        "CUBLAS_WORKSPACE_CONFIG": ":4096:8",
        "LD_LIBRARY_PATH": "/usr/local/cuda/lib64:/opt/lib:/usr/local/nvidia/lib64",
        "HOME": "/root",
    }
    facts, _ = scan(tmp_path, environ=env)
    assert facts.variables == {"CUDA_VISIBLE_DEVICES": "0,1", "CUBLAS_WORKSPACE_CONFIG": ":4096:8"}
    assert facts.ld_library_cuda == ("/usr/local/cuda/lib64", "/usr/local/nvidia/lib64")
    assert [(c.driver_version) for c in facts.compat_libs] == ["550.54.15"]


@pytest.mark.skipif(
    not Path("/usr/local/cuda/bin/nvcc").exists(), reason="no CUDA toolkit in /usr/local/cuda"
)
def test_real_toolkit_in_usr_local_cuda() -> None:
    tk = gpu.read_toolkit({"PATH": ""})
    out = subprocess.run(
        ["/usr/local/cuda/bin/nvcc", "--version"], capture_output=True, text=True, timeout=30
    )
    assert tk.nvcc == "/usr/local/cuda/bin/nvcc" and tk.error is None
    assert f"release {tk.nvcc_version}," in out.stdout


def test_no_driver_costs_no_pynvml_import(tmp_path: Path) -> None:
    """The <50 ms budget without a driver rests on this: neither pynvml (~100 ms to import)
    nor ctypes is imported unless a driver shows itself."""
    if any(Path(m).exists() for m in gpu.DRIVER_MARKERS):
        pytest.skip("an NVIDIA driver is loaded here")
    code = (
        "import sys; from envaudit.scanners import gpu; n = gpu.query_nvml();"
        "print(n.available, 'pynvml' in sys.modules, 'ctypes' in sys.modules); print(n.reason)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=str(Path(gpu.__file__).parents[2]),
    )
    flags, reason = out.stdout.splitlines()
    assert flags.split() == ["False", "False", "False"], out.stderr
    assert reason == "NVML unavailable: no NVIDIA driver loaded (/proc/driver/nvidia is absent)"


def test_driver_marker_present_but_no_library(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    if "pynvml" in sys.modules:
        monkeypatch.delitem(sys.modules, "pynvml")
    monkeypatch.setattr(gpu, "DRIVER_MARKERS", (str(tmp_path),))
    monkeypatch.setattr(gpu, "NVML_LIBRARY", "libenvaudit-no-such-nvml.so.1")
    n = gpu.query_nvml()
    assert not n.available and (n.reason or "").startswith(
        "NVML unavailable: NVML Shared Library Not Found ("
    )
    assert "pynvml" not in sys.modules
