"""The fixers end to end, per project type (pip requirements, PEP 621 pyproject, Poetry):
an unpinned project -> `fix pins --write` -> the README's CI-gate recipe, verbatim, in a
fresh venv installing offline from a wheelhouse the test builds (`pip install
--require-hashes --no-deps -r`, then `check --select DEP` must pass) -> `fix dockerfile
--write` -> `docker build` from a locally made base image -> `docker run` as the image's
user, which writes its outputs.

No registry and no pip configuration of this machine is used: the wheels are built here
(tests/wheelhouse.py), pip runs with PIP_CONFIG_FILE=/dev/null and --no-index."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.conftest import check, docker_available, invoke, write
from tests.wheelhouse import demo_wheelhouse

REPO = Path(__file__).resolve().parents[2]

TRAIN = '''"""Train: writes its result where the image's user must be able to write."""

import os

import alpha


def main() -> None:
    os.makedirs("outputs", exist_ok=True)
    with open(os.path.join("outputs", "result.txt"), "w") as fh:
        fh.write(f"alpha {alpha.__version__} uid {os.getuid()}")


if __name__ == "__main__":
    main()
'''

PROJECTS: dict[str, dict[str, str]] = {
    "requirements": {"requirements.txt": "alpha>=1\n"},
    "pyproject": {
        "pyproject.toml": """
            [build-system]
            requires = ["hatchling"]
            build-backend = "hatchling.build"

            [project]
            name = "demo"
            version = "0.1"
            requires-python = ">=3.10"
            dependencies = ["alpha>=1"]

            [tool.hatch.build.targets.wheel]
            only-include = ["train.py"]
        """,
    },
    "poetry": {
        "pyproject.toml": """
            [tool.poetry]
            name = "demo"
            version = "0.1.0"
            description = ""
            authors = ["A <a@example.com>"]

            [tool.poetry.dependencies]
            python = "^3.10"
            alpha = "^1.0"

            [tool.poetry.group.dev.dependencies]
            delta = "*"
        """,
    },
}


def ci_recipe() -> str:
    """The shell lines of README.md's CI-gate recipe (the `run: |` blocks), verbatim."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("### CI gate", 1)[1].split("\n## ", 1)[0]
    block = section.split("```yaml", 1)[1].split("```", 1)[0]
    lines: list[str] = []
    in_run = False
    for ln in block.splitlines():
        if ln.strip() == "run: |":
            in_run = True
            continue
        if in_run and ln.startswith("    ") and ln.strip():
            lines.append(ln.strip())
        else:
            in_run = False
    assert lines, "README's CI gate has no `run: |` lines"
    return "\n".join(lines)


def shims(folder: Path) -> Path:
    """`python`, `pip` and `envaudit` as a CI runner has them after `pip install envaudit`:
    this interpreter, which has envaudit installed (so `pip install envaudit` is satisfied
    offline) and runs this checkout's code."""
    folder.mkdir()
    for name, run in (("python", ""), ("pip", " -m pip"), ("envaudit", " -m envaudit")):
        p = folder / name
        p.write_text(f'#!/bin/sh\nexec "{sys.executable}"{run} "$@"\n')
        p.chmod(p.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return folder


def offline_env(root: Path, bin_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
        PIP_CONFIG_FILE=os.devnull,
        PIP_NO_INDEX="1",
        PIP_FIND_LINKS=str(root / "wheels"),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PYTHONPATH=str(REPO),
    )
    return env


@pytest.fixture
def pinned(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, Path]:
    """Steps 1-2: an unpinned project of the given type, then `fix pins --write`."""
    kind: str = request.param
    root = write(tmp_path / kind, {**PROJECTS[kind], "train.py": TRAIN})
    demo_wheelhouse(root / "wheels")
    assert "DEP002" in {f.code for f in check(root, "DEP").findings} or kind != "requirements"
    args = ["fix", "pins", str(root), "--resolve", "--no-index", "-f", "wheels", "--write"]
    if kind == "pyproject":
        args.append("--no-build-isolation")
    res = invoke(*args, env={"PIP_CONFIG_FILE": os.devnull})
    assert res.exit_code == 0, res.output
    lock = (root / "requirements.txt").read_text()
    assert re.search(r"^alpha==1\.0 \\$", lock, re.MULTILINE) and lock.count("--hash=sha256:") == 3
    assert "file://" not in lock and "--find-links" not in lock and str(root) not in lock
    assert "delta" not in lock  # a dev group / win32-only dependency stays out
    if kind == "requirements":
        assert (root / "requirements.in").read_text() == "alpha>=1\n"  # the ranges are kept
    return kind, root


@pytest.mark.slow
@pytest.mark.parametrize("pinned", sorted(PROJECTS), indirect=True)
def test_pinned_lock_installs_offline_with_hashes_and_passes_the_ci_gate(
    pinned: tuple[str, Path], tmp_path: Path
) -> None:
    """Steps 3-4: the README's CI-gate recipe, verbatim, in the project."""
    _kind, root = pinned
    env = offline_env(root, shims(tmp_path / "bin"))
    proc = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", ci_recipe()],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    site = next((root / ".venv" / "lib").glob("python*/site-packages"))
    assert {p.name.split("-")[0] for p in site.glob("*.dist-info")} >= {"alpha", "beta", "gamma"}
    found = check(root, "DEP", python=str(root / ".venv")).findings
    assert [f"{f.code} {f.location}: {f.message}" for f in found if f.severity.label != "info"] == []


@pytest.mark.docker
@pytest.mark.slow
@pytest.mark.skipif(not docker_available(), reason="no Docker engine running (docker info failed)")
@pytest.mark.parametrize("pinned", sorted(PROJECTS), indirect=True)
def test_generated_dockerfile_builds_and_runs_as_its_user(pinned: tuple[str, Path]) -> None:
    """Steps 5-7."""
    from tests.docker.images import ensure_base_image

    kind, root = pinned
    try:
        base = ensure_base_image()
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"cannot make a local base image from this interpreter: {exc}")
    (root / ".venv").mkdir()  # a local venv must stay out of the build context
    (root / ".venv" / "big").write_bytes(b"0" * 1024)
    res = invoke(
        "fix", "dockerfile", str(root), "--write", "--no-digest", "--base", base, "--wheelhouse", "wheels"
    )
    assert res.exit_code == 0, res.output
    assert ".venv" in (root / ".dockerignore").read_text().splitlines()
    dkr = [f for f in check(root, "DKR").findings if f.severity.label != "info"]
    assert dkr == [], [f"{f.code} {f.location}: {f.message}" for f in dkr]
    tag = f"envaudit-test/e2e-{kind}:{uuid.uuid4().hex[:8]}"
    name = f"envaudit-e2e-{uuid.uuid4().hex[:8]}"
    try:
        build = subprocess.run(
            ["docker", "build", "-q", "-t", tag, str(root)], capture_output=True, text=True, timeout=300
        )
        assert build.returncode == 0, build.stderr[-3000:]
        run = subprocess.run(
            ["docker", "run", "--name", name, tag], capture_output=True, text=True, timeout=120
        )
        assert run.returncode == 0, run.stderr[-2000:]
        out = subprocess.run(
            ["docker", "cp", f"{name}:/app/outputs/result.txt", str(root / "result.txt")],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 0, out.stderr
        assert (root / "result.txt").read_text() == "alpha 1.0 uid 10001"
        files = subprocess.run(
            ["docker", "run", "--rm", tag, "python", "-c", "import os; print(sorted(os.listdir('.')))"],
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout
        assert "train.py" in files and "wheels" not in files and ".venv" not in files
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True, timeout=60)
        subprocess.run(["docker", "image", "rm", "-f", tag], capture_output=True, timeout=60)
