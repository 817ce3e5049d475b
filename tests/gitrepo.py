"""Real git repositories for tests: init, commit, bare remotes (no network)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.conftest import git_init, write

ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(root: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", "-C", str(root), *args], env=ENV, capture_output=True, text=True, check=True, timeout=60
    )
    return proc.stdout.strip()


def repo(root: Path, files: dict[str, str | bytes] | None = None, *, commit: bool = True) -> Path:
    """A repository at root with `files` written and (by default) committed on main."""
    root.mkdir(parents=True, exist_ok=True)
    git_init(root)
    if files:
        write(root, files)
    if commit:
        git(root, "add", "-A")
        git(root, "commit", "-q", "--allow-empty", "-m", "initial")
    return root


def bare_remote(tmp: Path, name: str = "remote.git") -> Path:
    path = tmp / name
    subprocess.run(["git", "init", "-q", "--bare", str(path)], env=ENV, check=True, timeout=60)
    return path
