"""Comparing what two runs wrote: identical bytes, numbers close within tolerance,
or different (with where, and by how much).

Understood formats: JSON (and JSON Lines), CSV/TSV, YAML, NumPy `.npy`/`.npz`,
safetensors, PyTorch checkpoints (`torch.save` files, loaded with
`weights_only=True` in the command's own interpreter, never in envaudit's), and
text (stdout, logs): numbers in lines such as `loss 0.3490` are compared with the
tolerance, the words around them must match. Anything else is compared byte by
byte. `.npy` and safetensors are read here without NumPy.
"""

from __future__ import annotations

import ast
import itertools
import json
import math
import re
import struct
import subprocess
import sys
import zipfile
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

IDENTICAL, CLOSE, DIFFERENT, MISSING = "identical", "close", "different", "missing"
_RANK = {IDENTICAL: 0, CLOSE: 1, DIFFERENT: 2, MISSING: 3}
_NUM_RE = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|inf)\b")


@dataclass(frozen=True)
class Comparison:
    status: str
    max_abs: float | None = None
    max_rel: float | None = None
    first: str | None = None

    def worse(self, other: Comparison) -> bool:
        return _RANK[self.status] > _RANK[other.status]


@dataclass(frozen=True)
class Tolerance:
    rtol: float = 1e-5
    atol: float = 1e-8

    def close(self, a: float, b: float) -> bool:
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        if math.isinf(a) or math.isinf(b):
            return a == b
        if looks_like_epoch(a) and looks_like_epoch(b):
            # Unix times (2001-09-09 .. 2286): the relative tolerance would let hours pass
            return abs(a - b) <= self.atol
        return abs(a - b) <= self.atol + self.rtol * abs(b)


def looks_like_epoch(x: float) -> bool:
    """A value in the range of Unix times in seconds (1e9 .. 1e10), compared by --atol only."""
    return 1e9 <= abs(x) < 1e10


MAX_NODES = 5_000_000  # values walked in one comparison (a YAML alias bomb expands without end)
MAX_PARSED = {".json": 8 << 20, ".jsonl": 8 << 20, ".yaml": 1 << 20, ".yml": 1 << 20}  # bigger: as text


class TooManyValues(Exception):
    """A comparison walked more than MAX_NODES values."""


class _Acc:
    """Walks two values; remembers the first difference and the worst numbers."""

    def __init__(self, tol: Tolerance) -> None:
        self.nodes = 0
        self.tol = tol
        self.max_abs = 0.0
        self.max_rel = 0.0
        self.first: str | None = None  # the first difference of any size
        self.first_bad: str | None = None  # the first one outside the tolerance
        self.numbers = 0

    def number(self, where: str, a: float, b: float) -> None:
        self.numbers += 1
        if self.numbers > MAX_NODES:
            raise TooManyValues(f"more than {MAX_NODES:,} numbers differ")
        if a == b or (math.isnan(a) and math.isnan(b)):
            return
        if math.isfinite(a) and math.isfinite(b):
            d = abs(a - b)
            scale = max(abs(a), abs(b))
            self.max_abs = max(self.max_abs, d)
            self.max_rel = max(self.max_rel, d / scale if scale else 0.0)
        else:
            self.max_abs = self.max_rel = math.inf
        text = (
            f"{where}: {_fmt(a)} vs {_fmt(b)}"
            if not _secret_key(where)
            else f"{where}: values differ (not shown)"
        )
        self.first = self.first or text
        if not self.tol.close(a, b):
            self.first_bad = self.first_bad or text

    def mismatch(self, where: str, what: str) -> None:
        if _secret_key(where) and " vs " in what:
            what = "values differ (not shown: a secret-looking key)"
        text = f"{where}: {what}"
        self.first = self.first or text
        self.first_bad = self.first_bad or text

    def result(self) -> Comparison:
        status = DIFFERENT if self.first_bad else CLOSE
        if status == DIFFERENT and (not self.numbers or (self.max_abs == 0 and self.max_rel == 0)):
            return Comparison(status, None, None, self.first_bad)  # no number differs: no size to give
        return Comparison(status, self.max_abs, self.max_rel, self.first_bad or self.first)


