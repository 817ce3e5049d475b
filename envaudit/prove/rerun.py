"""`envaudit rerun`: run a command several times, each in a fresh copy of the project,
compare what the runs wrote and printed, and when they differ find which knob makes
them agree.

Each run gets its own temporary copy of the project (virtual environments in it are
linked, not copied), so no run sees another's outputs. The outputs are the files the
`--output` globs match, or, without globs, every file the run created or changed;
stdout is compared too (numbers within tolerance). When the runs differ, the runs
are repeated with one knob set at a time (PYTHONHASHSEED=0, single-threaded BLAS
and OpenMP, every RNG seeded at interpreter start, CUBLAS_WORKSPACE_CONFIG on a
machine with an NVIDIA GPU); the knobs under which the runs agree are the causes.
The project's static DET findings are cross-referenced.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from envaudit.prove import RERUN_SCHEMA
from envaudit.prove.compare import (
    CLOSE,
    DIFFERENT,
    IDENTICAL,
    MISSING,
    Comparison,
    Tolerance,
    compare_bytes,
    compare_torch,
    is_torch_file,
)
from envaudit.prove.safety import scrub, scrub_argv

STDOUT = "<stdout>"
LINKED_DIRS = frozenset({".venv", "venv", ".tox", ".nox", "node_modules", ".conda", "env"})
SKIPPED_NAMES = frozenset({"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"})
MAX_OUTPUT = 512 * 1024 * 1024  # a bigger PyTorch checkpoint is compared as bytes only
MAX_VALUES = 32 * 1024 * 1024  # a bigger output is streamed and compared as bytes (memory stays flat)

_SEED_ALL = '''"""envaudit rerun: seed every RNG when the interpreter starts (the `seed-all` knob)."""
import importlib.abc
import random
import sys

random.seed(0)


def _numpy(m):
    m.random.seed(0)


def _torch(m):
    m.manual_seed(0)


_SEEDERS = {"numpy": _numpy, "torch": _torch}


class _SeedOnImport(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name not in _SEEDERS:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                break
        else:
            return None
        loader, seeder = spec.loader, _SEEDERS.pop(name)
        original = loader.exec_module

        def exec_module(module):
            original(module)
            try:
                seeder(module)
            except Exception:
                pass

        loader.exec_module = exec_module
        return spec


sys.meta_path.insert(0, _SeedOnImport())
'''


@dataclass(frozen=True)
class Knob:
    key: str
    env: dict[str, str]
    explains: str  # what agreement under this knob means
    codes: tuple[str, ...]  # the DET rules that predict this cause
    needs_gpu: bool = False
    when: tuple[str, ...] = ()  # tried only when one of these static findings fired


THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")
KNOBS: tuple[Knob, ...] = (
    Knob(
        "PYTHONHASHSEED=0",
        {"PYTHONHASHSEED": "0"},
        "the output depends on the iteration order of sets/dicts of strings, which changes with "
        "the per-process hash seed; export PYTHONHASHSEED=0 before the interpreter starts",
        ("DET007",),
    ),
    Knob(
        "seed-all",
        {},
        "an RNG is used unseeded: with random, numpy and torch seeded when the interpreter starts the "
        "runs agree; seed them in the code (`envaudit fix seeds`)",
        ("DET001", "DET002", "DET005", "DET006", "DET010"),
    ),
    Knob(
        "single-thread",
        {**{v: "1" for v in THREAD_VARS}, "NUMEXPR_NUM_THREADS": "1"},
        "parallel reductions in BLAS/OpenMP sum in a different order from run to run; "
        "with one thread (OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1) the runs agree",
        (),
    ),
    Knob(
        "CUBLAS_WORKSPACE_CONFIG=:4096:8",
        {"CUBLAS_WORKSPACE_CONFIG": ":4096:8"},
        "cuBLAS picks nondeterministic algorithms; with CUBLAS_WORKSPACE_CONFIG=:4096:8 "
        "(and torch.use_deterministic_algorithms(True)) the runs agree",
        ("DET003", "DET004", "DET008"),
        needs_gpu=True,
    ),
    Knob(
        "TF_DETERMINISTIC_OPS=1",
        {"TF_DETERMINISTIC_OPS": "1", "TF_CUDNN_DETERMINISTIC": "1"},
        "TensorFlow ops pick nondeterministic kernels; with TF_DETERMINISTIC_OPS=1 the runs agree "
        "(in code: tf.config.experimental.enable_op_determinism())",
        ("DET009",),
        when=("DET009",),
    ),
)


def knob_names() -> list[str]:
    """The names `--knob` accepts: each knob's key, and the variable alone for VAR=value keys."""
    return [k.key for k in KNOBS] + [k.key.split("=")[0] for k in KNOBS if "=" in k.key]


def knob_short_names() -> list[str]:
    """One name per knob (the variable alone for VAR=value keys), for messages."""
    return [k.key.split("=")[0] for k in KNOBS]


class RerunError(Exception):
    """A usage problem: bad command, nothing to compare, every run failed."""


@dataclass
class Run:
    index: int
    workdir: Path  # the project's copy the run ran in
    returncode: int | None  # None: timed out
    stdout: bytes
    stderr: bytes
    seconds: float
    outputs: dict[str, Path] = field(default_factory=dict)  # rel path -> file
    host: str = ""
    # the run's own copy directory as its code may see it (path, realpath): replaced by
    # COPY_DIR in what it wrote and printed before comparing, so that two runs that record
    # their working directory do not differ by the copies' names alone
    copy_dirs: tuple[str, ...] = ()
    unmatched: tuple[str, ...] = ()  # --output globs that matched no file in this run
    written: tuple[str, ...] = ()  # files the run created or changed (to name on an unmatched glob)
    limit: float | None = None  # --timeout
    stdout_digest: str | None = None  # "size:sha256" of a stdout too big to keep (MAX_STDOUT)
    leftovers: int = 0  # processes the run left running when it ended (killed)
    base: Path | None = None  # the temporary folder of a local run's copy (removed after a knob round)

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def describe_failure(self) -> str:
        why = (
            ("timed out" + (f" after the {self.limit:g} s limit (--timeout)" if self.limit else ""))
            if self.returncode is None
            else f"exited with status {self.returncode}"
        )
        tail = self.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        return scrub(
            f"run {self.index}{' on ' + self.host if self.host else ''} {why}"
            + (": " + " | ".join(t.strip()[:300] for t in tail) if tail else ""),
            keep_newlines=False,
        )


