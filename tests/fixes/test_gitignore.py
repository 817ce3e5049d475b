from __future__ import annotations

import os
from pathlib import Path

from tests.conftest import check, codes, invoke
from tests.gitrepo import repo


def test_diff_by_default_then_write_appends_atomically(tmp_path: Path) -> None:
    root = repo(tmp_path / "p", {"train.py": "1\n", "data/x.csv": "1\n", ".gitignore": "__pycache__/\n*.log"})
    (root / "w.ckpt").write_bytes(b"w")
    res = invoke("fix", "gitignore", str(root))
    assert res.exit_code == 0
    assert (
        "+.env" in res.stdout
        and "+.venv/" in res.stdout
        and "+data/" in res.stdout
        and "+*.ckpt" in res.stdout
    )
    assert "+__pycache__/" not in res.stdout
    assert (root / ".gitignore").read_text() == "__pycache__/\n*.log"  # untouched without --write

    res = invoke("fix", "gitignore", str(root), "--write")
    assert res.exit_code == 0
    text = (root / ".gitignore").read_text()
    assert text.startswith("__pycache__/\n*.log\n\n# added by envaudit")  # the missing newline is added
    assert text.endswith("data/\n*.ckpt\n")
    assert codes(check(root, "GIT008")) == []
    res = invoke("fix", "gitignore", str(root))
    assert res.stdout == "" and "already covers" in res.stderr


def test_creates_gitignore_and_refuses_symlink_out(tmp_path: Path) -> None:
    root = repo(tmp_path / "p", {"a.py": "1\n"})
    assert invoke("fix", "gitignore", str(root), "--write").exit_code == 0
    assert (root / ".gitignore").read_text().splitlines()[1:] == [".env", "__pycache__/", ".venv/"]

    other = repo(tmp_path / "q", {"a.py": "1\n"})
    outside = tmp_path / "outside.txt"
    outside.write_text("keep\n")
    os.symlink(outside, other / ".gitignore")
    res = invoke("fix", "gitignore", str(other), "--write")
    assert res.exit_code == 2 and "outside the project" in res.stderr
    assert outside.read_text() == "keep\n"


def test_not_a_repository_is_a_usage_error(tmp_path: Path) -> None:
    res = invoke("fix", "gitignore", str(tmp_path))
    assert res.exit_code == 2 and "not a git repository" in res.stderr
