"""bench/gpu_check.sh degrades gracefully where there is no driver, nvidia-smi or torch."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from envaudit.scanners import gpu
from tests.conftest import REPO


@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash")
def test_gpu_check_script_without_driver(tmp_path: Path) -> None:
    if shutil.which("nvidia-smi") or any(Path(m).exists() for m in gpu.DRIVER_MARKERS):
        pytest.skip("an NVIDIA driver is present: the script compares real answers here")
    env = {**os.environ, "ENVAUDIT_PYTHON": sys.executable}
    out = subprocess.run(
        ["bash", str(REPO / "bench" / "gpu_check.sh"), sys.executable],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    assert "envaudit: NVML unavailable: no NVIDIA driver loaded" in out.stdout
    assert "nvidia-smi: nvidia-smi not on PATH" in out.stdout
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        assert "nothing to compare here" in out.stdout
    else:  # a CPU torch answers too (torch.version.cuda None, no device): envaudit must agree with it
        assert "agree on every answer both sides have" in out.stdout
