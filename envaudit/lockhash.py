"""Lock freshness hashes, computed exactly the way the lock tools compute them.

Each function takes the parsed manifest (a dict from tomllib) and returns the
hash the tool would write into its lock today; a lock whose recorded hash
differs was made from another version of the manifest. Verified against a
Pipfile.lock written by pipenv 2026.10 (tests/scanners/data/pipenv) and against
the hash functions of Poetry 2.5.1 (`Locker._get_content_hash`) and pdm 2.29.3
(`PyProject.content_hash`) called on the same pyproject files.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

_POETRY_LEGACY_KEYS = ("dependencies", "source", "extras", "dev-dependencies")
_POETRY_KEYS = (*_POETRY_LEGACY_KEYS, "group")
_POETRY_PROJECT_KEYS = ("requires-python", "dependencies", "optional-dependencies")


def poetry_content_hash(pyproject: dict[str, Any], *, with_dependency_groups: bool = True) -> str:
    """`metadata.content-hash` of poetry.lock.

    Poetry 2.x hashes the relevant `[project]` keys, `[dependency-groups]` (from
    2.3 on) and the relevant `[tool.poetry]` keys; with neither `[project]` nor
    `[dependency-groups]` content it hashes the `[tool.poetry]` keys at top level,
    which is also exactly what Poetry 1.x does.
    """
    project = pyproject.get("project", {}) or {}
    groups = (pyproject.get("dependency-groups", {}) or {}) if with_dependency_groups else {}
    tool_poetry = (pyproject.get("tool", {}) or {}).get("poetry", {}) or {}
    rel_project = {k: project[k] for k in _POETRY_PROJECT_KEYS if project.get(k) is not None}
    rel_poetry: dict[str, Any] = {}
    for key in _POETRY_KEYS:
        data = tool_poetry.get(key)
        if data is None and (key not in _POETRY_LEGACY_KEYS or rel_project or groups):
            continue
        rel_poetry[key] = data
    content: dict[str, Any] = {}
    if rel_project:
        content["project"] = rel_project
    if groups:
        content["dependency-groups"] = groups
    if content:
        content["tool"] = {"poetry": rel_poetry}
    else:
        content = rel_poetry
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def poetry_hash_candidates(pyproject: dict[str, Any], generator: str | None) -> set[str]:
    """Every hash Poetry would accept as fresh for a lock written by `generator`
    ("Poetry 2.1.3"): before 2.3 the dependency groups were not hashed."""
    out = {poetry_content_hash(pyproject)}
    version = _version_tuple(generator.split()[-1]) if generator and " " in generator else None
    if version is None or version < (2, 3):
        out.add(poetry_content_hash(pyproject, with_dependency_groups=False))
    if version is None or version < (2,):
        # Poetry 1.x knows only [tool.poetry]: a [project] table does not enter its hash
        out.add(poetry_content_hash({"tool": pyproject.get("tool", {}) or {}}))
    return out


def _version_tuple(text: str) -> tuple[int, ...] | None:
    parts = []
    for p in text.split("."):
        digits = "".join(ch for ch in p if ch.isdigit()) if p else ""
        if not digits:
            break
        parts.append(int(digits))
        if not p.isdigit():
            break
    return tuple(parts) or None


_PIPFILE_DEFAULT_SOURCE = [{"name": "pypi", "url": "https://pypi.org/simple", "verify_ssl": True}]
_PIPFILE_SECTIONS = {"source", "packages", "dev-packages", "requires", "scripts", "pipfile", "pipenv"}


def pipfile_hash(pipfile: dict[str, Any], *, canonical_names: bool = True) -> str:
    """`_meta.hash.sha256` of Pipfile.lock.

    Current pipenv hashes package keys in their PEP 503 canonical form (`Six` and
    `six` hash alike); older releases (plain plette `get_hash`) hashed them as
    written: `canonical_names=False`.
    """
    import re

    def section(values: Any) -> Any:
        if not canonical_names or not isinstance(values, dict):
            return values
        return {re.sub(r"[-_.]+", "-", k).lower(): v for k, v in values.items()}

    data: dict[str, Any] = {
        "_meta": {
            "sources": pipfile.get("source", _PIPFILE_DEFAULT_SOURCE),
            "requires": pipfile.get("requires", {}),
        },
        "default": section(pipfile.get("packages", {})),
        "develop": section(pipfile.get("dev-packages", {})),
    }
    for category, values in pipfile.items():
        if category in _PIPFILE_SECTIONS or category in ("default", "develop"):
            continue
        data[category] = section(values)
    content = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def pipfile_hash_candidates(pipfile: dict[str, Any]) -> set[str]:
    """The hashes current and older pipenv releases would write for this Pipfile."""
    return {pipfile_hash(pipfile), pipfile_hash(pipfile, canonical_names=False)}


def pdm_content_hash(pyproject: dict[str, Any]) -> str:
    """`metadata.content_hash` of pdm.lock, with its `sha256:` prefix."""
    import re

    project = pyproject.get("project", {}) or {}
    settings = (pyproject.get("tool", {}) or {}).get("pdm", {}) or {}
    dev: dict[str, list[Any]] = {}
    for group, deps in (pyproject.get("dependency-groups", {}) or {}).items():
        dev[re.sub(r"[-_.]+", "-", group).lower()] = list(deps)
    for group, deps in (settings.get("dev-dependencies", {}) or {}).items():
        dev.setdefault(re.sub(r"[-_.]+", "-", group).lower(), []).extend(deps)
    dump = {
        "sources": settings.get("source", []),
        "dependencies": project.get("dependencies", []),
        "dev-dependencies": dev,
        "optional-dependencies": project.get("optional-dependencies", {}),
        "requires-python": project.get("requires-python", ""),
        "resolution": settings.get("resolution", {}),
    }
    return "sha256:" + hashlib.sha256(json.dumps(dump, sort_keys=True).encode("utf-8")).hexdigest()
