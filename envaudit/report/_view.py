"""What the Markdown and HTML reports show, computed once from a CheckResult.

Both renderers read this view, so they agree: the verdict and counts, the
checklist (envaudit/checklist.py), the environment summary and the findings
grouped by family and rule. Everything here that does not come from a finding
(which the engine already redacted) goes through `envaudit.redact`.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from envaudit import __version__
from envaudit.checklist import evaluate
from envaudit.redact import redact_text
from envaudit.report._target import target_line

if TYPE_CHECKING:
    from envaudit.engine import CheckResult
    from envaudit.inventory import Inventory
    from envaudit.model import Finding
    from envaudit.rules import Rule

FAMILY_TITLES = {
    "PY": "Interpreter and Python version",
    "DEP": "Dependencies, manifests and lockfiles",
    "DKR": "Dockerfiles and images",
    "GIT": "Version control",
    "GPU": "CUDA, cuDNN and driver",
    "DET": "Determinism",
    "DOC": "Documentation",
    "DAT": "Data",
    "PRV": "Provenance",
    "EA": "Input problems and skipped scans",
}
FAMILY_ORDER = ("EA", "DOC", "PY", "DEP", "DKR", "GIT", "GPU", "DET", "DAT", "PRV")
KEY_PACKAGES = (
    "torch",
    "torchvision",
    "tensorflow",
    "jax",
    "jaxlib",
    "keras",
    "numpy",
    "scipy",
    "pandas",
    "scikit-learn",
    "transformers",
    "lightning",
    "pytorch-lightning",
    "xgboost",
    "lightgbm",
    "opencv-python",
    "cupy",
)


@dataclass
class RuleGroup:
    code: str
    name: str
    summary: str
    explanation: str
    fix: str
    findings: list[Finding] = field(default_factory=list)


@dataclass
class FamilyGroup:
    family: str
    title: str
    rules: list[RuleGroup] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(r.findings) for r in self.rules)


@dataclass
class ReportView:
    project: str
    root: str
    version: str
    generated: str
    passed: bool
    fail_on: str
    counts: dict[str, int]
    total: int
    suppressed: int
    rules_run: int
    checklist: list[Any]
    checklist_counts: dict[str, int]
    environment: list[tuple[str, str]]
    families: list[FamilyGroup]
    target: str = ""  # which environment was audited and how it was found


def build(result: CheckResult, *, environment: bool = True) -> ReportView:
    from envaudit.rules import get_rule

    groups: dict[str, FamilyGroup] = {}
    rules: dict[str, RuleGroup] = {}
    for f in result.findings:
        fam = f.code.rstrip("0123456789")
        group = groups.get(fam)
        if group is None:
            group = groups[fam] = FamilyGroup(fam, FAMILY_TITLES.get(fam, fam))
        rg = rules.get(f.code)
        if rg is None:
            r: Rule | None = get_rule(f.code)
            rg = rules[f.code] = RuleGroup(
                f.code,
                f.name,
                r.summary if r else "",
                r.explanation if r else "",
                (r.fix or "") if r else "",
            )
            group.rules.append(rg)
        rg.findings.append(f)
    order = {fam: i for i, fam in enumerate(FAMILY_ORDER)}
    # the most severe families first, then in the catalog's order
    families = sorted(
        groups.values(),
        key=lambda g: (
            -max(f.severity for r in g.rules for f in r.findings),
            order.get(g.family, len(order)),
            g.family,
        ),
    )
    for g in families:
        g.rules.sort(key=lambda r: r.code)
    checklist = evaluate(result)
    cl_counts = {"passed": 0, "failed": 0, "not checkable": 0}
    for _, statuses in checklist:
        for s in statuses:
            cl_counts[s.status] += 1
    counts = result.counts()
    return ReportView(
        project=redact_text(result.root.name or str(result.root)),
        root=redact_text(str(result.root)),
        version=__version__,
        generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        passed=not result.failed(),
        fail_on=result.config.fail_on,
        counts=counts,
        total=sum(counts.values()),
        suppressed=result.suppressed,
        rules_run=len(result.rules),
        checklist=checklist,
        checklist_counts=cl_counts,
        environment=environment_summary(result.inventory) if environment else [],
        families=families,
        target=target_line(result.inventory),
    )


# ------------------------------------------------------------------ environment
def _facts(inv: Inventory, domain: str, *, scan: bool) -> Any:
    """A domain's facts if it was scanned (or is cheap and `scan`), else None.

    Domains come from other rule families and may not exist in this build
    (ModuleNotFoundError); a summary must never break a report, so any other
    failure of a scanner here is also treated as "not known".
    """
    if inv.has(domain):
        return inv.get(domain)
    if not scan:
        return None
    try:
        return inv.get(domain)
    except ModuleNotFoundError:
        return None
    except Exception:  # the report is not the place to surface a scanner bug
        return None


def _a(obj: Any, *names: str) -> Any:
    for n in names:
        v = getattr(obj, n, None)
        if v not in (None, "", ()):
            return v
    return None


def _gib(n: Any) -> str:
    return f"{n / 1024**3:.0f} GiB" if isinstance(n, int | float) and n > 0 else ""


def environment_summary(inv: Inventory) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    py = _facts(inv, "python", scan=True)
    no_env = py is not None and not getattr(py, "found", True)  # nothing installed was read
    if no_env:
        looked = "; ".join(getattr(py, "looked", ())) or "nowhere"
        rows.append(("Python", f"no project environment found (looked: {looked})"))
    elif py is not None:
        parts = [str(_a(py, "version") or "?")]
        impl = _a(py, "implementation")
        if impl and str(impl).lower() != "cpython":
            parts.append(str(impl))
        kind = _a(py, "kind")
        if kind:
            parts.append(f"({kind})")
        exe = _a(py, "executable")
        if exe:
            parts.append(f"at {exe}")
        rows.append(("Python", " ".join(parts)))
    else:
        rows.append(("Python", "not scanned"))
    pk = None if no_env else _facts(inv, "packages", scan=True)
    if pk is not None:
        found = []
        getter = getattr(pk, "get", None)
        for name in KEY_PACKAGES:
            d = getter(name) if callable(getter) else None
            if d is not None:
                found.append(f"{_a(d, 'name') or name} {_a(d, 'version') or '?'}")
        dists = _a(pk, "dists") or ()
        rows.append(
            ("Key packages", ", ".join(found) if found else "none of the usual ML frameworks installed")
        )
        rows.append(("Installed distributions", str(len(dists))))
    gpu = _facts(inv, "gpu", scan=False)  # NVML is not cheap: only when a GPU rule ran
    if gpu is not None:
        nvml = _a(gpu, "nvml")
        if nvml is not None and getattr(nvml, "available", False):
            cuda = _a(nvml, "cuda_driver_version")
            cuda_s = f", CUDA {cuda // 1000}.{cuda % 1000 // 10}" if isinstance(cuda, int) else ""
            rows.append(("NVIDIA driver", f"{_a(nvml, 'driver_version') or '?'}{cuda_s}"))
            devices = _a(nvml, "devices") or ()
            names = [
                " ".join(x for x in (str(_a(d, "name") or "GPU"), _gib(_a(d, "memory_total"))) if x)
                for d in devices
            ]
            rows.append(("GPUs", ", ".join(names) if names else "none"))
        elif nvml is not None:
            rows.append(("NVIDIA driver", f"not available ({_a(nvml, 'reason') or 'no NVML'})"))
        for fw in _a(gpu, "frameworks") or ():
            bits = [str(_a(fw, "kind") or "")]
            if _a(fw, "cuda"):
                bits.append(f"CUDA {_a(fw, 'cuda')}")
            if _a(fw, "cudnn"):
                bits.append(f"cuDNN {_a(fw, 'cudnn')}")
            rows.append(
                (
                    f"{_a(fw, 'framework') or 'framework'} build",
                    f"{_a(fw, 'version') or '?'} ({', '.join(b for b in bits if b)})",
                )
            )
    else:
        rows.append(("GPU", "not scanned (no GPU rule selected)"))
    git = _facts(inv, "git", scan=True)
    if git is not None and getattr(git, "is_repo", False):
        head = _a(git, "head")
        branch = _a(git, "branch") or ("detached" if getattr(git, "detached", False) else "")
        dirty = getattr(git, "dirty_count", None)
        untracked = getattr(git, "untracked_count", 0) or 0
        state = "" if dirty is None else (f", {dirty} uncommitted change(s)" if dirty else ", clean")
        if untracked:
            state += f", {untracked} untracked file(s)"
        commit = f"{head[:12]}" if isinstance(head, str) else "no commit yet"
        rows.append(("Git", f"{commit}{f' on {branch}' if branch else ''}{state}"))
    elif git is not None:
        rows.append(("Git", "not a git repository"))
    else:
        rows.append(("Git", "not scanned"))
    rows.append(("Host", f"{platform.system()} {platform.machine()}".strip()))
    return [(label, redact_text(str(value))) for label, value in rows]
