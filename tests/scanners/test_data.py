"""The data scanner. The DVC hashes below were produced by DVC 3.67.1 itself (`dvc add`)
on exactly these bytes; the legacy (DVC 2, `md5-dos2unix`) ones by dvc-data's own
`file_md5(..., name="md5-dos2unix")`."""

from __future__ import annotations

import hashlib
from pathlib import Path

from envaudit.inventory import Inventory
from envaudit.scanners.data import dir_hash, hash_file, istextblock
from tests.conftest import write

DATA = {
    "data/t.csv": b"a,b\r\n1,2\r\n",
    "data/sub/b.bin": bytes(range(256)) * 10,
    "data/.hidden/h.txt": b"x\r\ny\r\n",
    "single.txt": b"one\r\ntwo\r\n",
}
DVC3_DIR = "d6833a5facc1d1f83ced0f0f0dbe05d2.dir"  # dvc add data (DVC 3.67.1)
DVC3_SINGLE = "4e03dd5f05f68ca4f8941fd80c63e0b2"  # dvc add single.txt
LEGACY_SINGLE = "2094b601daac3d68f5aed51d3c20f7cd"  # md5-dos2unix: CRLF -> LF first
LEGACY_DIR = "67a859e05aa6241296a52733e398529c.dir"


def test_hashes_match_dvc(tmp_path: Path) -> None:
    write(tmp_path, DATA)
    assert hash_file(tmp_path / "single.txt") == DVC3_SINGLE
    assert hash_file(tmp_path / "single.txt", "md5-dos2unix") == LEGACY_SINGLE
    assert dir_hash(tmp_path / "data") == DVC3_DIR
    assert dir_hash(tmp_path / "data", "md5-dos2unix") == LEGACY_DIR


def test_dos2unix_is_decided_per_1mib_chunk(tmp_path: Path) -> None:
    # first chunk text (CRLF normalised), second chunk starts with NUL (binary, kept as is)
    first = b"ab\r\n" * (1024 * 1024 // 4)
    second = b"\x00" + b"cd\r\n" * 10
    (tmp_path / "m").write_bytes(first + second)
    expected = hashlib.md5(first.replace(b"\r\n", b"\n") + second).hexdigest()
    assert hash_file(tmp_path / "m", "md5-dos2unix") == expected
    assert istextblock(b"") and not istextblock(b"a\x00b") and not istextblock(bytes(range(128, 256)))


def test_dvc_files_locks_and_manifests(tmp_path: Path) -> None:
    sha = hashlib.sha256(b"hello\n").hexdigest()
    md5 = hashlib.md5(b"world\n").hexdigest()
    write(
        tmp_path,
        {
            **DATA,
            "data.dvc": f"outs:\n- md5: {DVC3_DIR}\n  hash: md5\n  path: data\n",
            "single.txt.dvc": f"outs:\n- md5: {LEGACY_SINGLE}\n  path: single.txt\n",  # DVC 2 style
            "dvc.lock": (
                "schema: '2.0'\nstages:\n  train:\n    cmd: python train.py\n    deps:\n"
                f"    - path: single.txt\n      hash: md5\n      md5: {DVC3_SINGLE}\n"
                "    outs:\n    - path: model.pkl\n      hash: md5\n      md5: 0123456789abcdef0123456789abcdef\n"
            ),
            "sums/hello.txt": "hello\n",
            "sums/world.txt": "world\n",
            "sums/SHA256SUMS": f"{sha}  hello.txt\n",
            "sums/md5sums": f"{md5} *world.txt\n",
            "sums/world.txt.md5": f"{md5}\n",
        },
    )
    inv = Inventory(tmp_path)
    facts = inv.get("data")
    status = {(o.source, o.path): o.status for o in facts.outs}
    assert status == {
        ("data.dvc", "data"): "ok",
        ("single.txt.dvc", "single.txt"): "ok",
        ("dvc.lock", "single.txt"): "ok",
        ("dvc.lock", "model.pkl"): "missing",
    }
    by_path = {(o.source, o.path): o for o in facts.outs}
    assert (
        by_path[("dvc.lock", "model.pkl")].line == 10 and by_path[("dvc.lock", "model.pkl")].stage == "train"
    )
    assert by_path[("single.txt.dvc", "single.txt")].algorithm == "md5-dos2unix"
    assert sorted((c.manifest, c.path, c.algorithm, c.status) for c in facts.checksums) == [
        ("sums/SHA256SUMS", "sums/hello.txt", "sha256", "ok"),
        ("sums/md5sums", "sums/world.txt", "md5", "ok"),
        ("sums/world.txt.md5", "sums/world.txt", "md5", "ok"),
    ]
    assert inv.diagnostics == []


def test_bad_dvc_files_are_diagnostics(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "bad.dvc": "outs:\n- path: [unclosed\n",
            "list.dvc": "- just\n- a list\n",
            "nopath.dvc": "outs:\n- md5: abc\n",
            "SHA256SUMS": "not a checksum line\n",
        },
    )
    inv = Inventory(tmp_path)
    facts = inv.get("data")
    assert facts.outs == ()
    diags = {d.path: d for d in inv.diagnostics}
    assert diags["bad.dvc"].code == "EA001" and "not valid YAML" in diags["bad.dvc"].message
    assert diags["bad.dvc"].line is not None
    assert "not a DVC file" in diags["list.dvc"].message
    assert "has no path" in diags["nopath.dvc"].message
    assert diags["SHA256SUMS"].line == 1


def test_data_dirs_found(tmp_path: Path) -> None:
    write(tmp_path, {"data/a.csv": "1\n", "datasets/x/y.json": "{}\n", "src/m.py": ""})
    facts = Inventory(tmp_path).get("data")
    assert [(d.path, d.files) for d in facts.data_dirs] == [("data", 1), ("datasets", 1)]
