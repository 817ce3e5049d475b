"""`envaudit fleet` on a real local multi-node Ray cluster (ray.cluster_utils.Cluster)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from envaudit.cli import cli
from envaudit.fleet import node_label
from tests.conftest import REPO, write


def test_node_labels_unique() -> None:
    taken: set[str] = set()
    a = node_label({"NodeManagerHostname": "gpu-1", "NodeID": "aaaaaaaa11"}, taken)
    b = node_label({"NodeManagerHostname": "gpu-1", "NodeID": "bbbbbbbb22"}, taken)
    c = node_label({"NodeManagerAddress": "10.0.0.3", "NodeID": "c"}, taken)
    assert (a, b, c) == ("gpu-1", "gpu-1:bbbbbbbb", "10.0.0.3")


def test_without_ray_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "ray", None)  # as if the extra were not installed
    res = CliRunner().invoke(cli, ["fleet"])
    assert res.exit_code == 2 and "pip install 'envaudit[ray]'" in res.output


@pytest.fixture(scope="module")
def cluster() -> Iterator[object]:
    ray = pytest.importorskip("ray", reason="ray (envaudit[ray]) not installed")
    from ray.cluster_utils import Cluster

    # workers must import this checkout of envaudit
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), old) if p)
    try:
        c = Cluster(
            initialize_head=True,
            head_node_args={
                "num_cpus": 1,
                "object_store_memory": 80 * 1024 * 1024,
                "include_dashboard": False,
            },
        )
    except Exception as exc:  # pragma: no cover - depends on the machine
        pytest.skip(f"a local Ray cluster could not start here: {exc}")
    try:
        c.add_node(num_cpus=1, object_store_memory=80 * 1024 * 1024)
        c.wait_for_nodes(timeout=60)
        yield c
    finally:
        if ray.is_initialized():
            ray.shutdown()
        c.shutdown()
        if old is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = old


@pytest.mark.slow
def test_fleet_snapshots_every_node(cluster: object, tmp_path: Path) -> None:
    proj = write(tmp_path / "proj", {"requirements.txt": "numpy==1.26.4\n"})
    save = tmp_path / "snaps"
    res = CliRunner().invoke(
        cli,
        [
            "fleet",
            str(proj),
            "--address",
            cluster.address,
            "--save",
            str(save),
            "--format",
            "json",
            "--timeout",
            "120",
        ],  # type: ignore[attr-defined]
    )
    assert res.exit_code == 0, res.output  # two raylets of one machine: identical environments
    data = json.loads(res.stdout)
    assert len(data["snapshots"]) == 2 and data["identical"] is True
    files = sorted(save.glob("snap-*.json"))
    assert len(files) == 2
    recs = [json.loads(f.read_text()) for f in files]
    assert all(r["files"] == {"requirements.txt": recs[0]["files"]["requirements.txt"]} for r in recs)
