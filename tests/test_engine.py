from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from envaudit import rules as registry
from envaudit.config import Config
from envaudit.engine import run_check
from envaudit.inventory import Inventory, parse_suppression
from envaudit.model import Fix, Hit, Location, Severity
from tests.conftest import write


@pytest.fixture
def temp_rule() -> Iterator[list[Hit]]:
    """A rule ZZ901 that yields whatever the test puts in the list."""
    hits: list[Hit] = []
    registry.all_rules()  # load the real ones first

    def check(inv: Inventory) -> Iterator[Hit]:
        yield from hits

    registry.rule("ZZ901", "test-rule", Severity.WARNING, summary="test", explanation="test")(check)
    try:
        yield hits
    finally:
        registry._REGISTRY.pop("ZZ901")


def test_scanners_are_lazy_and_run_once(tmp_path: Path) -> None:
    inv = Inventory(tmp_path)
    assert inv.scanned() == []
    first = inv.get("files")
    assert inv.get("files") is first
    assert inv.scanned() == ["files"]


def test_findings_sorted_redacted_and_severity_override(tmp_path: Path, temp_rule: list[Hit]) -> None:
    temp_rule += [
        Hit("b", Location("z.txt", 2)),
        Hit(
            "token https://u:pw@host/x", Location("a.txt", 9), Fix("use https://u:pw@host", "https://u:pw@h")
        ),
        Hit("env-wide"),
    ]
    cfg = Config(select=("ZZ901",), severity=(("ZZ901", Severity.ERROR),))
    result = run_check(tmp_path, cfg)
    assert [f.location.path for f in result.findings] == [None, "a.txt", "z.txt"]
    assert all(f.severity is Severity.ERROR for f in result.findings)
    assert "pw" not in result.findings[1].message
    assert result.findings[1].fix == Fix("use https://***@host", "https://***@h")
    assert result.exit_code() == 1


def test_fail_on_threshold(tmp_path: Path, temp_rule: list[Hit]) -> None:
    temp_rule.append(Hit("w"))
    assert run_check(tmp_path, Config(select=("ZZ901",))).exit_code() == 0
    assert run_check(tmp_path, Config(select=("ZZ901",), fail_on="warning")).exit_code() == 1
    assert run_check(tmp_path, Config(select=("ZZ901",), fail_on="never")).exit_code() == 0


def test_inline_and_per_file_suppression(tmp_path: Path, temp_rule: list[Hit]) -> None:
    write(
        tmp_path,
        {
            "a.txt": "one\ntwo  # envaudit: ignore[ZZ901]\nthree # envaudit: ignore\nfour # envaudit: ignore[DEP002]\n",
            "sub/b.txt": "x\n",
        },
    )
    temp_rule += [Hit(str(i), Location("a.txt", i)) for i in (1, 2, 3, 4)]
    temp_rule.append(Hit("b", Location("sub/b.txt", 1)))
    cfg = Config(select=("ZZ901",), per_file_ignores=(("sub/*", ("ZZ",)),))
    result = run_check(tmp_path, cfg)
    assert [f.message for f in result.findings] == ["1", "4"]
    assert result.suppressed == 3


def test_registered_suppression_for_another_line(tmp_path: Path, temp_rule: list[Hit]) -> None:
    temp_rule.append(Hit("x", Location("r.txt", 1)))
    inv = Inventory(tmp_path, config=Config(select=("ZZ901",)))
    inv.suppress("r.txt", 1, frozenset({"ZZ901"}))
    assert run_check(tmp_path, inv.config, inventory=inv).findings == []


def test_a_failing_rule_becomes_ea003(tmp_path: Path, temp_rule: list[Hit]) -> None:
    temp_rule.append(None)  # type: ignore[arg-type]  # makes the engine's use of the hit fail
    result = run_check(tmp_path, Config(select=("ZZ901",)))
    assert [f.code for f in result.findings] == ["EA003"]
    assert "ZZ901" in result.findings[0].message


def test_diagnostics_are_reported_once_each(tmp_path: Path) -> None:
    write(tmp_path, {"bin.txt": b"\x00\x01\x02junk", "latin.txt": "caf\xe9\n".encode("latin-1")})
    inv = Inventory(tmp_path, config=Config(select=("EA",)))
    assert inv.read("bin.txt") is None
    assert inv.read("bin.txt") is None
    assert inv.read("latin.txt") is None
    inv.skipped("git not found on PATH; GIT rules skipped")
    result = run_check(tmp_path, inv.config, inventory=inv)
    msgs = {f.code: [] for f in result.findings}
    for f in result.findings:
        msgs[f.code].append(f)
    assert len(msgs["EA001"]) == 2
    binary = next(f for f in msgs["EA001"] if f.location.path == "bin.txt")
    assert "binary" in binary.message and binary.location.line == 1
    latin = next(f for f in msgs["EA001"] if f.location.path == "latin.txt")
    assert "not valid UTF-8" in latin.message and latin.location == Location("latin.txt", 1, 4)
    assert msgs["EA002"][0].severity is Severity.INFO


@pytest.mark.parametrize(
    "line, expected",
    [
        ("torch  # envaudit: ignore[DEP002]", frozenset({"DEP002"})),
        ("x # envaudit:ignore[dep002, DKR]", frozenset({"DEP002", "DKR"})),
        ("x # envaudit: ignore", None),
        ("x # something else", False),
    ],
)
def test_parse_suppression(line: str, expected: object) -> None:
    assert parse_suppression(line) == expected


def test_files_scanner_skips_venvs_and_excludes(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "a.py": "",
            "myenv/pyvenv.cfg": "home = /usr\n",
            "myenv/lib/x.py": "",
            "node_modules/x.js": "",
            "vendor/y.py": "",
        },
    )
    (tmp_path / "loop").symlink_to(tmp_path, target_is_directory=True)
    inv = Inventory(tmp_path, config=Config(exclude=("vendor",)))
    assert inv.files() == ("a.py",)  # the loop is neither followed nor listed


def test_toml_is_parsed_once_and_an_error_reported_once(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": '[project]\nname = "x"\n', "Pipfile": "[packages\n"})
    inv = Inventory(tmp_path)
    assert inv.toml("pyproject.toml") is inv.toml(tmp_path / "pyproject.toml")
    assert inv.toml("Pipfile") is None and inv.toml("Pipfile") is None
    (bad,) = inv.diagnostics
    assert bad.path == "Pipfile" and bad.line == 1 and bad.message.startswith("invalid TOML")


def test_a_broken_pyproject_is_reported_whichever_family_runs(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": "[project\n", "Dockerfile": "FROM python:3.11-slim\n"})
    found = run_check(tmp_path, Config(select=("DKR015", "EA001"))).findings
    assert [(f.code, f.location.path) for f in found] == [("EA001", "pyproject.toml")]
