"""uv.lock freshness beyond the root's requirements, decided the way `uv lock --check` decides.

uv treats a lock as stale when anything it recorded from the workspace changed, not only
the requirements (those are compared in `envaudit/rules/locks.py`):

- requires-python, compared by meaning: uv writes `>=3.11,<3.12` and `~=3.11.0` as
  `==3.11.*`; in a workspace it is the intersection of every member's;
- the workspace members (`[manifest] members`), and for each member its name, its
  `version` (or that it is dynamic), whether it is virtual or a package
  (`[build-system]` or `[tool.uv] package`), and its extras (`provides-extras`);
- `[tool.uv]` constraint-, override- and build-constraint-dependencies (`[manifest]`),
  `environments` (`supported-markers`), `required-environments` (`required-markers`)
  and `conflicts`.

Members come from `[tool.uv.workspace] members` / `exclude` globs, matched against the
files of the audited project only (nothing outside the root is read).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from packaging.version import Version

    from envaudit.inventory import Inventory


@dataclass(frozen=True)
class Member:
    """One uv workspace member: its folder (relative to the audited root), manifest and data."""

    name: str  # canonical
    folder: str  # "" for the audited root
    manifest: str
    data: dict[str, Any]

    @property
    def project(self) -> dict[str, Any]:
        p = self.data.get("project")
        return p if isinstance(p, dict) else {}

    @property
    def uv_tool(self) -> dict[str, Any]:
        t = (self.data.get("tool") or {}).get("uv") if isinstance(self.data.get("tool"), dict) else None
        return t if isinstance(t, dict) else {}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _uv_tool(data: dict[str, Any]) -> dict[str, Any]:
    tool = data.get("tool")
    uv = tool.get("uv") if isinstance(tool, dict) else None
    return uv if isinstance(uv, dict) else {}


def _glob_match(pattern: str, path: str) -> bool:
    """A uv workspace glob (`packages/*`, `libs/**`) against a folder, segment by segment."""
    pat = [p for p in posixpath.normpath(pattern).split("/") if p not in ("", ".")]
    parts = [p for p in path.split("/") if p]

    def match(i: int, j: int) -> bool:
        if i == len(pat):
            return j == len(parts)
        if pat[i] == "**":
            return any(match(i + 1, k) for k in range(j, len(parts) + 1))
        return j < len(parts) and fnmatchcase(parts[j], pat[i]) and match(i + 1, j + 1)

    return match(0, 0)


def workspace_members(inv: Inventory, manifest: str) -> list[Member]:
    """The workspace whose root manifest is `manifest`: the root (when it has a [project])
    and every member folder with a pyproject.toml matched by `members` and not `exclude`."""
    data = inv.toml(manifest)
    if not isinstance(data, dict):
        return []
    folder = posixpath.dirname(manifest)
    out: list[Member] = []
    project = data.get("project")
    if isinstance(project, dict) and isinstance(project.get("name"), str):
        out.append(Member(canonical(project["name"]), folder, manifest, data))
    ws = _uv_tool(data).get("workspace")
    if not isinstance(ws, dict):
        return out
    includes = [str(m) for m in _list(ws.get("members")) if isinstance(m, str)]
    excludes = [str(m) for m in _list(ws.get("exclude")) if isinstance(m, str)]
    try:
        files = inv.files()
    except Exception:  # no listing: the root alone
        return out
    prefix = folder + "/" if folder else ""
    for rel in sorted(files):
        if not rel.endswith("/pyproject.toml") or not rel.startswith(prefix):
            continue
        sub = posixpath.dirname(rel)[len(prefix) :]
        if (
            not sub
            or not any(_glob_match(g, sub) for g in includes)
            or any(_glob_match(g, sub) for g in excludes)
        ):
            continue
        mdata = inv.toml(rel)
        mproj = mdata.get("project") if isinstance(mdata, dict) else None
        if isinstance(mdata, dict) and isinstance(mproj, dict) and isinstance(mproj.get("name"), str):
            out.append(Member(canonical(mproj["name"]), posixpath.dirname(rel), rel, mdata))
    return out


def member_folders(inv: Inventory, manifest: str) -> set[str]:
    """The folders of a workspace's members other than the root (for DEP003)."""
    root = posixpath.dirname(manifest)
    return {m.folder for m in workspace_members(inv, manifest) if m.folder != root}


