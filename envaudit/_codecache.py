"""Compiled code kept between CLI runs: dataclass methods and regular expressions.

Every `@dataclass` builds its `__init__`, `__repr__`, `__eq__`, `__hash__` (and, when
frozen, `__setattr__`/`__delattr__`) as source text and compiles it with `exec`: about
400 compilations for the ~70 dataclasses a full `check` imports, some 45 ms of every run.
The text of each method is the same from one run to the next, and so is its compiled
code, so the CLI keeps a table text -> code object (marshal, the format of .pyc files)
next to the source cache and hands `dataclasses` an `exec` that looks there first. The
classes built are the same: the same text compiled the same way, executed the same way.

Regular expressions likewise: `re` parses and compiles a pattern in pure Python
(0.1-5 ms each, ~35 ms for the ~170 patterns a full check uses) into a list of integers
that the C engine (`_sre.compile`) turns into a Pattern. The table keeps, per (pattern,
flags), the exact arguments `re` passed to `_sre.compile`, and a later run hands them
to `_sre.compile` directly: the same Pattern, without the Python work.

Only the command line installs it (`install()`, before a subcommand's modules are
imported); `import envaudit` as a library changes nothing. The table lives in
`$ENVAUDIT_CACHE_DIR` (else `$XDG_CACHE_HOME/envaudit`, else `~/.cache/envaudit`), one
file per Python build; `ENVAUDIT_NO_CACHE=1` turns it off. A missing, unreadable or
foreign file is ignored and rewritten; a failure to write is ignored.
"""

from __future__ import annotations

import builtins
import contextlib
import os
import sys
from types import CodeType
from typing import Any

_MAX_ENTRIES = 5000  # several envaudit versions' worth; beyond that, start afresh

_table: dict[Any, Any] = {}
_added = 0
_path = ""


def _exec(source: Any, globals: dict[str, Any] | None = None, locals: Any = None) -> None:
    global _added
    frame = sys._getframe(1)
    if globals is None:  # dataclasses always passes both; keep exec's meaning otherwise
        globals = frame.f_globals
        locals = frame.f_locals if locals is None else locals
    if type(source) is str:
        # exec() compiles with the caller's __future__ flags, and so does this
        flags = frame.f_code.co_flags & _future_mask()
        key = source if not flags else f"{flags}\0{source}"
        code = _table.get(key)
        if code is None:
            code = compile(source, "<string>", "exec", flags, dont_inherit=True)
            _table[key] = code
            _added += 1
        source = code
    builtins.exec(source, globals, locals)


_MASK: list[int] = []


def _future_mask() -> int:
    if not _MASK:
        import __future__

        mask = 0
        for name in __future__.all_feature_names:
            mask |= getattr(__future__, name).compiler_flag
        _MASK.append(mask)
    return _MASK[0]


def _file(environ: dict[str, str] | os._Environ[str]) -> str:
    if environ.get("ENVAUDIT_CACHE_DIR"):
        base = environ["ENVAUDIT_CACHE_DIR"]
    else:
        xdg = environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        base = os.path.join(xdg, "envaudit")
    import zlib

    tag = sys.implementation.cache_tag or sys.implementation.name
    return os.path.join(base, f"code-{tag}-{zlib.crc32(sys.version.encode()):08x}.marshal")


class _SreRecorder:
    """Stands in for `_sre` inside re's compiler: records what `compile` is given."""

    def __init__(self, real: Any) -> None:
        self._real = real
        self.last: tuple[Any, ...] | None = None

    def compile(self, *args: Any) -> Any:
        # plain ints: re's opcodes and flags are int subclasses, which marshal refuses
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
        if type(p) not in (str, bytes) or flags & debug:
            return original(p, flags)
        key = ("re", p, int(flags))
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
            if recorder.last is not None:
                _table[key] = recorder.last
                _added += 1
        return pattern

    compile.__wrapped__ = original  # type: ignore[attr-defined]
    compiler.compile = compile


def install(environ: dict[str, str] | os._Environ[str] | None = None) -> None:
    """Load the table and let `dataclasses` use it; save new entries at exit."""
    global _path
    env = os.environ if environ is None else environ
    if _path or env.get("ENVAUDIT_NO_CACHE", "").lower() in ("1", "true", "yes"):
        return
    import dataclasses
    import marshal

    _path = _file(env)
    try:
        with open(_path, "rb") as fh:
            data = marshal.loads(fh.read())  # load(fh) reads in small pieces: 10x slower
        if isinstance(data, dict) and len(data) <= _MAX_ENTRIES:
            _table.update(
                (k, v)
                for k, v in data.items()
                if (isinstance(k, str) and isinstance(v, CodeType))
                or (isinstance(k, tuple) and isinstance(v, tuple))
            )
    except Exception:  # missing, truncated, from another Python: compile afresh
        pass
    dataclasses.exec = _exec  # type: ignore[attr-defined]  # a module global shadows the builtin
    _install_re()
    import atexit

    atexit.register(_save)


def _save() -> None:
    if not _added or not _path:
        return
    import marshal
    import tempfile

    tmp = None
    try:
        os.makedirs(os.path.dirname(_path), mode=0o700, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".code-", dir=os.path.dirname(_path))
        with os.fdopen(fd, "wb") as fh:
            marshal.dump(_table if len(_table) <= _MAX_ENTRIES else {}, fh)
        os.replace(tmp, _path)
        tmp = None
    except Exception:  # a read-only home, a full disk: the next run compiles again
        pass
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
