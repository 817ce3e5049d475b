"""Declared dependencies from the manifests that are not requirements files.

- pyproject.toml: PEP 621 `dependencies` and `optional-dependencies`, PEP 735
  `[dependency-groups]` (with `{include-group = ...}` expanded), `[tool.poetry]`
  dependencies, dev-dependencies and groups (Poetry `^`/`~` constraints
  converted to PEP 440 ranges; a bare Poetry version is an exact pin);
- setup.cfg: `[options] install_requires` and `[options.extras_require]`;
- environment.yml / environment.yaml (any directory): conda dependencies
  (`name`, `name=1.2.3`, `name==1.2.3`, `channel::name>=1`, `name 1.2.3 build`)
  and the `pip:` subsection.

Invalid TOML, INI or YAML is an EA001 with the line where the parser knows it.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from envaudit._dataclass import dataclass
from envaudit._lazyre import lazy_re
from envaudit.deps import Declared, canonical, evaluate_marker, marker_env, parse_pep508
from envaudit.redact import redact_text, redact_url
from envaudit.scanners.requirements import looks_like_url_or_path, name_from_url, split_req_options

if TYPE_CHECKING:
    from envaudit.inventory import Inventory

CONDA_FILES = ("environment.yml", "environment.yaml")


@dataclass(frozen=True)
class Manifest:
    path: str
    kind: str  # "pyproject" | "setup.cfg" | "environment.yml"
    has_dependencies: bool  # the file declares dependencies at all (even an empty list)
    python: str | None = None  # conda `python` spec / poetry python constraint as written


@dataclass(frozen=True)
class Manifests:
    files: tuple[Manifest, ...]
    requirements: tuple[Declared, ...]


def is_conda_env_file(rel: str) -> bool:
    return PurePosixPath(rel).name.lower() in CONDA_FILES


def scan(inv: Inventory) -> Manifests:
    env = marker_env(inv.get("python"))
    files: list[Manifest] = []
    reqs: list[Declared] = []
    for rel in inv.files():
        name = PurePosixPath(rel).name
        if name == "pyproject.toml":
            inv.isolate(rel, _pyproject, inv, rel, env, files, reqs)
        elif name == "setup.cfg":
            inv.isolate(rel, _setup_cfg, inv, rel, env, files, reqs)
        elif is_conda_env_file(rel):
            inv.isolate(rel, _conda, inv, rel, env, files, reqs)
    return Manifests(tuple(files), tuple(reqs))


# ------------------------------------------------------------------ helpers
class _Lines:
    """Find the line where a value was written (the parsers do not say)."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def section(self, header_re: str) -> int:
        rx = re.compile(header_re)
        for i, line in enumerate(self.lines):
            if rx.match(line.strip()):
                return i + 1
        return 0

    def find(self, needle: str, start: int = 0, *, key: bool = False) -> int:
        for i in range(max(start - 1, 0), len(self.lines)):
            line = self.lines[i]
            if key:
                s = line.strip()
                if re.match(rf"^[\"']?{re.escape(needle)}[\"']?\s*[=:]", s, re.IGNORECASE):
                    return i + 1
            elif needle in line:
                return i + 1
        return start


def _declare_ranges(
    inv: Inventory,
    items: list[str],
    *,
    rel: str,
    lines: _Lines,
    start: int,
    source: str,
    group: str | None,
    env: dict[str, str],
    out: list[Declared],
) -> None:
    """The ranges a manifest table declares, each at the line where it is written."""
    for item in items:
        d = _pep508_declared(
            inv,
            item,
            rel=rel,
            line=lines.find(item, start),
            source=source,
            role="range",
            group=group,
            env=env,
        )
        if d:
            out.append(d)


def _pep508_declared(
    inv: Inventory,
    text: str,
    *,
    rel: str,
    line: int,
    source: str,
    role: str,
    group: str | None,
    env: dict[str, str],
) -> Declared | None:
    try:
        p = parse_pep508(text)
    except ValueError as exc:
        inv.diag(f"invalid requirement {redact_text(text)!r}: {exc}", rel, line or None)
        return None
    return Declared(
        name=p.name,
        raw=redact_text(text),
        specifier=p.specifier,
        extras=p.extras,
        marker=p.marker,
        url=redact_url(p.url) if p.url else None,
        path=rel,
        line=line,
        source=source,
        role=role,
        group=group,
        applies=evaluate_marker(p.marker, env),
    )


