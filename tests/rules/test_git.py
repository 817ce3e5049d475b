from __future__ import annotations

import json
from pathlib import Path

from envaudit.model import Severity
from tests.conftest import check, codes, invoke
from tests.gitrepo import bare_remote, git, repo

IGNORE = ".gitignore"
HYGIENE = "__pycache__/\n.env\n.venv/\n"
TOKEN = "ghp_" + "Zq9Xw8Ve7Ut6" * 3


def pushed(tmp: Path, files: dict[str, str | bytes]) -> Path:
    """A clean repository whose HEAD is on origin/main (a bare repo in tmp)."""
    root = repo(tmp / "p", {IGNORE: HYGIENE, **files})
    git(root, "remote", "add", "origin", str(bare_remote(tmp)))
    git(root, "push", "-q", "-u", "origin", "main")
    return root


def test_a_clean_pushed_repository_has_no_git_findings(tmp_path: Path) -> None:
    root = pushed(tmp_path, {"train.py": "print(1)\n", ".env.example": "TOKEN=\n", "keys.py": "x = 1\n"})
    assert codes(check(root, "GIT")) == []


def test_git001_not_a_repository(tmp_path: Path) -> None:
    result = check(tmp_path, "GIT,EA")
    assert codes(result) == ["GIT001"]
    assert result.findings[0].severity is Severity.ERROR


def test_no_git_binary_is_ea002_and_git_rules_skip(tmp_path: Path) -> None:
    result = check(tmp_path, "GIT,EA", environ={"PATH": str(tmp_path / "nowhere")})
    assert codes(result) == ["EA002"] and "git not found" in result.findings[0].message


def test_corrupt_git_is_ea001_not_git001(tmp_path: Path) -> None:
    (tmp_path / ".git").write_text("nonsense\n")
    result = check(tmp_path, "GIT,EA")
    assert codes(result) == ["EA001"] and result.findings[0].location.path == ".git"


def test_git002_dirty_fires_and_clears(tmp_path: Path) -> None:
    root = pushed(tmp_path, {"train.py": "a\n"})
    (root / "train.py").write_text("b\n")
    result = check(root, "GIT002")
    assert codes(result) == ["GIT002"] and "M train.py" in result.findings[0].message
    git(root, "commit", "-qam", "b")
    assert codes(check(root, "GIT002")) == []


def test_git003_untracked_sources_only(tmp_path: Path) -> None:
    root = pushed(tmp_path, {"train.py": "a\n"})
    for name in ("utils.py", "requirements-dev.txt", "Dockerfile", "notes.md", "plot.png", ".env"):
        (root / name).write_text("x\n")
    result = check(root, "GIT003")
    assert sorted(f.location.path for f in result.findings) == [
        "Dockerfile",
        "requirements-dev.txt",
        "utils.py",
    ]


def test_git003_skips_virtualenvs_and_tool_folders_with_one_hint(tmp_path: Path) -> None:
    root = repo(tmp_path / "p", {IGNORE: "__pycache__/\n", "train.py": "a\n"})
    files = {
        ".venv/pyvenv.cfg": "home = /usr/bin\n",  # the usual name: skipped like the source scan does
        "myenv/pyvenv.cfg": "home = /usr/bin\n",  # a virtualenv under any name
        "conda/conda-meta/history": "",  # a conda environment
        ".tox/py311/x.py": "",
    }
    for i in range(60):
        files[f".venv/lib/python3.11/site-packages/pkg/m{i}.py"] = ""
        files[f"myenv/lib/python3.11/site-packages/m{i}.py"] = ""
    files["conda/lib/python3.11/site.py"] = ""
    files["src/new_module.py"] = ""  # a real untracked source, still reported
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    found = check(root, "GIT003").findings
    assert [f.location.path for f in found if f.severity != Severity.INFO] == ["src/new_module.py"]
    (hint,) = [f for f in found if f.severity == Severity.INFO]
    assert hint.message.startswith("125 untracked files under .tox/, .venv/, conda/, myenv/")
    assert "fix gitignore" in hint.fix.description


def test_git004_empty_and_detached(tmp_path: Path) -> None:
    root = repo(tmp_path / "p", {"a.py": "1\n"}, commit=False)
    result = check(root, "GIT004")
    assert codes(result) == ["GIT004"] and "no commit yet" in result.findings[0].message
    git(root, "add", "-A")
    git(root, "commit", "-qm", "one")
    assert codes(check(root, "GIT004")) == []
    git(root, "checkout", "-q", "--detach")
    assert "detached" in check(root, "GIT004").findings[0].message


def test_git005_unpushed_and_git006_no_remote(tmp_path: Path) -> None:
    root = pushed(tmp_path, {"a.py": "1\n"})
    assert codes(check(root, "GIT005,GIT006")) == []
    git(root, "commit", "-q", "--allow-empty", "-m", "local")
    result = check(root, "GIT005,GIT006")
    assert codes(result) == ["GIT005"] and "1 commit ahead of origin/main" in result.findings[0].message
    # pushed to another branch of the remote: reachable, so no finding
    git(root, "push", "-q", "origin", "HEAD:refs/heads/elsewhere")
    assert codes(check(root, "GIT005")) == []

    lonely = repo(tmp_path / "lonely", {"a.py": "1\n"})
    assert codes(check(lonely, "GIT005,GIT006")) == ["GIT006"]


