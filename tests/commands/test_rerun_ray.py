"""`envaudit rerun --ray`: the runs spread over a real local two-node Ray cluster."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.commands.test_fleet import cluster  # noqa: F401  (the local two-node cluster fixture)
from tests.conftest import invoke, write


def test_pack_leaves_out_environments(tmp_path: Path) -> None:
    import io
    import tarfile

    from envaudit.prove.rayrun import pack

    root = write(
        tmp_path / "proj",
        {"train.py": "x = 1\n", ".venv/pyvenv.cfg": "home = /usr\n", "a/__pycache__/m.pyc": b"\0"},
    )
    with tarfile.open(fileobj=io.BytesIO(pack(root)), mode="r:gz") as tf:
        names = tf.getnames()
    assert "proj/train.py" in names and not any(".venv" in n or "__pycache__" in n for n in names)


def test_without_ray_says_how_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)
    root = write(tmp_path / "proj", {"x.py": "print(1)\n"})
    res = invoke("rerun", str(root), "--ray", "auto", "--", sys.executable, "x.py")
    assert res.exit_code == 2 and "pip install 'envaudit[ray]'" in res.output


@pytest.mark.slow
def test_runs_on_two_nodes_and_finds_the_cause(
    cluster: object,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PYTHONHASHSEED", raising=False)
    root = write(
        tmp_path / "proj",
        {
            "order.py": "import json\njson.dump(sorted(list({'a', 'b', 'c', 'd', 'e', 'f'}), key=lambda s: hash(s) % 7), open('o.json', 'w'))\n"
        },
    )
    res = invoke(
        "rerun",
        str(root),
        "--ray",
        cluster.address,
        "--runs",
        "3",
        "--knob",
        "PYTHONHASHSEED",
        "--",
        sys.executable,
        "order.py",  # type: ignore[attr-defined]
    )
    assert res.exit_code == 1, res.output
    assert "on 2 hosts" in res.stdout  # three runs over the two nodes
    assert "PYTHONHASHSEED=0  runs agree" in res.stdout
    res = invoke(
        "rerun",
        str(root),
        "--ray",
        cluster.address,
        "--format",
        "json",
        "-q",
        "--no-causes",
        "--output",
        "o.json",
        "--",
        sys.executable,
        "-c",
        "open('o.json', 'w').write('same')",
    )  # type: ignore[attr-defined]
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["outputs"] == [
        {
            "path": "o.json",
            "status": "identical",
            "max_abs_diff": 0.0,
            "max_rel_diff": 0.0,
            "first_difference": None,
        }
    ]
