"""Bounded reads of files envaudit did not write: the project's, and the target environment's.

Every read of a project or environment file goes through `read_bytes` (or a helper
built on it). It reads only regular files, and at most a byte limit:

* `stat` first and refuse anything that is not a regular file (a FIFO would block
  the audit forever, a character device such as /dev/zero never ends, and opening
  some devices has side effects), following symlinks: a link to a regular file is
  read, a link to /dev/zero is refused;
* open with O_NONBLOCK (a FIFO swapped in after the stat cannot block the open), then
  `fstat` the descriptor and refuse again unless it is the same regular file;
* read at most `limit + 1` bytes, whatever `st_size` says (procfs and growing files
  lie), and refuse "too large" past the limit.

A refusal is a `Refusal`: a short reason ("is a FIFO, not a regular file") that the
caller turns into a finding naming the file. Nothing here raises on bad input.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from envaudit._dataclass import dataclass

MB = 1024 * 1024
# Defaults for what envaudit reads; callers pass tighter limits where a file is small
# by nature (pyvenv.cfg, INSTALLER, direct_url.json).
TEXT_LIMIT = 8 * MB  # manifests, lockfiles, Dockerfiles, docs
SMALL_LIMIT = 1 * MB  # one-line or few-line metadata files
_CHUNK = 1 << 20

_O_FLAGS = (
    os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
)


@dataclass(frozen=True)
class Refusal:
    """Why a file was not read: `message(name)` puts the file's name into `reason`
    (where `{name}` stands)."""

    reason: str
    too_large: bool = False
    missing: bool = False

    def message(self, name: str) -> str:
        return self.reason.replace("{name}", name)


def kind_of(mode: int) -> str:
    """`a FIFO`, `a character device`, ... for a non-regular file's mode."""
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a directory"
    return "not a regular file"


def _size_text(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n} bytes"


def limit_text(limit: int) -> str:
    return f"{limit // MB} MB" if limit >= MB and limit % MB == 0 else _size_text(limit)


def _os_reason(exc: OSError) -> Refusal:
    missing = exc.errno in (errno.ENOENT, errno.ENOTDIR)
    return Refusal(f"cannot read {{name}}: {exc.strerror or exc}", missing=missing)


def check_regular(path: str | os.PathLike[str]) -> tuple[os.stat_result | None, Refusal | None]:
    """`stat` (following links) and refuse what is not a regular file, without opening it."""
    try:
        st = os.stat(path)
    except OSError as exc:
        return None, _os_reason(exc)
    except ValueError as exc:  # an embedded NUL in a name taken from a file
        return None, Refusal(f"cannot read {{name}}: {exc}")
    if not stat.S_ISREG(st.st_mode):
        return None, Refusal(f"{{name}} is {kind_of(st.st_mode)}, not a regular file; not read")
    return st, None


def read_bytes(path: str | os.PathLike[str], limit: int = TEXT_LIMIT) -> tuple[bytes | None, Refusal | None]:
    """At most `limit` bytes of a regular file, or why not."""
    st, refused = check_regular(path)
    if refused is not None or st is None:
        return None, refused
    if st.st_size > limit:
        return None, Refusal(
            f"{{name}} is {_size_text(st.st_size)}, over the {limit_text(limit)} limit; not read",
            too_large=True,
        )
    try:
        fd = os.open(path, _O_FLAGS)
    except OSError as exc:
        return None, _os_reason(exc)
    try:
        fst = os.fstat(fd)
        if not stat.S_ISREG(fst.st_mode) or (fst.st_dev, fst.st_ino) != (st.st_dev, st.st_ino):
            kind = "not a regular file" if stat.S_ISREG(fst.st_mode) else kind_of(fst.st_mode)
            return None, Refusal(f"{{name}} changed while being read ({kind}); not read")
        chunks: list[bytes] = []
        got = 0
        while got <= limit:
            chunk = os.read(fd, min(_CHUNK, limit + 1 - got))
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
        if got > limit:
            return None, Refusal(f"{{name}} is over the {limit_text(limit)} limit; not read", too_large=True)
        return b"".join(chunks), None
    except OSError as exc:
        return None, _os_reason(exc)
    finally:
        os.close(fd)


def read_head(
    path: str | os.PathLike[str], limit: int, *, stop: tuple[bytes, ...] = ()
) -> tuple[bytes | None, Refusal | None]:
    """The first bytes of a regular file, up to the first of `stop` (excluded) or `limit`
    bytes, whichever comes first: for headers (METADATA up to its first blank line) where
    the rest of the file is not wanted. Never an error for a long file: it is cut."""
    st, refused = check_regular(path)
    if refused is not None or st is None:
        return None, refused
    try:
        fd = os.open(path, _O_FLAGS)
    except OSError as exc:
        return None, _os_reason(exc)
    try:
        fst = os.fstat(fd)
        if not stat.S_ISREG(fst.st_mode):
            return None, Refusal(f"{{name}} changed while being read ({kind_of(fst.st_mode)}); not read")
        buf = bytearray()
        chunk_size = 16384
        while len(buf) < limit:
            chunk = os.read(fd, min(chunk_size, limit - len(buf)))
            if not chunk:
                break
            seek_from = max(0, len(buf) - 4)  # a separator split across two chunks
            buf += chunk
            cut = min((i for i in (buf.find(s, seek_from) for s in stop) if i != -1), default=-1)
            if cut != -1:
                return bytes(buf[:cut]), None
            chunk_size = min(chunk_size * 2, _CHUNK)
        return bytes(buf), None
    except OSError as exc:
        return None, _os_reason(exc)
    finally:
        os.close(fd)


def read_text(
    path: str | os.PathLike[str], limit: int = SMALL_LIMIT, *, errors: str = "replace"
) -> tuple[str | None, Refusal | None]:
    """A small text file (pyvenv.cfg, INSTALLER, RECORD, ...) decoded as UTF-8."""
    data, refused = read_bytes(path, limit)
    if data is None:
        return None, refused
    return data.decode("utf-8", errors), None


def read_text_or_none(path: str | os.PathLike[str], limit: int = SMALL_LIMIT) -> str | None:
    """`read_text` for callers that treat every refusal as "absent"."""
    return read_text(path, limit)[0]


def is_regular(path: str | os.PathLike[str] | Path) -> bool:
    """True for a regular file (or a link to one); never raises."""
    return check_regular(path)[1] is None
