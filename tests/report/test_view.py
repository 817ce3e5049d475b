"""The environment summary reads whatever domains exist, cheaply, and redacts them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from envaudit.config import Config
from envaudit.inventory import Inventory
from envaudit.report._view import environment_summary


@dataclass(frozen=True)
class Device:
    index: int
    name: str
    memory_total: int


@dataclass(frozen=True)
class Nvml:
    available: bool
    driver_version: str | None = None
    cuda_driver_version: int | None = None
    devices: tuple[Device, ...] = ()
    reason: str | None = None


@dataclass(frozen=True)
class Build:
    framework: str
    version: str
    kind: str
    cuda: str | None
    cudnn: str | None


@dataclass(frozen=True)
class Gpu:
    nvml: Nvml
    frameworks: tuple[Build, ...] = ()


@dataclass(frozen=True)
class Git:
    is_repo: bool = True
    head: str | None = "0123456789abcdef0123456789abcdef01234567"
    branch: str | None = "main"
    detached: bool = False
    dirty_count: int = 2
    untracked_count: int = 1
    remotes: tuple[str, ...] = field(default=())


def test_summary_from_every_domain_redacted(tmp_path: Path) -> None:
    inv = Inventory(tmp_path, config=Config())
    inv.put(
        "gpu",
        Gpu(
            Nvml(True, "550.54.14", 12040, (Device(0, "NVIDIA A100-SXM4-80GB", 80 * 1024**3),)),
            (Build("torch", "2.3.1+cu121", "cuda", "12.1", "8.9.2"),),
        ),
    )
    inv.put("git", Git())

    @dataclass(frozen=True)
    class Py:
        version: str = "3.11.7"
        implementation: str = "cpython"
        kind: str = "venv"
        executable: str = "https://user:s3cret@host/venv/bin/python"  # a secret in a path-ish value

    inv.put("python", Py())
    rows = dict(environment_summary(inv))
    assert rows["Python"] == "3.11.7 (venv) at https://***@host/venv/bin/python"
    assert rows["NVIDIA driver"] == "550.54.14, CUDA 12.4"
    assert rows["GPUs"] == "NVIDIA A100-SXM4-80GB 80 GiB"
    assert rows["torch build"] == "2.3.1+cu121 (cuda, CUDA 12.1, cuDNN 8.9.2)"
    assert rows["Git"] == "0123456789ab on main, 2 uncommitted change(s), 1 untracked file(s)"
    assert "s3cret" not in repr(rows)


def test_gpu_is_not_scanned_just_for_the_summary(tmp_path: Path) -> None:
    inv = Inventory(tmp_path, config=Config())
    rows = dict(environment_summary(inv))
    assert not inv.has("gpu")
    assert rows["GPU"].startswith("not scanned")
    assert rows["Git"] in ("not scanned", "not a git repository")
    assert "Host" in rows


def test_summary_survives_a_missing_or_failing_domain(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    inv = Inventory(tmp_path, config=Config())

    def boom(domain: str) -> object:
        if domain == "python":
            raise ModuleNotFoundError("No module named 'envaudit.scanners.python'")
        raise RuntimeError("scanner bug")

    monkeypatch.setattr(inv, "get", boom)
    rows = dict(environment_summary(inv))
    assert rows["Python"] == "not scanned" and rows["Git"] == "not scanned"
