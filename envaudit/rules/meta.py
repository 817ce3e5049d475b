"""EA: problems with the input itself, and scans that could not run.

These report the Diagnostics that scanners record instead of raising, so a
malformed file is a finding with file and line, never a traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from envaudit.model import Fix, Hit, Location, Severity
from envaudit.rules import rule

if TYPE_CHECKING:
    from envaudit.inventory import Inventory


@rule(
    "EA001",
    "unreadable-input",
    Severity.ERROR,
    summary="A project file could not be read or parsed, so it was not audited",
    explanation="""
        envaudit reads every manifest, lockfile and configuration file it finds.
        When one is binary, not UTF-8, too large, malformed (TOML, YAML, JSON,
        pip's requirements grammar) or unreadable, envaudit cannot tell whether it
        is reproducible, and neither can pip or the next person. The message names
        the file and, where the parser knows it, the line.
    """,
    example="""
        requirements.txt:3: unreadable-input: unterminated `-r` option
    """,
    fix="Repair or remove the file; the message says what the parser met.",
    late=True,
)
def unreadable_input(inv: Inventory) -> Iterator[Hit]:
    for d in inv.diagnostics:
        if d.code == "EA001":
            yield Hit(d.message, d.location)


@rule(
    "EA002",
    "scan-skipped",
    Severity.INFO,
    summary="A scanner could not run here (missing tool, library or daemon); its rules were skipped",
    explanation="""
        Some facts need something outside the project: the git binary, the NVIDIA
        driver, a Docker daemon. Where one is missing envaudit says what it skipped
        and why, instead of failing, so a partial audit is never mistaken for a
        clean one.
    """,
    example="""
        project: scan-skipped: git not found on PATH; GIT rules skipped
    """,
    fix="Install or start what the message names, or ignore EA002 where that is expected.",
    late=True,
)
def scan_skipped(inv: Inventory) -> Iterator[Hit]:
    for d in inv.diagnostics:
        if d.code == "EA002":
            yield Hit(d.message, d.location)


@rule(
    "EA003",
    "internal-error",
    Severity.ERROR,
    summary="A rule of envaudit itself failed; the other rules still ran",
    explanation="""
        Emitted by the engine, not by a check: when a rule raises, envaudit reports
        the rule, the exception and where it happened instead of a traceback, and
        goes on with every other rule. It is always a bug in envaudit.
    """,
    example="""
        project: internal-error: rule DEP002 (unpinned-requirement) failed: KeyError: 'x'
    """,
    fix="Report it with the message; select around the rule meanwhile (`--ignore DEP002`).",
)
def internal_error(inv: Inventory) -> Iterator[Hit]:
    # The engine creates these findings around a failing rule; there is nothing to scan.
    yield from ()


ENV_RULES = ("DEP006", "DEP007", "DEP009", "PY002", "PY004")  # PY002: its check of the interpreter
ENV_ONLY_RULES = ("DEP006", "DEP007", "DEP009", "PY004")  # nothing to do without an environment


@rule(
    "EA004",
    "no-environment",
    Severity.WARNING,
    summary="No project environment was found, so the environment rules did not run",
    explanation="""
        DEP006, DEP007, DEP009, PY004 and PY002's check of the interpreter compare
        the project with *its* environment. envaudit looks for it where the project's
        own tool keeps it (the active environment, `.venv`/`venv`/`env`, Poetry's,
        Pipenv's, conda's by name, PDM's, Hatch's) and never audits its own
        installation by accident. When none is found those rules do not run (the
        checklist says "not checkable") and this one finding says where envaudit
        looked. When the command line names an environment rule by its code
        (`--select DEP007`), this is an error (the gate fails), and the audited
        project's own config can neither ignore nor downgrade it; `--ignore EA004`
        or a `--config FILE` of yours can.
    """,
    example="""
        project: EA004 [warning] no project environment found (looked: $VIRTUAL_ENV …; .venv/, venv/, env/ in the project: none); environment rules not run
    """,
    fix='Create the project\'s environment, or point envaudit at it: `--python PATH` or `python = "PATH"` in [tool.envaudit].',
    late=True,
)
def no_environment(inv: Inventory) -> Iterator[Hit]:
    selected = set(inv.config.selected_codes()) | {"EA004"}
    if not selected.intersection(ENV_ONLY_RULES):
        return
    target = inv.get("python")
    if target.found:
        return
    looked = "; ".join(target.looked) or "nowhere"
    gate = inv.config.env_gate()
    yield Hit(
        "no project environment found, so "
        + ", ".join(
            c if c != "PY002" else "PY002's check of the interpreter" for c in ENV_RULES if c in selected
        )
        + " did not run "
        f"(looked: {looked})",
        Location(),
        Fix(
            "create the project's environment, or point envaudit at it: `--python PATH` "
            '(or `python = "PATH"` in [tool.envaudit])'
        ),
        fact={"looked": list(target.looked)},
        # `--select DEP007` asked for that check: not being able to make it fails the run
        severity=Severity.ERROR if gate else None,
    )
