"""`envaudit rebuild` refuses a lock whose hash pip cannot check (an algorithm other than
sha256/384/512, a digest of the wrong length or not hex) before any installer runs, naming
the file, the line and the package; a valid sha256 or sha512 installs. Offline: the wheels
are built by the test."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from envaudit.pinhash import first_difference, hash_problem
from envaudit.prove import rebuild as rebuild_mod
from tests.conftest import invoke, write
from tests.wheelhouse import build_wheel


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    wh = tmp_path_factory.mktemp("wheelhouse")
    build_wheel(wh, "alpha", "1.0")
    build_wheel(wh, "beta", "2.0")
    return wh


def digest(path: Path, alg: str = "sha256") -> str:
    return hashlib.new(alg, path.read_bytes()).hexdigest()


@pytest.fixture
def no_installer(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records any attempt to make an environment or run an installer."""
    ran: list[str] = []
    monkeypatch.setattr(rebuild_mod.Installer, "make_env", lambda *a, **k: ran.append("make_env"))
    monkeypatch.setattr(rebuild_mod.Installer, "install", lambda *a, **k: ran.append("install") or (1, ""))
    return ran


def rebuild(root: Path, wh: Path, *args: str) -> Any:
    return invoke("rebuild", str(root), "--no-index", "--find-links", str(wh), "-q", *args)


@pytest.mark.parametrize("installer", ["pip", "uv"])
def test_short_digest_refused_before_installing_naming_only_its_line(
    tmp_path: Path, wheelhouse: Path, no_installer: list[str], installer: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = digest(wheelhouse / "beta-2.0-py3-none-any.whl")
    short = digest(wheelhouse / "alpha-1.0-py3-none-any.whl")[:63]
    root = write(
        tmp_path / "proj",
        {
            "requirements.txt": f"alpha==1.0 \\\n    --hash=sha256:{short}\nbeta==2.0 \\\n    --hash=sha256:{good}\n"
        },
    )
    monkeypatch.setattr(rebuild_mod, "pick_installer", lambda requested: requested)  # uv may be absent
    res = rebuild(root, wheelhouse, "--installer", installer)
    assert res.exit_code == 2, res.output
    assert (
        "requirements.txt:1: the hash of `alpha` has a sha256 digest of 63 hex characters, not 64"
        in res.output
    )
    assert "beta" not in res.output and "nothing was installed" in res.output
    assert no_installer == []


def test_algorithm_pip_refuses_in_requirements_and_in_a_lock(
    tmp_path: Path, wheelhouse: Path, no_installer: list[str]
) -> None:
    md5 = digest(wheelhouse / "alpha-1.0-py3-none-any.whl", "md5")
    root = write(tmp_path / "req", {"requirements.txt": f"alpha==1.0 --hash=md5:{md5}\n"})
    res = rebuild(root, wheelhouse, "--installer", "pip")
    assert res.exit_code == 2 and "requirements.txt:1: the hash of `alpha`" in res.output
    assert "`md5`, which pip does not accept (only sha256, sha384, sha512)" in res.output
    # a uv.lock: the same rule, with the lock's line
    good = digest(wheelhouse / "beta-2.0-py3-none-any.whl")
    lock = (
        'version = 1\nrequires-python = ">=3.8"\n\n'
        '[[package]]\nname = "beta"\nversion = "2.0"\nsource = { registry = "https://pypi.org/simple" }\n'
        f'wheels = [{{ url = "https://x/beta-2.0-py3-none-any.whl", hash = "sha256:{good}" }}]\n\n'
        '[[package]]\nname = "alpha"\nversion = "1.0"\nsource = { registry = "https://pypi.org/simple" }\n'
        f'wheels = [{{ url = "https://x/alpha-1.0-py3-none-any.whl", hash = "sha256:{good}0" }}]\n'
    )
    root = write(tmp_path / "uv", {"uv.lock": lock})
    res = rebuild(root, wheelhouse, "--installer", "pip")
    assert res.exit_code == 2, res.output
    assert "uv.lock:" in res.output and "the hash of `alpha` has a sha256 digest of 65 hex" in res.output
    assert "beta" not in res.output and no_installer == []


def test_valid_sha256_and_sha512_install(tmp_path: Path, wheelhouse: Path) -> None:
    a = wheelhouse / "alpha-1.0-py3-none-any.whl"
    b = wheelhouse / "beta-2.0-py3-none-any.whl"
    root = write(
        tmp_path / "proj",
        {
            "requirements.txt": f"alpha==1.0 --hash=sha512:{digest(a, 'sha512')}\nbeta==2.0 --hash=sha256:{digest(b).upper()}\n"
        },
    )
    res = rebuild(root, wheelhouse, "--installer", "pip", "--format", "json")
    assert res.exit_code == 0, res.output
    rec = json.loads(res.stdout)
    assert rec["ok"] and {(p["name"], p["version"]) for p in rec["installed"]} == {
        ("alpha", "1.0"),
        ("beta", "2.0"),
    }


def test_hash_problem_and_first_difference() -> None:
    assert hash_problem("sha256:" + "a" * 64) is None
    assert hash_problem("sha384:" + "B" * 96) is None
    assert hash_problem("sha512:" + "c" * 128) is None
    assert hash_problem("a" * 64, default="sha256") is None  # a lock's bare sha256
    assert hash_problem("a" * 64) == "has no algorithm (expected sha256:<hex>)"
    assert "not 64" in (hash_problem("sha256:" + "a" * 63) or "")
    assert "not hexadecimal" in (hash_problem("sha256:" + "z" * 64) or "")
    assert "`sha1`" in (hash_problem("sha1:" + "a" * 40) or "")
    assert first_difference("abcd", "abXd") == 3 and first_difference("ABC", "abc") == 4
    assert first_difference("abc", "abcd") == 4
