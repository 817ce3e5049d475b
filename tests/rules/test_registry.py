"""The rule registry: stable codes, complete documentation, and an index in sync."""

from __future__ import annotations

import subprocess
import sys

import pytest

from envaudit.rules import CODE_RE, _rule_index, all_rules, build_index, expand_selector
from envaudit.rules.__main__ import render
from tests.conftest import REPO


def test_index_is_in_sync_with_the_registry() -> None:
    assert _rule_index() == build_index(), "stale rule index: run `python -m envaudit.rules`"
    assert (REPO / "envaudit/rules/_index.py").read_text() == render(build_index())


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.code)
def test_every_rule_is_documented(rule) -> None:
    assert CODE_RE.match(rule.code)
    assert rule.name == rule.name.lower() and " " not in rule.name
    assert rule.summary and rule.explanation and rule.example, rule.code
    assert rule.fix, f"{rule.code} says nothing about the fix"


def test_names_are_unique() -> None:
    names = [r.name for r in all_rules()]
    assert len(names) == len(set(names))


def test_selecting_imports_only_the_selected_families() -> None:
    code = (
        "import sys; from envaudit.config import Config;"
        "codes = Config(select=('PY',)).selected_codes();"
        "from envaudit.rules import load_rules; load_rules(codes);"
        "print(sorted(m for m in sys.modules if m.startswith('envaudit.rules.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "['envaudit.rules._index', 'envaudit.rules.python']"


def test_selectors() -> None:
    assert expand_selector("unpinned-requirement") == ["DEP002"]
    assert "DEP002" in expand_selector("DEP") and "DKR002" not in expand_selector("DEP")
    assert expand_selector("DEP00") == [f"DEP00{i}" for i in range(1, 10)]
    with pytest.raises(ValueError):
        expand_selector("NOPE")
