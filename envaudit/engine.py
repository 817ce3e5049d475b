"""Running the selected rules over an Inventory and deciding the exit code."""

from __future__ import annotations

import traceback
from dataclasses import field, replace
from pathlib import Path

from envaudit._dataclass import dataclass
from envaudit.config import Config
from envaudit.inventory import Inventory
from envaudit.model import Finding, Fix, Hit, Location, Severity
from envaudit.redact import redact_text
from envaudit.rules import Rule, load_rules


@dataclass
class CheckResult:
    root: Path
    config: Config
    inventory: Inventory
    rules: list[Rule]
    findings: list[Finding] = field(default_factory=list)
    suppressed: int = 0

    def counts(self) -> dict[str, int]:
        out = {"error": 0, "warning": 0, "info": 0}
        for f in self.findings:
            out[f.severity.label] += 1
        return out

    def failed(self) -> bool:
        threshold = self.config.fail_threshold()
        return threshold is not None and any(f.severity >= threshold for f in self.findings)

    def exit_code(self) -> int:
        return 1 if self.failed() else 0


# the rule modules that read the git facts: with one of their rules selected, the git scan
# starts in the background before the first rule runs
_GIT_RULES = ("envaudit.rules.git", "envaudit.rules.data")


def prefetch_for(inv: Inventory, config: Config) -> None:
    """Start the scans that wait on git in the background, before any rule module is even
    imported: the project's file list (`git ls-files`, read by most rule families) and,
    when a selected rule reads them (the rule index names each code's module), the git
    facts."""
    from envaudit.rules import _rule_index

    index = _rule_index()
    try:
        codes = config.selected_codes()
    except Exception:  # a bad selection: reported where it always was
        return
    inv.prefetch("files")
    if any(f"envaudit.rules.{index[c][0]}" in _GIT_RULES for c in codes if c in index):
        inv.prefetch("git")


def run_check(
    root: str | Path,
    config: Config | None = None,
    *,
    python: str | None = None,
    image: str | None = None,
    environ: dict[str, str] | None = None,
    inventory: Inventory | None = None,
) -> CheckResult:
    config = config or Config()
    inv = inventory or Inventory(root, config=config, python=python, image=image, environ=environ)
    selected = set(config.selected_codes())
    selected |= _implied(config, selected)
    rules = load_rules(selected)
    result = CheckResult(root=inv.root, config=config, inventory=inv, rules=rules)
    if any(r.check.__module__ in _GIT_RULES for r in rules):
        inv.prefetch("git")  # its subprocesses run while the other rules work (if not started yet)
    # EA rules report what the other rules made the scanners meet, so they run last.
    try:
        for r in sorted(rules, key=lambda r: (r.late, r.code)):
            for finding in _run_rule(r, inv, result):
                result.findings.append(finding)
    finally:
        inv.drop_prefetched()
    result.findings = _dedupe(sorted(result.findings, key=Finding.sort_key))
    return result


def _implied(config: Config, selected: set[str]) -> set[str]:
    """EA004 (no environment found) comes with any environment rule, so `--select DEP` never
    passes silently without an environment; only an explicit ignore drops it."""
    from envaudit.rules import expand_selector
    from envaudit.rules.meta import ENV_ONLY_RULES

    if "EA004" in selected or not selected.intersection(ENV_ONLY_RULES):
        return set()
    # asked for on the command line: the audited project's own config cannot drop it
    ignores = config.user_ignore if config.env_asked else config.ignore
    try:
        ignored = {c for sel in ignores for c in expand_selector(sel)}
    except ValueError:
        return set()
    return set() if "EA004" in ignored else {"EA004"}


# Past this many findings of one rule on one file, the rest are counted, not listed: a
# junk or hostile file (200k bad lines) must not make a report of 200k findings.
FINDINGS_CAP = 100


def _run_rule(r: Rule, inv: Inventory, result: CheckResult) -> list[Finding]:
    config = result.config
    out: list[Finding] = []
    kept: dict[str | None, int] = {}  # path -> index in `out` of its last kept finding
    count: dict[str | None, int] = {}
    try:
        for h in r.check(inv):
            loc = h.location
            if config.ignored_for_path(r.code, loc.path) or inv.is_suppressed(r.code, loc.path, loc.line):
                result.suppressed += 1
                continue
            n = count[loc.path] = count.get(loc.path, 0) + 1
            if n <= FINDINGS_CAP:
                kept[loc.path] = len(out)
                out.append(_finding(r, h, inv.config, inv))  # redaction is the costly part: only these
    except Exception as exc:  # a bug of ours must not hide every other finding
        tb = traceback.extract_tb(exc.__traceback__)
        where = f" ({Path(tb[-1].filename).name}:{tb[-1].lineno})" if tb else ""
        return [
            Finding(
                "EA003",
                "internal-error",
                Severity.ERROR,
                redact_text(f"rule {r.code} ({r.name}) failed: {type(exc).__name__}: {exc}{where}; ")
                + "please report this to envaudit",
            )
        ]
    for path, n in count.items():
        if n > FINDINGS_CAP:
            i = kept[path]
            f = out[i]
            where = f"in {path}" if path is not None else "in the environment"
            out[i] = replace(f, message=f"{f.message} (and {n - FINDINGS_CAP} more like this {where})")
    return out


def printable(text: str) -> str:
    """A file name that is not UTF-8 (surrogate escapes) shown with its bytes as `\xff`,
    so every report format stays valid Unicode."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        try:
            return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        except UnicodeEncodeError:
            return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _printable_location(loc: Location) -> Location:
    if loc.path is None or loc.path.isascii():
        return loc
    return replace(loc, path=printable(loc.path))


def _finding(r: Rule, h: Hit, cfg: Config, inv: Inventory | None = None) -> Finding:
    default = h.severity if h.severity is not None else r.severity
    fix = h.fix
    if fix is not None:  # nothing secret leaves, whatever a rule put in its text
        fix = Fix(redact_text(fix.description), redact_text(fix.diff) if fix.diff else None)
    loc = h.location
    if loc.path is None and inv is not None:
        loc = replace(loc, subject=_subject(r.code, loc.subject, inv))
    return Finding(
        r.code,
        r.name,
        cfg.severity_of(r.code, default),
        printable(redact_text(h.message)),
        _printable_location(loc),
        fix,
        h.fact,
    )


# Findings without a file that are about the audited environment (its packages, its
# interpreter, the GPU stack it runs, its match with a snapshot); every other file-less
# finding is about the project as a whole.
ENVIRONMENT_CODES = frozenset({"DEP006", "DEP007", "DEP009", "PY002", "PY004", "PRV001"})


def _subject(code: str, subject: str | None, inv: Inventory) -> str:
    """What a finding without a file is about: an environment's path (relative when inside
    the project) or "project"."""
    from envaudit.scanners.packages import ENVIRONMENT

    about_env = subject == ENVIRONMENT or (
        subject is None and (code in ENVIRONMENT_CODES or code.startswith("GPU"))
    )
    if subject is not None and subject != ENVIRONMENT:
        return printable(redact_text(subject))
    if about_env:
        try:
            target = inv.get("python")
        except Exception:  # --python naming nothing is stopped earlier; a library caller
            target = None
        if target is not None and getattr(target, "found", True) and getattr(target, "prefix", ""):
            from envaudit.projectenvs import env_label

            return printable(redact_text(env_label(inv, target.prefix)))
    return "project"


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[object, ...]] = set()
    out = []
    for f in findings:
        key = (f.code, f.location, f.message)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out
