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

from envaudit._lazyre import lazy_re
from envaudit.cudacompat import CUDA_IMAGE_PATCH, nvidia_cuda_tag, torch_cudnn_major

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
CUDA_PATCH = CUDA_IMAGE_PATCH
UID = 10001


MICROMAMBA = "mambaorg/micromamba:1.5.10"
MAMBA_USER = "mambauser"
DATA_DIRS = ("data", "datasets", "outputs", "checkpoints", "models", "runs", "logs", "mlruns", "wandb")
_BUILD_APT = lazy_re(r"^(build-essential|gcc(-\d+)?|g\+\+(-\d+)?|make|cmake|pkg-config|.*-dev)(=.*)?$")
_SECRET_NAME = lazy_re(r"(TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|ACCESS_?KEY|CREDENTIAL)", re.IGNORECASE)
_OWN_ENV = {"PATH", "PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED", "HOME", "PIP_NO_CACHE_DIR"}


class DockerfileError(Exception):
    pass


@dataclass(frozen=True)
class Carried:
    """What an existing Dockerfile says that the generated one keeps."""

    apt: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    workdir: str | None = None
    expose: tuple[str, ...] = ()
    cmd: str | None = None  # as it goes after CMD (JSON or shell form)
    entrypoint: str | None = None
    source: str | None = None
    dropped_env: tuple[str, ...] = ()  # secret-looking ENV names, never copied (nor their values)


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
    extra_index: str | None = None  # kept for callers; the lock names its own index
    cudnn_note: str = ""
    conda: str | None = None  # environment.yml / conda-lock.yml for micromamba
    carried: Carried = Carried()
    data_dirs: tuple[str, ...] = ("data", "outputs")


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
    """The first hashed pin file, else the first pin file at all."""
    files = set(inv.files())  # type: ignore[attr-defined]
    first: str | None = None
    for cand in LOCK_CANDIDATES:
        if cand in files:
            text = inv.read(cand)  # type: ignore[attr-defined]
            if text and "--hash=" in text.text:
                return cand, True
            first = first or cand
    return first, False


def find_conda(inv: object) -> str | None:
    """conda-lock.yml, or an environment.yml with conda packages beyond python and pip."""
    files = set(inv.files())  # type: ignore[attr-defined]
    for cand in ("conda-lock.yml", "conda-lock.yaml"):
        if cand in files:
            return cand
    for cand in ("environment.yml", "environment.yaml"):
        if cand in files:
            reqs = inv.get("manifests").requirements  # type: ignore[attr-defined]
            if any(d.path == cand and d.source == "conda" and d.name not in ("python", "pip") for d in reqs):
                return cand
    return None


def carry_over(inv: object, rel: str) -> Carried:
    """apt packages (every stage), and the final stage's ENV, WORKDIR, EXPOSE, CMD and
    ENTRYPOINT of an existing Dockerfile. Secret-looking ENV names are left behind."""
    from envaudit.scanners.dockerfiles import _parse_kv

    df = next((d for d in inv.get("dockerfiles").files if d.path == rel), None)  # type: ignore[attr-defined]
    if df is None or df.final_stage is None:
        return Carried()
    apt: list[str] = []
    for run in df.runs:
        for c in run.commands:
            argv = list(c.argv)
            if argv and argv[0] in ("apt-get", "apt") and "install" in argv:
                for word in argv[argv.index("install") + 1 :]:
                    if not word.startswith("-") and word not in apt:
                        apt.append(word)
    env: list[tuple[str, str]] = []
    dropped: list[str] = []
    workdir = cmd = entrypoint = None
    expose: list[str] = []
    for ins in df.final_stage.instructions:
        if ins.cmd == "ENV":
            for k, v in _parse_kv(ins.args, "ENV"):
                if _SECRET_NAME.search(k):
                    env = [(a, b) for a, b in env if a != k]
                    dropped += [k] if k not in dropped else []
                elif v is not None and k not in _OWN_ENV and "$" not in v:
                    env = [(a, b) for a, b in env if a != k] + [(k, v)]
        elif ins.cmd == "WORKDIR" and ins.args.startswith("/"):
            workdir = ins.args.strip()
        elif ins.cmd == "EXPOSE":
            expose += [p for p in ins.args.split() if p not in expose]
        elif ins.cmd in ("CMD", "ENTRYPOINT"):
            form = json.dumps(list(ins.json)) if ins.json is not None else ins.args.strip()
            if ins.cmd == "CMD":
                cmd = form
            else:
                entrypoint = form
    return Carried(tuple(apt), tuple(env), workdir, tuple(expose), cmd, entrypoint, rel, tuple(dropped))