@dataclass
class OutputResult:
    path: str
    comparison: Comparison

    def __post_init__(self) -> None:  # a run's file names and values are the project's: printed safely
        self.path = scrub(self.path, keep_newlines=False)
        c = self.comparison
        if c.first is not None:
            self.comparison = dataclasses.replace(c, first=scrub(c.first, keep_newlines=False))

    def to_dict(self) -> dict[str, Any]:
        c = self.comparison
        return {
            "path": self.path,
            "status": c.status,
            "max_abs_diff": c.max_abs,
            "max_rel_diff": c.max_rel,
            "first_difference": c.first,
        }


@dataclass
class Cause:
    knob: str
    reproducible_with: bool
    detail: str

    def __post_init__(self) -> None:
        self.detail = scrub(self.detail, keep_newlines=False)

    def to_dict(self) -> dict[str, Any]:
        return {"knob": self.knob, "reproducible_with": self.reproducible_with, "detail": self.detail}


@dataclass
class RerunResult:
    command: list[str]
    runs: list[Run]
    outputs: list[OutputResult]
    causes: list[Cause] = field(default_factory=list)
    findings: list[Any] = field(default_factory=list)  # envaudit.model.Finding
    failures: list[str] = field(default_factory=list)
    knob_runs: int = 0
    seconds: float = 0.0  # wall time of the whole rerun, causes included

    @property
    def reproducible(self) -> bool:
        return not self.failures and all(o.comparison.status in (IDENTICAL, CLOSE) for o in self.outputs)

    def to_record(self) -> dict[str, Any]:
        return {
            "schema": RERUN_SCHEMA,
            "runs": len(self.runs),
            "reproducible": self.reproducible,
            "outputs": [o.to_dict() for o in self.outputs],
            "causes": [c.to_dict() for c in self.causes],
            "findings": [f.to_dict() for f in self.findings],
            # additive: what ran (secrets masked), and how each run of the first round went
            "command": scrub_argv(self.command),
            "run_details": [
                {
                    "run": r.index,
                    "exit_code": r.returncode,
                    "timed_out": r.returncode is None,
                    "seconds": round(r.seconds, 3),
                    **({"left_running_killed": r.leftovers} if r.leftovers else {}),
                    **({"host": r.host} if r.host else {}),
                }
                for r in self.runs
            ],
        }


# ------------------------------------------------------------------------- copying


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _copy_link(src: str, dest: str, root: str, target_root: str) -> None:
    """Recreate the symlink `src` at `dest` with the meaning it has in the project: a link
    to a path inside the project points at that path in the copy (never at the user's
    real tree, which a run could otherwise write through), a link out of the project
    keeps pointing where it pointed (absolute, as a relative one would break in the copy)."""
    text = os.readlink(src)
    where = os.path.realpath(src)
    if _inside(where, root):
        to = os.path.join(target_root, os.path.relpath(where, root))
        os.symlink(os.path.relpath(to, os.path.dirname(dest)), dest)
    elif os.path.isabs(text):
        os.symlink(text, dest)
    else:
        os.symlink(where, dest)


def project_size(root: Path, link: tuple[str, ...] = ()) -> tuple[int, dict[str, int]]:
    """(bytes a fresh copy takes, bytes per top-level entry) for what fresh_copy copies."""
    linked = {p.strip("/") for p in link}
    per: dict[str, int] = {}
    for entry in root.iterdir():
        if entry.name in SKIPPED_NAMES or _is_linked_top(entry, linked):
            continue
        if entry.is_dir() and not entry.is_symlink():
            total = 0
            for dirpath, dirnames, filenames in os.walk(entry):
                here = Path(dirpath).relative_to(root).as_posix()
                dirnames[:] = [d for d in dirnames if d not in SKIPPED_NAMES and f"{here}/{d}" not in linked]
                for f in filenames:
                    if f"{here}/{f}" in linked:
                        continue
                    with contextlib.suppress(OSError):
                        st = os.lstat(os.path.join(dirpath, f))
                        if stat.S_ISREG(st.st_mode):
                            total += st.st_size
            per[entry.name] = total
        else:
            with contextlib.suppress(OSError):
                st = entry.lstat()
                per[entry.name] = st.st_size if stat.S_ISREG(st.st_mode) else 0
    return sum(per.values()), per


def _is_linked_top(entry: Path, linked: set[str]) -> bool:
    return entry.name in linked or (
        entry.is_dir()
        and not entry.is_symlink()
        and (entry.name in LINKED_DIRS or (entry / "pyvenv.cfg").is_file())
    )


def fresh_copy(root: Path, dest: Path, link: tuple[str, ...] = (), skipped: list[str] | None = None) -> Path:
    """Copy the project to dest/<name>. Virtual environments, and the project-relative
    paths in `link` (big read-only inputs), are symlinked, not copied. Symlinks into the
    project point into the copy; named pipes, sockets and devices are not copied (a run
    that opened one would block or touch the machine, not the project)."""
    target = dest / (root.name or "project")
    target.mkdir(parents=True)
    linked = {p.strip("/") for p in link}
    real_root = os.path.realpath(root)
    t = str(target)
    skipped = [] if skipped is None else skipped

    for entry in sorted(root.iterdir()):
        to = target / entry.name
        if entry.name in SKIPPED_NAMES:
            continue
        if _is_linked_top(entry, linked):
            to.symlink_to(entry, target_is_directory=entry.is_dir())
        elif entry.is_symlink():
            _copy_link(str(entry), str(to), real_root, t)
        elif entry.is_dir():
            _copy_tree(entry, to, root, real_root, t, linked, skipped)
        elif entry.is_file():
            shutil.copy2(entry, to, follow_symlinks=False)
        else:
            skipped.append(entry.name)
    return target


