"""Data provenance: DVC outputs verified against their recorded hashes, checksum
manifests verified against the files they list, and the project's data folders.

DVC files (`*.dvc`, `dvc.lock`) are read with yaml; dvc itself is never imported.
Hashes are recomputed the way DVC computes them:

* DVC 3 (an out with `hash: md5`): the md5 of the file's bytes.
* DVC 2 and earlier (no `hash` key; DVC 3 calls it `md5-dos2unix`): the file is
  read in 1 MiB chunks; a chunk whose first 512 bytes look like text (no NUL,
  at most 30% bytes outside printable ASCII and \\n\\r\\t\\f\\b) has every CRLF
  replaced by LF before it is hashed; other chunks are hashed as they are.
* A directory (`md5: <hex>.dir`): every file below it is hashed as above and
  the listing `[{"md5": ..., "relpath": ...}, ...]` (sorted by relpath, `/`
  separators) is serialised with `json.dumps(..., sort_keys=True)`; the md5 of
  that UTF-8 text, plus `.dir`, is the directory's hash.

Files are hashed with 1 MiB `readinto` buffers, several files at a time
(hashlib releases the GIL), which is as fast as the disk and md5 allow.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from envaudit._dataclass import dataclass
from envaudit._lazyre import lazy_re

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from concurrent.futures import ThreadPoolExecutor

    from envaudit.inventory import Inventory

CHUNK = 1024 * 1024  # DVC hashes in 1 MiB chunks (matters for the dos2unix variant)
TEXT_PROBE = 512
_TEXT_CHARS = bytes(range(32, 127)) + b"\n\r\t\f\b"
DATA_DIR_NAMES = ("data", "datasets", "dataset", "raw_data")
DATA_SUFFIXES = (
    ".csv", ".tsv", ".parquet", ".feather", ".arrow", ".npy", ".npz", ".h5", ".hdf5", ".pkl",
    ".pickle", ".jsonl", ".tfrecord", ".zip", ".tar", ".gz", ".tgz", ".zst", ".bin", ".mat", ".nc",
)  # fmt: skip
LARGE_DATA_FILE = 10 * 1024 * 1024
MAX_WALK = 100_000
MANIFEST_NAMES = {
    "SHA256SUMS": "sha256",
    "SHA256SUMS.txt": "sha256",
    "sha256sums": "sha256",
    "sha256sums.txt": "sha256",
    "SHA512SUMS": "sha512",
    "SHA1SUMS": "sha1",
    "MD5SUMS": "md5",
    "md5sums": "md5",
    "md5sums.txt": "md5",
    "MD5SUMS.txt": "md5",
}
MANIFEST_SUFFIXES = {".sha256": "sha256", ".sha512": "sha512", ".sha1": "sha1", ".md5": "md5"}
_HEX_LEN = {32: "md5", 40: "sha1", 64: "sha256", 128: "sha512"}
_GNU_LINE = lazy_re(r"^(?P<esc>\\?)(?P<hex>[0-9a-fA-F]{32,128}) (?P<mode>[ *])(?P<path>.+)$")
_BSD_LINE = lazy_re(r"^(?P<algo>MD5|SHA1|SHA256|SHA512) \((?P<path>.+)\) = (?P<hex>[0-9a-fA-F]+)$")


@dataclass(frozen=True)
class DvcOut:
    source: str  # the .dvc file or dvc.lock that records it
    line: int | None
    path: str  # project-relative
    kind: str  # "out" or "dep" (dvc.lock) ; .dvc files record outs
    stage: str | None
    expected: str  # md5 as recorded (".dir" suffix for directories)
    algorithm: str  # "md5" (DVC 3) or "md5-dos2unix" (DVC 2 and earlier)
    status: str  # "ok", "modified", "missing", "unverified"
    actual: str | None = None
    detail: str = ""


@dataclass(frozen=True)
class ChecksumEntry:
    manifest: str
    line: int
    path: str  # project-relative
    algorithm: str
    expected: str
    status: str  # "ok", "modified", "missing"
    actual: str | None = None


@dataclass(frozen=True)
class DataDir:
    path: str
    files: int
    size: int
    truncated: bool = False


@dataclass(frozen=True)
class DataFacts:
    dvc_repo: bool  # a .dvc/ directory exists
    dvc_files: tuple[str, ...]
    outs: tuple[DvcOut, ...]
    manifests: tuple[str, ...]
    checksums: tuple[ChecksumEntry, ...]
    data_dirs: tuple[DataDir, ...]
    large_files: tuple[tuple[str, int], ...]  # project files with data suffixes >= 10 MiB
    dvcignore: bool = False


# --------------------------------------------------------------------------- hashing
def istextblock(block: bytes) -> bool:
    """DVC's text heuristic for one block (the first 512 bytes of a chunk)."""
    if not block:
        return True
    if b"\x00" in block:
        return False
    return len(block.translate(None, _TEXT_CHARS)) / len(block) <= 0.30