def workspace_names(inv: Inventory, manifest: str) -> set[str]:
    return {m.name for m in workspace_members(inv, manifest)}


# ------------------------------------------------------------------ requires-python

_GRID_CACHE: dict[tuple[str, ...], list[Version]] = {}


def _python_grid(texts: Iterable[str]) -> list[Version]:
    """Versions that tell two Python specifiers apart: every 2.x/3.x/4.x release up to
    patch 30, and each version a specifier names with its neighbours."""
    from packaging.version import Version

    key = tuple(sorted(texts))
    if key in _GRID_CACHE:
        return _GRID_CACHE[key]
    grid = {Version(f"{ma}.{mi}.{pa}") for ma in (2, 3, 4) for mi in range(0, 31) for pa in range(0, 31)}
    grid |= {Version(f"{ma}.{mi}") for ma in (2, 3, 4) for mi in range(0, 31)}
    for text in key:
        for num in re.findall(r"\d+(?:\.\d+)*", text):
            parts = [int(x) for x in num.split(".")]
            for delta in (-1, 0, 1):
                bumped = [*parts[:-1], max(parts[-1] + delta, 0)]
                grid.add(Version(".".join(map(str, bumped))))
                grid.add(Version(".".join(map(str, [*bumped, 1]))))
    out = sorted(grid)
    _GRID_CACHE[key] = out
    return out


def python_specs_equal(a: str, b: str) -> bool | None:
    """Whether two requires-python texts (each possibly `A & B` of several) admit the same
    final releases; None when one does not parse."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        sa = [SpecifierSet(x) for x in a.split("&")]
        sb = [SpecifierSet(x) for x in b.split("&")]
    except InvalidSpecifier:
        return None
    grid = _python_grid([a, b])
    return all(all(s.contains(v) for s in sa) == all(s.contains(v) for s in sb) for v in grid)


def declared_requires_python(members: list[Member]) -> str | None:
    """The workspace's requires-python: every member's, intersected (joined with `&`)."""
    texts = [m.project.get("requires-python") for m in members]
    texts = [t for t in texts if isinstance(t, str) and t.strip()]
    return " & ".join(texts) if texts else None


# ------------------------------------------------------------------ the rest of the record


@dataclass(frozen=True)
class Stale:
    """One reason uv would re-lock: a message, and a needle for the line in uv.lock."""

    message: str
    needle: str


def _is_package(m: Member, required: bool) -> bool:
    pkg = m.uv_tool.get("package")
    if isinstance(pkg, bool):
        return pkg
    return "build-system" in m.data or required


def _source_folder(src: Any) -> tuple[str, str] | None:
    if not isinstance(src, dict):
        return None
    for kind in ("editable", "virtual", "directory"):
        if isinstance(src.get(kind), str):
            return kind, src[kind]
    return None


def member_packages(
    lock_data: dict[str, Any], lock_folder: str, members: list[Member]
) -> dict[str, dict[str, Any]]:
    """Each member's [[package]] in uv.lock, matched by name and by its source folder."""
    out: dict[str, dict[str, Any]] = {}
    pkgs = [
        p for p in lock_data.get("package") or [] if isinstance(p, dict) and isinstance(p.get("name"), str)
    ]
    for m in members:
        rel = posixpath.relpath(m.folder or ".", lock_folder or ".")
        for p in pkgs:
            src = _source_folder(p.get("source"))
            if canonical(p["name"]) == m.name and src is not None and posixpath.normpath(src[1]) == rel:
                out[m.name] = p
                break
    return out


def _req_key(r: Any) -> tuple[Any, ...] | None:
    from envaudit.rules.locks import _marker_sig, _norm_req

    if isinstance(r, dict):
        from envaudit.scanners.locks import _uv_req_str

        text = _uv_req_str(r)
    elif isinstance(r, str):
        text = r
    else:
        return None
    n = _norm_req(text, {})
    if n is None:
        return (text,)
    from envaudit.rules.locks import _marker_of

    return (n[0], n[1], n[2], _marker_sig(_marker_of(text)))


