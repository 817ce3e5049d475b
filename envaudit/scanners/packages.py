"""The target interpreter's installed distributions, read from its site-packages on disk.

Every `*.dist-info` and `*.egg-info` is read directly: METADATA / PKG-INFO
headers only (the body, often a whole README, is never parsed), INSTALLER,
direct_url.json (credentials redacted), top_level.txt and an egg-info's
requires.txt. No interpreter is run and nothing is imported, which is why this
is several times faster than `pip freeze`.
"""

from __future__ import annotations

import os
import re
from dataclasses import field
from typing import TYPE_CHECKING, Any

from envaudit import safeio
from envaudit._dataclass import dataclass
from envaudit._lazyre import lazy_re
from envaudit.redact import redact_url

if TYPE_CHECKING:
    from envaudit.inventory import Inventory

_CANON_RE = lazy_re(r"[-_.]+")
# a Diagnostic's subject meaning "the audited environment": the engine names its path
ENVIRONMENT = "<target environment>"
# Real headers are a few kB (a long Requires-Dist list is 20 kB); past this the rest of
# a header block is junk and is not read.
MAX_HEADER_BYTES = 1024 * 1024


def _canon(name: str) -> str:
    return _CANON_RE.sub("-", name).lower()


@dataclass(frozen=True)
class InstalledDist:
    name: str
    canonical: str
    version: str
    requires: tuple[str, ...] = ()  # Requires-Dist lines as written
    installer: str | None = None
    direct_url: dict[str, Any] | None = field(default=None, hash=False, compare=False)
    location: str = ""  # the site-packages directory
    dist_info: str = ""  # the .dist-info / .egg-info path
    top_level: tuple[str, ...] = ()


@dataclass(frozen=True)
class InstalledPackages:
    dists: tuple[InstalledDist, ...]
    site_packages: tuple[str, ...] = ()

    def get(self, name: str) -> InstalledDist | None:
        """The distribution called `name` (any spelling), the first on the path if several."""
        return self._index().get(_canon(name))

    def _index(self) -> dict[str, InstalledDist]:
        idx = self.__dict__.get("_idx")
        if idx is None:
            idx = {}
            for d in self.dists:
                idx.setdefault(d.canonical, d)
            object.__setattr__(self, "_idx", idx)
        return idx

    def __contains__(self, name: str) -> bool:
        return self.get(name) is not None

    def __len__(self) -> int:
        return len(self.dists)


def scan(inv: Inventory) -> InstalledPackages:
    interp = inv.get("python")
    dists: list[InstalledDist] = []
    for sp in interp.site_packages:
        dists.extend(read_site_packages(sp, inv))
    return InstalledPackages(tuple(dists), tuple(interp.site_packages))


def read_site_packages(sp: str, inv: Inventory | None = None) -> list[InstalledDist]:
    try:
        entries = sorted(os.scandir(sp), key=lambda e: e.name)
    except OSError as exc:
        if inv is not None:
            inv.skipped(f"cannot list installed packages in {sp}: {exc.strerror or exc}", ENVIRONMENT)
        return []
    out = []
    for e in entries:
        n = e.name
        notes: list[str] = []
        try:
            if n.endswith(".dist-info"):
                d = _read_dist_info(e.path, sp, n, notes)
            elif n.endswith(".egg-info"):
                d = _read_egg_info(e.path, sp, n, e.is_dir(), notes)
            elif n.endswith(".egg-link"):
                d = _read_egg_link(e.path, sp, inv)  # legacy `setup.py develop` / `pip install -e`
                if d is None:
                    continue
            else:
                continue
        except (RecursionError, MemoryError, ValueError) as exc:  # one bad dist, not the whole env
            d = None
            notes.append(f"{type(exc).__name__}: {str(exc)[:200]}")
        if inv is not None:
            for note in notes:
                inv.diag(f"installed distribution {e.path}: {note}", None, subject=ENVIRONMENT)
        if d is not None:
            out.append(d)
        elif inv is not None:
            inv.diag(
                f"installed distribution {e.path} has no readable metadata; skipped",
                None,
                code="EA002",
                subject=ENVIRONMENT,
            )
    return out


def _read_head(path: str, notes: list[str]) -> str | None:
    """The header block of a METADATA/PKG-INFO file (up to the first blank line), read
    from a regular file only and cut at MAX_HEADER_BYTES: a METADATA with no blank line
    (or a link to /dev/zero) costs at most that much."""
    data, refused = safeio.read_head(path, MAX_HEADER_BYTES, stop=(b"\n\n", b"\r\n\r\n"))
    if data is None:
        if refused is not None and not refused.missing:
            notes.append(refused.message(os.path.basename(path)))
        return None
    if len(data) >= MAX_HEADER_BYTES:
        notes.append(
            f"the headers of {os.path.basename(path)} run past {MAX_HEADER_BYTES // (1024 * 1024)} MB "
            "with no blank line; only the first MB was read"
        )
        data = data[: data.rfind(b"\n") + 1]  # no half line
    return data.decode("utf-8", "replace")


_HEADER_RE = lazy_re(
    r"^(name|version|requires-dist):[ \t]*(.*(?:\r?\n[ \t].*)*)", re.IGNORECASE | re.MULTILINE
)