def hash_file(path: str | Path, algorithm: str = "md5") -> str:
    """Hex digest of a file; `md5-dos2unix` is DVC 2's text-normalising md5."""
    dos2unix = algorithm == "md5-dos2unix"
    h = hashlib.new("md5" if dos2unix else algorithm)
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    from envaudit import safeio

    _st, refused = safeio.check_regular(path)  # a FIFO would block, /dev/zero never ends
    if refused is not None:
        raise OSError(refused.message(os.path.basename(str(path))))
    with open(path, "rb", buffering=0) as fh:
        while True:
            n = fh.readinto(buf)
            if not n:
                break
            if dos2unix:
                chunk = bytes(view[:n])
                h.update(chunk.replace(b"\r\n", b"\n") if istextblock(chunk[:TEXT_PROBE]) else chunk)
            else:
                h.update(view[:n])
    return h.hexdigest()


def dir_listing(
    root: Path, algorithm: str, pool: ThreadPoolExecutor | _LazyPool | None = None
) -> list[dict[str, str]]:
    files: list[tuple[str, str]] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in (".git", ".dvc", ".hg"))
        rel_dir = os.path.relpath(dirpath, root)
        for name in filenames:
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            files.append((rel.replace(os.sep, "/"), os.path.join(dirpath, name)))
    digests = (pool.map if pool else map)(lambda item: hash_file(item[1], algorithm), files)
    return sorted(
        ({"md5": d, "relpath": rel} for (rel, _), d in zip(files, digests, strict=True)),
        key=lambda e: e["relpath"],
    )


def dir_hash(root: Path, algorithm: str = "md5", pool: ThreadPoolExecutor | _LazyPool | None = None) -> str:
    listing = dir_listing(root, algorithm, pool)
    return hashlib.md5(json.dumps(listing, sort_keys=True).encode("utf-8")).hexdigest() + ".dir"


