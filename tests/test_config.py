from __future__ import annotations

from pathlib import Path

import pytest

from envaudit.config import Config, ConfigError, _glob_match, from_mapping, load_config
from envaudit.model import Severity
from tests.conftest import write


def test_defaults_select_everything() -> None:
    cfg = Config()
    assert "EA001" in cfg.selected_codes()
    assert cfg.fail_threshold() is Severity.ERROR


def test_keys_with_hyphens_or_underscores(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": """
                [tool.envaudit]
                select = ["EA"]
                ignore = ["EA002"]
                fail_on = "warning"
                exclude = ["vendor/**"]
                severity = { EA001 = "warning" }
                [tool.envaudit.per-file-ignores]
                "legacy/*" = ["EA001"]
            """
        },
    )
    cfg = load_config(tmp_path)
    assert cfg.selected_codes() == ["EA001", "EA003", "EA004"]
    assert cfg.fail_on == "warning"
    assert cfg.severity_of("EA001", Severity.ERROR) is Severity.WARNING
    assert cfg.ignored_for_path("EA001", "legacy/req.txt")
    assert not cfg.ignored_for_path("EA001", "req.txt")
    assert cfg.is_excluded("vendor/a/b.txt")


def test_dedicated_file_wins(tmp_path: Path) -> None:
    write(
        tmp_path,
        {".envaudit.toml": 'fail-on = "never"\n', "pyproject.toml": "[tool.envaudit]\nfail-on='info'\n"},
    )
    assert load_config(tmp_path).fail_on == "never"


@pytest.mark.parametrize(
    "table, message",
    [
        ({"selct": ["EA"]}, "unknown key"),
        ({"select": ["XYZ999"]}, "unknown rule code"),
        ({"ignore": "NOPE"}, "unknown rule code"),
        ({"severity": {"EA001": "fatal"}}, "unknown severity"),
        ({"severity": {"ZZ001": "error"}}, "unknown rule code"),
        ({"fail-on": "sometimes"}, "fail-on"),
        ({"select": [1, 2]}, "list of strings"),
        ({"per-file-ignores": {"x": ["QQ"]}}, "unknown rule code"),
    ],
)
def test_bad_config_is_a_clear_error(table: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        from_mapping(table, source="pyproject.toml")


def test_invalid_toml_in_dedicated_file(tmp_path: Path) -> None:
    write(tmp_path, {".envaudit.toml": "select = [\n"})
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_config(tmp_path)


def test_broken_pyproject_is_not_a_usage_error(tmp_path: Path) -> None:
    # a malformed pyproject is reported by the manifest scanner as a finding instead
    write(tmp_path, {"pyproject.toml": "[project\n"})
    assert load_config(tmp_path) == Config()


@pytest.mark.parametrize(
    "path, pattern, expected",
    [
        ("a/b/c.txt", "a/**", True),
        ("a/b/c.txt", "b", True),
        ("a/b/c.txt", "*.txt", True),
        ("a/b/c.txt", "a/b", True),
        ("a/b/c.txt", "x/**", False),
        ("deep/x/Dockerfile", "**/Dockerfile", True),
        ("Dockerfile", "**/Dockerfile", True),
    ],
)
def test_glob_match(path: str, pattern: str, expected: bool) -> None:
    assert _glob_match(path, pattern) is expected