def _headers(text: str) -> tuple[str, str, list[str]]:
    """Name, Version and every Requires-Dist of an RFC 822 header block (one regex pass;
    folded continuation lines are joined)."""
    name = version = ""
    requires: list[str] = []
    for key, value in _HEADER_RE.findall(text):
        k = key.lower()
        if "\n" in value:
            value = " ".join(part.strip() for part in value.splitlines())
        value = value.strip()
        if k == "requires-dist":
            requires.append(value)
        elif k == "name":
            name = name or value
        else:
            version = version or value
    return name, version, requires


def _read_small(path: str) -> str | None:
    return safeio.read_text_or_none(path, safeio.SMALL_LIMIT)


def _from_dirname(dirname: str) -> tuple[str, str]:
    stem = dirname.rsplit(".", 1)[0]
    name, _, rest = stem.partition("-")
    version = rest.split("-", 1)[0] if rest else ""
    return name, version


def _read_dist_info(path: str, sp: str, dirname: str, notes: list[str]) -> InstalledDist | None:
    head = _read_head(os.path.join(path, "METADATA"), notes)
    if head is None:
        return None
    name, version, requires = _headers(head)
    fname, fversion = _from_dirname(dirname)
    name = name or fname
    version = version or fversion
    if not name:
        return None
    try:
        present = set(os.listdir(path))  # one call instead of a failing open per optional file
    except OSError:
        present = set()
    installer = _read_small(os.path.join(path, "INSTALLER")) if "INSTALLER" in present else None
    direct_url = None
    raw = _read_small(os.path.join(path, "direct_url.json")) if "direct_url.json" in present else None
    if raw is not None:
        direct_url = _redact_direct_url(raw, notes)
    top = _read_small(os.path.join(path, "top_level.txt")) if "top_level.txt" in present else None
    return InstalledDist(
        name=name,
        canonical=_canon(name),
        version=version,
        requires=tuple(requires),
        installer=installer.strip() or None if installer is not None else None,
        direct_url=direct_url,
        location=sp,
        dist_info=path,
        top_level=tuple(t.strip() for t in top.splitlines() if t.strip()) if top else (),
    )


def _read_egg_info(
    path: str, sp: str, dirname: str, is_dir: bool, notes: list[str] | None = None
) -> InstalledDist | None:
    head = _read_head(os.path.join(path, "PKG-INFO") if is_dir else path, [] if notes is None else notes)
    if head is None:
        return None
    name, version, requires = _headers(head)
    fname, fversion = _from_dirname(dirname)
    name = name or fname
    version = version or fversion
    if not name:
        return None
    top: tuple[str, ...] = ()
    installer = None
    if is_dir:
        req_txt = _read_small(os.path.join(path, "requires.txt"))
        if req_txt and not requires:
            requires = _egg_requires(req_txt)
        t = _read_small(os.path.join(path, "top_level.txt"))
        top = tuple(x.strip() for x in t.splitlines() if x.strip()) if t else ()
        inst = _read_small(os.path.join(path, "INSTALLER"))
        installer = inst.strip() or None if inst else None
    return InstalledDist(
        name=name,
        canonical=_canon(name),
        version=version,
        requires=tuple(requires),
        installer=installer,
        location=sp,
        dist_info=path,
        top_level=top,
    )


def _read_egg_link(path: str, sp: str, inv: Inventory | None = None) -> InstalledDist | None:
    """An `.egg-link` names the source directory that holds the project's *.egg-info.
    One pointing outside both site-packages and the audited project is not followed
    (an EA001 names it): the environment may come with the untrusted project."""
    from envaudit.boundary import outside

    text = _read_small(path)
    if not text:
        return None
    src = text.splitlines()[0].strip()
    if not src:
        return None
    src = os.path.normpath(os.path.join(sp, src))
    if outside(sp, src) and (inv is None or outside(inv.root, src)):
        if inv is not None:
            inv.diag(
                f"{path} points outside site-packages and the project ({ascii(src)[1:-1]}); not followed",
                None,
                code="EA001",
                subject=ENVIRONMENT,
            )
        return None
    try:
        infos = sorted(e for e in os.scandir(src) if e.name.endswith(".egg-info") and e.is_dir())
    except OSError:
        return None
    for e in infos:
        d = _read_egg_info(e.path, sp, e.name, True)
        if d is not None:
            return d
    return None


def _egg_requires(text: str) -> list[str]:
    """setuptools' requires.txt (`[extra:marker]` sections) -> Requires-Dist strings."""
    out = []
    extra = marker = ""
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            extra, _, marker = section.partition(":")
            continue
        conds = []
        if marker:
            conds.append(f"({marker})")
        if extra:
            conds.append(f'extra == "{extra}"')
        out.append(f"{line}; {' and '.join(conds)}" if conds else line)
    return out


def _redact_direct_url(raw: str, notes: list[str]) -> dict[str, Any] | None:
    from envaudit.parsing import ParseError, json_loads

    try:
        data = json_loads(raw)
    except ParseError as exc:
        notes.append(f"direct_url.json: {exc}")
        return None
    if not isinstance(data, dict):
        return None
    if isinstance(data.get("url"), str):
        data["url"] = redact_url(data["url"])
    return data