def _secret_key(where: str) -> bool:
    """The last key of a path such as `config.wandb.api_key[0]` looks like it holds a secret."""
    from envaudit.redact import is_secret_name

    last = re.sub(r"\[\d+\]", "", where).rsplit(".", 1)[-1]
    return bool(last) and not last.startswith(("line ", "row ", "byte ")) and is_secret_name(last)


def _fmt(x: Any) -> str:
    if isinstance(x, float):
        return repr(x) if not x.is_integer() or abs(x) >= 1e16 else str(int(x)) if abs(x) < 1e6 else repr(x)
    text = repr(x)
    return text if len(text) <= 60 else text[:57] + "..."


# ------------------------------------------------------------------ structured values


def _walk(acc: _Acc, where: str, a: Any, b: Any) -> None:
    acc.nodes += 1
    if acc.nodes > MAX_NODES:
        raise TooManyValues(f"more than {MAX_NODES:,} values")
    if isinstance(a, bool) or isinstance(b, bool):
        if a != b:
            acc.mismatch(where, f"{_fmt(a)} vs {_fmt(b)}")
    elif isinstance(a, int | float) and isinstance(b, int | float):
        acc.number(where, float(a), float(b))
    elif isinstance(a, dict) and isinstance(b, dict):
        for k in list(a) + [k for k in b if k not in a]:
            sub = f"{where}.{k}" if where else str(k)
            if k not in b:
                acc.mismatch(sub, "only in the first run")
            elif k not in a:
                acc.mismatch(sub, "only in the second run")
            else:
                _walk(acc, sub, a[k], b[k])
    elif isinstance(a, list | tuple) and isinstance(b, list | tuple):
        if len(a) != len(b):
            acc.mismatch(where or "(top)", f"{len(a)} items vs {len(b)}")
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            _walk(acc, f"{where}[{i}]", x, y)
    elif isinstance(a, str) and isinstance(b, str):
        if a != b:
            fa, fb = _to_float(a), _to_float(b)
            if fa is not None and fb is not None:
                acc.number(where, fa, fb)
            else:
                acc.mismatch(where or "(top)", f"{_fmt(a)} vs {_fmt(b)}")
    elif a != b:
        acc.mismatch(where or "(top)", f"{_fmt(a)} vs {_fmt(b)}")


def _to_float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def compare_values(a: Any, b: Any, tol: Tolerance) -> Comparison:
    acc = _Acc(tol)
    _walk(acc, "", a, b)
    return acc.result()


# ------------------------------------------------------------------------------ text


def compare_text(a: str, b: str, tol: Tolerance, label: str = "line") -> Comparison:
    """Line by line; numbers within tolerance, the text around them equal."""
    acc = _Acc(tol)
    la, lb = _lines(a), _lines(b)
    n_a = n_b = 0
    for i, (x, y) in enumerate(itertools.zip_longest(la, lb), 1):
        n_a += x is not None
        n_b += y is not None
        if x == y or x is None or y is None:
            continue
        nx, ny = _NUM_RE.findall(x), _NUM_RE.findall(y)
        if _NUM_RE.sub("#", x) != _NUM_RE.sub("#", y) or len(nx) != len(ny):
            acc.mismatch(f"{label} {i}", f"{_fmt(x.strip())} vs {_fmt(y.strip())}")
            continue
        for u, v in zip(nx, ny, strict=True):
            acc.number(f"{label} {i} ({x.strip()[:40]!r})", float(u), float(v))
    if n_a != n_b:
        acc.mismatch(f"{label} {min(n_a, n_b) + 1}", f"{n_a} lines vs {n_b}")
    return acc.result()


def _lines(text: str) -> Iterator[str]:
    """The lines of `text` one at a time (a list of millions of lines is not made)."""
    start, end = 0, len(text)
    while start < end:
        i = text.find("\n", start)
        if i < 0:
            yield text[start:].rstrip("\r")
            return
        yield text[start:i].rstrip("\r")
        start = i + 1


