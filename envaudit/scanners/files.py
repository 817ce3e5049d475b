"""The project's files: what git would consider (tracked plus untracked-unignored)
when the project is a git work tree, otherwise a walk; default and configured
excludes applied either way. Symlinks are never followed (no loops)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from envaudit._dataclass import dataclass
from envaudit.config import DEFAULT_EXCLUDES

if TYPE_CHECKING:
    from envaudit.inventory import Inventory

GIT_TIMEOUT = 20
MAX_FILES = 200_000


@dataclass(frozen=True)
class ProjectFiles:
    paths: tuple[str, ...]
    via_git: bool


def _excluded_dir(name: str, rel: str) -> bool:
    return name in DEFAULT_EXCLUDES or rel in DEFAULT_EXCLUDES


def _via_git(inv: Inventory) -> list[str] | None:
    if not (inv.root / ".git").exists():
        return None
    from envaudit.safegit import run_git

    got = run_git(
        inv.root, "ls-files", "-z", "--cached", "--others", "--exclude-standard", timeout=GIT_TIMEOUT
    )
    if got is not None and got[0] == 124:
        inv.skipped(f"git ls-files {got[2]}; project files listed by walking the tree")
    if got is None or got[0] != 0:
        return None
    out = []
    for raw in got[1].split(b"\0"):
        if not raw:
            continue
        rel = raw.decode("utf-8", "surrogateescape")
        parts = rel.split("/")
        if any(p in DEFAULT_EXCLUDES for p in parts[:-1]):
            continue
        out.append(rel)
    return out


def _walk(inv: Inventory) -> list[str]:
    out: list[str] = []
    root = str(inv.root)

    def onerror(err: OSError) -> None:
        inv.diag(f"cannot list {inv.rel(err.filename)}: {err.strerror}", inv.rel(err.filename))

    for dirpath, dirnames, filenames in os.walk(root, onerror=onerror, followlinks=False):
        reldir = os.path.relpath(dirpath, root)
        reldir = "" if reldir == "." else reldir.replace(os.sep, "/")
        keep = []
        for d in dirnames:
            rel = f"{reldir}/{d}" if reldir else d
            if _excluded_dir(d, rel) or inv.config.is_excluded(rel):
                continue
            if os.path.exists(os.path.join(dirpath, d, "pyvenv.cfg")):
                continue  # a virtualenv under any name
            keep.append(d)
        dirnames[:] = sorted(keep)
        for f in filenames:
            out.append(f"{reldir}/{f}" if reldir else f)
        if len(out) > MAX_FILES:
            inv.diag(f"more than {MAX_FILES} files; the rest of the tree was not listed", code="EA002")
            break
    return out


def scan(inv: Inventory) -> ProjectFiles:
    listed = _via_git(inv)
    via_git = listed is not None
    if listed is None:
        listed = _walk(inv)
    paths = sorted(
        p for p in listed if not inv.config.is_excluded(p) and (not via_git or os.path.lexists(inv.root / p))
    )
    return ProjectFiles(tuple(paths), via_git)
