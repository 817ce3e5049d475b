"""DEP003, DEP004, DEP008: lockfiles against their manifests, imports against declarations.

The lock-based side of DEP006/DEP007 (installed drift, not installed) lives in
`envaudit/rules/deps.py`, which iterates `lock_pins(inv)` from here next to
the requirements files' pins.
"""

from __future__ import annotations

import ast
import functools
import re
import sys
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from envaudit._lazyre import lazy_re
from envaudit.model import Fix, Hit, Location, Severity
from envaudit.rules import rule

if TYPE_CHECKING:
    from envaudit.deps import Declared
    from envaudit.inventory import Inventory
    from envaudit.scanners.locks import Lock, LockedPackage, Locks


# ------------------------------------------------------------------ helpers


def _locks(inv: Inventory) -> Locks:
    locks: Locks = inv.get("locks")
    return locks


def _manifest_reqs(inv: Inventory) -> list[Declared]:
    """Declared requirements of pyproject / setup.cfg / environment.yml (domain
    `manifests`, issue-2), or none where that scanner is not part of this build."""
    import importlib.util

    if importlib.util.find_spec("envaudit.scanners.manifests") is None:
        return []
    return list(inv.get("manifests").requirements)


def _req_reqs(inv: Inventory) -> list[Declared]:
    return list(inv.get("requirements").requirements)


def _folder(rel: str) -> str:
    return rel.rsplit("/", 1)[0] if "/" in rel else ""


def _load_toml_file(inv: Inventory, rel: str | None) -> dict[str, Any] | None:
    if rel is None:
        return None
    data = inv.toml(rel)
    return data if isinstance(data, dict) else None


def _line_of(inv: Inventory, rel: str, needle: str) -> int | None:
    tf = inv.read(rel, record=False)
    if tf is None:
        return None
    pos = tf.text.find(needle)
    return tf.text.count("\n", 0, pos) + 1 if pos >= 0 else None


def _lock_command(lock: Lock) -> str:
    return {
        "poetry": "poetry lock",
        "uv": "uv lock",
        "pdm": "pdm lock",
        "pipfile": "pipenv lock",
        "pylock": "regenerate pylock.toml (e.g. `uv export --format pylock.toml` or `pip lock`)",
        "conda-lock": "conda-lock lock",
        "pip-compile": lock.command or "pip-compile",
        "uv-pip-compile": lock.command or "uv pip compile",
    }.get(lock.format, "regenerate the lock")


# -------------------------------------------------------------------- DEP003

_LOCK_NAMES = {"poetry.lock", "uv.lock", "pdm.lock", "Pipfile.lock", "pylock.toml", "conda-lock.yml"}


@rule(
    "DEP003",
    "no-lockfile",
    Severity.WARNING,
    summary="Dependencies are declared as ranges and nothing locks them to exact versions",
    explanation="""
        A manifest (pyproject.toml, requirements.in, Pipfile, environment.yml,
        setup.cfg) says which versions *may* be used: `torch>=2`, `numpy`. Two
        installs a month apart then get different versions, and a result stops
        reproducing without a single line of the project changing. A lock records
        the exact versions (and hashes) the project was tested with: a
        requirements.txt compiled by pip-compile or `uv pip compile`, poetry.lock,
        uv.lock, Pipfile.lock, pdm.lock, pylock.toml or a conda-lock file. A fully
        pinned requirements file next to the manifest counts as a lock.
    """,
    example="""
        pyproject.toml:6: no-lockfile: pyproject.toml declares 4 dependencies as ranges
        (first: torch>=2) and no lockfile pins them
    """,
    fix="""
        Generate a lock with the tool you use (`uv lock`, `poetry lock`, `pipenv lock`,
        `conda-lock`), or `envaudit fix pins --resolve --write` for a hashed
        requirements.txt compiled by pip-tools.
    """,
)
def no_lockfile(inv: Inventory) -> Iterator[Hit]:
    from envaudit.rules.deps import fix_pins_command

    locks = _locks(inv)
    covered_dirs = {_folder(lk.path) for lk in locks.locks}
    # a lock that failed to parse is reported as EA001; it still is a lock, not a missing one
    covered_dirs |= {_folder(f) for f in inv.files() if f.rsplit("/", 1)[-1] in _LOCK_NAMES}
    covered = {lk.manifest for lk in locks.locks if lk.manifest}
    # a uv workspace's members are pinned by the one uv.lock at its root
    ws_sourced: dict[str, set[str]] = {}
    for lk in locks.locks:
        if lk.format == "uv" and lk.manifest:
            from envaudit import uvlock

            covered_dirs |= uvlock.member_folders(inv, lk.manifest)
    reqs = _req_reqs(inv)
    req_files = inv.get("requirements").files
    for rf in req_files:
        if rf.role != "pin":
            continue
        mine = [d for d in reqs if d.path == rf.path]
        if mine and all(d.exact_version or d.url for d in mine):
            covered_dirs.add(_folder(rf.path))
        if rf.compiled_by:
            covered_dirs.add(_folder(rf.path))
    ranges: dict[str, list[tuple[int, str]]] = {}
    for d in [*_manifest_reqs(inv), *reqs]:
        if d.role != "range" or d.exact_version or d.name == "python":
            continue
        if d.path.endswith("pyproject.toml") and d.name in _workspace_sourced(inv, d.path, ws_sourced):
            continue  # another member of a uv workspace: built from the workspace, not a range to pin
        ranges.setdefault(d.path, []).append((d.line, d.raw))
    for pf in locks.pipfiles:
        for e in pf.entries:
            if not _pipfile_pinned(e.specifier) and not e.url:
                ranges.setdefault(pf.path, []).append((e.line or 1, f"{e.raw_name} = {e.specifier or '*'}"))
    for path in sorted(ranges):
        if path in covered or _folder(path) in covered_dirs:
            continue
        items = sorted(ranges[path])
        line, raw = items[0]
        n = len(items)
        yield Hit(
            f"{path} declares {n} dependenc{'y' if n == 1 else 'ies'} as ranges (first: {raw}) "
            "and no lockfile pins them",
            Location(path, line),
            Fix(
                f"lock them: `{fix_pins_command(inv, path, '--resolve --write')}` (pip-tools), "
                f"or {_suggest_locker(path)}"
            ),
            fact=path,
        )


def _workspace_sourced(inv: Inventory, path: str, cache: dict[str, set[str]]) -> set[str]:
    """Names a pyproject takes from its uv workspace (`{ workspace = true }` sources,
    its own or its workspace root's)."""
    if path in cache:
        return cache[path]
    names: set[str] = set()
    folder = _folder(path)
    candidates = [path]
    while folder:  # the workspace root's sources apply to its members
        folder = _folder(folder)
        candidates.append(f"{folder}/pyproject.toml" if folder else "pyproject.toml")
    files = set(inv.files())
    for rel in candidates:
        if rel not in files:
            continue
        data = _load_toml_file(inv, rel) or {}
        tool = data.get("tool") if isinstance(data.get("tool"), dict) else {}
        uv = tool.get("uv")
        sources = uv.get("sources") if isinstance(uv, dict) else None
        if isinstance(sources, dict):
            names |= {
                _canon_name(k) for k, v in sources.items() if isinstance(v, dict) and v.get("workspace")
            }
    cache[path] = names
    return names


def _pipfile_pinned(spec: str) -> bool:
    from envaudit.deps import is_pinned

    return is_pinned(spec)


def _suggest_locker(path: str) -> str:
    base = path.rsplit("/", 1)[-1]
    if base == "Pipfile":
        return "`pipenv lock`"
    if base.startswith("environment"):
        return "`conda-lock -f environment.yml`"
    return "`uv lock` / `poetry lock` / `pip-compile --generate-hashes`"


# -------------------------------------------------------------------- DEP004