def _copy_tree(
    src: Path, dest: Path, root: Path, real_root: str, target_root: str, linked: set[str], skipped: list[str]
) -> None:
    for dirpath, dirnames, filenames in os.walk(src):
        here = Path(dirpath).relative_to(root).as_posix()
        out = os.path.join(target_root, here)
        os.makedirs(out, exist_ok=True)
        keep = []
        for name in sorted(dirnames + filenames):
            s, d, rel = os.path.join(dirpath, name), os.path.join(out, name), f"{here}/{name}"
            if name in SKIPPED_NAMES:
                continue
            if rel in linked:
                os.symlink(s, d)
                continue
            st = os.lstat(s)
            if stat.S_ISLNK(st.st_mode):
                _copy_link(s, d, real_root, target_root)
            elif stat.S_ISDIR(st.st_mode):
                keep.append(name)
            elif stat.S_ISREG(st.st_mode):
                shutil.copy2(s, d, follow_symlinks=False)
            else:  # a FIFO, socket or device: not copied
                skipped.append(rel)
        dirnames[:] = [n for n in dirnames if n in keep]


def _state(root: Path) -> dict[str, tuple[int, int]]:
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in SKIPPED_NAMES and not Path(dirpath, d).is_symlink()]
        for f in filenames:
            p = Path(dirpath, f)
            try:
                st = p.lstat()
            except OSError:
                continue
            out[p.relative_to(root).as_posix()] = (st.st_size, st.st_mtime_ns)
    return out


# files that hold wall-clock times or run ids by design: not outputs to compare by default
VOLATILE_RE = re.compile(
    r"(^|/)(events\.out\.tfevents\.[^/]*|wandb/.*|mlruns/.*|\.hydra/.*|[^/]*\.pyc|\.ipynb_checkpoints/.*)$"
)
# a timestamp in a path (Hydra's outputs/2024-01-31/12-00-00/, run-20240131-120000/): the
# same output of two runs lives under two names; it is matched by its name without the time
_STAMP_RE = re.compile(
    r"(?<!\d)(?:\d{4}-?\d{2}-?\d{2}(?:[_T. -]?\d{2}[-:.]?\d{2}(?:[-:.]?\d{2})?)?|\d{2}[-:]\d{2}[-:]\d{2})"
    r"(?:[.,]\d+)?(?!\d)"
)


def output_key(rel: str) -> str:
    return _STAMP_RE.sub("<time>", rel)


def _no_link_between(workdir: Path, p: Path) -> bool:
    """True when no folder between `workdir` and `p` is a symlink: `p` is in the copy itself,
    not reached through a link (a --link input, a linked virtual environment, a link out of
    the project)."""
    try:
        rel = p.parent.relative_to(workdir)
    except ValueError:
        return False
    cur = workdir
    for part in rel.parts:
        cur = cur / part
        if part in ("..", ".") or cur.is_symlink():
            return False
    return True


def glob_files(workdir: Path, pattern: str) -> list[Path]:
    """The files an --output glob names: the files it matches, and every file under a
    directory it matches (`out/`, `out`). Only what lies in the run's copy itself: a
    match reached through a symlinked folder is not an output; a symlink matched is (it
    is compared by where it points, see read_output)."""
    pattern = pattern.rstrip("/") or "."
    found: list[Path] = []
    for p in sorted(workdir.glob(pattern)):
        if not _no_link_between(workdir, p):
            continue
        if p.is_dir() and not p.is_symlink():
            for dirpath, dirnames, filenames in os.walk(p):
                dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_NAMES)
                found += [Path(dirpath, f) for f in sorted(filenames)]
                # a symlinked folder below: os.walk lists it but does not enter it
                found += [Path(dirpath, d) for d in dirnames if Path(dirpath, d).is_symlink()]
        elif p.is_symlink() or p.exists():
            found.append(p)
    return found


