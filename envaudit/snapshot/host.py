"""Host facts for the snapshot: OS, kernel, CPU, memory (from /proc and `platform`).

No scanner domain of envaudit covers the machine itself, so the snapshot reads
these few stable facts here. Nothing volatile (free memory, load, uptime) is
recorded: two snapshots of one machine must agree.
"""

from __future__ import annotations

import os
import platform
import subprocess
from typing import Any

from envaudit._lazyre import lazy_re


def _read(path: str) -> str | None:
    from envaudit import safeio

    return safeio.read_text_or_none(path, safeio.SMALL_LIMIT)


def os_release(text: str | None) -> str | None:
    """PRETTY_NAME of /etc/os-release (`Debian GNU/Linux 12 (bookworm)`)."""
    if not text:
        return None
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "PRETTY_NAME":
            return value.strip().strip("\"'") or None
    return None


def cpu_model(cpuinfo: str | None) -> str | None:
    """The first `model name` (x86) or `Model`/`Hardware` (ARM) line of /proc/cpuinfo."""
    if not cpuinfo:
        return None
    found: dict[str, str] = {}
    for line in cpuinfo.splitlines():
        key, sep, value = line.partition(":")
        key = key.strip()
        if sep and key in ("model name", "Model", "Hardware", "cpu model") and key not in found:
            found[key] = " ".join(value.split())
    for key in ("model name", "cpu model", "Model", "Hardware"):
        if found.get(key):
            return found[key]
    return None


def mem_total(meminfo: str | None) -> int | None:
    """MemTotal of /proc/meminfo in bytes."""
    if not meminfo:
        return None
    for line in meminfo.splitlines():
        if line.startswith("MemTotal:"):
            parts = line.split()
            if len(parts) >= 2 and parts[1].isdigit():
                unit = parts[2].lower() if len(parts) > 2 else "kb"
                return int(parts[1]) * (1024 if unit == "kb" else 1)
    return None


def cpu_flags(cpuinfo: str | None) -> list[str]:
    """The CPU's feature flags (x86 `flags`, ARM `Features`), sorted: AVX-512 or not
    changes which kernels MKL/oneDNN pick, and so the last bits of results."""
    if not cpuinfo:
        return []
    for line in cpuinfo.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() in ("flags", "Features"):
            return sorted(set(value.split()))
    return []


_VERSION = lazy_re(r"(?<!\d)\d+\.\d+(?:\.\d+)?")


def tool_version(tool: str, timeout: float = 5.0, avoid: tuple[object, ...] = ()) -> str | None:
    """First line of `tool --version` (gcc, clang, cmake: what builds extensions), or None.
    Never one the audited project (`avoid`: its root) could have planted (`envaudit.toolpath`)."""
    from envaudit.toolpath import which

    exe = which(tool, None, avoid)  # type: ignore[arg-type]
    if exe is None:
        return None
    try:
        proc = subprocess.run(
            [exe, "--version"], capture_output=True, text=True, timeout=timeout, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    first = (proc.stdout or proc.stderr).strip().splitlines()
    return first[0].strip() if proc.returncode == 0 and first else None


TOOLS = ("gcc", "clang", "cmake")


def compilers() -> dict[str, str | None]:
    """gcc, clang and cmake versions, asked concurrently (cmake alone takes ~60 ms)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=len(TOOLS)) as pool:
        return dict(zip(TOOLS, pool.map(tool_version, TOOLS), strict=True))


def host_info(toolchain: dict[str, str | None] | None = None) -> dict[str, Any]:
    """The host's facts; `toolchain` when the caller already asked for it (in the background)."""
    uname = platform.uname()
    cpuinfo = _read("/proc/cpuinfo")
    libc, libc_version = platform.libc_ver() if uname.system == "Linux" else ("", "")
    return {
        "hostname": uname.node or None,
        "os": uname.system or None,
        "distribution": os_release(_read("/etc/os-release") or _read("/usr/lib/os-release")),
        "kernel": uname.release or None,
        "kernel_version": uname.version or None,
        "machine": uname.machine or None,
        "platform": platform.platform(),
        "libc": f"{libc} {libc_version}".strip() or None,
        "cpu_model": cpu_model(cpuinfo) or platform.processor() or None,
        "cpu_flags": cpu_flags(cpuinfo),
        "cpu_count": os.cpu_count(),
        "memory_total": mem_total(_read("/proc/meminfo")),
        "toolchain": compilers() if toolchain is None else toolchain,
    }
