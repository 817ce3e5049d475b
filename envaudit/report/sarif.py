"""`--format sarif`: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

One run; `tool.driver.rules` lists every rule that ran (plus any other code
that produced a result) with its help text and the level configured for this
run; results point at files relative to the repository root (the audited folder's
own root when it is not inside a git repository) through the `PROJECTROOT` uriBaseId and carry a `partialFingerprints` entry that does not
depend on the run, the machine or the line the finding sits on, so a viewer
can follow one finding across commits.

Findings about the environment as a whole have no file, but GitHub code
scanning rejects the *whole* upload when one result has no location
("locationFromSarifResult: expected at least one location"). Such results are
anchored at line 1 of the project's most central file (the configuration,
pyproject.toml, a manifest, the README, ...) and marked
`properties.scope = "environment"`; their fingerprint ignores the anchor.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from envaudit import __version__
from envaudit.model import Location
from envaudit.redact import redact_text

if TYPE_CHECKING:
    from envaudit.engine import CheckResult
    from envaudit.model import Finding, Severity
    from envaudit.rules import Rule

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}
FINGERPRINT_KEY = "envauditFinding/v1"


def _rule_descriptor(r: Rule, level: Severity) -> dict[str, Any]:
    parts = [r.explanation]
    if r.example:
        parts.append("Example:\n\n" + "\n".join("    " + line for line in r.example.splitlines()))
    if r.fix:
        parts.append("Fix: " + r.fix)
    text = "\n\n".join(parts)
    return {
        "id": r.code,
        "name": r.name,
        "shortDescription": {"text": r.summary},
        "fullDescription": {"text": r.explanation or r.summary},
        "help": {"text": text, "markdown": text},
        "defaultConfiguration": {"level": LEVELS[level.label]},
        "properties": {"tags": ["reproducibility", r.family.lower()]},
    }


def fingerprint(f: Finding, occurrence: int) -> str:
    """Stable across runs and line moves: code, file and message (with its numbers
    left out, since messages quote line numbers and counts), plus the occurrence."""
    import re

    message = re.sub(r"\d+", "#", f.message)
    key = "\0".join([f.code, f.location.path or "", message, str(occurrence)])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


ANCHORS = (
    "pyproject.toml",
    ".envaudit.toml",
    "requirements.txt",
    "setup.cfg",
    "setup.py",
    "environment.yml",
    "environment.yaml",
    "Pipfile",
    "README.md",
    "README.rst",
    "README.txt",
    "README",
    "Dockerfile",
)


def anchor(result: CheckResult) -> str | None:
    """The file environment-wide results point at (None: the project has no file)."""
    root = Path(result.root)
    source = result.config.source
    if source:
        try:
            rel = Path(source).resolve().relative_to(root.resolve()).as_posix()
            if (root / rel).is_file():
                return rel
        except (ValueError, OSError):
            pass
    for name in ANCHORS:
        if (root / name).is_file():
            return name
    try:
        files = result.inventory.files()
    except Exception:  # listing failed: it was reported as a finding already
        return None
    return files[0] if files else None


def _result(
    f: Finding, index: int, occurrence: int, fallback: str | None, prefix: str = "", root: Path | None = None
) -> dict[str, Any]:
    text = f.message + (f" Fix: {f.fix.description}" if f.fix else "")
    out: dict[str, Any] = {
        "ruleId": f.code,
        "ruleIndex": index,
        "level": LEVELS[f.severity.label],
        "message": {"text": text},
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(f, occurrence)},
    }
    loc = f.location
    props: dict[str, Any] = {}
    if loc.path is not None and loc.line is None and root is not None and not (root / loc.path).exists():
        # a missing file the finding asks for (`no .dockerignore`): project-level, anchored
        # like environment results rather than on a file code scanning cannot show
        loc = Location(fallback, 1) if fallback is not None else Location()
        props["scope"] = "project"
    elif loc.path is None and fallback is not None:
        loc = Location(fallback, 1)
        props["scope"] = "environment"
    if loc.path is not None:
        physical: dict[str, Any] = {
            "artifactLocation": {"uri": quote(prefix + loc.path, safe="/"), "uriBaseId": "PROJECTROOT"}
        }
        if loc.line is not None:
            region: dict[str, int] = {"startLine": loc.line}
            if loc.column is not None:
                region["startColumn"] = loc.column
            physical["region"] = region
        out["locations"] = [{"physicalLocation": physical}]
    if f.fix is not None and f.fix.diff:
        props["fixDiff"] = f.fix.diff
    if props:
        out["properties"] = props
    return out


def as_dict(result: CheckResult) -> dict[str, Any]:
    from envaudit.rules import get_rule

    rules: list[Rule] = list(result.rules)
    known = {r.code for r in rules}
    for f in result.findings:
        if f.code not in known:
            extra = get_rule(f.code)
            if extra is not None:
                rules.append(extra)
                known.add(f.code)
    rules.sort(key=lambda r: r.code)
    index = {r.code: i for i, r in enumerate(rules)}
    descriptors = [_rule_descriptor(r, result.config.severity_of(r.code, r.severity)) for r in rules]
    from envaudit.report._paths import repo_prefix, repo_root

    # code scanning reads URIs from the repository root: PROJECTROOT is that root, and a
    # monorepo folder's files carry their folder (`services/train/requirements.txt`)
    top = repo_root(Path(result.root))
    prefix = repo_prefix(Path(result.root))
    results = []
    fallback = (
        anchor(result)
        if any(
            f.location.path is None or not (Path(result.root) / f.location.path).exists()
            for f in result.findings
        )
        else None
    )
    seen: dict[tuple[str, str, str], int] = {}
    for f in result.findings:
        if f.code not in index:  # a code with no registered rule: describe it minimally
            index[f.code] = len(descriptors)
            descriptors.append(
                {"id": f.code, "name": f.name, "shortDescription": {"text": f.name}, "help": {"text": f.name}}
            )
        key = (f.code, f.location.path or "", f.message)
        seen[key] = seen.get(key, -1) + 1
        results.append(_result(f, index[f.code], seen[key], fallback, prefix, Path(result.root)))
    root_uri = (top or Path(result.root).resolve()).as_uri().rstrip("/") + "/"
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "envaudit",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": descriptors,
                    }
                },
                "originalUriBaseIds": {"PROJECTROOT": {"uri": redact_text(root_uri)}},
                "invocations": [{"executionSuccessful": True}],
                "properties": {"target": target_dict(result.inventory)},  # which environment was audited
                "results": results,
                "columnKind": "unicodeCodePoints",
            }
        ],
    }


def target_dict(inv: object) -> dict[str, object]:
    from envaudit.report._target import target_dict as _target

    return _target(inv)  # type: ignore[arg-type]


def render(result: CheckResult, *, color: bool = False) -> str:
    from envaudit.terminal import escape_json_controls

    return escape_json_controls(json.dumps(as_dict(result), indent=2, ensure_ascii=False)) + "\n"
