"""The source scanner's per-file cache: same answers, replayed diagnostics, invalidation."""

from __future__ import annotations

from pathlib import Path

import pytest

from envaudit.config import Config
from envaudit.engine import run_check
from tests.conftest import write

TRAIN = """
import random
random.seed(0)
print(random.random())
"""


def _run(root: Path, env: dict[str, str]) -> list[tuple[str, str | None, int | None, str]]:
    result = run_check(root, Config(select=("DET", "EA001")), environ=env)
    return [(f.code, f.location.path, f.location.line, f.message) for f in result.findings]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"ENVAUDIT_CACHE_DIR": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"}


def test_second_run_is_a_cache_hit_with_the_same_findings(tmp_path: Path, env: dict[str, str]) -> None:
    root = write(
        tmp_path / "p",
        {"train.py": TRAIN, "broken.py": "def f(:\n", "unseeded.py": "import random\nrandom.random()\n"},
    )
    first = _run(root, env)
    assert ("EA001", "broken.py", 1) in {f[:3] for f in first}  # the syntax error
    assert any(f[0] == "DET001" and f[1] == "unseeded.py" for f in first)
    (cache_file,) = (tmp_path / "cache").glob("source-*.json")
    stamp = cache_file.stat().st_mtime_ns
    assert _run(root, env) == first  # diagnostics replayed from the cache too
    assert cache_file.stat().st_mtime_ns == stamp  # nothing changed, nothing rewritten


def test_an_edited_file_is_parsed_again(tmp_path: Path, env: dict[str, str]) -> None:
    root = write(tmp_path / "p", {"train.py": TRAIN})
    assert not any(f[0] == "DET001" for f in _run(root, env))
    (root / "train.py").write_text("import random\nprint(random.random())\n")
    assert any(f[0] == "DET001" and f[1] == "train.py" for f in _run(root, env))


def test_cache_can_be_turned_off_and_survives_corruption(tmp_path: Path, env: dict[str, str]) -> None:
    root = write(tmp_path / "p", {"train.py": "import random\nrandom.random()\n"})
    expected = _run(root, {**env, "ENVAUDIT_NO_CACHE": "1"})
    assert not (tmp_path / "cache").exists()
    _run(root, env)
    (cache_file,) = (tmp_path / "cache").glob("source-*.json")
    cache_file.write_bytes(b"\x80\x04 not a pickle")
    assert _run(root, env) == expected


class _Payload:
    """Unpickling this runs a shell command (what a planted cache file would do)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        import os

        return (os.system, (f"touch {self.marker}",))


def test_a_planted_pickle_never_runs(tmp_path: Path, env: dict[str, str]) -> None:
    import pickle

    root = write(tmp_path / "p", {"train.py": "import random\nrandom.random()\n"})
    expected = _run(root, {**env, "ENVAUDIT_NO_CACHE": "1"})
    marker = tmp_path / "ran"
    payload = pickle.dumps({"namespace": "x", "entries": _Payload(marker)})
    pickle.loads(payload)  # the payload is live: loading it with pickle runs the command
    assert marker.exists()
    marker.unlink()
    _run(root, env)
    (cache_file,) = (tmp_path / "cache").glob("source-*.json")
    # planted where the cache lives now and where the pickle cache used to live
    cache_file.write_bytes(payload)
    cache_file.with_suffix(".pickle").write_bytes(payload)
    assert _run(root, env) == expected
    assert not marker.exists()


def test_entries_that_do_not_fit_are_dropped_one_by_one(tmp_path: Path, env: dict[str, str]) -> None:
    import json

    files = {"a.py": "import random\nrandom.random()\n", "b.py": "import random\nrandom.random()\n"}
    root = write(tmp_path / "p", files)
    expected = _run(root, {**env, "ENVAUDIT_NO_CACHE": "1"})
    _run(root, env)
    (cache_file,) = (tmp_path / "cache").glob("source-*.json")
    data = json.loads(cache_file.read_text())
    assert len(data["entries"]) == 2
    key, value = data["entries"][0]
    module = value[0][0]
    module[0] = 42  # Module.path must be a string
    data["entries"][0] = [key, value]
    data["entries"].append([key, {"__class__": "os.system"}])  # not the shape of a value at all
    data["entries"].append("junk")
    cache_file.write_text(json.dumps(data))

    from envaudit.scanners._source_cache import _load

    loaded = _load(cache_file, data["namespace"])
    assert len(loaded) == 1  # the intact entry survives; the three others are dropped
    assert _run(root, env) == expected
    assert len(json.loads(cache_file.read_text())["entries"]) == 2  # rebuilt


def test_deeply_nested_cache_json_is_ignored(tmp_path: Path, env: dict[str, str]) -> None:
    root = write(tmp_path / "p", {"train.py": "import random\nrandom.random()\n"})
    expected = _run(root, {**env, "ENVAUDIT_NO_CACHE": "1"})
    _run(root, env)
    (cache_file,) = (tmp_path / "cache").glob("source-*.json")
    cache_file.write_text("[" * 100_000 + "]" * 100_000)
    assert _run(root, env) == expected
