"""The terminal format, for people, following ruff's conventions.

- First line: which environment was audited and how it was found.
- Findings grouped by project (a folder with its own manifest or lock, see
  envaudit.projects; a header line only when there are several), then by file
  (`path:line: CODE [severity] message`, a blank line between files; findings
  without a file come first, labelled with what they are about: the audited
  environment's path, or `project` for what concerns the project as a whole).
- Within a file, a fix that repeats for one code is said once, after that
  code's findings; a code with many findings in one file shows the first few
  and counts the rest (`--verbose` lists every one).
- Diffs only with `--show-fixes` (or `--verbose`); otherwise one line says how
  many findings carry one.
- A closing summary: the counts, then the checklist's four parts (passed /
  failed / not checkable), as the HTML report shows them.
- `--statistics`: one line per code (count, code, name) instead of findings.

JSON, SARIF and the other formats keep every finding; only this view folds.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from envaudit.engine import CheckResult
    from envaudit.model import Finding

from envaudit.terminal import escape_controls as esc

_COLORS = {"error": "red", "warning": "yellow", "info": "blue"}
SHOWN_PER_CODE = 3  # findings of one code in one file shown before "… and N more"


def render(
    result: CheckResult,
    *,
    color: bool = False,
    show_fixes: bool = False,
    verbose: bool = False,
    statistics: bool = False,
    quiet: bool = False,
) -> str:
    """`quiet`: the findings and the count only (no environment line, no checklist)."""
    import click

    from envaudit.report._target import sub_target_lines, target_line

    def style(text: str, **kw: object) -> str:
        return click.style(text, **kw) if color else text  # type: ignore[arg-type]

    heads: list[str] = []
    if not quiet:  # the root's environment, then each sub-project's own, a line each
        inv = result.inventory
        heads = [target_line(inv, sub_projects=False), *sub_target_lines(inv)]
        heads = [style(esc(x), dim=True) for x in heads] + [""]
    lines: list[str] = heads
    if statistics:
        lines += _statistics(result)
    else:
        lines += _findings(result, style, show_fixes=show_fixes or verbose, verbose=verbose)
    counts = result.counts()
    total = sum(counts.values())
    if total:
        lines.append(
            f"Found {total} finding{'s' if total != 1 else ''} "
            f"({counts['error']} error, {counts['warning']} warning, {counts['info']} info)"
            + (f"; {result.suppressed} suppressed" if result.suppressed else "")
            + "."
        )
    else:
        lines.append(style("All checks passed.", fg="green"))
    if not quiet:
        lines += _checklist(result)
    return "\n".join(lines) + "\n"


def _statistics(result: CheckResult) -> list[str]:
    counts = Counter(f.code for f in result.findings)
    names = {f.code: f.name for f in result.findings}
    width = max((len(str(n)) for n in counts.values()), default=1)
    out = [
        f"{n:>{width}}\t{code}\t{names[code]}"
        for code, n in sorted(counts.items(), key=lambda t: (-t[1], t[0]))
    ]
    return [*out, ""] if out else []


def _findings(result: CheckResult, style, *, show_fixes: bool, verbose: bool) -> list[str]:  # type: ignore[no-untyped-def]
    # a file, or (NUL + label) for findings without one: grouped by what they are about
    by_file: dict[str, list[Finding]] = {}
    for f in result.findings:
        by_file.setdefault(f.location.path or "\0" + str(f.location), []).append(f)
    from envaudit.projects import project_of, project_roots

    roots = project_roots(result.inventory)

    def project(key: str) -> str:
        if not key.startswith("\0"):
            return project_of(key, roots)
        label = key[1:]  # a sub-project's own environment inside it belongs to it
        return project_of(label + "/-", roots) if label != "project" and not label.startswith("/") else ""

    projects = {key: project(key) for key in by_file}
    several = len(set(projects.values())) > 1
    lines: list[str] = []
    hidden_diffs = 0
    current: str | None = None
    for path in sorted(by_file, key=lambda p: (projects[p], not p.startswith("\0"), p)):
        if several and projects[path] != current:
            current = projects[path]
            title = f"{current}/ (a project of its own)" if current else "the root project"
            lines.append(style(f"── {title} ──", bold=True))
        group = by_file[path]
        by_code: dict[str, list[Finding]] = {}
        for f in group:
            by_code.setdefault(f.code, []).append(f)
        for code in sorted(by_code, key=lambda c: (-max(f.severity for f in by_code[c]), c)):
            items = by_code[code]
            fixes = {f.fix.description for f in items if f.fix is not None}
            shared = len(items) > 1 and len(fixes) == 1 and all(f.fix is not None for f in items)
            shown = items if verbose else items[:SHOWN_PER_CODE]
            for f in shown:
                lines.append(_head(f, style))
                if f.fix is not None and (verbose or not shared):
                    lines.append(f"  {style('fix:', fg='green')} {esc(f.fix.description)}")
                if f.fix is not None and f.fix.diff:
                    if show_fixes:
                        lines.extend("    " + d for d in esc(f.fix.diff).rstrip("\n").splitlines())
                    else:
                        hidden_diffs += 1
            rest = items[len(shown) :]
            if rest:
                hidden_diffs += sum(1 for f in rest if f.fix is not None and f.fix.diff)
                where = items[0].location.path or str(items[0].location)
                lines.append(
                    style(f"  … and {len(rest)} more {code} in {esc(where)} (--verbose lists them)", dim=True)
                )
            if shared and not verbose:
                fix = items[0].fix
                assert fix is not None
                # "all 8 above" would be wrong when only 3 are shown above
                which = (
                    f"{code}, all {len(items)} above" if not rest else f"the same for all {len(items)} {code}"
                )
                lines.append(f"  {style('fix:', fg='green')} {esc(fix.description)}  ({which})")
        lines.append("")
    if hidden_diffs:
        lines.append(
            style(
                f"{hidden_diffs} finding{'s come' if hidden_diffs != 1 else ' comes'} with a diff: "
                "--show-fixes prints them, `envaudit fix` writes them.",
                dim=True,
            )
        )
    return lines


def _head(f: Finding, style) -> str:  # type: ignore[no-untyped-def]
    sev = f.severity.label
    head = f"{style(esc(str(f.location)), bold=True)}: {style(f.code, fg=_COLORS[sev], bold=True)} "
    return head + f"[{style(sev, fg=_COLORS[sev])}] {esc(f.message)}"


def _checklist(result: CheckResult) -> list[str]:
    from envaudit.checklist import FAILED, NOT_CHECKABLE, PASSED, evaluate

    out = ["", "Checklist (passed / failed / not checkable):"]
    for part, statuses in evaluate(result):
        n = Counter(s.status for s in statuses)
        failed = [s.item.key for s in statuses if s.status == FAILED]
        tail = f"  failed: {', '.join(failed)}" if failed else ""
        out.append(f"  {part.title}: {n[PASSED]} / {n[FAILED]} / {n[NOT_CHECKABLE]}{tail}")
    return out