def _compare_csv(a: str, b: str, tol: Tolerance, delimiter: str) -> Comparison:
    """Row by row, without holding the tables (a 10-million-row CSV stays cheap)."""
    import csv

    acc = _Acc(tol)
    ra, rb = csv.reader(_lines(a), delimiter=delimiter), csv.reader(_lines(b), delimiter=delimiter)
    n_a = n_b = 0
    for i, (x, y) in enumerate(itertools.zip_longest(ra, rb)):
        n_a += x is not None
        n_b += y is not None
        if x != y and x is not None and y is not None:
            _walk(acc, f"[{i}]", x, y)
    if n_a != n_b:
        acc.mismatch(f"row {min(n_a, n_b) + 1}", f"{n_a} rows vs {n_b}")
    return acc.result()


# ------------------------------------------------------------------- arrays (.npy)

_NPY_CODES = {"f8": "d", "f4": "f", "i8": "q", "i4": "i", "i2": "h", "i1": "b", "u8": "Q", "u4": "I"}
_NPY_CODES |= {"u2": "H", "u1": "B", "b1": "B"}


def _numbers(raw: bytes, code: str, big_endian: bool) -> list[float]:
    """Little or big endian raw numbers of a struct code ('e' half, 'E' bfloat16)."""
    if code == "e":
        return [float(x) for x in struct.unpack(f"{'>' if big_endian else '<'}{len(raw) // 2}e", raw)]
    if code == "E":  # bfloat16: the top half of a float32
        halves = array("H", raw)
        if big_endian != (sys.byteorder == "big"):
            halves.byteswap()
        return list(array("f", b"".join(struct.pack("<I", h << 16) for h in halves)))
    arr = array(code, raw)
    if big_endian != (sys.byteorder == "big"):
        arr.byteswap()
    return [float(x) for x in arr]


MAX_NPY_HEADER = 64 * 1024
MAX_NDIM = 64  # NumPy's own limit


def read_npy(data: bytes) -> tuple[tuple[int, ...], list[float]]:
    """(shape, numbers in C order) of a numeric .npy; ValueError for anything else."""
    if not data.startswith(b"\x93NUMPY"):
        raise ValueError("not a .npy file")
    major = data[6]
    if major == 1:
        (hlen,), start = struct.unpack("<H", data[8:10]), 10
    else:
        (hlen,), start = struct.unpack("<I", data[8:12]), 12
    if hlen > MAX_NPY_HEADER:  # NumPy itself refuses headers over 10 kB unless told to trust them
        raise ValueError(f"the header is {hlen} bytes long, over {MAX_NPY_HEADER}")
    text = data[start : start + hlen].decode("latin-1")
    if (
        not re.fullmatch(r"[\s{}()\[\]:,'\"<>|=\w.+-]*", text)
        or text.count("(") + text.count("[") > 2 * MAX_NDIM
    ):
        raise ValueError("the header is not a plain NumPy header")
    header = ast.literal_eval(text)
    if not isinstance(header, dict):
        raise ValueError("the header is not a dict")
    descr, fortran, shape = header["descr"], header["fortran_order"], tuple(header["shape"])
    if not isinstance(descr, str) or (descr[1:] not in _NPY_CODES and descr[1:] != "f2"):
        raise ValueError(f"dtype {descr!r} is not numeric")
    if len(shape) > MAX_NDIM or not all(
        isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape
    ):
        raise ValueError(f"shape {shape!r:.60} is not a NumPy shape")
    code = "e" if descr[1:] == "f2" else _NPY_CODES[descr[1:]]
    nums = _numbers(data[start + hlen :], code, descr[0] == ">")
    if math.prod(shape) != len(nums):
        raise ValueError(f"shape {shape} holds {math.prod(shape)} numbers, the data {len(nums)}")
    if fortran and len(shape) > 1:  # back to C order
        nums = _fortran_to_c(nums, shape)
    return shape, nums


