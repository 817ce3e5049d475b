"""Running as a published pre-commit hook (`check --hook ID`).

pre-commit runs a hook with `PRE_COMMIT=1`, from the repository's top, after
stashing unstaged changes: what is staged is what is being committed, so it is
not "uncommitted work" (GIT002 reads `under_hook`).

The two published hooks overlap: `envaudit` runs every selected rule,
`envaudit-deps` the DEP rules when a manifest changes. When both are in the
same .pre-commit-config.yaml, `envaudit-deps` leaves out the codes that the
`envaudit` hook (its args and the project's config) already runs, so no finding
is printed twice.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from envaudit.config import Config

WHOLE = "envaudit"
DEPS = "envaudit-deps"
MAX_HOOKS = 10_000


def under_hook(environ: dict[str, str]) -> bool:
    return environ.get("PRE_COMMIT") == "1"


def _hooks(config_file: Path) -> list[dict[str, Any]]:
    from envaudit import safeio
    from envaudit.parsing import ParseError, yaml_load

    # the project's file: a regular file only (never a FIFO), envaudit's one YAML loader
    # (libyaml when there, a depth limit)
    text = safeio.read_text_or_none(config_file, 1_000_000)
    if text is None:
        return []
    try:
        data = yaml_load(text)
    except ParseError:
        return []
    out: list[dict[str, Any]] = []
    repos = data.get("repos") if isinstance(data, dict) else None
    seen = 0
    # YAML aliases let 300 kB name the same hooks list a billion times: a real config has
    # tens of hooks, so past MAX_HOOKS entries looked at, the rest is not
    for repo in repos[:MAX_HOOKS] if isinstance(repos, list) else []:
        hooks = repo.get("hooks") if isinstance(repo, dict) else None
        for h in hooks[: MAX_HOOKS - seen] if isinstance(hooks, list) else []:
            if isinstance(h, dict):
                out.append(h)
        seen += len(hooks) if isinstance(hooks, list) else 1
        if seen >= MAX_HOOKS:
            break
    return out


def _option(args: list[str], name: str) -> list[str]:
    """Every value of `--name X` / `--name=X` in a hook's args."""
    values = []
    for i, a in enumerate(args):
        if a == name and i + 1 < len(args):
            values.append(args[i + 1])
        elif a.startswith(name + "="):
            values.append(a.split("=", 1)[1])
    return values


def _codes(values: list[str]) -> tuple[str, ...]:
    return tuple(c.strip() for v in values for c in v.split(",") if c.strip())


def whole_hook_codes(cwd: Path, cfg: Config, environ: dict[str, str]) -> set[str] | None:
    """The codes the `envaudit` hook of this repository's pre-commit config runs, or None
    when that hook is not configured (or skipped with SKIP=envaudit)."""
    if WHOLE in {s.strip() for s in environ.get("SKIP", "").split(",")}:
        return None
    hook = next((h for h in _hooks(cwd / ".pre-commit-config.yaml") if h.get("id") == WHOLE), None)
    if hook is None:
        return None
    args = [str(a) for a in hook.get("args") or [] if isinstance(a, str | int | float)]
    over = cfg
    select, extend, ignore = (
        _option(args, "--select"),
        _option(args, "--extend-select"),
        _option(args, "--ignore"),
    )
    if select:
        over = over.with_overrides(select=_codes(select))
    if extend:
        over = over.with_overrides(extend_select=(*over.extend_select, *_codes(extend)))
    if ignore:
        over = over.with_overrides(ignore=(*over.ignore, *_codes(ignore)))
    try:
        return set(over.selected_codes())
    except Exception:  # an args typo is the whole hook's own usage error; do not hide DEP
        return None


def deps_selection(cwd: Path, cfg: Config, environ: dict[str, str]) -> tuple[Config, str | None]:
    """The `envaudit-deps` hook's configuration with what the `envaudit` hook already runs
    left out, and a note saying so (None when nothing was left out)."""
    covered = whole_hook_codes(cwd, cfg, environ)
    if not covered:
        return cfg, None
    mine = set(cfg.selected_codes())
    rest = sorted(mine - covered)
    if rest == sorted(mine):
        return cfg, None
    note = f"envaudit-deps: {len(mine) - len(rest)} code(s) left to the `envaudit` hook in this config"
    # EA004 (no environment) comes with the environment rules unless ignored: the whole
    # hook already says it when it runs EA004
    from envaudit.rules.meta import ENV_ONLY_RULES

    whole_says_it = "EA004" in covered and bool(covered.intersection(ENV_ONLY_RULES))
    ignore = ("EA004",) if whole_says_it else ()
    return (
        cfg.with_overrides(
            select=tuple(rest),
            extend_select=(),
            ignore=ignore,
            pinned=tuple(c for c in cfg.pinned if c in rest),
            user_ignore=(*cfg.user_ignore, *ignore),
        ),
        note,
    )
