"""A sub-project with an environment of its own is audited against that environment
(envaudit.projectenvs); the report header and JSON `target` say which, per project."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import invoke, write
from tests.fakeenv import dist_info


def real_venv(path: Path, dists: dict[str, str], requires: dict[str, list[str]] | None = None) -> Path:
    """A real virtualenv (python -m venv) with hand-written dist-info for `dists`."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True, timeout=60)
    minor = f"{sys.version_info[0]}.{sys.version_info[1]}"
    site = path / "lib" / f"python{minor}" / "site-packages"
    for name, version in dists.items():
        dist_info(site, name, version, (requires or {}).get(name, ()))
    return path


def monorepo(tmp_path: Path) -> Path:
    root = write(
        tmp_path / "mono",
        {
            "pyproject.toml": '[project]\nname = "mono"\nversion = "0"\n',
            "requirements.txt": "click==8.1.7\n",
            "services/api/pyproject.toml": '[project]\nname = "api"\nversion = "0"\n',
            "services/api/requirements.txt": "requests==2.32.3\nidna==3.7\nurllib3==2.2.2\n",
            "services/worker/pyproject.toml": '[project]\nname = "worker"\nversion = "0"\n',
            "services/worker/requirements.txt": "numpy==1.26.4\n",
        },
    )
    real_venv(root / ".venv", {"click": "8.1.7"})
    real_venv(
        root / "services" / "api" / ".venv",
        {"requests": "2.31.0", "idna": "3.7", "charset-normalizer": "3.3.2"},
        requires={"requests": ["idna<4,>=2.5", "urllib3<3,>=1.21.1", "charset-normalizer<4,>=2"]},
    )
    return root


def _json(root: Path, *args: str) -> dict:  # type: ignore[type-arg]
    res = invoke(
        "check",
        str(root),
        "--select",
        "DEP006,DEP007,DEP009",
        "--format",
        "json",
        *args,
        env={"HOME": str(root.parent)},
    )
    return json.loads(res.stdout)


def test_a_sub_project_is_compared_with_its_own_venv(tmp_path: Path) -> None:
    root = monorepo(tmp_path)
    doc = _json(root)
    got = sorted((f["code"], f["location"]["path"], f["message"].split(" (")[0]) for f in doc["findings"])
    assert got == [
        ("DEP006", "services/api/requirements.txt", "`requests` is pinned to 2.32.3 but 2.31.0 is installed"),
        (
            "DEP007",
            "services/api/requirements.txt",
            "`urllib3==2.2.2` is not installed in the target environment",
        ),
        ("DEP009", None, "requests 2.31.0 requires urllib3<3,>=1.21.1, which is not installed"),
    ], got
    api_env = str(root / "services" / "api" / ".venv")
    assert all(api_env in f["message"] for f in doc["findings"] if f["code"] != "DEP009")
    # services/worker has no environment of its own: its pins are compared with nothing (as before)
    assert not any("numpy" in f["message"] for f in doc["findings"])
    # the header says which environment each project was audited against
    assert (
        doc["target"]["path"] == str(root / ".venv") and doc["target"]["found_by"] == ".venv/ in the project"
    )
    (sub,) = doc["target"]["projects"]
    assert sub["project"] == "services/api" and sub["path"] == api_env and sub["kind"] == "venv"
    assert sub["found_by"] == ".venv/ in the project (sub-project services/api/)"


def test_text_names_each_environment_and_labels_what_a_finding_is_about(tmp_path: Path) -> None:
    root = monorepo(tmp_path)
    res = invoke("check", str(root), "--select", "DEP", "--no-color", env={"HOME": str(tmp_path)})
    lines = res.stdout.splitlines()
    assert lines[0].startswith(f"Environment: venv at {root / '.venv'} (found by .venv/ in the project)")
    assert lines[1].startswith(f"Environment of services/api/: venv at {root / 'services' / 'api' / '.venv'}")
    # DEP009 about the sub-project's environment: labelled with that environment, in its project
    i = lines.index("── services/api/ (a project of its own) ──")
    assert any(
        ln.startswith("services/api/.venv: DEP009 [error] requests 2.31.0 requires urllib3")
        for ln in lines[i:]
    )
    assert not any(ln.startswith("<environment>") for ln in lines)


def test_without_sub_environments_nothing_changes(tmp_path: Path) -> None:
    root = monorepo(tmp_path)
    import shutil

    shutil.rmtree(root / "services" / "api" / ".venv")
    doc = _json(root)
    assert doc["findings"] == [] and doc["target"]["projects"] == []
    res = invoke("check", str(root), "--select", "DEP006", "--no-color", env={"HOME": str(tmp_path)})
    assert "Environment of" not in res.stdout


def test_the_active_environment_is_the_roots_only(tmp_path: Path) -> None:
    """$VIRTUAL_ENV is the root's target: a sub-project without an environment of its own is
    not compared with it."""
    root = monorepo(tmp_path)
    active = real_venv(tmp_path / "active", {"click": "8.1.7", "numpy": "1.0.0"})
    res = invoke(
        "check",
        str(root),
        "--select",
        "DEP006",
        "--format",
        "json",
        env={"HOME": str(tmp_path), "VIRTUAL_ENV": str(active)},
    )
    doc = json.loads(res.stdout)
    assert doc["target"]["path"] == str(active)
    assert [f["location"]["path"] for f in doc["findings"]] == ["services/api/requirements.txt"]


def test_project_wide_and_environment_findings_are_labelled(tmp_path: Path) -> None:
    """No file: `project` for what concerns the project (DEP001), the environment's path
    for what concerns it (DEP009); JSON keeps `path: null` (additive only)."""
    proj = write(tmp_path / "p", {"train.py": "print(1)\n"})
    res = invoke("check", str(proj), "--select", "DEP001", "--no-color", env={"HOME": str(tmp_path)})
    assert any(
        ln.startswith("project: DEP001 [error] no dependency manifest") for ln in res.stdout.splitlines()
    )
    real_venv(proj / ".venv", {"a": "1.0"}, requires={"a": ["b>=1"]})
    res = invoke("check", str(proj), "--select", "DEP009", "--no-color", env={"HOME": str(tmp_path)})
    assert ".venv: DEP009 [error] a 1.0 requires b>=1, which is not installed" in res.stdout
    doc = _json(proj)
    (f,) = [f for f in doc["findings"] if f["code"] == "DEP009"]
    assert f["location"] == {"path": None, "line": None, "column": None}


def test_markdown_and_github_label_file_less_findings_too(tmp_path: Path) -> None:
    proj = write(tmp_path / "p", {"train.py": "print(1)\n"})
    real_venv(proj / ".venv", {"a": "1.0"}, requires={"a": ["b>=1"]})
    env = {"HOME": str(tmp_path)}
    md = invoke("check", str(proj), "--select", "DEP001,DEP009", "--format", "markdown", env=env).stdout
    assert "- **error** `project`: no dependency manifest" in md
    assert "- **error** `.venv`: a 1.0 requires b&gt;=1, which is not installed" in md, md
    gh = invoke("check", str(proj), "--select", "DEP001,DEP009", "--format", "github", env=env).stdout
    assert "which is not installed (.venv)" in gh and "lockfile) (project)" in gh, gh
    assert "(environment)" not in gh
