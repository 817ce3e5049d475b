"""textio.relpath: the string fast path gives the Path-based answer."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from envaudit import textio


def _by_paths(root: Path, path: Path) -> str:
    try:
        return Path(os.path.relpath(path, root)).as_posix() if textio._inside(root, path) else str(path)
    except ValueError:
        return str(path)


@pytest.mark.parametrize(
    ("root", "path"),
    [
        ("/p", "/p/a/b.py"),
        ("/p", "/p"),
        ("/p/", "/p/a"),
        ("/", "/x/y"),
        ("/p", "/pq/a"),
        ("/p", "/other/a"),
        ("/p", "/p/../q/a"),
        ("/p/./a", "/p/a/b/../c"),
        ("//p", "//p/a"),
        ("/p", "//p/a"),
        ("rel/root", "rel/root/x"),
        ("/p", "/p/é/x y.txt"),
    ],
)
def test_relpath_as_the_path_version(root: str, path: str) -> None:
    assert textio.relpath(Path(root), Path(path)) == _by_paths(Path(root), Path(path))


def test_relpath_inside_and_outside() -> None:
    assert textio.relpath(Path("/p"), Path("/p/a/b.py")) == "a/b.py"
    assert textio.relpath(Path("/p"), Path("/p")) == "."
    assert textio.relpath(Path("/p"), Path("/pq/a")) == "/pq/a"
