"""Inventory.prefetch: a scan started in the background gives the same facts and the same
diagnostics, in the same place, as the scan run when the domain is asked for."""

from __future__ import annotations

from pathlib import Path

import pytest

from envaudit.config import Config
from envaudit.engine import run_check
from envaudit.inventory import Inventory
from tests.gitrepo import ENV, repo


def _inv(root: Path, environ: dict[str, str] | None = None) -> Inventory:
    return Inventory(root, config=Config(), environ=environ if environ is not None else dict(ENV))


def test_prefetched_git_facts_equal_a_plain_scan(tmp_path: Path) -> None:
    root = repo(tmp_path / "p", {"train.py": "print(1)\n", "README.md": "# x\n"})
    (root / "new.txt").write_text("untracked\n")
    plain = _inv(root)
    early = _inv(root)
    early.prefetch("git")
    early.diag("said before the git facts were asked for")
    assert early.get("git") == plain.get("git")
    assert [d.message for d in early.diagnostics] == ["said before the git facts were asked for"]
    assert early.scanned() == plain.scanned() == ["git"]


def test_prefetched_diagnostics_replayed_when_asked_for(tmp_path: Path) -> None:
    root = tmp_path / "p"
    root.mkdir()
    no_git = {**ENV, "PATH": str(tmp_path / "empty-bin")}  # git not found: an EA002
    plain = _inv(root, no_git)
    early = _inv(root, no_git)
    early.prefetch("git")
    early.diag("first")
    assert early.diagnostics[0].message == "first" and len(early.diagnostics) == 1
    assert early.get("git") == plain.get("git")
    assert [(d.code, d.message) for d in early.diagnostics[1:]] == [
        (d.code, d.message) for d in plain.diagnostics
    ]
    assert plain.diagnostics and plain.diagnostics[0].code == "EA002"


def test_a_scan_needing_more_of_the_inventory_runs_again_in_order(tmp_path: Path) -> None:
    root = repo(tmp_path / "p", {"README.md": "# Title\n\npip install -r requirements.txt\n"})
    plain = _inv(root)
    early = _inv(root)
    early.prefetch("docs")  # reads files through the Inventory: not possible detached
    assert early.get("docs") == plain.get("docs")
    assert [d.message for d in early.diagnostics] == [d.message for d in plain.diagnostics]


def test_unused_prefetch_leaves_nothing_behind(tmp_path: Path) -> None:
    root = repo(tmp_path / "p", {"a.py": "x = 1\n"})
    inv = _inv(root)
    inv.prefetch("git")
    inv.drop_prefetched()
    assert inv.scanned() == [] and inv.diagnostics == []


def test_check_same_findings_with_and_without_prefetch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = repo(tmp_path / "p", {"train.py": "import torch\n", "requirements.txt": "torch\n"})
    (root / "dirty.py").write_text("x = 2\n")
    env = dict(ENV)
    cfg = Config(select=("GIT", "DAT", "DEP"))
    early = run_check(root, cfg, environ=env)
    monkeypatch.setattr(Inventory, "prefetch", lambda self, domain: None)
    plain = run_check(root, cfg, environ=env)
    assert [(f.code, f.message, f.location) for f in early.findings] == [
        (f.code, f.message, f.location) for f in plain.findings
    ]
    assert any(f.code.startswith("GIT") for f in early.findings)


def test_prefetched_file_list_equals_a_plain_scan(tmp_path: Path) -> None:
    root = repo(tmp_path / "p", {"a.py": "x = 1\n", "sub/b.txt": "b\n", ".gitignore": "*.log\n"})
    (root / "new.py").write_text("y = 2\n")
    (root / "skip.log").write_text("ignored\n")
    plain = _inv(root)
    early = _inv(root)
    early.prefetch("files")
    assert early.files() == plain.files()
    assert "skip.log" not in early.files() and "new.py" in early.files()
