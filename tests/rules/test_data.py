from __future__ import annotations

import hashlib
from pathlib import Path

from tests.conftest import check, codes, invoke, write
from tests.gitrepo import repo

DVC3_SINGLE = "4e03dd5f05f68ca4f8941fd80c63e0b2"  # DVC 3.67.1: dvc add of b"one\r\ntwo\r\n"


def test_dat001_fires_for_an_unversioned_data_folder(tmp_path: Path) -> None:
    write(tmp_path, {"data/train.csv": "a,b\n1,2\n", "train.py": ""})
    result = check(tmp_path, "DAT001")
    assert codes(result) == ["DAT001"] and result.findings[0].location.path == "data"
    assert "1 files" in result.findings[0].message


def test_dat001_true_negatives(tmp_path: Path) -> None:
    # DVC-tracked
    a = write(tmp_path / "a", {"data/raw/x.csv": "1\n", "data/raw.dvc": "outs:\n- path: raw\n  md5: x\n"})
    assert codes(check(a, "DAT001")) == []
    # a checksum manifest inside it
    sha = hashlib.sha256(b"1\n").hexdigest()
    b = write(tmp_path / "b", {"data/x.csv": "1\n", "data/SHA256SUMS": f"{sha}  x.csv\n"})
    assert codes(check(b, "DAT001")) == []
    # git-lfs
    c = repo(
        tmp_path / "c",
        {"data/x.csv": "1\n", ".gitattributes": "data/** filter=lfs diff=lfs merge=lfs -text\n"},
    )
    assert codes(check(c, "DAT001")) == []
    # every file committed to git
    d = repo(tmp_path / "d", {"data/x.csv": "1\n"})
    assert codes(check(d, "DAT001")) == []
    # an empty data folder holds nothing to version
    (tmp_path / "e" / "data").mkdir(parents=True)
    assert codes(check(tmp_path / "e", "DAT001")) == []


def test_dat002_dvc_out_modified_missing_and_ok(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "single.txt": b"one\r\ntwo\r\n",
            "single.txt.dvc": f"outs:\n- md5: {DVC3_SINGLE}\n  size: 10\n  hash: md5\n  path: single.txt\n",
            "gone.csv.dvc": "outs:\n- md5: 0123456789abcdef0123456789abcdef\n  hash: md5\n  path: gone.csv\n",
        },
    )
    result = check(root, "DAT002")
    assert [(f.location.path, f.location.line) for f in result.findings] == [("gone.csv.dvc", 4)]
    assert "missing" in result.findings[0].message and "dvc pull" in result.findings[0].fix.description
    (root / "single.txt").write_bytes(b"one\ntwo\n")  # the DVC 3 md5 is of the raw bytes: changed
    result = check(root, "DAT002")
    assert sorted(f.location.path for f in result.findings) == ["gone.csv.dvc", "single.txt.dvc"]
    modified = next(f for f in result.findings if f.location.path == "single.txt.dvc")
    assert "differs" in modified.message and modified.severity.label == "warning"


def test_dat002_legacy_entry_ignores_line_endings(tmp_path: Path) -> None:
    # DVC 2 entries hash text with CRLF normalised, so a CRLF->LF checkout is not a change
    legacy = "2094b601daac3d68f5aed51d3c20f7cd"
    root = write(
        tmp_path,
        {"single.txt": b"one\ntwo\n", "single.txt.dvc": f"outs:\n- md5: {legacy}\n  path: single.txt\n"},
    )
    assert codes(check(root, "DAT002")) == []


def test_dat002_bad_yaml_is_ea001(tmp_path: Path) -> None:
    root = write(tmp_path, {"x.dvc": "outs: [\n"})
    assert codes(check(root, "DAT,EA")) == ["EA001"]


def test_dat003_checksum_mismatch_and_missing(tmp_path: Path) -> None:
    good = hashlib.sha256(b"a\n").hexdigest()
    root = write(
        tmp_path,
        {
            "d/a.txt": "a\n",
            "d/b.txt": "changed\n",
            "d/SHA256SUMS": f"{good}  a.txt\n{good}  b.txt\n{good}  c.txt\n",
        },
    )
    result = check(root, "DAT003")
    assert [(f.location.path, f.location.line, f.code) for f in result.findings] == [
        ("d/SHA256SUMS", 2, "DAT003"),
        ("d/SHA256SUMS", 3, "DAT003"),
    ]
    assert "d/b.txt does not match" in result.findings[0].message
    assert "missing" in result.findings[1].message
    assert result.exit_code() == 1
    (root / "d/b.txt").write_text("a\n")
    (root / "d/c.txt").write_text("a\n")
    assert codes(check(root, "DAT003")) == []


def test_explain_every_dat_rule() -> None:
    for code in ("DAT001", "DAT002", "DAT003", "DAT004"):
        out = invoke("explain", code).stdout
        assert "Example:" in out and "Fix:" in out


def test_dat004_unverifiable_entries(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "cloud.dvc": "outs:\n- etag: '0x8D9'\n  path: cloud.bin\n",
            "d/x.txt": "x\n",
            "d.dvc": "outs:\n- md5: 0123456789abcdef0123456789abcdef.dir\n  hash: md5\n  path: d\n",
            ".dvcignore": "*.tmp\n",
        },
    )
    result = check(root, "DAT004,DAT002")
    assert sorted((f.code, f.location.path) for f in result.findings) == [
        ("DAT004", "cloud.dvc"),
        ("DAT004", "d.dvc"),
    ]
    (root / ".dvcignore").write_text("# nothing\n")
    assert sorted(codes(check(root, "DAT004,DAT002"))) == ["DAT002", "DAT004"]
