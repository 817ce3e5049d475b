"""The README's promises: its first two commands, and a rules table that matches the code."""

from __future__ import annotations

import re

from tests.conftest import REPO, invoke


def readme() -> str:
    return (REPO / "README.md").read_text(encoding="utf-8")


def test_rules_table_is_in_sync() -> None:
    table = re.search(r"<!-- rules:start -->\n(.*?)<!-- rules:end -->", readme(), re.S)
    assert table, "README.md lost its rules table markers"
    generated = invoke("rules", "--format", "markdown").stdout
    assert table.group(1) == generated, (
        "README rules table is stale: paste the output of `envaudit rules --format markdown`"
    )
