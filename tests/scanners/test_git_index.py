"""Reading .git/index directly must agree with `git ls-files`, and step aside for
index formats it does not know."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from envaudit.scanners.git import _LS_DEBUG, _hex, _read_index
from tests.conftest import git_init, write

ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
}


def git(root: Path, *args: str, check: bool = True) -> bytes:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, env=ENV, check=check).stdout


def via_ls_files(root: Path) -> list[tuple[int, str, int, bytes, int]]:
    out = git(root, "ls-files", "-s", "--debug", "-z", "--full-name", "--", ":/")
    return [(int(m, 8), o.decode(), int(s), p, int(z)) for m, o, s, p, z in _LS_DEBUG.findall(out)]


def via_index(root: Path) -> list[tuple[int, str, int, bytes, int]] | None:
    got = _read_index(root / ".git" / "index")
    return None if got is None else [(m, _hex(o), s, p, z) for m, o, s, p, z in got]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "r"
    root.mkdir()
    git_init(root)
    write(
        root,
        {
            "a.py": "x = 1\n",
            "deep/er/name with spaces.txt": "y\n",
            "ü-nicode.md": "z\n",
            "big.bin": b"\x00" * 700_000,
            "tool.sh": "#!/bin/sh\n",
        },
    )
    (root / "tool.sh").chmod(0o755)
    (root / "link").symlink_to("a.py")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "one")
    return root


def test_index_read_matches_ls_files(repo: Path) -> None:
    direct = via_index(repo)
    assert direct is not None
    assert direct == via_ls_files(repo)
    modes = {p.decode(): m for m, _, _, p, _ in direct}
    assert modes["tool.sh"] == 0o100755 and modes["link"] == 0o120000


def test_gitlinks_and_conflict_stages_match(repo: Path, tmp_path: Path) -> None:
    sub = tmp_path / "sub"
    sub.mkdir()
    git_init(sub)
    write(sub, {"s.txt": "s\n"})
    git(sub, "add", "-A")
    git(sub, "commit", "-qm", "s")
    head = git(sub, "rev-parse", "HEAD").decode().strip()
    git(repo, "checkout", "-qb", "other")
    (repo / "a.py").write_text("x = 2\n")
    git(repo, "commit", "-qam", "other")
    git(repo, "checkout", "-q", "main")
    (repo / "a.py").write_text("x = 3\n")
    git(repo, "commit", "-qam", "main")
    git(repo, "merge", "-q", "other", check=False)  # a conflict: stages 1, 2 and 3 of a.py
    git(repo, "update-index", "--add", "--cacheinfo", f"160000,{head},vendor/sub")
    direct = via_index(repo)
    assert direct is not None and direct == via_ls_files(repo)
    assert {s for m, _, s, p, _ in direct if p == b"a.py"} == {1, 2, 3}
    assert any(m == 0o160000 for m, *_ in direct)


def test_index_v4_falls_back_to_git(repo: Path) -> None:
    git(repo, "update-index", "--index-version", "4")
    assert via_index(repo) is None  # path compression: let git list it


@pytest.mark.parametrize(
    "junk", [b"", b"DIRC", b"DIRC\x00\x00\x00\x02\x00\x00\x00\x05" + b"\x00" * 40, b"\xff" * 100]
)
def test_junk_is_not_an_index(tmp_path: Path, junk: bytes) -> None:
    (tmp_path / "index").write_bytes(junk)
    assert _read_index(tmp_path / "index") is None
    assert _read_index(tmp_path / "missing") is None


def test_scan_uses_the_direct_read_and_finds_large_blobs(repo: Path) -> None:
    from envaudit.inventory import Inventory

    facts = Inventory(repo).get("git")
    assert "deep/er/name with spaces.txt" in facts.tracked and "ü-nicode.md" in facts.tracked
    assert not re.search("big.bin", repr(facts.large_blobs))  # 700 KB: a candidate, under the 1 MiB floor
