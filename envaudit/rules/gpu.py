"""GPU: the CUDA stack the frameworks were built for against what the machine has.

Facts come from `envaudit.scanners.gpu` (NVML, framework build files, nvidia-*
wheels, the toolkit); the driver table from `envaudit.cudacompat` (NVIDIA's
release notes, kept as data). Errors only where CUDA cannot work at all;
minor-version compatibility is a warning (ANCHORS.md, "Compatibility rule").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from envaudit._lazyre import lazy_re
from envaudit.model import Fix, Hit, Location, Severity
from envaudit.rules import rule

if TYPE_CHECKING:
    from envaudit.inventory import Inventory
    from envaudit.scanners.gpu import FrameworkBuild, GpuFacts


def _facts(inv: Inventory) -> GpuFacts:
    facts: GpuFacts = inv.get("gpu")
    return facts


def _label(b: FrameworkBuild) -> str:
    v = f" {b.version}" if b.version else ""
    return f"{b.dist}{v}"


def _cuda_builds(facts: GpuFacts) -> list[FrameworkBuild]:
    return [b for b in facts.frameworks if b.kind == "cuda" and b.cuda_major is not None]


def _vt(text: str | None) -> tuple[int, ...]:
    from envaudit.cudacompat import version_tuple

    return version_tuple(text)


def _compat_supports(facts: GpuFacts, major: int, minor: int | None) -> str | None:
    """A forward-compatibility libcuda new enough for this CUDA, if one is installed."""
    from envaudit.cudacompat import cuda_for_driver

    for lib in facts.compat_libs:
        cuda = cuda_for_driver(lib.driver_version or "")
        if cuda and (cuda[0] > major or (cuda[0] == major and (minor is None or cuda[1] >= minor))):
            return lib.path
    return None


def _driver_fix(b: FrameworkBuild) -> Fix:
    from envaudit.cudacompat import family_floor, full_support_driver

    major = b.cuda_major
    full = full_support_driver(b.cuda or "") if b.cuda and "." in b.cuda else None
    floor = family_floor(major) if major is not None else None
    if full:
        need = f"install NVIDIA driver >= {full.driver} (shipped with {full.release})"
    elif floor:
        need = f"install NVIDIA driver >= {floor} (the CUDA {major}.x minor-version-compatibility floor)"
    else:
        need = "install a newer NVIDIA driver"
    return Fix(
        f"{need}; or install the {b.framework} build for the CUDA this driver supports; "
        "or, on data-center GPUs, the cuda-compat forward-compatibility package"
    )


@rule(
    "GPU001",
    "driver-too-old",
    Severity.ERROR,
    summary="The NVIDIA driver cannot run the CUDA the framework was built for",
    explanation="""
        A framework wheel carries its own CUDA runtime (cudart, cuBLAS, cuDNN) but uses the
        machine's driver (libcuda). A driver runs every CUDA older than its own and, through
        NVIDIA's minor-version compatibility, newer minors of its own major, as long as it is
        at least the family floor (11.x: 450.80.02, 12.x: 525.60.13, 13.x: 580.65.06). It
        cannot run a newer CUDA major at all: `torch.cuda.is_available()` turns False (or the
        first kernel fails with "CUDA driver version is insufficient for CUDA runtime
        version"), and the code silently runs on the CPU or not at all.

        envaudit reads the driver and the CUDA it supports through NVML, and the framework's
        CUDA from its files (torch/version.py, tensorflow's build_info.py, the jax CUDA
        plugin wheels). A forward-compatibility libcuda (the cuda-compat package, found in
        <cuda home>/compat or a compat directory on LD_LIBRARY_PATH) new enough for the
        build lifts the error: that is NVIDIA's supported way to run a newer CUDA on an
        older data-center driver. The minimum drivers come from NVIDIA's CUDA Toolkit
        release notes, kept as data in envaudit/data/cuda_drivers.json.
    """,
    example="""
        .venv: driver-too-old: torch 2.3.1+cu121 is built for CUDA 12.1 but driver
        470.82.01 supports CUDA 11.4 (major 11 < 12) and is below the CUDA 12.x floor 525.60.13
    """,
    fix="""
        Upgrade the driver to at least the version the message names (NVIDIA's table), or
        install the framework build for the CUDA the driver has (e.g. torch from the cu118
        index for a CUDA 11 driver), or on data-center GPUs install cuda-compat.
    """,
)
def driver_too_old(inv: Inventory) -> Iterator[Hit]:
    from envaudit.cudacompat import family_floor

    facts = _facts(inv)
    nvml = facts.nvml
    if not nvml.available or (not nvml.devices and nvml.device_count == 0):
        return
    driver_cuda = nvml.driver_cuda
    driver = nvml.driver_version
    for b in _cuda_builds(facts):
        major = b.cuda_major
        assert major is not None
        minor_t = _vt(b.cuda)
        minor = minor_t[1] if len(minor_t) > 1 else None
        problems = []
        if driver_cuda is not None and driver_cuda[0] < major:
            problems.append(
                f"driver {driver or '?'} supports CUDA {driver_cuda[0]}.{driver_cuda[1]} (major {driver_cuda[0]} < {major})"
            )
        floor = family_floor(major)
        if driver and floor and _vt(driver) < _vt(floor):
            if problems:
                problems.append(f"is below the CUDA {major}.x floor {floor}")
            else:
                problems.append(f"driver {driver} is below the CUDA {major}.x floor {floor}")
        if not problems:
            continue
        compat = _compat_supports(facts, major, minor)
        if compat:
            continue
        yield Hit(
            f"{_label(b)} is built for CUDA {b.cuda} but " + " and ".join(problems),
            fix=_driver_fix(b),
            fact=b,
        )


@rule(
    "GPU002",
    "cpu-build-on-gpu-host",
    Severity.WARNING,
    summary="An NVIDIA GPU is present but the framework installed is a CPU build",
    explanation="""
        `pip install torch` from the wrong index, `tensorflow-cpu`, or jaxlib without a CUDA
        plugin give a framework that never touches the GPU. Training still runs, many times
        slower, and numbers differ from the GPU run the paper reports (other kernels, other
        reduction orders). envaudit compares the devices NVML sees with the build read from the
        framework's own files (torch/version.py `cuda`, tensorflow's build_info
        `is_cuda_build`, the jax-cudaNN-plugin wheels).
    """,
    example="""
        .venv: cpu-build-on-gpu-host: 1 NVIDIA GPU (NVIDIA H100 80GB HBM3) is present
        but torch 2.3.1+cpu is a CPU build
    """,
    fix="""
        Install the CUDA build: torch from https://download.pytorch.org/whl/cu121 (or the
        default PyPI wheel on Linux), `tensorflow[and-cuda]`, `jax[cuda12]`; pin it with its
        CUDA variant.
    """,
)
def cpu_build_on_gpu_host(inv: Inventory) -> Iterator[Hit]:
    facts = _facts(inv)
    devs = facts.nvml.devices
    if not facts.nvml.available or not devs:
        return
    names = sorted({d.name or "unknown model" for d in devs})
    for b in facts.frameworks:
        if b.kind not in ("cpu", "rocm"):
            continue
        what = "a CPU build" if b.kind == "cpu" else f"a ROCm (AMD) build (HIP {b.hip})"
        yield Hit(
            f"{len(devs)} NVIDIA GPU{'s' if len(devs) != 1 else ''} ({', '.join(names)}) "
            f"{'is' if len(devs) == 1 else 'are'} present but {_label(b)} is {what}",
            fix=Fix(f"install the CUDA build of {b.framework} and pin it with its CUDA variant"),
            fact=b,
        )


def _matches(required: str, installed: str) -> bool:
    """`required` is a pin (9.1.0.70), a major (8) or a major.minor (8.9): a prefix match."""
    r, i = _vt(required), _vt(installed)
    return bool(r) and i[: len(r)] == r


@rule(
    "GPU003",
    "cudnn-mismatch",
    Severity.WARNING,
    summary="The cuDNN the framework was built with differs from the cuDNN installed",
    explanation="""
        CUDA builds of torch pin the exact nvidia-cudnn wheel they were built and tested with
        (Requires-Dist `nvidia-cudnn-cu12==9.1.0.70`); tensorflow records its cuDNN in
        build_info.py. Installing another nvidia-cudnn (an upgrade pulled in by another
        package, a `pip install -U`) gives other convolution algorithms and so other numbers,
        or a load error when the major differs. envaudit compares the version the framework's
        files name with the installed nvidia-cudnn-* wheel (jax plugins state only a lower
        bound, so only a cuDNN below it counts there).
    """,
    example="""
        .venv: cudnn-mismatch: torch 2.3.1 needs cuDNN 9.1.0.70 (torch-2.3.1.dist-info/METADATA)
        but nvidia-cudnn-cu12 9.5.1.17 is installed
    """,
    fix="""
        Reinstall the pinned cuDNN (`pip install nvidia-cudnn-cu12==9.1.0.70`) and pin it in
        the lockfile next to the framework.
    """,
)
def cudnn_mismatch(inv: Inventory) -> Iterator[Hit]:
    facts = _facts(inv)
    for b in _cuda_builds(facts):
        installed = facts.wheel("nvidia-cudnn", b.cuda_major)
        if not b.cudnn or installed is None:
            continue
        if b.cudnn_source and "lower bound" in b.cudnn_source:
            if _vt(installed.version) >= _vt(b.cudnn):
                continue
        elif _matches(b.cudnn, installed.version):
            continue
        if b.cudnn_source and b.cudnn_source.startswith("torch/lib/"):
            continue  # the wheel bundles its own libcudnn; the nvidia-* one is not what it loads
        from envaudit.pipcmd import pip_command

        spec = f"'{installed.name}=={b.cudnn}'"
        yield Hit(
            f"{_label(b)} needs cuDNN {b.cudnn} ({b.cudnn_source}) but {installed.name} "
            f"{installed.version} is installed",
            fix=Fix(f"`{pip_command(inv, inv.get('python'), 'install', spec)}` and pin it next to {b.dist}")
            if b.cudnn.count(".") >= 2 and "lower bound" not in (b.cudnn_source or "")
            else Fix(f"install an {installed.name} release matching cuDNN {b.cudnn} and pin it"),
            fact=b,
        )


@rule(
    "GPU004",
    "mixed-gpus",
    Severity.INFO,
    summary="The host has more than one GPU model",
    explanation="""
        Different GPU models run different kernels (cuBLAS and cuDNN pick algorithms per
        architecture), so the same code gives slightly different numbers depending on which
        device a process lands on, and data-parallel training is paced by the slowest card.
        Worth recording, and worth pinning with CUDA_VISIBLE_DEVICES when results must match.
    """,
    example="""
        .venv: mixed-gpus: 2 GPU models on this host: NVIDIA A100-SXM4-80GB (GPU 0-3),
        NVIDIA RTX A6000 (GPU 4)
    """,
    fix="""
        Select one model with CUDA_VISIBLE_DEVICES for runs that must be comparable, and record
        which GPUs a result came from.
    """,
)
def mixed_gpus(inv: Inventory) -> Iterator[Hit]:
    facts = _facts(inv)
    by_name: dict[str, list[int]] = {}
    for d in facts.nvml.devices:
        if d.name:
            by_name.setdefault(d.name, []).append(d.index)
    if len(by_name) < 2:
        return
    parts = [f"{name} (GPU {_ranges(ix)})" for name, ix in sorted(by_name.items())]
    yield Hit(
        f"{len(by_name)} GPU models on this host: " + ", ".join(parts),
        fix=Fix("select one model with CUDA_VISIBLE_DEVICES for runs that must be comparable"),
    )


def _ranges(ix: list[int]) -> str:
    ix = sorted(ix)
    out, start, prev = [], ix[0], ix[0]
    for i in [*ix[1:], None]:
        if i is not None and i == prev + 1:
            prev = i
            continue
        out.append(f"{start}" if start == prev else f"{start}-{prev}")
        if i is not None:
            start = prev = i
    return ",".join(out)


@rule(
    "GPU005",
    "cuda-toolkit-mismatch",
    Severity.INFO,
    summary="The CUDA toolkit (nvcc) differs from the CUDA the framework was built for",
    explanation="""
        Framework wheels bring their own CUDA runtime, so nvcc does not matter to them, but it
        does for compiled extensions (torch.utils.cpp_extension, apex, flash-attn, custom
        kernels): torch refuses to build with a different CUDA major and a different minor
        can miss features or mislink. envaudit reads `nvcc --version` (and
        /usr/local/cuda/version.json) and compares major.minor with the framework's build.
    """,
    example="""
        .venv: cuda-toolkit-mismatch: nvcc is CUDA 11.8 but torch 2.3.1+cu121 is built for CUDA 12.1
    """,
    fix="""
        Install the toolkit matching the framework (or point CUDA_HOME at one), or ignore
        GPU005 when no extension is compiled here.
    """,
)
def cuda_toolkit_mismatch(inv: Inventory) -> Iterator[Hit]:
    facts = _facts(inv)
    tk = facts.toolkit.version
    if not tk:
        return
    for b in _cuda_builds(facts):
        want = _vt(b.cuda)
        have = _vt(tk)
        n = min(2, len(want))
        if want[:n] == have[:n]:
            continue
        where = "nvcc" if facts.toolkit.nvcc_version else f"{facts.toolkit.home}/version.json"
        yield Hit(
            f"{where} is CUDA {tk} but {_label(b)} is built for CUDA {b.cuda}",
            fix=Fix(f"install CUDA toolkit {b.cuda} (or set CUDA_HOME to one) before compiling extensions"),
            fact=b,
        )


@rule(
    "GPU006",
    "gpu-stack-unpinned",
    Severity.WARNING,
    summary="The CUDA wheels of the GPU stack are not pinned with the framework",
    explanation="""
        A CUDA build of a framework is more than `torch==2.3.1`: the same version exists as
        +cu118, +cu121 and +cpu on different indexes, and the nvidia-* wheels (cuDNN, cuBLAS,
        NCCL) it pulls in change numerics between releases. A lockfile that pins the
        framework without its CUDA variant (a `+cuXXX` local version or the index it came
        from) or leaves installed nvidia-* wheels unpinned does not reproduce the GPU stack.
        envaudit reads the installed CUDA build and the project's pin files.
    """,
    example="""
        requirements.txt:4: gpu-stack-unpinned: torch is installed as 2.3.1+cu121 but pinned
        as torch==2.3.1 with no CUDA variant or PyTorch CUDA index
    """,
    fix="""
        Pin the variant (`torch==2.3.1+cu121` with `--index-url https://download.pytorch.org/whl/cu121`)
        and pin every installed nvidia-* wheel (`pip freeze` / pip-compile of the CUDA
        environment).
    """,
)
def gpu_stack_unpinned(inv: Inventory) -> Iterator[Hit]:
    facts = _facts(inv)
    torch = next((b for b in _cuda_builds(facts) if b.framework == "torch"), None)
    if torch is None:
        return
    reqs = inv.get("requirements")
    pins = [d for d in reqs.requirements if d.role == "pin" and d.applies]
    torch_pins = [d for d in pins if d.name == "torch"]
    if not torch_pins:
        return  # not pinned at all is DEP's finding, not a GPU one
    variant = "+" in (torch.version or "")
    for d in torch_pins:
        if "+" in d.specifier or d.url or not variant:
            continue
        if any(_is_cuda_index(opt) for f in reqs.closure(d.path) for opt in _options(reqs, f)):
            continue
        local = (torch.version or "").split("+", 1)[-1]
        yield Hit(
            f"torch is installed as {torch.version} but pinned as `{d.raw}` with no CUDA variant "
            "or PyTorch CUDA index",
            Location(d.path, d.line),
            Fix(
                f"pin torch=={torch.version} and add `--index-url https://download.pytorch.org/whl/{local}` "
                f"to {d.path}"
            ),
            fact=torch,
        )
    pinned = {d.name for d in pins}
    exact_by_dists = _exactly_required(inv)
    first = torch_pins[0]
    for w in facts.cuda_wheels:
        if w.name in pinned or w.name in exact_by_dists:
            continue
        yield Hit(
            f"{w.name} {w.version} is part of the installed CUDA stack but neither pinned in "
            f"{first.path} nor pinned exactly by an installed package",
            Location(first.path, first.line),
            Fix(f"add {w.name}=={w.version} to {first.path} (pip freeze / pip-compile of this environment)"),
        )


def _options(reqs: Any, path: str) -> tuple[str, ...]:
    f = reqs.file(path)
    return tuple(getattr(f, "options", ()) or ())


def _is_cuda_index(option: str) -> bool:
    return "download.pytorch.org/whl/cu" in option or "download.pytorch.org/whl/rocm" in option


_EXACT = lazy_re(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*\(?\s*===?\s*[0-9]")


def _exactly_required(inv: Inventory) -> set[str]:
    """Names some installed distribution requires with an `==` pin, extras included (torch
    pins its CUDA 12 nvidia-* wheels this way; for CUDA 13 it pins `cuda-toolkit[...]`,
    which pins the unsuffixed nvidia-* wheels per extra as `==13.8.0.4.*`): they are
    fixed once torch is."""
    out: set[str] = set()
    for dist in inv.get("packages").dists:
        for req in dist.requires:
            m = _EXACT.match(req)
            if m:
                out.add(re.sub(r"[-_.]+", "-", m.group(1)).lower())
    return out


@rule(
    "GPU007",
    "nvml-unavailable",
    Severity.INFO,
    summary="No NVIDIA driver (NVML) found here; GPU facts were skipped",
    explanation="""
        The driver, the CUDA it supports and the GPUs are read through NVML (the library
        nvidia-smi uses). Without a driver (CI runners, laptops, containers started without
        the NVIDIA runtime) envaudit cannot check whether the framework's CUDA will run, so it
        says so once instead of guessing; the framework, cuDNN and toolkit facts are still
        read from disk. A hung NVML is bounded by a timeout and reported here too.
    """,
    example="""
        .venv: nvml-unavailable: NVML unavailable: NVML Shared Library Not Found; driver
        and GPU checks (GPU001, GPU002, GPU004, GPU008, GPU009) skipped
    """,
    fix="""
        Nothing to do on a machine without a GPU. On a GPU machine install the NVIDIA driver,
        or start the container with `--gpus all` (NVIDIA Container Toolkit); ignore GPU007 in
        CI.
    """,
)
def nvml_unavailable(inv: Inventory) -> Iterator[Hit]:
    nvml = _facts(inv).nvml
    if not nvml.available:
        yield Hit(
            f"{nvml.reason or 'NVML unavailable'}; driver and GPU checks "
            "(GPU001, GPU002, GPU004, GPU008, GPU009) skipped"
        )


@rule(
    "GPU008",
    "minor-version-compat",
    Severity.WARNING,
    summary="The driver runs the framework's CUDA only through minor-version compatibility",
    explanation="""
        The driver's CUDA is older than the framework's but of the same major and above the
        family floor, so NVIDIA's minor-version compatibility lets it run: the CUDA runtime of
        the wheel talks to an older libcuda. It works with limits: PTX newer than the driver
        cannot be JIT-compiled (kernels shipped only as PTX for a new architecture fail),
        and APIs added in the newer minor return "not supported". The numbers may also differ
        from a machine with the full driver. The message names the driver that ships with
        the framework's CUDA (NVIDIA's release notes table) and so supports it fully.
    """,
    example="""
        .venv: minor-version-compat: torch 2.5.1+cu124 is built for CUDA 12.4 but driver
        535.104.05 supports CUDA 12.2: it runs under minor-version compatibility (no JIT of newer
        PTX); driver >= 550.54.14 (CUDA 12.4 GA) gives full support
    """,
    fix="""
        Upgrade the driver to the version named (or newer), or use the framework build for the
        driver's CUDA minor where one exists.
    """,
)
def minor_version_compat(inv: Inventory) -> Iterator[Hit]:
    from envaudit.cudacompat import family_floor, full_support_driver

    facts = _facts(inv)
    nvml = facts.nvml
    driver_cuda = nvml.driver_cuda
    if not nvml.available or driver_cuda is None:
        return
    for b in _cuda_builds(facts):
        want = _vt(b.cuda)
        if len(want) < 2 or want[0] != driver_cuda[0] or want[:2] <= driver_cuda:
            continue
        floor = family_floor(want[0])
        if floor and nvml.driver_version and _vt(nvml.driver_version) < _vt(floor):
            continue  # below the floor: GPU001's error, not this warning
        if _compat_supports(facts, want[0], want[1]):
            continue
        full = full_support_driver(want)
        need = f"; driver >= {full.driver} ({full.release}) gives full support" if full else ""
        yield Hit(
            f"{_label(b)} is built for CUDA {b.cuda} but driver {nvml.driver_version or '?'} supports "
            f"CUDA {driver_cuda[0]}.{driver_cuda[1]}: it runs under minor-version compatibility "
            f"(no JIT of newer PTX){need}",
            fix=Fix(
                f"upgrade the NVIDIA driver to >= {full.driver}" if full else "upgrade the NVIDIA driver"
            ),
            fact=b,
        )


@rule(
    "GPU009",
    "arch-unsupported",
    Severity.ERROR,
    summary="A GPU's compute capability is below what the framework's CUDA build supports",
    explanation="""
        Each CUDA major drops old GPU architectures: CUDA 13 builds no code for compute
        capability below 7.5 (Maxwell, Pascal and Volta: GTX 10xx, P100, V100), so a CUDA 13
        wheel finds no kernel image for those GPUs ("no kernel image is available for
        execution on the device"). envaudit compares each GPU's compute capability (NVML)
        with the framework's CUDA major, and with tensorflow's recorded
        cuda_compute_capabilities where present.
    """,
    example="""
        .venv: arch-unsupported: GPU 0 (Tesla V100-SXM2-32GB, compute capability 7.0)
        is below 7.5, the minimum of CUDA 13 builds, but torch 2.9.0+cu130 is built for CUDA 13.0
    """,
    fix="""
        Use a CUDA 12 build of the framework on these GPUs (e.g. torch from the cu126 index),
        or move to GPUs of compute capability 7.5 or newer.
    """,
)
def arch_unsupported(inv: Inventory) -> Iterator[Hit]:
    facts = _facts(inv)
    if not facts.nvml.available:
        return
    for b in _cuda_builds(facts):
        major = b.cuda_major
        assert major is not None
        floor = MIN_COMPUTE_CAPABILITY.get(major)
        for d in facts.nvml.devices:
            cc = d.compute_capability
            if cc is None:
                continue
            where = f"GPU {d.index} ({d.name or 'unknown model'}, compute capability {cc[0]}.{cc[1]})"
            if floor is not None and cc < floor:
                yield Hit(
                    f"{where} is below {floor[0]}.{floor[1]}, the minimum of CUDA {major} builds, but "
                    f"{_label(b)} is built for CUDA {b.cuda}",
                    fix=Fix(f"use a CUDA {major - 1} build of {b.framework} on this GPU"),
                    fact=b,
                )
            elif b.compute_capabilities and _built_for(b.compute_capabilities, cc) is False:
                yield Hit(
                    f"{where} has no code in {_label(b)}, built for {', '.join(b.compute_capabilities)}",
                    fix=Fix(
                        f"use a {b.framework} build that includes sm_{cc[0]}{cc[1]} (or build it from source)"
                    ),
                    fact=b,
                )


_ARCH = lazy_re(r"^(sm|compute)_(\d+)(\d)[a-z]?$")


def _built_for(caps: tuple[str, ...], cc: tuple[int, int]) -> bool | None:
    """Whether a build for `caps` (tensorflow's `sm_70`, `compute_80`) runs on `cc`: SASS
    for the same major and an equal or older minor, or PTX for an equal or older
    architecture (the driver JIT-compiles it). None when no entry can be read."""
    parsed = [(m.group(1), (int(m.group(2)), int(m.group(3)))) for c in caps if (m := _ARCH.match(c.strip()))]
    if not parsed:
        return None
    for kind, arch in parsed:
        if kind == "sm" and arch[0] == cc[0] and arch[1] <= cc[1]:
            return True
        if kind == "compute" and arch <= cc:
            return True
    return False


# The oldest compute capability each CUDA major still builds code for.
MIN_COMPUTE_CAPABILITY: dict[int, tuple[int, int]] = {13: (7, 5)}
