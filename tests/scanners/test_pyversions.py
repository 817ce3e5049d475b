from __future__ import annotations

from pathlib import Path

from envaudit.inventory import Inventory
from tests.conftest import write


def decls(root: Path):  # type: ignore[no-untyped-def]
    inv = Inventory(root, environ={})
    return [(d.source, d.path, d.line, d.specifier, d.kind) for d in inv.get("pyversions").declarations]


def test_every_place(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            ".python-version": "3.11.7\n",
            "runtime.txt": "python-3.11.4\n",
            "Pipfile": '[packages]\nrequests = "*"\n\n[requires]\npython_version = "3.11"\n',
            "Dockerfile": "FROM --platform=linux/amd64 python:3.12-slim AS build\nFROM python:latest\nFROM ubuntu:22.04\n",
            "docker/gpu.Dockerfile": "FROM docker.io/library/python:3.10.14-bookworm\n",
            "README.md": "# x\n\nNeeds Python 3.10 or newer; tested with Python 3.11.\n",
            "pyproject.toml": '[project]\nname = "x"\nrequires-python = ">=3.10"\n\n[tool.poetry.dependencies]\npython = "^3.10"\n',
            "setup.cfg": "[options]\npython_requires = >=3.9\n",
            "environment.yml": "dependencies:\n  - python=3.10\n  - numpy\n",
        },
    )
    got = decls(tmp_path)
    assert sorted(got, key=str) == sorted(
        [
            (".python-version", ".python-version", 1, "==3.11.7", "exact"),
            ("runtime.txt", "runtime.txt", 1, "==3.11.4", "exact"),
            ("Pipfile", "Pipfile", 5, "==3.11.*", "exact"),
            ("dockerfile", "Dockerfile", 1, "==3.12.*", "exact"),
            ("dockerfile", "docker/gpu.Dockerfile", 1, "==3.10.14", "exact"),
            ("readme", "README.md", 3, ">=3.10", "mention"),
            ("readme", "README.md", 3, "==3.11.*", "mention"),
            ("requires-python", "pyproject.toml", 3, ">=3.10", "constraint"),
            ("poetry", "pyproject.toml", 6, ">=3.10,<4.0", "constraint"),
            ("python_requires", "setup.cfg", 2, ">=3.9", "constraint"),
            ("environment.yml", "environment.yml", 2, "==3.10.*", "exact"),
        ],
        key=str,
    )


def test_nothing_declared(tmp_path: Path) -> None:
    write(
        tmp_path, {"train.py": "print('hi')\n", "README.md": "# MNIST\nTrain a CNN (see python train.py).\n"}
    )
    assert decls(tmp_path) == []


def test_pyenv_names_and_bad_values(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            ".python-version": "system\n",
            "runtime.txt": "python 3\n",
            "pyproject.toml": '[project]\nrequires-python = "three"\n',
        },
    )
    inv = Inventory(tmp_path, environ={})
    assert inv.get("pyversions").declarations == ()
    assert any(d.path == "pyproject.toml" and "requires-python" in d.message for d in inv.diagnostics)
