"""conda's match-spec grammar, for comparing environment.yml with a conda environment.

conda (conda/models/match_spec.py and version.py, read for this module; the tests cite
conda's own test cases) does not read `numpy=1.26` the way pip reads `numpy==1.26`:

- `numpy=1.26` (one `=`) is a prefix: any 1.26.x, i.e. `1.26.*`;
- `numpy==1.26` is exact (and `1.26` == `1.26.0`: missing parts count as 0);
- `numpy 1.26` (a bare version, with a space) is exact too: conda itself prints it as
  `numpy==1.26`; `numpy 1.26*` and `numpy 1.26.*` are prefixes;
- `>=1.2,<2` is a range (`,` is "and", `|` is "or", and binds looser);
- `numpy=1.26=py311*` and `numpy 1.26 py311*` add a build string (a glob);
- versions compare by conda's order, not PEP 440's (`1.1dev1 < 1.1a1 < 1.1 < 1.1post1`,
  strings below numbers, `_`/`.` separate components, `-` too when there is no `_`).

Installed conda packages are read from `<env>/conda-meta/<name>-<version>-<build>.json`:
the file name alone says all three (conda writes it so), so no record is opened.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import zip_longest
from pathlib import Path

from envaudit._lazyre import lazy_re

_CHANNEL_NAME_RE = lazy_re(r"^(?:[^:\s]+::)?(?P<name>[A-Za-z0-9_][A-Za-z0-9_.\-]*)\s*(?P<rest>.*)$")
# conda's own split of "version build": the build is the last word after a space or `=`
# that is not preceded by an operator character
_VERSION_BUILD_RE = lazy_re(r"((?:.+?)[^><!,|]?)(?:(?<![=!|,<>~])(?:[ =])([^-=,|<>~]+?))?$")
_VALID_VERSION_RE = lazy_re(r"^[*.+!_0-9a-z]+$")
_RELATION_RE = lazy_re(r"^(=|==|!=|<=|>=|<|>|~=)(?![=<>!~])(\S+)$")


class SpecError(ValueError):
    """Not a version spec conda would accept."""


@dataclass(frozen=True)
class CondaSpec:
    name: str
    version: str | None  # conda's version spec after its own rewriting ("1.26*", ">=2.1", "==1.4")
    build: str | None  # a build-string glob ("py311*")
    written: str  # the version part as written ("=1.26")

    def describe(self) -> str:
        """What the spec means, in words a pip user reads (`1.26.*`, `==1.26`)."""
        if self.version is None:
            return "any version"
        v = self.version
        if v.endswith("*") and not any(c in v for c in "<>=!|,"):
            v = v[:-1].rstrip(".") + ".*"
        elif not any(c in v for c in "<>=!|,*^$~"):
            v = "==" + v
        return v + (f" (build {self.build})" if self.build else "")


def parse(text: str) -> CondaSpec:
    """One environment.yml dependency (`conda-forge::numpy=1.26=py311*`)."""
    s = text.split("#", 1)[0].strip()
    m = _CHANNEL_NAME_RE.match(s)
    if m is None:
        raise SpecError(f"not a conda package spec: {text!r}")
    name, rest = m.group("name"), m.group("rest").strip()
    if not rest:
        return CondaSpec(name.lower(), None, None, "")
    vb = _VERSION_BUILD_RE.search(rest)
    version, build = (vb.group(1), vb.group(2)) if vb else (rest, None)
    version = version.replace(" ", "")
    build = build.strip() if build else None
    if version.startswith("="):
        body = version[1:]
        if version.startswith("==") and build is None:
            version = version[2:]  # `==1.26`: exact (a bare version is exact)
        elif not any(c in body for c in "=,|"):
            # `=1.26`: a prefix (`1.26*`); with a build, conda keeps the version as written
            version = body + "*" if build is None and not body.endswith("*") else body
    if version:
        version_matcher(version)  # raises SpecError when conda would refuse it
    return CondaSpec(name.lower(), version or None, build, rest)


# ------------------------------------------------------------------ versions
@lru_cache(maxsize=8192)
def _order(text: str) -> tuple[list[list[int | float | str]], list[list[int | float | str]]]:
    """A version split into conda's comparable parts: (release components, local components)."""
    v = text.strip().lower()
    if not v:
        raise SpecError("empty version")
    if not _VALID_VERSION_RE.match(v) and "-" in v and "_" not in v:
        v = v.replace("-", "_")
    if not _VALID_VERSION_RE.match(v):
        raise SpecError(f"invalid character(s) in version {text!r}")
    epoch_parts = v.split("!")
    if len(epoch_parts) > 2 or (len(epoch_parts) == 2 and not epoch_parts[0].isdigit()):
        raise SpecError(f"bad epoch in version {text!r}")
    epoch = epoch_parts[0] if len(epoch_parts) == 2 else "0"
    main, _, local = epoch_parts[-1].partition("+")
    if "+" in local or not main:
        raise SpecError(f"bad local version in {text!r}")
    if main.endswith("_"):  # openssl-style `1.0.1_`: the underscore stays on the last part
        parts = main[:-1].replace("_", ".").split(".")
        parts[-1] += "_"
    else:
        parts = main.replace("_", ".").split(".")
    return _components([epoch, *parts], text), _components(
        local.replace("_", ".").split(".") if local else [], text
    )


