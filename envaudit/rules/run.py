"""RUN: what `envaudit rebuild` and `envaudit rerun` proved by running the project.

`check` never runs anything; these rules read the records those commands wrote,
given with `check --rebuild-report FILE` / `--rerun-report FILE` (Inventory domains
`rebuild_report` / `rerun_report`, each a `Report`). Without a record they yield
nothing and the checklist rows they decide say "not checkable".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from envaudit._dataclass import dataclass
from envaudit.model import Fix, Hit, Location, Severity
from envaudit.rules import rule

if TYPE_CHECKING:
    from envaudit.inventory import Inventory


@dataclass(frozen=True)
class Report:
    path: str  # as the user gave it
    record: dict[str, Any]


def _report(inv: Inventory, domain: str) -> Report | None:
    if not inv.has(domain):
        return None
    rep = inv.get(domain)
    return rep if isinstance(rep, Report) else None


@rule(
    "RUN001",
    "rebuild-failed",
    Severity.ERROR,
    summary="A clean environment could not be built from the lock (each package that failed, and why)",
    explanation="""
        A lock is only as good as the environment it rebuilds. `envaudit rebuild` makes a
        fresh virtual environment from the lock (hashes required, no resolution) and names
        every package that could not be installed: the version is no longer on the index
        (yanked, or a private index not given), there is no wheel for this platform or
        Python and no sdist, the sdist needs a compiler the machine lacks, or the file's
        hash no longer matches the lock. Give its record to `check --rebuild-report` to
        put the result on the checklist.
    """,
    example="""
        rebuild.json: rebuild-failed: torch==2.0.1: no wheel for this platform or Python (only wheels tagged cp38-cp38-win_amd64)
    """,
    fix="Re-lock against an index that has every pinned file (`envaudit fix pins`), or provide the missing wheels.",
)
def rebuild_failed(inv: Inventory) -> Iterator[Hit]:
    rep = _report(inv, "rebuild_report")
    if rep is None:
        return
    for f in rep.record.get("failed", []):
        pin = f"{f['name']}=={f['version']}" if f.get("version") else f["name"]
        yield Hit(
            f"{pin}: {f['reason']}",
            Location(rep.path),
            Fix("Re-lock against an index that has this file, or add the wheel to --find-links."),
        )


@rule(
    "RUN002",
    "rebuild-drift",
    Severity.ERROR,
    summary="The rebuilt environment differs from the lock or the recorded snapshot",
    explanation="""
        The environment `envaudit rebuild` built (or the image `rebuild --docker` built
        from the Dockerfile) does not hold what the lock or the snapshot (`--against`)
        records: a package at another version, one missing, one extra. A Dockerfile that
        installs something other than the lock, or a lock older than the snapshot of the
        run that produced a result, shows up here.
    """,
    example="""
        rebuild.json: rebuild-drift: numpy: locked 1.26.4, built 2.0.0
    """,
    fix="Install from the lock in the Dockerfile (`pip install --require-hashes -r requirements.lock`), or re-lock.",
)
def rebuild_drift(inv: Inventory) -> Iterator[Hit]:
    rep = _report(inv, "rebuild_report")
    if rep is None:
        return
    for d in rep.record.get("drift", []):
        yield Hit(
            f"{d['name']}: locked {d.get('locked') or '(not in the lock)'}, built {d.get('built') or '(not installed)'}",
            Location(rep.path),
        )


@rule(
    "RUN003",
    "rerun-differs",
    Severity.ERROR,
    summary="Two runs of the same command with the same seeds gave different outputs",
    explanation="""
        `envaudit rerun -- COMMAND` runs the command several times, each in a fresh copy of
        the project, and compares what the runs wrote and printed: identical bytes, numbers
        within tolerance, or different. For an output that differs it names the first
        difference and the largest absolute and relative difference, and re-runs with one
        knob set at a time (PYTHONHASHSEED=0, every RNG seeded, single-threaded BLAS,
        CUBLAS_WORKSPACE_CONFIG) to say which one makes the runs agree.
    """,
    example="""
        rerun.json: rerun-differs: model.pt is different across 2 runs (max abs diff 1.7, max rel diff 1.98): 0.weight[0, 0]
    """,
    fix="Apply the knob the record names (seed every RNG, export PYTHONHASHSEED=0, ...), then run rerun again.",
)
def rerun_differs(inv: Inventory) -> Iterator[Hit]:
    rep = _report(inv, "rerun_report")
    if rep is None:
        return
    fixers = [c["knob"] for c in rep.record.get("causes", []) if c.get("reproducible_with")]
    fix = Fix(f"The runs agree with: {', '.join(fixers)}.") if fixers else None
    for o in rep.record.get("outputs", []):
        if o.get("status") not in ("different", "missing"):
            continue
        size = (
            f" (max abs diff {o['max_abs_diff']:.3g}, max rel diff {o['max_rel_diff']:.3g})"
            if isinstance(o.get("max_abs_diff"), int | float)
            and isinstance(o.get("max_rel_diff"), int | float)
            else ""
        )
        first = f": {o['first_difference']}" if o.get("first_difference") else ""
        yield Hit(
            f"{o['path']} is {o['status']} across {rep.record.get('runs', '?')} runs{size}{first}",
            Location(rep.path),
            fix,
        )
