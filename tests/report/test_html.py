"""The HTML report: self-contained, escaped, and working in a real headless Chromium."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from envaudit.engine import CheckResult
from envaudit.report import render
from envaudit.templating import _autoescape
from tests.report.conftest import IMG, SCRIPT

CHROMIUM = os.environ.get("ENVAUDIT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _chromium_missing() -> str | None:
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        return f"Chromium not found at {CHROMIUM} (set ENVAUDIT_CHROMIUM)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[test]')"
    return None


needs_chromium = pytest.mark.skipif(_chromium_missing() is not None, reason=_chromium_missing() or "")


def test_autoescape_is_decided_without_the_j2_suffix() -> None:
    assert _autoescape("report.html.j2") and _autoescape("x.HTML") and _autoescape("a.svg.j2")
    assert not _autoescape("report.md.j2") and not _autoescape("Dockerfile.j2") and not _autoescape(None)


def test_html_is_self_contained_and_escaped(hostile_result: CheckResult) -> None:
    out = render("html", hostile_result)
    assert out.startswith("<!DOCTYPE html>")
    # no network: nothing loaded from anywhere, a CSP that forbids it anyway
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", out)
    assert "<link" not in out and "@import" not in out
    assert "default-src 'none'" in out and "'unsafe-inline'" not in out
    # every input escaped: the hostile strings never appear as markup
    assert SCRIPT not in out and IMG not in out and "<svg" not in out
    assert out.count("<script>") == 1  # ours
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in out
    assert "&lt;img src=x onerror=window.__pwned=1&gt;" in out
    # attribute context too (a version string that tries to close an attribute)
    assert '2.3.1"&gt;' not in out and "2.3.1&#34;&gt;" in out


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def _open(browser: Any, html: str, path: Path, viewport: dict[str, int]) -> tuple[Any, dict[str, list[str]]]:
    path.write_text(html, encoding="utf-8")
    page = browser.new_page(viewport=viewport)
    seen: dict[str, list[str]] = {"dialogs": [], "requests": [], "errors": [], "console": []}
    page.on("dialog", lambda d: (seen["dialogs"].append(d.message), d.dismiss()))
    page.on("request", lambda r: seen["requests"].append(r.url))
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.on("console", lambda m: seen["console"].append(m.text))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, seen


@pytest.mark.chromium
@needs_chromium
def test_html_in_chromium_filter_details_and_hostile_input(
    browser: Any, hostile_result: CheckResult, tmp_path: Path
) -> None:
    page, seen = _open(
        browser, render("html", hostile_result), tmp_path / "report.html", {"width": 1280, "height": 900}
    )
    assert page.title().startswith("envaudit report: <svg onload=")  # shown as text
    # nothing hostile ran, nothing was fetched, our script ran without errors or CSP complaints
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.__pwned") is None
    assert seen["dialogs"] == [] and seen["errors"] == []
    assert not [c for c in seen["console"] if "Content Security Policy" in c]
    assert all(u.startswith(("file:", "data:")) for u in seen["requests"]), seen["requests"]
    assert page.get_by_text(f"requirement {SCRIPT}torch is not pinned").count() == 1
    assert page.locator("img, svg, iframe").count() == 0

    findings = page.locator(".finding")
    total = findings.count()
    errors = page.locator(".finding.f-error")
    assert total == len(hostile_result.findings) and errors.count() == 1
    assert page.locator(".finding:visible").count() == total
    assert page.text_content("#shown") == str(total)

    page.uncheck("#show-error")
    assert errors.first.is_hidden()
    assert page.locator(".finding:visible").count() == total - 1
    assert page.text_content("#shown") == str(total - 1)
    page.uncheck("#show-warning")
    page.uncheck("#show-info")
    assert page.locator(".finding:visible").count() == 0
    assert page.locator("#family-DOC").is_hidden()  # an empty group disappears
    page.check("#show-error")
    assert page.locator(".finding:visible").count() == 1 and errors.first.is_visible()
    page.check("#show-warning")
    page.check("#show-info")

    page.fill("#q", "model card")
    assert page.locator(".finding:visible").count() == 1
    page.fill("#q", "")

    # collapsible sections: closing a rule hides its findings; works without a server
    rule = page.locator("#rule-DOC006")
    rule.locator("summary").first.click()
    assert page.locator("#rule-DOC006 .finding").first.is_hidden()
    page.click("#expand")
    assert page.locator("#rule-DOC006 .finding").first.is_visible()
    page.click("#collapse")
    assert page.locator(".finding:visible").count() == 0
    page.click("#expand")

    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
    assert page.evaluate("() => window.__pwned") is None
    page.close()


@pytest.mark.chromium
@needs_chromium
def test_html_fits_a_phone(browser: Any, hostile_result: CheckResult, tmp_path: Path) -> None:
    page, seen = _open(
        browser, render("html", hostile_result), tmp_path / "phone.html", {"width": 390, "height": 844}
    )
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"page is {overflow}px wider than the phone"
    # the checklist table stacks its cells on a narrow screen
    assert page.locator("#checklist thead").first.is_hidden()
    page.screenshot(path=str(tmp_path / "phone.png"))
    assert seen["dialogs"] == [] and page.evaluate("() => window.__pwned") is None
    page.close()


def test_cli_writes_the_html_report(tmp_path: Path) -> None:
    from tests.conftest import invoke, write

    write(tmp_path, {"proj/train.py": "x = 1\n"})
    out = tmp_path / "out" / "report.html"
    res = invoke("check", str(tmp_path / "proj"), "--select", "DOC", "--format", "html", "-o", str(out))
    assert res.exit_code == 1 and "wrote html report" in res.stderr
    html = out.read_text(encoding="utf-8")
    assert 'id="rule-DOC001"' in html and "+++ b/README.md" in html
