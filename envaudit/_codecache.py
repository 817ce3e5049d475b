"""Compiled regular expressions kept between CLI runs.

`re` parses and compiles a pattern in pure Python (0.1-5 ms each, ~35 ms for the ~170
patterns a full check uses) into a list of integers that the C engine (`_sre.compile`)
turns into a Pattern. The CLI keeps, per (pattern, flags), the exact arguments `re`
passed to `_sre.compile`, and a later run hands them to `_sre.compile` directly: the
same Pattern (`==` compares the compiled code), without the Python work.

The table is plain JSON, like the source cache: nothing loaded from it is code, and
every entry is checked field by field (a string pattern, integer flags, a list of
integers, a name -> group map); `_sre.compile` validates the code itself. An entry that
does not fit is dropped. (Dataclass methods are deliberately not cached: their compiled
form is a code object, and a cache directory can be shared or planted.)

Only the command line installs it (`install()`, before a subcommand's modules are
imported); `import envaudit` as a library changes nothing. The table lives in
`$ENVAUDIT_CACHE_DIR` (else `$XDG_CACHE_HOME/envaudit`, else `~/.cache/envaudit`), one
file per Python build; `ENVAUDIT_NO_CACHE=1` turns it off. A failure to write is ignored.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Any

_MAX_ENTRIES = 5000  # several envaudit versions' worth; beyond that, start afresh
_MAX_BYTES = 16 * 1024 * 1024

_table: dict[tuple[str, int], tuple[Any, ...]] = {}
_added = 0
_path = ""


def _file(environ: dict[str, str] | os._Environ[str]) -> str:
    if environ.get("ENVAUDIT_CACHE_DIR"):
        base = environ["ENVAUDIT_CACHE_DIR"]
    else:
        xdg = environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        base = os.path.join(xdg, "envaudit")
    import zlib

    tag = sys.implementation.cache_tag or sys.implementation.name
    return os.path.join(base, f"re-{tag}-{zlib.crc32(sys.version.encode()):08x}.json")


def _entry(item: Any) -> tuple[tuple[str, int], tuple[Any, ...]] | None:
    """One loaded entry, or None when it is not exactly the shape recorded."""
    if not (isinstance(item, list) and len(item) == 3):
        return None
    pattern, flags, args = item
    if type(pattern) is not str or type(flags) is not int or not isinstance(args, list) or len(args) != 6:
        return None
    src, final_flags, code, groups, groupindex, indexgroup = args
    if (
        src != pattern
        or type(final_flags) is not int
        or not (isinstance(code, list) and all(type(x) is int and 0 <= x < 2**32 for x in code))
        or type(groups) is not int
        or not (isinstance(groupindex, dict) and all(type(v) is int for v in groupindex.values()))
        or not (
            isinstance(indexgroup, (list, tuple)) and all(x is None or type(x) is str for x in indexgroup)
        )
    ):
        return None
    return (pattern, flags), (src, final_flags, code, groups, groupindex, tuple(indexgroup))


class _SreRecorder:
    """Stands in for `_sre` inside re's compiler: records what `compile` is given."""

    def __init__(self, real: Any) -> None:
        self._real = real
        self.last: tuple[Any, ...] | None = None

    def compile(self, *args: Any) -> Any:
        # plain ints: re's opcodes and flags are int subclasses
        self.last = tuple(
            [int(x) for x in a] if type(a) is list else int(a) if isinstance(a, int) else a for a in args
        )
        return self._real.compile(*args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def _install_re() -> None:
    import re
    import threading

    compiler = getattr(re, "_compiler", None) or sys.modules.get("sre_compile")
    real_sre = getattr(compiler, "_sre", None)
    original = getattr(compiler, "compile", None)
    if compiler is None or real_sre is None or original is None or isinstance(real_sre, _SreRecorder):
        return
    recorder = _SreRecorder(real_sre)
    lock = threading.Lock()
    debug = int(getattr(re, "DEBUG", 128))

    def compile(p: Any, flags: int = 0) -> Any:
        global _added
        if type(p) is not str or flags & debug:
            return original(p, flags)
        key = (p, int(flags))
        args = _table.get(key)
        if args is not None:
            return real_sre.compile(*args)
        with lock:
            recorder.last = None
            compiler._sre = recorder
            try:
                pattern = original(p, flags)
            finally:
                compiler._sre = real_sre
            got = recorder.last
            if got is not None and len(got) == 6 and _entry([p, int(flags), list(got)]) is not None:
                _table[key] = got
                _added += 1
        return pattern

    compile.__wrapped__ = original  # type: ignore[attr-defined]
    compiler.compile = compile


def install(environ: dict[str, str] | os._Environ[str] | None = None) -> None:
    """Load the table and let `re` use it; save new entries at exit."""
    global _path
    env = os.environ if environ is None else environ
    if _path or env.get("ENVAUDIT_NO_CACHE", "").lower() in ("1", "true", "yes"):
        return
    import json

    _path = _file(env)
    try:
        with open(_path, "rb") as fh:
            raw = fh.read(_MAX_BYTES + 1)
        data = json.loads(raw) if len(raw) <= _MAX_BYTES else None
        if isinstance(data, list) and len(data) <= _MAX_ENTRIES:
            for item in data:
                got = _entry(item)
                if got is not None:
                    _table[got[0]] = got[1]
    except (OSError, ValueError, RecursionError):  # missing, truncated, planted: compile afresh
        pass
    _install_re()
    import atexit

    atexit.register(_save)


def _save() -> None:
    if not _added or not _path:
        return
    import json
    import tempfile

    tmp = None
    try:
        os.makedirs(os.path.dirname(_path), mode=0o700, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".re-", dir=os.path.dirname(_path))
        rows = [[p, f, list(args)] for (p, f), args in _table.items()] if len(_table) <= _MAX_ENTRIES else []
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(rows, fh, separators=(",", ":"))
        os.replace(tmp, _path)
        tmp = None
    except Exception:  # a read-only home, a full disk: the next run compiles again
        pass
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