def dropped_env_note(name: str) -> str:
    """What the user is told about a secret-looking ENV left behind (its name, never its value)."""
    return f"ENV {name} not copied (secret-looking): pass it at run time (docker run -e / a build secret)"


def project_name(inv: object) -> str | None:
    """pyproject's [project] name or Poetry's name, else environment.yml's `name:`."""
    from envaudit._toml import loads

    text = inv.read("pyproject.toml") if "pyproject.toml" in set(inv.files()) else None  # type: ignore[attr-defined]
    if text is not None:
        try:
            data = loads(text.text)
        except Exception:
            data = {}
        project = data.get("project") if isinstance(data.get("project"), dict) else {}
        tool = data.get("tool") if isinstance(data.get("tool"), dict) else {}
        poetry = tool.get("poetry") if isinstance(tool.get("poetry"), dict) else {}
        for name in (project.get("name"), poetry.get("name")):
            if isinstance(name, str) and name.strip():
                return name
    for cand in ("environment.yml", "environment.yaml"):
        text = inv.read(cand) if cand in set(inv.files()) else None  # type: ignore[attr-defined]
        m = re.search(r"(?m)^name:\s*[\"']?([^\s\"'#]+)", text.text) if text is not None else None
        if m:
            return m.group(1)
    return None


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
    # else the one top-level script with a `__main__` block (a bare `python` runs nothing)
    scripts = []
    for rel in sorted(inv.files()):  # type: ignore[attr-defined]
        if "/" not in rel and rel.endswith(".py") and not rel.startswith(("test_", "setup.py", "conftest")):
            text = inv.read(rel)  # type: ignore[attr-defined]
            if text is not None and re.search(r"^if __name__ == [\"']__main__[\"']", text.text, re.MULTILINE):
                scripts.append(rel)
    if len(scripts) == 1:
        return ["python", scripts[0]]
    return ["python"]


def cuda_base(cuda: tuple[int, int], python: str, lock_text: str) -> tuple[str, str]:
    """An NVIDIA runtime tag for the pinned torch build, and how its cuDNN matches.

    The torch wheels for CUDA 12 / 11.8 bring their own cuDNN as a pinned pip package
    (nvidia-cudnn-cu12): the base then has CUDA alone (`-runtime-`), so exactly one
    cuDNN, the pinned one, is loaded. Without that pin the base provides cuDNN: 8 for
    torch <= 2.3, 9 from 2.4 on, in a tag NVIDIA really publishes for that CUDA
    (envaudit.cudacompat.nvidia_cuda_tag: `-cudnn8-` up to CUDA 12.2, `-cudnn9-` for
    12.3, `-cudnn-` from 12.4); where NVIDIA has none, CUDA alone and cuDNN from pip."""
    major, minor = cuda
    ubuntu = "24.04" if python in ("3.12", "3.13") and cuda >= (12, 5) else "22.04"
    plain = (
        nvidia_cuda_tag(cuda, None, ubuntu)
        or f"{major}.{minor}.{CUDA_PATCH.get(cuda, 0)}-runtime-ubuntu{ubuntu}"
    )
    m = re.search(r"(?im)^nvidia-cudnn-cu1\d==([0-9][^\s;\\]*)", lock_text)
    if m:
        return (
            f"nvidia/cuda:{plain}",
            f"cuDNN {m.group(1)} from the pinned nvidia-cudnn wheel (the base brings none)",
        )
    tv = re.search(r"(?im)^torch==(\d+)\.(\d+)", lock_text)
    torch_mm = (int(tv.group(1)), int(tv.group(2))) if tv else (2, 0)
    cudnn = torch_cudnn_major(torch_mm)
    which = "torch <= 2.3" if cudnn == 8 else "torch >= 2.4"
    tag = nvidia_cuda_tag(cuda, cudnn, ubuntu)
    if tag:
        return f"nvidia/cuda:{tag}", f"cuDNN {cudnn}, as {which} expects"
    return (
        f"nvidia/cuda:{plain}",
        f"cuDNN {cudnn} ({which}) comes with its pip dependencies: NVIDIA has no cuDNN {cudnn} image "
        f"for CUDA {major}.{minor}",
    )