def _req_set(items: Any) -> set[tuple[Any, ...]]:
    out = set()
    for r in _list(items) if not isinstance(items, Iterator) else items:
        k = _req_key(r)
        if k is not None:
            out.add(k)
    return out


def _markers_sig(markers: Any) -> tuple[tuple[Any, ...], ...]:
    """Each environment marker by meaning, in order: uv compares the list as written, so
    the same environments in another order re-lock too."""
    from envaudit.rules.locks import _marker_sig

    return tuple(_marker_sig(str(m)) for m in _list(markers) if isinstance(m, str) and m.strip())


def _conflicts(items: Any, default_package: str | None) -> set[frozenset[tuple[str, str, str]]]:
    out: set[frozenset[tuple[str, str, str]]] = set()
    for group in _list(items):
        if not isinstance(group, list):
            continue
        entries = set()
        for e in group:
            if not isinstance(e, dict):
                continue
            pkg = canonical(str(e.get("package") or default_package or ""))
            if "extra" in e:
                entries.add((pkg, "extra", canonical(str(e["extra"]))))
            elif "group" in e:
                entries.add((pkg, "group", canonical(str(e["group"]))))
            else:
                entries.add((pkg, "package", pkg))
        out.add(frozenset(entries))
    return out


def _dict(x: Any) -> dict[str, Any]:
    return x if isinstance(x, dict) else {}


def _list(x: Any) -> list[Any]:
    return x if isinstance(x, list) else []


def _required_members(members: list[Member], root_tool: dict[str, Any]) -> dict[str, bool]:
    """Members another member depends on (through a `workspace = true` source), with
    whether they are installed editable (`editable = false` on the source says no)."""
    names = {m.name for m in members}
    root_sources = _dict(root_tool.get("sources"))
    out: dict[str, bool] = {}
    for m in members:
        reqs = list(_list(m.project.get("dependencies")))
        for extra in _dict(m.project.get("optional-dependencies")).values():
            reqs += _list(extra)
        for g in _dict(m.data.get("dependency-groups")).values():
            reqs += [r for r in _list(g) if isinstance(r, str)]
        sources = {**root_sources, **_dict(m.uv_tool.get("sources"))}
        sources = {canonical(k): v for k, v in sources.items()}
        for r in reqs:
            if not isinstance(r, str):
                continue
            name = canonical(re.split(r"[\s\[<>=!~;@(]", r.strip(), maxsplit=1)[0])
            src = sources.get(name)
            if name in names and isinstance(src, dict) and src.get("workspace"):
                out[name] = out.get(name, False) or src.get("editable", True) is not False
    return out


