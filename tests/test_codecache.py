"""envaudit._codecache: regular expressions (and dataclasses, untouched) built with the cache are the
ones Python builds without it. Each case runs in fresh interpreters (the cache hooks are
process-wide): without the cache, cold (filling it), then warm (reading it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

PROBE = textwrap.dedent(
    r'''
    import dataclasses, hashlib, inspect, json, re, sys
    from envaudit import _codecache
    _codecache.install()
    from dataclasses import dataclass, field

    @dataclass(frozen=True)
    class Point:
        x: int
        y: int = 0
        tags: tuple[str, ...] = ()

    @dataclass
    class Bag:
        """A bag."""
        items: list[int] = field(default_factory=list)
        name: str = field(default="b", compare=False)

    @dataclass(order=True, kw_only=True)
    class Ranked:
        rank: int
        label: str = ""

    out = {"classes": [], "patterns": [], "added": None}
    for cls, inst in ((Point, Point(1, 2)), (Bag, Bag([1])), (Ranked, Ranked(rank=3))):
        methods = {
            n: hashlib.sha256(getattr(cls, n).__code__.co_code).hexdigest()
            for n in ("__init__", "__repr__", "__eq__", "__setattr__", "__hash__", "__lt__")
            if hasattr(getattr(cls, n, None), "__code__") and getattr(cls, n).__module__ != "builtins"
            and getattr(cls, n).__qualname__.startswith(cls.__qualname__)
        }
        out["classes"].append([cls.__doc__, str(inspect.signature(cls)), repr(inst), inst == inst,
                               cls.__init__.__annotations__.__repr__(), sorted(methods.items())])
    try:
        Point(1).x = 2
    except dataclasses.FrozenInstanceError as exc:
        out["frozen"] = type(exc).__name__
    sources = [(r"(?P<name>[A-Za-z_][\w.-]*)\s*==\s*(?P<ver>\d+(?:\.\d+)*)", re.I | re.M),
               (r"^\s*FROM\s+(\S+)(?:\s+AS\s+(\w+))?", re.IGNORECASE), (r"(?x) a  b # c\n", 0),
               (rb"\x00\xff+", 0), (r"[-_.]+", 0)]
    compiler = getattr(re, "_compiler", None) or sys.modules["sre_compile"]
    for src, flags in sources:
        p = re.compile(src, flags)
        fresh = compiler.compile.__wrapped__(src, flags) if hasattr(compiler.compile, "__wrapped__") else p
        out["patterns"].append([repr(p), p.groups, dict(p.groupindex), p == fresh,
                                [m.span() for m in p.finditer(src if isinstance(src, str) else src)]])
    out["added"] = _codecache._added
    print(json.dumps(out))
    '''
)


def _probe(cache: Path, *, no_cache: bool = False) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO), "ENVAUDIT_CACHE_DIR": str(cache)}
    env.pop("ENVAUDIT_NO_CACHE", None)
    if no_cache:
        env["ENVAUDIT_NO_CACHE"] = "1"
    p = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, check=True)
    return json.loads(p.stdout)


def test_cached_classes_and_patterns_are_the_ones_python_builds(tmp_path: Path) -> None:
    plain = _probe(tmp_path / "none", no_cache=True)
    cold = _probe(tmp_path / "c")
    warm = _probe(tmp_path / "c")
    assert list((tmp_path / "c").glob("re-*.json")), "the cold run saved its table"
    assert not (tmp_path / "none").exists(), "ENVAUDIT_NO_CACHE=1 writes nothing"
    assert cold["added"] > 0 and warm["added"] == 0  # the warm run compiled nothing
    for key in ("classes", "patterns", "frozen"):
        assert plain[key] == cold[key] == warm[key]
    assert all(p[3] for p in warm["patterns"])  # replayed Pattern == freshly compiled Pattern


def test_a_corrupt_table_is_ignored_and_rewritten(tmp_path: Path) -> None:
    good = _probe(tmp_path / "c")
    (table,) = (tmp_path / "c").glob("re-*.json")
    table.write_bytes(b'[["x", 0, ["y"]]] not json')
    again = _probe(tmp_path / "c")
    assert again["classes"] == good["classes"] and again["patterns"] == good["patterns"]
    assert again["added"] > 0 and table.read_bytes() != b'[["x", 0, ["y"]]] not json'
