"""The Inventory: every fact envaudit knows, each domain built lazily, once.

A domain is a module of `envaudit.scanners` with a `scan(inv)` function; its
name is the domain name (`inv.get("requirements")` runs
`envaudit.scanners.requirements.scan`). A run that only needs dependency rules
never imports the git or GPU scanners. Scanners record problems with the input
as Diagnostics (`inv.diag(...)`) and never raise on bad input.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from envaudit._lazyre import lazy_re
from envaudit.config import Config
from envaudit.model import Diagnostic
from envaudit.textio import TextFile, read_text, relpath

T = TypeVar("T")

_SUPPRESS_RE = lazy_re(r"#\s*envaudit\s*:\s*ignore(?:\[(?P<codes>[A-Za-z0-9_,\s\-]*)\])?", re.IGNORECASE)


_NOT_PREFETCHED = object()


class _NeedsInventory(BaseException):
    """A prefetched scan asked for more than `_Detached` has (BaseException: no scanner's
    `except Exception` may take it for a failure of its own)."""


class _Detached:
    """What a prefetched scan sees of the Inventory: its inputs, and a diagnostics list
    kept aside until the domain is asked for."""

    def __init__(self, inv: Inventory) -> None:
        self.root = inv.root
        self.environ = inv.environ
        self.config = inv.config
        self.calls: list[tuple[str, str | None, int | None, int | None, str]] = []

    def rel(self, path: str | Path) -> str:
        return relpath(self.root, Path(path))

    def diag(
        self,
        message: str,
        path: str | None = None,
        line: int | None = None,
        column: int | None = None,
        code: str = "EA001",
    ) -> None:
        self.calls.append((message, path, line, column, code))

    def skipped(self, message: str) -> None:
        self.diag(message, code="EA002")

    def __getattr__(self, name: str) -> Any:
        raise _NeedsInventory(name)


class _Prefetch:
    def __init__(self, inv: Inventory, domain: str) -> None:
        import threading

        self.domain = domain
        self.detached = _Detached(inv)
        self.facts: Any = _NOT_PREFETCHED
        self.thread = threading.Thread(target=self._run, name=f"envaudit-{domain}", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            module = importlib.import_module(f"envaudit.scanners.{self.domain}")
            self.facts = module.scan(self.detached)
        except BaseException:  # anything at all: `get` scans again, in order
            self.facts = _NOT_PREFETCHED

    def take(self, inv: Inventory) -> Any:
        """The facts, their diagnostics replayed into `inv`; _NOT_PREFETCHED to scan again."""
        self.thread.join()
        if self.facts is not _NOT_PREFETCHED:
            for message, path, line, column, code in self.detached.calls:
                inv.diag(message, path, line, column, code)
        return self.facts


class Inventory:
    def __init__(
        self,
        root: str | Path,
        *,
        config: Config | None = None,
        python: str | None = None,
        image: str | None = None,
        environ: dict[str, str] | None = None,
    ) -> None:
        self.root = Path(root).resolve()
        self.config = config or Config()
        self.python_arg = python if python is not None else self.config.python
        # how the user named it, for "found by": the flag, or the configuration file
        self.python_label = (
            f"--python {python}"
            if python is not None
            else f"python = {self.config.python!r} in {self.config.source or 'the configuration'}"
        )
        self.image = image
        self.environ: dict[str, str] = dict(os.environ) if environ is None else dict(environ)
        self.diagnostics: list[Diagnostic] = []
        # rel path -> line -> codes suppressed there (None: every code)
        self.suppressions: dict[str, dict[int, frozenset[str] | None]] = {}
        self._facts: dict[str, Any] = {}
        self._in_progress: set[str] = set()
        self._texts: dict[str, TextFile | None] = {}
        self._tomls: dict[str, dict[str, Any] | None] = {}
        self._lines: dict[str, list[str]] = {}  # split once: is_suppressed runs per finding
        self._diag_keys: set[tuple[Any, ...]] = set()
        self._prefetched: dict[str, _Prefetch] = {}
        self._root_real: str | None = None
        # results computed once per audit from files that do not change during it (a
        # requirements file named by 10k `RUN pip install -r` lines is parsed once)
        self.memo: dict[tuple[Any, ...], Any] = {}
        if self.config.unread:
            from envaudit.boundary import outside_message

            for rel in self.config.unread:  # a config symlinked out of the root: named, not read
                self.diag(outside_message(rel, self.root / rel), rel)
        if python is None and self.config.python_refused:
            self.diag(self.config.python_refused, self.config.source, self.config.python_refused_line)

    # ------------------------------------------------------------------ facts
    def get(self, domain: str) -> Any:
        """The facts of one domain, scanning it on first use."""
        if domain in self._facts:
            return self._facts[domain]
        if domain in self._in_progress:
            raise RuntimeError(f"scanner cycle through {domain!r}")
        self._in_progress.add(domain)
        try:
            pending = self._prefetched.pop(domain, None)
            facts = pending.take(self) if pending is not None else _NOT_PREFETCHED
            if facts is _NOT_PREFETCHED:
                module = importlib.import_module(f"envaudit.scanners.{domain}")
                facts = module.scan(self)
        finally:
            self._in_progress.discard(domain)
        self._facts[domain] = facts
        return facts

    def prefetch(self, domain: str) -> None:
        """Start scanning `domain` in a background thread (a scan that mostly waits on
        subprocesses: git). Nothing of it reaches the Inventory until `get` asks for the
        domain: its diagnostics are replayed then, where the scan would have run, so the
        report is the same with or without it. A scan that needs more of the Inventory
        than its root, environment and diagnostics runs again there, in order."""
        if domain not in self._facts and domain not in self._prefetched:
            self._prefetched[domain] = _Prefetch(self, domain)

    def drop_prefetched(self) -> None:
        """Wait for (and forget) prefetched scans nobody asked for."""
        for pending in self._prefetched.values():
            pending.thread.join()
        self._prefetched.clear()

    def scanned(self) -> list[str]:
        return sorted(self._facts)

    def has(self, domain: str) -> bool:
        return domain in self._facts

    def put(self, domain: str, facts: Any) -> None:
        """Seed a domain (tests, snapshots loaded from disk)."""
        self._facts[domain] = facts

    # ------------------------------------------------------------ diagnostics
    def diag(
        self,
        message: str,
        path: str | None = None,
        line: int | None = None,
        column: int | None = None,
        code: str = "EA001",
        subject: str | None = None,
    ) -> None:
        key = (message, path, line, column, code)
        if key not in self._diag_keys:
            self._diag_keys.add(key)
            self.diagnostics.append(Diagnostic(message, path, line, column, code, subject))

    def isolate(self, rel: str | None, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        """Run one file's part of a scan; if it fails in any way (deep nesting, a value the
        parser's own types reject, a bug of ours on odd input), that file gets an EA001
        naming it and the scan goes on with the other files: one bad file never switches
        off a rule family."""
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # RecursionError and MemoryError included
            detail = " ".join(str(exc).split())[:200]
            kind = type(exc).__name__
            if isinstance(exc, RecursionError):
                why = "it is nested too deeply to analyse"
            elif isinstance(exc, MemoryError):
                why = "it is too large to analyse in memory"
            else:
                why = (
                    f"envaudit failed on it ({kind}: {detail})"
                    if detail
                    else f"envaudit failed on it ({kind})"
                )
            self.diag(f"{rel or 'an input'} could not be analysed: {why}; not audited", rel, None)
            return None

    def skipped(self, message: str, subject: str | None = None) -> None:
        """A scan that could not run here (EA002, info)."""
        self.diag(message, code="EA002", subject=subject)

    def suppress(self, rel: str, line: int, codes: frozenset[str] | None) -> None:
        """Register an inline suppression a scanner found (e.g. on a continuation line,
        or hadolint's comment for the next instruction)."""
        per_file = self.suppressions.setdefault(rel, {})
        old = per_file.get(line, frozenset())
        if codes is None or old is None:
            per_file[line] = None
        else:
            per_file[line] = old | codes

    def is_suppressed(self, code: str, rel: str | None, line: int | None) -> bool:
        if rel is None or line is None:
            return False
        registered = self.suppressions.get(rel, {})
        if line in registered:
            codes = registered[line]
            if codes is None or _code_in(code, codes):
                return True
        text = self._texts.get(rel)
        if text is None and rel not in self._texts:
            p = self.root / rel
            text = self.read(p) if p.is_file() else None
        if text is None:
            return False
        lines = self._lines.get(rel)
        if lines is None:
            lines = self._lines[rel] = text.text.splitlines()
        if not 1 <= line <= len(lines):
            return False
        codes = parse_suppression(lines[line - 1])
        return codes is not False and (codes is None or _code_in(code, codes))

    # ------------------------------------------------------------------ files
    def rel(self, path: str | Path) -> str:
        return relpath(self.root, Path(path))

    def read(self, path: str | Path, *, record: bool = True) -> TextFile | None:
        """Read a text file once; on failure record an EA001 naming it and return None."""
        p = Path(path)
        if not p.is_absolute():
            p = self.root / p
        rel = self.rel(p)
        if rel in self._texts:
            return self._texts[rel]
        from envaudit.boundary import outside, outside_message

        if outside(self.root, p, real_root=self._real_root()):  # `../x`, a symlink out: never read
            self.diag(outside_message(rel, p), rel)
            self._texts[rel] = None
            return None
        text, problem = read_text(p, rel)
        if problem is not None and (record or _not_regular(p)):
            # a FIFO or a device in the project is always worth saying, even where the
            # caller would stay quiet about a file it merely could not decode
            self.diag(problem.message, problem.path, problem.line, problem.column)
        self._texts[rel] = text
        return text

    def _real_root(self) -> str | None:
        """The root with every symlink resolved, worked out once per audit (not per file);
        None when it cannot be: `outside` then tries itself, and fails closed."""
        if self._root_real is None:
            try:
                self._root_real = os.path.realpath(self.root)
            except (OSError, ValueError):
                return None
        return self._root_real

    def toml(self, path: str | Path) -> dict[str, Any] | None:
        """A TOML file (pyproject.toml, Pipfile, ...) parsed once for every scanner and rule;
        invalid TOML is recorded once (EA001, with its line) and gives None."""
        p = Path(path)
        if not p.is_absolute():
            p = self.root / p
        rel = self.rel(p)
        if rel in self._tomls:
            return self._tomls[rel]
        data: dict[str, Any] | None = None
        text = self.read(p)
        if text is not None:
            from envaudit.parsing import ParseError, toml_loads

            try:
                data = toml_loads(text.text)
            except ParseError as exc:
                self.diag(exc.message, rel, exc.line, exc.column)
        self._tomls[rel] = data
        return data

    def files(self) -> tuple[str, ...]:
        """Project files (relative, `/`-separated), outside excluded and ignored paths."""
        return self.get("files").paths


def _not_regular(path: Path) -> bool:
    """A FIFO, a device or a socket (not a missing file, not a directory)."""
    import stat

    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def _code_in(code: str, codes: frozenset[str]) -> bool:
    return any(code == c or (c and code.startswith(c) and not c[-1].isdigit()) for c in codes)


def parse_suppression(line: str) -> frozenset[str] | bool | None:
    """`# envaudit: ignore[DEP002, DEP005]` -> those codes; bare `# envaudit: ignore` ->
    None (everything); no directive -> False."""
    m = _SUPPRESS_RE.search(line)
    if not m:
        return False
    raw = m.group("codes")
    if raw is None:
        return None
    codes = frozenset(c.strip().upper() for c in raw.split(",") if c.strip())
    return codes or None
