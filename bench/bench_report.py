"""Rendering time of the reports for a large result (budget: HTML for 1,000 findings < 300 ms).

    PYTHONPATH=. python bench/bench_report.py [--findings 1000] [--repeat 15] [--browser]

Builds a CheckResult with N findings spread over the rule families and
severities (a fifth of them with a generated fix diff, as the fixers attach),
then renders each format `repeat` times after one warm-up (templates compiled)
and prints median and worst wall times. The first render, which imports jinja2
and compiles the template, is reported separately: it is what a one-shot CLI
run pays.
With `--browser`, the HTML page is also opened in headless Chromium
(/usr/bin/chromium, through Playwright) and the page's own filter and search
are timed with performance.now(), layout included.
No peer tool renders this kind of report, so the figure is compared with the
budget rather than with a peer.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from envaudit.config import Config
from envaudit.engine import CheckResult
from envaudit.inventory import Inventory
from envaudit.model import Finding, Fix, Location, Severity
from envaudit.rules import all_rules

BUDGET_MS = 300.0
CODES = ["DEP002", "DEP005", "DKR004", "DKR009", "GIT002", "DET001", "DET005", "DOC003", "PY001", "GPU006"]
SEVERITIES = [Severity.ERROR, Severity.WARNING, Severity.INFO]


def make_result(root: Path, n: int) -> CheckResult:
    findings = []
    for i in range(n):
        code = CODES[i % len(CODES)]
        diff = None
        if i % 5 == 0:
            diff = (
                f"--- a/requirements-{i}.txt\n+++ b/requirements-{i}.txt\n@@ -1,3 +1,3 @@\n"
                f"-package-{i}>=1.0\n+package-{i}==1.4.{i} \\\n+    --hash=sha256:{'ab' * 32}\n numpy==2.0.1\n"
            )
        findings.append(
            Finding(
                code=code,
                name=f"rule-{code.lower()}",
                severity=SEVERITIES[i % 3],
                message=f"requirement 'package-{i}<script>x</script>' is not pinned to an exact version (found >=1.0)",
                location=Location(f"src/module_{i % 40}/requirements-{i}.txt", i % 300 + 1, 1),
                fix=Fix(f"pin package-{i} to the installed version 1.4.{i}", diff),
            )
        )
    inv = Inventory(root, config=Config())
    return CheckResult(root=inv.root, config=inv.config, inventory=inv, rules=all_rules(), findings=findings)


def timed(fn, repeat: int) -> tuple[float, list[float], str]:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    out = fn()
    first = (time.perf_counter() - t0) * 1000
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return first, times, out


BROWSER_JS = """() => {
  const t = [];
  const cb = document.getElementById('show-info');
  let t0 = performance.now();
  cb.checked = false; cb.dispatchEvent(new Event('change')); document.body.offsetHeight;
  t.push(performance.now() - t0);
  const q = document.getElementById('q');
  t0 = performance.now();
  q.value = 'package-99'; q.dispatchEvent(new Event('input')); document.body.offsetHeight;
  t.push(performance.now() - t0);
  return t.concat([document.getElementById('shown').textContent]);
}"""


def browser_times(html: str, tmp: Path) -> None:
    from playwright.sync_api import sync_playwright

    page_path = tmp / "report.html"
    page_path.write_text(html, encoding="utf-8")
    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        page = b.new_page(viewport={"width": 1280, "height": 900})
        t0 = time.perf_counter()
        page.goto(page_path.as_uri())
        page.wait_for_load_state("load")
        load = (time.perf_counter() - t0) * 1000
        filt, search, shown = page.evaluate(BROWSER_JS)
        b.close()
    print(
        f"chromium: load {load:.0f} ms, severity filter {filt:.0f} ms, "
        f"search {search:.0f} ms (layout included; {shown} findings left)"
    )


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--findings", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--browser", action="store_true", help="also time the page in headless Chromium")
    args = ap.parse_args()
    from envaudit.report import render

    with tempfile.TemporaryDirectory() as tmp:
        result = make_result(Path(tmp), args.findings)
        # The environment summary reads the python/packages/git facts; in a real run
        # the PY/DEP/GIT rules have scanned them already. Scan them here, timed apart,
        # so the figures below are the rendering itself.
        from envaudit.report._view import environment_summary

        t0 = time.perf_counter()
        environment_summary(result.inventory)
        print(f"environment facts scanned once for the summary: {(time.perf_counter() - t0) * 1000:.0f} ms")
        print(
            f"{args.findings} findings, {args.repeat} runs each (after one warm-up); budget {BUDGET_MS:.0f} ms for html"
        )
        print(f"{'format':<10}{'first':>10}{'median':>10}{'max':>10}{'size':>12}   vs budget")
        ok = True
        for fmt in ("html", "markdown", "sarif", "github", "json", "text"):
            first, times, out = timed(lambda fmt=fmt: render(fmt, result), args.repeat)
            med = statistics.median(times)
            ratio = med / BUDGET_MS
            print(
                f"{fmt:<10}{first:>8.1f}ms{med:>8.1f}ms{max(times):>8.1f}ms{len(out) / 1024:>9.0f} KiB   {ratio:.2f}x"
            )
            if fmt == "html":
                ok = med < BUDGET_MS and first < BUDGET_MS
        print("html within budget" if ok else "html OVER budget")
        if args.browser:
            browser_times(render("html", result), Path(tmp))
        return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
