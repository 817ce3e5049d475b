from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from envaudit.cli import cli
from envaudit.snapshot import dumps
from tests.snapshot.helpers import record


def _run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args))


def _snaps(tmp_path: Path, n: int, tweak) -> list[str]:  # type: ignore[no-untyped-def]
    paths = []
    for i in range(n):
        rec = record(host={"hostname": f"node-{i}", "os": "Linux"})
        tweak(i, rec)
        p = tmp_path / f"node-{i}.json"
        p.write_text(dumps(rec))
        paths.append(str(p))
    return paths


def test_identical_exit_zero(tmp_path: Path) -> None:
    res = _run("diff", *_snaps(tmp_path, 2, lambda i, r: None))
    assert res.exit_code == 0 and "0 differences" in res.output


def test_differences_exit_one_in_each_format(tmp_path: Path) -> None:
    def tweak(i: int, r: dict) -> None:
        if i == 1:
            r["packages"]["numpy"]["version"] = "2.0.0"

    paths = _snaps(tmp_path, 2, tweak)
    text = _run("diff", *paths)
    assert text.exit_code == 1 and "~ numpy 1.26.4 -> 2.0.0" in text.output
    data = json.loads(_run("diff", *paths, "--format", "json").output)
    assert data["groups"]["packages"][0]["key"] == "numpy"
    md = _run("diff", *paths, "--format", "markdown").output
    assert "| `numpy` | changed | 1.26.4 | 2.0.0 |" in md
    assert _run("diff", *paths, "--ignore", "packages.*").exit_code == 0


def test_outlier_among_eight(tmp_path: Path) -> None:
    def tweak(i: int, r: dict) -> None:
        if i == 6:
            r["cuda"]["driver_version"] = "550.54.14"

    res = _run("diff", *_snaps(tmp_path, 8, tweak))
    assert res.exit_code == 1
    assert "Outliers (differ from the majority):" in res.output
    assert "node-6.json: cuda.driver_version = 550.54.14 (7 others: 535.104.05)" in res.output


def test_unreadable_snapshot_is_prv002_exit_two(tmp_path: Path) -> None:
    good = _snaps(tmp_path, 1, lambda i, r: None)[0]
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema": "envaudit/snapshot/1", "host": {')
    res = _run("diff", good, str(bad))
    assert res.exit_code == 2
    assert "PRV002 snapshot-unreadable" in res.output and "truncated" in res.output
    assert "Traceback" not in res.output


def test_one_snapshot_is_a_usage_error(tmp_path: Path) -> None:
    res = _run("diff", *_snaps(tmp_path, 1, lambda i, r: None))
    assert res.exit_code == 2 and "at least two" in res.output