def stale_reasons(
    inv: Inventory, lock_rel: str, manifest: str, *, covered_above: bool = False
) -> Iterator[Stale]:
    """Every reason beyond the requirements that `uv lock --check` would call this lock stale.
    `covered_above`: leave out what `envaudit/rules/locks.py` checks itself (requires-python,
    the member set, `[manifest]` constraints, the root's version and extras)."""
    lock_data = inv.toml(lock_rel)
    if not isinstance(lock_data, dict):
        return
    members = workspace_members(inv, manifest)
    if not members:
        return
    lock_folder = posixpath.dirname(lock_rel)
    root = members[0] if members[0].manifest == manifest else None
    root_data = inv.toml(manifest) or {}
    root_tool = _uv_tool(root_data)
    # the rule checks these itself where the root is a project
    covered_above = covered_above and root is not None

    # requires-python, by meaning
    declared = declared_requires_python(members)
    recorded = lock_data.get("requires-python")
    if declared and isinstance(recorded, str) and not covered_above:
        same = python_specs_equal(declared, recorded)
        if same is False:
            yield Stale(
                f"{_where(members)} requires-python {declared} but {lock_rel} was locked for {recorded}",
                "requires-python",
            )

    # the member set
    manifest_tbl = lock_data.get("manifest") if isinstance(lock_data.get("manifest"), dict) else {}
    names = {m.name for m in members}
    expected = names if len(members) > 1 else set()
    actual = {canonical(str(n)) for n in _list(manifest_tbl.get("members"))}
    if expected != actual and not (len(members) == 1 and not actual) and not covered_above:
        gone, new = sorted(actual - expected), sorted(expected - actual)
        what = "; ".join(
            x
            for x in (f"new: {', '.join(new)}" if new else "", f"gone: {', '.join(gone)}" if gone else "")
            if x
        )
        yield Stale(
            f"{manifest} workspace members {', '.join(sorted(expected)) or '(none)'} but {lock_rel} was "
            f"locked for {', '.join(sorted(actual)) or '(none)'} ({what})",
            "members",
        )

    # each member: present, virtual or not, version or dynamic, extras
    found = member_packages(lock_data, lock_folder, members)
    required = _required_members(members, root_tool)
    for m in members:
        pkg = found.get(m.name)
        if pkg is None:
            others = [
                str(p.get("name"))
                for p in lock_data.get("package") or []
                if isinstance(p, dict)
                and (s := _source_folder(p.get("source"))) is not None
                and posixpath.normpath(s[1]) == posixpath.relpath(m.folder or ".", lock_folder or ".")
            ]
            was = f" (it recorded {others[0]} there)" if others else ""
            yield Stale(
                f"{m.manifest} names the project {m.name} but {lock_rel} has no such package{was}", ""
            )
            continue
        kind = _source_folder(pkg.get("source"))
        want_package = _is_package(m, m.name in required)
        is_virtual = kind is not None and kind[0] == "virtual"
        if want_package == is_virtual:
            yield Stale(
                f"{m.manifest} makes {m.name} {'a package (built and installed)' if want_package else 'virtual (not built)'}"
                f" but {lock_rel} recorded it as {'virtual' if is_virtual else 'a package'}",
                f'[[package]]\nname = "{pkg["name"]}"',
            )
        elif want_package and kind is not None:
            want_editable = required.get(m.name, True)
            if want_editable != (kind[0] == "editable"):
                yield Stale(
                    f"{m.manifest}: {m.name} is installed {'editable' if want_editable else 'non-editable'} "
                    f"but {lock_rel} recorded it {kind[0]}",
                    f'[[package]]\nname = "{pkg["name"]}"',
                )
        dynamic = [str(d) for d in _list(m.project.get("dynamic"))]
        locked_version = pkg.get("version")
        declared_version = m.project.get("version")
        if "version" in dynamic:
            if locked_version is not None:
                yield Stale(
                    f"{m.manifest} makes {m.name}'s version dynamic but {lock_rel} recorded version {locked_version}",
                    f'[[package]]\nname = "{pkg["name"]}"',
                )
        elif isinstance(declared_version, str):
            if locked_version is None:
                yield Stale(
                    f"{m.manifest} gives {m.name} version {declared_version} but {lock_rel} recorded it as dynamic",
                    f'[[package]]\nname = "{pkg["name"]}"',
                )
            elif not _same_version(declared_version, str(locked_version)) and not (
                covered_above and m.manifest == manifest
            ):
                yield Stale(
                    f"{m.manifest} gives {m.name} version {declared_version} but {lock_rel} recorded {locked_version}",
                    f'[[package]]\nname = "{pkg["name"]}"',
                )
        meta = pkg.get("metadata") if isinstance(pkg.get("metadata"), dict) else {}
        if "provides-extras" in meta and not (covered_above and m.manifest == manifest):
            want_x = {canonical(str(x)) for x in _dict(m.project.get("optional-dependencies"))}
            have_x = {canonical(str(x)) for x in _list(meta.get("provides-extras"))}
            if "provides-extras" in meta and want_x != have_x:
                yield Stale(
                    f"{m.manifest} declares extras {', '.join(sorted(want_x)) or '(none)'} for {m.name} but "
                    f"{lock_rel} recorded {', '.join(sorted(have_x)) or '(none)'}",
                    "provides-extras",
                )

    # a workspace root that is no project: its dependency groups are the lock's [manifest]'s
    if root is None:
        groups = (
            root_data.get("dependency-groups") if isinstance(root_data.get("dependency-groups"), dict) else {}
        )
        want_g = {canonical(g): _req_set(r for r in v or [] if isinstance(r, str)) for g, v in groups.items()}
        recorded_g = manifest_tbl.get("dependency-groups")
        have_g = {
            canonical(g): _req_set(v) for g, v in (recorded_g if isinstance(recorded_g, dict) else {}).items()
        }
        want_g = {g: v for g, v in want_g.items() if v}
        have_g = {g: v for g, v in have_g.items() if v}
        for g in sorted(set(want_g) | set(have_g)):
            if want_g.get(g) != have_g.get(g):
                yield Stale(
                    f"{manifest} [dependency-groups] {g} {_reqs_text(next((v for k, v in groups.items() if canonical(k) == g), None))}"
                    f" but {lock_rel} recorded {_reqs_text((recorded_g or {}).get(g))}",
                    "dependency-groups",
                )

    # [tool.uv] settings recorded in [manifest] and at the top of the lock
    for key, table_key in (
        ()
        if covered_above
        else (
            ("constraint-dependencies", "constraints"),
            ("override-dependencies", "overrides"),
            ("build-constraint-dependencies", "build-constraints"),
        )
    ):
        want = _req_set(root_tool.get(key))
        have = _req_set(manifest_tbl.get(table_key))
        if want != have:
            yield Stale(
                f"{manifest} [tool.uv] {key} {_reqs_text(root_tool.get(key))} but {lock_rel} recorded "
                f"{_reqs_text(manifest_tbl.get(table_key))}",
                table_key,
            )
    for key, lock_key in (
        ("environments", "supported-markers"),
        ("required-environments", "required-markers"),
    ):
        want_env = root_tool.get(key)
        if isinstance(want_env, str):
            want_env = [want_env]
        have_env = lock_data.get(lock_key)
        if _markers_sig(want_env) != _markers_sig(have_env):
            yield Stale(
                f"{manifest} [tool.uv] {key} {_list_text(want_env)} but {lock_rel} recorded "
                f"{lock_key} {_list_text(have_env)}",
                lock_key,
            )
    default_pkg = root.name if root is not None else None
    want_c = _conflicts(root_tool.get("conflicts"), default_pkg)
    for m in members[1:]:
        want_c |= _conflicts(m.uv_tool.get("conflicts"), m.name)
    have_c = _conflicts(lock_data.get("conflicts"), None)
    if want_c != have_c:
        yield Stale(
            f"{manifest} [tool.uv] conflicts {_conflict_text(want_c)} but {lock_rel} recorded {_conflict_text(have_c)}",
            "conflicts",
        )


