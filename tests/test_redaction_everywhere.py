"""Nothing secret leaves: tokens planted in a git remote URL, a VCS requirement URL, an
index URL and a secret-looking environment variable appear in no output format (every
format registered in envaudit.report.FORMATS, so formats added later are covered) and
in none of the facts any scanner collected (what snapshots serialise)."""

from __future__ import annotations

from pathlib import Path

import pytest

from envaudit.config import Config
from envaudit.engine import run_check
from envaudit.report import FORMATS
from tests.conftest import invoke
from tests.gitrepo import git, repo

REMOTE_TOKEN = "ghp_" + "R3moteTok3n" * 3  # a GitHub token shape (bare-token redaction would catch it)
REMOTE_PASSWORD = "remotePassw0rdXyz"  # a plain password (only URL redaction catches it)
VCS_TOKEN = "vcsS3cretToken42"
INDEX_TOKEN = "idxS3cretToken77"
ENV_TOKEN = "envS3cretValue99"
TOKENS = (REMOTE_TOKEN, REMOTE_PASSWORD, VCS_TOKEN, INDEX_TOKEN, ENV_TOKEN)
ENV = {"MY_SERVICE_API_KEY": ENV_TOKEN, "HF_TOKEN": ENV_TOKEN}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = repo(
        tmp_path_factory.mktemp("redact") / "p",
        {
            "requirements.txt": (
                f"--index-url https://u:{INDEX_TOKEN}@pypi.example.com/simple\n"
                f"--extra-index-url https://{INDEX_TOKEN}@extra.example.com/simple\n"
                f"mypkg @ git+https://user:{VCS_TOKEN}@github.com/org/mypkg.git@main\n"
                f"git+https://user:{VCS_TOKEN}@github.com/org/other.git#egg=other\n"
                "requests\n"
            ),
            "train.py": "import requests\n",
        },
    )
    git(root, "remote", "add", "origin", f"https://user:{REMOTE_TOKEN}@github.com/org/repo.git")
    git(root, "remote", "add", "backup", f"https://me:{REMOTE_PASSWORD}@git.example.com/org/repo.git")
    return root


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_no_token_in_any_format(project: Path, fmt: str, tmp_path: Path) -> None:
    res = invoke("check", str(project), "--format", fmt, "--exit-zero", "--no-color", env=ENV)
    assert res.exit_code == 0, res.output
    out = res.stdout + res.stderr
    assert "GIT010" in out and "DEP010" in out  # the remote and the VCS URL were reported ...
    for token in TOKENS:
        assert token not in out, f"{token} leaked in --format {fmt}"  # ... without its credential
    # written to a file as well (some formats differ there: no colour, full documents)
    target = tmp_path / f"report.{fmt}"
    invoke("check", str(project), "--format", fmt, "--exit-zero", "-o", str(target), env=ENV)
    written = target.read_text(encoding="utf-8", errors="replace")
    for token in TOKENS:
        assert token not in written, f"{token} leaked in --format {fmt} -o"


def test_no_token_in_any_collected_fact(project: Path) -> None:
    result = run_check(project, Config(select=("ALL",)), environ={**ENV, "PATH": _path()})
    inv = result.inventory
    inv.get("requirements")
    assert "git" in inv.scanned() and "requirements" in inv.scanned()
    reqs = repr(inv.get("requirements"))  # the URLs are kept, only their credentials masked
    assert "git+https://***@github.com/org/mypkg.git@main" in reqs
    assert "--index-url https://***@pypi.example.com/simple" in reqs
    for domain in inv.scanned():
        text = repr(inv.get(domain))
        for token in TOKENS:
            assert token not in text, f"{token} kept in the {domain} facts"
    for d in inv.diagnostics:
        assert not any(t in d.message for t in TOKENS)


def _path() -> str:
    import os

    return os.environ.get("PATH", "")
