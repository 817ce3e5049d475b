from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from envaudit.cli import cli
from tests.conftest import write

ENV = {"CUBLAS_WORKSPACE_CONFIG": ":4096:8", "OMP_NUM_THREADS": "4"}


def _run(*args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args), env=env or ENV)


def _record(tmp_path: Path) -> tuple[Path, Path]:
    proj = write(tmp_path / "proj", {"requirements.txt": "numpy==1.26.4\n"})
    snap = tmp_path / "env.json"
    assert _run("snapshot", str(proj), "-o", str(snap)).exit_code == 0
    return proj, snap


def test_unchanged_environment_passes(tmp_path: Path) -> None:
    proj, snap = _record(tmp_path)
    res = _run("verify", str(snap), str(proj))
    assert res.exit_code == 0, res.output
    assert "PRV" not in res.output


def test_drift_is_prv001_per_difference(tmp_path: Path) -> None:
    proj, snap = _record(tmp_path)
    (proj / "requirements.txt").write_text("numpy==2.0.0\n")
    res = _run("verify", str(snap), str(proj), "--format", "json", env={"OMP_NUM_THREADS": "8"})
    assert res.exit_code == 1
    findings = json.loads(res.stdout)["findings"]
    messages = sorted(f["message"] for f in findings)
    assert {f["code"] for f in findings} == {"PRV001"}
    assert any(m.startswith("requirements.txt changed since the snapshot (sha256 ") for m in messages)
    assert "variables.OMP_NUM_THREADS: recorded 4, now 8" in messages
    assert "$CUBLAS_WORKSPACE_CONFIG was ':4096:8' in the snapshot and is not set now" in messages
    assert all(f["location"]["path"] == str(snap) for f in findings)


def test_ignore_patterns_allow_expected_differences(tmp_path: Path) -> None:
    proj, snap = _record(tmp_path)
    (proj / "requirements.txt").write_text("numpy==2.0.0\n")
    env = {"CUBLAS_WORKSPACE_CONFIG": ":4096:8", "OMP_NUM_THREADS": "8"}
    assert _run("verify", str(snap), str(proj), env=env).exit_code == 1
    res = _run("verify", str(snap), str(proj), "--ignore", "files.*", "--ignore", "variables.OMP_*", env=env)
    assert res.exit_code == 0, res.output
    assert _run("verify", str(snap), str(proj), "--ignore", "files,variables", env=env).exit_code == 0


def test_host_compared_only_when_asked(tmp_path: Path) -> None:
    proj, snap = _record(tmp_path)
    rec = json.loads(snap.read_text())
    rec["host"]["kernel"] = "2.6.32-ancient"
    snap.write_text(json.dumps(rec))
    assert _run("verify", str(snap), str(proj)).exit_code == 0
    res = _run("verify", str(snap), str(proj), "--host")
    assert res.exit_code == 1 and "host.kernel: recorded 2.6.32-ancient" in res.output


def test_unreadable_snapshot_is_prv002_exit_three(tmp_path: Path) -> None:
    proj, snap = _record(tmp_path)
    snap.write_text(snap.read_text()[:200])
    res = _run("verify", str(snap), str(proj))
    assert res.exit_code == 3
    assert "PRV002" in res.output or "snapshot-unreadable" in res.output
    assert "truncated" in res.output and "Traceback" not in res.output
    missing = _run("verify", str(tmp_path / "nope.json"), str(proj))
    assert missing.exit_code == 3 and "no such file" in missing.output


def test_plain_check_never_fires_prv(tmp_path: Path) -> None:
    proj, _snap = _record(tmp_path)
    res = _run("check", str(proj), "--select", "PRV", "--format", "json")
    assert res.exit_code == 0
    assert json.loads(res.stdout)["findings"] == []
