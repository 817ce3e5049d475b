"""GitHub annotations and SARIF name files from the repository root, so that in a
monorepo (`envaudit check services/train`) they land on the audited folder's files."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from envaudit.report import render
from envaudit.report._paths import repo_prefix
from tests.conftest import check, write


@pytest.fixture
def monorepo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    top = tmp_path / "mono"
    write(top, {"requirements.txt": "click==8.1.7\n", "services/train/requirements.txt": "numpy\n"})
    subprocess.run(["git", "init", "-q", str(top)], check=True, capture_output=True)
    return top


def test_prefix(monorepo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert repo_prefix(monorepo / "services" / "train") == "services/train/"
    assert repo_prefix(monorepo) == ""
    assert repo_prefix(tmp_path) == ""  # not in a repository: the audited folder is the root
    # in Actions the workspace is the reference, even without a .git (a tarball checkout)
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))
    assert repo_prefix(tmp_path / "mono" / "services") == "mono/services/"


def test_github_annotation_lands_on_the_subfolder_file(monorepo: Path) -> None:
    out = render("github", check(monorepo / "services" / "train", "DEP002"))
    assert "::error file=services/train/requirements.txt,line=1," in out
    # audited from the top, the same file has the same name
    top = render("github", check(monorepo, "DEP002"))
    assert "::error file=services/train/requirements.txt,line=1," in top


def test_sarif_uris_from_the_repository_root(monorepo: Path) -> None:
    doc = json.loads(render("sarif", check(monorepo / "services" / "train", "DEP002")))
    run = doc["runs"][0]
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]]
    assert uris == ["services/train/requirements.txt"]
    assert run["originalUriBaseIds"]["PROJECTROOT"]["uri"] == monorepo.resolve().as_uri() + "/"
