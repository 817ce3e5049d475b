"""`envaudit rebuild`: a real fresh environment built by pip from wheels the test makes,
offline (`--no-index --find-links`), never from this machine's pip configuration."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import textwrap
from pathlib import Path
from typing import Any

import pytest

from envaudit.prove.rebuild import Pin, classify, lock_drift
from tests.conftest import docker_available, invoke, write
from tests.wheelhouse import build_wheel


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    wh = tmp_path_factory.mktemp("wheelhouse")
    build_wheel(wh, "alpha", "1.0")
    build_wheel(wh, "beta", "2.0")
    build_wheel(wh, "beta", "1.5")
    gamma = build_wheel(wh, "gamma", "1.0")
    gamma.rename(wh / "gamma-1.0-cp27-cp27m-win32.whl")  # a wheel for another platform only
    compiled_sdist(wh, "cext", "0.1")
    return wh


def compiled_sdist(wh: Path, name: str, version: str) -> Path:
    """An sdist whose build needs a C compiler it cannot find (CC points nowhere), with an
    in-tree build backend that reports the failure in setuptools' own words."""
    backend = textwrap.dedent(
        f"""
        import os, shutil, subprocess, sys

        def get_requires_for_build_wheel(config_settings=None):
            return []

        def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
            d = os.path.join(metadata_directory, "{name}-{version}.dist-info")
            os.makedirs(d)
            with open(os.path.join(d, "METADATA"), "w") as fh:
                fh.write("Metadata-Version: 2.1\\nName: {name}\\nVersion: {version}\\n")
            return os.path.basename(d)

        def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
            cc = "/nonexistent/envaudit-test-gcc"
            try:
                subprocess.check_call([cc, "-c", "ext.c"])
            except OSError as exc:
                sys.exit(f"error: command '{{cc}}' failed: {{exc.strerror}}")
        """
    )
    files = {
        "pyproject.toml": '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n',
        "backend.py": backend,
        "ext.c": "int f(void) { return 1; }\n",
        "PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
    }
    path = wh / f"{name}-{version}.tar.gz"
    with tarfile.open(path, "w:gz") as tf:
        for rel, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{name}-{version}/{rel}")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return path


def hashed(wh: Path, pins: dict[str, str], bad_hash: tuple[str, ...] = ()) -> str:
    lines = []
    for name, version in pins.items():
        files = sorted(wh.glob(f"{name}-{version}*"))
        digest = "0" * 64 if name in bad_hash or not files else sha(files[0])
        lines.append(f"{name}=={version} --hash=sha256:{digest}")
    return "\n".join(lines) + "\n"