def _components(parts: list[str], text: str) -> list[list[int | float | str]]:
    out: list[list[int | float | str]] = []
    for part in parts:
        runs = re.findall(r"[0-9]+|[*]+|[^0-9*]+", part)
        if not runs:
            raise SpecError(f"empty component in version {text!r}")
        comp: list[int | float | str] = []
        for r in runs:
            if r.isdigit():
                comp.append(int(r))
            elif r == "post":
                comp.append(float("inf"))  # after every number
            elif r == "dev":
                comp.append("DEV")  # upper case: before every other (lower-case) string
            else:
                comp.append(r)
        out.append(comp if part[0].isdigit() else [0, *comp])  # keep numbers and strings in phase
    return out


def _eq(a: list[list[int | float | str]], b: list[list[int | float | str]]) -> bool:
    for x, y in zip_longest(a, b, fillvalue=[]):
        for c, d in zip_longest(x, y, fillvalue=0):
            if c != d:
                return False
    return True


def _lt(a: str, b: str) -> bool:
    (va, la), (vb, lb) = _order(a), _order(b)
    for t1, t2 in ((va, vb), (la, lb)):
        for x, y in zip_longest(t1, t2, fillvalue=[]):
            for c, d in zip_longest(x, y, fillvalue=0):
                if c == d:
                    continue
                if isinstance(c, str) != isinstance(d, str):
                    return isinstance(c, str)  # a string sorts below a number
                return c < d  # type: ignore[operator]
    return False


def version_eq(a: str, b: str) -> bool:
    (va, la), (vb, lb) = _order(a), _order(b)
    return _eq(va, vb) and _eq(la, lb)


def startswith(version: str, prefix: str) -> bool:
    """conda's prefix match: `1.26.4` starts with `1.26`, `1.260` does not."""
    (v, vl), (p, pl) = _order(version), _order(prefix)
    if pl:
        if not _eq(v, p):
            return False
        t1, t2 = vl, pl
    else:
        t1, t2 = v, p
    n = len(t2) - 1
    if not _eq(t1[:n], t2[:n]):
        return False
    last1 = t1[n] if len(t1) > n else []
    last2 = t2[n]
    k = len(last2) - 1
    if not _eq([last1[:k]], [last2[:k]]):
        return False
    c1 = last1[k] if len(last1) > k else 0
    c2 = last2[k]
    if isinstance(c2, str):
        return isinstance(c1, str) and c1.startswith(c2)
    return c1 == c2


def _compatible(version: str, base: str) -> bool:
    return not _lt(version, base) and startswith(version, ".".join(base.split(".")[:-1]))


_OPS = {
    "==": version_eq,
    "!=": lambda v, w: not version_eq(v, w),
    "<=": lambda v, w: not _lt(w, v),
    ">=": lambda v, w: not _lt(v, w),
    "<": _lt,
    ">": lambda v, w: _lt(w, v),
    "=": startswith,
    "!=startswith": lambda v, w: not startswith(v, w),
    "~=": _compatible,
}