# --------------------------------------------------------------- pyproject
def _pyproject(
    inv: Inventory, rel: str, env: dict[str, str], files: list[Manifest], out: list[Declared]
) -> None:
    data = inv.toml(rel)
    text = inv.read(rel)
    if data is None or text is None:
        return
    lines = _Lines(text.text)

    def declare(items: list[str], start: int, group: str | None) -> None:
        _declare_ranges(
            inv, items, rel=rel, lines=lines, start=start, source="pyproject", group=group, env=env, out=out
        )

    _check_shapes(inv, rel, data, lines)
    project = data.get("project") if isinstance(data.get("project"), dict) else {}
    dynamic = project.get("dynamic") if isinstance(project.get("dynamic"), list) else []
    has = "dependencies" in dynamic  # filled in by the build backend from another file
    if "dependencies" in project:
        has = True
        start = lines.section(r"^\[project\]$")
        declare(_str_items(inv, rel, project.get("dependencies"), "project.dependencies"), start, None)
    optional = project.get("optional-dependencies")
    if isinstance(optional, dict):
        has = True
        start = lines.section(r"^\[project\.optional-dependencies\]$") or lines.section(r"^\[project\]$")
        for extra, items in optional.items():
            declare(_str_items(inv, rel, items, f"project.optional-dependencies.{extra}"), start, extra)
    groups = data.get("dependency-groups")
    if isinstance(groups, dict):
        has = True
        start = lines.section(r"^\[dependency-groups\]$")
        for g in groups:
            declare(_expand_group(inv, rel, groups, g, ()), start, g)
    poetry = data.get("tool", {}).get("poetry") if isinstance(data.get("tool"), dict) else None
    py_constraint = None
    if isinstance(poetry, dict):
        tables: list[tuple[str | None, Any, str]] = []
        if isinstance(poetry.get("dependencies"), dict):
            tables.append((None, poetry["dependencies"], r"^\[tool\.poetry\.dependencies\]$"))
        if isinstance(poetry.get("dev-dependencies"), dict):
            tables.append(("dev", poetry["dev-dependencies"], r"^\[tool\.poetry\.dev-dependencies\]$"))
        for gname, g in (poetry.get("group") or {}).items() if isinstance(poetry.get("group"), dict) else ():
            if isinstance(g, dict) and isinstance(g.get("dependencies"), dict):
                tables.append(
                    (
                        gname,
                        g["dependencies"],
                        rf"^\[tool\.poetry\.group\.{re.escape(gname)}\.dependencies\]$",
                    )
                )
        if tables:
            has = True
        for gname, table, header in tables:
            start = lines.section(header)
            for name, value in table.items():
                if name.lower() == "python":
                    if isinstance(value, str):
                        py_constraint = value
                    continue
                line = lines.find(name, start, key=True) if start else 0
                out.extend(_poetry_dep(inv, rel, line, name, value, gname, env))
    files.append(Manifest(rel, "pyproject", has, py_constraint))


# keys whose value has one shape (PEP 621, PEP 735, uv, Poetry): uv and pip refuse the whole
# file when one of them has another ("TOML parse error"); envaudit read past it in silence
_SHAPES: tuple[tuple[tuple[str, ...], type, str], ...] = (
    (("project",), dict, "a table"),
    (("project", "requires-python"), str, "a string"),
    (("project", "optional-dependencies"), dict, "a table of arrays"),
    (("project", "dynamic"), list, "an array"),
    (("dependency-groups",), dict, "a table of arrays"),
    (("tool", "uv"), dict, "a table"),
    (("tool", "uv", "sources"), dict, "a table"),
    (("tool", "uv", "index"), list, "an array of tables"),
    (("tool", "uv", "constraint-dependencies"), list, "an array"),
    (("tool", "uv", "override-dependencies"), list, "an array"),
    (("tool", "uv", "dev-dependencies"), list, "an array"),
    (("tool", "poetry"), dict, "a table"),
    (("tool", "poetry", "dependencies"), dict, "a table"),
    (("tool", "poetry", "group"), dict, "a table"),
)


def _check_shapes(inv: Inventory, rel: str, data: dict[str, Any], lines: _Lines) -> None:
    """An EA001 naming the key (and its line) for each known key of the wrong type."""
    for path, kind, shape in _SHAPES:
        node: Any = data
        for key in path[:-1]:
            node = node.get(key) if isinstance(node, dict) else None
        if not isinstance(node, dict) or path[-1] not in node:
            continue
        value = node[path[-1]]
        if not isinstance(value, kind):
            where = ".".join(path)
            dotted = re.escape(".".join(path))
            line = lines.find(path[-1], 0, key=True) or lines.section(rf"^\[\[?{dotted}\]\]?$") or None
            inv.diag(f"`{where}` must be {shape}, not {type(value).__name__} {value!r:.40}", rel, line)
    sources = (
        ((data.get("tool") or {}).get("uv") or {}).get("sources")
        if isinstance(data.get("tool"), dict)
        else None
    )
    if isinstance(sources, dict):
        for name, entry in sources.items():
            entries = entry if isinstance(entry, list) else [entry]
            if not all(isinstance(e, dict) for e in entries):
                inv.diag(
                    f"`tool.uv.sources.{name}` must be a table or an array of tables",
                    rel,
                    lines.find(name, 0, key=True) or None,
                )


