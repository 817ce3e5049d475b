from __future__ import annotations

import re

from envaudit.engine import CheckResult
from envaudit.report import render
from envaudit.report.markdown import fenced, md
from tests.report.conftest import IMG, SCRIPT


def test_markdown_report_sections_and_escaping(hostile_result: CheckResult) -> None:
    out = render("markdown", hostile_result)
    assert out.startswith("# envaudit report: ")
    assert "**FAILED** (fails on error) · 1 error · 2 warning" in out
    for part in ("Before sharing code", "Before running experiments", "During training", "After training"):
        assert f"### {part}" in out
    # the checklist links a fired rule to its findings, which carry the anchor
    assert "[**DOC006**](#doc006)" in out and '<a id="doc006"></a>DOC006' in out
    assert "## Environment" in out and "| Python |" in out and "| Key packages |" in out
    # hostile text: no raw tag outside code (Markdown renderers pass HTML through;
    # code blocks and spans show their content literally)
    prose = re.sub(r"(?ms)^ *(`{3,})diff\n.*?^ *\1$", "", out)
    prose = re.sub(r"`[^`\n]*`", "", prose)
    assert SCRIPT not in prose and IMG not in prose and "<svg" not in prose
    assert f"    +{SCRIPT}torch==2.3.1" in out  # the generated content, literal inside the fence
    assert "&lt;script&gt;window.\\_\\_pwned=1&lt;/script&gt;" in out
    # the generated fix is in a fenced diff block, indented under its finding
    assert re.search(r"\n    ```diff\n    --- a/requirements.txt\n", out)
    assert "[x](javascript" not in out


def test_md_helpers() -> None:
    assert md("a|b *c* <d>") == "a\\|b \\*c\\* &lt;d&gt;"
    assert fenced("x ``` y", "diff").startswith("````diff\n")


def test_markdown_without_findings(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import check, write

    write(tmp_path, {"README.md": "# x\n"})
    out = render("markdown", check(tmp_path, "DOC001"))
    assert "**PASSED**" in out and "No findings." in out


def test_code_spans_are_literal_and_multiline_fixes_are_fenced(tmp_path, hostile_rule) -> None:  # type: ignore[no-untyped-def]
    from envaudit.config import Config
    from envaudit.engine import run_check
    from envaudit.model import Fix, Hit, Location
    from envaudit.report.markdown import code_span, inline, prose

    hostile_rule.append(
        Hit(
            "pyproject.toml declares `numpy>=2` but the lock has <1.26 & more",
            Location("uv.lock", 3),
            Fix("run these:\nuv lock\nuv sync --frozen\n"),
        )
    )
    hostile_rule.append(Hit("one-line fix", Location("a.txt", 1), Fix("pin `torch>=2.3,<3`")))
    out = render("markdown", run_check(tmp_path, Config(select=("ZZ901",))))
    # a code span shows its text as written: no `&gt;` inside it
    assert "`numpy>=2`" in out and "&gt;=2" not in out
    assert "has &lt;1.26 &amp; more" in out  # outside code: escaped for the HTML Markdown lets through
    assert "fix: pin `torch>=2.3,<3`" in out
    # a multi-line fix is a fenced block under its finding, not one run-on line
    assert "  - fix:\n\n    ```\n    run these:\n    uv lock\n    uv sync --frozen\n    ```\n" in out
    assert code_span("a`b") == "``a`b``" and code_span("`x") == "`` `x ``"
    assert inline("<b> `<b>`") == "&lt;b&gt; `<b>`"
    assert prose("a|b `x|y` <i>") == "a\\|b `x|y` &lt;i&gt;"


def test_legend_treats_not_checkable_rows_alike(hostile_result: CheckResult) -> None:
    out = render("markdown", hostile_result)
    legend = next(ln for ln in out.splitlines() if ln.startswith("✅ passed:"))
    for word in ("❌ failed", "➖ not checkable", "**bold**", "*italic*", "~~struck through~~"):
        assert word in legend
    # a not-checkable row never shows a code as "ran clean" (plain): italic or struck through
    for row in (ln for ln in out.splitlines() if ln.startswith("| ➖ |")):
        codes = row.rsplit("|", 2)[1].split(",")
        assert all(c.strip().startswith(("*", "~~", "[")) for c in codes if c.strip()), row