@rule(
    "DEP004",
    "lock-out-of-sync",
    Severity.ERROR,
    summary="The lockfile does not match its manifest, or does not cover the target platform",
    explanation="""
        A lock is only worth something while it matches what the project declares.
        envaudit checks, for every lock it finds:

        - a declared dependency that is missing from the lock;
        - a locked version outside the declared range (`numpy>=2` declared,
          `numpy 1.26.4` locked);
        - a stale content hash: Poetry's `content-hash` and pdm's `content_hash`
          (of the relevant pyproject.toml keys) and Pipfile.lock's `_meta.hash`
          (of the Pipfile), recomputed exactly the way those tools compute them,
          so the finding agrees with `poetry check --lock` and `pipenv verify`;
        - uv.lock: the root package's requirements uv recorded
          (`[package.metadata] requires-dist` / `requires-dev`) versus pyproject's
          dependencies and dependency groups, as `uv lock --check` would;
        - a lock made for other platforms only (conda-lock `platforms`, an
          `@EXPLICIT` file's `# platform:`, uv's `supported-markers`, pylock's
          `environments`).

        Installing from an out-of-sync lock silently installs what the manifest no
        longer asks for; the next `lock` changes versions nobody reviewed.
    """,
    example="""
        poetry.lock:48: lock-out-of-sync: poetry.lock content-hash 5f3c…
        does not match pyproject.toml (expected 9a1e…): the lock is stale
        uv.lock:9: lock-out-of-sync: pyproject.toml declares numpy>=2 but uv.lock recorded numpy>=1.26
    """,
    fix="""
        Re-lock with the tool that wrote the lock (`poetry lock`, `uv lock`,
        `pipenv lock`, `pdm lock`, `pip-compile`), review the diff, and commit
        manifest and lock together.
    """,
)
def lock_out_of_sync(inv: Inventory) -> Iterator[Hit]:
    locks = _locks(inv)
    for d in inv.diagnostics:  # "locked for another platform", recorded by the scanner
        if d.code == "DEP004":
            yield Hit(d.message, d.location)
    manifest_reqs = _manifest_reqs(inv)
    req_reqs = _req_reqs(inv)
    pipfiles = {pf.path: pf for pf in locks.pipfiles}
    from envaudit.scanners.locks import target_environment

    env = target_environment(inv)
    for lock in locks.locks:
        yield from _stale_hash(inv, lock, pipfiles)
        if lock.format == "uv":
            yield from _uv_recorded(inv, lock)
        declared = _declared_for(lock, manifest_reqs, req_reqs, pipfiles, env)
        yield from _declared_vs_locked(lock, declared, check_missing=lock.format != "uv")


def _stale_hash(inv: Inventory, lock: Lock, pipfiles: dict[str, Any]) -> Iterator[Hit]:
    from envaudit import lockhash

    if not lock.content_hash or not lock.manifest:
        return
    expected: set[str] = set()
    if lock.format == "poetry":
        data = _load_toml_file(inv, lock.manifest)
        if data is not None:
            expected = lockhash.poetry_hash_candidates(data, lock.generator)
        needle = "content-hash"
    elif lock.format == "pdm":
        data = _load_toml_file(inv, lock.manifest)
        if data is not None:
            expected = {lockhash.pdm_content_hash(data)}
        needle = "content_hash"
    elif lock.format == "pipfile":
        pf = pipfiles.get(lock.manifest)
        if pf is not None:
            expected = lockhash.pipfile_hash_candidates(pf.data)
        needle = '"sha256"'
    else:
        return
    if expected and lock.content_hash not in expected:
        want = sorted(expected)[0] if len(expected) == 1 else _current_hash(lock, inv, expected)
        yield Hit(
            f"{lock.path} content hash {lock.content_hash[:19]}… does not match {lock.manifest} "
            f"(expected {want[:19]}…): the lock was made from another version of the manifest",
            Location(lock.path, _line_of(inv, lock.path, needle)),
            Fix(f"re-lock: `{_lock_command(lock)}`"),
            fact={"lock": lock.path, "recorded": lock.content_hash, "expected": sorted(expected)},
        )


def _current_hash(lock: Lock, inv: Inventory, expected: set[str]) -> str:
    """The hash the current tool would write (the first recipe), for the message."""
    from envaudit import lockhash

    if lock.format == "poetry":
        data = _load_toml_file(inv, lock.manifest) or {}
        return lockhash.poetry_content_hash(data)
    if lock.format == "pipfile":
        pf = _locks(inv).pipfiles
        for p in pf:
            if p.path == lock.manifest:
                return lockhash.pipfile_hash(p.data)
    return sorted(expected)[0]


def _declared_for(
    lock: Lock,
    manifest_reqs: list[Declared],
    req_reqs: list[Declared],
    pipfiles: dict[str, Any],
    env: dict[str, str],
) -> list[tuple[str, str, str | None, int | None, str, bool, str | None]]:
    """(name, specifier, group, line, path, applies, url) declared by the lock's manifest."""
    out: list[tuple[str, str, str | None, int | None, str, bool, str | None]] = []
    if lock.manifest is None:
        return out
    if lock.format == "pipfile":
        pf = pipfiles.get(lock.manifest)
        if pf is None:
            return out
        from envaudit.scanners.locks import marker_applies

        for e in pf.entries:
            group = None if e.group == "packages" else e.group
            out.append((e.name, e.specifier, group, e.line, pf.path, marker_applies(e.marker, env), e.url))
        return out
    # requirements.in (and other requirements files) are the `requirements` domain's;
    # pyproject.toml / setup.cfg / environment.yml the `manifests` domain's
    pool = manifest_reqs if lock.manifest.endswith((".toml", ".cfg", ".yml", ".yaml")) else req_reqs
    compiled_extras = set(re.findall(r"--extra[= ](\S+)", lock.command or "")) | (
        {"*"} if "--all-extras" in (lock.command or "") else set()
    )
    for d in pool:
        if d.path != lock.manifest or d.name == "python":
            continue
        if d.source == "conda" and not lock.format.startswith("conda"):
            continue  # a conda package is conda's to lock (conda-lock), never missing from a pip lock
        if (
            lock.format in ("pip-compile", "uv-pip-compile")
            and d.group
            and not ({d.group, "*"} & compiled_extras)
        ):
            continue  # pip-compile only locks the extras it was asked for
        if d.group and lock.groups is not None and re.sub(r"[-_.]+", "-", d.group).lower() not in lock.groups:
            continue  # pdm/pylock: a group or extra this lock does not cover
        out.append((d.name, d.specifier, d.group, d.line, d.path, d.applies, d.url))
    return out


def _declared_vs_locked(
    lock: Lock,
    declared: Iterable[tuple[str, str, str | None, int | None, str, bool, str | None]],
    *,
    check_missing: bool,
) -> Iterator[Hit]:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion, Version

    by_name: dict[str, list[LockedPackage]] = {}
    for p in lock.packages:
        by_name.setdefault(p.name, []).append(p)
    for name, spec, _group, line, path, applies, url in declared:
        if not applies:
            continue  # declared for another platform: the lock may rightly leave it out
        found = by_name.get(name)
        if not found:
            if check_missing and not url:
                yield Hit(
                    f"{path} declares {name}{spec} but {lock.path} does not lock it",
                    Location(path, line),
                    Fix(f"re-lock: `{_lock_command(lock)}`"),
                    fact={"lock": lock.path, "name": name},
                )
            continue
        if not spec or url:
            continue
        try:
            sset = SpecifierSet(spec)
        except InvalidSpecifier:
            continue  # a Poetry caret range or other non-PEP 440 text: nothing exact to compare
        relevant = [p for p in found if p.applies and p.version] or [p for p in found if p.version]
        for p in relevant:
            try:
                ok = sset.contains(Version(p.version or ""), prereleases=True)
            except InvalidVersion:
                continue
            if not ok:
                yield Hit(
                    f"{lock.path} locks {name} {p.version}, outside the range {spec} that {path} declares",
                    Location(lock.path, p.line),
                    Fix(f"re-lock: `{_lock_command(lock)}`"),
                    fact={"lock": lock.path, "name": name, "locked": p.version, "declared": spec},
                )