def _str_items(inv: Inventory, rel: str, items: Any, where: str) -> list[str]:
    if items is None:
        return []
    if not isinstance(items, list):
        inv.diag(f"`{where}` must be an array of requirement strings", rel)
        return []
    out = []
    for it in items:
        if isinstance(it, str):
            out.append(it)
        else:
            inv.diag(f"`{where}` holds a non-string item {it!r}", rel)
    return out


def _expand_group(
    inv: Inventory, rel: str, groups: dict[str, Any], name: str, seen: tuple[str, ...]
) -> list[str]:
    if name in seen:
        inv.diag(f"dependency group cycle: {' -> '.join((*seen, name))}", rel)
        return []
    items = groups.get(name)
    if not isinstance(items, list):
        inv.diag(f"dependency group `{name}` is not defined or not a list", rel)
        return []
    out: list[str] = []
    for it in items:
        if isinstance(it, str):
            out.append(it)
        elif isinstance(it, dict) and isinstance(it.get("include-group"), str):
            target = it["include-group"]
            resolved = next((g for g in groups if canonical(g) == canonical(target)), target)
            out.extend(_expand_group(inv, rel, groups, resolved, (*seen, name)))
        else:
            inv.diag(f"dependency group `{name}` holds an invalid item {it!r}", rel)
    return out


def poetry_to_pep440(constraint: str) -> str:
    """`^1.2.3` -> `>=1.2.3,<2.0.0`, `~1.2` -> `>=1.2,<1.3`, `1.2.3` -> `==1.2.3`, `*` -> ``.

    Alternatives (`||`) cannot be written as one PEP 440 specifier: returned as ``.
    """
    c = constraint.strip()
    if not c or c == "*" or "||" in c:
        return ""
    parts = [p.strip() for p in re.split(r",|\s+(?=[<>=!~^])", c) if p.strip()]
    out: list[str] = []
    for p in parts:
        if p.startswith("^"):
            out.extend(_caret(p[1:].strip()))
        elif p.startswith("~") and not p.startswith("~="):
            out.extend(_tilde(p[1:].strip()))
        elif p[0].isdigit():
            out.append(f"=={p}")
        elif p.startswith("=") and not p.startswith("=="):
            out.append(f"={p}")
        else:
            out.append(p.replace(" ", ""))
    return ",".join(out)


def _nums(v: str) -> list[int]:
    out = []
    for x in v.split("."):
        m = re.match(r"\d+", x)
        if not m:
            break
        out.append(int(m.group(0)))
    return out


def _caret(v: str) -> list[str]:
    n = _nums(v)
    if not n:
        return []
    for i, x in enumerate(n):
        if x != 0 or i == len(n) - 1:
            upper = [*n[:i], x + 1]
            break
    while len(upper) < len(n):
        upper.append(0)
    return [f">={v}", "<" + ".".join(map(str, upper))]


def _tilde(v: str) -> list[str]:
    n = _nums(v)
    if not n:
        return []
    upper = [n[0] + 1] if len(n) == 1 else [n[0], n[1] + 1]
    while len(upper) < len(n):
        upper.append(0)
    return [f">={v}", "<" + ".".join(map(str, upper))]


def _poetry_dep(
    inv: Inventory, rel: str, line: int, name: str, value: Any, group: str | None, env: dict[str, str]
) -> list[Declared]:
    specs = value if isinstance(value, list) else [value]  # multiple-constraint dependencies
    out = []
    for v in specs:
        url = None
        marker = None
        extras: tuple[str, ...] = ()
        if isinstance(v, str):
            spec = poetry_to_pep440(v)
            raw = f"{name} = {v!r}"
        elif isinstance(v, dict):
            raw = f"{name} = {v!r}"
            spec = poetry_to_pep440(str(v.get("version", ""))) if v.get("version") else ""
            extras = tuple(sorted(str(e) for e in v.get("extras", []) if isinstance(e, str)))
            if isinstance(v.get("markers"), str):
                marker = v["markers"]
            if isinstance(v.get("git"), str):
                ref = v.get("rev") or v.get("tag") or v.get("branch")
                url = f"git+{v['git']}" + (f"@{ref}" if ref else "")
            elif isinstance(v.get("url"), str):
                url = v["url"]
            elif isinstance(v.get("path"), str):
                url = v["path"]
        else:
            inv.diag(f"poetry dependency `{name}` has an unreadable value {v!r}", rel, line or None)
            continue
        out.append(
            Declared(
                name=canonical(name),
                raw=redact_text(raw),
                specifier=spec,
                extras=extras,
                marker=marker,
                url=redact_url(url) if url else None,
                editable=bool(isinstance(v, dict) and v.get("develop")),
                path=rel,
                line=line,
                source="poetry",
                role="range",
                group=group,
                applies=evaluate_marker(marker, env),
            )
        )
    return out


