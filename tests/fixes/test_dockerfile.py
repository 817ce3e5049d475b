"""`envaudit fix dockerfile` / `fix dockerignore`: content, own rules, hadolint, a real build."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

import pytest

from envaudit.inventory import Inventory
from tests.conftest import check, docker_available, invoke, write
from tests.docker.images import ensure_base_image, make_wheel
from tests.docker.test_hadolint_agreement import HADOLINT

HASH = "0" * 64


def project(tmp_path: Path, extra: dict[str, str] | None = None) -> Path:
    files = {
        "pyproject.toml": '[project]\nname = "demo"\nversion = "0"\nrequires-python = ">=3.11,<3.13"\n',
        "requirements.lock": f"numpy==1.26.4 \\\n    --hash=sha256:{HASH}\n",
        "train.py": "print('train')\n",
        "data/x.csv": "1\n",
        "model.safetensors": "w",
    }
    files.update(extra or {})
    return write(tmp_path / "proj", files)


def generate(root: Path, *args: str) -> str:
    res = invoke("fix", "dockerfile", str(root), "--write", "--no-digest", *args)
    assert res.exit_code == 0, res.output
    res = invoke("fix", "dockerignore", str(root), "--write")
    assert res.exit_code == 0, res.output
    return (root / "Dockerfile").read_text()


def hadolint(path: Path) -> list[dict[str, object]]:
    assert HADOLINT
    out = subprocess.run(
        [HADOLINT, "--format", "json", str(path)], capture_output=True, text=True, timeout=60
    )
    return [d for d in json.loads(out.stdout) if d["level"] in ("error", "warning")]


def test_diff_by_default_writes_nothing(tmp_path: Path) -> None:
    root = project(tmp_path)
    res = invoke("fix", "dockerfile", str(root), "--no-digest")
    assert res.exit_code == 0 and res.stdout.startswith("--- /dev/null") and "+FROM python:3.1" in res.stdout
    assert not (root / "Dockerfile").exists()


def test_generated_dockerfile_content(tmp_path: Path) -> None:
    root = project(tmp_path)
    text = generate(root)
    assert text.count("FROM python:3.11-slim-bookworm") == 2  # project Python (this interpreter is 3.11)
    assert "--require-hashes --no-deps -r requirements.lock" in text
    assert text.index("COPY requirements.lock") < text.index("COPY --chown=10001:10001 . /app")
    assert "USER 10001:10001" in text and 'CMD ["python", "train.py"]' in text
    # the runtime user owns /app and the folders it writes to
    assert "COPY --from=builder --chown=10001:10001 /skel/app /app" in text
    assert "'/app/data'" in text and "'/app/outputs'" in text
    # written like a file the user wrote, readable by the image's user after COPY
    assert (root / "Dockerfile").stat().st_mode & 0o777 == 0o644


def test_python_from_python_version_file(tmp_path: Path) -> None:
    root = project(tmp_path, {".python-version": "3.12\n", "pyproject.toml": '[project]\nname = "d"\n'})
    assert "FROM python:3.12-slim-bookworm AS builder" in generate(root)


TORCH = f"torch==2.3.1+cu121 \\\n    --hash=sha256:{HASH}\n"


@pytest.mark.parametrize(
    ("lock", "base", "cudnn"),
    [
        # torch 2.3 is built with cuDNN 8 (its cu121 wheel pins nvidia-cudnn-cu12 8.9.2.26),
        # 2.4 with cuDNN 9, for which NVIDIA has no CUDA 12.1 image (see test_cudacompat)
        (TORCH, "nvidia/cuda:12.1.1-cudnn8-runtime-ubuntu22.04", "cuDNN 8, as torch <= 2.3 expects"),
        (
            TORCH.replace("2.3.1", "2.4.1"),
            "nvidia/cuda:12.1.1-runtime-ubuntu22.04",
            "cuDNN 9 (torch >= 2.4) comes with its pip dependencies: NVIDIA has no cuDNN 9 image for CUDA 12.1",
        ),
        (TORCH.replace("2.3.1", "2.1.2"), "nvidia/cuda:12.1.1-cudnn8-runtime-ubuntu22.04", "cuDNN 8"),
        (
            TORCH.replace("2.3.1", "2.4.1").replace("cu121", "cu124"),
            "nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04",
            "cuDNN 9",
        ),
        (
            TORCH + f"nvidia-cudnn-cu12==8.9.2.26 --hash=sha256:{HASH}\n",
            "nvidia/cuda:12.1.1-runtime-ubuntu22.04",
            "cuDNN 8.9.2.26 from the pinned nvidia-cudnn wheel",
        ),
    ],
)
def test_cuda_base_matches_the_pinned_torch_wheels(tmp_path: Path, lock: str, base: str, cudnn: str) -> None:
    cu = lock.split("+", 1)[1].split()[0]
    index = f"--extra-index-url https://download.pytorch.org/whl/{cu}\n"
    root = project(tmp_path, {"requirements.lock": index + lock})
    text = generate(root)
    assert f"FROM {base} AS builder" in text and f"FROM {base} AS runtime" in text
    assert cudnn in text
    assert "python3.11 -m venv" in text
    assert check(root, "DKR016").findings == []


def test_refuses_without_a_hashed_lock(tmp_path: Path) -> None:
    root = project(tmp_path, {"requirements.lock": "numpy==1.26.4\n"})
    res = invoke("fix", "dockerfile", str(root), "--write", "--no-digest")
    assert res.exit_code == 1 and "has no hashes" in res.stderr and "envaudit fix pins --write" in res.stderr
    assert not (root / "Dockerfile").exists()


HAND_WRITTEN = """FROM nvidia/cuda:12.1.1-cudnn8-runtime-ubuntu22.04
RUN apt-get update && apt-get install -y ffmpeg libsndfile1 build-essential && rm -rf /var/lib/apt/lists/*
ENV HF_HOME=/cache/hf WANDB_API_KEY=abc123
WORKDIR /workspace
EXPOSE 8080
ENTRYPOINT ["python", "-m", "serve"]
CMD ["--port", "8080"]
"""


def test_never_overwrites_a_hand_written_dockerfile_and_carries_it_over(tmp_path: Path) -> None:
    root = project(tmp_path, {"Dockerfile": HAND_WRITTEN})
    res = invoke("fix", "dockerfile", str(root), "--write", "--no-digest")
    assert res.exit_code == 0, res.output
    assert "Dockerfile.envaudit" in res.stderr and "docker build -f Dockerfile.envaudit" in res.stderr
    assert (root / "Dockerfile").read_text() == HAND_WRITTEN
    text = (root / "Dockerfile.envaudit").read_text()
    assert "install -y --no-install-recommends ffmpeg libsndfile1" in text  # runtime stage
    assert "install -y --no-install-recommends build-essential" in text  # builder only
    assert text.index("build-essential") < text.index("AS runtime") < text.index("ffmpeg")
    assert 'ENV HF_HOME="/cache/hf"' in text and "abc123" not in text  # no secret carried
    assert "\nENV WANDB_API_KEY" not in text and "# ENV WANDB_API_KEY not copied (secret-looking)" in text
    assert "COPY --from=builder --chown=10001:10001 /skel/cache/hf /cache/hf" in text
    assert "WORKDIR /workspace" in text and "EXPOSE 8080" in text
    assert 'ENTRYPOINT ["python", "-m", "serve"]' in text and 'CMD ["--port", "8080"]' in text
    # a .dockerignore was written because there was none
    assert (root / ".dockerignore").is_file() and "wrote .dockerignore" in res.stderr
    found = check(root, "DKR").findings
    mine = [f for f in found if f.location.path == "Dockerfile.envaudit" and f.severity.label != "info"]
    assert mine == []
    if HADOLINT is not None:
        assert hadolint(root / "Dockerfile.envaudit") == []
    # an explicit target that is hand-written is refused; --force replaces the original
    res = invoke("fix", "dockerfile", str(root), "--write", "--no-digest", "--output", "Dockerfile")
    assert res.exit_code == 1 and "--force" in res.stderr
    assert invoke("fix", "dockerfile", str(root), "--write", "--no-digest", "--force").exit_code == 0
    assert (root / "Dockerfile").read_text().startswith("# Generated by `envaudit fix dockerfile`")


def test_conda_project_uses_micromamba(tmp_path: Path) -> None:
    env = "name: demo\nchannels: [conda-forge]\ndependencies:\n  - python=3.11\n  - numpy=1.26.4\n"
    root = project(tmp_path, {"environment.yml": env, "Dockerfile": HAND_WRITTEN})
    (root / "requirements.lock").unlink()
    assert invoke("fix", "dockerfile", str(root), "--write", "--no-digest", "--force").exit_code == 0
    text = (root / "Dockerfile").read_text()
    assert (
        "FROM mambaorg/micromamba:" in text
        and "micromamba install -y -n base -f /tmp/environment.yml" in text
    )
    assert "USER mambauser" in text and "install -d -o mambauser -g mambauser /workspace" in text
    assert 'ENTRYPOINT ["/usr/local/bin/_entrypoint.sh", "python", "-m", "serve"]' in text
    found = check(root, "DKR").findings
    assert [f for f in found if f.severity.label != "info"] == [], found
    if HADOLINT is not None:
        assert hadolint(root / "Dockerfile") == []
    assert "--require-hashes" not in text  # no hashed pip lock in this project
    # with a hashed pip lock (fix pins from the environment.yml's pip part) it is installed after
    write(root, {"requirements.txt": f"numpy==1.26.4 \\\n    --hash=sha256:{HASH}\n"})
    assert invoke("fix", "dockerfile", str(root), "--write", "--no-digest").exit_code == 0
    text = (root / "Dockerfile").read_text()
    assert "python -m pip install --no-cache-dir --require-hashes --no-deps -r /tmp/requirements.txt" in text
    assert [f for f in check(root, "DKR").findings if f.severity.label != "info"] == []
    if HADOLINT is not None:
        assert hadolint(root / "Dockerfile") == []
    write(root, {"conda-lock.yml": "version: 1\nmetadata: {}\npackage: []\n"})
    assert invoke("fix", "dockerfile", str(root), "--write", "--no-digest").exit_code == 0
    assert "-f /tmp/conda-lock.yml" in (root / "Dockerfile").read_text()


@pytest.mark.parametrize(
    "lock",
    [
        f"numpy==1.26.4 --hash=sha256:{HASH}\n",
        "--extra-index-url https://download.pytorch.org/whl/cu124\n" + TORCH.replace("cu121", "cu124"),
        "--extra-index-url https://download.pytorch.org/whl/cu118\n" + TORCH.replace("cu121", "cu118"),
    ],
)
def test_generated_files_pass_own_rules_and_hadolint(tmp_path: Path, lock: str) -> None:
    root = project(tmp_path, {"requirements.lock": lock})
    generate(root)
    res = check(root, "DKR")
    assert [f for f in res.findings if f.severity.label != "info"] == []
    assert {f.code for f in res.findings} <= {"DKR003", "DKR006"}  # no digest without a local engine copy
    if HADOLINT is None:
        pytest.skip("hadolint not found next to the interpreter or on PATH")
    assert hadolint(root / "Dockerfile") == []


def test_dockerignore_completes_existing(tmp_path: Path) -> None:
    root = project(tmp_path, {".dockerignore": "# mine\n.git\nnode_modules\n"})
    write(root, {"Dockerfile": "FROM a:1\n"})
    assert [f.code for f in check(root, "DKR011").findings] == ["DKR011"]
    assert invoke("fix", "dockerignore", str(root), "--write").exit_code == 0
    text = (root / ".dockerignore").read_text()
    assert text.startswith("# mine\n.git\nnode_modules\n") and text.count("\n.git\n") == 1
    assert "data" in text.splitlines() and "**/*.safetensors" in text
    assert check(root, "DKR011").findings == []
    assert "up to date" in invoke("fix", "dockerignore", str(root)).stdout


