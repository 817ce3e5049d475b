"""Sub-projects: a folder with its own manifest or lock is a project of its own.

A monorepo's packages, a course's per-lesson Pipfiles and nested examples with
their own uv.lock are installed separately, so their declarations are never
compared with each other (DEP011, PY002) and the environment found for the
audited root is compared only with the root project's pins (DEP006, DEP007).
A file belongs to the deepest project folder above it; "" is the root.
Requirements files alone do not make a project (`requirements/gpu.txt` is
part of the root's), but a pip-tools source does: a folder holding its own
`requirements.in` (services/trainer/requirements.in beside the requirements.txt
compiled from it) is a service installed on its own. A `requirements/` folder of
`.in` files stays the root's.
"""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from envaudit.inventory import Inventory

MARKERS = frozenset(
    {
        "pyproject.toml",
        "setup.py",
        "setup.cfg",
        "Pipfile",
        "Pipfile.lock",
        "environment.yml",
        "environment.yaml",
        "uv.lock",
        "poetry.lock",
        "pdm.lock",
        "pylock.toml",
        "conda-lock.yml",
        "conda-lock.yaml",
    }
)


def project_roots(inv: Inventory) -> tuple[str, ...]:
    """The project folders (relative, "" for the root), deepest first; computed once."""
    cached = getattr(inv, "_envaudit_project_roots", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    roots = {""}
    try:
        files = inv.files()
    except Exception:  # no file listing: everything is the root project
        files = ()
    for rel in files:
        head, _, name = rel.rpartition("/")
        if head and (
            name in MARKERS
            or (name.startswith("pylock.") and name.endswith(".toml"))
            or (name == "requirements.in" and posixpath.basename(head) != "requirements")
        ):
            roots.add(head)
    # a folder with its own Dockerfile and requirements.txt (services/serve/) is built and
    # installed on its own: a project of its own (new-user report, issue 15)
    from envaudit.scanners.dockerfiles import is_dockerfile_name

    with_reqs = {rel.rpartition("/")[0] for rel in files if rel.endswith("/requirements.txt")}
    for rel in files:
        head, _, name = rel.rpartition("/")
        if head in with_reqs and is_dockerfile_name(rel):
            roots.add(head)
    roots -= _uv_workspace_members(inv, roots)
    ordered = tuple(sorted(roots, key=lambda r: (-r.count("/") - (1 if r else 0), r)))
    inv._envaudit_project_roots = ordered  # type: ignore[attr-defined]
    return ordered


def project_of(rel: str | None, roots: tuple[str, ...]) -> str:
    """The project a file belongs to: the deepest project folder above it."""
    if not rel:
        return ""
    folder = posixpath.dirname(rel)
    for r in roots:  # deepest first
        if r and (folder == r or folder.startswith(r + "/")):
            return r
    return ""


def _uv_workspace_members(inv: Inventory, roots: set[str]) -> set[str]:
    """Member folders of a uv workspace (`[tool.uv.workspace] members`): one lock and one
    environment at the workspace root, so they are part of its project, not their own."""
    from envaudit.uvlock import member_folders

    members: set[str] = set()
    for r in roots:
        manifest = f"{r}/pyproject.toml" if r else "pyproject.toml"
        if r in members or manifest not in _files(inv):
            continue
        data = inv.toml(manifest)
        tool = data.get("tool") if isinstance(data, dict) else None
        uv = tool.get("uv") if isinstance(tool, dict) else None
        if isinstance(uv, dict) and isinstance(uv.get("workspace"), dict):
            members |= member_folders(inv, manifest)
    return members


def _files(inv: Inventory) -> set[str]:
    try:
        return set(inv.files())
    except Exception:  # no file listing
        return set()
