"""An audited repository's git configuration never runs anything.

Every command-running git setting is planted in one repository: an fsmonitor hook, a
clean/smudge/process filter and a textconv driver picked by .gitattributes for a
stat-dirty file, an external diff, an ssh command, a credential helper, a pager, hooks
(in .git/hooks and through core.hooksPath), and an include.path to a file that sets a
second filter. Each program only creates a marker file. Plain git is shown to run them
(so the repository really is hostile); every envaudit command that reads git state
(check, snapshot, verify, each fix) must leave no marker behind.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from envaudit.safegit import SafeGit, driver_overrides
from tests.conftest import invoke
from tests.gitrepo import ENV, git, repo

HOOKS = (
    "pre-commit",
    "post-checkout",
    "post-index-change",
    "pre-auto-gc",
    "reference-transaction",
    "post-merge",
)


def _marker_script(bin_dir: Path, markers: Path, name: str) -> str:
    """A program that records that it ran (and passes its input through, like a filter)."""
    path = bin_dir / name
    path.write_text(f'#!/bin/sh\ntouch "{markers}/{name}"\nexec cat\n' if "filter" in name else
                    f'#!/bin/sh\ntouch "{markers}/{name}"\nexit 0\n')  # fmt: skip
    path.chmod(0o755)
    return str(path)


@pytest.fixture
def hostile(tmp_path: Path) -> tuple[Path, Path]:
    markers = tmp_path / "markers"
    markers.mkdir()
    bin_dir = tmp_path / "attacker-bin"
    bin_dir.mkdir()
    root = repo(
        tmp_path / "p",
        {
            "train.py": "import random\nprint(random.random())\n",
            "data.py": "X = 1\n",
            "requirements.txt": "numpy==1.26.4\n",
            "Dockerfile": "FROM python:3.11\nCOPY . /app\nRUN pip install -r /app/requirements.txt\n",
            ".gitattributes": "*.py filter=evil diff=evil\n*.txt filter=inc\n",
        },
    )
    s = {n: _marker_script(bin_dir, markers, n) for n in (
        "fsmonitor", "clean-filter", "smudge-filter", "process-filter", "textconv", "external-diff",
        "diff-command", "ssh", "credential", "pager", "inc-clean-filter", "askpass")}  # fmt: skip
    included = tmp_path / "included.cfg"
    included.write_text(
        f'[filter "inc"]\n\tclean = {s["inc-clean-filter"]}\n[core]\n\tfsmonitor = {s["fsmonitor"]}\n'
    )
    hooks_dir = tmp_path / "hooks"
    hooks_dir.mkdir()
    for hook in HOOKS:
        for d in (hooks_dir, root / ".git" / "hooks"):
            (d / hook).write_text(f'#!/bin/sh\ntouch "{markers}/hook-{hook}"\n')
            (d / hook).chmod(0o755)
    for key, value in {
        "core.fsmonitor": s["fsmonitor"],
        "core.hooksPath": str(hooks_dir),
        "core.sshCommand": s["ssh"],
        "core.pager": s["pager"],
        "core.askPass": s["askpass"],
        "credential.helper": s["credential"],
        "diff.external": s["external-diff"],
        "filter.evil.clean": s["clean-filter"],
        "filter.evil.smudge": s["smudge-filter"],
        "filter.evil.required": "true",
        "diff.evil.textconv": s["textconv"],
        "diff.evil.command": s["diff-command"],
        "include.path": str(included),
        "remote.origin.url": "ssh://git@example.invalid/x.git",
    }.items():
        git(root, "config", key, value)
    # Stat-dirty, same bytes: git must re-hash these files, through the clean filter.
    # A content change too, so that a diff has something to textconv.
    for rel in ("data.py", "requirements.txt"):
        st = (root / rel).stat()
        os.utime(root / rel, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    (root / "train.py").write_text("import random\nprint(random.random(), 2)\n")
    return root, markers


def _fired(markers: Path) -> list[str]:
    return sorted(p.name for p in markers.iterdir())


def test_the_repository_really_is_hostile_to_plain_git(hostile: tuple[Path, Path]) -> None:
    root, markers = hostile
    env = {k: v for k, v in ENV.items() if k != "GIT_PAGER"}
    for args in (["status"], ["diff", "HEAD"], ["-p", "log", "-1", "-p"]):
        subprocess.run(["git", *args], cwd=root, env=env, capture_output=True, timeout=60, check=False)
    fired = set(_fired(markers))
    assert {"fsmonitor", "clean-filter", "inc-clean-filter", "diff-command"} <= fired, fired


def test_safegit_runs_nothing_the_repository_configures(hostile: tuple[Path, Path]) -> None:
    root, markers = hostile
    g = SafeGit(root, ENV)
    for args in (
        ("status", "--porcelain=v2", "-z", "--untracked-files=all", "--ignore-submodules=dirty"),
        ("diff", "HEAD", "--binary", "--no-ext-diff", "--no-textconv"),
        ("diff", "HEAD"),  # even without the flags: diff.external and the drivers are blanked
        ("ls-files", "-z", "--cached", "--others", "--exclude-standard"),
        ("log", "-1", "-p"),
        ("ls-remote", "origin"),  # transports are off: no ssh, no credential helper
    ):
        g.run(*args)
    assert _fired(markers) == []
    rc, out, _ = g.run("status", "--porcelain=v2", "-z", "--ignore-submodules=dirty")
    assert rc == 0 and b"train.py" in out and b"data.py" not in out  # same bytes: not dirty


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "--exit-zero"],
        ["check", "--exit-zero", "--format", "json"],
        ["snapshot"],
        ["fix", "dockerfile"],
        ["fix", "dockerignore"],
        ["fix", "gitignore"],
        ["fix", "seeds"],
        ["fix", "pins"],
    ],
    ids=lambda a: "-".join(a),
)
def test_no_envaudit_command_runs_the_repository_config(hostile: tuple[Path, Path], argv: list[str]) -> None:
    root, markers = hostile
    res = invoke(*argv, str(root), env=ENV)
    assert "Traceback" not in res.output
    assert _fired(markers) == [], f"envaudit {' '.join(argv)} ran {_fired(markers)}"


def test_verify_runs_nothing(hostile: tuple[Path, Path], tmp_path: Path) -> None:
    root, markers = hostile
    snap = tmp_path / "snap.json"
    assert invoke("snapshot", str(root), "-o", str(snap), env=ENV).exit_code == 0
    invoke("verify", str(snap), str(root), env=ENV)
    assert _fired(markers) == []


def test_git_state_is_still_read_correctly(hostile: tuple[Path, Path]) -> None:
    from envaudit.inventory import Inventory

    root, _ = hostile
    facts = Inventory(root, environ=dict(ENV)).get("git")
    assert facts.is_repo and facts.head
    assert [d.split()[-1] for d in facts.dirty] == ["train.py"]
    assert {r.name for r in facts.remotes} == {"origin"}


def test_driver_overrides_blank_only_the_repository_drivers() -> None:
    listing = (
        b"global\0filter.lfs.clean\ngit-lfs clean -- %f\0"
        b"local\0filter.evil.clean\nsh -c x\0"
        b"local\0filter.a=b.smudge\nx\0"
        b"worktree\0diff.t.textconv\nx\0"
        b"local\0merge.m.driver\nx\0"
        b"local\0diff.color\nx\0"
    )
    keys = dict(driver_overrides(listing))
    assert "filter.lfs.clean" not in keys  # the user's own git-lfs keeps working
    assert keys["filter.evil.clean"] == "" and keys["filter.evil.process"] == ""
    assert keys["filter.evil.required"] == "false"
    assert keys["filter.a=b.smudge"] == ""  # a name -c could not carry
    assert keys["diff.t.textconv"] == "" and keys["merge.m.driver"] == ""
    assert not any(k.startswith("diff.color") for k in keys)


def test_safegit_fails_closed_when_the_drivers_cannot_be_listed(tmp_path: Path) -> None:
    """Without the list of drivers git could run one: no git command is started at all."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    ran = tmp_path / "ran"
    fake = bindir / "git"
    fake.write_text(f'#!/bin/sh\nfor a in "$@"; do [ "$a" = config ] && exit 3; done\ntouch "{ran}"\n')
    fake.chmod(0o755)
    g = SafeGit(tmp_path, {"PATH": str(bindir)}, str(fake))
    with pytest.raises(OSError, match="could not list the repository's git drivers"):
        g.run("status")
    assert not ran.exists()


