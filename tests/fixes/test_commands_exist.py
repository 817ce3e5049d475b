"""Every `envaudit …` command that a fix text, a rule explanation, a template or the
README tells a user to run exists: its `--help` runs (deliverable: no `envaudit fix
requirements`)."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from envaudit.cli import cli
from tests.conftest import invoke

REPO = Path(__file__).resolve().parents[2]
MENTION = re.compile(r"(?P<pre>`|\$ |^\s*|# )envaudit(?P<words>(?: [a-z][a-z0-9-]*)+)", re.MULTILINE)


def _sources() -> list[Path]:
    files = sorted((REPO / "envaudit").rglob("*.py")) + sorted((REPO / "templates").iterdir())
    return [*files, REPO / "README.md"]


def mentions() -> dict[tuple[str, ...], str]:
    """command path -> the first place it is mentioned."""
    top = set(cli.list_commands(click.Context(cli)))
    out: dict[tuple[str, ...], str] = {}
    for f in _sources():
        if f.suffix in (".png", ".css", ".js") or not f.is_file():
            continue
        text = f.read_text(encoding="utf-8")
        for m in MENTION.finditer(text):
            words = m.group("words").split()
            quoted = m.group("pre").strip() in ("`", "$")
            if words[0] not in top and not quoted:
                continue  # prose: "envaudit reads …"
            path = tuple(words[:2]) if words[0] == "fix" else (words[0],)
            line = text.count("\n", 0, m.start()) + 1
            out.setdefault(path, f"{f.relative_to(REPO)}:{line}")
    return out


def test_the_collector_finds_the_fixers_and_top_level_commands() -> None:
    found = mentions()
    assert ("fix", "pins") in found and ("fix", "dockerfile") in found and ("fix", "seeds") in found
    assert ("check",) in found and ("explain",) in found


@pytest.mark.parametrize("path", sorted(mentions()), ids=" ".join)
def test_every_mentioned_command_exists(path: tuple[str, ...]) -> None:
    where = mentions()[path]
    res = invoke(*path, "--help")
    assert res.exit_code == 0, (
        f"`envaudit {' '.join(path)}` (mentioned at {where}) does not exist: {res.output}"
    )
