"""Hostile Dockerfiles (issue 15, attacker round), each judged by envaudit and by hadolint.

Every case names the instruction line, the rule, envaudit's verdict, hadolint's verdict
on its matching DL rule (asserted too, so that a change of hadolint is noticed), and, where
they differ, who is right and why.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from envaudit.scanners.dockerfiles import is_dockerfile_name
from tests.conftest import check, write
from tests.docker.test_hadolint_agreement import HADOLINT, PAIRS

PY = "FROM python:3.11-slim@sha256:" + "a" * 64 + "\n"
DEB = "FROM debian:12@sha256:" + "a" * 64 + "\n"

# (id, Dockerfile, code, envaudit fires, hadolint fires, why when they differ)
CASES: list[tuple[str, str, str, bool, bool, str]] = [
    (
        "update-after-rm",
        DEB
        + "RUN apt-get update && apt-get install -y curl=1 && rm -rf /var/lib/apt/lists/* && apt-get update\n",
        "DKR007",
        True,
        False,
        "the second `apt-get update` downloads the lists again after the removal, into the same layer;"
        " hadolint only asks that some removal exists",
    ),
    (
        "rm-before-update-elsewhere",
        DEB + "RUN rm -rf /var/lib/apt/lists/* && apt-get update && apt-get install -y curl=1\n",
        "DKR007",
        True,
        False,
        "the removal runs before the lists exist; hadolint accepts a removal anywhere in the RUN",
    ),
    (
        "rm-after-update",
        DEB + "RUN apt-get update && apt-get install -y curl=1; rm -rf /var/lib/apt/lists/*\n",
        "DKR007",
        False,
        False,
        "",
    ),
    (
        "rm-of-partial-only",
        DEB + "RUN apt-get update && apt-get install -y curl=1 && rm -rf /var/lib/apt/lists/partial\n",
        "DKR007",
        True,
        False,
        "removing lists/partial keeps every downloaded list; hadolint accepts any path under the lists",
    ),
    (
        "pip-cache-dir-in-mount",
        PY + "RUN --mount=type=cache,target=/tmp/pipcache PIP_CACHE_DIR=/tmp/pipcache pip install flask==1\n",
        "DKR005",
        False,
        True,
        "PIP_CACHE_DIR points pip's cache into the cache mount, which never enters the layer;"
        " hadolint only knows the default ~/.cache/pip target",
    ),
    (
        "pip-cache-dir-flag-in-mount",
        PY + "RUN --mount=type=cache,target=/cache pip install --cache-dir /cache/pip flask==1\n",
        "DKR005",
        False,
        True,
        "`--cache-dir` under the cache mount: nothing cached reaches the layer (hadolint as above)",
    ),
    (
        "pip-cache-dir-env-in-mount",
        PY
        + "ENV PIP_CACHE_DIR=/var/cache/pip\nRUN --mount=type=cache,target=/var/cache/pip pip install flask==1\n",
        "DKR005",
        False,
        True,
        "ENV PIP_CACHE_DIR under the cache mount (hadolint as above)",
    ),
    (
        "pip-cache-dir-outside-mount",
        PY + "RUN --mount=type=cache,target=/cache PIP_CACHE_DIR=/tmp/pip pip install flask==1\n",
        "DKR005",
        True,
        True,
        "",
    ),
    (
        "pip-cache-parent-mount",
        PY + "RUN --mount=type=cache,target=/root/.cache pip install flask==1\n",
        "DKR005",
        False,
        True,
        "pip's default cache /root/.cache/pip lies inside the mount; hadolint wants the exact target",
    ),
    (
        "apt-version-glob",
        DEB + 'RUN apt-get update && apt-get install -y "curl=7.*" && rm -rf /var/lib/apt/lists/*\n',
        "DKR006",
        True,
        False,
        "apt matches a version ending in `*` as a prefix (apt-pkg's pkgVersionMatch), so `curl=7.*` installs"
        " the newest 7.x of the day, like pip's `==7.*`; hadolint accepts any `=`",
    ),
    (
        "apt-empty-version",
        DEB + "RUN apt-get update && apt-get install -y curl= && rm -rf /var/lib/apt/lists/*\n",
        "DKR006",
        True,
        False,
        "`curl=` names no version (apt refuses it); hadolint accepts any `=`",
    ),
    (
        "apt-exact",
        DEB + "RUN apt-get update && apt-get install -y curl=7.88.1-10 && rm -rf /var/lib/apt/lists/*\n",
        "DKR006",
        False,
        False,
        "",
    ),
    (
        "subshell-assignment-does-not-leak",
        PY + "RUN P=flask==1; (P=flask); pip install --no-cache-dir $P\n",
        "DKR004",
        False,
        True,
        "`( … )` is a subshell: P is flask==1 again after it; hadolint reads `$P` as a bare name",
    ),
    (
        "single-quotes-keep-dollar",
        PY + "RUN P=flask==1; pip install --no-cache-dir '$P'\n",
        "DKR004",
        True,
        True,
        "",
    ),
    *[
        (
            f"wrapper-{cmd.split()[0]}",
            PY + f"RUN {cmd}\n",
            "DKR004",
            True,
            False,
            f"`{cmd}` runs pip with an unpinned flask; hadolint reads only a bare `pip` word",
        )
        for cmd in (
            "sudo -u app pip install --no-cache-dir flask",
            "nice -n 10 pip install --no-cache-dir flask",
            "timeout -s KILL 600 pip install --no-cache-dir flask",
            "conda run -n base pip install --no-cache-dir flask",
            "micromamba run -n base python -m pip install --no-cache-dir flask",
            "poetry run pip install --no-cache-dir flask",
            "gosu app pip install --no-cache-dir flask",
            "runuser -u app -- pip install --no-cache-dir flask",
            'su app -c "pip install --no-cache-dir flask"',
            'eval "pip install --no-cache-dir flask"',
        )
    ],
    (
        "sudo-apt-with-values",
        DEB + "RUN sudo -u root -E DEBIAN_FRONTEND=noninteractive apt-get install -y curl=7.88.1-10\n",
        "DKR006",
        False,
        False,
        "",
    ),
    (
        "substitution-keeps-the-command",
        PY + "RUN pip install --no-cache-dir $(cat /extra) flask\n",
        "DKR004",
        True,
        True,
        "",
    ),
]


def _hadolint_fires(path: Path, line: int, code: str) -> bool:
    out = subprocess.run(
        [str(HADOLINT), "--no-fail", "--format", "json", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return any(PAIRS.get(d["code"]) == code and d["line"] == line for d in json.loads(out.stdout or "[]"))


@pytest.mark.parametrize(("case", "text", "code", "ours", "theirs", "why"), CASES, ids=[c[0] for c in CASES])
def test_hostile_dockerfile(
    tmp_path: Path, case: str, text: str, code: str, ours: bool, theirs: bool, why: str
) -> None:
    assert (ours == theirs) or why, case  # every disagreement says who is right and why
    write(tmp_path, {"Dockerfile": text})
    line = len(text.splitlines())  # the RUN under test is the last instruction
    found = [f for f in check(tmp_path, code).findings if f.location.line == line]
    assert bool(found) == ours, (case, [f.message for f in found])
    if HADOLINT is not None:
        assert _hadolint_fires(tmp_path / "Dockerfile", line, code) == theirs, case


def test_update_after_rm_message_says_what_to_move(tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": CASES[0][1]})
    (f,) = check(tmp_path, "DKR007").findings
    assert "after the `rm -rf /var/lib/apt/lists/*`" in f.message and "move the removal" in f.fix.description


@pytest.mark.parametrize(
    "name",
    [
        "Dockerfile~",
        "Dockerfile.gpu~",
        "Dockerfile.old",
        "Dockerfile.backup",
        "Dockerfile.save",
        "Dockerfile.cuda12.bak",
        "Dockerfile..bak",
        "Dockerfile.dpkg-old",
        "Dockerfile.dpkg-dist",
        "Dockerfile.rpmnew",
        "Dockerfile.swo",
        "Containerfile.orig",
    ],
)
def test_backups_are_not_audited(name: str) -> None:
    """Copies that editors, merge tools and package managers leave are built by nobody;
    `Dockerfile.gpu~` was audited while `Dockerfile~` was not."""
    assert not is_dockerfile_name(name)


def test_backup_next_to_the_real_file_adds_nothing(tmp_path: Path) -> None:
    df = "FROM python:3.11\nRUN pip install flask\n"
    write(tmp_path, {"Dockerfile.gpu": df, "Dockerfile.gpu~": df, "Dockerfile.gpu.old": df})
    paths = {f.location.path for f in check(tmp_path, "DKR004").findings}
    assert paths == {"Dockerfile.gpu"}


def test_symlink_to_another_dockerfile_is_audited_once(tmp_path: Path) -> None:
    """`Dockerfile -> docker/Dockerfile.gpu` is one file: its findings were printed twice."""
    write(tmp_path, {"docker/Dockerfile.gpu": "FROM python:3.11\nRUN pip install --no-cache-dir flask\n"})
    (tmp_path / "Dockerfile").symlink_to("docker/Dockerfile.gpu")
    (tmp_path / "Dockerfile.out").symlink_to(tmp_path.parent)  # out of the root: EA001, as before
    paths = sorted(f.location.path for f in check(tmp_path, "DKR004").findings)
    assert paths == ["docker/Dockerfile.gpu"]


def test_constraints_pin_the_requirements_of_r_files(tmp_path: Path) -> None:
    """`pip install -r dev.txt -c c.txt`: pip applies the constraints to dev.txt's
    requirements as well (pip itself is the oracle here, offline, on wheels built now)."""
    import sys

    from tests.wheelhouse import build_wheel

    wh = tmp_path / "wh"
    wh.mkdir()
    for v in ("1.0", "2.0"):
        build_wheel(wh, "alpha", v)
    proj = tmp_path / "p"
    write(
        proj,
        {
            "Dockerfile": PY + "COPY . /app\nRUN pip install --no-cache-dir -r /app/dev.txt -c /app/c.txt\n",
            "dev.txt": "alpha>=1\n",
            "c.txt": "alpha==1.0\n",
        },
    )
    report = tmp_path / "report.json"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--isolated", "--no-index",
         "--find-links", str(wh), "--report", str(report), "-r", str(proj / "dev.txt"), "-c", str(proj / "c.txt")],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    chosen = {
        i["metadata"]["name"]: i["metadata"]["version"] for i in json.loads(report.read_text())["install"]
    }
    assert chosen == {"alpha": "1.0"}  # the constraint decided, not the newest
    assert check(proj, "DKR004").findings == []
    write(proj, {"c.txt": "beta==1.0\n"})
    assert [f.message for f in check(proj, "DKR004").findings] == [
        "pip install -r /app/dev.txt: dev.txt does not pin alpha"
    ]


FULL_IGNORE = ".git\n.env\n.venv\nvenv\n**/__pycache__\n"


def test_a_dockerfile_with_its_own_ignore_file_needs_no_root_one(tmp_path: Path) -> None:
    """BuildKit reads `<Dockerfile>.dockerignore` first; a sub-project's Containerfile is
    built from its folder, whose .dockerignore counts (DKR011 asked for one at the root)."""
    write(
        tmp_path,
        {"svc/Containerfile": "FROM python:3.11\nCOPY . /app\n", "svc/.dockerignore": FULL_IGNORE},
    )
    assert check(tmp_path, "DKR011").findings == []
    # (issue 15f: the context's own ignore file is checked for content like the root's)
    write(tmp_path, {"Dockerfile.gpu": "FROM python:3.11\n", "Dockerfile.gpu.dockerignore": FULL_IGNORE})
    assert check(tmp_path, "DKR011").findings == []
    write(tmp_path, {"Dockerfile": "FROM python:3.11\n"})  # the root Dockerfile has none
    assert [f.location.path for f in check(tmp_path, "DKR011").findings] == [".dockerignore"]
