"""`[tool.envaudit]` in pyproject.toml, or `.envaudit.toml`, validated.

Keys (hyphens or underscores): select, extend-select, ignore, per-file-ignores,
severity (code -> error|warning|info), fail-on, exclude, python.
Command-line flags override the file. Unknown keys and codes are errors.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from envaudit import globmatch
from envaudit._dataclass import dataclass
from envaudit.model import Severity

FAIL_ON = ("error", "warning", "info", "never")
KNOWN_KEYS = {
    "select",
    "extend-select",
    "ignore",
    "per-file-ignores",
    "severity",
    "fail-on",
    "exclude",
    "python",
}

# Never worth auditing as project files: tools' own state and installed trees.
DEFAULT_EXCLUDES = (
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    ".env",
    "env",
    ".tox",
    ".nox",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    "__pycache__",
    "node_modules",
    "site-packages",
    ".ipynb_checkpoints",
    "build",
    "dist",
    ".eggs",
    ".dvc/cache",
)


class ConfigError(Exception):
    """A configuration or usage problem: exit code 2."""


@dataclass(frozen=True)
class Config:
    select: tuple[str, ...] = ("ALL",)
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    severity: tuple[tuple[str, Severity], ...] = ()
    fail_on: str = "error"
    exclude: tuple[str, ...] = ()
    python: str | None = None
    source: str | None = None  # the file it came from, for messages
    # project config files not read: symlinks out of the root (EA001 each, never applied)
    unread: tuple[str, ...] = ()
    # why the project config's `python` cannot be used (`file:line: ...`): a usage error
    # (exit 2) wherever that setting would choose the environment, never a fallback
    python_refused: str | None = None
    python_refused_line: int | None = None  # the line of that `python =`
    # What the user (not the audited project) asked for on the command line: codes named
    # exactly by --select/--extend-select are never dropped by the project config's
    # `ignore`; with environment rules asked for, only the user's ignores (`--ignore`, a
    # `--config` file) drop EA004, and a named environment rule makes EA004 an error.
    pinned: tuple[str, ...] = ()
    env_asked: bool = False
    user_ignore: tuple[str, ...] = ()

    def with_overrides(self, **kw: Any) -> Config:
        return replace(self, **{k: v for k, v in kw.items() if v is not None})

    # --- resolved views -------------------------------------------------
    def selected_codes(self) -> list[str]:
        from envaudit.rules import expand_selector, known_codes

        chosen: set[str] = set()
        try:
            for sel in (*self.select, *self.extend_select):
                chosen.update(expand_selector(sel))
            for sel in self.ignore:
                chosen.difference_update(expand_selector(sel))
        except ValueError as exc:
            raise ConfigError(f"{self._where()}{exc}") from None
        chosen.update(self.pinned)
        return [c for c in known_codes() if c in chosen]

    def env_gate(self) -> bool:
        """The command line named an environment rule (`--select DEP007`): finding no
        environment fails the run (EA004 is an error whatever the project config says)."""
        from envaudit.rules.meta import ENV_ONLY_RULES

        return any(c in ENV_ONLY_RULES for c in self.pinned)

    def severity_of(self, code: str, default: Severity) -> Severity:
        if code == "EA004" and self.env_gate():
            return default  # the project's config cannot turn the user's gate into a pass
        for c, sev in self.severity:
            if c == code:
                return sev
        return default

    def ignored_for_path(self, code: str, path: str | None) -> bool:
        if path is None:
            return False
        for pattern, codes in self.per_file_ignores:
            if _glob_match(path, pattern) and any(code.startswith(c) or c == "ALL" for c in codes):
                return True
        return False

    def is_excluded(self, relpath: str) -> bool:
        return any(_glob_match(relpath, pat) for pat in self.exclude)

    def fail_threshold(self) -> Severity | None:
        return None if self.fail_on == "never" else Severity.parse(self.fail_on)

    def _where(self) -> str:
        return f"{self.source}: " if self.source else ""

    def python_refusal(self) -> str | None:
        """`.envaudit.toml:3: `python` names ...` when the project config's `python` cannot
        be used (the CLI's usage error), else None."""
        if not self.python_refused:
            return None
        line = f":{self.python_refused_line}" if self.python_refused_line else ""
        return f"{self.source or 'the configuration'}{line}: {self.python_refused}"


def _glob_match(path: str, pattern: str) -> bool:
    """Match a `/` path against a glob; a pattern without `/` matches any component,
    and a directory pattern matches everything below it."""
    pattern = pattern.strip().rstrip("/")
    if globmatch.fnmatchcase(path, pattern):
        return True
    if globmatch.fnmatchcase(path, pattern + "/*") or globmatch.fnmatchcase(path, pattern + "/**"):
        return True
    if "/" not in pattern:
        return any(globmatch.fnmatchcase(part, pattern) for part in path.split("/"))
    if pattern.startswith("**/"):
        return _glob_match(path, pattern[3:]) or any(
            _glob_match("/".join(path.split("/")[i:]), pattern[3:]) for i in range(1, path.count("/") + 1)
        )
    return False


def find_config_file(root: Path) -> tuple[Path, dict[str, Any]] | None:
    """`.envaudit.toml` wins over pyproject's `[tool.envaudit]`."""
    from envaudit.boundary import outside

    dedicated = root / ".envaudit.toml"
    if dedicated.is_file() and not outside(root, dedicated):
        data = _parse(dedicated)
        # accept both a bare table and [tool.envaudit] in the dedicated file
        return dedicated, _table(data, dedicated.name)
    pyproject = root / "pyproject.toml"
    if pyproject.is_file() and not outside(root, pyproject):
        try:
            data = _parse(pyproject)
        except ConfigError:
            # a broken pyproject is the manifest scanner's finding, not a usage error
            return None
        tool = data.get("tool")
        table = tool.get("envaudit") if isinstance(tool, dict) else None
        if isinstance(table, dict):
            return pyproject, table
    return None


def _table(data: dict[str, Any], where: str) -> dict[str, Any]:
    """The envaudit table of a dedicated config file: `[tool.envaudit]`, else the whole file."""
    if "tool" not in data:
        return data
    tool = data["tool"]
    table = tool.get("envaudit", data) if isinstance(tool, dict) else None
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: [tool.envaudit] must be a table")
    return table


def _parse(path: Path) -> dict[str, Any]:
    from envaudit import safeio
    from envaudit.parsing import ParseError, toml_loads

    data, refused = safeio.read_bytes(path, safeio.TEXT_LIMIT)
    if data is None:
        assert refused is not None
        raise ConfigError(refused.message(path.name))
    try:
        return toml_loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path.name}: cannot read: {exc}") from None
    except ParseError as exc:
        where = f"{path.name}:{exc.line}" if exc.line else path.name
        raise ConfigError(f"{where}: {exc.message}") from None