def unmatched_globs(workdir: Path, globs: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(g for g in globs if not glob_files(workdir, g))


def collect_outputs(
    workdir: Path, before: dict[str, tuple[int, int]], globs: tuple[str, ...]
) -> dict[str, Path]:
    """rel path -> file: what the globs match, or what the run created or changed (files
    that hold wall-clock times by design, such as TensorBoard events, left out)."""
    if globs:
        found: dict[str, Path] = {}
        for pattern in globs:
            for p in glob_files(workdir, pattern):
                found[p.relative_to(workdir).as_posix()] = p
        return found
    after = _state(workdir)
    return {
        rel: workdir / rel
        for rel, st in sorted(after.items())
        if before.get(rel) != st and not VOLATILE_RE.search(rel)
    }


# ------------------------------------------------------------------------- running


MAX_STDOUT = 16 * 1024 * 1024  # more stdout than this is compared by digest, not line by line
STDERR_TAIL = 64 * 1024  # the end of stderr is kept (a failed run's last lines are shown)
RUN_TAG = "ENVAUDIT_RERUN_RUN"  # in every run's environment: finds what a run left running


@dataclass
class Ran:
    """What one execution of the command gave."""

    code: int | None  # None: timed out
    stdout: bytes
    stderr: bytes
    seconds: float
    stdout_digest: str | None = None  # stdout over MAX_STDOUT: "size:sha256" instead of the bytes
    leftovers: int = 0  # processes the run left behind (killed)


def _read_spooled(fh: Any, keep_head: int | None, keep_tail: int | None) -> tuple[bytes, str | None]:
    import hashlib

    fh.flush()
    size = os.fstat(fh.fileno()).st_size
    fh.seek(0)
    if keep_tail is not None:
        fh.seek(max(0, size - keep_tail))
        return fh.read(), None
    assert keep_head is not None
    if size <= keep_head:
        return fh.read(), None
    h = hashlib.sha256()
    for chunk in iter(lambda: fh.read(1 << 20), b""):
        h.update(chunk)
    return b"", f"{size}:{h.hexdigest()}"


def kill_tagged(tag: str) -> int:
    """SIGKILL every process whose environment carries RUN_TAG=tag (what a run started and
    left running, even in a session of its own); the number killed. Linux (/proc) only."""
    marker = f"{RUN_TAG}={tag}".encode()
    killed = 0
    me = os.getpid()
    try:
        pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return 0
    for pid in pids:
        if pid == me:
            continue
        try:
            with open(f"/proc/{pid}/environ", "rb") as fh:
                env = fh.read()
        except OSError:
            continue
        if marker in env.split(b"\0"):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
                killed += 1
    return killed


def _end_all(pgid: int, tag: str) -> int:
    """Kill what is left of a run: every tagged process (counted), then its process group
    (which also holds any that cleared their environment)."""
    killed = kill_tagged(tag)
    with contextlib.suppress(OSError):
        os.killpg(pgid, signal.SIGKILL)
    return killed


def run_command(command: list[str], cwd: Path, env: dict[str, str], timeout: float | None) -> Ran:
    """Run the command with stdout and stderr spooled to temporary files (a process left
    behind holding them cannot stall envaudit; hundreds of MB of output do not fill its
    memory). When the command ends or times out, its whole process group is killed, and so
    is every process that carries this run's tag in its environment (daemons that left the
    group with setsid)."""
    import uuid

    tag = uuid.uuid4().hex
    env = {**env, RUN_TAG: tag}
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out_fh, tempfile.TemporaryFile() as err_fh:
        try:
            proc = subprocess.Popen(
                command,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out_fh,
                stderr=err_fh,
                start_new_session=True,
            )
        except (OSError, ValueError) as exc:
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            return Ran(127, b"", f"cannot run {command[0]!r}: {why}".encode(), 0.0)
        from envaudit.outputwatch import POLL_S, output_gone_error, reader_gone

        deadline = None if timeout is None else time.monotonic() + timeout
        code: int | None
        try:
            while True:  # a few times a second: has our reader gone away (`| head`)? Then end now.
                step = POLL_S if deadline is None else max(0.0, min(POLL_S, deadline - time.monotonic()))
                try:
                    code = proc.wait(timeout=step)
                    break
                except subprocess.TimeoutExpired:
                    if reader_gone():
                        raise output_gone_error() from None
                    if deadline is not None and time.monotonic() >= deadline:
                        raise
        except subprocess.TimeoutExpired:
            _end_all(proc.pid, tag)
            proc.wait()
            code = None
        except BaseException:  # Ctrl-C: the run's whole process group goes too
            _end_all(proc.pid, tag)
            raise
        leftovers = _end_all(proc.pid, tag) if code is not None else 0
        seconds = time.perf_counter() - start
        out, digest = _read_spooled(out_fh, MAX_STDOUT, None)
        err, _ = _read_spooled(err_fh, None, STDERR_TAIL)
    return Ran(code, out, err, seconds, digest, leftovers)


def run_env(extra: dict[str, str], sitedir: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(extra)
    if sitedir is not None:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(sitedir), env.get("PYTHONPATH", "")) if p)
    return env


def local_runs(
    root: Path,
    command: list[str],
    n: int,
    globs: tuple[str, ...],
    timeout: float | None,
    extra: dict[str, str],
    scratch: Path,
    sitedir: Path | None,
    progress: Callable[[str], None],
    label: str,
    launcher: tuple[str, ...] = (),
    link: tuple[str, ...] = (),
) -> list[Run]:
    runs = []
    for i in range(1, n + 1):
        _scratch_intact(scratch, runs)
        base = Path(tempfile.mkdtemp(prefix=f"run{i}-", dir=scratch))
        skipped: list[str] = []
        try:
            workdir = fresh_copy(root, base, link, skipped)
        except (OSError, shutil.Error) as exc:
            detail = exc.args[0][0][2] if isinstance(exc, shutil.Error) and exc.args and exc.args[0] else exc
            raise RerunError(
                f"cannot copy the project for run {i}: {detail} (pass --link PATH for what need not be copied)"
            ) from None
        if skipped and i == 1:
            names = ", ".join(skipped[:5]) + (", ..." if len(skipped) > 5 else "")
            progress(f"not copied (named pipes, sockets, devices): {scrub(names, keep_newlines=False)}")
        before = _state(workdir)
        argv = [w.replace("{i}", str(i - 1)).replace("{run}", str(i)) for w in launcher] + command
        progress(f"{label}run {i}/{n}: {shlex.join(scrub_argv(argv))}")
        ran = run_command(argv, workdir, run_env(extra, sitedir), timeout)
        run = Run(i, workdir, ran.code, ran.stdout, ran.stderr, ran.seconds, limit=timeout)
        _scratch_intact(scratch, [*runs, run])
        run.stdout_digest, run.leftovers, run.base = ran.stdout_digest, ran.leftovers, base
        run.copy_dirs = copy_dirs(base)
        if run.ok:
            run.outputs = collect_outputs(workdir, before, globs)
            run.unmatched = unmatched_globs(workdir, globs)
            if run.unmatched:
                run.written = tuple(collect_outputs(workdir, before, ()))
        progress(f"{label}run {i}/{n}: {run_status(run)}")
        if run.leftovers:
            progress(
                f"{label}run {i}/{n} left {run.leftovers} process(es) running after it ended "
                "(a daemon or background job): killed"
            )
        runs.append(run)
    return runs


