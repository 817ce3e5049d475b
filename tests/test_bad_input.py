"""The issue's "Bad input" list, end to end through the CLI: each becomes a finding naming
the file (and line where known), the run completes, never a traceback."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from tests.conftest import invoke, write
from tests.fakeenv import make_venv


@pytest.fixture
def bad_project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    write(
        root,
        {
            "requirements.txt": b"\x7fELF\x02\x01\x01\x00\x00\x00junk\xff\xfe",
            "requirements-latin1.txt": "numpy==1.26.4  # Beschr\xe4nkung\n".encode("latin-1"),
            "requirements-cycle.txt": "-r requirements/a.txt\n",
            "requirements/a.txt": "-r b.txt\nnumpy==1.26.4\n",
            "requirements/b.txt": "-r a.txt\n",
            "requirements-missing.txt": "torch==2.3.1\n-r does-not-exist.txt\n",
            "pyproject.toml": '[project]\nname = "x"\ndependencies = [\n  "torch>=2",\n',
            "environment.yml": "name: x\nchannels: [conda-forge]\ndependencies:\n\t- numpy\n",
            "locked/keep.txt": "x\n",
        },
    )
    big = root / "requirements-huge.txt"
    with open(big, "wb") as fh:
        chunk = b"numpy==1.26.4\n" * 100_000
        for _ in range(50 * 1024 * 1024 // len(chunk) + 1):
            fh.write(chunk)
    os.symlink("loop-b", root / "loop-a")
    os.symlink("loop-a", root / "loop-b")
    os.symlink(".", root / "requirements" / "self")  # a directory symlink loop
    os.symlink("requirements-link.txt", root / "requirements-link.txt")  # a file that points at itself
    (root / "locked").chmod(0)
    yield root
    (root / "locked").chmod(0o755)


def test_every_bad_input_is_a_finding_not_a_traceback(bad_project: Path, tmp_path: Path) -> None:
    env = tmp_path / "env"
    make_venv(env, {"numpy": "1.26.4"})
    t = time.perf_counter()
    res = invoke("check", str(bad_project), "--select", "PY,DEP,EA", "--python", str(env), "--format", "json")
    elapsed = time.perf_counter() - t
    assert res.exit_code == 1, res.output
    assert "Traceback" not in res.output
    report = json.loads(res.stdout)
    found = {
        (f["code"], f["location"]["path"], f["location"]["line"]): f["message"] for f in report["findings"]
    }
    ea = {k[1:]: v for k, v in found.items() if k[0] == "EA001"}
    assert "binary" in ea[("requirements.txt", 1)]
    assert "UTF-8" in ea[("requirements-latin1.txt", 1)]
    assert "MB" in ea[("requirements-huge.txt", None)]
    cycle = [v for k, v in ea.items() if "cycle" in v]
    assert cycle and "requirements/a.txt" in cycle[0] and "requirements/b.txt" in cycle[0]
    assert "does-not-exist.txt" in ea[("requirements-missing.txt", 2)]
    assert ea[("pyproject.toml", 4)].startswith("invalid TOML")
    assert ea[("environment.yml", 4)].startswith("invalid YAML")
    assert any(p == "requirements-link.txt" for p, _ in ea)
    assert not any(f["code"] == "EA003" for f in report["findings"])
    # the good parts were still audited
    assert ("DEP005", "requirements-missing.txt", None) in found
    assert elapsed < 10


def test_text_output_names_the_files(bad_project: Path) -> None:
    res = invoke("check", str(bad_project), "--select", "DEP,EA", "--no-color")
    assert res.exit_code == 1
    assert "requirements.txt:1: EA001" in res.stdout
    assert "environment.yml:4: EA001" in res.stdout
    assert "Traceback" not in res.output


def test_bad_python_argument(tmp_path: Path) -> None:
    write(tmp_path, {"requirements.txt": "numpy==1.26.4\n"})
    res = invoke("check", str(tmp_path), "--select", "PY004,EA", "--python", str(tmp_path / "no-such-python"))
    assert "Traceback" not in res.output
    assert res.exit_code == 2 and "--python" in res.stderr  # a usage error, never a silent fallback