def make_plan(
    inv: object,
    base: str | None = None,
    wheelhouse: str | None = None,
    digest: bool = True,
    carry_from: str | None = None,
) -> Plan:
    from envaudit.rules.docker import torch_cuda

    py = choose_python(inv)
    lock, hashed = find_lock(inv)
    conda = find_conda(inv)
    carried = carry_over(inv, carry_from) if carry_from else Carried()
    cuda = cuda_source = None
    cudnn_note = ""
    tc = torch_cuda(inv)  # type: ignore[arg-type]
    lock_text = ""
    if lock:
        t = inv.read(lock)  # type: ignore[attr-defined]
        lock_text = t.text if t is not None else ""
    if conda:
        base = base or MICROMAMBA
    elif base is None and tc is not None:
        (major, minor), rel, line = tc
        cuda = f"{major}.{minor}"
        cuda_source = f"torch build in {rel}:{line}"
        base, cudnn_note = cuda_base((major, minor), py, lock_text)
    if base is None:
        base = f"python:{py}-slim-bookworm"
    if digest and "@" not in base:
        base = local_digest(base) or base
    raw_name = project_name(inv) or inv.root.name  # type: ignore[attr-defined]
    name = re.sub(r"[^a-z0-9._-]+", "-", raw_name.lower()).strip("-._") or "app"
    tops = {f.split("/", 1)[0] for f in inv.files() if "/" in f}  # type: ignore[attr-defined]
    data_dirs = tuple(d for d in DATA_DIRS if d in tops or d in ("data", "outputs"))
    return Plan(
        py,
        base,
        base,
        lock,
        hashed,
        cuda,
        cuda_source,
        guess_cmd(inv),
        name,
        wheelhouse,
        None,
        cudnn_note,
        conda,
        carried,
        data_dirs,
    )


