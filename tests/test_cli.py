from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import invoke, write


def test_version() -> None:
    from envaudit import __version__

    res = invoke("--version")
    assert res.exit_code == 0 and __version__ in res.stdout


def test_version_imports_nothing_heavy() -> None:
    code = (
        "import sys; from envaudit.cli import main\n"
        "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
        "heavy = {'jinja2', 'docker', 'git', 'pynvml', 'yaml', 'packaging.requirements', 'envaudit.engine'}\n"
        "print(sorted(heavy & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith("[]")


def test_rules_and_explain() -> None:
    res = invoke("rules")
    assert res.exit_code == 0
    assert "EA001  unreadable-input" in res.stdout
    as_json = json.loads(invoke("rules", "--format", "json").stdout)
    ea002 = next(r for r in as_json if r["code"] == "EA002")  # other families sort before EA
    assert {"code": "EA002", "name": "scan-skipped", "severity": "info"}.items() <= ea002.items()
    res = invoke("explain", "EA001")
    assert res.exit_code == 0 and "unreadable-input" in res.stdout and "Fix:" in res.stdout
    assert invoke("explain", "unreadable-input").exit_code == 0
    res = invoke("explain", "NOPE999")
    assert res.exit_code == 2 and "unknown rule" in res.stderr


def test_check_json_contract(tmp_path: Path) -> None:
    write(tmp_path, {".envaudit.toml": 'select = ["EA"]\n'})
    res = invoke("check", str(tmp_path), "--format", "json")
    doc = json.loads(res.stdout)
    assert set(doc) == {"schema", "envaudit_version", "root", "target", "summary", "findings"}
    assert doc["schema"] == "envaudit/check/1"
    assert doc["target"]["found"] is False and doc["target"]["looked"]  # additive: which env was audited
    assert doc["summary"] == {"error": 0, "warning": 0, "info": 0}
    assert res.stderr == ""


def test_check_bad_config_exits_2(tmp_path: Path) -> None:
    write(tmp_path, {".envaudit.toml": 'select = ["NOPE"]\n'})
    res = invoke("check", str(tmp_path))
    assert res.exit_code == 2
    assert ".envaudit.toml" in res.stderr and "NOPE" in res.stderr


def test_check_unknown_select_flag_exits_2(tmp_path: Path) -> None:
    res = invoke("check", str(tmp_path), "--select", "QQQ")
    assert res.exit_code == 2


def test_check_missing_path_exits_2(tmp_path: Path) -> None:
    assert invoke("check", str(tmp_path / "nope")).exit_code == 2


def test_output_file_and_quiet(tmp_path: Path) -> None:
    write(tmp_path, {".envaudit.toml": 'select = ["EA"]\n'})
    out = tmp_path / "r" / "report.json"
    res = invoke("check", str(tmp_path), "--format", "json", "-o", str(out))
    assert res.exit_code == 0 and res.stdout == ""
    assert json.loads(out.read_text())["schema"] == "envaudit/check/1"
    assert invoke("check", str(tmp_path), "-q").stdout == ""


def test_python_dash_m() -> None:
    res = subprocess.run([sys.executable, "-m", "envaudit", "--version"], capture_output=True, text=True)
    assert res.returncode == 0 and "envaudit" in res.stdout
