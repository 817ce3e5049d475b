"""Files the fixers write look like files the user wrote: the umask's mode, not mkstemp's 0600."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from envaudit.fixes._write import atomic_write


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_new_file_gets_the_umask_mode(tmp_path: Path, umask: int, mode: int) -> None:
    old = os.umask(umask)
    try:
        atomic_write(tmp_path, tmp_path / "sub" / "Dockerfile", "FROM scratch\n")
    finally:
        os.umask(old)
    target = tmp_path / "sub" / "Dockerfile"
    assert target.read_text() == "FROM scratch\n"
    assert target.stat().st_mode & 0o777 == mode
    assert [p.name for p in target.parent.iterdir()] == ["Dockerfile"]  # no temporary file left


def test_existing_file_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "run.sh"
    target.write_text("old\n")
    target.chmod(0o755)
    atomic_write(tmp_path, target, "new\n")
    assert target.read_text() == "new\n" and target.stat().st_mode & 0o777 == 0o755
