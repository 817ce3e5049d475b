"""Running the selected rules over an Inventory and deciding the exit code."""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from pathlib import Path

from envaudit.config import Config
from envaudit.inventory import Inventory
from envaudit.model import Finding, Fix, Hit, Severity
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
    # EA rules report what the other rules made the scanners meet, so they run last.
    for r in sorted(rules, key=lambda r: (r.late, r.code)):
        for finding in _run_rule(r, inv):
            if config.ignored_for_path(finding.code, finding.location.path) or inv.is_suppressed(
                finding.code, finding.location.path, finding.location.line
            ):
                result.suppressed += 1
                continue
            result.findings.append(finding)
    result.findings = _dedupe(sorted(result.findings, key=Finding.sort_key))
    return result


def _implied(config: Config, selected: set[str]) -> set[str]:
    """EA004 (no environment found) comes with any environment rule, so `--select DEP` never
    passes silently without an environment; only an explicit ignore drops it."""
    from envaudit.rules import expand_selector
    from envaudit.rules.meta import ENV_ONLY_RULES

    if "EA004" in selected or not selected.intersection(ENV_ONLY_RULES):
        return set()
    try:
        ignored = {c for sel in config.ignore for c in expand_selector(sel)}
    except ValueError:
        return set()
    return set() if "EA004" in ignored else {"EA004"}


def _run_rule(r: Rule, inv: Inventory) -> list[Finding]:
    try:
        return [_finding(r, h, inv.config) for h in r.check(inv)]
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


def _finding(r: Rule, h: Hit, cfg: Config) -> Finding:
    default = h.severity if h.severity is not None else r.severity
    fix = h.fix
    if fix is not None:  # nothing secret leaves, whatever a rule put in its text
        fix = Fix(redact_text(fix.description), redact_text(fix.diff) if fix.diff else None)
    return Finding(
        r.code, r.name, cfg.severity_of(r.code, default), redact_text(h.message), h.location, fix, h.fact
    )


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[object, ...]] = set()
    out = []
    for f in findings:
        key = (f.code, f.location, f.message)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out