def render(plan: Plan, dockerfile: str = "Dockerfile") -> str:
    from envaudit.templating import render_template

    c = plan.carried
    notes: list[str] = []
    if plan.conda:
        notes.append(f"Dependencies: {plan.conda}, installed by micromamba as the non-root {MAMBA_USER}.")
        if plan.hashed:
            notes.append(f"pip packages: {plan.lock} (pinned with hashes), installed after it.")
    else:
        notes.append(f"Dependencies: {plan.lock} (pinned with hashes; pip refuses anything else).")
    if c.source:
        notes.append(f"Kept from {c.source}: apt packages, ENV, WORKDIR, EXPOSE, CMD/ENTRYPOINT.")
        notes += [dropped_env_note(k) + "." for k in c.dropped_env]
    workdir = (c.workdir or "/app").rstrip("/") or "/app"
    apt_build = [p for p in c.apt if _BUILD_APT.match(p)]
    apt_runtime = [p for p in c.apt if not _BUILD_APT.match(p) and not p.startswith("python3")]
    apt_python = [f"python{plan.python}", f"python{plan.python}-venv"] if plan.cuda else []
    if not plan.cuda and apt_build:
        apt_python = []
    cmd = c.cmd if c.cmd else (json.dumps(plan.cmd) if not c.entrypoint else None)
    entrypoint = c.entrypoint
    if plan.conda and entrypoint:
        # micromamba's entrypoint activates the environment; keep it in front
        inner = json.loads(entrypoint) if entrypoint.startswith("[") else ["/bin/sh", "-c", entrypoint]
        entrypoint = json.dumps(["/usr/local/bin/_entrypoint.sh", *inner])
    skel = [workdir] + [f"{workdir}/{d}" for d in plan.data_dirs]
    # caches an ENV points at (HF_HOME=/cache/hf, TORCH_HOME, XDG_CACHE_HOME): writable too
    outside = sorted(
        {
            v.rstrip("/")
            for k, v in c.env
            if re.search(r"(HOME|DIR|CACHE|ROOT)$", k)
            and re.fullmatch(r"/[A-Za-z0-9._/-]+", v)
            and not (v.rstrip("/") + "/").startswith(workdir + "/")
            and v.rstrip("/") not in ("/usr", "/opt", "/etc", "/bin", "/lib", "/var", "/tmp")
        }
    )
    skel += outside
    return render_template(
        "Dockerfile.j2",
        python=plan.python,
        base=plan.base,
        runtime_base=plan.runtime_base,
        hashed=plan.hashed,
        lock=plan.lock or "requirements.txt",
        lock_name=(plan.lock or "requirements.txt").rsplit("/", 1)[-1],
        cuda=plan.cuda,
        cuda_source=plan.cuda_source,
        cudnn_note=plan.cudnn_note,
        python_cmd=f"python{plan.python}" if plan.cuda else "python",
        cmd=cmd,
        entrypoint=entrypoint,
        image_name=plan.name,
        uid=UID,
        user=MAMBA_USER,
        wheelhouse=plan.wheelhouse.strip("/") if plan.wheelhouse else None,
        notes=notes,
        dockerfile=dockerfile,
        conda=plan.conda,
        conda_name=(plan.conda or "").rsplit("/", 1)[-1],
        env=[(k, json.dumps(v)) for k, v in c.env],
        expose=c.expose,
        workdir=workdir,
        data_dirs=plan.data_dirs,
        writable=outside,
        skel_dirs=repr(skel),
        apt_build=apt_build,
        apt_runtime=apt_runtime,
        apt_python=apt_python,
        apt_python_runtime=[f"python{plan.python}"] if plan.cuda else [],
    )


GENERATED_MARK = "Generated by `envaudit fix dockerfile`"
DIGEST_RE = re.compile(
    r"^# Content digest \(an edit makes envaudit ask for --force\): sha256:([0-9a-f]{16})\n", re.M
)


