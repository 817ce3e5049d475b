"""The one way envaudit runs git: without letting the audited repository run anything.

An audited repository's `.git/config` (and anything it includes) can name commands
that git runs on its own: an fsmonitor hook on every index refresh, clean/smudge/
process filters (picked by `.gitattributes`) for stat-dirty files, external diff and
textconv drivers, hooks, ssh commands, credential helpers, a pager. Every git process
envaudit starts goes through `SafeGit`, which

- overrides the fixed command-running settings on the command line (`-c` beats every
  config file and every include): `core.fsmonitor`, `core.hooksPath`, `core.pager`,
  `core.sshCommand`, `core.askPass`, `credential.helper`, `diff.external`, and blocks
  every transport (`protocol.allow=never`), so nothing can reach the network either;
- lists the filter, diff and merge drivers defined by the repository (`local` and
  `worktree` scope, includes from there count too) with one `git config --show-scope`
  and blanks each driver's commands (`filter.<d>.clean/smudge/process`, `filter.<d>.required`,
  `diff.<d>.command/textconv`, `merge.<d>.driver`) through `GIT_CONFIG_COUNT` (a driver
  name may contain `=`, which `-c` cannot carry). The user's own global and system
  drivers (git-lfs) are kept: they are the user's, not the repository's;
- passes `--no-pager --no-optional-locks`, and `--work-tree` = the directory holding
  `.git` (a `core.worktree` in the repository's config would point git, and the
  facts, at any directory of the machine), and drops the environment variables that
  name programs (`GIT_EXTERNAL_DIFF`, `GIT_SSH*`, `GIT_ASKPASS`, ...).

Callers add `--no-ext-diff --no-textconv` to diffs and `--ignore-submodules=dirty` to
status (a submodule's own config is not listed here, so git must not descend into it).
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import subprocess
from collections.abc import Mapping
from pathlib import Path

TIMEOUT = 30  # seconds, per git process

# Settings whose value is a command (or turns one on), neutralised whatever their scope.
FIXED_OVERRIDES: tuple[tuple[str, str], ...] = (
    ("core.fsmonitor", ""),  # empty: off (a bool for git >= 2.36, a hook path before)
    ("core.hooksPath", os.devnull),
    ("core.pager", "cat"),
    ("core.sshCommand", "false"),
    ("core.askPass", ""),
    ("core.gitProxy", ""),
    ("credential.helper", ""),  # an empty value resets the helper list
    ("diff.external", ""),
    ("protocol.allow", "never"),  # no transport at all: envaudit never fetches
    ("log.showSignature", "false"),  # no gpg.program
    ("status.submoduleSummary", "false"),
)
# Environment variables that name programs or redirect git to another repository.
DROPPED_ENV = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_EXTERNAL_DIFF",
    "GIT_SSH",
    "GIT_SSH_COMMAND",
    "GIT_ASKPASS",
    "SSH_ASKPASS",
    "GIT_EDITOR",
    "GIT_SEQUENCE_EDITOR",
    "GIT_PROXY_COMMAND",
    "GIT_CONFIG_PARAMETERS",
    "GIT_CONFIG_COUNT",
)
_DRIVER_KEYS = {
    "filter": (("clean", ""), ("smudge", ""), ("process", ""), ("required", "false")),
    "diff": (("command", ""), ("textconv", "")),
    "merge": (("driver", ""),),
}
# Files git itself opens and reads to the end: a FIFO or a device there blocks git forever.
CONTROL_FILES = (".gitignore", ".gitattributes", ".git/info/exclude", ".git/info/attributes")
_USER_SCOPES = frozenset({"global", "system"})  # the user's own files: their drivers are kept


def find_git(environ: Mapping[str, str] | None = None, avoid: tuple[str | Path, ...] = ()) -> str | None:
    """The git executable on the PATH of `environ` (default: this process's), never one
    the audited project (`avoid`) could have planted (see `envaudit.toolpath`)."""
    from envaudit.toolpath import which

    return which("git", environ, avoid)


def base_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ if environ is None else environ)
    for var in DROPPED_ENV:
        env.pop(var, None)
    for var in [v for v in env if v.startswith(("GIT_CONFIG_KEY_", "GIT_CONFIG_VALUE_"))]:
        del env[var]
    env.update(
        {
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_PAGER": "cat",
            "PAGER": "cat",
            "LC_ALL": "C",
            "GIT_OPTIONAL_LOCKS": "0",
        }
    )
    return env


def driver_overrides(config_z: bytes) -> list[tuple[str, str]]:
    """From `git config -z --show-scope --get-regexp` output: the (key, value) pairs that
    blank every driver any repository-scope entry defines or changes."""
    drivers: dict[tuple[str, str], None] = {}
    for scope, key in _records(config_z):
        if scope in _USER_SCOPES:
            continue  # local, worktree, an include from there, anything unknown: blanked
        section, _, rest = key.partition(".")
        section = section.lower()
        name, _, _var = rest.rpartition(".")
        if section in _DRIVER_KEYS and name:
            drivers[(section, name)] = None
    return [(f"{s}.{n}.{var}", value) for s, n in drivers for var, value in _DRIVER_KEYS[s]]


def _records(config_z: bytes) -> list[tuple[str, str]]:
    """(scope, key) pairs of `--show-scope -z` output ("scope\\0key\\nvalue\\0"), or of
    plain `-z` output (scope "", treated as the repository's: every driver is blanked)."""
    parts = config_z.split(b"\0")
    out: list[tuple[str, str]] = []
    i = 0
    scoped = bool(parts) and parts[0] in (b"local", b"worktree", b"global", b"system", b"command")
    while i < len(parts):
        if scoped:
            if i + 1 >= len(parts):
                break
            scope, entry = parts[i].decode("utf-8", "replace"), parts[i + 1]
            i += 2
        else:
            scope, entry = "", parts[i]
            i += 1
        if entry:
            out.append((scope, entry.split(b"\n", 1)[0].decode("utf-8", "surrogateescape")))
    return out


def _work_tree(cwd: Path) -> str | None:
    """The nearest directory at or above `cwd` holding a `.git` (directory, or file of a
    linked worktree or submodule); None when there is none (git then finds nothing)."""
    try:
        here = Path(os.path.abspath(cwd))
    except (OSError, ValueError):
        return None
    for d in (here, *here.parents):
        if os.path.lexists(d / ".git"):
            return str(d)
    return None


class GitRefused(OSError):
    """git is not run here: a file it would read could block it (a FIFO, a device)."""


def irregular_control_files(work_tree: Path | str | None) -> list[str]:
    """The ignore / attributes files at the top of `work_tree` that exist but are not
    regular files (followed through symlinks): git would block reading a FIFO."""
    if work_tree is None:
        return []
    out = []
    for rel in CONTROL_FILES:
        p = os.path.join(work_tree, rel)
        try:
            st = os.stat(p)  # (no open: opening a FIFO blocks)
        except OSError:
            continue  # absent, or a dangling link: git skips it
        if not stat.S_ISREG(st.st_mode):
            out.append(rel)
    return out


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill git and whatever it started (it runs in its own process group)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(OSError):
            proc.kill()


class SafeGit:
    """Runs git in `cwd` with the audited repository's command-running settings off."""

    def __init__(
        self,
        cwd: Path | str,
        environ: Mapping[str, str] | None = None,
        exe: str | None = None,
        timeout: float = TIMEOUT,
    ) -> None:
        self.cwd = Path(cwd)
        self.timeout = timeout
        # The work tree is the directory holding `.git`, whatever `core.worktree` in the
        # repository's config says (it can point git at any directory of the machine).
        self.work_tree = _work_tree(self.cwd)
        self.exe = exe or find_git(environ, (self.cwd,)) or "git"
        self.env = base_env(environ)
        self._overrides_ready = False

    def _prefix(self) -> list[str]:
        args = [self.exe, "--no-pager", "--no-optional-locks"]
        if self.work_tree is not None:
            args.append(f"--work-tree={self.work_tree}")
        for key, value in FIXED_OVERRIDES:
            args += ["-c", f"{key}={value}"]
        return args

    def _ensure_overrides(self) -> None:
        """One `git config` listing of the drivers, whose commands are then blanked."""
        if self._overrides_ready:
            return
        bad = irregular_control_files(self.work_tree)
        if bad:
            raise GitRefused(
                f"{', '.join(bad)} {'is' if len(bad) == 1 else 'are'} not a regular file (a FIFO or a "
                "device would block git); git not run"
            )
        self._overrides_ready = True  # set first: the listing below runs through _spawn
        pattern = r"^(filter|diff|merge)\..*\.[^.]*$"
        proc = self._spawn(["config", "-z", "--show-scope", "--get-regexp", pattern])
        rc, out, err = self.wait(proc)
        if rc not in (0, 1, 124, 128):  # a git without --show-scope: blank every driver, whoever defined it
            rc, out, err = self.wait(self._spawn(["config", "-z", "--get-regexp", pattern]))
        if rc not in (0, 1, 128):
            # Fail closed: without the list, git could run a driver. (128: git cannot read
            # the configuration at all, so every later command dies before running one.)
            why = err.splitlines()[-1] if err else f"exited {rc}"
            raise OSError(f"could not list the repository's git drivers: git config {why}")
        pairs = driver_overrides(out) if rc == 0 else []
        if pairs:
            self.env["GIT_CONFIG_COUNT"] = str(len(pairs))
            for i, (key, value) in enumerate(pairs):
                self.env[f"GIT_CONFIG_KEY_{i}"] = key
                self.env[f"GIT_CONFIG_VALUE_{i}"] = value

    def argv(self, *args: str) -> list[str]:
        return [*self._prefix(), *args]

    def _spawn(self, args: list[str], stdin: bool = False, stderr: bool = True) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            self.argv(*args),
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE if stderr else subprocess.DEVNULL,
            start_new_session=True,  # its own process group: a timeout kills all of it
        )

    def popen(self, *args: str, stdin: bool = False, stderr: bool = True) -> subprocess.Popen[bytes]:
        """Start git; stderr=False when only stdout is read (a streamed digest)."""
        self._ensure_overrides()
        return self._spawn(list(args), stdin=stdin, stderr=stderr)

    def run(self, *args: str, input: bytes | None = None) -> tuple[int, bytes, str]:
        return self.wait(self.popen(*args, stdin=input is not None), input)

    def wait(self, proc: subprocess.Popen[bytes], input: bytes | None = None) -> tuple[int, bytes, str]:
        timeout = self.timeout
        try:
            out, err = proc.communicate(input, timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_group(proc)
            with contextlib.suppress(subprocess.TimeoutExpired, OSError):
                proc.communicate(timeout=5)
            return 124, b"", f"timed out after {timeout:g} s"
        return proc.returncode, out or b"", (err or b"").decode("utf-8", "replace").strip()


def run_git(
    cwd: Path | str, *args: str, environ: Mapping[str, str] | None = None, timeout: float = TIMEOUT
) -> tuple[int, bytes, str] | None:
    """One safe git command; None when there is no git to run."""
    exe = find_git(environ, (cwd,))
    if exe is None:
        return None
    try:
        return SafeGit(cwd, environ, exe, timeout).run(*args)
    except OSError:
        return None