def test_core_worktree_cannot_point_git_elsewhere(tmp_path: Path) -> None:
    """`core.worktree` in the repository's config would make git report another
    directory's files (their names) as the project's."""
    from envaudit.inventory import Inventory

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "outside_private_notes.py").write_text("x = 1\n")
    root = repo(tmp_path / "p", {"train.py": "print(1)\n"})
    git(root, "config", "core.worktree", str(elsewhere))
    res = subprocess.run(["git", "status", "--porcelain"], cwd=root, env=ENV, capture_output=True, text=True)
    assert "outside_private_notes.py" in res.stdout  # plain git follows it
    facts = Inventory(root, environ=dict(ENV)).get("git")
    assert facts.toplevel == str(root) and facts.tracked == ("train.py",)
    assert "outside_private_notes.py" not in repr(facts)
    out = invoke("check", str(root), "--exit-zero", "--format", "json", env=ENV).output
    assert "outside_private_notes" not in out


def test_gitmodules_includes_are_not_followed(tmp_path: Path) -> None:
    from envaudit.inventory import Inventory

    outside = tmp_path / "outside.cfg"
    outside.write_text('[submodule "sub"]\n\tpath = sub\n\turl = https://example.com/from-outside.git\n')
    root = repo(tmp_path / "p", {".gitmodules": f"[include]\n\tpath = {outside}\n"})
    head = git(root, "rev-parse", "HEAD")
    git(root, "update-index", "--add", "--cacheinfo", f"160000,{head},sub")
    git(root, "commit", "-qm", "gitlink")
    facts = Inventory(root, environ=dict(ENV)).get("git")
    assert [s.path for s in facts.submodules] == ["sub"]
    assert facts.submodules[0].url is None  # the included file was not read