def _digest(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def with_digest(text: str) -> str:
    """The generated text with the digest of its content recorded after the first line."""
    first, _, rest = text.partition("\n")
    line = f"# Content digest (an edit makes envaudit ask for --force): sha256:{_digest(text)}\n"
    return f"{first}\n{line}{rest}"


def generated_state(text: str) -> str:
    """hand-written | edited (generated, then changed by hand) | generated. A generated file
    without a digest (written by an older envaudit) counts as generated."""
    if GENERATED_MARK not in text:
        return "hand-written"
    m = DIGEST_RE.search(text)
    if m is None:
        return "generated"
    return "generated" if _digest(text[: m.start()] + text[m.end() :]) == m.group(1) else "edited"


def _read_inside(root: Path, path: Path) -> str:
    """The file's text, or "" for one that resolves outside the project (never read)."""
    from envaudit.fixes._write import UnsafeWrite, safe_target

    try:
        return safe_target(root, path).read_text("utf-8", errors="replace")
    except (UnsafeWrite, OSError):
        return ""


@click.command()
@click.argument("path", default=".", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--write", is_flag=True, help="Write the file instead of showing a diff.")
@click.option(
    "--output",
    "output",
    default=None,
    help="File to write, relative to PATH (default: Dockerfile, or Dockerfile.envaudit beside a hand-written one).",
)
@click.option("--force", is_flag=True, help="Replace a hand-written Dockerfile.")
@click.option(
    "--base", metavar="IMAGE", help="Base image for both stages (default: from the project's Python / CUDA)."
)
@click.option(
    "--wheelhouse",
    metavar="DIR",
    help="Install from this folder of the project (offline: --no-index); it never reaches the final stage.",
)
@click.option(
    "--no-digest", is_flag=True, help="Do not ask the local Docker engine for the base image's digest."
)
def command(
    path: Path,
    write: bool,
    output: str | None,
    force: bool,
    base: str | None,
    wheelhouse: str | None,
    no_digest: bool,
) -> None:
    """Generate a multi-stage Dockerfile: the hashed lock in a builder, a non-root runtime that
    owns its working directory; keeps what an existing Dockerfile sets up."""
    from envaudit.fixes import dockerignore
    from envaudit.fixes._write import UnsafeWrite, atomic_write, refused, safe_target, unified_diff
    from envaudit.inventory import Inventory

    inv = Inventory(path)
    existing = inv.root / "Dockerfile"
    state = generated_state(_read_inside(inv.root, existing)) if existing.is_file() else "absent"
    hand_written = state in ("hand-written", "edited")
    if output is None:
        output = "Dockerfile.envaudit" if hand_written and not force else "Dockerfile"
    target = inv.root / output
    try:  # refused up front, diff or --write: an output linked or pointing out of the project
        safe_target(inv.root, target)
    except UnsafeWrite as exc:
        raise refused(exc) from None
    target_state = generated_state(_read_inside(inv.root, target)) if target.is_file() else "absent"
    if target_state in ("hand-written", "edited") and not force:
        what = "is hand-written" if target_state == "hand-written" else "was generated but edited since"
        click.echo(f"envaudit: error: {output} {what}: use --force to replace it", err=True)
        raise click.exceptions.Exit(1)
    if wheelhouse and not (inv.root / wheelhouse).is_dir():
        click.echo(f"envaudit: error: --wheelhouse {wheelhouse}: no such folder in the project", err=True)
        raise click.exceptions.Exit(2)
    plan = make_plan(
        inv,
        base=base,
        wheelhouse=wheelhouse,
        digest=not no_digest,
        carry_from="Dockerfile" if existing.is_file() else None,
    )
    if plan.conda is None and not plan.hashed:
        what = f"{plan.lock} has no hashes" if plan.lock else "the project has no pinned requirements file"
        click.echo(
            f"envaudit: error: {what}: the image installs a hashed lock only. "
            "Write one with `envaudit fix pins --write` (or `envaudit fix pins --resolve --write`), then rerun",
            err=True,
        )
        raise click.exceptions.Exit(1)
    new = with_digest(render(plan, output))
    old = _read_inside(inv.root, target) if target.is_file() else ""
    ignore = inv.root / ".dockerignore"
    ignore_text = None if ignore.exists() else dockerignore.build(inv)
    for k in plan.carried.dropped_env:
        click.echo(f"envaudit: note: {dropped_env_note(k)}", err=True)
    if not write:
        diff = unified_diff(old, new, output)
        if ignore_text:
            diff += unified_diff("", ignore_text, ".dockerignore")
        click.echo(diff or f"{output} is up to date", nl=not diff)
        return
    try:
        atomic_write(inv.root, target, new)
        if ignore_text:
            atomic_write(inv.root, ignore, ignore_text)
    except UnsafeWrite as exc:
        raise refused(exc) from None
    click.echo(f"wrote {output}", err=True)
    if output != "Dockerfile" and hand_written:
        what = "is hand-written" if state == "hand-written" else "was edited since envaudit generated it"
        click.echo(
            f"envaudit: Dockerfile {what}, so it is left alone: build with "
            f"`docker build -f {output} .`, or rerun with --force to replace it",
            err=True,
        )
    if ignore_text:
        click.echo("wrote .dockerignore (there was none: the build context was everything)", err=True)
