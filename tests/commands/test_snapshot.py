from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from envaudit.snapshot import load
from tests.conftest import REPO, invoke, write


def test_snapshot_to_file_is_loadable(tmp_path: Path) -> None:
    proj = write(tmp_path / "proj", {"requirements.txt": "numpy==1.26.4\n"})
    out = tmp_path / "snap.json"
    res = invoke("snapshot", str(proj), "-o", str(out), env={"OMP_NUM_THREADS": "2"})
    assert res.exit_code == 0, res.output
    assert "wrote json snapshot" in res.stderr
    rec = load(out)
    assert rec["variables"]["OMP_NUM_THREADS"] == "2"
    assert "requirements.txt" in rec["files"]


def test_snapshot_to_stdout(tmp_path: Path) -> None:
    res = invoke("snapshot", str(tmp_path))
    assert res.exit_code == 0
    assert json.loads(res.stdout)["schema"] == "envaudit/snapshot/1"


def test_snapshot_missing_path(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from envaudit.cli import cli

    res = CliRunner().invoke(cli, ["snapshot", str(tmp_path / "nope")])
    assert res.exit_code == 2 and "does not exist" in res.output


def test_cyclonedx_sbom(tmp_path: Path) -> None:
    pytest.importorskip("cyclonedx", reason="cyclonedx-python-lib (envaudit[cyclonedx]) not installed")
    write(tmp_path, {"requirements.txt": "x\n"})
    res = invoke("snapshot", str(tmp_path), "--format", "cyclonedx", "--validate")
    assert res.exit_code == 0, res.output
    bom = json.loads(res.stdout)
    assert bom["bomFormat"] == "CycloneDX" and bom["specVersion"] == "1.6"
    names = {p["name"] for p in bom["metadata"]["properties"]}
    assert "envaudit:host:os" in names and "envaudit:file-sha256:requirements.txt" in names


def test_cyclonedx_components_from_packages() -> None:
    pytest.importorskip("cyclonedx", reason="cyclonedx-python-lib (envaudit[cyclonedx]) not installed")
    from envaudit.snapshot.cyclonedx import to_cyclonedx
    from tests.snapshot.helpers import record

    rec = record()
    rec["packages"]["numpy"]["direct_url"] = {"url": "https://example.com/numpy-1.26.4.whl"}
    rec["packages"]["six"]["direct_url"] = {"url": "file:///home/me/my wheels/six.whl"}  # a space
    bom = json.loads(to_cyclonedx(rec, validate=True))
    comps = {c["name"]: c for c in bom["components"]}
    assert comps["numpy"]["purl"] == "pkg:pypi/numpy@1.26.4"
    assert comps["numpy"]["externalReferences"][0]["url"] == "https://example.com/numpy-1.26.4.whl"
    assert bom["metadata"]["component"]["version"] == "c1"  # the git commit


def test_snapshot_and_version_stay_lazy() -> None:
    code = (
        "import sys, envaudit\nfrom envaudit.cli import main\n"
        "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith(('envaudit.snapshot', 'cyclonedx', 'mlflow', 'wandb', 'ray'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    ).stdout
    assert out.strip().endswith("[]")


def test_cyclonedx_without_the_library_says_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "cyclonedx.model", None)  # as if the extra were not installed
    from click.testing import CliRunner

    from envaudit.cli import cli

    res = CliRunner().invoke(cli, ["snapshot", str(tmp_path), "--format", "cyclonedx"])
    assert res.exit_code == 2 and "pip install 'envaudit[cyclonedx]'" in res.output
