"""The words envaudit reads out of a RUN against the words a real POSIX shell passes.

For each script, /bin/sh runs it with `pip` and `apt-get` defined as shell functions that
print their arguments (nothing is installed, nothing of an audited project runs: the
scripts are this test's own), with the Dockerfile's ENV values in its environment. The
argument lists envaudit derives for those commands must be the same. Attacker round of
issue 15: single quotes and `\\$` keep a `$` literal, a `( … )` subshell's assignments die
with it, `VAR=x cmd` sets VAR for cmd alone, and `${V:-x}` / `${V:+x}` follow POSIX.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from envaudit.scanners.dockerfiles import parse

SH = shutil.which("sh")
pytestmark = pytest.mark.skipif(SH is None, reason="no /bin/sh")

# (ENV lines, RUN script)
SCRIPTS: list[tuple[str, str]] = [
    ("", 'pkgs="flask==2.0" && pip install $pkgs'),
    ("", "P=flask==1; (P=flask); pip install $P"),
    ("", "P=flask==1; (P=flask; pip install $P); pip install $P"),
    ("", "P=flask==1; P=flask true; pip install $P"),
    ("", "P=flask; pip install '$P'"),
    ("", 'P=flask; pip install "$P" \\$P'),
    ("", 'P=flask; pip install "\\$P==1" "a$P"'),
    ("", "P=flask; pip install 'x'$P'y'"),
    ("", "P=flask==1; pip install $(P=numpy; echo) $P"),
    ("", "pip install `echo` flask==1 && pip install --no-deps $(echo $(echo)) numpy==2"),
    ("", "P=flask; pip install x'$P'y \"a'$P'b\""),
    ("", "export P=flask==2 && pip install $P; Q=numpy==2; (Q=numpy==1); pip install x $Q"),
    ("", "x=1; pkgs=flask==2; unset pkgs; pip install $pkgs flask"),
    ("ENV V=flask==2.0.0", "pip install ${V:-x} ${U:-requests==2.0} ${V:+numpy} ${U:+scipy}"),
    ("ENV V=", "pip install ${V:-a} ${V-b} ${V:+c} ${V+d}"),
    ("ENV V=flask==1", "sh -c 'pip install $V' && bash -c \"pip install $V\""),
    ("", 'pkgs="curl=7.81.0-1 wget=1.21-1" && apt-get install -y $pkgs'),
    # heredoc scripts (`RUN <<EOF`): line continuations, quoted newlines, comments
    ("", "pip install --no-cache-dir \\\n  flask \\\n  numpy==1\npip install x"),
    ("", 'pip install "a\nb" c'),
    ("", "pip install a # don't\npip install c"),
    ("", "P='x\\\ny'; pip install \"$P\" d"),
    ("", "P=flask==1\n(\nP=flask\n)\npip install $P"),
    # a double-quoted expansion is one word, an unquoted one is split at blanks
    ("", 'P=\'a==1 b==2\'; pip install "$P" $P "${P}" x"$P"y'),
    ("", 'E=; pip install "$E" $E "" x'),
    ("", "pkgs='curl=7.81.0-1 wget' && sudo=; apt-get install -y $pkgs"),
]

_FUNCS = "pip() { printf 'pip'; printf '\\037%s' \"$@\"; printf '\\036'; }; "


def _shell_says(env_lines: str, script: str) -> list[tuple[str, ...]]:
    env = {"PATH": "/usr/bin:/bin"}
    for line in env_lines.splitlines():
        k, _, v = line.removeprefix("ENV ").partition("=")
        env[k] = v
    # apt-get is not a valid function name in every sh: call it through a wrapper word
    script = script.replace("apt-get", "apt_get_")
    funcs = _FUNCS + "apt_get_() { printf 'apt-get'; printf '\\037%s' \"$@\"; printf '\\036'; }; "
    # `sh -c '…'` / `bash -c "…"` inside the script start a new shell without the functions
    funcs += 'sh() { shift; eval "$1"; }; bash() { shift; eval "$1"; }; '
    out = subprocess.run(
        [SH or "sh", "-c", funcs + script], capture_output=True, text=True, env=env, timeout=10, check=True
    ).stdout
    calls = []
    for line in out.split("\x1e")[:-1]:  # one record per call: a word may hold a newline
        tool, *words = line.split("\x1f")
        calls.append((tool, *words))
    return calls


def _envaudit_says(env_lines: str, script: str) -> list[tuple[str, ...]]:
    run = f"RUN <<EOF\n{script}\nEOF" if "\n" in script else f"RUN {script}"
    df = parse(f"FROM x:1\n{env_lines}\n{run}\n")
    calls = []
    for c in df.runs[0].commands:
        if c.argv and c.argv[0] in ("pip", "apt-get"):
            calls.append(c.argv)
    return calls


@pytest.mark.parametrize(("env_lines", "script"), SCRIPTS, ids=[s for _, s in SCRIPTS])
def test_envaudit_reads_the_words_the_shell_passes(env_lines: str, script: str) -> None:
    assert _envaudit_says(env_lines, script) == _shell_says(env_lines, script)


def test_every_command_a_branch_or_wrapper_can_run_is_found() -> None:
    """Not a run of sh (which takes one branch): every pip a condition, a branch or a
    wrapper can start is read, with the wrappers' option values skipped."""
    script = (
        "if pip install a==1; then pip install b; elif pip install c; then :; else pip install d; fi; "
        "while pip install e; do pip install f; done; until pip install g; do break; done; "
        "sudo -u nobody pip install h && timeout -s KILL 5 pip install i && nice -n 1 pip install j"
    )
    calls = _envaudit_says("", script)
    assert [c[2] for c in calls] == ["a==1", *"bcdefghij"] and all(c[:2] == ("pip", "install") for c in calls)
