"""`envaudit fix dockerfile`: a multi-stage, pinned, non-root Dockerfile from the project's facts.

The builder stage installs the lock (with `--require-hashes` when the lock has
hashes) into a virtualenv; the runtime stage copies only that virtualenv and
the source onto a slim base (or a CUDA runtime base when torch is pinned to a
CUDA build), as a non-root user, dependencies before source.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import click

LOCK_CANDIDATES = (
    "requirements.lock",
    "requirements-lock.txt",
    "requirements.lock.txt",
    "requirements.txt",
    "requirements/base.txt",
    "requirements/prod.txt",
    "requirements/main.txt",
)
SUPPORTED = ((3, 13), (3, 12), (3, 11), (3, 10), (3, 9))
# latest patch release of each CUDA minor that NVIDIA publishes runtime images for
CUDA_PATCH = {
    (11, 8): 0,
    (12, 1): 1,
    (12, 2): 2,
    (12, 3): 2,
    (12, 4): 1,
    (12, 5): 1,
    (12, 6): 3,
    (12, 8): 1,
    (12, 9): 1,
    (13, 0): 1,
}
UID = 10001


@dataclass(frozen=True)
class Plan:
    python: str  # "3.11"
    base: str
    runtime_base: str
    lock: str | None
    hashed: bool
    cuda: str | None
    cuda_source: str | None
    cmd: list[str]
    name: str
    wheelhouse: str | None
    extra_index: str | None = None  # the PyTorch index for +cuXXX wheels (not on PyPI)


def choose_python(inv: object) -> str:
    from envaudit.rules.docker import declared_python, python_matches

    decl = declared_python(inv)  # type: ignore[arg-type]
    here = (sys.version_info[0], sys.version_info[1])
    if decl is None:
        return f"{here[0]}.{here[1]}"
    if decl[0] == "version":
        m = re.match(r"^(?:cpython-|python)?([0-9]+)\.([0-9]+)", decl[1])
        if m:
            return f"{m.group(1)}.{m.group(2)}"
    if python_matches(decl, here):
        return f"{here[0]}.{here[1]}"
    for mm in SUPPORTED:
        if python_matches(decl, mm):
            return f"{mm[0]}.{mm[1]}"
    return f"{here[0]}.{here[1]}"


def local_digest(image: str, timeout: float = 10) -> str | None:
    """`image@sha256:…` if the local engine has the image with a registry digest."""
    try:
        out = subprocess.run(
            ["docker", "image", "inspect", "--format", "{{json .RepoDigests}}", image],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    try:
        digests = json.loads(out.stdout.strip() or "[]") or []
    except ValueError:
        return None
    for d in digests:
        if "@sha256:" in d:
            return f"{image}@{d.split('@', 1)[1]}"
    return None


def find_lock(inv: object) -> tuple[str | None, bool]:
    files = set(inv.files())  # type: ignore[attr-defined]
    for cand in LOCK_CANDIDATES:
        if cand in files:
            text = inv.read(cand)  # type: ignore[attr-defined]
            return cand, bool(text and "--hash=" in text.text)
    return None, False


def guess_cmd(inv: object) -> list[str]:
    from envaudit._toml import loads

    root: Path = inv.root  # type: ignore[attr-defined]
    if (root / "pyproject.toml").is_file():
        text = inv.read("pyproject.toml")  # type: ignore[attr-defined]
        try:
            data = loads(text.text) if text else {}
        except Exception:
            data = {}
        scripts = (data.get("project") or {}).get("scripts") or {}
        if scripts:
            target = str(next(iter(scripts.values())))
            module, _, func = target.partition(":")
            return (
                ["python", "-c", f"import sys, {module} as m; sys.exit(m.{func}())"]
                if func
                else ["python", "-m", module]
            )
    for name in ("main.py", "train.py", "app.py", "run.py", "serve.py"):
        if (root / name).is_file():
            return ["python", name]
    return ["python"]


def make_plan(
    inv: object, base: str | None = None, wheelhouse: str | None = None, digest: bool = True
) -> Plan:
    from envaudit.rules.docker import torch_cuda

    py = choose_python(inv)
    lock, hashed = find_lock(inv)
    cuda = cuda_source = cu = None
    tc = torch_cuda(inv)  # type: ignore[arg-type]
    if base is None and tc is not None:
        (major, minor), rel, line = tc
        cuda = f"{major}.{minor}"
        cuda_source = f"torch build in {rel}:{line}"
        ubuntu = "24.04" if py in ("3.12", "3.13") else "22.04"
        # NVIDIA's tags: `-cudnn8-runtime-` up to CUDA 12.2, `-cudnn-runtime-` (cuDNN 9) from 12.3 on
        cudnn = "cudnn8" if (major, minor) < (12, 3) else "cudnn"
        base = (
            f"nvidia/cuda:{major}.{minor}.{CUDA_PATCH.get((major, minor), 0)}-{cudnn}-runtime-ubuntu{ubuntu}"
        )
        cu = f"cu{major}{minor}"
    if base is None:
        base = f"python:{py}-slim-bookworm"
    if digest and "@" not in base:
        base = local_digest(base) or base
    name = re.sub(r"[^a-z0-9._-]+", "-", inv.root.name.lower()).strip("-._") or "app"  # type: ignore[attr-defined]
    extra_index = None
    if cu and lock and wheelhouse is None:
        text = inv.read(lock)  # type: ignore[attr-defined]
        if text is not None and "download.pytorch.org" not in text.text:
            extra_index = f"https://download.pytorch.org/whl/{cu}"
    return Plan(
        py, base, base, lock, hashed, cuda, cuda_source, guess_cmd(inv), name, wheelhouse, extra_index
    )


def render(plan: Plan) -> str:
    from envaudit.templating import render_template

    if plan.lock is None:
        lock_note = "No lock file found: run `envaudit fix requirements` and regenerate."
    elif plan.hashed:
        lock_note = f"Dependencies: {plan.lock} (pinned with hashes; pip refuses anything else)."
    else:
        lock_note = f"Dependencies: {plan.lock} (no hashes: `envaudit fix requirements` adds them)."
    return render_template(
        "Dockerfile.j2",
        python=plan.python,
        base=plan.base,
        runtime_base=plan.runtime_base,
        lock=plan.lock or "requirements.txt",
        lock_name=(plan.lock or "requirements.txt").rsplit("/", 1)[-1],
        hashed=plan.hashed,
        cuda=plan.cuda,
        cuda_source=plan.cuda_source,
        python_cmd=f"python{plan.python}" if plan.cuda else "python",
        cmd=json.dumps(plan.cmd),
        image_name=plan.name,
        uid=UID,
        wheelhouse=plan.wheelhouse.rstrip("/") if plan.wheelhouse else None,
        lock_note=lock_note,
        extra_index=plan.extra_index,
    )


@click.command()
@click.argument("path", default=".", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--write", is_flag=True, help="Write the file instead of showing a diff.")
@click.option(
    "--output", "output", default="Dockerfile", show_default=True, help="File to write, relative to PATH."
)
@click.option(
    "--base", metavar="IMAGE", help="Base image for both stages (default: from the project's Python / CUDA)."
)
@click.option(
    "--wheelhouse", metavar="DIR", help="Install from this folder of the project (offline: --no-index)."
)
@click.option(
    "--no-digest", is_flag=True, help="Do not ask the local Docker engine for the base image's digest."
)
def command(
    path: Path, write: bool, output: str, base: str | None, wheelhouse: str | None, no_digest: bool
) -> None:
    """Generate a multi-stage Dockerfile: locked deps in a builder, slim non-root runtime."""
    from envaudit.fixes._write import UnsafeWrite, atomic_write, unified_diff
    from envaudit.inventory import Inventory

    inv = Inventory(path)
    plan = make_plan(inv, base=base, wheelhouse=wheelhouse, digest=not no_digest)
    new = render(plan)
    target = inv.root / output
    old = target.read_text(encoding="utf-8", errors="replace") if target.is_file() else ""
    if not write:
        diff = unified_diff(old, new, output)
        click.echo(diff or f"{output} is up to date", nl=not diff)
        return
    try:
        atomic_write(inv.root, target, new)
    except UnsafeWrite as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote {output}", err=True)