# --------------------------------------------------------------------------- scan
class _LazyPool:
    """Threads started on the first file to hash: most projects have no DVC output or
    checksum manifest, and concurrent.futures (which imports logging) is not free."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: ThreadPoolExecutor | None = None

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
        items = list(items)
        if not items:
            return iter(())
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(max_workers=self.workers)
        return self._pool.map(fn, items)

    def __enter__(self) -> _LazyPool:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown()


def scan(inv: Inventory) -> DataFacts:
    files = inv.files()
    dvc_files = [p for p in files if p.endswith(".dvc") and not p.startswith(".dvc/")]
    locks = [p for p in files if p == "dvc.lock" or p.endswith("/dvc.lock")]
    manifests = [p for p in files if _manifest_algo(p) is not None]
    workers = min(8, (os.cpu_count() or 2) * 2)
    with _LazyPool(workers) as pool:
        outs: list[DvcOut] = []
        for rel in dvc_files:
            outs.extend(_read_dvc_file(inv, rel))
        for rel in locks:
            outs.extend(_read_lock(inv, rel))
        dvcignore = _has_dvcignore(inv)
        outs = _verify_outs(inv, outs, pool, dvcignore)
        checksums: list[ChecksumEntry] = []
        for rel in manifests:
            checksums.extend(_read_manifest(inv, rel))
        checksums = _verify_checksums(inv, checksums, pool)
    large = []
    for p in files:
        if p.lower().endswith(DATA_SUFFIXES):
            try:
                size = os.lstat(inv.root / p).st_size
            except OSError:
                continue
            if size >= LARGE_DATA_FILE:
                large.append((p, size))
    return DataFacts(
        dvc_repo=(inv.root / ".dvc").is_dir(),
        dvc_files=tuple(dvc_files + locks),
        outs=tuple(outs),
        manifests=tuple(manifests),
        checksums=tuple(checksums),
        data_dirs=_data_dirs(inv, large),
        large_files=tuple(large),
        dvcignore=dvcignore,
    )


def _has_dvcignore(inv: Inventory) -> bool:
    p = inv.root / ".dvcignore"
    from envaudit import safeio

    text = safeio.read_text_or_none(p, safeio.TEXT_LIMIT)
    return text is not None and any(x.strip() and not x.startswith("#") for x in text.splitlines())


def _yaml(inv: Inventory, rel: str) -> Any:
    from envaudit.parsing import ParseError, yaml_load

    text = inv.read(rel)
    if text is None:
        return None
    try:
        return yaml_load(text.text)
    except ParseError as exc:  # syntax, `md5: !!int abc`, nesting: one finding for this file
        inv.diag(f"{rel} is not valid YAML: {exc.message.removeprefix('invalid YAML: ')}", rel, exc.line)
        return None


def _line_of(inv: Inventory, rel: str, value: str, after: int = 0) -> int | None:
    text = inv.read(rel, record=False)
    if text is None:
        return None
    for i, line in enumerate(text.text.splitlines()[after:], start=after + 1):
        s = line.strip().lstrip("- ").strip()
        if s.startswith("path:") and s[5:].strip().strip("'\"") == value:
            return i
    return None


def _base(rel: str) -> PurePosixPath:
    return PurePosixPath(rel).parent


def _norm(p: PurePosixPath) -> str:
    return os.path.normpath(str(p)).replace(os.sep, "/")


def _out(
    inv: Inventory, source: str, entry: Any, base: PurePosixPath, kind: str, stage: str | None, idx: int
) -> DvcOut | None:
    if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
        inv.diag(f"{source}: {kind} #{idx + 1}{f' of stage {stage}' if stage else ''} has no path", source)
        return None
    raw = entry["path"]
    line = _line_of(inv, source, raw)
    if "://" in raw or raw.startswith("remote:"):
        return None  # an external dependency (URL): nothing local to verify
    path = _norm(base / raw)
    md5 = entry.get("md5")
    algo = "md5" if str(entry.get("hash", "")).lower() == "md5" else "md5-dos2unix"
    if not isinstance(md5, str) or not md5:
        other = next((k for k in ("etag", "checksum", "sha256") if k in entry), None)
        detail = f"records {other}, not md5" if other else "records no hash"
        return DvcOut(source, line, path, kind, stage, "", algo, "unverified", detail=detail)
    return DvcOut(source, line, path, kind, stage, md5, algo, "pending")


def _read_dvc_file(inv: Inventory, rel: str) -> list[DvcOut]:
    data = _yaml(inv, rel)
    if data is None:
        return []
    if not isinstance(data, dict) or not isinstance(data.get("outs", []), list):
        inv.diag(f"{rel} is not a DVC file: expected a mapping with an `outs` list", rel, 1)
        return []
    base = _base(rel)
    if isinstance(data.get("wdir"), str):
        base = base / data["wdir"]
    out = []
    for i, entry in enumerate(data.get("outs") or []):
        o = _out(inv, rel, entry, base, "out", None, i)
        if o:
            out.append(o)
    return out


def _read_lock(inv: Inventory, rel: str) -> list[DvcOut]:
    data = _yaml(inv, rel)
    if data is None:
        return []
    if not isinstance(data, dict):
        inv.diag(f"{rel} is not a dvc.lock: expected a mapping", rel, 1)
        return []
    stages = data.get("stages") if "schema" in data else data  # DVC 1.x locks had no schema key
    if not isinstance(stages, dict):
        inv.diag(f"{rel}: `stages` is not a mapping", rel)
        return []
    base = _base(rel)
    out = []
    for name, stage in stages.items():
        if not isinstance(stage, dict):
            continue
        for kind in ("deps", "outs"):
            for i, entry in enumerate(stage.get(kind) or []):
                o = _out(inv, rel, entry, base, kind[:-1], str(name), i)
                if o:
                    out.append(o)
    return out


def _verify_outs(inv: Inventory, outs: list[DvcOut], pool: _LazyPool, dvcignore: bool) -> list[DvcOut]:
    from dataclasses import replace

    def one(o: DvcOut) -> DvcOut:
        if o.status != "pending":
            return o
        p = inv.root / o.path
        try:
            if o.expected.endswith(".dir"):
                if dvcignore and p.is_dir():
                    return replace(o, status="unverified", detail=".dvcignore patterns are not interpreted")
                if not p.is_dir():
                    return replace(
                        o, status="missing" if not p.exists() else "modified", detail="not a directory"
                    )
                actual = dir_hash(p, o.algorithm, pool)
            elif p.is_file():
                actual = hash_file(p, o.algorithm)
            elif p.exists():
                return replace(o, status="modified", detail="a directory where a file was recorded")
            else:
                return replace(o, status="missing")
        except OSError as exc:
            return replace(o, status="unverified", detail=f"unreadable: {exc.strerror or exc}")
        return replace(o, status="ok" if actual == o.expected else "modified", actual=actual)

    # Files in parallel; a directory's files are hashed in parallel inside it, so dirs go one by one.
    files = list(pool.map(one, [o for o in outs if not o.expected.endswith(".dir")]))
    dirs = [one(o) for o in outs if o.expected.endswith(".dir")]
    return sorted(files + dirs, key=lambda o: (o.source, o.line or 0, o.path))


def _manifest_algo(rel: str) -> str | None:
    name = rel.rpartition("/")[2]
    if name in MANIFEST_NAMES:
        return MANIFEST_NAMES[name]
    suffix = os.path.splitext(name)[1].lower()
    return MANIFEST_SUFFIXES.get(suffix)


def _read_manifest(inv: Inventory, rel: str) -> list[ChecksumEntry]:
    text = inv.read(rel)
    if text is None:
        return []
    base = _base(rel)
    sidecar_target = (
        rel[: -len(os.path.splitext(rel)[1])] if rel.rpartition("/")[2] not in MANIFEST_NAMES else None
    )
    entries = []
    for i, raw in enumerate(text.text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = _GNU_LINE.match(line)
        bsd = None if m else _BSD_LINE.match(line)
        if m:
            hexd, path = m["hex"].lower(), m["path"]
            if m["esc"]:
                path = path.replace("\\\\", "\0").replace("\\n", "\n").replace("\0", "\\")
        elif bsd:
            hexd, path = bsd["hex"].lower(), bsd["path"]
        elif sidecar_target and re.fullmatch(r"[0-9a-fA-F]{32,128}", line):
            hexd, path = line.lower(), PurePosixPath(sidecar_target).name  # a bare digest: the sidecar's file
        else:
            inv.diag(f"{rel}:{i}: not a checksum line (`<hex>  <path>` or `<hex> *<path>`)", rel, i)
            continue
        algo = _HEX_LEN.get(len(hexd))
        if algo is None:
            inv.diag(f"{rel}:{i}: a {len(hexd)}-digit digest is no md5/sha1/sha256/sha512", rel, i)
            continue
        entries.append(ChecksumEntry(rel, i, _norm(base / path), algo, hexd, "pending"))
    return entries


def _verify_checksums(inv: Inventory, entries: list[ChecksumEntry], pool: _LazyPool) -> list[ChecksumEntry]:
    from dataclasses import replace

    def one(e: ChecksumEntry) -> ChecksumEntry:
        p = inv.root / e.path
        if not p.is_file():
            return replace(e, status="missing")
        try:
            actual = hash_file(p, e.algorithm)
        except OSError:
            return replace(e, status="missing")
        return replace(e, status="ok" if actual == e.expected else "modified", actual=actual)

    return list(pool.map(one, entries))


def _data_dirs(inv: Inventory, large: list[tuple[str, int]]) -> tuple[DataDir, ...]:
    candidates = [n for n in DATA_DIR_NAMES if (inv.root / n).is_dir()]
    for path, _ in large:
        parent = path.rpartition("/")[0]
        top = parent.split("/")[0] if parent else ""
        if top and top not in candidates:
            candidates.append(top)
    out = []
    for rel in candidates:
        count = size = 0
        truncated = False
        for dirpath, dirnames, filenames in os.walk(inv.root / rel):
            dirnames[:] = [d for d in dirnames if d not in (".git", ".dvc")]
            for name in filenames:
                count += 1
                with contextlib.suppress(OSError):
                    size += os.lstat(os.path.join(dirpath, name)).st_size
            if count > MAX_WALK:
                truncated = True
                break
        out.append(DataDir(rel, count, size, truncated))
    return tuple(out)