def _norm_req(text: str, env: dict[str, str]) -> tuple[str, tuple[str, ...], str, bool] | None:
    from envaudit.deps import parse_pep508
    from envaudit.scanners.locks import marker_applies

    try:
        r = parse_pep508(text)
    except ValueError:
        return None
    spec = ",".join(sorted(s.strip() for s in r.specifier.split(",") if s.strip()))
    if r.url:
        spec = "@" + r.url
    return (r.name, r.extras, spec, marker_applies(r.marker, env))


def _uv_recorded(inv: Inventory, lock: Lock) -> Iterator[Hit]:
    """uv.lock's recorded root requirements versus pyproject.toml, as `uv lock --check`
    decides: uv lowers each requirement through `[tool.uv.sources]` (a git, URL or path
    source replaces the version specifier; an index source keeps it; a source with a
    marker splits the requirement, and uv adds the complement without a source; a
    `group`/`extra` source applies there only) and compares the result with what it
    recorded, and the project's requires-python with the lock's."""
    data = _load_toml_file(inv, lock.manifest)
    if data is None:
        return
    root = next((p for p in lock.packages if p.root), None)
    project = data.get("project") if isinstance(data.get("project"), dict) else {}
    if lock.manifest is not None:
        yield from _uv_stale_reasons(inv, lock)
    if not project:
        return
    line = _line_of(inv, lock.path, "[package.metadata]") or (root.line if root else None)
    yield from _uv_requires_python(inv, lock, project)
    if root is None:
        return
    requires_python = (
        project.get("requires-python") if isinstance(project.get("requires-python"), str) else None
    )
    yield from _uv_root_version(inv, lock, project, root)
    from envaudit.scanners.locks import target_environment

    env = target_environment(inv)
    uv_tool = (data.get("tool") or {}).get("uv") or {}
    uv_tool = uv_tool if isinstance(uv_tool, dict) else {}
    sources = uv_tool.get("sources") if isinstance(uv_tool.get("sources"), dict) else {}
    yield from _uv_manifest(inv, lock, uv_tool, env, requires_python)
    yield from _uv_members(inv, lock, project, uv_tool)
    indexes = {
        str(i.get("name")): str(i.get("url", ""))
        for i in uv_tool.get("index") or []
        if isinstance(i, dict) and i.get("name")
    }
    base = (inv.root / lock.manifest).parent if lock.manifest else inv.root
    # (group, extra, requirement): group is a dependency group, extra an optional-dependencies key
    declared: list[tuple[str | None, str | None, str]] = [
        (None, None, r) for r in project.get("dependencies", []) or []
    ]
    for extra, reqs in (project.get("optional-dependencies") or {}).items():
        declared += [(None, extra, _with_extra(r, extra)) for r in reqs or []]
    groups = dict(data.get("dependency-groups") or {})
    uv_dev = uv_tool.get("dev-dependencies")
    if uv_dev:
        groups["dev"] = [*(groups.get("dev") or []), *uv_dev]
    for g in groups:
        declared += [(g, None, r) for r in _group_requirements(groups, g)]
    meta = lock.root_metadata if isinstance(lock.root_metadata, dict) else {}
    yield from _uv_extras_listed(lock, project, meta, line)
    if isinstance(meta.get("requires-dev"), dict) or (meta and groups):
        # uv records every dependency group by name, an empty one too
        want_groups = {_canon_group(str(g)) for g in groups}
        have_groups = {_canon_group(str(g)) for g in (meta.get("requires-dev") or {})}
        if want_groups != have_groups:
            yield Hit(
                f"{lock.manifest} declares the dependency groups {_few(str(g) for g in want_groups) or 'none'}"
                f" but {lock.path} recorded {_few(str(g) for g in have_groups) or 'none'}",
                Location(lock.path, line),
                Fix("re-lock: `uv lock`"),
                fact={"lock": lock.path, "name": "dependency-groups"},
            )
    recorded: list[tuple[str | None, dict[str, Any]]] = [
        (None, r) for r in meta.get("requires-dist", []) or [] if isinstance(r, dict)
    ]
    for g, reqs in (meta.get("requires-dev") or {}).items():
        recorded += [(g, r) for r in reqs or [] if isinstance(r, dict)]
    if not meta:  # an older lock without [package.metadata]: the strings the scanner kept
        recorded = [(None, _uv_table(r)) for r in lock.root_requires]
        recorded += [(g, _uv_table(r)) for g, r in lock.root_requires_dev]

    def compare(group: str | None, name: str, want: list[tuple[Any, ...]], have: list[dict[str, Any]]) -> Any:
        entries = sources.get(name) or next((v for k, v in sources.items() if _canon_name(k) == name), None)
        if not isinstance(entries, (dict, list)):
            entries = None
        return _uv_compare(want, have, entries, group, indexes, base, env, requires_python)

    yield from _uv_requirement_hits(lock, lock.manifest, line, declared, recorded, env, compare)


def _uv_extras_listed(
    lock: Lock, project: dict[str, Any], meta: dict[str, Any], line: int | None
) -> Iterator[Hit]:
    """uv records the names of the project's extras (`provides-extras`), an empty one too."""
    listed = meta.get("provides-extras")
    declared = project.get("optional-dependencies") or {}
    if not isinstance(listed, list) or not isinstance(declared, dict):
        return
    want = {_canon_group(str(k)) for k in declared}
    have = {_canon_group(str(k)) for k in listed}
    if want != have:
        yield Hit(
            f"{lock.manifest} declares the extras {_few(str(x) for x in want) or 'none'} but {lock.path}"
            f" recorded {_few(str(x) for x in have) or 'none'}",
            Location(lock.path, line),
            Fix("re-lock: `uv lock`"),
            fact={"lock": lock.path, "name": "provides-extras"},
        )


def _group_requirements(groups: dict[str, Any], name: str, seen: frozenset[str] = frozenset()) -> list[str]:
    """A dependency group's requirements with `{include-group = "…"}` expanded (PEP 735),
    as uv records them; a cycle or an unknown group contributes nothing."""
    out: list[str] = []
    if name in seen:
        return out
    for r in groups.get(name) or []:
        if isinstance(r, str):
            out.append(r)
        elif isinstance(r, dict) and isinstance(r.get("include-group"), str):
            target = r["include-group"]
            key = next((g for g in groups if _canon_group(g) == _canon_group(target)), target)
            out += _group_requirements(groups, key, seen | {name})
    return out


def _uv_stale_reasons(inv: Inventory, lock: Lock) -> Iterator[Hit]:
    """What else `uv lock --check` compares (`envaudit.uvlock`): the project's name,
    virtual or package, a dynamic version, `environments`, `conflicts`, a project-less
    workspace root's groups, and every other workspace member's version, extras and
    requirements. The root's version and extras, requires-python, the member set and
    `[manifest]` constraints are checked above."""
    from envaudit import uvlock

    assert lock.manifest is not None
    for reason in uvlock.stale_reasons(inv, lock.path, lock.manifest, covered_above=True):
        yield Hit(
            reason.message,
            Location(lock.path, _line_of(inv, lock.path, reason.needle) if reason.needle else None),
            Fix("re-lock: `uv lock`"),
            fact={"lock": lock.path, "name": reason.needle or "project"},
        )
    members = uvlock.workspace_members(inv, lock.manifest)
    lock_data = _load_toml_file(inv, lock.path) or {}
    found = uvlock.member_packages(lock_data, _folder(lock.path), members)
    root_tool = uvlock._uv_tool(_load_toml_file(inv, lock.manifest) or {})
    for m in members:
        pkg = found.get(m.name)
        if pkg is None or m.manifest == lock.manifest:
            continue  # the root's requirements are compared below; a missing member is reported above
        meta = pkg.get("metadata") if isinstance(pkg.get("metadata"), dict) else {}
        line = _line_of(inv, lock.path, f'[[package]]\nname = "{pkg["name"]}"')
        yield from _uv_member_requirements(inv, lock, m, meta, root_tool, line, False)


