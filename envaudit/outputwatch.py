"""End promptly when the reader of our output goes away (`envaudit … | head -3`).

Python ignores SIGPIPE, so a write to a pipe whose reader has exited raises
BrokenPipeError (click turns one raised in the main thread into a quiet exit 1). Two
cases need more than that:

* a thread that forwards a child's output (pip-compile's log) dies on that error and
  stops draining the child's pipe: the child blocks on a full pipe and we wait for it
  forever;
* while a child runs silently (a rerun, an install) nothing is written, so nothing
  notices that the reader is gone until the child ends, however long that is.

`reader_gone()` asks the kernel instead of writing: the write end of a pipe whose
reader has closed polls as POLLERR (Linux, macOS). The waits below check it a few
times a second and, when the reader is gone, kill the child's whole process group and
raise BrokenPipeError.
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import signal
import stat
import subprocess
import time
from typing import Any

POLL_S = 0.25


def _is_pipe(fd: int) -> bool:
    try:
        return stat.S_ISFIFO(os.fstat(fd).st_mode)
    except OSError:
        return False


def reader_gone(fds: tuple[int, ...] = (1, 2)) -> bool:
    """True when stdout or stderr is a pipe (or FIFO) that nobody reads any more."""
    if not hasattr(select, "poll"):  # pragma: no cover - Windows
        return False
    poller = select.poll()
    watched = [fd for fd in fds if _is_pipe(fd)]
    if not watched:
        return False
    for fd in watched:
        poller.register(fd, 0)  # POLLERR/POLLHUP are reported whatever is asked for
    try:
        events = poller.poll(0)
    except OSError:
        return False
    return any(ev & (select.POLLERR | select.POLLHUP | select.POLLNVAL) for _, ev in events)


def output_gone_error() -> BrokenPipeError:
    return BrokenPipeError(errno.EPIPE, "the reader of envaudit's output has gone away")


def kill_tree(proc: subprocess.Popen[Any]) -> None:
    """Kill `proc` and, when it leads a process group of its own, the whole group."""
    with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
        if os.getpgid(proc.pid) == proc.pid:
            os.killpg(proc.pid, signal.SIGKILL)
            return
    with contextlib.suppress(ProcessLookupError, OSError):
        proc.kill()


def run_watched(
    cmd: list[str], *, timeout: float | None, text: bool = True, **kwargs: Any
) -> subprocess.CompletedProcess[Any]:
    """`subprocess.run(cmd, capture_output=True, timeout=…)` in a process group of its own,
    that also ends (killing the group, raising BrokenPipeError) when our reader goes away."""
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=text,
        start_new_session=True,
        **kwargs,
    )
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        while True:
            step = POLL_S if deadline is None else max(0.0, min(POLL_S, deadline - time.monotonic()))
            try:
                out, err = proc.communicate(timeout=step)
                return subprocess.CompletedProcess(cmd, proc.returncode, out, err)
            except subprocess.TimeoutExpired:
                if reader_gone():
                    raise output_gone_error() from None
                if deadline is not None and time.monotonic() >= deadline:
                    raise subprocess.TimeoutExpired(cmd, timeout or 0) from None
    finally:
        if proc.returncode is None:
            kill_tree(proc)
            with contextlib.suppress(Exception):
                proc.communicate()
