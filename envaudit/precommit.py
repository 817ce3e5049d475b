"""Running as a published pre-commit hook (`check --hook ID`).

pre-commit runs a hook with `PRE_COMMIT=1`, from the repository's top, after
stashing unstaged changes: what is staged is what is being committed, so it is
not "uncommitted work" (GIT002 reads `under_hook`).

The two published hooks overlap: `envaudit` runs every selected rule,
`envaudit-deps` the DEP rules when a manifest changes. When both are in the
config pre-commit is running, and the `envaudit` hook runs in this same run,
`envaudit-deps` leaves out the codes that the `envaudit` hook (its args and the
project's config) already runs, so no finding is printed twice.

Which config and which stage: pre-commit tells a hook neither (it sets only
`PRE_COMMIT=1` and a few `PRE_COMMIT_*` refs), so they are read from the
command line of the pre-commit process that runs the hook (`pre-commit run -c
FILE --hook-stage manual [HOOK]`, or the git hook's `pre-commit hook-impl
--config=FILE --hook-type=pre-push`): the hook's parent (or a few levels up,
through a wrapper script), found in /proc. Where that cannot be read, the
default `.pre-commit-config.yaml` and the `pre-commit` stage are assumed. The
`envaudit` hook counts as running only when its stages (or the config's
`default_stages`) include the running stage, `pre-commit run HOOK` names it (or
no hook), SKIP does not name it, and it has no `always_run: false` (then it runs
only for some files, which the deps hook cannot know): otherwise the deps hook
runs everything it selects.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from envaudit.config import Config

WHOLE = "envaudit"
DEPS = "envaudit-deps"
DEFAULT_CONFIG = ".pre-commit-config.yaml"
# pre-commit's old stage names (clientlib.transform_stage)
_LEGACY_STAGES = {"commit": "pre-commit", "merge-commit": "pre-merge-commit", "push": "pre-push"}
# `pre-commit run` options that take a value (the rest are flags or positionals)
_RUN_VALUE_OPTS = frozenset(
    {
        "-c",
        "--config",
        "--hook-stage",
        "--from-ref",
        "--source",
        "-s",
        "--to-ref",
        "--origin",
        "-o",
        "--commit-msg-filename",
        "--color",
        "--remote-branch",
        "--local-branch",
        "--remote-name",
        "--remote-url",
        "--checkout-type",
        "--is-squash-merge",
        "--rewrite-command",
        "--prepare-commit-message-source",
        "--commit-object-name",
        "--pre-rebase-upstream",
        "--pre-rebase-branch",
        "--hook-type",
        "--hook-dir",
    }
)


@dataclass(frozen=True)
class Invocation:
    """The running pre-commit: its config file, stage and (for `run HOOK`) the one hook."""

    config: Path
    stage: str = "pre-commit"
    only_hook: str | None = None
    known: bool = False  # read from the pre-commit process (else the defaults)


MAX_HOOKS = 10_000


def under_hook(environ: dict[str, str]) -> bool:
    return environ.get("PRE_COMMIT") == "1"


def _config_data(config_file: Path) -> dict[str, Any]:
    """The pre-commit config's top level; {} when it cannot be read."""
    from envaudit import safeio
    from envaudit.parsing import ParseError, yaml_load

    # the project's file: a regular file only (never a FIFO), envaudit's one YAML loader
    # (libyaml when there, a depth limit)
    text = safeio.read_text_or_none(config_file, 1_000_000)
    if text is None:
        return {}
    try:
        data = yaml_load(text)
    except ParseError:
        return {}
    return data if isinstance(data, dict) else {}