def _uv_member_requirements(
    inv: Inventory,
    lock: Lock,
    member: Any,
    meta: dict[str, Any],
    root_tool: dict[str, Any],
    line: int | None,
    is_root: bool,
) -> Iterator[Hit]:
    """One workspace member's requires-dist / requires-dev against its pyproject."""
    from envaudit.scanners.locks import target_environment

    env = target_environment(inv)
    data, project = member.data, member.project
    uv_tool = member.uv_tool
    root_sources = root_tool.get("sources") if isinstance(root_tool.get("sources"), dict) else {}
    own_sources = uv_tool.get("sources") if isinstance(uv_tool.get("sources"), dict) else {}
    # a workspace root's sources apply to every member unless the member names its own
    sources = {**{_canon_name(k): v for k, v in root_sources.items()}}
    sources.update({_canon_name(k): v for k, v in own_sources.items()})
    indexes = {
        str(i.get("name")): str(i.get("url", ""))
        for tool in (root_tool, uv_tool)
        for i in tool.get("index") or []
        if isinstance(i, dict) and i.get("name")
    }
    base = inv.root / member.folder if member.folder else inv.root
    lock_base = (inv.root / lock.path).parent

    # (group, extra, requirement): group is a dependency group, extra an optional-dependencies key
    def _seq(x: Any) -> list[Any]:
        return x if isinstance(x, list) else []

    def _map(x: Any) -> dict[str, Any]:
        return x if isinstance(x, dict) else {}

    declared: list[tuple[str | None, str | None, str]] = [
        (None, None, r) for r in _seq(project.get("dependencies")) if isinstance(r, str)
    ]
    for extra, reqs in _map(project.get("optional-dependencies")).items():
        declared += [(None, extra, _with_extra(r, extra)) for r in _seq(reqs) if isinstance(r, str)]
    groups = dict(_map(data.get("dependency-groups")))
    uv_dev = _seq(uv_tool.get("dev-dependencies"))
    if uv_dev:
        groups["dev"] = [*_seq(groups.get("dev")), *uv_dev]
    for g, reqs in groups.items():
        declared += [(g, None, r) for r in _seq(reqs) if isinstance(r, str)]  # include-group tables skipped
    recorded: list[tuple[str | None, dict[str, Any]]] = [
        (None, r) for r in _seq(meta.get("requires-dist")) if isinstance(r, dict)
    ]
    for g, reqs in _map(meta.get("requires-dev")).items():
        recorded += [(g, r) for r in _seq(reqs) if isinstance(r, dict)]
    if not meta and is_root:  # an older lock without [package.metadata]: the strings the scanner kept
        recorded = [(None, _uv_table(r)) for r in lock.root_requires]
        recorded += [(g, _uv_table(r)) for g, r in lock.root_requires_dev]
    if not meta and not is_root:
        return  # nothing recorded to compare with

    python = project.get("requires-python") if isinstance(project.get("requires-python"), str) else None

    def compare(group: str | None, name: str, want: list[tuple[Any, ...]], have: list[dict[str, Any]]) -> Any:
        return _uv_compare(want, have, sources.get(name), group, indexes, base, env, python, lock_base)

    yield from _uv_requirement_hits(lock, member.manifest, line, declared, recorded, env, compare)


def _uv_requirement_hits(
    lock: Lock,
    manifest: str | None,
    line: int | None,
    declared: list[tuple[str | None, str | None, str]],
    recorded: list[tuple[str | None, dict[str, Any]]],
    env: Any,
    compare: Any,
) -> Iterator[Hit]:
    """A manifest's requirements (group, extra, text) against those uv.lock recorded for
    it: one DEP004 per requirement added, dropped, or changed (`compare(group, name,
    declared, recorded)` says what differs, or None)."""
    want: dict[tuple[str | None, str], list[tuple[Any, ...]]] = {}
    for g, extra, text in declared:
        n = _norm_req(text, env)
        if n is not None:
            want.setdefault((_canon_group(g), n[0]), []).append((*n, extra, text))
    have: dict[tuple[str | None, str], list[dict[str, Any]]] = {}
    for g, table in recorded:
        have.setdefault((_canon_group(g), _canon_name(str(table.get("name", "")))), []).append(table)

    for key in sorted(set(want) | set(have), key=lambda k: (k[0] or "", k[1])):
        group, name = key
        where = f" (group {group})" if group else ""
        if key not in have:
            yield Hit(
                f"{manifest} declares {name}{where} but {lock.path} was locked without it",
                Location(lock.path, line),
                Fix("re-lock: `uv lock`"),
                fact={"lock": lock.path, "name": name},
            )
            continue
        if key not in want:
            yield Hit(
                f"{lock.path} was locked with {name}{where}, which {manifest} no longer declares",
                Location(lock.path, line),
                Fix("re-lock: `uv lock`"),
                fact={"lock": lock.path, "name": name},
            )
            continue
        problem = compare(group, name, want[key], have[key])
        if problem:
            yield Hit(
                f"{manifest} declares {problem[0]}{where} but {lock.path} recorded {problem[1]}",
                Location(lock.path, line),
                Fix("re-lock: `uv lock`"),
                fact={"lock": lock.path, "name": name},
            )


def _uv_root_version(
    inv: Inventory, lock: Lock, project: dict[str, Any], root: LockedPackage
) -> Iterator[Hit]:
    """uv records the project's own static version; `uv lock --check` fails when it changed
    (also with `package = false`)."""
    from packaging.version import InvalidVersion, Version

    declared = project.get("version")
    dynamic = project.get("dynamic") or []
    if not isinstance(declared, str) or "version" in dynamic or not root.version:
        return
    try:
        same = Version(declared) == Version(root.version)
    except InvalidVersion:
        same = declared == root.version
    if not same:
        yield Hit(
            f"{lock.manifest} gives the project version {declared} but {lock.path} recorded {root.version}",
            Location(lock.path, root.line),
            Fix("re-lock: `uv lock`"),
            fact={"lock": lock.path, "name": root.name},
        )


# [tool.uv] key -> the [manifest] key of uv.lock that records it
_UV_MANIFEST = {
    "constraint-dependencies": "constraints",
    "override-dependencies": "overrides",
    "build-constraint-dependencies": "build-constraints",
}


def _uv_manifest(
    inv: Inventory, lock: Lock, uv_tool: dict[str, Any], env: dict[str, str], python: str | None
) -> Iterator[Hit]:
    """`[tool.uv]` constraints, overrides and build constraints against the `[manifest]`
    table uv wrote: a lock made before one was added, dropped or changed is stale."""
    recorded = lock.uv_manifest if isinstance(lock.uv_manifest, dict) else {}
    for key, field_name in _UV_MANIFEST.items():
        want_list = uv_tool.get(key) or []
        have_list = recorded.get(field_name) or []
        if not isinstance(want_list, list) or not isinstance(have_list, list):
            continue
        want = {k for r in want_list if isinstance(r, str) and (k := _manifest_key(r, env, python))}
        have = {
            k for t in have_list if isinstance(t, dict) and (k := _manifest_key(_uv_req_text(t), env, python))
        }
        if want != have:
            shown_w = _few(r for r in want_list if isinstance(r, str)) or "none"
            shown_h = _few(_uv_req_text(t) for t in have_list if isinstance(t, dict)) or "none"
            yield Hit(
                f"{lock.manifest} [tool.uv] {key} = {shown_w} but {lock.path} recorded {shown_h}",
                Location(lock.path, _line_of(inv, lock.path, "[manifest]")),
                Fix("re-lock: `uv lock`"),
                fact={"lock": lock.path, "name": key},
            )


