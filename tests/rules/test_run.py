"""RUN001-RUN003: the checklist reads the records of rebuild and rerun (`check
--rebuild-report / --rerun-report`); without one the rows are "not checkable"."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from envaudit.checklist import FAILED, NOT_CHECKABLE, PASSED, evaluate
from envaudit.config import Config
from envaudit.engine import run_check
from envaudit.inventory import Inventory
from envaudit.rules.run import Report
from tests.conftest import invoke, write

REBUILD_OK = {
    "schema": "envaudit/rebuild/1",
    "ok": True,
    "installed": [{"name": "a", "version": "1"}],
    "failed": [],
    "drift": [],
}
REBUILD_BAD = {
    "schema": "envaudit/rebuild/1",
    "ok": False,
    "installed": [],
    "failed": [{"name": "torch", "version": "2.0.1", "reason": "no wheel for this platform or Python"}],
    "drift": [{"name": "numpy", "locked": "1.26.4", "built": "2.0.0"}],
}
RERUN_OK = {
    "schema": "envaudit/rerun/1",
    "runs": 2,
    "reproducible": True,
    "outputs": [
        {
            "path": "model.pt",
            "status": "identical",
            "max_abs_diff": 0.0,
            "max_rel_diff": 0.0,
            "first_difference": None,
        }
    ],
    "causes": [],
    "findings": [],
}
RERUN_BAD = {
    **RERUN_OK,
    "reproducible": False,
    "outputs": [
        {
            "path": "metrics.json",
            "status": "close",
            "max_abs_diff": 1e-9,
            "max_rel_diff": 1e-9,
            "first_difference": "loss: 1 vs 1.000000001",
        },
        {
            "path": "model.pt",
            "status": "different",
            "max_abs_diff": 0.5,
            "max_rel_diff": 1.0,
            "first_difference": "w[0]: 0 vs 0.5",
        },
    ],
    "causes": [{"knob": "seed-all", "reproducible_with": True, "detail": "an RNG is used unseeded"}],
}


def result_with(
    tmp_path: Path, rebuild: dict[str, Any] | None = None, rerun: dict[str, Any] | None = None
) -> Any:
    root = write(tmp_path / "proj", {"train.py": "print('hi')\n"})
    inv = Inventory(root, config=Config(select=("RUN",)))
    if rebuild is not None:
        inv.put("rebuild_report", Report("rebuild.json", rebuild))
    if rerun is not None:
        inv.put("rerun_report", Report("rerun.json", rerun))
    return run_check(root, Config(select=("RUN",)), inventory=inv)


def status(result: Any, key: str) -> str:
    return next(s.status for _, sts in evaluate(result) for s in sts if s.item.key == key)


def test_without_records_nothing_fires_and_rows_are_not_checkable(tmp_path: Path) -> None:
    result = result_with(tmp_path)
    assert result.findings == []
    assert status(result, "clean-env") == NOT_CHECKABLE and status(result, "rerun-same") == NOT_CHECKABLE


def test_good_records_pass(tmp_path: Path) -> None:
    result = result_with(tmp_path, REBUILD_OK, RERUN_OK)
    assert result.findings == []
    assert status(result, "clean-env") == PASSED and status(result, "rerun-same") == PASSED


def test_bad_records_fire_each_code(tmp_path: Path) -> None:
    result = result_with(tmp_path, REBUILD_BAD, RERUN_BAD)
    got = [(f.code, f.message) for f in result.findings]
    assert got == [
        ("RUN001", "torch==2.0.1: no wheel for this platform or Python"),
        ("RUN002", "numpy: locked 1.26.4, built 2.0.0"),
        ("RUN003", "model.pt is different across 2 runs (max abs diff 0.5, max rel diff 1): w[0]: 0 vs 0.5"),
    ]
    run003 = result.findings[-1]
    assert run003.fix is not None and "seed-all" in run003.fix.description  # the close output is no finding
    assert status(result, "clean-env") == FAILED and status(result, "rerun-same") == FAILED


def test_check_reads_records_from_files(tmp_path: Path) -> None:
    root = write(tmp_path / "proj", {"train.py": "print('hi')\n"})
    (tmp_path / "rerun.json").write_text(json.dumps(RERUN_BAD))
    (tmp_path / "rebuild.json").write_text(json.dumps(REBUILD_OK))
    res = invoke(
        "check",
        str(root),
        "--select",
        "RUN",
        "--rerun-report",
        str(tmp_path / "rerun.json"),
        "--rebuild-report",
        str(tmp_path / "rebuild.json"),
        "--format",
        "json",
    )
    assert res.exit_code == 1
    assert [f["code"] for f in json.loads(res.stdout)["findings"]] == ["RUN003"]


def test_bad_record_files_are_usage_errors(tmp_path: Path) -> None:
    root = write(tmp_path / "proj", {"train.py": "print('hi')\n"})
    cases = {
        "missing.json": None,
        "trunc.json": '{"schema": "envaudit/rerun/1", "runs": 2',
        "other.json": json.dumps(REBUILD_OK),
        "types.json": json.dumps({**RERUN_OK, "outputs": [{"path": "x", "status": "weird"}]}),
    }
    expect = {
        "missing.json": "no such file",
        "trunc.json": "not valid JSON",
        "other.json": "expected 'envaudit/rerun/1'",
        "types.json": "unknown output status 'weird'",
    }
    for name, content in cases.items():
        if content is not None:
            (tmp_path / name).write_text(content)
        res = invoke("check", str(root), "--rerun-report", str(tmp_path / name))
        assert res.exit_code == 2 and expect[name] in res.output, (name, res.output)
        assert "Traceback" not in res.output