def _where(members: list[Member]) -> str:
    with_rp = [m.manifest for m in members if isinstance(m.project.get("requires-python"), str)]
    if len(with_rp) <= 1:
        return with_rp[0] if with_rp else members[0].manifest
    return f"the workspace ({', '.join(with_rp[:3])}{' …' if len(with_rp) > 3 else ''})"


def _same_version(a: str, b: str) -> bool:
    from packaging.version import InvalidVersion, Version

    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a.strip() == b.strip()


def _reqs_text(items: Any) -> str:
    from envaudit.scanners.locks import _uv_req_str

    texts = [(_uv_req_str(r) if isinstance(r, dict) else str(r)) for r in items or []]
    return "[" + ", ".join(texts[:4]) + (", …" if len(texts) > 4 else "") + "]" if texts else "none"


def _list_text(items: Any) -> str:
    if not items:
        return "none"
    return "[" + ", ".join(str(x) for x in items) + "]"


def _conflict_text(sets: set[frozenset[tuple[str, str, str]]]) -> str:
    if not sets:
        return "none"
    parts = []
    for s in sorted(sets, key=sorted):
        parts.append("{" + ", ".join(f"{p} {k} {n}" if k != "package" else p for p, k, n in sorted(s)) + "}")
    return ", ".join(parts)