def _uv_members(
    inv: Inventory, lock: Lock, project: dict[str, Any], uv_tool: dict[str, Any]
) -> Iterator[Hit]:
    """A workspace's members (`[tool.uv.workspace] members`/`exclude` globs, each a folder
    with a pyproject.toml) against the `members` uv recorded in `[manifest]`."""
    import fnmatch
    import posixpath

    from envaudit.deps import canonical

    workspace = uv_tool.get("workspace")
    recorded = lock.uv_manifest.get("members") if isinstance(lock.uv_manifest, dict) else None
    if not isinstance(workspace, dict) or not isinstance(project.get("name"), str):
        return
    patterns = [p for p in workspace.get("members") or [] if isinstance(p, str)]
    excluded = [p for p in workspace.get("exclude") or [] if isinstance(p, str)]
    base = posixpath.dirname(lock.manifest or "")
    want = {canonical(project["name"])}
    for rel in inv.files():
        if not rel.endswith("/pyproject.toml"):
            continue
        folder = posixpath.dirname(rel)
        inner = posixpath.relpath(folder, base) if base else folder
        if inner.startswith("..") or inner == ".":
            continue
        if any(fnmatch.fnmatchcase(inner, p.rstrip("/")) for p in patterns) and not any(
            fnmatch.fnmatchcase(inner, p.rstrip("/")) for p in excluded
        ):
            data = inv.toml(rel) or {}
            name = (data.get("project") or {}).get("name") if isinstance(data.get("project"), dict) else None
            if isinstance(name, str):
                want.add(canonical(name))
    have = (
        {canonical(str(m)) for m in recorded} if isinstance(recorded, list) else {canonical(project["name"])}
    )
    if want != have:
        yield Hit(
            f"{lock.manifest} has the workspace members {_few(want)} but {lock.path} recorded {_few(have)}",
            Location(lock.path, _line_of(inv, lock.path, "members")),
            Fix("re-lock: `uv lock`"),
            fact={"lock": lock.path, "name": "workspace-members"},
        )


def _manifest_key(text: str, env: dict[str, str], python: str | None) -> Any:
    n = _norm_req(text, env)
    if n is None:
        return None
    return (n[0], _extras(n[1]), _spec_key(n[2]), _marker_sig(_marker_of(text), python))


def _canon_name(name: str) -> str:
    from envaudit.deps import canonical

    return canonical(name)


def _uv_requires_python(inv: Inventory, lock: Lock, project: dict[str, Any]) -> Iterator[Hit]:
    """uv locks for the workspace's requires-python (every member's, intersected) and
    writes it its own way (`>=3.11,<3.12` as `==3.11.*`): compared by meaning."""
    from envaudit import uvlock

    if not lock.requires_python or lock.manifest is None:
        return
    members = uvlock.workspace_members(inv, lock.manifest)
    declared = uvlock.declared_requires_python(members)
    if not declared or uvlock.python_specs_equal(declared, lock.requires_python) is not False:
        return
    where = uvlock._where(members)
    yield Hit(
        f"{where} requires-python {declared} but {lock.path} was locked for {lock.requires_python}",
        Location(lock.path, _line_of(inv, lock.path, "requires-python")),
        Fix("re-lock: `uv lock`"),
        fact={"lock": lock.path, "name": "requires-python"},
    )


def _uv_table(req: str) -> dict[str, Any]:
    """A PEP 508 string back to uv's table form (for a lock without [package.metadata])."""
    from envaudit.deps import parse_pep508

    try:
        r = parse_pep508(req)
    except ValueError:
        return {"name": req}
    out: dict[str, Any] = {"name": r.name}
    if r.extras:
        out["extras"] = list(r.extras)
    if r.specifier:
        out["specifier"] = r.specifier
    if r.marker:
        out["marker"] = r.marker
    if r.url:
        out["git" if r.url.startswith("git+") else "url"] = r.url.removeprefix("git+")
    return out


_UV_SOURCE_KINDS = ("git", "url", "path", "directory", "editable", "index")


def _uv_source_key(kind: str, value: str, base: Any, query: dict[str, str] | None = None) -> tuple[str, str]:
    """One source, normalised so pyproject's and the lock's spelling compare equal."""
    import os
    from urllib.parse import parse_qsl, urlsplit, urlunsplit

    if kind in ("path", "directory"):
        kind = "path"
    v = value.strip()
    if kind == "git":
        parts = urlsplit(v)
        q = dict(parse_qsl(parts.query))
        q.update({k: str(x) for k, x in (query or {}).items() if x is not None})
        q = {k: x for k, x in q.items() if not (k == "subdirectory" and x in (".", ""))}
        v = urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))
        v += "?" + "&".join(f"{k}={q[k]}" for k in sorted(q)) if q else ""
        return kind, v
    if v.startswith("file://"):
        v = v[len("file://") :]
    if "://" not in v:
        p = v if os.path.isabs(v) else os.path.join(str(base), v)
        v = os.path.normpath(p)
    return kind, v.rstrip("/")


def _uv_compare(
    want: list[tuple[Any, ...]],
    have: list[dict[str, Any]],
    entries: Any,
    group: str | None,
    indexes: dict[str, str],
    base: Any,
    env: dict[str, str],
    python: str | None = None,
    lock_base: Any = None,
) -> tuple[str, str] | None:
    """(declared, recorded) as text when the lowered declaration differs from the record.
    `python` is the project's requires-python: uv drops what it implies from markers."""
    declared_extras = {_extras(n[1]) for n in want}
    recorded_extras = {_extras(t.get("extras") or ()) for t in have}
    entry_list = entries if isinstance(entries, list) else [entries] if isinstance(entries, dict) else []
    extras_of_want = {n[4] for n in want}
    applicable = [
        e
        for e in entry_list
        if isinstance(e, dict)
        and (e.get("group") is None or _canon_group(str(e["group"])) == group)
        and (e.get("extra") is None or e["extra"] in extras_of_want)
    ]
    if any("workspace" in e for e in applicable):
        return None  # a workspace member: its own lock entry, not a source to compare
    if not applicable:
        if any(k in t for t in have for k in _UV_SOURCE_KINDS):
            return ("no source", "a source: " + "; ".join(sorted(_uv_req_text(t) for t in have)))
        # no source: uv records the requirement as written (extras, specifier, marker)
        rec = [(_norm_req(_uv_req_text(t), env), t.get("marker")) for t in have]
        got = {(_extras(n[1]), _spec_key(n[2]), _marker_sig(m, python)) for n, m in rec if n is not None}
        wanted = {(_extras(n[1]), _spec_key(n[2]), _marker_sig(_marker_of(n[5]), python)) for n in want}
        if got != wanted:
            return (_few(n[5] for n in want), _few(_uv_req_text(t) for t in have))
        return None
    if declared_extras != recorded_extras:
        return (f"extras {sorted(declared_extras)}", f"extras {sorted(recorded_extras)}")
    # uv lowers each requirement once per source, under the requirement's marker and the
    # source's together (a combination that never holds is dropped)
    want_src: dict[tuple[str, str, tuple[bool, ...]], str | None] = {}
    for n in want:
        req_marker = _marker_of(n[5])
        for e in applicable:
            kind = next((k for k in _UV_SOURCE_KINDS if k in e), None)
            if kind is None:
                continue
            value = str(e[kind])
            if kind == "index":
                value = indexes.get(value, value)
            elif kind == "path" and e.get("editable"):
                kind = "editable"
            query = (
                {k: str(e[k]) for k in ("rev", "tag", "branch", "subdirectory") if k in e}
                if kind == "git"
                else None
            )
            src_marker = e.get("marker") if isinstance(e.get("marker"), str) else None
            parts = [m for m in (req_marker, src_marker) if m]
            both = " and ".join(f"({m})" for m in parts) if len(parts) > 1 else (parts[0] if parts else None)
            sig = _marker_sig(both, python)
            if sig and not any(x is True for x in sig):
                continue  # never true: uv drops it
            want_src[(*_uv_source_key(kind, value, base, query), sig)] = both
    have_src: dict[tuple[str, str, tuple[bool, ...]], str | None] = {}
    for t in have:
        kind = next((k for k in _UV_SOURCE_KINDS if k in t), None)
        if kind is not None:
            marker = t.get("marker") if isinstance(t.get("marker"), str) else None
            have_key = _uv_source_key(kind, str(t[kind]), base if lock_base is None else lock_base)
            have_src[(*have_key, _marker_sig(marker, python))] = marker
    if set(want_src) != set(have_src):
        only_w = {k: v for k, v in want_src.items() if k not in have_src}
        only_h = {k: v for k, v in have_src.items() if k not in want_src}
        return (_sources_text(only_w), _sources_text(only_h))
    if all(k == "index" for k, _, _ in want_src):  # only an index source keeps the version specifier
        spec_w = {n[2] for n in want}
        spec_h = {_norm_spec(str(t.get("specifier", ""))) for t in have}
        if {_spec_key(x) for x in spec_w} != {_spec_key(x) for x in spec_h}:
            return ("; ".join(sorted(spec_w)), "; ".join(sorted(spec_h)))
    return None