def _scratch_intact(scratch: Path, runs: list[Run]) -> None:
    """A run that removed envaudit's temporary folder (or another run's copy) leaves nothing
    to compare: say so, not a traceback."""
    gone = [r for r in runs if not r.workdir.is_dir()]
    if scratch.is_dir() and not gone:
        return
    who = f"run {runs[-1].index}" if runs else "a run"
    raise RerunError(
        f"{who} removed "
        + (
            f"the copy of run {gone[0].index}"
            if scratch.is_dir()
            else f"envaudit's temporary folder {scratch}"
        )
        + ": a command must write only inside its copy of the project (its working directory), "
        "so the runs cannot be compared"
    )


def run_status(run: Run) -> str:
    if run.ok:
        return f"ok in {run.seconds:.1f} s"
    if run.returncode is None:
        return "timed out" + (f" after the {run.limit:g} s limit (--timeout)" if run.limit else "")
    return f"FAILED (exit status {run.returncode}) in {run.seconds:.1f} s"


def copy_dirs(base: Path | str) -> tuple[str, ...]:
    """A run's copy directory as the code in it may spell it: as made, and resolved."""
    text = str(base)
    real = os.path.realpath(text)
    return (text, real) if real != text else (text,)


# ------------------------------------------------------------------------ comparing

COPY_DIR = b"<rerun-copy>"


def normalise(data: bytes, dirs: tuple[str, ...]) -> bytes:
    """`data` with the run's copy directory (each spelling, longest first) replaced by COPY_DIR."""
    for d in sorted(dirs, key=len, reverse=True):
        if d:
            data = data.replace(os.fsencode(d), COPY_DIR)
    return data


def command_python(command: list[str], root: Path) -> str:
    """The interpreter the command runs in (for loading its torch files): the first word
    that names a python (`python train.py`, `.venv/bin/python -m x`, `uv run python ...`),
    else python3 on PATH, else ours."""
    for word in command:
        name = Path(word).name
        if re.fullmatch(r"python[0-9.]*|pypy[0-9.]*", name):
            if os.sep in word:
                p = Path(word) if Path(word).is_absolute() else root / word
                if p.exists():
                    return str(p)
                continue
            found = shutil.which(word)
            if found:
                return found
    return shutil.which("python3") or sys.executable


def compare_runs(runs: list[Run], tol: Tolerance, python: str, *, stdout: bool = True) -> list[OutputResult]:
    """Each run against the first; per output the worst status and the largest differences."""
    ref = runs[0]
    # outputs are matched across runs by their path with any timestamp in it taken out
    # (two files of one run with the same such name keep their own names)
    clash = set()
    for r in runs:
        seen: set[str] = set()
        for rel in r.outputs:
            k = output_key(rel)
            if k in seen:
                clash.add(k)
            seen.add(k)
    keyed = [
        {(k if (k := output_key(rel)) not in clash else rel): (rel, p) for rel, p in r.outputs.items()}
        for r in runs
    ]
    keys = sorted({k for m in keyed for k in m})
    results = []
    for key in keys:
        shown = next(m[key][0] for m in keyed if key in m)
        pairs = [
            (
                o.index,
                _compare_paths(keyed[0].get(key), keyed[n].get(key), ref, o, shown, tol, python),
            )
            for n, o in enumerate(runs[1:], 1)
        ]
        results.append(OutputResult(shown, _worst(pairs)))
    if stdout and any(r.stdout or r.stdout_digest for r in runs):
        pairs = [(o.index, _compare_stdout(ref, o, tol)) for o in runs[1:]]
        results.append(OutputResult(STDOUT, _worst(pairs)))
    return results


def _compare_stdout(ref: Run, other: Run, tol: Tolerance) -> Comparison:
    if ref.stdout_digest or other.stdout_digest:  # over MAX_STDOUT: by size and digest
        if ref.stdout_digest == other.stdout_digest:
            return Comparison(IDENTICAL, 0.0, 0.0, None)
        size = [int((r.stdout_digest or f"{len(r.stdout)}:").split(":")[0]) for r in (ref, other)]
        return Comparison(
            DIFFERENT,
            None,
            None,
            f"{size[0]} vs {size[1]} bytes printed, not the same (over {MAX_STDOUT >> 20} MiB: "
            "compared by digest)",
        )
    return compare_bytes(
        "stdout.txt", normalise(ref.stdout, ref.copy_dirs), normalise(other.stdout, other.copy_dirs), tol
    )


def _worst(pairs: list[tuple[int, Comparison]]) -> Comparison:
    """The worst of run 1's comparisons with the others; the largest differences of all."""
    worst: Comparison | None = None
    where: str | None = None
    for index, c in pairs:
        if worst is None or c.worse(worst):
            worst = c
            where = f"run 1 vs run {index}: {c.first}" if c.first and c.status != MISSING else c.first
    assert worst is not None
    if worst.status == MISSING:
        return Comparison(MISSING, None, None, where)
    abs_ = [c.max_abs for _, c in pairs if c.max_abs is not None]
    rel = [c.max_rel for _, c in pairs if c.max_rel is not None]
    if worst.status == DIFFERENT and not any(abs_) and not any(rel):
        return Comparison(DIFFERENT, None, None, where)  # no number differs: no size to give
    return Comparison(worst.status, max(abs_) if abs_ else None, max(rel) if rel else None, where)


_SPECIAL = (
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISDIR, "a directory"),
)


def read_output(p: Path, workdir: Path) -> tuple[str, str]:
    """What an output is, without following it out of the run's copy or opening anything
    but a regular file: ("file", path to read), ("link", where it points: a symlink that
    leads out of the copy, or to no file, is compared by its target, never read),
    ("special", what it is: a named pipe, a socket, a device: never opened)."""
    try:
        st = os.lstat(p)
    except OSError as exc:
        return "special", f"unreadable ({exc.strerror or exc})"
    if stat.S_ISLNK(st.st_mode):
        real = os.path.realpath(p)
        if _inside(real, os.path.realpath(workdir)):
            with contextlib.suppress(OSError):
                if stat.S_ISREG(os.stat(real).st_mode):
                    return "file", real
        try:
            return "link", os.readlink(p)
        except OSError as exc:
            return "special", f"unreadable ({exc.strerror or exc})"
    if stat.S_ISREG(st.st_mode):
        return "file", str(p)
    return "special", next((what for test, what in _SPECIAL if test(st.st_mode)), "not a regular file")


