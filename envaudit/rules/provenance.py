"""PRV: provenance. These rules judge the environment against a recorded snapshot,
so they only have something to say inside `envaudit verify`, which seeds the
`verify` fact (a VerifyRequest) into the Inventory; a plain `check` has no
snapshot to verify against and they yield nothing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import field
from typing import TYPE_CHECKING, Any

from envaudit._dataclass import dataclass
from envaudit.model import Fix, Hit, Location, Severity
from envaudit.rules import rule

if TYPE_CHECKING:
    from envaudit.inventory import Inventory


@dataclass(frozen=True)
class VerifyRequest:
    """What `envaudit verify` asks: the snapshot (or why it could not be read)."""

    path: str
    record: dict[str, Any] | None = None
    error: str | None = None
    ignore: tuple[str, ...] = field(default_factory=tuple)
    include_host: bool = False


def _request(inv: Inventory) -> VerifyRequest | None:
    if not inv.has("verify"):
        return None
    req = inv.get("verify")
    return req if isinstance(req, VerifyRequest) else None


def drift(inv: Inventory, req: VerifyRequest) -> Any:
    """The DiffResult between the recorded snapshot and the environment now."""
    from envaudit.snapshot import build_snapshot, compare
    from envaudit.snapshot.filters import drop_ignored

    assert req.record is not None
    current = inv.get("verify_current") if inv.has("verify_current") else None
    if current is None:
        current = build_snapshot(inv)
        inv.put("verify_current", current)
    ignore = (*req.ignore, *(() if req.include_host else ("host",)))
    return drop_ignored(compare([req.record, current], ["snapshot", "now"]), ignore)


def _message(change: Any) -> tuple[str, Fix]:
    from envaudit.snapshot.diff import fmt_value

    a, b = change.values
    g, key = change.group, change.key
    record_fix = "or, if the change is intended, record a new snapshot: `envaudit snapshot -o SNAPSHOT`"
    if g == "packages":
        av, bv = fmt_value(g, a), fmt_value(g, b)
        if change.kind == "added":
            return (
                f"package {key} {bv} is installed but not in the snapshot",
                Fix(f"Uninstall it (`pip uninstall {key}`) {record_fix}"),
            )
        version = a.get("version") if isinstance(a, dict) else None
        pin = f"`pip install {key}=={version}`" if version else "reinstall the recorded version"
        if change.kind == "removed":
            return f"package {key} {av} recorded in the snapshot is not installed", Fix(
                f"Install it ({pin}) {record_fix}"
            )
        return f"package {key}: recorded {av}, installed {bv}", Fix(f"Restore it ({pin}) {record_fix}")
    what = f"{g}.{key}" if key else g
    ignore = f"or pass `--ignore '{what}'` if it may differ"
    if g == "files":
        if change.kind == "added":
            return f"{key} is new since the snapshot", Fix(f"Remove it {record_fix}; {ignore}")
        if change.kind == "removed":
            return f"{key}, recorded in the snapshot, is missing", Fix(f"Restore it {record_fix}; {ignore}")
        return (
            f"{key} changed since the snapshot (sha256 {str(a)[:12]}… -> {str(b)[:12]}…)",
            Fix(f"Restore the recorded file (e.g. `git checkout <commit> -- {key}`) {record_fix}; {ignore}"),
        )
    if g == "variables":
        if change.kind == "added":
            return f"${key} is set ({b!r}) but was not when the snapshot was taken", Fix(
                f"Unset it {record_fix}; {ignore}"
            )
        if change.kind == "removed":
            return f"${key} was {a!r} in the snapshot and is not set now", Fix(
                f"Set it: `export {key}={a}` {record_fix}; {ignore}"
            )
    return (
        f"{what}: recorded {fmt_value(g, a)}, now {fmt_value(g, b)}",
        Fix(f"Restore the recorded value {record_fix}; or pass `--ignore '{what}'` if it may differ"),
    )


@rule(
    "PRV001",
    "environment-drift",
    Severity.ERROR,
    summary="The environment differs from the recorded snapshot (each difference listed)",
    explanation="""
        A snapshot (`envaudit snapshot -o env.json`) records what produced a result:
        the interpreter, every installed distribution with its version, installer and
        source URL, digests of the lockfiles and manifests, the git commit and a digest
        of uncommitted changes, the CUDA stack, the variables that change numerics
        (CUBLAS_WORKSPACE_CONFIG, PYTHONHASHSEED, OMP_NUM_THREADS, ...) and data
        checksums. `envaudit verify env.json` compares the environment it runs in with
        that record and reports every difference as one finding, so a CI job fails the
        moment the environment no longer matches the one the results came from.
        Host facts (CPU, kernel, memory) are compared only with `--host`; expected
        differences are skipped with `--ignore PATTERN` (e.g. `git.*`, `variables.PIP_*`).
    """,
    example="""
        env.json: environment-drift: package numpy: recorded 1.26.4, installed 2.0.0
        env.json: environment-drift: $CUBLAS_WORKSPACE_CONFIG was ':4096:8' in the snapshot and is not set now
    """,
    fix="Restore what the snapshot records (e.g. `pip install -r requirements.lock`), or record a new snapshot when the change is intended.",
)
def environment_drift(inv: Inventory) -> Iterator[Hit]:
    req = _request(inv)
    if req is None or req.record is None:
        return
    from envaudit.snapshot.diff import GROUPS

    result = drift(inv, req)
    for change in result.changes:
        message, fix = _message(change)
        yield Hit(message, Location(req.path), fix, fact=change.name)
    # a section only one side could record was not compared: say so, never a silent pass
    current = inv.get("verify_current")
    ignored = set(req.ignore) | (set() if req.include_host else {"host"})
    for group, title in GROUPS:
        then, now = req.record.get(group), current.get(group)
        if group in ignored or (then is None) == (now is None):
            continue
        side = "now" if now is None else "in the snapshot"
        yield Hit(
            f"{title} ({group}) was not recorded {side}, so it was not compared",
            Location(req.path),
            Fix(
                "Run verify with the envaudit version (and scanners) that took the snapshot, or record it again."
            ),
            severity=Severity.INFO,
        )


@rule(
    "PRV002",
    "snapshot-unreadable",
    Severity.ERROR,
    summary="The snapshot file is missing, corrupt or from an unknown schema version",
    explanation="""
        `envaudit verify` can only vouch for an environment against a record it can
        read. A missing file, truncated JSON (an interrupted copy or upload), a record
        of another schema version or tool (a CycloneDX SBOM, a pip freeze) or a
        hand-edited value of the wrong type means nothing was verified: envaudit says
        which file and what is wrong instead of passing or printing a traceback.
    """,
    example="""
        env.json: snapshot-unreadable: env.json: not valid JSON (the file looks truncated): Expecting ',' delimiter at line 812 column 5
        env.json: snapshot-unreadable: env.json: unknown schema 'envaudit/snapshot/9': this envaudit reads 'envaudit/snapshot/1'
    """,
    fix="Record the snapshot again with `envaudit snapshot -o FILE` (or restore the file from where it was archived).",
)
def snapshot_unreadable(inv: Inventory) -> Iterator[Hit]:
    req = _request(inv)
    if req is None or req.error is None:
        return
    yield Hit(req.error, Location(req.path))
