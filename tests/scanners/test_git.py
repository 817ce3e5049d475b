from __future__ import annotations

from pathlib import Path

from envaudit.inventory import Inventory
from envaudit.scanners.git import LARGE_BLOB_MIN, matches_lfs
from tests.gitrepo import bare_remote, git, repo


def scan(root: Path, **kw: object) -> tuple[object, Inventory]:
    inv = Inventory(root, **kw)  # type: ignore[arg-type]
    return inv.get("git"), inv


def test_clean_repo_state(tmp_path: Path) -> None:
    root = repo(tmp_path / "p", {"train.py": "print(1)\n", ".gitignore": "__pycache__/\n.env\n.venv/\n"})
    f, inv = scan(root)
    assert f.is_repo and f.head == git(root, "rev-parse", "HEAD")
    assert f.branch == "main" and not f.detached and not f.empty
    assert f.dirty == () and f.untracked == ()
    assert set(f.tracked) == {"train.py", ".gitignore"}
    assert f.remotes == () and f.on_remote is False
    assert {"env-file", "pycache", "virtualenv"} <= set(f.ignored_probes)
    assert inv.diagnostics == []


def test_dirty_untracked_and_subdirectory_project(tmp_path: Path) -> None:
    root = repo(tmp_path / "p", {"proj/a.py": "1\n", "other/b.py": "2\n"})
    (root / "proj/a.py").write_text("changed\n")
    (root / "other/b.py").write_text("changed\n")
    (root / "proj/new.py").write_text("x\n")
    (root / "other/new.py").write_text("x\n")
    f, _ = scan(root / "proj")
    assert f.prefix == "proj"
    assert f.dirty == (".M a.py",) and f.dirty_count == 1  # only the project's own files
    assert f.untracked == ("new.py",)
    assert f.tracked == ("a.py",)


def test_no_commit_yet_and_detached(tmp_path: Path) -> None:
    root = repo(tmp_path / "p", {"a.py": "1\n"}, commit=False)
    f, _ = scan(root)
    assert f.is_repo and f.empty and f.head is None and f.branch == "main"
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "one")
    git(root, "checkout", "-q", "--detach")
    f, _ = scan(root)
    assert f.detached and f.branch is None and f.head


def test_upstream_ahead_and_on_remote(tmp_path: Path) -> None:
    remote = bare_remote(tmp_path)
    root = repo(tmp_path / "p", {"a.py": "1\n"})
    git(root, "remote", "add", "origin", str(remote))
    git(root, "push", "-q", "-u", "origin", "main")
    f, _ = scan(root)
    assert f.upstream == "origin/main" and f.ahead == 0 and f.behind == 0
    assert f.on_remote is True and f.containing_remote_refs == ("origin/main",)
    git(root, "commit", "-q", "--allow-empty", "-m", "local only")
    f, _ = scan(root)
    assert f.ahead == 1 and f.on_remote is False


def test_remote_credentials_are_never_stored(tmp_path: Path) -> None:
    token = "ghp_" + "A1b2C3d4" * 5
    root = repo(tmp_path / "p", {"a.py": "1\n"})
    git(root, "remote", "add", "origin", f"https://user:{token}@github.com/org/repo.git")
    git(root, "remote", "add", "plain", "git@github.com:org/repo.git")
    f, _ = scan(root)
    by_name = {r.name: r for r in f.remotes}
    assert by_name["origin"].had_credentials and token not in repr(f)
    assert by_name["origin"].url == "https://***@github.com/org/repo.git"
    assert not by_name["plain"].had_credentials and by_name["plain"].url == "git@github.com:org/repo.git"


def test_large_blobs_lfs_patterns_and_submodules(tmp_path: Path) -> None:
    big = b"0123456789" * (LARGE_BLOB_MIN // 10 + 1)  # compressible: fast to commit
    sub = repo(tmp_path / "sub", {"s.py": "1\n"})
    root = repo(
        tmp_path / "p",
        {
            "data/big.bin": big,
            "models/w.pt": big,
            "small.txt": "x\n",
            ".gitattributes": "*.pt filter=lfs diff=lfs merge=lfs -text\n",
        },
    )
    git(root, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(sub), "vendor/sub")
    git(root, "commit", "-q", "-m", "sub")
    f, _ = scan(root)
    blobs = {b.path: b for b in f.large_blobs}
    assert set(blobs) == {"data/big.bin", "models/w.pt"}
    assert blobs["data/big.bin"].size == len(big) and not blobs["data/big.bin"].lfs
    assert blobs["models/w.pt"].lfs
    assert f.lfs_patterns == ("*.pt",)
    assert [s.path for s in f.submodules] == ["vendor/sub"] and f.submodules[0].url == str(sub)
    assert "vendor/sub" not in f.tracked


def test_shallow_clone_and_worktrees(tmp_path: Path) -> None:
    src = repo(tmp_path / "src", {"a.py": "1\n"})
    git(src, "commit", "-q", "--allow-empty", "-m", "two")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{src}", str(clone))
    f, _ = scan(clone)
    assert f.shallow and f.on_remote is True
    git(src, "worktree", "add", "-q", str(tmp_path / "wt2"))
    f, _ = scan(src)
    assert not f.shallow and f.worktrees == (str(tmp_path / "wt2"),)


def test_matches_lfs() -> None:
    assert matches_lfs("models/x.pt", ("*.pt",))
    assert matches_lfs("data/raw/a.csv", ("data/**",))
    assert not matches_lfs("src/x.py", ("*.pt", "data/**"))


def test_bad_input_is_never_a_traceback(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    f, inv = scan(plain)
    assert f.available and not f.is_repo and f.corrupt is None and inv.diagnostics == []

    f, inv = scan(plain, environ={"PATH": str(tmp_path / "nowhere")})
    assert not f.available
    assert [(d.code, d.message) for d in inv.diagnostics] == [
        ("EA002", "git not found on PATH; GIT rules skipped")
    ]

    gitfile = tmp_path / "gitfile"
    gitfile.mkdir()
    (gitfile / ".git").write_text("garbage\n")
    f, inv = scan(gitfile)
    assert not f.is_repo and f.corrupt
    assert inv.diagnostics[0].code == "EA001" and inv.diagnostics[0].path == ".git"

    broken = repo(tmp_path / "broken", {"a.py": "1\n"})
    (broken / ".git" / "HEAD").write_text("junk\n")
    f, inv = scan(broken)
    assert f.corrupt and inv.diagnostics[0].code == "EA001"

    noindex = repo(tmp_path / "noindex", {"a.py": "1\n"})
    (noindex / ".git" / "index").write_bytes(b"DIRC garbage")
    f, inv = scan(noindex)
    assert f.corrupt and inv.diagnostics and inv.diagnostics[0].code == "EA001"


def test_a_hanging_git_times_out_into_ea002(tmp_path: Path, monkeypatch: object) -> None:
    import envaudit.scanners.git as scanner

    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = bindir / "git"
    fake.write_text("#!/bin/sh\nexec /bin/sleep 30\n")
    fake.chmod(0o755)
    monkeypatch.setattr(scanner, "GIT_TIMEOUT", 0.5)  # type: ignore[attr-defined]
    project = tmp_path / "p"
    project.mkdir()
    f, inv = scan(project, environ={"PATH": str(bindir)})
    assert not f.available
    assert [d.code for d in inv.diagnostics] == ["EA002"] and "timed out" in inv.diagnostics[0].message