def _hooks(config_file: Path, data: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    if data is None:
        data = _config_data(config_file)
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


def _ancestors_argv(limit: int = 4) -> list[tuple[int, list[str]]]:
    """(pid, argv) of this process's parent and a few ancestors, read from /proc (Linux);
    empty where there is no /proc."""
    out: list[tuple[int, list[str]]] = []
    pid = os.getppid()
    for _ in range(limit):
        if pid <= 1:
            break
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                argv = [a.decode("utf-8", "surrogateescape") for a in fh.read(256 * 1024).split(b"\0") if a]
            with open(f"/proc/{pid}/stat", "rb") as fh:
                stat = fh.read(4096).decode("ascii", "replace")
            ppid = int(stat.rsplit(")", 1)[1].split()[1])  # the field after the state
        except (OSError, ValueError, IndexError):
            break
        out.append((pid, argv))
        pid = ppid
    return out


def _pre_commit_args(argv: list[str]) -> list[str] | None:
    """The arguments after `pre-commit` (`pre-commit`, `python -m pre_commit`,
    `python -mpre_commit`, `.../pre_commit/__main__.py`), or None for another program."""
    for i, a in enumerate(argv):
        base = os.path.basename(a)
        if (
            base in ("pre-commit", "pre-commit.exe")
            or a == "-mpre_commit"
            or a.endswith("pre_commit/__main__.py")
        ):
            return argv[i + 1 :]
        if a == "-m" and i + 1 < len(argv) and argv[i + 1] == "pre_commit":
            return argv[i + 2 :]
    return None


def _opt(args: list[str], *names: str) -> str | None:
    """The last value of `--name X`, `--name=X` or `-cX` among `args`."""
    value = None
    for i, a in enumerate(args):
        for n in names:
            if a == n and i + 1 < len(args):
                value = args[i + 1]
            elif n.startswith("--") and a.startswith(n + "="):
                value = a.split("=", 1)[1]
            elif len(n) == 2 and a.startswith(n) and len(a) > 2 and not a.startswith("--"):
                value = a[2:]
    return value


def invocation(cwd: Path, environ: dict[str, str]) -> Invocation:
    """The config file and stage of the pre-commit run that started this hook."""
    for pid, argv in _ancestors_argv():
        args = _pre_commit_args(argv)
        if not args:
            continue
        command = args[0]
        if command not in ("run", "hook-impl"):
            # try-repo (a generated config) or something else: nothing is known about the
            # other hooks, so none is assumed to run
            return Invocation(Path(os.devnull), known=True)
        rest = args[1:]
        config = _opt(rest, "-c", "--config") or DEFAULT_CONFIG
        stage = _opt(rest, "--hook-stage" if command == "run" else "--hook-type") or "pre-commit"
        only = None
        if command == "run":
            i = 0
            while i < len(rest):
                a = rest[i]
                if a == "--files" or a == "--":
                    break
                if a in _RUN_VALUE_OPTS:
                    i += 2
                    continue
                if not a.startswith("-"):
                    only = a
                    break
                i += 1
        return Invocation(_config_path(config, pid, cwd), _LEGACY_STAGES.get(stage, stage), only, True)
    return Invocation(cwd / DEFAULT_CONFIG)


def _config_path(config: str, pid: int, cwd: Path) -> Path:
    """pre-commit's `-c` is relative to where it was typed (its PWD), and it runs hooks from
    the repository's top (our cwd)."""
    p = Path(config)
    if p.is_absolute():
        return p
    try:
        with open(f"/proc/{pid}/environ", "rb") as fh:
            env = dict(e.split(b"=", 1) for e in fh.read(1024 * 1024).split(b"\0") if b"=" in e)
        typed_in = env.get(b"PWD", b"").decode("utf-8", "surrogateescape")
    except OSError:
        typed_in = ""
    if typed_in and (Path(typed_in) / p).is_file():
        return Path(typed_in) / p
    return cwd / p


def _stages(hook: dict[str, Any], data: dict[str, Any]) -> set[str] | None:
    """A hook's stages as pre-commit resolves them (its own, else default_stages); None: all."""
    stages = hook.get("stages") or data.get("default_stages")
    if not isinstance(stages, list) or not stages:
        return None
    return {_LEGACY_STAGES.get(str(s), str(s)) for s in stages}


def whole_hook_codes(cwd: Path, cfg: Config, environ: dict[str, str]) -> set[str] | None:
    """The codes the `envaudit` hook runs in this same pre-commit run, or None when it does
    not run in it: not in the running config, skipped (SKIP=envaudit), not in the running
    stage, another hook named (`pre-commit run envaudit-deps`), or run only for some files."""
    if WHOLE in {s.strip() for s in environ.get("SKIP", "").split(",")}:
        return None
    run = invocation(cwd, environ)
    if run.only_hook is not None and run.only_hook != WHOLE:
        return None
    data = _config_data(run.config)
    hook = next((h for h in _hooks(run.config, data) if h.get("id") == WHOLE), None)
    if hook is None:
        return None
    stages = _stages(hook, data)
    if stages is not None and run.stage not in stages:
        return None
    if hook.get("always_run") is False:
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
