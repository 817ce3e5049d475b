from __future__ import annotations

from pathlib import Path

from envaudit.config import Config
from envaudit.engine import run_check
from envaudit.inventory import Inventory
from envaudit.rules.provenance import VerifyRequest
from envaudit.snapshot import build_snapshot
from tests.conftest import write
from tests.snapshot.helpers import FakeDist, FakePackages


def _verify(root: Path, req: VerifyRequest, env: dict[str, str], packages: FakePackages | None = None):  # type: ignore[no-untyped-def]
    inv = Inventory(root, environ=env)
    if packages is not None:
        inv.put("packages", packages)
    inv.put("verify", req)
    return run_check(root, Config(select=("PRV",)), inventory=inv)


def _recorded(root: Path, env: dict[str, str], packages: FakePackages | None = None) -> dict:
    inv = Inventory(root, environ=env)
    if packages is not None:
        inv.put("packages", packages)
    return build_snapshot(inv)


def test_prv001_names_each_package_difference(tmp_path: Path) -> None:
    before = FakePackages((FakeDist("numpy", "1.26.4"), FakeDist("six", "1.16.0")))
    after = FakePackages((FakeDist("numpy", "2.0.0"), FakeDist("rich", "13.7.0")))
    rec = _recorded(tmp_path, {}, before)
    result = _verify(tmp_path, VerifyRequest("env.json", rec), {}, after)
    msgs = sorted(f.message for f in result.findings)
    assert msgs == [
        "package numpy: recorded 1.26.4 (installer pip), installed 2.0.0 (installer pip)",
        "package rich 13.7.0 (installer pip) is installed but not in the snapshot",
        "package six 1.16.0 (installer pip) recorded in the snapshot is not installed",
    ]
    numpy = next(f for f in result.findings if "numpy" in f.message)
    assert numpy.fix is not None and "pip install numpy==1.26.4" in numpy.fix.description
    assert result.exit_code() == 1


def test_prv001_silent_when_matching_and_with_ignored(tmp_path: Path) -> None:
    write(tmp_path, {"uv.lock": "x"})
    env = {"PYTHONHASHSEED": "0"}
    rec = _recorded(tmp_path, env)
    assert _verify(tmp_path, VerifyRequest("env.json", rec), env).findings == []
    # a different time and a different host are not drift
    rec2 = {
        **rec,
        "created": "1999-01-01T00:00:00Z",
        "host": {**rec["host"], "hostname": "elsewhere", "cpu_count": 999},
    }
    assert _verify(tmp_path, VerifyRequest("env.json", rec2), env).findings == []
    (tmp_path / "uv.lock").write_text("y")
    found = _verify(tmp_path, VerifyRequest("env.json", rec), env).findings
    assert [(f.code, f.message.split(" (")[0]) for f in found] == [
        ("PRV001", "uv.lock changed since the snapshot")
    ]
    (tmp_path / "poetry.lock").write_text("z")
    found = _verify(tmp_path, VerifyRequest("env.json", rec, ignore=("files.uv.lock",)), env).findings
    assert [f.message for f in found] == ["poetry.lock is new since the snapshot"]
    (tmp_path / "poetry.lock").unlink()
    assert _verify(tmp_path, VerifyRequest("env.json", rec, ignore=("files.uv.lock",)), env).findings == []


def test_prv002_reports_the_error(tmp_path: Path) -> None:
    result = _verify(tmp_path, VerifyRequest("env.json", None, "env.json: unknown schema 'x'"), {})
    assert [(f.code, f.message) for f in result.findings] == [("PRV002", "env.json: unknown schema 'x'")]


def test_nothing_without_a_verify_request(tmp_path: Path) -> None:
    write(tmp_path, {"requirements.txt": "numpy\n"})
    result = run_check(tmp_path, Config(select=("ALL",)))
    assert not [f for f in result.findings if f.code.startswith("PRV")]


def test_section_recorded_on_one_side_only_is_an_info_not_a_silent_pass(tmp_path: Path) -> None:
    rec = _recorded(tmp_path, {})
    rec["cuda"] = {"driver_version": "535.104.05", "gpus": []}
    current = build_snapshot(Inventory(tmp_path, environ={}))
    if current["cuda"] is not None:  # the gpu domain is part of this build: blank it the other way
        rec["cuda"] = None
    result = _verify(tmp_path, VerifyRequest("env.json", rec), {})
    assert [(f.code, f.severity.label) for f in result.findings] == [("PRV001", "info")]
    assert "CUDA stack (cuda) was not recorded" in result.findings[0].message
    assert result.exit_code() == 0