def _sources_text(items: dict[tuple[str, str, tuple[bool, ...]], str | None]) -> str:
    """Sources for a message, each with the marker it applies under: the differing ones only."""
    if not items:
        return "no such source"
    parts = [f"{k} {v}" + (f" where {m}" if m else " everywhere") for (k, v, _), m in sorted(items.items())]
    return "source " + "; ".join(parts) if len(parts) == 1 else "sources " + "; ".join(parts)


def _extras(names: Any) -> tuple[str, ...]:
    from envaudit.deps import canonical

    return tuple(sorted({canonical(str(n)) for n in names}))


def _few(items: Iterable[str], n: int = 3) -> str:
    """At most n requirements for a message (a project can list hundreds)."""
    items = sorted(items)
    more = f" (and {len(items) - n} more)" if len(items) > n else ""
    return "; ".join(items[:n]) + more


def _marker_of(text: str) -> str | None:
    from envaudit.deps import parse_pep508

    try:
        return parse_pep508(text).marker
    except ValueError:
        return None


_MARKER_GRID = [
    {
        "sys_platform": plat,
        "platform_system": system,
        "os_name": osn,
        "platform_machine": machine,
        "python_version": f"3.{minor}",
        "python_full_version": f"3.{minor}.0",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "extra": "",
    }
    for plat, system, osn in (
        ("linux", "Linux", "posix"),
        ("darwin", "Darwin", "posix"),
        ("win32", "Windows", "nt"),
    )
    for machine in ("x86_64", "aarch64", "arm64", "AMD64")
    for minor in range(8, 15)
]


def _marker_sig(marker: Any, python: str | None = None) -> tuple[bool, ...]:
    """A marker's truth table over common platforms and Pythons: uv rewrites markers
    (`python_version` as `python_full_version`, reordered clauses), so markers are
    compared by what they select, not by how they are spelled. Only the Pythons the
    project's requires-python admits count: uv simplifies a marker under it
    (`python_version >= '3.10'` with requires-python >=3.10 is recorded as no marker)."""
    if not marker:
        return ()
    from envaudit.deps import canonical, evaluate_marker

    text = str(marker)
    # extra names compare normalised (PEP 685): `extra == 'core_scripts'` is uv's 'core-scripts'
    extras = sorted({canonical(e) for e in re.findall(r"""extra\s*==\s*['"]([^'"]+)['"]""", text)})
    grid = _grid_for(python)
    table = tuple(
        evaluate_marker(text, {k: v for k, v in env.items() if k != "extra"}, extra)
        for extra in ["", *extras]
        for env in grid
    )
    return () if all(table) else (*extras, *table)


@functools.lru_cache(maxsize=64)
def _grid_for(python: str | None) -> tuple[dict[str, str], ...]:
    if python:
        from packaging.specifiers import InvalidSpecifier, SpecifierSet

        try:
            allowed = SpecifierSet(python)
        except InvalidSpecifier:
            return tuple(_MARKER_GRID)
        kept = tuple(e for e in _MARKER_GRID if allowed.contains(e["python_full_version"], prereleases=True))
        if kept:
            return kept
    return tuple(_MARKER_GRID)


def _spec_key(spec: str) -> Any:
    """A version specifier compared as uv compares it: clause by clause, in any order, with
    versions compared as versions (`>=1` is `>=1.0`); `===`, wildcards and URLs as written."""
    if not spec or spec.startswith("@"):
        return spec
    from packaging.version import InvalidVersion, Version

    out = set()
    for clause in spec.split(","):
        clause = clause.strip()
        m = re.match(r"^(===|==|!=|~=|<=|>=|<|>)\s*(.+)$", clause)
        if not m or m.group(1) == "===" or m.group(2).endswith(".*"):
            out.add(("", clause.replace(" ", "")))
            continue
        try:
            out.add((m.group(1), Version(m.group(2))))
        except InvalidVersion:
            out.add(("", clause.replace(" ", "")))
    return frozenset(out)


def _norm_spec(spec: str) -> str:
    return ",".join(sorted(s.strip() for s in spec.split(",") if s.strip()))


def _uv_req_text(t: dict[str, Any]) -> str:
    from envaudit.scanners.locks import _uv_req_str

    return _uv_req_str(t)


def _canon_group(g: str | None) -> str | None:
    return re.sub(r"[-_.]+", "-", g).lower() if g else None


def _with_extra(req: str, extra: str) -> str:
    marker = f"extra == '{extra}'"
    if ";" in req:
        base, m = req.split(";", 1)
        return f"{base} ; ({m.strip()}) and {marker}"
    return f"{req} ; {marker}"


# ------------------------------------------------------- DEP006/DEP007 support


# `Declared.source` of the pins `lock_pins` returns (the lock formats it reads)
LOCK_SOURCES = ("poetry", "uv", "pdm", "pipfile", "pylock", "conda-lock", "conda-explicit")


def lock_pins(inv: Inventory) -> list[Declared]:
    """Every locked package as a `Declared` pin (role "pin", source = the lock format),
    for the installed-drift and not-installed checks. The project's own root entry is
    left out; packages only installed on request (extras, non-default groups, another
    platform) have `applies=False`, so only drift is checked for them."""
    from envaudit.deps import Declared

    out: list[Declared] = []
    for lock in _locks(inv).locks:
        if lock.format in ("pip-compile", "uv-pip-compile"):
            continue  # requirements files: already in the `requirements` domain
        conda = lock.format in ("conda-lock", "conda-explicit")
        for p in lock.packages:
            if p.root or not p.version:
                continue
            if conda and "pip" not in p.groups:
                continue  # conda packages are not Python distributions (python, cudatoolkit, …)
            dev = bool(p.groups) and not ({"main", "default"} & set(p.groups)) and not conda
            group = next((g for g in p.groups if g not in ("main", "default")), None) if dev else None
            out.append(
                Declared(
                    name=p.name,
                    raw=f"{p.name}=={p.version}",
                    specifier=f"=={p.version}",
                    marker=p.marker,
                    url=p.source if p.source and "+" in p.source else None,
                    hashes=p.hashes,
                    path=lock.path,
                    line=p.line or 0,
                    source=lock.format,
                    role="pin",
                    group=group,
                    applies=p.applies and not p.optional and not dev,
                )
            )
    return out


# -------------------------------------------------------------------- DEP008

