"""Which environment a check audited, said the same way at the top of every report."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from envaudit.redact import redact_text

if TYPE_CHECKING:
    from envaudit.inventory import Inventory


def _interp(inv: Inventory) -> Any:
    try:
        return inv.get("python")
    except Exception:  # --python naming nothing is stopped by the CLI; a library caller gets "unknown"
        return None


def target_dict(inv: Inventory) -> dict[str, Any]:
    """JSON's `target` object (additive to envaudit/check/1)."""
    t = _interp(inv)
    if t is not None and not hasattr(t, "found"):  # facts seeded by a caller (tests, snapshots)
        return {
            "found": True,
            "path": redact_text(str(getattr(t, "prefix", "") or "")) or None,
            "executable": redact_text(str(getattr(t, "executable", "") or "")) or None,
            "found_by": redact_text(str(getattr(t, "found_by", "") or "")) or None,
            "kind": getattr(t, "kind", None),
            "python": getattr(t, "version", None),
            "looked": [],
        }
    if t is None:
        return {"found": False, "path": None, "found_by": None, "kind": None, "python": None, "looked": []}
    return {
        "found": t.found,
        "path": redact_text(t.prefix) if t.found else None,
        "executable": redact_text(t.executable) if t.found else None,
        "found_by": redact_text(t.found_by) if t.found else None,  # `--python <path>`
        "kind": t.kind if t.found else None,
        "python": t.version or None,
        "looked": [redact_text(x) for x in t.looked],
        # added with sub-project environments: each sub-project audited against its own
        "projects": [
            {
                "project": e.project,
                "path": redact_text(e.target.prefix),
                "executable": redact_text(e.target.executable),
                "found_by": e.target.found_by,
                "kind": e.target.kind,
                "python": e.target.version or None,
            }
            for e in _sub_envs(inv)
        ],
    }


def _sub_envs(inv: Inventory) -> list[Any]:
    try:
        from envaudit.projectenvs import sub_project_envs

        return sub_project_envs(inv)
    except Exception:  # a report header must never break a report
        return []


def sub_target_lines(inv: Inventory) -> list[str]:
    """`Environment of services/api/: venv at … (found by …)`, one per sub-project that has an
    environment of its own (its declarations are compared with that one)."""
    return [redact_text(f"Environment of {e.project}/: {e.target.describe()}") for e in _sub_envs(inv)]


def target_line(inv: Inventory, *, sub_projects: bool = True) -> str:
    """`Environment: venv at /p/.venv (found by .venv/ in the project), CPython 3.11.7`."""
    t = _interp(inv)
    if t is None:
        return "Environment: unknown"
    if not hasattr(t, "found"):  # facts seeded by a caller (tests, snapshots)
        return redact_text(f"Environment: {getattr(t, 'kind', '?')} at {getattr(t, 'executable', '?')}")
    subs = "".join(f"; {line}" for line in sub_target_lines(inv)) if sub_projects else ""
    if t.found:
        return redact_text(f"Environment: {t.describe()}") + subs
    looked = "; ".join(t.looked) or "nowhere"
    return (
        redact_text(
            f"Environment: none found, environment rules not run (looked: {looked}); point at one with --python PATH"
        )
        + subs
    )