def _fortran_to_c(nums: list[float], shape: tuple[int, ...]) -> list[float]:
    out = [0.0] * len(nums)
    for f_index, value in enumerate(nums):
        rest, c_index, stride = f_index, 0, 1
        idx = []
        for dim in shape:
            idx.append(rest % dim)
            rest //= dim
        for i, dim in reversed(list(enumerate(shape))):
            c_index += idx[i] * stride
            stride *= dim
        out[c_index] = value
    return out


def _unravel(flat: int, shape: tuple[int, ...]) -> tuple[int, ...]:
    idx = []
    for dim in reversed(shape):
        idx.append(flat % dim if dim else 0)
        flat //= dim or 1
    return tuple(reversed(idx))


def _compare_arrays(
    acc: _Acc, where: str, sa: tuple[int, ...], na: list[float], sb: tuple[int, ...], nb: list[float]
) -> None:
    if sa != sb:
        acc.mismatch(where or "(array)", f"shape {sa} vs {sb}")
        return
    for i, (x, y) in enumerate(zip(na, nb, strict=True)):
        if x != y:
            acc.number(f"{where}{list(_unravel(i, sa))}", x, y)


# ---------------------------------------------------------------------- safetensors

_ST_CODES = {"F64": "d", "F32": "f", "F16": "e", "BF16": "E", "I64": "q", "I32": "i", "I16": "h"}
_ST_CODES |= {"I8": "b", "U8": "B", "BOOL": "B", "U16": "H", "U32": "I", "U64": "Q"}


def read_safetensors(data: bytes) -> dict[str, tuple[str, tuple[int, ...], bytes]]:
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    body = data[8 + n :]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        s, e = info["data_offsets"]
        out[name] = (info["dtype"], tuple(info["shape"]), body[s:e])
    return out


def _compare_safetensors(a: bytes, b: bytes, tol: Tolerance) -> Comparison:
    acc = _Acc(tol)
    ta, tb = read_safetensors(a), read_safetensors(b)
    for name in sorted(set(ta) | set(tb)):
        if name not in tb or name not in ta:
            acc.mismatch(name, f"only in the {'first' if name in ta else 'second'} run")
            continue
        (da, sa, ra), (db, sb, rb) = ta[name], tb[name]
        if ra == rb and (da, sa) == (db, sb):
            continue
        if da != db or da not in _ST_CODES:
            acc.mismatch(name, f"dtype {da} vs {db}" if da != db else f"bytes differ ({da})")
            continue
        _compare_arrays(
            acc, name, sa, _numbers(ra, _ST_CODES[da], False), sb, _numbers(rb, _ST_CODES[db], False)
        )
    return acc.result()


# ------------------------------------------------------------------- torch (subprocess)