def _open_regular(path: str) -> tuple[int, int]:
    """(fd, size) of a regular file, opened without following a final symlink and without
    blocking (a file swapped for a FIFO after the check is refused, not waited on)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0))
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise OSError(0, "not a regular file")
    return fd, st.st_size


def _describe(kind: tuple[str, str], run: Run) -> str:
    what, detail = kind
    if what == "link":
        return "a symlink to " + normalise(os.fsencode(detail), run.copy_dirs).decode("utf-8", "replace")
    return detail if what == "special" else "a file"


def _compare_paths(
    a: tuple[str, Path] | None,
    b: tuple[str, Path] | None,
    ra: Run,
    rb: Run,
    rel: str,
    tol: Tolerance,
    python: str,
) -> Comparison:
    if a is None or b is None:
        return Comparison(MISSING, None, None, f"run {ra.index if a is None else rb.index} did not write it")
    ka, kb = read_output(a[1], ra.workdir), read_output(b[1], rb.workdir)
    if ka[0] != "file" or kb[0] != "file":
        da, db = _describe(ka, ra), _describe(kb, rb)
        if da == db:
            return Comparison(IDENTICAL, 0.0, 0.0, None)
        return Comparison(DIFFERENT, None, None, f"{da} vs {db}")
    pa, pb = Path(ka[1]), Path(kb[1])
    try:
        fa, sa = _open_regular(ka[1])
        try:
            fb, sb = _open_regular(kb[1])
        except OSError:
            os.close(fa)
            raise
        with os.fdopen(fa, "rb") as fha, os.fdopen(fb, "rb") as fhb:
            if sa > MAX_VALUES or sb > MAX_VALUES:
                return _compare_big(fha, fhb, sa, sb, pa, pb, tol, python)
            da, db = normalise(fha.read(), ra.copy_dirs), normalise(fhb.read(), rb.copy_dirs)
    except OSError as exc:
        return Comparison(DIFFERENT, None, None, f"cannot read: {exc.strerror or exc}")
    return compare_bytes(rel, da, db, tol, torch_files=(pa, pb), python=python)


def _compare_big(
    fha: Any, fhb: Any, sa: int, sb: int, pa: Path, pb: Path, tol: Tolerance, python: str
) -> Comparison:
    """Outputs over MAX_VALUES: streamed byte by byte (memory stays flat whatever their
    size); PyTorch checkpoints up to MAX_OUTPUT are still compared tensor by tensor, in
    the command's own interpreter."""
    offset = 0
    while True:
        x, y = fha.read(1 << 20), fhb.read(1 << 20)
        if x != y:
            break
        if not x:
            return Comparison(IDENTICAL, 0.0, 0.0, None)
        offset += len(x)
    if sa <= MAX_OUTPUT and sb <= MAX_OUTPUT and python and is_torch_file(pa) and is_torch_file(pb):
        return compare_torch(pa, pb, tol, python)
    n = next((i for i, (u, v) in enumerate(zip(x, y, strict=False)) if u != v), min(len(x), len(y)))
    where = (
        f"byte {offset + n}: one run's file ends there ({sa} vs {sb} bytes)"
        if n == min(len(x), len(y))
        else f"byte {offset + n}: 0x{x[n]:02x} vs 0x{y[n]:02x}"
    )
    return Comparison(DIFFERENT, None, None, f"{where} (over {MAX_VALUES >> 20} MiB: compared as bytes)")


def agree(outputs: Iterable[OutputResult]) -> bool:
    return all(o.comparison.status in (IDENTICAL, CLOSE) for o in outputs)


def has_gpu() -> bool:
    return Path("/dev/nvidia0").exists() or shutil.which("nvidia-smi") is not None


# ----------------------------------------------------------------------- the whole


Runner = Callable[[dict[str, str], Path | None, str], list[Run]]


def rerun(
    root: Path,
    command: list[str],
    *,
    runs: int = 2,
    globs: tuple[str, ...] = (),
    tol: Tolerance | None = None,
    timeout: float | None = None,
    stdout: bool = True,
    causes: bool = True,
    progress: Callable[[str], None] = lambda _m: None,
    runner: Runner | None = None,
    static: bool = True,
    knobs: tuple[str, ...] = (),
    launcher: tuple[str, ...] = (),
    scratch: Path | None = None,
    link: tuple[str, ...] = (),
) -> RerunResult:
    """Run, compare, and on difference find the knob that makes the runs agree."""
    if runs < 2:
        raise RerunError("--runs must be at least 2: one run has nothing to be compared with")
    if not command:
        raise RerunError("no command given: envaudit rerun [PATH] -- COMMAND...")
    if not command[0].strip() or "\0" in "".join(command):
        raise RerunError(
            f"the command {scrub(repr(command[0]))} is not a program to run: envaudit rerun [PATH] -- COMMAND..."
        )
    unknown = [k for k in knobs if k not in knob_names()]
    if unknown:
        raise RerunError(f"unknown knob {unknown[0]!r}; the knobs are: {', '.join(knob_short_names())}")
    # named knobs are tried whatever the static findings say
    chosen = tuple(
        dataclasses.replace(k, when=()) if knobs else k
        for k in KNOBS
        if not knobs or k.key in knobs or k.key.split("=")[0] in knobs
    )
    tol = tol or Tolerance()
    started = time.perf_counter()
    python = command_python(command, root)
    # the static DET check reads files only: it runs while the command runs
    static_pool = ThreadPoolExecutor(max_workers=1) if static else None
    static_job = static_pool.submit(_static_findings, root) if static_pool is not None else None
    try:
        return _rerun(
            root,
            command,
            runs,
            globs,
            tol,
            timeout,
            stdout,
            causes,
            progress,
            runner,
            chosen,
            python,
            static_job,
            started,
            launcher,
            scratch,
            link,
        )
    finally:
        if static_pool is not None:
            static_pool.shutdown(wait=True)