# import name -> distribution, where the two differ and the distribution may not be installed
FAMOUS_MISMATCHES: dict[str, str] = {
    "cv2": "opencv-python",
    "sklearn": "scikit-learn",
    "skimage": "scikit-image",
    "PIL": "pillow",
    "yaml": "pyyaml",
    "bs4": "beautifulsoup4",
    "dateutil": "python-dateutil",
    "dotenv": "python-dotenv",
    "jwt": "pyjwt",
    "git": "gitpython",
    "Crypto": "pycryptodome",
    "OpenSSL": "pyopenssl",
    "attr": "attrs",
    "google.protobuf": "protobuf",
    "serial": "pyserial",
    "usb": "pyusb",
    "magic": "python-magic",
    "docx": "python-docx",
    "pptx": "python-pptx",
    "fitz": "pymupdf",
    "Levenshtein": "levenshtein",
    "lightgbm": "lightgbm",
    "MySQLdb": "mysqlclient",
    "psycopg2": "psycopg2-binary",
    "pynvml": "nvidia-ml-py",
    "mpl_toolkits": "matplotlib",
    "tensorflow_hub": "tensorflow-hub",
    "faiss": "faiss-cpu",
    "umap": "umap-learn",
    "wandb": "wandb",
    "huggingface_hub": "huggingface-hub",
    "lightning": "lightning",
    "pytorch_lightning": "pytorch-lightning",
    "websocket": "websocket-client",
    "zmq": "pyzmq",
    "win32api": "pywin32",
    "Bio": "biopython",
    "rdkit": "rdkit",
    "osgeo": "gdal",
    "igraph": "igraph",
    "jose": "python-jose",
    "multipart": "python-multipart",
    "slugify": "python-slugify",
    "ruamel": "ruamel-yaml",
    "tree_sitter": "tree-sitter",
    "sentencepiece": "sentencepiece",
    "hydra": "hydra-core",
    "omegaconf": "omegaconf",
    "detectron2": "detectron2",
    "pkg_resources": "setuptools",
    "setuptools": "setuptools",
    "cairo": "pycairo",
    "jpype": "jpype1",
    "gi": "pygobject",
    "ffmpeg": "ffmpeg-python",
    "cuda": "cuda-python",
    "tensorboardX": "tensorboardx",
    "IPython": "ipython",
}

# other distributions that install the same import name (PyPI builds of one project):
# declaring any of them declares the import
ALSO_PROVIDED_BY: dict[str, tuple[str, ...]] = {
    "faiss": ("faiss-gpu", "faiss-cpu", "faiss"),
    "cv2": ("opencv-python-headless", "opencv-contrib-python", "opencv-contrib-python-headless"),
    "psycopg2": ("psycopg2",),
    "tensorflow": ("tensorflow-cpu", "tensorflow-gpu", "tensorflow-macos", "tensorflow-intel"),
    "torch": ("torch",),
    "onnxruntime": ("onnxruntime-gpu",),
    "PIL": ("pillow-simd",),
}

# namespace packages shared by many distributions: `google.cloud.storage` is
# google-cloud-storage, `google.auth` google-auth, `azure.storage.blob` azure-storage-blob
_NAMESPACE_TOPS = ("google", "azure")


def _namespace_dists(full: str) -> set[str]:
    from envaudit.deps import canonical

    parts = full.split(".")
    if len(parts) < 2 or parts[0] not in _NAMESPACE_TOPS:
        return set()
    if parts[:2] == ["google", "protobuf"]:
        return {"protobuf"}
    out = set()
    for k in range(2, len(parts) + 1):  # google.cloud.storage.blob: google-cloud, google-cloud-storage, …
        out.add(canonical("-".join(parts[:k])))
    return out


_RECORD_HEAD = lazy_re(r"^([^,/\n]*)(/?)", re.MULTILINE)

# distributions that are part of every environment's tooling; importing them needs no declaration
_ALWAYS_PRESENT = {"pip", "setuptools", "wheel", "pkg-resources"}


def module_map(inv: Inventory, wanted: set[str] | None = None) -> dict[str, set[str]]:
    """Top-level import name -> canonical distributions providing it in the target
    environment, from top_level.txt and RECORD on disk (never importing anything).
    With `wanted`, the answer is exact for those names (others may be missing): a RECORD
    that does not even contain one of them as text is not parsed."""
    cached = getattr(inv, "_envaudit_module_map", None)
    if cached is not None:
        return cached
    import os

    mapping: dict[str, set[str]] = {}
    for dist in inv.get("packages").dists:
        names = set(dist.top_level)
        record = os.path.join(dist.dist_info, "RECORD") if dist.dist_info else ""
        if not names and record and os.path.isfile(record):
            from envaudit import safeio

            rows = safeio.read_text_or_none(record, safeio.TEXT_LIMIT) or ""  # regular files only
            # every name a RECORD gives is text of that RECORD: one that holds no wanted
            # name (and whose distribution's fallback name is not wanted) adds nothing
            if (
                wanted is not None
                and dist.name.replace("-", "_") not in wanted
                and not any(w in rows for w in wanted)
            ):
                continue
            # each row's first path component and whether a `/` follows it, found in C
            # and deduplicated: thousands of rows come down to a few dozen
            for head, slash in set(_RECORD_HEAD.findall(rows)):
                top = head.lstrip().lstrip('"') if slash else head.strip().strip('"')
                if not top or top.startswith((".", "..", "__")) or top.endswith((".dist-info", ".data")):
                    continue
                if slash:
                    if top.isidentifier():
                        names.add(top)
                elif top.endswith(".py"):
                    names.add(top[:-3])
                elif top.endswith((".so", ".pyd")):
                    names.add(top.split(".", 1)[0])
                elif top.endswith(".pth"):
                    continue
        if not names:
            names.add(dist.name.replace("-", "_"))
        for n in names:
            mapping.setdefault(n, set()).add(dist.canonical)
    if wanted is None:
        inv._envaudit_module_map = mapping  # type: ignore[attr-defined]
    return mapping


def _local_names(inv: Inventory, py_files: list[str]) -> set[str]:
    names: set[str] = set()
    for rel in py_files:
        parts = rel.split("/")
        names.update(p for p in parts[:-1])
        names.add(parts[-1][:-3])
    # a pyproject's own project name is local too
    data = _load_toml_file(inv, "pyproject.toml") if (inv.root / "pyproject.toml").is_file() else None
    if data and isinstance(data.get("project"), dict) and data["project"].get("name"):
        names.add(str(data["project"]["name"]).replace("-", "_"))
    return names


_BODY_FIELDS = ("body", "handlers", "orelse", "finalbody")
_TRY_NODES = {getattr(ast, n) for n in ("Try", "TryStar") if hasattr(ast, n)}


