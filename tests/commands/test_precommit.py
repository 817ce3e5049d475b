"""The hooks of .pre-commit-hooks.yaml, run by the real pre-commit in a real git repository."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from envaudit.rules import all_rules
from tests.conftest import REPO, git_init, write

pytest.importorskip("pre_commit", reason="pre-commit is not installed (pip install -e '.[test]')")
pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

HOOKS = {h["id"]: h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))}


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    env |= {"PRE_COMMIT_HOME": str(home), "PYTHONPATH": str(REPO), "NO_COLOR": "1"}
    env |= {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com"}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    return env


def _pre_commit(root: Path, home: Path, *args: str, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args, "--color", "never"],
        cwd=root,
        env=_env(home),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def _local_config(root: Path, extra_args: dict[str, list[str]]) -> None:
    """The published hooks, unchanged except that they run this checkout's envaudit
    (`language: system`), so the test needs no package index."""
    hooks = []
    for hid, hook in HOOKS.items():
        local = dict(hook)
        entry = shlex.split(hook["entry"])
        assert entry[0] == "envaudit"
        local["entry"] = shlex.join([sys.executable, "-m", "envaudit", *entry[1:]])
        local["language"] = "system"
        local["args"] = extra_args.get(hid, [])
        hooks.append(local)
    write(root, {".pre-commit-config.yaml": yaml.safe_dump({"repos": [{"repo": "local", "hooks": hooks}]})})


def test_manifest_is_valid_and_hooks_are_declared(tmp_path: Path) -> None:
    res = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-manifest", str(REPO / ".pre-commit-hooks.yaml")],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert HOOKS["envaudit"]["pass_filenames"] is False
    assert HOOKS["envaudit-deps"]["entry"] == "envaudit check --select DEP --hook envaudit-deps"


def test_whole_check_hook_blocks_then_passes(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    git_init(root)
    write(root, {"train.py": "print('hi')\n"})
    # select in args, as a user would, so the outcome does not depend on other families
    _local_config(root, {"envaudit": ["--select", "DOC001,DOC002"], "envaudit-deps": ["--select", "DOC001"]})
    _git(root, "add", ".")
    res = _pre_commit(root, tmp_path / "home", "run")
    assert res.returncode == 1, res.stdout
    assert "envaudit (reproducibility check)" in res.stdout and "Failed" in res.stdout
    assert "DOC001" in res.stdout and "no README" in res.stdout
    write(root, {"README.md": "# demo\n\n```\npip install -r requirements.txt\n```\n"})
    _git(root, "add", ".")
    res = _pre_commit(root, tmp_path / "home", "run")
    assert res.returncode == 0, res.stdout
    assert "envaudit (reproducibility check)" in res.stdout


def test_deps_hook_runs_only_when_a_manifest_changes(tmp_path: Path) -> None:
    has_dep = any(r.family == "DEP" for r in all_rules())
    root = tmp_path / "proj"
    git_init(root)
    # without the DEP family in this build, stand in a rule that exists to see the trigger work
    _local_config(
        root, {"envaudit": ["--select", "DOC002"], "envaudit-deps": [] if has_dep else ["--select", "DOC001"]}
    )
    write(root, {"notes.md": "x\n"})
    _git(root, "add", ".")
    res = _pre_commit(root, tmp_path / "home", "run")
    deps_line = next(line for line in res.stdout.splitlines() if line.startswith("envaudit (dependencies)"))
    assert "Skipped" in deps_line and "no files to check" in deps_line
    write(root, {"requirements.txt": "numpy\n"})
    _git(root, "add", "requirements.txt")
    res = _pre_commit(root, tmp_path / "home", "run")
    deps_line = next(line for line in res.stdout.splitlines() if line.startswith("envaudit (dependencies)"))
    assert "Failed" in deps_line, res.stdout
    assert ("DEP002" if has_dep else "DOC001") in res.stdout


@pytest.mark.slow
def test_try_repo_installs_envaudit_from_this_repository(tmp_path: Path) -> None:
    """The real thing: pre-commit builds envaudit from the repository (language:
    python) into its own venv. Needs the package index for envaudit's dependencies."""
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout: try-repo needs one")
    root = tmp_path / "proj"
    git_init(root)
    write(root, {"train.py": "x = 1\n"})
    _git(root, "add", ".")
    res = _pre_commit(root, tmp_path / "home", "try-repo", str(REPO), "envaudit", "--all-files", timeout=540)
    if "Installing environment" in res.stdout and res.returncode == 3:
        pytest.skip(f"pre-commit could not install envaudit (no package index?): {res.stdout[-500:]}")
    assert "envaudit (reproducibility check)" in res.stdout, res.stdout + res.stderr
    assert res.returncode == 1 and "Failed" in res.stdout and "DOC001" in res.stdout, res.stdout