# ---------------------------------------------------------------- setup.cfg
def _setup_cfg(
    inv: Inventory, rel: str, env: dict[str, str], files: list[Manifest], out: list[Declared]
) -> None:
    import configparser

    text = inv.read(inv.root / rel)
    if text is None:
        return
    cp = configparser.ConfigParser(interpolation=None)
    try:
        cp.read_string(text.text, source=rel)
    except configparser.Error as exc:
        line = getattr(exc, "lineno", None)
        if line is None and getattr(exc, "errors", None):
            line = exc.errors[0][0]  # type: ignore[attr-defined]
        inv.diag(f"invalid setup.cfg: {str(exc).splitlines()[0]}", rel, line)
        return
    lines = _Lines(text.text)
    has = False
    if cp.has_option("options", "install_requires"):
        has = True
        start = lines.section(r"^\[options\]$")
        items = _cfg_list(cp.get("options", "install_requires"))
        _declare_ranges(
            inv, items, rel=rel, lines=lines, start=start, source="setup.cfg", group=None, env=env, out=out
        )
    if cp.has_section("options.extras_require"):
        has = True
        start = lines.section(r"^\[options\.extras_require\]$")
        for extra, value in cp.items("options.extras_require"):
            _declare_ranges(
                inv,
                _cfg_list(value),
                rel=rel,
                lines=lines,
                start=start,
                source="setup.cfg",
                group=extra,
                env=env,
                out=out,
            )
    files.append(Manifest(rel, "setup.cfg", has))


def _cfg_list(value: str) -> list[str]:
    out = []
    for line in value.splitlines():
        s = line.split(" #", 1)[0].strip()
        if s and not s.startswith("#"):
            out.append(s)
    return out


# --------------------------------------------------------------------- conda
_CONDA_RE = lazy_re(r"^(?:(?P<channel>[^:\s]+)::)?(?P<name>[A-Za-z0-9_][A-Za-z0-9_.\-]*)\s*(?P<spec>.*)$")


_BRACKET_FIELD = lazy_re(r"""([A-Za-z_]+)\s*=\s*('[^']*'|"[^"]*"|[^,\]]*)""")


def conda_spec(spec: str) -> tuple[str, str | None]:
    """A conda match-spec version part -> (PEP 440 specifier, build string).

    `=1.26.4` -> `==1.26.4` (conda's fuzzy `=` with a full version is a pin),
    `=1.26` -> `==1.26.*`, `==1.26.4` stays, `1.26.4 py311_0` -> `==1.26.4`,
    `>=1.2,<2` stays, `1.2.*` -> `==1.2.*`.
    """
    s = spec.strip()
    if s.endswith("]") and "[" in s:
        # MatchSpec's bracket form, `pandas[version='>=2',build=py311*]` (conda's
        # `_parse_spec_str`): its version and build win over positional ones
        s, _, inner = s[:-1].partition("[")
        fields = {k.lower(): v.strip().strip("'\"") for k, v in _BRACKET_FIELD.findall(inner)}
        pep440, build = conda_spec(fields.get("version") or s)
        return pep440, fields.get("build") or build
    if not s or "|" in s:
        return "", None  # alternatives (`1.2|1.3`) are no single version: not a pin
    build = None
    if s.startswith("=") and not s.startswith("=="):
        body = s[1:]
        if "=" in body:
            body, _, build = body.partition("=")
        body = body.strip()
        if "*" in body:
            return f"=={body}", build
        return (f"=={body}" if len(_nums(body)) >= 3 else f"=={body}.*"), build
    if " " in s and s[0].isdigit():
        ver, _, build = s.partition(" ")
        s = ver
    if s[0].isdigit():
        return f"=={s}", build
    if s.startswith("==") and "=" in s[2:]:
        s, _, build = s[2:].partition("=")
        s = "==" + s
    return s.replace(" ", ""), build


