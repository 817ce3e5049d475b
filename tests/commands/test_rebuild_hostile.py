"""`envaudit rebuild` fed hostile locks: strings that would add installer options, local and
VCS sources squatted on an index, sdists (their build runs code), credentials, unreadable
locks. Offline: the wheels are built by the test."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest

from envaudit.prove.rebuild import SDIST, Pin, classify, requirements_lines
from tests.commands.test_rebuild import compiled_sdist
from tests.conftest import invoke, write
from tests.wheelhouse import build_wheel


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    wh = tmp_path_factory.mktemp("wheelhouse")
    build_wheel(wh, "alpha", "1.0")
    build_wheel(wh, "localpkg", "1.0")  # a name squatted on the index by someone else
    compiled_sdist(wh, "cext", "0.1")
    return wh


def rebuild(root: Path, wh: Path, *args: str) -> Any:
    return invoke(
        "rebuild", str(root), "--no-index", "--find-links", str(wh), "-q", "--installer", "pip", *args
    )


def uv_lock(entries: list[str]) -> str:
    return 'version = 1\nrequires-python = ">=3.8"\n\n' + "\n".join(entries)


def test_lock_strings_cannot_add_installer_options(tmp_path: Path, wheelhouse: Path) -> None:
    """A version holding a newline and `--find-links` (before: written into pip's requirements
    as options of the lock author's); a name holding an ANSI escape; a hash with a space."""
    evil = tmp_path / "evil"
    evil.mkdir()
    h = sha(wheelhouse / "alpha-1.0-py3-none-any.whl")
    injected = f"1.0\\n--find-links {evil}\\n--no-index\\nalpha==1.0"
    lock = uv_lock(
        [
            f'[[package]]\nname = "alpha"\nversion = "{injected}"\n'
            f'source = {{ registry = "https://pypi.org/simple" }}\n'
            f'wheels = [{{ url = "https://x/alpha-1.0-py3-none-any.whl", hash = "sha256:{h}" }}]\n',
            '[[package]]\nname = "bad\\u001b[2Jname"\nversion = "1.0"\n'
            f'source = {{ registry = "https://pypi.org/simple" }}\n'
            f'wheels = [{{ url = "https://x/b-1.0-py3-none-any.whl", hash = "sha256:{h}" }}]\n',
        ]
    )
    root = write(tmp_path / "proj", {"uv.lock": lock})
    res = rebuild(root, wheelhouse, "--format", "json")
    assert res.exit_code == 1, res.output
    rec = json.loads(res.stdout)
    reasons = {f["name"]: f["reason"] for f in rec["failed"]}
    assert reasons["alpha"].startswith("not a valid version in the lock")
    assert rec["installed"] == []
    assert "\x1b" not in res.output
    text = rebuild(root, wheelhouse).stdout
    assert "bad\\x1b[2jname" in text and "\x1b" not in text  # canonical (lower-case) name, escaped
    # the unit: nothing but names, versions, hashes and http(s) URLs is written
    lines, bad = requirements_lines(
        [
            Pin("ok", "1.0", ("sha256:" + "a" * 64,)),
            Pin("x y", "1.0", ("sha256:" + "a" * 64,)),
            Pin("v", "1.0 --index-url http://evil", ()),
            Pin("hh", "1.0", ("sha256:" + "a" * 64 + " --trusted-host evil",)),
            Pin("u", "1.0", ("sha256:" + "a" * 64,), "https://h/u-1.0-py3-none-any.whl --no-index"),
        ]
    )
    assert lines == ["ok==1.0 --hash=sha256:" + "a" * 64]
    assert {b[0] for b in bad} == {"x y", "v", "hh", "u"}


def test_local_and_vcs_sources_are_never_installed_by_name(tmp_path: Path, wheelhouse: Path) -> None:
    """A package the lock takes from a path, a folder or git has no hash: before, rebuild
    installed `localpkg==1.0` by name from the index without checking (a squatter's wheel)."""
    lock = uv_lock(
        [
            '[[package]]\nname = "localpkg"\nversion = "1.0"\nsource = { path = "/etc/passwd" }\n',
            '[[package]]\nname = "gitpkg"\nversion = "1.0"\nsource = { git = "https://h/r.git?rev=x#abc" }\n',
            '[[package]]\nname = "private"\nversion = "1.0"\nsource = { registry = "https://pkgs.example/simple" }\n',
        ]
    )
    root = write(tmp_path / "proj", {"uv.lock": lock})
    res = rebuild(root, wheelhouse, "--format", "json")
    rec = json.loads(res.stdout)
    assert rec["installed"] == []
    reasons = {f["name"]: f["reason"] for f in rec["failed"]}
    assert reasons["localpkg"].startswith("not installable from the lock")
    assert reasons["gitpkg"].startswith("not installable from the lock")
    assert reasons["private"].startswith("from the index https://pkgs.example/simple with no hash")
    # the unit: what each kind of source becomes (Pipfile.lock names its index: kept, with hashes)
    h = ("sha256:" + "a" * 64,)
    lines, bad = requirements_lines(
        [
            Pin("named", "1", h, "private"),
            Pin("nohash", "1", (), "private"),
            Pin("relpath", "1", h, "wheels/relpath-1-py3-none-any.whl"),
            Pin("folder", "1", h, "path+../x"),
            Pin("spaced", "1", h, "https://h/simple --no-index"),
            Pin("direct", "1", h, "https://h/direct-1-py3-none-any.whl"),
        ]
    )
    assert [ln.split(" ")[0] for ln in lines] == ["named==1", "direct"]
    why = {b[0]: b[2] for b in bad}
    assert why["nohash"].startswith("from the index private with no hash")
    assert why["relpath"].startswith("not installable") and why["folder"].startswith("not installable")
    assert why["spaced"].startswith("not a valid source in the lock")


def test_sdists_are_built_only_when_asked(tmp_path: Path, wheelhouse: Path) -> None:
    """Building an sdist runs its setup.py: without --allow-sdist it is refused and said so."""
    h = sha(wheelhouse / "cext-0.1.tar.gz")
    root = write(tmp_path / "proj", {"requirements.txt": f"cext==0.1 --hash=sha256:{h}\n"})
    res = rebuild(root, wheelhouse, "--format", "json")
    rec = json.loads(res.stdout)
    # not "needs a compiler": its build (which would fail so) never ran
    assert rec["failed"] == [{"name": "cext", "version": "0.1", "reason": SDIST}]
    # a direct URL to an sdist in a lock: the same
    _lines, bad = requirements_lines(
        [Pin("cext", "0.1", ("sha256:" + h,), "https://h/cext-0.1.tar.gz")], False
    )
    assert bad == [("cext", "0.1", SDIST)]
    # the installers' own words when the index has only an sdist
    pins = {"cext": Pin("cext", "0.1", ())}
    pip_out = (
        "  Skipping link: No sources permitted for cext: https://h/cext-0.1.tar.gz (from https://h/)\n"
        "ERROR: Could not find a version that satisfies the requirement cext==0.1 (from versions: none)\n"
    )
    uv_out = (
        "  cause: Because cext==0.1 has no usable wheels and you require cext==0.1, we can conclude that "
        "your requirements are unsatisfiable.\n\nhint: Wheels are required for `cext` because building from "
        "source is disabled for all packages (i.e., with `--no-build`)\n"
    )
    assert classify(pip_out, pins) == [("cext", "0.1", SDIST)]
    assert classify(uv_out, pins) == [("cext", "0.1", SDIST)]


def test_credentials_are_never_printed(tmp_path: Path, wheelhouse: Path) -> None:
    h = sha(wheelhouse / "alpha-1.0-py3-none-any.whl")
    lock = (
        "--index-url https://user:s3cretpw@evil.example/simple\n"
        "--extra-index-url https://u:pw2secret@x.example/simple\n"
        "--trusted-host evil.example\n"
        f"--find-links {tmp_path}\n"
        f"alpha==1.0 --hash=sha256:{h}\n"
    )
    root = write(tmp_path / "proj", {"requirements.txt": lock})
    for fmt in ("json", "text"):
        res = rebuild(root, wheelhouse, "--format", fmt)
        assert res.exit_code == 0, res.output
        out = res.stdout + res.stderr
        assert "s3cretpw" not in out and "pw2secret" not in out
        if fmt == "json":
            assert json.loads(res.stdout)["notes"][0].startswith(
                "requirements.txt:1 has `--index-url https://***@"
            )
    assert "requirements.txt:1 has `--index-url https://***@evil.example/simple`: not followed" in res.stdout
    assert f"requirements.txt:4 has `--find-links {tmp_path}`" in res.stdout
    # an index URL given on the command line with credentials, unreachable: its failure is masked
    res = invoke(
        "rebuild",
        str(root),
        "--installer",
        "pip",
        "--index-url",
        "http://someone:t0psecret@127.0.0.1:9/simple",
        "--format",
        "json",
    )
    assert res.exit_code == 1
    assert "t0psecret" not in res.stdout + res.stderr


def test_unreadable_locks_are_named_with_why(tmp_path: Path, wheelhouse: Path) -> None:
    outside = write(tmp_path / "outside", {"requirements.txt": "alpha==1.0 --hash=sha256:" + "a" * 64 + "\n"})
    cases: dict[str, Any] = {
        "fifo": lambda root: os.mkfifo(root / "uv.lock"),
        "bytes": lambda root: (root / "uv.lock").write_bytes(b'version = 1\n[[package]]\nname = "\xff"\n'),
        "nested": lambda root: (root / "uv.lock").write_text("x = " + "[" * 5000 + "]" * 5000 + "\n"),
        "link": lambda root: os.symlink(outside / "requirements.txt", root / "requirements.txt"),
    }
    expect = {
        "fifo": "uv.lock is a FIFO (named pipe), not a regular file",
        "bytes": "uv.lock is not valid UTF-8 (byte 0xff at line 3",
        "nested": "uv.lock: too deeply nested",
        "link": "requirements.txt is a symlink to a file outside the project; not read",
    }
    for name, make in cases.items():
        root = tmp_path / name
        root.mkdir()
        make(root)
        res = rebuild(root, wheelhouse)
        assert res.exit_code == 2, (name, res.output)
        assert "no lock found" in res.output and expect[name] in res.output, (name, res.output)
        assert "Traceback" not in res.output
    # named with --lock: the same words
    res = rebuild(tmp_path / "fifo", wheelhouse, "--lock", str(tmp_path / "fifo" / "uv.lock"))
    assert res.exit_code == 2 and "is a FIFO (named pipe), not a regular file" in res.output
    res = rebuild(tmp_path / "link", wheelhouse, "--lock", str(tmp_path / "link" / "requirements.txt"))
    assert res.exit_code == 2 and "is a symlink to a file outside the project" in res.output


def test_keep_refuses_a_non_empty_directory(tmp_path: Path, wheelhouse: Path) -> None:
    h = sha(wheelhouse / "alpha-1.0-py3-none-any.whl")
    root = write(tmp_path / "proj", {"requirements.txt": f"alpha==1.0 --hash=sha256:{h}\n"})
    res = rebuild(root, wheelhouse, "--keep", str(root))  # the project itself
    assert res.exit_code == 2 and "exists and is not empty" in res.output
    assert sorted(p.name for p in root.iterdir()) == ["requirements.txt"]


def test_a_lock_named_with_escapes_is_printed_escaped(tmp_path: Path, wheelhouse: Path) -> None:
    h = sha(wheelhouse / "alpha-1.0-py3-none-any.whl")
    root = write(tmp_path / "proj", {"requirements\x1b[2J.txt": f"alpha==1.0 --hash=sha256:{h}\n"})
    res = invoke("rebuild", str(root), "--no-index", "--find-links", str(wheelhouse), "--installer", "pip")
    assert res.exit_code == 0, res.output
    assert "\x1b" not in res.stdout + res.stderr
    assert "from requirements\\x1b[2J.txt" in res.stdout and "lock: requirements\\x1b[2J.txt" in res.stderr
