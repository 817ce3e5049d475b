"""Each project's environment: the root's target, and a sub-project's own when it has one.

A monorepo's `services/api/` with its own pyproject.toml and `services/api/.venv` is
installed into that `.venv`, not into the root's environment: its pins are compared
with what is installed there (DEP006, DEP007, DEP009). A sub-project's environment is
found as the root's is (envaudit.envfind: its `.venv`/`venv`/`env`, Poetry's, Pipenv's,
conda's, PDM's, Hatch's), except that the active environment and `--python` belong to
the root. A sub-project with no environment of its own is not compared with anything
(it is installed apart from the root's), as before.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from envaudit.condaspec import CondaRecord
    from envaudit.inventory import Inventory
    from envaudit.scanners.packages import InstalledPackages
    from envaudit.scanners.python import Interpreter


@dataclass(frozen=True)
class ProjectEnv:
    project: str  # "" for the root, else the sub-project's folder
    target: Interpreter
    packages: InstalledPackages
    _conda: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def conda(self) -> dict[str, CondaRecord]:
        """conda-meta's records (empty for a virtualenv), read on first use."""
        if "records" not in self._conda:
            records: dict[str, CondaRecord] = {}
            if self.target.found and os.path.isdir(os.path.join(self.target.prefix, "conda-meta")):
                from envaudit.condaspec import read_conda_meta

                records = read_conda_meta(self.target.prefix)
            self._conda["records"] = records
        return self._conda["records"]  # type: ignore[no-any-return]

    @property
    def where(self) -> str:
        return f"{self.target.kind} at {self.target.prefix}"


def project_envs(inv: Inventory) -> list[ProjectEnv]:
    """The root's environment (when found) first, then each sub-project's own, deepest
    first; computed once per audit."""
    key = ("projectenvs",)
    if key in inv.memo:
        return inv.memo[key]  # type: ignore[no-any-return]
    out: list[ProjectEnv] = []
    target = inv.get("python")
    if target.found:
        out.append(ProjectEnv("", target, inv.get("packages")))
    out += [e for e in sub_project_envs(inv)]
    inv.memo[key] = out
    return out


def sub_project_envs(inv: Inventory) -> list[ProjectEnv]:
    key = ("subprojectenvs",)
    if key in inv.memo:
        return inv.memo[key]  # type: ignore[no-any-return]
    from envaudit.envfind import discover
    from envaudit.projects import project_roots
    from envaudit.scanners.packages import InstalledPackages, read_site_packages
    from envaudit.scanners.python import _from_path

    out: list[ProjectEnv] = []
    for project in project_roots(inv):
        if not project:
            continue
        folder = inv.root / project
        found = discover(folder, None, inv.environ, active=False)
        if found.path is None:
            continue
        interp = _from_path(found.path, f"{found.found_by} (sub-project {project}/)", inv)
        if interp is None:
            continue
        dists = [d for sp in interp.site_packages for d in read_site_packages(sp)]
        out.append(ProjectEnv(project, interp, InstalledPackages(tuple(dists), interp.site_packages)))
    inv.memo[key] = out
    return out


def env_label(inv: Inventory, prefix: str) -> str:
    """An environment's path as a report names it: relative when inside the project."""
    try:
        rel = Path(prefix).resolve().relative_to(inv.root)
        return rel.as_posix() if str(rel) != "." else prefix
    except (OSError, ValueError):
        return prefix