def _rerun(
    root: Path,
    command: list[str],
    runs: int,
    globs: tuple[str, ...],
    tol: Tolerance,
    timeout: float | None,
    stdout: bool,
    causes: bool,
    progress: Callable[[str], None],
    runner: Runner | None,
    chosen: tuple[Knob, ...],
    python: str,
    static_job: Future[list[Any]] | None,
    started: float,
    launcher: tuple[str, ...] = (),
    scratch_dir: Path | None = None,
    link: tuple[str, ...] = (),
) -> RerunResult:
    where = os.path.realpath(scratch_dir if scratch_dir is not None else tempfile.gettempdir())
    if runner is None and _inside(where, os.path.realpath(root)):
        raise RerunError(
            f"the copies would be made inside the project ({where}"
            + (", --scratch" if scratch_dir is not None else ", the temporary directory: TMPDIR")
            + "), so each copy would hold the ones before it: make them outside the project "
            "(--scratch DIR)"
        )
    # a run may remove what it can reach: the cleanup then has less to do, not a traceback
    with tempfile.TemporaryDirectory(
        prefix="envaudit-rerun-", dir=scratch_dir, ignore_cleanup_errors=True
    ) as tmp:
        scratch = Path(tmp)
        seed_dir = scratch / "seed-all"
        seed_dir.mkdir()
        (seed_dir / "sitecustomize.py").write_text(_SEED_ALL, encoding="utf-8")

        def do_runs(extra: dict[str, str], seed: bool, label: str) -> list[Run]:
            sitedir = seed_dir if seed else None
            if runner is not None:
                return runner(extra, sitedir, label)
            return local_runs(
                root, command, runs, globs, timeout, extra, scratch, sitedir, progress, label, launcher, link
            )

        if runner is None:
            _check_room(root, link, runs, scratch, progress)
        first = do_runs({}, False, "")
        result = RerunResult(command, first, [])
        failed = [r for r in first if not r.ok]
        if failed and len(failed) == len(first):
            raise RerunError(
                "the command failed in every run, so nothing was compared:\n  "
                + "\n  ".join(r.describe_failure() for r in failed)
            )
        result.failures = [r.describe_failure() for r in failed]
        ok_runs = [r for r in first if r.ok]
        nowhere = [g for g in globs if ok_runs and all(g in r.unmatched for r in ok_runs)]
        if nowhere:
            wrote = sorted({w for r in ok_runs for w in r.written})
            raise RerunError(
                f"--output {scrub(repr(nowhere[0]))} matched no file in any run (globs are relative to the "
                "project; a directory matches the files under it; what is reached through a symlinked "
                "folder, such as a --link input, a virtual environment or a link out of the project, "
                "is not an output)"
                + (
                    f"; the runs wrote: {scrub(', '.join(wrote[:8]), keep_newlines=False)}"
                    f"{', ...' if len(wrote) > 8 else ''}"
                    if wrote
                    else ""
                )
            )
        result.outputs = compare_runs(ok_runs, tol, python, stdout=stdout) if len(ok_runs) > 1 else []
        if not result.outputs and not result.failures:
            raise RerunError(
                "nothing to compare: the command wrote no file inside its copy of the project"
                + (" (and stdout is not compared: --no-stdout)" if not stdout else " and printed nothing")
                + "; outputs are looked for only there: write them under the project (a relative path), "
                "or pass the output directory to the command as a relative path"
            )
        for r in failed:  # a run that failed while another succeeded: that is a difference too
            result.outputs.append(
                OutputResult(f"<run {r.index}>", Comparison(MISSING, None, None, r.describe_failure()))
            )
        static_found = static_job.result() if static_job is not None else []
        # a run that failed is a failure to fix first, not a question of seeds and threads
        if causes and not result.reproducible and not failed:
            fired = {f.code for f in static_found}
            usable = tuple(k for k in chosen if not k.when or fired & set(k.when))
            result.causes, result.knob_runs = _find_causes(
                do_runs, tol, python, stdout, progress, runs, usable
            )
        result.findings = static_found + run_findings(result)
        _annotate_causes(result)
    result.seconds = time.perf_counter() - started
    return result


BIG_COPY = 1 << 30  # a copy this big is announced, with what --link could share


def _human(n: int) -> str:
    if n < 2**20:
        return f"{n / 2**10:.0f} KiB"
    return f"{n / 2**30:.1f} GiB" if n >= 2**30 else f"{n / 2**20:.0f} MiB"


def _check_room(
    root: Path, link: tuple[str, ...], runs: int, scratch: Path, progress: Callable[[str], None]
) -> None:
    """Refuse before copying when `runs` copies of the project do not fit where they are
    made (a full disk hurts more than this command), and name what is big."""
    size, per = project_size(root, link)
    if size < BIG_COPY // 16:
        return
    big = sorted(per.items(), key=lambda kv: -kv[1])[:3]
    named = ", ".join(f"{name} {_human(n)}" for name, n in big if n)
    free = shutil.disk_usage(scratch).free
    if size * runs > free * 0.9:
        raise RerunError(
            f"{runs} copies of the project need {_human(size * runs)} but {scratch.parent} has "
            f"{_human(free)} free (biggest: {named}); share big read-only inputs with --link PATH, "
            "or make the copies elsewhere with --scratch DIR"
        )
    if size >= BIG_COPY:
        progress(f"each run copies {_human(size)} (biggest: {named}); --link PATH shares a read-only input")


