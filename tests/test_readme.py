"""The README's promises: its first two commands, and a rules table that matches the code."""

from __future__ import annotations

import re

from tests.conftest import REPO, invoke


def readme() -> str:
    return (REPO / "README.md").read_text(encoding="utf-8")


def test_readme_opens_with_the_two_commands() -> None:
    first_block = re.search(r"```console\n(.*?)```", readme(), re.S)
    assert first_block, "README.md must open with a console block"
    lines = [ln for ln in first_block.group(1).splitlines() if ln.startswith("$ ")]
    assert lines[0].startswith("$ pip install . && envaudit check fixtures/")
    assert lines[1] == "$ pip install -e '.[test]' && python -m pytest"
    target = lines[0].split("envaudit check ")[1].split()[0]
    assert (REPO / target).is_dir(), f"the README's example project {target} is missing"


def test_rules_table_is_in_sync() -> None:
    table = re.search(r"<!-- rules:start -->\n(.*?)<!-- rules:end -->", readme(), re.S)
    assert table, "README.md lost its rules table markers"
    generated = invoke("rules", "--format", "markdown").stdout
    assert table.group(1) == generated, (
        "README rules table is stale: paste the output of `envaudit rules --format markdown`"
    )