def _tree(spec: str) -> object:
    """`a,b|c` -> ("|", (",", a, b), c): `,` binds tighter than `|`; parentheses group."""
    tokens = re.findall(r"\s*\^[^$]*[$]|\s*[()|,]|[^()|,]+", f"({spec})")
    out: list[object] = []
    stack: list[str] = []

    def reduce(stop: str) -> None:
        while stack and stack[-1] not in stop:
            if len(out) < 2:
                raise SpecError(f"cannot read version spec {spec!r}")
            op = stack.pop()
            right, left = out.pop(), out.pop()
            rs = right[1:] if isinstance(right, tuple) and right[0] == op else (right,)
            ls = left[1:] if isinstance(left, tuple) and left[0] == op else (left,)
            out.append((op, *ls, *rs))

    for tok in (t.strip() for t in tokens):
        if tok == "|":
            reduce("(")
            stack.append("|")
        elif tok == ",":
            reduce("|(")
            stack.append(",")
        elif tok == "(":
            stack.append("(")
        elif tok == ")":
            reduce("(")
            if not stack or stack[-1] != "(":
                raise SpecError(f"unbalanced parentheses in {spec!r}")
            stack.pop()
        elif tok:
            out.append(tok)
    if stack or len(out) != 1:
        raise SpecError(f"cannot read version spec {spec!r}")
    return out[0]


def _leaf(spec: str):  # type: ignore[no-untyped-def]
    s = spec.strip()
    if not s:
        raise SpecError("empty version spec")
    if s[0] == "^" or s[-1] == "$":
        if not (s[0] == "^" and s[-1] == "$"):
            raise SpecError(f"a regex spec must start with ^ and end with $: {spec!r}")
        rx = re.compile(s)
        return lambda v: bool(rx.match(v))
    if s[0] in "=<>!~":
        m = _RELATION_RE.match(s)
        if m is None:
            raise SpecError(f"invalid operator in {spec!r}")
        op, ver = m.groups()
        if ver.endswith(".*"):
            if op == "~=":
                raise SpecError(f"`~=` cannot take `.*`: {spec!r}")
            ver = ver[:-2]
            if op == "!=":
                op = "!=startswith"
            # `==1.2.*`, `<1.2.*` and the like: conda ignores the `.*` (with a warning)
        _order(ver)
        fn = _OPS[op]
        return lambda v: fn(v, ver)
    if s == "*":
        return lambda v: True
    if "*" in s.rstrip("*"):  # a glob inside: `1.*.3`
        rx = re.compile("^(?:" + re.escape(s).replace(r"\*", ".*") + ")$")
        return lambda v: bool(rx.match(v))
    if s.endswith("*"):  # `1.26*` and `1.26.*`: a prefix
        base = s.rstrip("*").rstrip(".")
        _order(base)
        return lambda v: startswith(v, base)
    _order(s)
    return lambda v: version_eq(v, s)  # a bare version: exact


@lru_cache(maxsize=4096)
def version_matcher(spec: str):  # type: ignore[no-untyped-def]
    """A function version -> bool for a conda version spec (raises SpecError)."""

    def build(node: object):  # type: ignore[no-untyped-def]
        if isinstance(node, tuple):
            parts = [build(n) for n in node[1:]]
            if node[0] == "|":
                return lambda v: any(p(v) for p in parts)
            return lambda v: all(p(v) for p in parts)
        return _leaf(str(node))

    tree: object = _tree(spec) if re.match(r".*[()|,^$]", spec) else spec
    return build(tree)


def matches(spec: CondaSpec, version: str, build: str | None = None) -> bool:
    """Whether an installed version (and build, when known) satisfies the spec; a version
    conda cannot order never matches a versioned spec."""
    if spec.version is not None:
        try:
            if not version_matcher(spec.version)(version):
                return False
        except SpecError:
            return False
    if spec.build and build is not None:
        rx = "^(?:" + re.escape(spec.build).replace(r"\*", ".*") + ")$"
        if not re.match(rx, build):
            return False
    return True


# --------------------------------------------------------- installed records
@dataclass(frozen=True)
class CondaRecord:
    name: str
    version: str
    build: str
    file: str  # conda-meta/<name>-<version>-<build>.json


def read_conda_meta(prefix: str | Path) -> dict[str, CondaRecord]:
    """The conda packages installed in an environment, by name (conda's, lower case; also
    under the name's canonical spelling), from conda-meta's file names."""
    out: dict[str, CondaRecord] = {}
    meta = os.path.join(str(prefix), "conda-meta")
    try:
        names = sorted(os.listdir(meta))
    except OSError:
        return out
    for fn in names:
        if not fn.endswith(".json") or fn.count("-") < 2:
            continue
        name, version, build = fn[: -len(".json")].rsplit("-", 2)
        rec = CondaRecord(name.lower(), version, build, f"conda-meta/{fn}")
        out.setdefault(rec.name, rec)
        out.setdefault(re.sub(r"[-_.]+", "-", rec.name), rec)
    return out
