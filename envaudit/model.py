"""The core value types: severities, locations, findings and fixes."""

from __future__ import annotations

import enum
from dataclasses import field
from typing import Any

from envaudit._dataclass import dataclass


class Severity(enum.IntEnum):
    """Ordered so that `a >= b` means "at least as severe"."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        key = text.strip().lower()
        aliases = {"e": "error", "w": "warning", "warn": "warning", "i": "info"}
        key = aliases.get(key, key)
        try:
            return cls[key.upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r} (use error, warning or info)") from None


@dataclass(frozen=True)
class Location:
    """Where a finding points. `path` is relative to the audited root, `/`-separated."""

    path: str | None = None
    line: int | None = None
    column: int | None = None
    # what a finding without a file is about, for people: an environment's path, or
    # "project" (the default) for what concerns the project as a whole; JSON and SARIF
    # keep `path: null` as before
    subject: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "column": self.column}

    def __str__(self) -> str:
        if self.path is None:
            return self.subject or "project"
        parts = [self.path]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)


@dataclass(frozen=True)
class Fix:
    """How to fix a finding: always a description, sometimes a ready diff."""

    description: str
    diff: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"description": self.description, "diff": self.diff}


@dataclass(frozen=True)
class Hit:
    """What a rule yields; the engine turns it into a Finding with the rule's identity."""

    message: str
    location: Location = field(default_factory=Location)
    fix: Fix | None = None
    fact: Any = None
    severity: Severity | None = None  # a rule may lower/raise one hit; config still wins


@dataclass(frozen=True)
class Finding:
    code: str
    name: str
    severity: Severity
    message: str
    location: Location = field(default_factory=Location)
    fix: Fix | None = None
    fact: Any = None

    def sort_key(self) -> tuple[Any, ...]:
        loc = self.location
        return (
            loc.path is not None,
            loc.path or "",
            loc.line or 0,
            loc.column or 0,
            self.code,
            self.message,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "severity": self.severity.label,
            "message": self.message,
            "location": self.location.to_dict(),
            "fix": self.fix.to_dict() if self.fix else None,
        }


@dataclass(frozen=True)
class Diagnostic:
    """A problem a scanner met while reading input: bad file, skipped scan.

    Scanners never raise on bad input; they record one of these. The engine
    reports them through the EA rules (or a domain rule that claims them).
    """

    message: str
    path: str | None = None
    line: int | None = None
    column: int | None = None
    code: str = "EA001"  # EA001 unreadable-input, EA002 scan-skipped, or a domain code
    subject: str | None = None  # without a path: what it is about (Location.subject)

    @property
    def location(self) -> Location:
        return Location(self.path, self.line, self.column, self.subject)