def test_git007_large_files(tmp_path: Path) -> None:
    mib = 1024 * 1024
    root = pushed(
        tmp_path,
        {
            "data/train.csv": b"0123456789abcdef" * (2 * mib // 16),  # data, over 1 MiB
            "models/w.pt": b"0123456789abcdef" * (2 * mib // 16),  # covered by lfs pattern
            "docs/big.html": b"0123456789abcdef" * (2 * mib // 16),  # not data, under 10 MiB
            "tracked.parquet": b"0123456789abcdef" * (2 * mib // 16),  # DVC-tracked alongside
            "tracked.parquet.dvc": "outs:\n- path: tracked.parquet\n",
            ".gitattributes": "*.pt filter=lfs diff=lfs merge=lfs -text\n",
        },
    )
    result = check(root, "GIT007")
    assert [f.location.path for f in result.findings] == ["data/train.csv"]
    assert "2.0 MiB" in result.findings[0].message


def test_git008_gaps_and_fix_diff(tmp_path: Path) -> None:
    root = repo(tmp_path / "p", {"train.py": "1\n", "data/raw.csv": "a\n", IGNORE: "__pycache__/\n"})
    (root / "model.safetensors").write_bytes(b"w")
    result = check(root, "GIT008")
    messages = sorted(f.message for f in result.findings)
    assert any("env-file (.env)" in m for m in messages)
    assert any("virtualenv (.venv/)" in m for m in messages)
    assert any("data-dir (data/)" in m for m in messages)
    assert any("model-weights (*.safetensors)" in m for m in messages)
    assert not any("pycache" in m for m in messages)
    assert not any("wandb" in m for m in messages)  # absent: not asked for
    diffs = [f.fix.diff for f in result.findings if f.fix and f.fix.diff]
    assert len(diffs) == 1  # one diff for all the gaps
    diff = diffs[0]
    assert "+.env" in diff and "+data/" in diff and "+__pycache__/" not in diff

    covered = repo(tmp_path / "q", {"data/raw.csv": "a\n", IGNORE: HYGIENE + "/data\n*.safetensors\n"})
    (covered / "model.safetensors").write_bytes(b"w")
    assert codes(check(covered, "GIT008")) == []


def test_git009_secret_files(tmp_path: Path) -> None:
    root = pushed(
        tmp_path,
        {
            ".env": "API_TOKEN=abc\n",
            "deploy/id_rsa": "-----BEGIN OPENSSH PRIVATE KEY-----\n",
            "certs/server.pem": "x\n",
            "conf/credentials.json": "{}\n",
            ".env.example": "API_TOKEN=\n",
            "secrets.yaml.template": "k: v\n",
            "keys.py": "x\n",
            "id_rsa.pub": "ssh-rsa AAA\n",
        },
    )
    git(root, "add", "-f", ".env")  # ignored, but force-added: exactly how secrets leak
    git(root, "commit", "-qm", "env")
    result = check(root, "GIT009")
    assert sorted(f.location.path for f in result.findings) == [
        ".env",
        "certs/server.pem",
        "conf/credentials.json",
        "deploy/id_rsa",
    ]
    assert all("API_TOKEN=abc" not in f.message for f in result.findings)


def test_git010_credentials_in_remote_never_printed(tmp_path: Path) -> None:
    root = pushed(tmp_path, {"a.py": "1\n"})
    git(root, "remote", "add", "mirror", f"https://user:{TOKEN}@github.com/org/repo.git")
    git(root, "remote", "add", "ssh", "ssh://git@github.com/org/repo.git")
    result = check(root, "GIT010")
    assert codes(result) == ["GIT010"]
    f = result.findings[0]
    assert "mirror" in f.message and TOKEN not in f.message and "user" not in f.message
    assert TOKEN not in (f.fix.description if f.fix else "")
    out = invoke("check", str(root), "--select", "GIT", "--format", "json", "--exit-zero").stdout
    assert TOKEN not in out and json.loads(out)["summary"]["error"] == 1


def test_explain_every_git_rule() -> None:
    for n in range(1, 11):
        out = invoke("explain", f"GIT{n:03d}").stdout
        assert "Example:" in out and "Fix:" in out


def test_git008_missing_gitignore_is_one_finding(tmp_path: Path) -> None:
    root = repo(tmp_path / "p", {"train.py": "1\n", "data/raw.csv": "a\n"})
    result = check(root, "GIT008")
    assert len(result.findings) == 1
    f = result.findings[0]
    assert f.location.path == ".gitignore" and f.message.startswith("no .gitignore:")
    for entry in (".env", "__pycache__/", ".venv/", "data/"):
        assert entry in f.message
    assert f.fix is not None and f.fix.diff and "+.env" in f.fix.diff


def test_git003_fix_works_from_where_envaudit_was_run(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import subprocess

    root = repo(tmp_path / "mono", {"README.md": "x\n"})
    (root / "services" / "serve").mkdir(parents=True)
    (root / "services" / "serve" / "new.py").write_text("print(1)\n")
    monkeypatch.chdir(root)  # `envaudit check services/serve` from the repository root
    (f,) = check(root / "services" / "serve", "GIT003").findings
    cmd = f.fix.description.split("  (", 1)[0]
    assert cmd == "git -C services/serve add new.py"
    subprocess.run(cmd.split(), check=True, cwd=root)  # the printed command works from the cwd
    assert check(root / "services" / "serve", "GIT003").findings == []
    monkeypatch.chdir(root / "services" / "serve")
    (root / "services" / "serve" / "other.py").write_text("print(2)\n")
    (f,) = check(root / "services" / "serve", "GIT003").findings
    assert f.fix.description.startswith("git add other.py")
