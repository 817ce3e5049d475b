"""`envaudit … 2>&1 | head -3`: every command ends promptly when its reader goes away,
and takes its child processes with it (new-user report 8: `fix pins` and pip-compile
both slept until the 900 s timeout). Real pipes, closed early; a real pip-compile."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.wheelhouse import build_wheel

REPO = Path(__file__).resolve().parents[1]


def _envaudit_into_closed_pipe(args: list[str], keep_lines: int, cwd: Path) -> tuple[int, float]:
    """Run envaudit with stdout and stderr on one pipe; read `keep_lines` lines and close
    the read end (what `| head -N` does). Returns (exit status, seconds after the close)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "envaudit", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        cwd=cwd,
        env=env,
    )
    assert proc.stdout is not None
    for _ in range(keep_lines):
        if not proc.stdout.readline():
            break
    proc.stdout.close()
    closed = time.monotonic()
    try:
        code = proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        pytest.fail(f"envaudit {' '.join(args)} still ran 60 s after its reader went away")
    return code, time.monotonic() - closed


def _processes_mentioning(marker: str) -> list[str]:
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in cmd:
            found.append(f"{pid}: {cmd}")
    return found


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc to find left-over children")
def test_fix_pins_resolve_ends_with_pip_compile_when_head_closes_the_pipe(tmp_path: Path) -> None:
    # enough log that pip-compile fills a 64 KiB pipe once nobody drains it: long names
    wh = tmp_path / "wheelhouse-closedpipe"
    names = [f"pkg{i:03d}-" + "x" * 180 for i in range(90)]
    for n in names:
        build_wheel(wh, n, "1.0")
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "requirements.in").write_text("".join(f"{n}\n" for n in names), encoding="utf-8")
    code, secs = _envaudit_into_closed_pipe(
        ["fix", "pins", str(proj), "--resolve", "--no-index", "-f", str(wh)], 3, tmp_path
    )
    assert code != 0  # it did not finish its work
    assert secs < 30
    time.sleep(0.5)
    assert _processes_mentioning(str(wh)) == []  # pip-compile was killed, not orphaned


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="Linux pipes")
def test_check_ends_when_head_closes_the_pipe(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "requirements.txt").write_text("".join(f"pkg{i}>=1\n" for i in range(300)), encoding="utf-8")
    code, secs = _envaudit_into_closed_pipe(["check", str(proj), "--no-color"], 1, tmp_path)
    assert code != 0 and secs < 30


def test_a_silent_child_is_killed_when_the_reader_goes_away(tmp_path: Path) -> None:
    # run_watched (rerun's and rebuild's waits) notices a closed reader without writing
    script = (
        "import os, sys\n"
        "from envaudit.outputwatch import run_watched\n"
        "r, w = os.pipe()\n"
        "os.dup2(w, 2); os.close(r)\n"  # stderr is now a pipe with no reader
        "try:\n"
        "    run_watched([sys.executable, '-c', 'import time; time.sleep(120)'], timeout=100)\n"
        "except BrokenPipeError:\n"
        "    sys.exit(7)\n"
    )
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", script], env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=60, cwd=tmp_path
    )
    assert proc.returncode == 7 and time.monotonic() - started < 30


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc to find left-over children")
def test_rerun_ends_with_its_run_when_head_closes_the_pipe(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "train.py").write_text("import time\ntime.sleep(300)  # closedpipe-marker\n", encoding="utf-8")
    marker = "closedpipe-rerun-marker"
    code, secs = _envaudit_into_closed_pipe(
        ["rerun", str(proj), "--", sys.executable, "train.py", marker], 1, tmp_path
    )
    assert code != 0 and secs < 30
    time.sleep(0.5)
    assert _processes_mentioning(marker) == []  # the run's process group went with it