_TORCH_HELPER = r"""
import json, math, sys
import torch

def load(p):
    return torch.load(p, map_location="cpu", weights_only=True)

rtol, atol, limit = float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
st = {"max_abs": 0.0, "max_rel": 0.0, "first": None, "first_bad": None}
seen = [0]

def note(where, what, bad):
    text = f"{where}: {what}"
    st["first"] = st["first"] or text
    if bad:
        st["first_bad"] = st["first_bad"] or text

def walk(where, a, b):
    seen[0] += 1
    if seen[0] > limit:  # a pickle that shares one list a billion ways (weights_only allows it)
        raise SystemExit(f"more than {limit} values in the checkpoint")
    if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor):
        if a.shape != b.shape or a.dtype != b.dtype:
            note(where, f"{a.dtype}{list(a.shape)} vs {b.dtype}{list(b.shape)}", True)
            return
        if torch.equal(a, b) or a.numel() == 0:
            return
        x, y = a.detach().double().flatten(), b.detach().double().flatten()
        same = (x == y) | (torch.isnan(x) & torch.isnan(y))
        first = int((~same).nonzero()[0])
        d = (x - y).abs()
        finite = torch.isfinite(d)
        if bool(finite.any()):
            scale = torch.maximum(x.abs(), y.abs())
            rel = torch.where(scale > 0, d / scale, torch.zeros_like(d))
            st["max_abs"] = max(st["max_abs"], float(d[finite].max()))
            st["max_rel"] = max(st["max_rel"], float(rel[finite].max()))
        if not bool(finite.all()):
            st["max_abs"] = st["max_rel"] = math.inf
        ok = bool(torch.isclose(x, y, rtol=rtol, atol=atol, equal_nan=True).all())
        idx = list(torch.unravel_index(torch.tensor(first), a.shape)) if a.dim() else []
        pos = "[" + ", ".join(str(int(i)) for i in idx) + "]"
        note(f"{where}{pos}", f"{float(x[first])!r} vs {float(y[first])!r}", not ok)
    elif isinstance(a, dict) and isinstance(b, dict):
        for k in list(a) + [k for k in b if k not in a]:
            sub = f"{where}.{k}" if where else str(k)
            if k not in a or k not in b:
                note(sub, "only in the " + ("first" if k in a else "second") + " run", True)
            else:
                walk(sub, a[k], b[k])
    elif isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            walk(f"{where}[{i}]", x, y)
    elif isinstance(a, float) and isinstance(b, float) and not isinstance(a, bool):
        if a != b:
            d = abs(a - b)
            st["max_abs"] = max(st["max_abs"], d)
            st["max_rel"] = max(st["max_rel"], d / max(abs(a), abs(b)))
            note(where, f"{a!r} vs {b!r}", not math.isclose(a, b, rel_tol=rtol, abs_tol=atol))
    elif a != b:
        note(where or "(top)", f"{a!r:.60} vs {b!r:.60}", True)

walk("", load(sys.argv[1]), load(sys.argv[2]))
print(json.dumps(st))
"""


def looks_like_torch(data: bytes) -> bool:
    if not data.startswith(b"PK"):
        return False
    try:
        import io

        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except zipfile.BadZipFile:
        return False
    return any(n.endswith("/data.pkl") for n in names)


def is_torch_file(path: Path) -> bool:
    """A `torch.save` zip (read by its member names only, not loaded)."""
    try:
        with zipfile.ZipFile(path) as zf:
            return any(n.endswith("/data.pkl") for n in zf.namelist())
    except (OSError, zipfile.BadZipFile, ValueError):
        return False


def compare_torch(a: Path, b: Path, tol: Tolerance, python: str, timeout: float = 300) -> Comparison:
    """Load both with torch in `python` (weights_only=True) and compare every tensor."""
    import tempfile

    try:
        # in an empty folder: `python -c` puts its working directory first on sys.path, and
        # a torch.py or json.py there must not answer for the real ones
        with tempfile.TemporaryDirectory(prefix="envaudit-torch-") as cwd:
            proc = subprocess.run(
                [python, "-c", _TORCH_HELPER, str(a), str(b), repr(tol.rtol), repr(tol.atol), str(MAX_NODES)],
                capture_output=True,
                text=True,
                timeout=timeout,
                stdin=subprocess.DEVNULL,
                cwd=cwd,
            )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Comparison(DIFFERENT, None, None, f"could not load with torch in {python}: {exc}")
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return Comparison(DIFFERENT, None, None, f"could not load with torch in {python}: {last[:200]}")
    st = json.loads(proc.stdout.strip().splitlines()[-1])
    status = DIFFERENT if st["first_bad"] else CLOSE
    if status == DIFFERENT and st["max_abs"] == 0 and st["max_rel"] == 0:
        return Comparison(status, None, None, st["first_bad"])
    return Comparison(status, st["max_abs"], st["max_rel"], st["first_bad"] or st["first"])


# ----------------------------------------------------------------------- dispatch


def _first_byte(a: bytes, b: bytes) -> str:
    n = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    if n == min(len(a), len(b)) and len(a) != len(b):
        return f"byte {n}: one run's file ends there ({len(a)} vs {len(b)} bytes)"
    return f"byte {n}: 0x{a[n]:02x} vs 0x{b[n]:02x}"