def test_staged_work_passes_the_hook(tmp_path: Path) -> None:
    """pre-commit stashes unstaged changes: what is staged is the commit being made, not
    uncommitted work (GIT002). Committed through the real pre-commit."""
    root = tmp_path / "proj"
    git_init(root)
    write(root, {"train.py": "x = 1\n", "README.md": "# demo\n"})
    _local_config(root, {"envaudit": ["--select", "GIT002"], "envaudit-deps": ["--select", "GIT002"]})
    _git(root, "add", ".")
    _git(root, "-c", "core.hooksPath=/dev/null", "commit", "-qm", "first")
    res = _pre_commit(root, tmp_path / "home", "install")
    assert res.returncode == 0, res.stdout + res.stderr
    write(root, {"train.py": "x = 2\n"})
    _git(root, "add", "train.py")
    write(root, {"README.md": "# demo, unstaged edit\n"})  # stashed by pre-commit during the hook
    res = subprocess.run(
        ["git", "commit", "-m", "staged work"],
        cwd=root,
        env=_env(tmp_path / "home"),
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert "GIT002" not in res.stdout + res.stderr
    # outside a hook the same state is dirty work
    write(root, {"train.py": "x = 3\n"})
    _git(root, "add", "train.py")
    out = subprocess.run(
        [sys.executable, "-m", "envaudit", "check", str(root), "--select", "GIT002", "--no-color"],
        env={k: v for k, v in _env(tmp_path / "home").items() if k != "PRE_COMMIT"},
        capture_output=True,
        text=True,
    )
    assert "GIT002" in out.stdout


def test_both_hooks_never_report_a_finding_twice(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    git_init(root)
    _local_config(root, {"envaudit": ["--select", "DEP002,DOC001"]})
    write(root, {"requirements.txt": "numpy\n"})
    _git(root, "add", ".")
    res = _pre_commit(root, tmp_path / "home", "run")
    assert res.returncode == 1
    assert res.stdout.count("requirements.txt:1: DEP002") == 1, res.stdout
    # the deps hook still runs what the whole hook does not (here: every other DEP rule)
    deps_line = next(line for line in res.stdout.splitlines() if line.startswith("envaudit (dependencies)"))
    assert "Failed" in deps_line or "Passed" in deps_line
    # no environment: EA004 is said once, by whichever hook runs environment rules
    for whole in ("DEP002,EA", "DEP002,DEP006,EA"):
        _local_config(root, {"envaudit": ["--select", whole]})
        _git(root, "add", ".")
        res = _pre_commit(root, tmp_path / "home", "run", "--verbose")
        assert res.stdout.count("EA004 [") == 1, res.stdout  # an error when DEP006 is named
        assert res.stdout.count("requirements.txt:1: DEP002") == 1, res.stdout
    # with only DEP002 in the whole hook's args and DEP002 alone in the deps hook: nothing left
    _local_config(root, {"envaudit": ["--select", "DEP002"], "envaudit-deps": ["--select", "DEP002"]})
    _git(root, "add", ".")
    res = _pre_commit(root, tmp_path / "home", "run", "--verbose")
    assert res.stdout.count("DEP002 [error]") == 1, res.stdout
    assert "left to the `envaudit` hook" in res.stdout


def _config_text(hooks: dict[str, dict[str, object]], **top: object) -> str:
    """A config with the published hooks named in `hooks` (each with overrides), run from
    this checkout (`language: system`)."""
    out = []
    for hid, over in hooks.items():
        local = dict(HOOKS[hid])
        entry = shlex.split(HOOKS[hid]["entry"])
        local["entry"] = shlex.join([sys.executable, "-m", "envaudit", *entry[1:]])
        local["language"] = "system"
        local.update(over)
        out.append(local)
    return yaml.safe_dump({**top, "repos": [{"repo": "local", "hooks": out}]})


def _commit(root: Path, home: Path, message: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "commit", "-m", message],
        cwd=root,
        env=_env(home),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deps_hook_reads_the_config_pre_commit_is_running(tmp_path: Path) -> None:
    """`pre-commit run -c other.yaml` / `pre-commit install -c other.yaml`: the deps hook
    leaves codes only to an `envaudit` hook of *that* config, not of .pre-commit-config.yaml."""
    root = tmp_path / "proj"
    git_init(root)
    both = _config_text({"envaudit": {"args": ["--select", "DEP002"]}, "envaudit-deps": {}})
    write(
        root,
        {
            ".pre-commit-config.yaml": both,  # the project's default config: both hooks
            "ci/deps-only.yaml": _config_text({"envaudit-deps": {}}),  # the one that runs
            "requirements.txt": "numpy\n",
        },
    )
    _git(root, "add", ".")
    res = _pre_commit(root, tmp_path / "home", "run", "-c", "ci/deps-only.yaml")
    assert res.returncode == 1 and res.stdout.count("requirements.txt:1: DEP002") == 1, res.stdout
    assert "left to the `envaudit` hook" not in res.stdout
    # -c typed in a sub-folder is relative to it (pre-commit then runs hooks from the top)
    res = subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "-c", "deps-only.yaml", "--color", "never"],
        cwd=root / "ci",
        env={**_env(tmp_path / "home"), "PWD": str(root / "ci")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.stdout.count("requirements.txt:1: DEP002") == 1, res.stdout
    # the git hook installed with that config, through a real commit
    res = _pre_commit(root, tmp_path / "home", "install", "-c", "ci/deps-only.yaml")
    assert res.returncode == 0, res.stdout + res.stderr
    res = _commit(root, tmp_path / "home", "deps only")
    assert res.returncode == 1 and (res.stdout + res.stderr).count("requirements.txt:1: DEP002") == 1, (
        res.stdout
    )
    # true negative: the running config has both hooks: said once, by the whole hook
    write(root, {"ci/deps-only.yaml": both})
    _git(root, "add", ".")
    res = _commit(root, tmp_path / "home", "both")
    out = res.stdout + res.stderr
    assert res.returncode == 1 and out.count("requirements.txt:1: DEP002") == 1, out
    assert "envaudit (dependencies)....." in out and "Passed" in out.split("envaudit (dependencies)")[1]


def test_a_manual_stage_envaudit_hook_does_not_silence_the_deps_hook(tmp_path: Path) -> None:
    """`stages: [manual]` (or default_stages without the running stage): the whole hook does
    not run on a commit, so the deps hook runs everything it selects."""
    root = tmp_path / "proj"
    git_init(root)
    write(root, {"README.md": "# demo\n"})
    _git(root, "add", ".")
    _git(root, "-c", "core.hooksPath=/dev/null", "commit", "-qm", "first")
    manual = _config_text(
        {"envaudit": {"args": ["--select", "DEP002"], "stages": ["manual"]}, "envaudit-deps": {}}
    )
    write(root, {".pre-commit-config.yaml": manual, "requirements.txt": "numpy\n"})
    _git(root, "add", ".")
    assert _pre_commit(root, tmp_path / "home", "install").returncode == 0
    res = _commit(root, tmp_path / "home", "manual whole hook")
    out = res.stdout + res.stderr
    assert res.returncode == 1 and out.count("requirements.txt:1: DEP002") == 1, out
    assert "left to the `envaudit` hook" not in out
    # `pre-commit run --hook-stage manual`: both run (the deps hook has every stage): once
    res = _pre_commit(root, tmp_path / "home", "run", "--hook-stage", "manual", "--verbose")
    assert res.stdout.count("requirements.txt:1: DEP002") == 1, res.stdout
    assert "envaudit (reproducibility check)" in res.stdout and "envaudit (dependencies)" in res.stdout
    # default_stages without the running stage, and `pre-commit run envaudit-deps` alone
    staged = _config_text(
        {"envaudit": {"args": ["--select", "DEP002"]}, "envaudit-deps": {"stages": ["pre-commit"]}},
        default_stages=["pre-push"],
    )
    write(root, {".pre-commit-config.yaml": staged})
    _git(root, "add", ".")
    res = _commit(root, tmp_path / "home", "whole hook on push only")
    assert (res.stdout + res.stderr).count("requirements.txt:1: DEP002") == 1, res.stdout + res.stderr
    write(
        root,
        {
            ".pre-commit-config.yaml": _config_text(
                {"envaudit": {"args": ["--select", "DEP002"]}, "envaudit-deps": {}}
            )
        },
    )
    _git(root, "add", ".")
    res = _pre_commit(root, tmp_path / "home", "run", "envaudit-deps", "--verbose")
    assert res.stdout.count("requirements.txt:1: DEP002") == 1, res.stdout
    assert "envaudit (reproducibility check)" not in res.stdout