def test_dockerfile_refuses_symlink_out(tmp_path: Path) -> None:
    root = project(tmp_path)
    outside = tmp_path / "outside"
    outside.write_text("x")
    (root / "Dockerfile").symlink_to(outside)
    res = invoke("fix", "dockerfile", str(root), "--write", "--no-digest", "--force")
    assert res.exit_code != 0 and outside.read_text() == "x"
    # without --force it is someone's Dockerfile: the generated one goes beside it
    res = invoke("fix", "dockerfile", str(root), "--write", "--no-digest")
    assert res.exit_code == 0 and outside.read_text() == "x" and (root / "Dockerfile.envaudit").is_file()


@pytest.mark.docker
@pytest.mark.slow
@pytest.mark.skipif(not docker_available(), reason="no Docker engine running")
def test_generated_dockerfile_builds(tmp_path: Path) -> None:
    try:
        base = ensure_base_image()
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"cannot make a local base image from this interpreter: {exc}")
    from envaudit.fixes.dockerfile import local_digest

    # an imported image has no registry digest: the generator keeps the tag alone
    assert local_digest(base) is None and local_digest("envaudit-test/none:404") is None
    root = project(tmp_path)
    _, sha = make_wheel(root / "wheels", "demo-dep", "1.0", "VALUE = 42\n")
    write(root, {"requirements.lock": f"demo-dep==1.0 \\\n    --hash=sha256:{sha}\n"})
    generate(root, "--base", base, "--wheelhouse", "wheels")
    # the wheelhouse must reach the build context
    ignore = (root / ".dockerignore").read_text()
    assert "wheels" not in ignore.splitlines()
    tag = f"envaudit-test/app:{uuid.uuid4().hex[:8]}"
    try:
        build = subprocess.run(
            ["docker", "build", "-q", "-t", tag, str(root)], capture_output=True, text=True, timeout=240
        )
        assert build.returncode == 0, build.stderr[-2000:]
        probe = (
            "import os, demo_dep; open('outputs/model.txt', 'w').write('w'); open('data/x', 'w').write('d'); "
            "open('new.txt', 'w').write('n'); print(demo_dep.VALUE, os.getuid(), sorted(os.listdir('/app')))"
        )
        run = subprocess.run(
            ["docker", "run", "--rm", tag, "python", "-c", probe], capture_output=True, text=True, timeout=60
        )
        assert run.returncode == 0, run.stderr  # the user writes its outputs, data and WORKDIR
        value, uid, listing = run.stdout.split(" ", 2)
        assert (value, uid) == ("42", "10001"), run.stderr
        # the .dockerignore kept the weights out; the wheelhouse never reached the final stage
        assert "train.py" in listing and "model.safetensors" not in listing and "wheels" not in listing
        hist = subprocess.run(
            ["docker", "run", "--rm", tag, "python", "-c", "import os; print(os.path.exists('/wheelhouse'))"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert hist.stdout.strip() == "False"
    finally:
        subprocess.run(["docker", "image", "rm", "-f", tag], capture_output=True, timeout=60)


def test_plan_uses_inventory_facts(tmp_path: Path) -> None:
    from envaudit.fixes.dockerfile import make_plan

    root = project(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname="x"\nrequires-python=">=3.12,<3.13"\n[project.scripts]\nx = "pkg.cli:main"\n'
        },
    )
    plan = make_plan(Inventory(root), digest=False)
    assert plan.python == "3.12" and plan.lock == "requirements.lock" and plan.hashed
    assert plan.cmd[:2] == ["python", "-c"] and "pkg.cli" in plan.cmd[2]


def test_cmd_is_the_projects_one_script(tmp_path: Path) -> None:
    from envaudit.fixes.dockerfile import guess_cmd

    root = project(
        tmp_path, {"finetune.py": "def main():\n    pass\n\n\nif __name__ == '__main__':\n    main()\n"}
    )
    (root / "train.py").unlink()
    assert guess_cmd(Inventory(root)) == ["python", "finetune.py"]
    write(root, {"eval.py": 'if __name__ == "__main__":\n    pass\n'})
    assert guess_cmd(Inventory(root)) == ["python"]  # two scripts: no guess


# ------------------------------------------- what a first user ran into (issue 14b)


def test_a_secret_looking_env_is_left_behind_and_the_user_is_told(tmp_path: Path) -> None:
    value = "tok-" + uuid.uuid4().hex
    hand = f'FROM python:3.11-slim\nENV LANG=C.UTF-8 API_TOKEN={value}\nCMD ["python", "train.py"]\n'
    root = project(tmp_path, {"Dockerfile": hand})
    res = invoke("fix", "dockerfile", str(root), "--write", "--no-digest")
    assert res.exit_code == 0, res.output
    note = "ENV API_TOKEN not copied (secret-looking): pass it at run time (docker run -e / a build secret)"
    assert f"envaudit: note: {note}" in res.stderr
    text = (root / "Dockerfile.envaudit").read_text()
    assert f"# {note}." in text and 'ENV LANG="C.UTF-8"' in text
    assert value not in text and value not in res.output  # never the value


def test_an_edited_generated_dockerfile_is_not_overwritten_without_force(tmp_path: Path) -> None:
    root = project(tmp_path)
    text = generate(root)
    assert "# Content digest (an edit makes envaudit ask for --force): sha256:" in text.splitlines()[1]
    # unchanged: regenerating in place is allowed
    from envaudit.fixes.dockerfile import generated_state

    res = invoke("fix", "dockerfile", str(root), "--write", "--no-digest")
    assert res.exit_code == 0 and not (root / "Dockerfile.envaudit").exists()
    text = (root / "Dockerfile").read_text()
    assert generated_state(text) == "generated"
    edited = text.replace("WORKDIR /app", "WORKDIR /app\nRUN echo mine", 1)
    (root / "Dockerfile").write_text(edited)
    res = invoke("fix", "dockerfile", str(root), "--write", "--no-digest", "--output", "Dockerfile")
    assert res.exit_code == 1 and "was generated but edited since: use --force" in res.stderr
    res = invoke("fix", "dockerfile", str(root), "--write", "--no-digest")  # writes beside it
    assert res.exit_code == 0 and "was edited since envaudit generated it" in res.stderr
    assert (root / "Dockerfile").read_text() == edited and (root / "Dockerfile.envaudit").is_file()
    assert invoke("fix", "dockerfile", str(root), "--write", "--no-digest", "--force").exit_code == 0
    assert "RUN echo mine" not in (root / "Dockerfile").read_text()


@pytest.mark.parametrize(
    ("files", "name"),
    [
        ({}, "demo"),  # [project] name
        ({"pyproject.toml": '[tool.poetry]\nname = "Poetry_App"\nversion = "0"\n'}, "poetry_app"),
        (
            {"pyproject.toml": "", "environment.yml": "name: speech\ndependencies: [numpy=1]\n"},
            "speech",
        ),
    ],
)
def test_image_is_named_after_the_project_not_the_folder(
    tmp_path: Path, files: dict[str, str], name: str
) -> None:
    root = project(tmp_path, files)
    res = invoke("fix", "dockerfile", str(root), "--no-digest")
    assert res.exit_code == 0, res.output
    assert f"# Build: docker build -t {name} ." in res.stdout
    if "LABEL org.opencontainers.image.title" in res.stdout:  # the pip image labels itself
        assert f'LABEL org.opencontainers.image.title="{name}"' in res.stdout


def test_dockerignore_treats_equivalent_patterns_as_present(tmp_path: Path) -> None:
    root = project(tmp_path, {".dockerignore": "data/\n/.git\n./build/**\n**/.venv\n"})
    assert invoke("fix", "dockerignore", str(root), "--write").exit_code == 0
    lines = (root / ".dockerignore").read_text().splitlines()
    for already in ("data", ".git", "build", ".venv"):
        assert already not in lines
    assert "dist" in lines and "**/*.safetensors" in lines