def _conda(inv: Inventory, rel: str, env: dict[str, str], files: list[Manifest], out: list[Declared]) -> None:
    import yaml

    from envaudit.parsing import ParseError, yaml_compose

    text = inv.read(inv.root / rel)
    if text is None:
        return
    try:
        node = yaml_compose(text.text)  # libyaml where present: linear, depth-limited
    except ParseError as exc:
        inv.diag(exc.message, rel, exc.line)
        return
    if node is None or not isinstance(node, yaml.MappingNode):
        inv.diag("environment file is not a YAML mapping", rel, 1)
        return
    deps_node = next((v for k, v in node.value if getattr(k, "value", None) == "dependencies"), None)
    python = None
    has = deps_node is not None
    if deps_node is not None and not isinstance(deps_node, yaml.SequenceNode):
        inv.diag("`dependencies` must be a list", rel, deps_node.start_mark.line + 1)
        deps_node = None
    for item in deps_node.value if deps_node is not None else ():
        line = item.start_mark.line + 1
        if isinstance(item, yaml.ScalarNode):
            m = _CONDA_RE.match(str(item.value).strip())
            if not m:
                inv.diag(f"unreadable conda dependency {item.value!r}", rel, line)
                continue
            name = m.group("name")
            spec, _build = conda_spec(m.group("spec"))
            if spec and not _valid_specifier(spec):
                inv.diag(f"unreadable conda dependency {item.value!r}", rel, line)
                continue
            if name.lower() == "python":
                python = m.group("spec").strip() or None
                continue
            if name.lower() == "pip" and not spec:
                continue  # the pip tool itself, needed for the `pip:` section
            out.append(
                Declared(
                    name=canonical(name),
                    raw=redact_text(str(item.value)),
                    specifier=spec,
                    path=rel,
                    line=line,
                    source="conda",
                    role="pin",
                    applies=True,
                )
            )
        elif isinstance(item, yaml.MappingNode):
            for k, v in item.value:
                if getattr(k, "value", None) != "pip" or not isinstance(v, yaml.SequenceNode):
                    continue
                for p in v.value:
                    if not isinstance(p, yaml.ScalarNode):
                        continue
                    raw = str(p.value).strip()
                    if raw.startswith("-"):
                        # `-r file` (conda runs pip from the environment file's folder): what
                        # it names is declared here too; other options are pip's business
                        out.extend(_conda_pip_include(inv, rel, raw, p.start_mark.line + 1))
                        continue
                    # conda writes these lines to a requirements file for `pip install -r`, so
                    # per-requirement options (`--hash`, `--config-settings`) are valid here
                    raw, hashes, problem = split_req_options(raw)
                    if problem:
                        inv.diag(problem, rel, p.start_mark.line + 1)
                    if looks_like_url_or_path(raw):
                        out.append(
                            Declared(
                                name=canonical(name_from_url(raw, inv.root / rel) or "unnamed"),
                                raw=redact_text(raw),
                                url=redact_url(raw),
                                hashes=hashes,
                                path=rel,
                                line=p.start_mark.line + 1,
                                source="conda-pip",
                                role="pin",
                            )
                        )
                        continue
                    d = _pep508_declared(
                        inv,
                        raw,
                        rel=rel,
                        line=p.start_mark.line + 1,
                        source="conda-pip",
                        role="pin",
                        group=None,
                        env=env,
                    )
                    if d:
                        out.append(replace(d, hashes=hashes) if hashes else d)
    files.append(Manifest(rel, "environment.yml", has, python))


def _conda_pip_include(inv: Inventory, rel: str, option: str, line: int) -> list[Declared]:
    import posixpath
    import shlex

    try:
        words = shlex.split(option)
    except ValueError:
        return []
    if not words:
        return []
    opt, eq, value = words[0].partition("=")
    if opt in ("-r", "--requirement") and not eq:
        value = words[1] if len(words) > 1 else ""
    elif opt.startswith("-r") and len(opt) > 2 and not opt.startswith("--"):
        opt, value = "-r", opt[2:]
    if opt not in ("-r", "--requirement") or not value or "$" in value:
        return []
    target = posixpath.normpath(posixpath.join(posixpath.dirname(rel), value))
    if target.startswith("../") or posixpath.isabs(target) or not (inv.root / target).is_file():
        inv.diag(f"`{option}` names {value}, which is not a file of the project", rel, line)
        return []
    from envaudit.scanners.requirements import parse_requirements_file

    return [replace(d, source="conda-pip", role="pin") for d in parse_requirements_file(inv, target)]


def _valid_specifier(spec: str) -> bool:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        SpecifierSet(spec)
    except InvalidSpecifier:
        return False
    return True
