"""The `envaudit-deps` hook reads the repository's .pre-commit-config.yaml (to leave out
what the `envaudit` hook already runs): a planted one must not hang it."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from envaudit.config import Config
from envaudit.precommit import deps_selection


def _bounded(cwd: Path, limit: float) -> float:
    box: dict[str, object] = {}

    def work() -> None:
        box["out"] = deps_selection(cwd, Config(select=("DEP",)), {"PRE_COMMIT": "1"})

    t0 = time.monotonic()
    th = threading.Thread(target=work, daemon=True)
    th.start()
    th.join(limit)
    assert not th.is_alive(), "deps_selection did not finish"
    return time.monotonic() - t0


def test_a_fifo_config_is_not_opened(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / ".pre-commit-config.yaml")
    assert _bounded(tmp_path, 10) < 10


def test_an_alias_bomb_config_is_bounded(tmp_path: Path) -> None:
    n = 60_000  # 360 kB naming one hooks list 3.6 billion times
    text = "\n".join(
        [
            "h: &h {id: x}",
            "hs: &hs [" + ",".join(["*h"] * n) + "]",
            "r: &r {repo: local, hooks: *hs}",
            "repos: [" + ",".join(["*r"] * n) + "]",
        ]
    )
    (tmp_path / ".pre-commit-config.yaml").write_text(text + "\n", encoding="utf-8")
    assert _bounded(tmp_path, 30) < 10
