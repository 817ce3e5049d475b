"""envaudit passes its own checklist: the rules that do not depend on the machine
(git state, installed versions, GPUs) find nothing in this repository. Running it on
itself found real bugs (a module named dockerfile.py parsed as a Dockerfile, an
undeclared direct import); this keeps them found."""

from __future__ import annotations

import json
import sys

from tests.conftest import REPO, invoke

MACHINE_INDEPENDENT = (
    "EA001,EA003,PY001,PY002,DEP001,DEP002,DEP004,DEP005,DEP008,DEP010,DEP011,DEP012,"
    "DKR,DOC,DET,GIT008,GIT009"
)


def test_envaudit_passes_its_own_audit() -> None:
    # the repository has no .venv: name the environment its tests run in, as a developer would
    res = invoke(
        "check", str(REPO), "--select", MACHINE_INDEPENDENT, "--format", "json", "--python", sys.executable
    )
    doc = json.loads(res.stdout)
    found = [
        f"{f['location']['path']}:{f['location']['line']}: {f['code']} {f['message']}"
        for f in doc["findings"]
    ]
    assert found == []
    assert res.exit_code == 0