def load_config(root: Path, explicit: Path | None = None) -> Config:
    if explicit is not None:
        data = _parse(explicit)
        return from_mapping(_table(data, str(explicit)), source=str(explicit))
    import os

    from envaudit.boundary import outside

    # a config file that is a symlink out of the root is neither read nor obeyed: the
    # inventory reports it (EA001), nothing from it is echoed
    unread = tuple(
        n
        for n in (".envaudit.toml", "pyproject.toml")
        if os.path.lexists(root / n) and outside(root, root / n)
    )
    found = find_config_file(root)
    if found is None:
        return Config(unread=unread)
    path, table = found
    cfg = replace(from_mapping(table, source=path.name), unread=unread)
    refused = project_python_refusal(root, cfg)
    if refused:
        line = key_line(path, "python")
        return replace(cfg, python=None, python_refused=refused, python_refused_line=line)
    return cfg


def key_line(path: Path, key: str) -> int | None:
    """The line of `key = ...` in envaudit's table of a config file (`[tool.envaudit]`, or
    the top level of .envaudit.toml), for messages; None when it cannot be told."""
    import re

    from envaudit import safeio

    data, _refused = safeio.read_bytes(path, safeio.TEXT_LIMIT)
    if data is None:
        return None
    dedicated = path.name == ".envaudit.toml"
    table: str | None = ""  # the current [table] header ("" before any)
    key_re = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
    for n, line in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
        head = re.match(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(?:#.*)?$", line)
        if head:
            table = re.sub(r"[\s\"']", "", head.group(1))
            continue
        if key_re.match(line) and (table == "tool.envaudit" or (dedicated and table == "")):
            return n
    return None


def project_python_refusal(root: Path, cfg: Config) -> str | None:
    """A `python` read from the audited project's own config may only name an
    environment under the root: a hostile repository must not point envaudit at (and make
    it read and print) files elsewhere. Outside environments come only from what the user
    controls: `--python`, `--config`, `$VIRTUAL_ENV`."""
    if cfg.python is None:
        return None
    import os

    from envaudit.boundary import outside

    value = cfg.python
    p = Path(os.path.expanduser(value))
    where = root / p if not p.is_absolute() else p
    from envaudit.envfind import escapes

    lookup = "/" not in value and os.sep not in value and not os.path.lexists(root / value)
    # the folder itself, or its lib/, site-packages or pyvenv.cfg linked out of the project
    if lookup or outside(root, where) or (os.path.lexists(where) and escapes(where, root) is not None):
        why = "a command looked up on PATH" if lookup else "an environment outside the project"
        return (
            f"`python` names {why}; not used: a project's own config may only name an environment "
            "under the audited root (make it a path inside the project, e.g. `.venv`, or pass "
            "--python to audit another one)"
        )
    return None


def _str_list(value: Any, key: str, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}`{key}` must be a list of strings")
    return tuple(value)


def from_mapping(table: dict[str, Any], source: str | None = None) -> Config:
    where = f"{source}: " if source else ""
    if not isinstance(table, dict):
        raise ConfigError(f"{where}[tool.envaudit] must be a table")
    norm = {k.replace("_", "-"): v for k, v in table.items()}
    unknown = sorted(set(norm) - KNOWN_KEYS)
    if unknown:
        raise ConfigError(
            f"{where}unknown key(s) in [tool.envaudit]: {', '.join(unknown)} "
            f"(known: {', '.join(sorted(KNOWN_KEYS))})"
        )
    kw: dict[str, Any] = {"source": source}
    if "select" in norm:
        kw["select"] = _str_list(norm["select"], "select", where)
    if "extend-select" in norm:
        kw["extend_select"] = _str_list(norm["extend-select"], "extend-select", where)
    if "ignore" in norm:
        kw["ignore"] = _str_list(norm["ignore"], "ignore", where)
    if "exclude" in norm:
        kw["exclude"] = _str_list(norm["exclude"], "exclude", where)
    if "per-file-ignores" in norm:
        pfi = norm["per-file-ignores"]
        if not isinstance(pfi, dict):
            raise ConfigError(f"{where}`per-file-ignores` must be a table of glob -> codes")
        kw["per_file_ignores"] = tuple(
            (pat, _str_list(codes, f"per-file-ignores.{pat}", where)) for pat, codes in pfi.items()
        )
    if "severity" in norm:
        sev = norm["severity"]
        if not isinstance(sev, dict):
            raise ConfigError(f"{where}`severity` must be a table of code -> error|warning|info")
        pairs = []
        for code, level in sev.items():
            try:
                pairs.append((code.upper(), Severity.parse(str(level))))
            except ValueError as exc:
                raise ConfigError(f"{where}severity.{code}: {exc}") from None
        kw["severity"] = tuple(pairs)
    if "fail-on" in norm:
        kw["fail_on"] = parse_fail_on(norm["fail-on"], where)
    if "python" in norm:
        if not isinstance(norm["python"], str):
            raise ConfigError(f"{where}`python` must be a path")
        if not norm["python"].strip():
            raise ConfigError(f"{where}`python` is empty (remove it to let envaudit find the environment)")
        kw["python"] = norm["python"]
    cfg = Config(**kw)
    validate_codes(cfg)
    return cfg


def parse_fail_on(value: Any, where: str = "") -> str:
    if not isinstance(value, str) or value.lower() not in FAIL_ON:
        raise ConfigError(f"{where}`fail-on` must be one of {', '.join(FAIL_ON)}, not {value!r}")
    return value.lower()


def validate_codes(cfg: Config) -> None:
    """Every code named anywhere must exist: a typo must not silently disable a gate."""
    from envaudit.rules import expand_selector, known_codes

    where = cfg._where()
    names = [*cfg.select, *cfg.extend_select, *cfg.ignore]
    for _, codes in cfg.per_file_ignores:
        names.extend(c for c in codes if c != "ALL")
    for sel in names:
        try:
            expand_selector(sel)
        except ValueError as exc:
            raise ConfigError(f"{where}{exc}") from None
    for code, _ in cfg.severity:
        if code not in known_codes():
            raise ConfigError(f"{where}severity: unknown rule code {code!r}")


def command_line_selection(
    select: tuple[str, ...] | None,
    extend_select: tuple[str, ...] | None,
    ignore: tuple[str, ...] | None,
    user_config: Config | None = None,
) -> dict[str, Any]:
    """`Config` fields for what the command line selected (see `Config.pinned`); the
    ignores of a `--config` file the user passed count as the user's own."""
    from envaudit.rules import expand_selector, known_codes
    from envaudit.rules.meta import ENV_ONLY_RULES

    named = (*(select or ()), *(extend_select or ()))
    user_ignore = (*(ignore or ()), *(user_config.ignore if user_config is not None else ()))
    try:
        dropped = {c for sel in ignore or () for c in expand_selector(sel)}
        asked = {c for sel in named for c in expand_selector(sel)} - dropped
    except ValueError:
        return {}  # the selection's own usage error is reported where it is resolved
    codes = set(known_codes())
    pinned = tuple(c for s in named if (c := s.strip().upper()) in codes and c not in dropped)
    return {
        "pinned": pinned,
        "env_asked": bool(asked.intersection(ENV_ONLY_RULES)),
        "user_ignore": user_ignore,
    }


def split_codes(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return tuple(c.strip() for c in value.split(",") if c.strip())


__all__ = [
    "DEFAULT_EXCLUDES",
    "Config",
    "ConfigError",
    "from_mapping",
    "load_config",
]
