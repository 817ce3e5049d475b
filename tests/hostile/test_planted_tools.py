"""envaudit runs git, nvcc, gcc, clang and cmake; never a copy the audited project planted.

A hostile repository commits `.venv/bin/git` (or `./git`); the CI job activated the
project's environment, or has an empty entry (the current directory) on PATH. Each planted
tool writes a marker file when run: none may appear after `check` or `snapshot`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from envaudit.toolpath import which
from tests.conftest import REPO
from tests.fakeenv import make_venv

TOOLS = ("git", "nvcc", "gcc", "clang", "cmake")


def _plant(bin_dir: Path, markers: Path) -> None:
    bin_dir.mkdir(parents=True, exist_ok=True)
    for tool in TOOLS:
        exe = bin_dir / tool
        exe.write_text(f'#!/bin/sh\ntouch "{markers}/{tool}"\necho "{tool} version 9.9"\n', encoding="utf-8")
        exe.chmod(0o755)


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {**env, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "envaudit", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_tools_planted_in_the_project_are_never_run(tmp_path: Path) -> None:
    markers = tmp_path / "markers"
    markers.mkdir()
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "requirements.txt").write_text("numpy==1.26.4\n", encoding="utf-8")
    venv = proj / ".venv"
    make_venv(venv)
    _plant(venv / "bin", markers)  # the project's environment, activated by the CI job
    _plant(proj, markers)  # `./git`: reached through an empty PATH entry
    _plant(proj / "bin", markers)  # direnv's `PATH_add bin`
    env = {
        **os.environ,
        "VIRTUAL_ENV": str(venv),
        "PATH": os.pathsep.join([str(venv / "bin"), "", str(proj / "bin"), os.environ.get("PATH", "")]),
    }
    for args in (["check", ".", "--format", "json"], ["snapshot", ".", "-o", str(tmp_path / "s.json")]):
        proc = _run(args, proj, env)
        assert proc.returncode in (0, 1), proc.stderr
        assert sorted(p.name for p in markers.iterdir()) == [], args


def test_a_console_script_in_an_environment_is_not_run(tmp_path: Path) -> None:
    """A pip-installed `cmake` in an environment's bin/ starts that environment's Python,
    whose site runs its *.pth files: passed over, wherever the environment is. A compiled
    tool there (a conda environment's nvcc) still counts, and so does a script elsewhere."""
    markers = tmp_path / "markers"
    markers.mkdir()
    make_venv(tmp_path / "elsewhere" / "venv")
    env_bin = tmp_path / "elsewhere" / "venv" / "bin"
    _plant(env_bin, markers)
    conda = tmp_path / "conda"
    (conda / "conda-meta").mkdir(parents=True)
    (conda / "bin").mkdir()
    compiled = conda / "bin" / "nvcc"
    compiled.write_bytes(b"\x7fELF" + b"\0" * 60)
    compiled.chmod(0o755)
    system = tmp_path / "usr-bin"
    _plant(system, markers)
    path = os.pathsep.join([str(env_bin), str(conda / "bin"), str(system)])
    assert which("cmake", {"PATH": path}) == str(system / "cmake")
    assert which("nvcc", {"PATH": path}) == str(compiled)
    assert which("git", {"PATH": "." + os.pathsep + "bin"}) is None  # relative entries: never
    assert which("git", {"PATH": str(system)}, avoid=(tmp_path,)) is None


def test_the_found_interpreter_and_its_site_hooks_never_run(tmp_path: Path) -> None:
    """The environment found is read from disk: its `python` (a shell script here), its
    *.pth lines and sitecustomize/usercustomize never run, whether the environment is found
    in the project, activated, or named with --python."""
    markers = tmp_path / "markers"
    markers.mkdir()
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "requirements.txt").write_text("numpy==1.26.4\n", encoding="utf-8")
    venv = proj / ".venv"
    site = make_venv(venv)
    for name in ("python", "python3"):
        exe = venv / "bin" / name
        exe.write_text(f'#!/bin/sh\ntouch "{markers}/{name}"\n', encoding="utf-8")
        exe.chmod(0o755)
    (site / "evil.pth").write_text(f"import os; os.system('touch {markers}/pth')\n", encoding="utf-8")
    for mod in ("sitecustomize", "usercustomize"):
        (site / f"{mod}.py").write_text(f"open({str(markers / mod)!r}, 'w')\n", encoding="utf-8")
    activated = {
        **os.environ,
        "VIRTUAL_ENV": str(venv),
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
    }
    for args, env in (
        (["check", ".", "--format", "json"], dict(os.environ)),
        (["check", ".", "--select", "ALL", "--format", "sarif"], activated),
        (["check", ".", "--python", str(venv / "bin" / "python")], dict(os.environ)),
        (["snapshot", ".", "--python", str(venv), "-o", str(tmp_path / "s.json")], activated),
    ):
        proc = _run(args, proj, env)
        assert proc.returncode in (0, 1), (args, proc.stderr)
        assert sorted(p.name for p in markers.iterdir()) == [], args
