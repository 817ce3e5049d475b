"""A check result full of hostile text from inputs, shared by the report tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from envaudit import rules as registry
from envaudit.config import Config
from envaudit.engine import CheckResult, run_check
from envaudit.inventory import Inventory
from envaudit.model import Fix, Hit, Location, Severity
from tests.conftest import write

PWN = "window.__pwned=1"
SCRIPT = f"<script>{PWN}</script>"
IMG = f"<img src=x onerror={PWN}>"


@dataclass(frozen=True)
class _Dist:
    name: str
    version: str


@dataclass(frozen=True)
class _Packages:
    dists: tuple[_Dist, ...]

    def get(self, name: str) -> _Dist | None:
        return next((d for d in self.dists if d.name.split("<")[0] == name), None)


@dataclass(frozen=True)
class _Python:
    version: str
    implementation: str
    kind: str
    executable: str


@pytest.fixture
def hostile_rule() -> Iterator[list[Hit]]:
    """Rule ZZ901 yields what the test puts in the list (like a DEP/DKR rule would)."""
    hits: list[Hit] = []
    registry.all_rules()

    def check(inv: Inventory) -> Iterator[Hit]:
        yield from hits

    registry.rule(
        "ZZ901",
        "hostile-test",
        Severity.ERROR,
        summary=f"test rule {SCRIPT}",
        explanation=f"explains {IMG}",
        fix="fix it",
    )(check)
    try:
        yield hits
    finally:
        registry._REGISTRY.pop("ZZ901")


@pytest.fixture
def hostile_result(tmp_path: Path, hostile_rule: list[Hit]) -> CheckResult:
    root = tmp_path / f"<svg onload={PWN}>proj"
    root.mkdir()
    write(
        root,
        {
            "README.md": f"# demo {IMG}\n\n## Installation\n\nAsk {SCRIPT}.\n",
            f"weights/{IMG}.pt": b"\x80\x02",
            "train.py": "import torch\nlr = 0.01\nmodel.cuda()\n",
            "requirements.txt": f"{SCRIPT}torch\n",
        },
    )
    hostile_rule += [
        Hit(
            f"requirement {SCRIPT}torch is not pinned",
            Location("requirements.txt", 1, 1),
            Fix(
                f"pin {SCRIPT}torch",
                f"--- a/requirements.txt\n+++ b/requirements.txt\n@@ -1 +1 @@\n-{SCRIPT}torch\n+{SCRIPT}torch==2.3.1\n",
            ),
        ),
        Hit(
            f'LABEL org.opencontainers.image.description="{IMG}"',
            Location(f"docker/{IMG}.Dockerfile", 3),
            severity=Severity.WARNING,
        ),
        Hit(f"environment-wide {IMG} & ` | * _ [x](javascript:alert(1))", severity=Severity.INFO),
    ]
    inv = Inventory(root, config=Config(select=("ZZ901", "DOC")))
    inv.put("packages", _Packages((_Dist(f"torch{SCRIPT}", f'2.3.1"><img src=x onerror={PWN}>'),)))
    inv.put("python", _Python(f"3.11.7{SCRIPT}", "cpython", "venv", f"/opt/{IMG}/bin/python"))
    return run_check(root, inv.config, inventory=inv)
