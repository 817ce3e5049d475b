"""Reading project files defensively: bad input becomes a Diagnostic, never a traceback."""

from __future__ import annotations

import os
import re
from pathlib import Path

from envaudit._dataclass import dataclass
from envaudit.model import Diagnostic

# Manifests, lockfiles and Dockerfiles are small; a 50 MB "requirements.txt" is junk or
# an attack, and parsing it would only make the audit slow.
MAX_TEXT_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class TextFile:
    path: Path
    rel: str
    text: str


def read_text(
    path: Path, rel: str, *, max_bytes: int = MAX_TEXT_BYTES
) -> tuple[TextFile | None, Diagnostic | None]:
    """Return the decoded text, or a Diagnostic saying precisely why not. Only a regular
    file is read, and at most `max_bytes` of it (envaudit.safeio)."""
    from envaudit import safeio

    data, refused = safeio.read_bytes(path, max_bytes)
    if data is None:
        assert refused is not None
        msg = refused.message(rel)
        if refused.too_large:  # "{rel} is 9.0 MB, over the 8 MB limit for a text manifest; ..."
            msg = msg.replace(" limit; not read", " limit for a text manifest; not audited")
        return None, Diagnostic(msg, rel)
    return decode(data, path, rel)


def decode(data: bytes, path: Path, rel: str) -> tuple[TextFile | None, Diagnostic | None]:
    nul = data.find(b"\x00", 0, 8192)
    if nul != -1 and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        line = data.count(b"\n", 0, nul) + 1
        return None, Diagnostic(f"{rel} is binary, not text (NUL byte at line {line})", rel, line)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return TextFile(path, rel, data.decode("utf-16")), None
        except UnicodeDecodeError:
            pass
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, Diagnostic(
            f"{rel} is not valid UTF-8 (byte 0x{data[exc.start]:02x} at line {line}, column {col})",
            rel,
            line,
            col,
        )
    return TextFile(path, rel, text), None


def relpath(root: Path, path: Path) -> str:
    """`path` relative to `root` with `/` separators; absolute if outside the root."""
    if os.sep == "/":  # the answer of the Path version below, in strings (~10x cheaper)
        a, r = os.path.abspath(path), os.path.abspath(root)
        if not a.startswith("//") and not r.startswith("//"):
            if a == r or a.startswith(r if r.endswith("/") else r + "/"):
                return os.path.relpath(a, r)
            return str(path)
    try:
        return Path(os.path.relpath(path, root)).as_posix() if _inside(root, path) else str(path)
    except ValueError:  # different drives on Windows
        return str(path)


def _inside(root: Path, path: Path) -> bool:
    try:
        Path(os.path.abspath(path)).relative_to(os.path.abspath(root))
        return True
    except ValueError:
        return False


def toml_error_line(exc: Exception, text: str) -> int | None:
    """The line of a TOMLDecodeError (`at line N`, or the last line at end of document)."""
    lineno = getattr(exc, "lineno", None)
    if isinstance(lineno, int):
        return lineno
    m = re.search(r"line (\d+)", str(exc))
    if m:
        return int(m.group(1))
    if "end of document" in str(exc):
        return max(len(text.splitlines()), 1)
    return None
