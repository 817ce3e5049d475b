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
