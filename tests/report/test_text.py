"""The text report, for people: grouped, folded, summarised; every other format keeps all."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import invoke, write
from tests.fakeenv import make_venv


def _project(tmp_path: Path) -> Path:
    proj = tmp_path / "proj"
    pins = "".join(f"pkg{i}==1.{i}\n" for i in range(4))
    write(
        proj,
        {
            "requirements.txt": "torch\nnumpy>=1\npandas\nscipy\nrich\n" + pins,
            "b/requirements-x.txt": "tqdm\n",
        },
    )
    make_venv(proj / ".venv", {"pkg0": "1.0", "numpy": "1.26.4"})  # three of four pins missing: three DEP007
    return proj


def test_grouped_folded_and_summarised(tmp_path: Path) -> None:
    proj = _project(tmp_path)
    out = invoke("check", str(proj), "--select", "DEP002,DEP006,DEP007", "--no-color").stdout
    lines = out.splitlines()
    assert lines[0].startswith("Environment: venv at") and lines[1] == ""
    # DEP002 in requirements.txt: the first three, then a count
    assert sum(1 for ln in lines if ": DEP002 " in ln and ln.startswith("requirements.txt")) == 3
    assert "  … and 2 more DEP002 in requirements.txt (--verbose lists them)" in lines
    # DEP007's fix is the same for every finding in the file: said once, after them
    dep007 = [ln for ln in lines if ": DEP007 " in ln]
    assert len(dep007) == 3
    assert sum("pip install -r requirements.txt" in ln for ln in lines) == 1
    assert any(ln.endswith("(DEP007, all 3 above)") for ln in lines)
    # files are separated, the other file after a blank line
    at = lines.index(next(ln for ln in lines if ln.startswith("b/requirements-x.txt")))
    assert lines[at - 1] == ""
    # diffs only with --show-fixes; a closing checklist in four parts
    assert "+++ b/requirements.txt" not in out and "with a diff: --show-fixes prints them" in out
    tail = out[out.index("Checklist (passed / failed / not checkable):") :].splitlines()
    assert len(tail) == 5 and tail[1].startswith("  Before sharing code: ")
    assert "Before running experiments: 0 / 1 / " in out  # the environment does not match: failed


def test_verbose_show_fixes_and_statistics(tmp_path: Path) -> None:
    proj = _project(tmp_path)
    verbose = invoke("check", str(proj), "--select", "DEP002,DEP007", "--no-color", "--verbose").stdout
    assert sum(": DEP002 " in ln for ln in verbose.splitlines()) == 6 and "more DEP002" not in verbose
    assert verbose.count("pip install -r requirements.txt") == 3 and "+++ b/requirements.txt" in verbose
    fixes = invoke("check", str(proj), "--select", "DEP002", "--no-color", "--show-fixes").stdout
    assert "+++ b/requirements.txt" in fixes and "more DEP002" in fixes
    stats = invoke("check", str(proj), "--select", "DEP002,DEP007", "--no-color", "--statistics").stdout
    rows = [ln.split("\t") for ln in stats.splitlines() if "\t" in ln]
    assert rows == [["6", "DEP002", "unpinned-requirement"], ["3", "DEP007", "not-installed"]]
    # JSON keeps every finding
    doc = json.loads(invoke("check", str(proj), "--select", "DEP002,DEP007", "--format", "json").stdout)
    assert len(doc["findings"]) == 9


def test_quiet_prints_findings_only(tmp_path: Path) -> None:
    proj = _project(tmp_path)
    out = invoke("check", str(proj), "--select", "DEP002", "--no-color", "-q").stdout
    assert (
        out.startswith("b/requirements-x.txt:1: DEP002")
        and "Checklist" not in out
        and "Environment:" not in out
    )


def test_a_shared_fix_after_a_fold_does_not_say_all_above(tmp_path: Path) -> None:
    proj = tmp_path / "p"
    write(proj, {"requirements.txt": "".join(f"pkg{i}==1.0\n" for i in range(10))})
    # four of ten pins missing (not "mostly", so one finding each), one fix for all:
    # three shown, one folded
    make_venv(proj / ".venv", {f"pkg{i}": "1.0" for i in range(4, 10)})
    lines = invoke("check", str(proj), "--select", "DEP007", "--no-color").stdout.splitlines()
    assert "  … and 1 more DEP007 in requirements.txt (--verbose lists them)" in lines
    assert any(ln.endswith("(the same for all 4 DEP007)") for ln in lines)
    assert not any("all 4 above" in ln for ln in lines)
