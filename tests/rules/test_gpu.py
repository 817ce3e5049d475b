"""GPU001-GPU009: each fires on the scenario it is about and stays quiet on its near misses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from envaudit.config import Config
from envaudit.engine import CheckResult, run_check
from envaudit.inventory import Inventory
from envaudit.model import Severity
from envaudit.rules import get_rule
from envaudit.scanners import gpu
from tests.conftest import REPO, codes, write
from tests.fakes import fake_pynvml, sitepkgs

GPU_CODES = [f"GPU00{i}" for i in range(1, 10)]


@pytest.fixture
def gpu_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., CheckResult]:
    """`gpu_check(scenario, build=fn(site), environ=..., select=...)`: a real run_check over the
    fake NVML and a site-packages tree that `build` fills."""

    def run(
        scenario: str,
        build: Callable[[Path], object] | None = None,
        environ: dict[str, str] | None = None,
        select: str = "GPU,EA",
        files: dict[str, str] | None = None,
    ) -> CheckResult:
        fake_pynvml.load(scenario)
        monkeypatch.setattr(gpu, "load_nvml", lambda: fake_pynvml)
        # this machine's own /usr/local/cuda must not leak into the scenarios
        monkeypatch.setattr(gpu, "DEFAULT_CUDA_HOMES", ())
        monkeypatch.setattr(gpu, "COMPAT_GLOBS", ())
        root = tmp_path / "proj"
        root.mkdir(exist_ok=True)
        prefix, site = sitepkgs.venv(tmp_path)
        if build:
            build(site)
        if files:
            write(root, files)
        cfg = Config(select=tuple(select.split(",")))
        env = environ if environ is not None else {"PATH": ""}
        inv = Inventory(root, config=cfg, python=str(prefix), environ=env)
        return run_check(root, cfg, inventory=inv)

    return run


def only(result: CheckResult, code: str) -> list[str]:
    return [f.message for f in result.findings if f.code == code]


def cu121(site: Path) -> None:
    sitepkgs.torch(site, "2.3.1+cu121", "12.1")


def cu124(site: Path) -> None:
    sitepkgs.torch(site, "2.5.1+cu124", "12.4")


def cu130(site: Path) -> None:
    sitepkgs.torch(
        site, "2.9.0+cu130", "13.0", requires=[f"nvidia-cudnn-cu13==9.13.0.50; {sitepkgs.LINUX_X86}"]
    )


def cpu_torch(site: Path) -> None:
    sitepkgs.torch(site, "2.3.1+cpu", None)


# ------------------------------------------------------------------------- GPU001
def test_gpu001_a100s_on_driver_470_with_torch_cu121(gpu_check) -> None:
    res = gpu_check("a100x8_driver470", cu121)
    (msg,) = only(res, "GPU001")
    assert "torch 2.3.1+cu121 is built for CUDA 12.1" in msg
    assert "driver 470.82.01 supports CUDA 11.4 (major 11 < 12)" in msg
    assert "below the CUDA 12.x floor 525.60.13" in msg
    f = next(f for f in res.findings if f.code == "GPU001")
    assert f.severity is Severity.ERROR and f.fix and "530.30.02" in f.fix.description
    assert "GPU008" not in codes(res) and res.exit_code() == 1


def test_gpu001_newer_driver_runs_older_cuda(gpu_check) -> None:
    res = gpu_check("h100_driver580", cu121)
    assert not set(codes(res)) & {"GPU001", "GPU008", "GPU009"}


def test_gpu001_lifted_by_forward_compat_libcuda(gpu_check, tmp_path: Path) -> None:
    home = tmp_path / "cuda"
    (home / "compat").mkdir(parents=True)
    (home / "compat" / "libcuda.so.550.54.15").write_bytes(b"\x7fELF")
    res = gpu_check("a100x8_driver470", cu121, environ={"PATH": "", "CUDA_HOME": str(home)})
    assert "GPU001" not in codes(res)


def test_gpu001_compat_libcuda_too_old_does_not_lift(gpu_check, tmp_path: Path) -> None:
    compat = tmp_path / "compat-libs"
    compat.mkdir()
    (compat / "libcuda.so.470.82.01").write_bytes(b"\x7fELF")
    res = gpu_check("a100x8_driver470", cu121, environ={"PATH": "", "LD_LIBRARY_PATH": str(compat)})
    assert len(only(res, "GPU001")) == 1


def test_gpu001_tensorflow_and_jax_builds_too(gpu_check) -> None:
    def build(site: Path) -> None:
        sitepkgs.tensorflow(site, {"cuda_version": "12.3", "cudnn_version": "8", "is_cuda_build": True})
        sitepkgs.jax(site, "0.4.30", "jax-cuda12-plugin")

    msgs = only(gpu_check("a100x8_driver470", build), "GPU001")
    assert len(msgs) == 2
    assert any(m.startswith("tensorflow 2.16.1 is built for CUDA 12.3") for m in msgs)
    assert any(m.startswith("jax-cuda12-plugin 0.4.30 is built for CUDA 12 ") for m in msgs)


# ------------------------------------------------------------------------- GPU008
def test_gpu008_minor_version_compat_names_the_full_driver(gpu_check) -> None:
    res = gpu_check("mig_enabled", cu124)  # driver 535.104.05 = CUDA 12.2; torch cu124
    (msg,) = only(res, "GPU008")
    assert "driver 535.104.05 supports CUDA 12.2: it runs under minor-version compatibility" in msg
    assert "driver >= 550.54.14 (CUDA 12.4 GA) gives full support" in msg
    assert "GPU001" not in codes(res)


def test_gpu008_quiet_when_driver_cuda_is_new_enough(gpu_check) -> None:
    assert "GPU008" not in codes(gpu_check("mig_enabled", cu121))  # 12.1 on a 12.2 driver
    assert "GPU008" not in codes(gpu_check("mixed_models", cu124))  # 12.4 on a 12.4 driver


# ------------------------------------------------------------------------- GPU002
def test_gpu002_cpu_torch_on_gpu_host(gpu_check) -> None:
    (msg,) = only(gpu_check("h100_driver580", cpu_torch), "GPU002")
    assert msg == "1 NVIDIA GPU (NVIDIA H100 80GB HBM3) is present but torch 2.3.1+cpu is a CPU build"


def test_gpu002_rocm_torch_on_nvidia_host(gpu_check) -> None:
    (msg,) = only(
        gpu_check("h100_driver580", lambda s: sitepkgs.torch(s, "2.3.1+rocm6.0", None, hip="6.0.32830")),
        "GPU002",
    )
    assert msg.endswith("torch 2.3.1+rocm6.0 is a ROCm (AMD) build (HIP 6.0.32830)")


def test_gpu002_quiet_without_gpu_or_with_cuda_build(gpu_check) -> None:
    assert "GPU002" not in codes(gpu_check("no_driver", cpu_torch))
    assert "GPU002" not in codes(gpu_check("h100_driver580", cu121))


def test_gpu002_tensorflow_cpu_and_plain_jaxlib(gpu_check) -> None:
    def build(site: Path) -> None:
        sitepkgs.tensorflow(site, {"is_cuda_build": False, "is_rocm_build": False}, name="tensorflow-cpu")
        sitepkgs.jax(site, "0.4.30", None)

    msgs = only(gpu_check("a100x8_driver470", build), "GPU002")
    assert len(msgs) == 2 and all(
        m.startswith("8 NVIDIA GPUs (NVIDIA A100-SXM4-40GB) are present") for m in msgs
    )


# ------------------------------------------------------------------------- GPU003
def test_gpu003_cudnn_differs_from_torch_pin(gpu_check) -> None:
    def build(site: Path) -> None:
        cu121(site)
        sitepkgs.dist(site, "nvidia-cudnn-cu12", "9.5.1.17")

    (msg,) = only(gpu_check("no_driver", build), "GPU003")
    assert msg.startswith("torch 2.3.1+cu121 needs cuDNN 9.1.0.70")
    assert msg.endswith("but nvidia-cudnn-cu12 9.5.1.17 is installed")


def test_gpu003_quiet_when_matching(gpu_check) -> None:
    def build(site: Path) -> None:
        cu121(site)
        sitepkgs.dist(site, "nvidia-cudnn-cu12", "9.1.0.70")
        sitepkgs.tensorflow(site, {"cuda_version": "12.3", "cudnn_version": "9", "is_cuda_build": True})

    assert "GPU003" not in codes(gpu_check("no_driver", build))


def test_gpu003_tensorflow_major_and_jax_lower_bound(gpu_check) -> None:
    def build(site: Path) -> None:
        sitepkgs.tensorflow(site, {"cuda_version": "12.3", "cudnn_version": "9", "is_cuda_build": True})
        sitepkgs.jax(site, "0.4.30", "jax-cuda12-plugin", ['nvidia-cudnn-cu12>=9.1; extra == "with-cuda"'])
        sitepkgs.dist(site, "nvidia-cudnn-cu12", "8.9.7.29")

    msgs = only(gpu_check("no_driver", build), "GPU003")
    assert len(msgs) == 2


def test_gpu003_compares_the_cudnn_of_the_builds_cuda_major(gpu_check) -> None:
    def build(site: Path) -> None:
        cu130(site)  # pins nvidia-cudnn-cu13==9.13.0.50
        sitepkgs.dist(site, "nvidia-cudnn-cu12", "9.1.0.70")  # left over from a CUDA 12 stack
        sitepkgs.dist(site, "nvidia-cudnn-cu13", "9.13.0.50")

    assert "GPU003" not in codes(gpu_check("no_driver", build))


def test_gpu003_bundled_cudnn_is_not_compared(gpu_check) -> None:
    def build(site: Path) -> None:
        sitepkgs.torch(site, "1.13.1+cu117", "11.7", requires=[], bundled_cudnn="8")
        sitepkgs.dist(site, "nvidia-cudnn-cu11", "9.0.0.312")

    assert "GPU003" not in codes(gpu_check("no_driver", build))


# ------------------------------------------------------------------------- GPU004
def test_gpu004_mixed_models(gpu_check) -> None:
    res = gpu_check("mixed_models")
    (msg,) = only(res, "GPU004")
    assert msg == "2 GPU models on this host: NVIDIA A100-SXM4-80GB (GPU 0-3), NVIDIA RTX A6000 (GPU 4)"
    assert next(f for f in res.findings if f.code == "GPU004").severity is Severity.INFO


def test_gpu004_quiet_for_one_model(gpu_check) -> None:
    assert "GPU004" not in codes(gpu_check("a100x8_driver470"))


# ------------------------------------------------------------------------- GPU005
def _nvcc(tmp_path: Path, release: str) -> dict[str, str]:
    b = tmp_path / "bin"
    b.mkdir(exist_ok=True)
    (b / "nvcc").write_text(f'#!/bin/sh\necho "Cuda compilation tools, release {release}, V{release}.1"\n')
    (b / "nvcc").chmod(0o755)
    return {"PATH": str(b)}


def test_gpu005_nvcc_differs(gpu_check, tmp_path: Path) -> None:
    (msg,) = only(gpu_check("no_driver", cu121, environ=_nvcc(tmp_path, "11.8")), "GPU005")
    assert msg == "nvcc is CUDA 11.8 but torch 2.3.1+cu121 is built for CUDA 12.1"


def test_gpu005_quiet_when_same_or_absent(gpu_check, tmp_path: Path) -> None:
    assert "GPU005" not in codes(gpu_check("no_driver", cu121, environ=_nvcc(tmp_path, "12.1")))
    assert "GPU005" not in codes(gpu_check("no_driver", cu121))


# ------------------------------------------------------------------------- GPU006
def cu121_and_extra_wheels(site: Path) -> None:
    cu121(site)
    sitepkgs.dist(site, "nvidia-cudnn-cu12", "9.1.0.70")  # torch pins it exactly: fixed with torch
    sitepkgs.dist(site, "nvidia-nvjitlink-cu12", "12.5.82")  # nobody pins it


def test_gpu006_torch_pinned_without_variant_and_loose_nvidia_wheel(gpu_check) -> None:
    res = gpu_check(
        "no_driver", cu121_and_extra_wheels, files={"requirements.txt": "numpy==1.26.4\ntorch==2.3.1\n"}
    )
    found = {(f.location.path, f.location.line, f.message) for f in res.findings if f.code == "GPU006"}
    assert found == {
        (
            "requirements.txt",
            2,
            "torch is installed as 2.3.1+cu121 but pinned as `torch==2.3.1` with no CUDA variant or PyTorch CUDA index",
        ),
        (
            "requirements.txt",
            2,
            "nvidia-nvjitlink-cu12 12.5.82 is part of the installed CUDA stack but neither pinned in "
            "requirements.txt nor pinned exactly by an installed package",
        ),
    }
    fix = next(f.fix for f in res.findings if f.code == "GPU006" and f.message.startswith("torch"))
    assert "https://download.pytorch.org/whl/cu121" in fix.description


@pytest.mark.parametrize(
    "text",
    [
        "--index-url https://download.pytorch.org/whl/cu121\ntorch==2.3.1\nnvidia-nvjitlink-cu12==12.5.82\n",
        "torch==2.3.1+cu121\nnvidia-nvjitlink-cu12==12.5.82\n",
        "-r base.txt\ntorch==2.3.1\nnvidia-nvjitlink-cu12==12.5.82\n",
    ],
)
def test_gpu006_quiet_when_variant_or_index_pinned(gpu_check, text: str) -> None:
    files = {
        "requirements.txt": text,
        "base.txt": "--extra-index-url https://download.pytorch.org/whl/cu121\n",
    }
    res = gpu_check("no_driver", cu121_and_extra_wheels, files=files)
    assert "GPU006" not in codes(res)


def test_gpu006_cuda13_stack_pinned_through_cuda_toolkit(gpu_check) -> None:
    # torch's CUDA 13 wheels (as on PyPI) pin cuda-toolkit[...] exactly, and cuda-toolkit pins
    # the unsuffixed nvidia-* wheels per extra: nothing there is loose
    linux = 'platform_system == "Linux"'
    extra = '(sys_platform == "linux" and platform_machine == "x86_64") and extra == "cublas"'

    def build(site: Path) -> None:
        sitepkgs.torch(
            site,
            "2.15.0+cu130",
            "13.0",
            requires=[
                f"cuda-toolkit[cublas,cudart]==13.2.2; {linux}",
                f"nvidia-cudnn-cu13==9.26.0.51; {linux}",
            ],
        )
        sitepkgs.dist(site, "cuda-toolkit", "13.2.2", [f"nvidia-cublas==13.8.0.4.*; {extra}"])
        sitepkgs.dist(site, "nvidia-cublas", "13.8.0.4")
        sitepkgs.dist(site, "nvidia-cudnn-cu13", "9.26.0.51")

    files = {"requirements.txt": "torch==2.15.0+cu130\n"}
    res = gpu_check("h100_driver580", build, files=files)
    assert not {"GPU006", "GPU003", "GPU001", "GPU009"} & set(codes(res))


def test_gpu006_quiet_without_pins_or_cuda_torch(gpu_check) -> None:
    assert "GPU006" not in codes(
        gpu_check("no_driver", cu121_and_extra_wheels, files={"requirements.in": "torch\n"})
    )
    assert "GPU006" not in codes(
        gpu_check("no_driver", cpu_torch, files={"requirements.txt": "torch==2.3.1\n"})
    )


# ------------------------------------------------------------------------- GPU007
def test_gpu007_no_driver_is_one_info_and_nothing_else(gpu_check) -> None:
    res = gpu_check("no_driver", cu121, select="ALL")
    # other families judge the (empty) project itself; from the GPU stack and the scans: one info
    # (the test's environment has no PATH, so the git scan's own EA002 is not the GPU stack's)
    mine = [
        f
        for f in res.findings
        if f.code.startswith("GPU") or (f.code.startswith("EA") and "git" not in f.message)
    ]
    assert [f.code for f in mine] == ["GPU007"]
    (f,) = mine
    assert f.severity is Severity.INFO and "NVML Shared Library Not Found" in f.message


def test_gpu007_real_binding_without_driver(tmp_path: Path) -> None:
    # no fake at all: this machine's real nvidia-ml-py, no driver (or a real one where lent)
    root = tmp_path / "p"
    root.mkdir()
    res = run_check(root, Config(select=("GPU",)))
    assert "EA003" not in codes(res)
    if not res.inventory.get("gpu").nvml.available:
        assert [c for c in codes(res) if c != "GPU005"] == ["GPU007"]


def test_gpu007_quiet_with_a_driver(gpu_check) -> None:
    assert "GPU007" not in codes(gpu_check("h100_driver580"))


def test_nvml_error_midway_is_partial_not_a_crash(gpu_check) -> None:
    res = gpu_check("nvml_error_midway", cu121)
    c = codes(res)
    assert "EA003" not in c and "GPU007" not in c
    ea2 = only(res, "EA002")
    assert any("nvmlDeviceGetMemoryInfo on GPU 2 failed (GPU is lost)" in m for m in ea2)
    assert any("nvmlDeviceGetCudaComputeCapability on GPU 3" in m for m in ea2)


def test_hung_nvml_reports_gpu007(gpu_check, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gpu, "NVML_TIMEOUT", 0.3)
    try:
        (msg,) = only(gpu_check("hang", cu121), "GPU007")
    finally:
        fake_pynvml.release_hang.set()
    assert "did not answer within 0.3 s" in msg


# ------------------------------------------------------------------------- GPU009
def test_gpu009_cuda13_build_on_v100(gpu_check) -> None:
    res = gpu_check("v100_driver580", cu130)
    (msg,) = only(res, "GPU009")
    assert msg.startswith("GPU 0 (Tesla V100-SXM2-32GB, compute capability 7.0) is below 7.5")
    assert "torch 2.9.0+cu130 is built for CUDA 13.0" in msg


def test_gpu009_quiet_for_cuda12_on_v100_and_cuda13_on_h100(gpu_check) -> None:
    assert "GPU009" not in codes(gpu_check("v100_driver580", cu121))
    assert "GPU009" not in codes(gpu_check("h100_driver580", cu130))


TF_CAPS = ["sm_50", "sm_60", "sm_70", "sm_75", "compute_80"]


def tf_with_caps(site: Path) -> None:
    info = {
        "cuda_version": "12.3",
        "cudnn_version": "8",
        "is_cuda_build": True,
        "cuda_compute_capabilities": TF_CAPS,
    }
    sitepkgs.tensorflow(site, info)


def one_gpu(name: str, cc: tuple[int, int]) -> dict:
    dev = {
        "name": name,
        "uuid": "GPU-0",
        "memory_total": 2**34,
        "compute_capability": list(cc),
        "mig": None,
        "ecc": None,
    }
    return {"driver_version": "580.65.06", "cuda_driver_version": 13000, "devices": [dev]}


def test_gpu009_tensorflow_without_code_for_the_gpu(gpu_check) -> None:
    (msg,) = only(gpu_check(one_gpu("Tesla K80", (3, 7)), tf_with_caps), "GPU009")
    assert msg.startswith("GPU 0 (Tesla K80, compute capability 3.7) has no code in tensorflow 2.16.1")


@pytest.mark.parametrize(
    ("name", "cc"), [("Tesla V100", (7, 0)), ("NVIDIA H100", (9, 0)), ("GTX 1080", (6, 1))]
)
def test_gpu009_tensorflow_sass_or_ptx_covers_the_gpu(gpu_check, name: str, cc: tuple[int, int]) -> None:
    # sm_70 runs on 7.0, compute_80 PTX is JIT-compiled for 9.0, sm_60 SASS runs on 6.1
    assert "GPU009" not in codes(gpu_check(one_gpu(name, cc), tf_with_caps))


# ------------------------------------------------------------------- explain text
@pytest.mark.parametrize("code", GPU_CODES)
def test_every_gpu_rule_is_explained(code: str) -> None:
    r = get_rule(code)
    assert r is not None and r.family == "GPU"
    assert len(r.explanation) > 200 and r.example and r.fix


# ----------------------------------------------------------- no framework imported
def test_check_never_imports_torch_tensorflow_or_jax(tmp_path: Path) -> None:
    venv, site = sitepkgs.venv(tmp_path)
    cu121(site)
    sitepkgs.tensorflow(site, {"cuda_version": "12.3", "cudnn_version": "8", "is_cuda_build": True})
    sitepkgs.jax(site, "0.4.30", "jax-cuda12-plugin")
    proj = tmp_path / "proj"
    proj.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    # the fake frameworks are importable in the child: importing one by mistake would succeed
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), str(site)])
    env["PATH"] = str(_nvcc(tmp_path, "11.8")["PATH"]) + os.pathsep + env.get("PATH", "")
    code = (
        "import json, sys\n"
        "from envaudit.cli import main\n"
        f"sys.argv = ['envaudit', 'check', {str(proj)!r}, '--python', {str(venv)!r}, '--format', 'json', '--exit-zero']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(json.dumps(sorted(m for m in ('torch', 'tensorflow', 'jax', 'jaxlib') if m in sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    report, _, imported = out.stdout.rpartition("\n[")
    assert json.loads("[" + imported) == []
    # and the frameworks were read: nvcc 11.8 against all three CUDA 12 builds
    assert report.count("GPU005") >= 3, out.stdout