# ---------------------------------------------------------------- git that would block


@pytest.mark.parametrize("fifo", [".gitignore", ".gitattributes", ".git/info/exclude"])
def test_a_fifo_git_reads_is_refused_not_waited_on(tmp_path: Path, fifo: str) -> None:
    import time

    root = repo(tmp_path / "p", {"train.py": "import numpy\n", "requirements.txt": "numpy\n"})
    (root / ".git" / "info").mkdir(exist_ok=True)
    if (root / fifo).exists():
        (root / fifo).unlink()
    os.mkfifo(root / fifo)
    started = time.monotonic()
    res = invoke("check", str(root), "--no-color", "--exit-zero")
    assert time.monotonic() - started < 15, "check waited on the FIFO"
    assert res.exit_code == 0 and "Traceback" not in res.output
    assert "EA002" in res.stdout and f"{fifo} is not a regular file" in res.stdout
    assert "numpy" in res.stdout  # the rest of the audit ran


def test_a_blocked_git_times_out_and_its_process_group_is_killed(tmp_path: Path) -> None:
    """A FIFO deeper in the tree (not looked at up front) blocks git: the timeout ends it."""
    import time

    root = repo(tmp_path / "p", {"train.py": "import numpy\n"})
    (root / "sub").mkdir()
    os.mkfifo(root / "sub" / ".gitignore")
    g = SafeGit(root, ENV, timeout=1)
    started = time.monotonic()
    rc, _out, err = g.run("ls-files", "-z", "--others", "--exclude-standard")
    assert rc == 124 and "timed out after 1 s" in err
    assert time.monotonic() - started < 10


def test_a_git_timeout_is_an_ea002_finding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import envaudit.scanners.files as files
    import envaudit.scanners.git as gitscan

    monkeypatch.setattr(files, "GIT_TIMEOUT", 1)
    monkeypatch.setattr(gitscan, "GIT_TIMEOUT", 1)
    root = repo(tmp_path / "p", {"train.py": "import numpy\n"})
    (root / "sub").mkdir()
    os.mkfifo(root / "sub" / ".gitignore")
    res = invoke("check", str(root), "--no-color", "--exit-zero")
    assert res.exit_code == 0 and "Traceback" not in res.output
    assert "timed out after 1 s" in res.stdout and "EA002" in res.stdout
