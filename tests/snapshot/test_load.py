from __future__ import annotations

import json
from pathlib import Path

import pytest

from envaudit.snapshot import SnapshotError, dumps, load
from tests.snapshot.helpers import record


def _write(tmp_path: Path, text: str | bytes) -> Path:
    p = tmp_path / "snap.json"
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text)
    return p


def test_round_trip(tmp_path: Path) -> None:
    rec = record()
    assert load(_write(tmp_path, dumps(rec))) == rec


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "no such file"),
        ("", "the file is empty"),
        ('{"schema": "envaudit/snapshot/1", "host": {"os": "Li', "looks truncated"),
        ("[1, 2]", "top level is an array"),
        ('{"created": "x"}', "no `schema` key"),
        ('{"schema": "envaudit/snapshot/9"}', "unknown schema 'envaudit/snapshot/9'"),
        ('{"bomFormat": "CycloneDX", "specVersion": "1.6"}', "CycloneDX SBOM"),
        (b"\xff\xfe{}", "not UTF-8"),
    ],
)
def test_unreadable_snapshots_say_what_is_wrong(
    tmp_path: Path, content: str | bytes | None, expected: str
) -> None:
    path = tmp_path / "snap.json" if content is None else _write(tmp_path, content)
    with pytest.raises(SnapshotError) as err:
        load(path)
    assert expected in str(err.value)
    assert str(path) in str(err.value)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda r: r["packages"]["numpy"].update(version=3),
            "packages.numpy.version: expected a version string, found 3",
        ),
        (lambda r: r["packages"].update(numpy="1.26"), "packages.numpy: expected an object"),
        (
            lambda r: r["files"].update({"requirements.txt": "abc"}),
            'files.requirements.txt: expected a sha256 hex digest, found "abc"',
        ),
        (lambda r: r.update(host="laptop"), "host: expected an object"),
        (lambda r: r.update(git=["c1"]), "git: expected an object or null, found an array"),
        (lambda r: r["variables"].update(OMP_NUM_THREADS=4), "variables.OMP_NUM_THREADS: expected a string"),
        (lambda r: r.pop("files"), "missing required key `files`"),
        (lambda r: r["python"].update(version=3.11), "python.version: expected a version string, found 3.11"),
    ],
)
def test_hand_edited_nonsense_is_named(tmp_path: Path, edit, expected: str) -> None:  # type: ignore[no-untyped-def]
    rec = record()
    edit(rec)
    with pytest.raises(SnapshotError, match=None) as err:
        load(_write(tmp_path, json.dumps(rec)))
    assert expected in str(err.value)


def test_directory_is_not_a_snapshot(tmp_path: Path) -> None:
    with pytest.raises(SnapshotError, match="is a directory"):
        load(tmp_path)