class _ImportVisitor(ast.NodeVisitor):
    """Top-level imported names with their line, skipping optional imports
    (inside `try: … except ImportError`) and `if TYPE_CHECKING:` blocks."""

    def __init__(self) -> None:
        self.found: list[tuple[str, int]] = []

    def visit_body(self, body: list[ast.stmt]) -> None:
        """`visit` over statements only: an import is a statement, and expressions hold
        none, so only statement lists are walked (the same finds, in the same order)."""
        for stmt in body:
            kind = type(stmt)
            if kind is ast.Import or kind is ast.ImportFrom or kind is ast.If or kind in _TRY_NODES:
                self.visit(stmt)
            else:
                self._children(stmt)

    def _children(self, node: ast.AST) -> None:
        for name in _BODY_FIELDS:
            sub = getattr(node, name, None)
            if sub:
                self.visit_body(sub)
        for case in getattr(node, "cases", ()):  # match statements
            self.visit_body(case.body)

    def generic_visit(self, node: ast.AST) -> None:
        if isinstance(node, (ast.stmt, ast.excepthandler)):
            self._children(node)
        else:
            super().generic_visit(node)

    def visit_Try(self, node: ast.Try) -> None:
        guards = {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}
        catches = False
        for h in node.handlers:
            t = h.type
            names = [t] if t is not None and not isinstance(t, ast.Tuple) else (t.elts if t else [])
            if t is None or any(isinstance(n, ast.Name) and n.id in guards for n in names):
                catches = True
        if not catches:
            for stmt in node.body:
                self.visit(stmt)
        for part in (node.handlers, node.orelse, node.finalbody):
            for stmt in part:
                self.visit(stmt)

    visit_TryStar = visit_Try

    def visit_If(self, node: ast.If) -> None:
        t = node.test
        if (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
            isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING"
        ):
            for stmt in node.orelse:
                self.visit(stmt)
            return
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for a in node.names:
            self.found.append((a.name, node.lineno))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level == 0 and node.module:
            parts = node.module.split(".")
            if parts[0] in _NAMESPACE_TOPS and len(parts) <= 2 and parts[1:] != ["protobuf"]:
                # `from google.cloud import storage`: the distribution is named after storage
                names = [a.name for a in node.names if a.name != "*"]
                self.found.extend((f"{node.module}.{n}", node.lineno) for n in names or [""])
                return
            self.found.append((node.module, node.lineno))


def project_imports(inv: Inventory) -> tuple[list[tuple[str, str, str, int]], set[str]]:
    """(top-level name, full dotted name, file, line) of every absolute import in the
    project's Python files, and the project's own module names."""
    py_files = [f for f in inv.files() if f.endswith(".py")]
    local = _local_names(inv, py_files)
    out: list[tuple[str, str, str, int]] = []
    from envaudit.scanners._source_cache import SourceCache, text_digest

    memo = SourceCache.open(
        inv, frozenset(), kind="imports", key_type=tuple[str, str], value_type=list[tuple[str, int]]
    )
    for rel in py_files:
        tf = inv.read(rel, record=False)
        if tf is None:
            continue
        if memo is None:
            found = _file_imports(rel, tf.text)
        else:  # a file's imports depend on its text only: cached per file
            key = (rel, text_digest(tf.text))
            found = memo.get(key)
            if found is None:
                found = _file_imports(rel, tf.text)
                memo.put(key, found)
        out.extend((full.split(".", 1)[0], full, rel, line) for full, line in found)
    if memo is not None:
        memo.save()
    for rel in inv.files():
        if rel.endswith(".ipynb"):
            out.extend(_notebook_imports(inv, rel))
    return out, local


def _file_imports(rel: str, text: str) -> list[tuple[str, int]]:
    if "import" not in text:
        return []  # no import statement can hide in a file without the word
    try:
        tree = ast.parse(text, filename=rel)
    except (SyntaxError, ValueError):
        return []  # not this rule's business; the source scanner reports syntax errors
    v = _ImportVisitor()
    v.visit_body(tree.body)
    return v.found


def _notebook_imports(inv: Inventory, rel: str) -> list[tuple[str, str, str, int]]:
    """A notebook's imports, each at the line of the .ipynb file that holds it (cells are
    parsed the way the source scanner parses them: magics and `!shell` lines skipped)."""
    from envaudit.scanners.source import MAX_NOTEBOOK_BYTES, _notebook_source
    from envaudit.textio import read_text

    tf, _problem = read_text(inv.root / rel, rel, max_bytes=MAX_NOTEBOOK_BYTES)
    if tf is None:
        return []  # the source scanner reports what is wrong with it
    parsed = _notebook_source(inv, rel, tf.text)
    if parsed is None:
        return []
    body, lines = parsed
    v = _ImportVisitor()
    v.visit(ast.Module(body=body, type_ignores=[]))
    return [(full.split(".", 1)[0], full, rel, lines.get(line)[0]) for full, line in v.found]


@rule(
    "DEP008",
    "undeclared-import",
    Severity.ERROR,
    summary="The project imports a third-party distribution that no manifest declares",
    explanation="""
        The code works here because the package happens to be installed; a fresh
        install from the manifests will not have it. envaudit reads every import
        of the project's own Python files with `ast` (nothing is imported or run),
        drops the standard library (`sys.stdlib_module_names`) and the project's
        own modules, and maps each remaining top-level name to the distribution
        that provides it in the target environment, from that environment's
        metadata on disk (top_level.txt, then RECORD). Import names that differ
        from their distribution (cv2 → opencv-python, sklearn → scikit-learn,
        PIL → pillow, yaml → pyyaml, bs4 → beautifulsoup4, …) are resolved even
        when the package is not installed. An import is fine when any manifest
        (pyproject, any dependency group or extra, requirements files, Pipfile,
        environment.yml) declares a distribution that provides it. Optional
        imports inside `try: … except ImportError:` and `if TYPE_CHECKING:`
        blocks are not reported.
    """,
    example="""
        train.py:3: undeclared-import: train.py imports cv2 (distribution opencv-python),
        which no manifest declares
    """,
    fix="""
        Declare the distribution (`opencv-python>=4.9` in pyproject's dependencies, or a
        pinned line in requirements.txt), then re-lock.
    """,
)
def undeclared_import(inv: Inventory) -> Iterator[Hit]:
    from envaudit.condanames import pypi_name
    from envaudit.deps import canonical

    declared = {d.name for d in [*_manifest_reqs(inv), *_req_reqs(inv)]}
    # environment.yml names conda packages: pytorch provides torch, opencv provides opencv-python
    declared |= {
        canonical(p) for d in _manifest_reqs(inv) if d.source == "conda" and (p := pypi_name(d.name))
    }
    for pf in _locks(inv).pipfiles:
        declared.update(e.name for e in pf.entries)
    if not declared and not _has_any_manifest(inv):
        return  # DEP001 already says nothing is declared at all; one finding, not one per import
    imports, local = project_imports(inv)
    if not imports:
        return
    stdlib = set(getattr(sys, "stdlib_module_names", ())) | {"__future__"}
    mapping = module_map(inv, {top for top, _, _, _ in imports if top not in stdlib and top not in local})
    env_found = getattr(inv.get("python"), "found", True)

    reported: set[str] = set()
    for top, full, rel, line in imports:
        if top in stdlib or top in local or top in reported:
            continue
        dists = set(mapping.get(top, ()))
        namespace = _namespace_dists(full) if top in _NAMESPACE_TOPS else set()
        if namespace and not dists:
            dists = {max(namespace, key=len)}  # named after the deepest part: google-cloud-storage
        if not dists and top in FAMOUS_MISMATCHES:
            dists = {canonical(FAMOUS_MISMATCHES[top])}
        installed = bool(mapping.get(top))
        if not dists:
            dists = {canonical(top)}
        also = {canonical(d) for d in ALSO_PROVIDED_BY.get(top, ())}
        if (dists | also | namespace) & declared or dists & _ALWAYS_PRESENT:
            continue
        if namespace:
            key = ".".join(full.split(".")[:3])
            if key in reported:
                continue
            reported.add(key)  # `google.cloud.storage` and `google.auth` are two findings
        else:
            reported.add(top)
        dist_list = ", ".join(sorted(dists))
        tail = "" if installed or not env_found else "; it is not installed in the target environment either"
        yield Hit(
            f"{rel} imports {top} (distribution {dist_list}), which no manifest declares{tail}",
            Location(rel, line),
            Fix(f"declare {sorted(dists)[0]} in the project's dependencies and re-lock"),
            fact={"module": top, "distributions": sorted(dists)},
        )


def _has_any_manifest(inv: Inventory) -> bool:
    if inv.get("requirements").files or _locks(inv).pipfiles:
        return True
    import importlib.util

    if importlib.util.find_spec("envaudit.scanners.manifests") is None:
        return (inv.root / "pyproject.toml").is_file()
    return bool(inv.get("manifests").files)