@pytest.fixture(params=["pip", "uv"])
def installer(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both installers rebuild: pip, and uv where it is installed (the `test` extra has it)."""
    if request.param == "uv":
        monkeypatch.setenv("PATH", os.pathsep.join((str(Path(sys.executable).parent), os.environ["PATH"])))
        if shutil.which("uv") is None:
            pytest.skip("uv is not installed (pip install uv)")
    return str(request.param)


def rebuild(root: Path, wh: Path, *args: str) -> tuple[int, dict[str, Any]]:
    res = invoke("rebuild", str(root), "--no-index", "--find-links", str(wh), "--format", "json", "-q", *args)
    assert res.exit_code in (0, 1), res.output
    return res.exit_code, json.loads(res.stdout)


@pytest.mark.slow
def test_clean_rebuild_from_hashed_requirements(tmp_path: Path, wheelhouse: Path, installer: str) -> None:
    root = write(tmp_path / "proj", {"requirements.txt": hashed(wheelhouse, {"alpha": "1.0", "beta": "2.0"})})
    keep = tmp_path / "env"
    code, rec = rebuild(root, wheelhouse, "--keep", str(keep), "--installer", installer)
    assert code == 0, rec
    assert rec == {
        "schema": "envaudit/rebuild/1",
        "ok": True,
        "installed": [{"name": "alpha", "version": "1.0"}, {"name": "beta", "version": "2.0"}],
        "failed": [],
        "drift": [],
    }
    # a real environment: its interpreter imports what was installed
    out = subprocess.run(
        [str(keep / "bin" / "python"), "-c", "import beta; print(beta.__version__)"],
        capture_output=True,
        text=True,
    )
    assert out.stdout.strip() == "2.0"


@pytest.mark.slow
def test_each_failure_named_with_its_reason(
    tmp_path: Path, wheelhouse: Path, monkeypatch: pytest.MonkeyPatch, installer: str
) -> None:
    pins = {"alpha": "1.0", "beta": "3.0", "gamma": "1.0", "cext": "0.1", "delta": "1.0"}
    root = write(tmp_path / "proj", {"requirements.txt": hashed(wheelhouse, pins, bad_hash=("alpha",))})
    monkeypatch.setenv("CC", "/nonexistent/envaudit-test-gcc")
    # --allow-sdist: cext is an sdist, built (and failing) only when asked
    code, rec = rebuild(root, wheelhouse, "--installer", installer, "--allow-sdist")
    assert code == 1 and rec["ok"] is False
    reasons = {f["name"]: (f["version"], f["reason"]) for f in rec["failed"]}
    assert set(reasons) == {"alpha", "beta", "gamma", "cext", "delta"}
    assert reasons["alpha"][1].startswith("hash mismatch")
    assert reasons["beta"][0] == "3.0" and reasons["beta"][1].startswith("version not on the index")
    # both hashes, as pip and uv print them
    assert (
        "0000000000000000" in reasons["alpha"][1]
        and sha(wheelhouse / "alpha-1.0-py3-none-any.whl")[:12] in (reasons["alpha"][1])
    )
    if installer == "pip":  # pip also says what the index has
        assert reasons["alpha"][1].startswith("hash mismatch: the lock has sha256:0000")
        assert reasons["beta"][1] == "version not on the index (the index has: 1.5, 2.0)"
    assert reasons["delta"] == ("1.0", "version not on the index")
    assert reasons["gamma"][1].startswith("no wheel for this platform or Python")
    assert "cp27" in reasons["gamma"][1] or "Python implementation" in reasons["gamma"][1]
    assert reasons["cext"][1].startswith("needs a compiler")
    assert rec["installed"] == [] and rec["drift"] == []


def test_machine_pip_config_is_not_carried(
    tmp_path: Path, wheelhouse: Path, monkeypatch: pytest.MonkeyPatch, installer: str
) -> None:
    """PIP_FIND_LINKS (UV_FIND_LINKS) points at a wheelhouse that has alpha; the rebuild is
    told to use an empty index, so alpha must not be found: the installer itself decides
    here (no --no-index, so no offline pre-check)."""
    root = write(tmp_path / "proj", {"requirements.txt": hashed(wheelhouse, {"alpha": "1.0"})})
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PIP_FIND_LINKS", str(wheelhouse))
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("UV_FIND_LINKS", str(wheelhouse))
    monkeypatch.setenv("UV_NO_INDEX", "1")
    res = invoke(
        "rebuild",
        str(root),
        "--index-url",
        empty.as_uri(),
        "--installer",
        installer,
        "--format",
        "json",
        "-q",
    )
    code, rec = res.exit_code, json.loads(res.stdout)
    assert code == 1 and rec["failed"] == [
        {"name": "alpha", "version": "1.0", "reason": "version not on the index"}
    ]


@pytest.mark.slow
def test_poetry_lock_and_against_snapshot(tmp_path: Path, wheelhouse: Path) -> None:
    alpha, beta = wheelhouse / "alpha-1.0-py3-none-any.whl", wheelhouse / "beta-2.0-py3-none-any.whl"
    lock = f"""
        [[package]]
        name = "alpha"
        version = "1.0"
        description = ""
        optional = false
        python-versions = "*"
        files = [{{file = "{alpha.name}", hash = "sha256:{sha(alpha)}"}}]

        [[package]]
        name = "beta"
        version = "2.0"
        description = ""
        optional = false
        python-versions = "*"
        files = [{{file = "{beta.name}", hash = "sha256:{sha(beta)}"}}]

        [metadata]
        lock-version = "2.0"
        python-versions = ">=3.10"
        content-hash = "0"
    """
    pyproject = """
        [tool.poetry]
        name = "proj"
        version = "0.1.0"
        [tool.poetry.dependencies]
        python = ">=3.10"
        alpha = "1.0"
        beta = "2.0"
    """
    root = write(tmp_path / "proj", {"poetry.lock": lock, "pyproject.toml": pyproject})
    keep = tmp_path / "env"
    code, rec = rebuild(root, wheelhouse, "--keep", str(keep))
    assert code == 0 and [p["name"] for p in rec["installed"]] == ["alpha", "beta"], rec
    # a snapshot of that environment, then edited as if beta had been 1.5 when it was taken
    snap = tmp_path / "snap.json"
    assert (
        invoke("snapshot", str(root), "--python", str(keep / "bin" / "python"), "-o", str(snap)).exit_code
        == 0
    )
    data = json.loads(snap.read_text())
    data["packages"]["beta"]["version"] = "1.5"
    del data["packages"]["alpha"]
    snap.write_text(json.dumps(data))
    code, rec = rebuild(root, wheelhouse, "--against", str(snap))
    assert code == 1 and rec["drift"] == [
        {"name": "alpha", "locked": None, "built": "1.0", "source": "snapshot", "recorded": None},
        {"name": "beta", "locked": None, "built": "2.0", "source": "snapshot", "recorded": "1.5"},
    ]


@pytest.mark.slow
def test_many_missing_found_at_once_offline(tmp_path: Path, wheelhouse: Path) -> None:
    pins = {f"missing{i}": "1.0" for i in range(40)} | {"alpha": "1.0"}
    root = write(tmp_path / "proj", {"requirements.txt": hashed(wheelhouse, pins)})
    code, rec = rebuild(root, wheelhouse, "--installer", "pip")
    assert (
        code == 1 and len(rec["failed"]) == 40 and rec["installed"] == [{"name": "alpha", "version": "1.0"}]
    )
    assert {f["reason"] for f in rec["failed"]} == {"version not on the index"}


def test_usage_errors(tmp_path: Path, wheelhouse: Path) -> None:
    root = write(tmp_path / "proj", {"requirements.txt": "alpha\n"})
    res = invoke("rebuild", str(root), "--no-index", "--find-links", str(wheelhouse))
    assert res.exit_code == 2 and "no lock found" in res.output
    res = invoke("rebuild", str(root), "--no-index")
    assert res.exit_code == 2 and "--find-links" in res.output
    res = invoke(
        "rebuild",
        str(root),
        "--lock",
        str(root / "requirements.txt"),
        "--no-index",
        "--find-links",
        str(wheelhouse),
    )
    assert res.exit_code == 2 and "not a lock envaudit can read" in res.output
    res = invoke("rebuild", str(root), "--lock", str(tmp_path / "elsewhere.txt"))
    assert res.exit_code == 2 and "no such file" in res.output
    # pinned but unhashed: say how to make it a lock, not "no lock found"
    write(root, {"requirements.txt": "alpha==1.0\n"})
    res = invoke("rebuild", str(root), "--no-index", "--find-links", str(wheelhouse))
    assert res.exit_code == 2 and "no lock found" not in res.output
    assert "requirements.txt pins without --hash" in res.output and "envaudit fix pins --write" in res.output
    # a conda lock: the refusal names the file (no literal placeholder)
    conda = write(
        tmp_path / "conda", {"conda-linux-64.lock": "@EXPLICIT\nhttps://example.invalid/a-1.0-0.conda#0\n"}
    )
    res = invoke("rebuild", str(conda), "--no-index", "--find-links", str(wheelhouse))
    assert res.exit_code == 2 and "--file conda-linux-64.lock`" in res.output and "{rel}" not in res.output


def test_text_report(tmp_path: Path, wheelhouse: Path) -> None:
    root = write(tmp_path / "proj", {"requirements.txt": hashed(wheelhouse, {"alpha": "1.0", "beta": "9.9"})})
    res = invoke(
        "rebuild", str(root), "--no-index", "--find-links", str(wheelhouse), "-q", "--installer", "pip"
    )
    assert res.exit_code == 1
    assert "RUN001 beta==9.9: version not on the index (the index has: 1.5, 2.0)" in res.stdout
    assert res.stdout.rstrip().endswith("Clean environment FAILED.")


def test_classify_requires_python_and_drift() -> None:
    out = (
        "Link requires a different Python (3.11.7 not in: '>=3.13'): file:///w/zeta-2.0-py3-none-any.whl\n"
        "ERROR: Could not find a version that satisfies the requirement zeta==2.0 (from versions: 1.0)\n"
    )
    ((name, version, reason),) = classify(out, {"zeta": Pin("zeta", "2.0", ())})
    assert (name, version) == (
        "zeta",
        "2.0",
    ) and reason == "no wheel for this platform or Python (it requires Python '>=3.13')"
    pins = [Pin("a", "1.0", ()), Pin("b", "2.0", ()), Pin("c", "1.0", ())]
    got = lock_drift(pins, [("a", "1.0.0"), ("b", "2.1"), ("x", "0.1")], [("c", "1.0", "hash mismatch")])
    assert got == [("b", "2.0", "2.1"), ("x", None, "0.1")]


@pytest.mark.docker
@pytest.mark.slow
@pytest.mark.skipif(not docker_available(), reason="no Docker engine running")
def test_docker_image_compared_with_the_lock(tmp_path: Path, wheelhouse: Path) -> None:
    from tests.docker.images import ensure_base_image

    try:
        base = ensure_base_image()
    except RuntimeError as exc:  # pragma: no cover - depends on the interpreter
        pytest.skip(str(exc))
    root = write(
        tmp_path / "proj",
        {
            "requirements.txt": hashed(wheelhouse, {"alpha": "1.0", "beta": "2.0"}),
            "Dockerfile": f"""
                FROM {base}
                COPY wheels/ /wheels/
                RUN python3 -m ensurepip >/dev/null && python3 -m pip install --no-index --no-deps /wheels/alpha-1.0-py3-none-any.whl /wheels/beta-1.5-py3-none-any.whl
            """,
        },
    )
    (root / "wheels").mkdir()
    for w in ("alpha-1.0-py3-none-any.whl", "beta-1.5-py3-none-any.whl"):
        (root / "wheels" / w).write_bytes((wheelhouse / w).read_bytes())
    res = invoke("rebuild", str(root), "--docker", "--format", "json", "-q")
    assert res.exit_code == 1, res.output
    rec = json.loads(res.stdout)
    assert {"name": "alpha", "version": "1.0"} in rec["installed"]
    assert rec["drift"] == [{"name": "beta", "locked": "2.0", "built": "1.5", "source": "lock"}]


def test_classify_missing_header_and_uv_hash_values() -> None:
    pins = {"cext": Pin("cext", "0.1", ()), "alpha": Pin("alpha", "1.0", ())}
    pip_out = (
        "  ext.c:1:10: fatal error: zlib.h: No such file or directory\n"
        "  error: command '/usr/bin/gcc' failed with exit code 1\n"
        "ERROR: Failed to build cext\n"
    )
    ((name, version, reason),) = classify(pip_out, pins)
    assert (name, version) == ("cext", "0.1")
    assert reason == "build failed: missing header zlib.h (install its -dev package)"
    clang = "ext.c:1:10: fatal error: 'Python.h' file not found\nERROR: Failed to build cext\n"
    ((_, _, reason),) = classify(clang, pins)
    assert reason.startswith("build failed: missing header Python.h (install python3-dev")
    # no header named: a compiler that is missing is still "needs a compiler"
    ((_, _, reason),) = classify(
        "error: command 'gcc' failed: No such file\nERROR: Failed to build cext\n", pins
    )
    assert reason.startswith("needs a compiler")
    uv_out = (
        "error: Failed to download `alpha==1.0`\n  cause: Hash mismatch for `alpha==1.0`\n\n"
        "         Expected:\n           sha256:"
        + "0" * 64
        + "\n\n         Computed:\n           sha256:"
        + "ab" * 32
        + "\n"
    )
    ((name, version, reason),) = classify(uv_out, pins)
    assert (name, version) == ("alpha", "1.0")
    # both in full, and where they part: a shortened prefix can read the same on both sides
    assert reason == (
        f"hash mismatch: the lock has sha256:{'0' * 64}, the file has sha256:{'ab' * 32}"
        " (they differ from hex digit 1)"
    )