def _find_causes(
    do_runs: Callable[[dict[str, str], bool, str], list[Run]],
    tol: Tolerance,
    python: str,
    stdout: bool,
    progress: Callable[[str], None],
    n: int,
    knobs: tuple[Knob, ...] = KNOBS,
) -> tuple[list[Cause], int]:
    out: list[Cause] = []
    count = 0
    gpu = has_gpu()
    tried: list[Knob] = []
    for knob in knobs:
        if knob.needs_gpu and not gpu:
            continue
        already = knob.env and all(os.environ.get(k) == v for k, v in knob.env.items())
        if already:
            out.append(Cause(knob.key, False, "already set in this environment, so not the cause"))
            continue
        tried.append(knob)
        ok, detail = _try(do_runs, knob.key, knob.env, knob.key == "seed-all", tol, python, stdout, progress)
        count += n
        out.append(Cause(knob.key, ok, knob.explains if ok else detail))
    if len(tried) > 1 and not any(c.reproducible_with for c in out):
        every = _env_of(tried)
        ok, detail = _try(do_runs, "all knobs", every, True, tol, python, stdout, progress)
        count += n
        if not ok:
            out.append(
                Cause(
                    "all knobs",
                    False,
                    "even with every knob set the runs differ: look for time, the network, unseeded "
                    "generators made in the code (np.random.default_rng(), torch.Generator()), threads "
                    f"or files read from outside the project ({detail})",
                )
            )
        else:
            # no knob alone is enough: the needed ones are those whose removal breaks agreement
            needed = []
            for knob in tried:
                rest = [k for k in tried if k is not knob]
                agrees, _ = _try(
                    do_runs,
                    f"all but {knob.key}",
                    _env_of(rest),
                    any(k.key == "seed-all" for k in rest),
                    tol,
                    python,
                    stdout,
                    progress,
                )
                count += n
                if not agrees:
                    needed.append(knob)
            needed = needed or tried
            out.append(
                Cause(
                    " + ".join(k.key for k in needed),
                    True,
                    "no knob alone is enough; together they make the runs agree: "
                    + "; ".join(k.explains for k in needed),
                )
            )
    return out, count


def _env_of(knobs: list[Knob]) -> dict[str, str]:
    env: dict[str, str] = {}
    for k in knobs:
        env.update(k.env)
    return env


def _try(
    do_runs: Callable[[dict[str, str], bool, str], list[Run]],
    key: str,
    env: dict[str, str],
    seed: bool,
    tol: Tolerance,
    python: str,
    stdout: bool,
    progress: Callable[[str], None],
) -> tuple[bool, str]:
    progress(f"trying {key}")
    runs = do_runs(env, seed, f"[{key}] ")
    try:
        ok_runs = [r for r in runs if r.ok]
        if len(ok_runs) < len(runs):
            return False, "; ".join(r.describe_failure() for r in runs if not r.ok)
        outputs = compare_runs(ok_runs, tol, python, stdout=stdout)
    finally:  # a knob round's copies are done with: they do not pile up on the disk
        for r in runs:
            if r.base is not None:
                shutil.rmtree(r.base, ignore_errors=True)
    if agree(outputs):
        return True, ""
    bad = next(o for o in outputs if o.comparison.status not in (IDENTICAL, CLOSE))
    return False, f"still different with it: {bad.path} ({bad.comparison.first})"


def _static_findings(root: Path) -> list[Any]:
    """The project's DET findings (`check --select DET`), never fatal."""
    from envaudit.config import ConfigError, load_config
    from envaudit.engine import run_check

    try:
        cfg = load_config(root, None).with_overrides(select=("DET",), extend_select=(), ignore=())
        return list(run_check(root, cfg).findings)
    except ConfigError:  # a broken config is `check`'s to report; rerun still compares
        return []


def run_findings(result: RerunResult) -> list[Any]:
    """RUN003, one per output that differs, for the record and the checklist."""
    from envaudit.model import Finding, Fix, Location, Severity

    out = []
    fixers = [c for c in result.causes if c.reproducible_with]
    crashed = [r for r in result.runs if not r.ok]
    if crashed:
        timed_out = any(r.returncode is None for r in crashed)
        fix = Fix(
            f"Run {crashed[0].index} failed while another succeeded ({crashed[0].describe_failure()}). "
            + (
                "Raise --timeout, or make the run shorter. "
                if timed_out
                else "Fix the failure first (its stderr is above); "
                "a command that fails only sometimes is flaky: look for races, "
                "resources shared between runs, or input that changes. "
            )
            + "The causes of differences were not searched while a run fails."
        )
    else:
        fix = Fix(
            "Runs agree with " + ", ".join(c.knob for c in fixers) + ": " + fixers[0].detail
            if fixers
            else "Seed every RNG, set PYTHONHASHSEED before Python starts, and request deterministic kernels."
        )
    for o in result.outputs:
        if o.comparison.status in (IDENTICAL, CLOSE):
            continue
        c = o.comparison
        size = (
            f" (max abs diff {c.max_abs:.3g}, max rel diff {c.max_rel:.3g})" if c.max_abs is not None else ""
        )
        where = None if o.path.startswith("<") else o.path
        out.append(
            Finding(
                "RUN003",
                "rerun-differs",
                Severity.ERROR,
                f"{o.path} is {c.status} across {len(result.runs)} runs{size}: {c.first}",
                Location(where),
                fix,
            )
        )
    return out


def _annotate_causes(result: RerunResult) -> None:
    """Name the static findings that predicted a cause."""
    by_code: dict[str, list[Any]] = {}
    for f in result.findings:
        by_code.setdefault(f.code, []).append(f)
    for cause in result.causes:
        knob = next((k for k in KNOBS if k.key == cause.knob), None)
        if knob is None or not cause.reproducible_with:
            continue
        hits = [f for code in knob.codes for f in by_code.get(code, [])]
        if hits:
            cause.detail += "; predicted by " + ", ".join(f"{f.code} at {f.location}" for f in hits[:3])
        elif knob.codes:
            cause.detail += f"; no static rule flagged it ({', '.join(knob.codes)} did not fire)"
