from __future__ import annotations

import json

from envaudit.snapshot import compare
from envaudit.snapshot.diff import render_json, render_markdown, render_text
from envaudit.snapshot.filters import drop_ignored
from tests.snapshot.helpers import record


def _two() -> tuple[dict, dict]:
    a = record()
    b = record(
        host={**a["host"], "hostname": "b"},
        python={**a["python"], "version": "3.12.1"},
        git={"commit": "c2", "branch": "main", "dirty": True},
        variables={"CUBLAS_WORKSPACE_CONFIG": ":16:8", "OMP_NUM_THREADS": "1"},
    )
    b["packages"]["numpy"]["version"] = "2.0.0"
    del b["packages"]["six"]
    b["packages"]["rich"] = {"name": "rich", "version": "13.7.0", "installer": "uv", "direct_url": None}
    return a, b


def test_two_way_grouped_changes() -> None:
    a, b = _two()
    result = compare([a, b], ["a.json", "b.json"])
    got = {(c.name, c.kind) for c in result.changes}
    assert got == {
        ("python.version", "changed"),
        ("packages.numpy", "changed"),
        ("packages.rich", "added"),
        ("packages.six", "removed"),
        ("git.commit", "changed"),
        ("git.dirty", "changed"),
        ("variables.CUBLAS_WORKSPACE_CONFIG", "changed"),
        ("variables.OMP_NUM_THREADS", "added"),
    }
    # hostnames differ but a host's identity is not a difference
    assert not any(c.group == "host" for c in result.changes)
    text = render_text(result)
    assert "a.json -> b.json: 8 differences" in text
    assert "  ~ numpy 1.26.4 -> 2.0.0" in text and "  + rich 13.7.0 (installer uv)" in text
    assert "  - six 1.16.0" in text
    assert text.index("Python") < text.index("Packages") < text.index("Git") < text.index("Variables")
    data = json.loads(render_json(result))
    assert data["differences"] == 8 and data["identical"] is False
    assert {
        "key": "six",
        "values": {
            "a.json": {"name": "six", "version": "1.16.0", "installer": "pip", "direct_url": None},
            "b.json": None,
        },
        "absent_in": ["b.json"],
        "kind": "removed",
    } in data["groups"]["packages"]
    md = render_markdown(result)
    assert "### Packages" in md and "| `numpy` | changed | 1.26.4 | 2.0.0 |" in md


def test_identical_records() -> None:
    a = record()
    result = compare([a, record(created="2027-01-01T00:00:00Z")], ["a", "b"])
    assert result.identical
    assert "0 differences" in render_text(result)


def test_eight_nodes_name_the_outlier() -> None:
    nodes = [record(host={"hostname": f"node-{i}", "os": "Linux"}) for i in range(8)]
    for i, n in enumerate(nodes):
        n["cuda"]["gpus"][0]["uuid"] = f"GPU-{i}"  # every GPU is its own: not a difference
    nodes[5]["cuda"]["driver_version"] = "550.54.14"
    labels = [f"node-{i}" for i in range(8)]
    result = compare(nodes, labels)
    assert [c.name for c in result.changes] == ["cuda.driver_version"]
    assert list(result.outliers()) == ["node-5"]
    text = render_text(result)
    assert "node-5: cuda.driver_version = 550.54.14 (7 others: 535.104.05)" in text
    assert json.loads(render_json(result))["outliers"] == {"node-5": ["cuda.driver_version"]}
    assert "**550.54.14**" in render_markdown(result)


def test_no_majority_names_no_outlier() -> None:
    recs = [record(), record(), record(), record()]
    recs[2]["python"]["version"] = "3.12.0"
    recs[3]["python"]["version"] = "3.12.0"
    result = compare(recs, ["a", "b", "c", "d"])
    assert len(result.changes) == 1 and result.outliers() == {}


def test_section_missing_in_one_is_a_note_not_a_difference() -> None:
    a = record()
    b = record(cuda=None)
    result = compare([a, b], ["with-gpu", "without"])
    assert result.identical
    assert any("CUDA stack: not recorded in without" in n for n in result.notes)


def test_ignore_patterns() -> None:
    a, b = _two()
    result = drop_ignored(compare([a, b], ["a", "b"]), ["git", "variables.CUBLAS_*", "packages.six"])
    names = {c.name for c in result.changes}
    assert names == {"python.version", "packages.numpy", "packages.rich", "variables.OMP_NUM_THREADS"}
