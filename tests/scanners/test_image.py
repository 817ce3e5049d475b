"""`check --image`: a real image built FROM scratch by the test, read without running it."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from envaudit.inventory import Inventory
from tests.conftest import check, docker_available, git_init, invoke, write
from tests.fakeenv import make_venv

needs_docker = pytest.mark.skipif(not docker_available(), reason="no Docker engine running")


def commit(root: Path) -> str:
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@e",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@e",
    }
    import os

    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True, env={**os.environ, **env})
    subprocess.run(["git", "-C", str(root), "commit", "-qm", "x"], check=True, env={**os.environ, **env})
    return subprocess.run(
        ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()


def build_scratch_image(ctx: Path, dists: dict[str, str], *, user: str | None, labels: dict[str, str]) -> str:
    files: dict[str, str] = {}
    for name, version in dists.items():
        d = f"rootfs/usr/lib/python3.11/site-packages/{name.replace('-', '_')}-{version}.dist-info"
        files[f"{d}/METADATA"] = (
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\nlong description\n"
        )
    lines = ["FROM scratch", "COPY rootfs/ /", "ENV HF_TOKEN=hf_secretsecretsecretsecretsecret1234 MODE=prod"]
    lines += [f'LABEL {k}="{v}"' for k, v in labels.items()]
    if user:
        lines.append(f"USER {user}")
    files["Dockerfile"] = "\n".join(lines) + "\n"
    write(ctx, files)
    tag = f"envaudit-test/scratch:{uuid.uuid4().hex[:8]}"
    proc = subprocess.run(
        ["docker", "build", "-q", "-t", tag, str(ctx)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    return tag


@pytest.fixture
def images() -> Iterator[list[str]]:
    made: list[str] = []
    yield made
    for tag in made:
        subprocess.run(["docker", "image", "rm", "-f", tag], capture_output=True, timeout=60)


@needs_docker
def test_image_facts_and_drift(tmp_path: Path, images: list[str]) -> None:
    root = write(tmp_path / "proj", {"requirements.txt": "demo-dep==1.0\nfoo==2.1\nbar==3.0\ntorch==2.3.1\n"})
    git_init(root)
    head = commit(root)
    tag = build_scratch_image(
        tmp_path / "ctx",
        {"demo-dep": "1.0", "foo": "2.0", "torch": "2.3.1+cu121", "pip": "24.0"},
        user="1000",
        labels={"org.opencontainers.image.revision": "0" * 40},
    )
    images.append(tag)
    inv = Inventory(root, image=tag)
    facts = inv.get("image")
    assert facts.available and facts.user == "1000"
    assert dict(facts.env)["HF_TOKEN"] == "***" and dict(facts.env)["MODE"] == "prod"
    assert {d.canonical: d.version for d in facts.dists} == {
        "demo-dep": "1.0",
        "foo": "2.0",
        "torch": "2.3.1+cu121",
        "pip": "24.0",
    }
    assert any("COPY" in h for h in facts.history)
    # no container is left behind
    left = subprocess.run(
        ["docker", "ps", "-a", "--filter", f"ancestor={tag}", "-q"], capture_output=True, text=True
    )
    assert left.stdout.strip() == ""

    # the pins are judged in the image; the local target is an empty venv, so that what
    # the test runner's own environment holds (torch, for the rerun tests) cannot count
    empty = tmp_path / "empty-env"
    make_venv(empty, {})
    res = check(root, "DEP006,DKR019,DKR009", image=tag, python=str(empty))
    got = sorted((f.code, f.location.path, f.location.line) for f in res.findings)
    assert got == [
        ("DEP006", "requirements.txt", 2),  # foo 2.0 in the image, 2.1 pinned
        ("DEP006", "requirements.txt", 3),  # bar missing; torch 2.3.1 is satisfied by 2.3.1+cu121
        ("DKR019", None, None),  # drift
        ("DKR019", None, None),  # revision label is not HEAD
    ]
    messages = " ".join(f.message for f in res.findings)
    assert f"is not HEAD {head[:12]}" in messages and "hf_secret" not in messages
    [secret] = check(root, "DKR017", image=tag).findings
    assert "HF_TOKEN" in secret.message and "hf_secret" not in secret.message

    # rebuilt from HEAD with the lock's versions: clean, and root is reported
    tag2 = build_scratch_image(
        tmp_path / "ctx2",
        {"demo-dep": "1.0", "foo": "2.1", "bar": "3.0", "torch": "2.3.1"},
        user=None,
        labels={"org.opencontainers.image.revision": head},
    )
    images.append(tag2)
    res = check(root, "DEP006,DKR019,DKR009", image=tag2, python=str(empty))
    assert [(f.code, f.location.path) for f in res.findings] == [("DKR009", None)]


@needs_docker
def test_unknown_image_is_a_one_line_skip(tmp_path: Path) -> None:
    res = invoke(
        "check", str(tmp_path), "--select", "DKR019,EA002", "--image", "envaudit-test/none:404", "--no-color"
    )
    # an image that cannot be inspected is a usage error: the gate must not pass without it
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert "--image envaudit-test/none:404: cannot be inspected (not found)" in res.stderr
    # the library keeps the one-line skip
    inv = Inventory(tmp_path, image="envaudit-test/none:404")
    assert not inv.get("image").available
    assert any("not found in the local Docker engine" in d.message for d in inv.diagnostics)


def test_no_daemon_is_a_one_line_skip(tmp_path: Path) -> None:
    t = time.perf_counter()
    inv = Inventory(tmp_path, image="x:1", environ={"DOCKER_HOST": f"unix://{tmp_path}/no.sock"})
    facts = inv.get("image")
    assert not facts.available and time.perf_counter() - t < 30
    [d] = inv.diagnostics
    assert d.code == "EA002" and "Docker daemon not reachable" in d.message and "\n" not in d.message
    res = check(
        tmp_path,
        "DKR019,DEP006,DKR009,EA002",
        image="x:1",
        python=sys.executable,
        environ={"DOCKER_HOST": f"unix://{tmp_path}/no.sock"},
    )
    assert [f.code for f in res.findings] == ["EA002"]


def test_without_image_nothing_is_scanned(tmp_path: Path) -> None:
    res = check(tmp_path, "DKR019,DEP006", python=sys.executable)
    assert res.findings == [] and not res.inventory.has("image")


def test_daemon_that_never_answers_is_bounded(tmp_path: Path) -> None:
    import socket

    sock_path = tmp_path / "mute.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(sock_path))
    server.listen(5)  # accepts connections (kernel backlog) and never replies
    try:
        env = {"DOCKER_HOST": f"unix://{sock_path}", "ENVAUDIT_DOCKER_TIMEOUT": "1"}
        t = time.perf_counter()
        res = check(tmp_path, "DKR019,EA002", image="x:1", environ=env)
        assert time.perf_counter() - t < 15
        [f] = res.findings
        assert f.code == "EA002" and "Docker daemon not reachable" in f.message and "\n" not in f.message
    finally:
        server.close()