def _load_structured(suffix: str, data: bytes) -> Any:
    text = data.decode("utf-8")
    if suffix == ".json":
        return json.loads(text)
    if suffix == ".jsonl":
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    if suffix in (".yaml", ".yml"):
        import yaml

        return yaml.safe_load(text)
    import csv

    return list(csv.reader(text.splitlines(), delimiter="\t" if suffix == ".tsv" else ","))


def compare_bytes(
    name: str,
    a: bytes,
    b: bytes,
    tol: Tolerance,
    *,
    torch_files: tuple[Path, Path] | None = None,
    python: str = "",
) -> Comparison:
    """Compare two versions of one output (`name` gives the format by its suffix)."""
    if a == b:
        return Comparison(IDENTICAL, 0.0, 0.0, None)
    suffix = Path(name).suffix.lower()
    try:
        if suffix in (".csv", ".tsv"):
            c = _compare_csv(a.decode("utf-8"), b.decode("utf-8"), tol, "\t" if suffix == ".tsv" else ",")
            return Comparison(c.status, c.max_abs, c.max_rel, _csv_where(c.first)) if c.first else c
        if suffix in MAX_PARSED and max(len(a), len(b)) <= MAX_PARSED[suffix]:
            return compare_values(_load_structured(suffix, a), _load_structured(suffix, b), tol)
        if suffix in MAX_PARSED:  # too big to parse cheaply: line by line, numbers within tolerance
            return compare_text(a.decode("utf-8"), b.decode("utf-8"), tol)
        if suffix == ".npy":
            sa, na = read_npy(a)
            sb, nb = read_npy(b)
            acc = _Acc(tol)
            _compare_arrays(acc, "", sa, na, sb, nb)
            return acc.result()
        if suffix == ".npz":
            return _compare_npz(a, b, tol)
        if suffix == ".safetensors":
            return _compare_safetensors(a, b, tol)
    except TooManyValues as exc:
        return Comparison(DIFFERENT, None, None, f"{_first_byte(a, b)} (too big to compare values: {exc})")
    except (ValueError, KeyError, TypeError, struct.error, UnicodeDecodeError, zipfile.BadZipFile) as exc:
        return Comparison(DIFFERENT, None, None, f"{_first_byte(a, b)} (not readable as {suffix}: {exc})")
    except Exception as exc:  # yaml errors and the like: compare as bytes, say why
        return Comparison(DIFFERENT, None, None, f"{_first_byte(a, b)} (not readable as {suffix}: {exc})")
    if torch_files is not None and python and looks_like_torch(a) and looks_like_torch(b):
        return compare_torch(*torch_files, tol, python)
    if b"\x00" not in a[:8192] and b"\x00" not in b[:8192]:
        try:
            return compare_text(a.decode("utf-8"), b.decode("utf-8"), tol)
        except UnicodeDecodeError:
            pass
        except TooManyValues as exc:
            return Comparison(
                DIFFERENT, None, None, f"{_first_byte(a, b)} (too big to compare values: {exc})"
            )
    return Comparison(DIFFERENT, None, None, _first_byte(a, b))


def _csv_where(first: str) -> str:
    m = re.match(r"^\[(\d+)\]\[(\d+)\](.*)$", first)
    return f"row {int(m.group(1)) + 1}, column {int(m.group(2)) + 1}{m.group(3)}" if m else first


def _compare_npz(a: bytes, b: bytes, tol: Tolerance) -> Comparison:
    import io

    za, zb = zipfile.ZipFile(io.BytesIO(a)), zipfile.ZipFile(io.BytesIO(b))
    acc = _Acc(tol)
    na, nb = set(za.namelist()), set(zb.namelist())
    for n in sorted(na | nb):
        key = n.removesuffix(".npy")
        if n not in na or n not in nb:
            acc.mismatch(key, f"only in the {'first' if n in na else 'second'} run")
            continue
        da, db = za.read(n), zb.read(n)
        if da != db:
            sa, xa = read_npy(da)
            sb, xb = read_npy(db)
            _compare_arrays(acc, key, sa, xa, sb, xb)
    return acc.result()
