"""Hostile projects, built on disk: each builder writes one into `root` and returns the
extra `check` arguments it needs (a target environment made next to it, never inside).

Shared by tests/hostile/test_bounded.py and bench/bench_hostile.py (before/after times).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path


def fake_venv(where: Path, *, pyvenv_cfg: bool = True) -> tuple[Path, Path]:
    """A virtualenv shape on disk (nothing runs): returns (venv, site-packages)."""
    venv = where / "venv"
    sp = venv / "lib" / "python3.11" / "site-packages"
    sp.mkdir(parents=True)
    (venv / "bin").mkdir()
    if pyvenv_cfg:
        (venv / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.11.9\n", encoding="utf-8")
    return venv, sp


def dist_info(sp: Path, name: str, version: str, metadata: str | None = None) -> Path:
    d = sp / f"{name}-{version}.dist-info"
    d.mkdir()
    text = (
        metadata if metadata is not None else f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\n"
    )
    (d / "METADATA").write_text(text, encoding="utf-8")
    (d / "INSTALLER").write_text("pip\n", encoding="utf-8")
    return d


def _minimal(root: Path) -> None:
    (root / "requirements.txt").write_text("numpy==1.26.4\n", encoding="utf-8")


# ---------------------------------------------------------------- superlinear inputs (item 8)


def reqs_blank_lines(root: Path) -> list[str]:
    (root / "requirements.txt").write_text("numpy==1.26.4\n" + "\n" * 100_000 + "torch\n", encoding="utf-8")
    return []


def readme_brackets(root: Path) -> list[str]:
    _minimal(root)
    (root / "README.md").write_text("# Project\n\n" + "[" * 100_000 + "\n", encoding="utf-8")
    return []


def dockerignore_brackets(root: Path) -> list[str]:
    _minimal(root)
    (root / "Dockerfile").write_text(
        "FROM python:3.11-slim@sha256:" + "a" * 64 + "\nCOPY . /app\n", encoding="utf-8"
    )
    (root / ".dockerignore").write_text("[" * 200_000 + "\n.git\n", encoding="utf-8")
    return []


def shlex_long_line(root: Path) -> list[str]:
    """A 600 kB option line in requirements.txt and a 600 kB RUN line in a Dockerfile."""
    (root / "requirements.txt").write_text(
        "--extra-index-url " + "'a b " * 150_000 + "\nnumpy==1.26.4\n", encoding="utf-8"
    )
    (root / "Dockerfile").write_text(
        "FROM python:3.11-slim@sha256:" + "a" * 64 + "\nRUN pip install " + "'x y " * 150_000 + "\n",
        encoding="utf-8",
    )
    return []


def metadata_no_blank(root: Path) -> list[str]:
    _minimal(root)
    venv, sp = fake_venv(root.parent / (root.name + "-env"))
    dist_info(sp, "numpy", "1.26.4")
    body = "Metadata-Version: 2.1\nName: big\nVersion: 1.0\n" + "Summary: x\n" * (20_000_000 // 11)
    dist_info(sp, "big", "1.0", body)
    return ["--python", str(venv)]


def requires_dist_flood(root: Path) -> list[str]:
    """200k Requires-Dist lines naming packages that are not installed (DEP009 each)."""
    _minimal(root)
    venv, sp = fake_venv(root.parent / (root.name + "-env"))
    dist_info(sp, "numpy", "1.26.4")
    body = "Metadata-Version: 2.1\nName: big\nVersion: 1.0\n"
    body += "".join(f"Requires-Dist: missing-{i}\n" for i in range(200_000)) + "\n"
    dist_info(sp, "big", "1.0", body)
    return ["--python", str(venv)]


def yaml_deep(root: Path) -> list[str]:
    _minimal(root)
    deep = "[" * 10_000 + "]" * 10_000
    (root / "environment.yml").write_text(f"name: x\ndependencies: {deep}\n", encoding="utf-8")
    (root / "data.dvc").write_text(f"outs: {deep}\n", encoding="utf-8")
    (root / "dvc.lock").write_text(f"stages: {deep}\n", encoding="utf-8")
    return []


def dockerfile_many_runs(root: Path) -> list[str]:
    (root / "requirements.txt").write_text("".join(f"pkg{i}==1.0\n" for i in range(300)), encoding="utf-8")
    (root / "Dockerfile").write_text(
        "FROM python:3.11-slim@sha256:"
        + "a" * 64
        + "\nCOPY requirements.txt .\n"
        + "RUN pip install -r requirements.txt\n" * 10_000,
        encoding="utf-8",
    )
    return []


def baseline(root: Path) -> list[str]:
    """A trivial project: what start-up and the scanners cost on this machine now."""
    _minimal(root)
    return []


SUPERLINEAR: dict[str, Callable[[Path], list[str]]] = {
    "reqs_blank_lines": reqs_blank_lines,
    "readme_brackets": readme_brackets,
    "dockerignore_brackets": dockerignore_brackets,
    "shlex_long_line": shlex_long_line,
    "metadata_no_blank": metadata_no_blank,
    "requires_dist_flood": requires_dist_flood,
    "yaml_deep": yaml_deep,
    "dockerfile_many_runs": dockerfile_many_runs,
}


# ---------------------------------------------------------------- unbounded reads (item 7)


def fifo_requirements(root: Path) -> list[str]:
    os.mkfifo(root / "requirements.txt")
    (root / "train.py").write_text("import numpy\n", encoding="utf-8")
    return []


def fifo_pyvenv_cfg(root: Path) -> list[str]:
    _minimal(root)
    venv, sp = fake_venv(root.parent / (root.name + "-env"), pyvenv_cfg=False)
    os.mkfifo(venv / "pyvenv.cfg")
    dist_info(sp, "numpy", "1.26.4")
    return ["--python", str(venv)]


def zero_requirements(root: Path) -> list[str]:
    os.symlink("/dev/zero", root / "requirements.txt")
    return []


def zero_train_py(root: Path) -> list[str]:
    _minimal(root)
    os.symlink("/dev/zero", root / "train.py")
    return []


def zero_metadata(root: Path) -> list[str]:
    _minimal(root)
    venv, sp = fake_venv(root.parent / (root.name + "-env"))
    dist_info(sp, "numpy", "1.26.4")
    d = sp / "evil-1.0.dist-info"
    d.mkdir()
    os.symlink("/dev/zero", d / "METADATA")
    return ["--python", str(venv)]


def big_train_py(root: Path) -> list[str]:
    """A sparse 1 GB train.py: the source cache must not digest it before the size limit."""
    _minimal(root)
    with open(root / "train.py", "wb") as fh:
        fh.truncate(1 << 30)
    return []


BOUNDED: dict[str, Callable[[Path], list[str]]] = {
    "fifo_requirements": fifo_requirements,
    "fifo_pyvenv_cfg": fifo_pyvenv_cfg,
    "zero_requirements": zero_requirements,
    "zero_train_py": zero_train_py,
    "zero_metadata": zero_metadata,
    "big_train_py": big_train_py,
}
