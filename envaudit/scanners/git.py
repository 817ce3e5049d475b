"""Git state of the project: which commit, how clean, whether others can get it.

Facts only; the GIT rules judge. The git binary does the work, with as few
processes as possible and each under a timeout: one `git rev-parse` to find the
repository, then -- concurrently -- one `git status --porcelain=v2 --branch -z`
(branch, upstream, ahead/behind, dirty and untracked files), one
`git ls-files -s --debug -z` (tracked paths, modes, blob ids, gitlinks, and each
file's size as cached in the index), one `git config --get-regexp` for the
remotes, one `git check-ignore --stdin` for the ignore probes and one `git
for-each-ref --contains HEAD refs/remotes`. The index listing is parsed while
git status still runs. Blob sizes are confirmed with `git cat-file
--batch-check` only for files the index says are large (no stat per file, no
object lookup per blob). GitPython (imported lazily: it costs ~0.2 s) parses
`.gitmodules` when the repository has submodules.

Every git process goes through envaudit.safegit: the repository's configuration (an
fsmonitor hook, filter/diff drivers, hooks, ...) never runs anything.

Bad input never raises: no git binary -> EA002 (skipped), not a repository ->
facts with `is_repo=False` (GIT001 judges), a corrupt `.git` -> EA001 naming it.
Remote URLs are stored redacted, with a flag saying credentials were present.
"""

from __future__ import annotations

import os
import struct
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING

from envaudit._dataclass import dataclass
from envaudit._lazyre import lazy_re
from envaudit.redact import redact_url
from envaudit.safegit import SafeGit, find_git

if TYPE_CHECKING:
    from envaudit.inventory import Inventory

GIT_TIMEOUT = 30  # seconds, per git process
LARGE_BLOB_MIN = 1024 * 1024  # blobs at least this large are recorded (the rule picks its threshold)
_GITLINK = 0o160000
# Index entry: ctime, mtime (s, ns each), dev, ino, mode, uid, gid, size, SHA-1, flags.
_INDEX_ENTRY = struct.Struct(">10I20sH")
_INDEX_MODES = frozenset({0o100644, 0o100755, 0o120000, _GITLINK})


def _hex(oid: bytes) -> str:
    """An object id from the index (20 raw bytes) or from git's output (hex)."""
    return oid.hex() if len(oid) == 20 else oid.decode("ascii")


def _read_index(path: Path) -> list[tuple[int, bytes, int, bytes, int]] | None:
    """(mode, object id, stage, path, cached size) of every entry, read straight from a
    version 2 or 3 SHA-1 index; None for anything else (v4, split or sparse indexes,
    SHA-256 repositories, a file that does not check out), and git ls-files answers."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if len(data) < 32 or data[:4] != b"DIRC":
        return None
    version, count = struct.unpack_from(">II", data, 4)
    if version not in (2, 3):
        return None
    unpack, find = _INDEX_ENTRY.unpack_from, data.find
    out: list[tuple[int, bytes, int, bytes, int]] = []
    off, limit = 12, len(data) - 20  # the trailing checksum
    try:
        for _ in range(count):
            f = unpack(data, off)
            mode, size, oid, flags = f[6], f[9], f[10], f[11]
            start = off + 62
            if flags & 0x4000:  # extended flags (v3)
                if version < 3:
                    return None
                start += 2
            nul = find(b"\0", start)
            namelen = flags & 0x0FFF
            if mode not in _INDEX_MODES or nul < 0 or (namelen != 0x0FFF and namelen != nul - start):
                return None  # not the layout we know (a SHA-256 index misaligns here)
            out.append((mode, oid, (flags >> 12) & 3, data[start:nul], size))
            off += ((nul - off) // 8 + 1) * 8  # 1 to 8 NULs pad each entry to a multiple of 8
    except struct.error:
        return None
    if off > limit or data[off : off + 4] in (b"link", b"sdir"):  # entries live elsewhere
        return None
    return out


MAX_LISTED = 5000  # dirty/untracked paths kept in the facts (the counts stay exact)

# What GIT008 asks about: category -> (probe path relative to the project, gitignore line that
# covers it, whether the probe matters only when such a thing exists in the project).
IGNORE_PROBES: dict[str, tuple[str, str, bool]] = {
    "env-file": (".env", ".env", False),
    "pycache": ("__pycache__/m.cpython-311.pyc", "__pycache__/", False),
    "virtualenv": (".venv/bin/python", ".venv/", False),
    "venv": ("venv/bin/python", "venv/", True),
    "data-dir": ("data/x", "data/", True),
    "datasets-dir": ("datasets/x", "datasets/", True),
    "ipynb-checkpoints": (".ipynb_checkpoints/x", ".ipynb_checkpoints/", True),
    "wandb": ("wandb/x", "wandb/", True),
    "mlruns": ("mlruns/x", "mlruns/", True),
    "lightning-logs": ("lightning_logs/x", "lightning_logs/", True),
}
WEIGHT_SUFFIXES = (".pt", ".pth", ".ckpt", ".safetensors", ".h5", ".onnx", ".pb", ".tflite", ".joblib")


# `git ls-files -s --debug -z`: "mode oid stage<TAB>path<NUL>" then ctime, mtime, dev/ino,
# uid/gid lines and "  size: N<TAB>flags: F<LF>". The size is the file's when it was staged.
_LS_DEBUG = lazy_re(rb"(\d{6}) ([0-9a-f]{40,64}) (\d)\t([^\0]*)\0(?:[^\n]*\n){4}  size: (\d+)[^\n]*\n")


@dataclass(frozen=True)
class Remote:
    name: str
    url: str  # redacted
    push_url: str | None  # redacted
    had_credentials: bool  # the configured URL embedded a user:password/token (never stored)


@dataclass(frozen=True)
class Blob:
    path: str  # relative to the project root
    size: int
    lfs: bool  # matched by a `filter=lfs` pattern in .gitattributes


@dataclass(frozen=True)
class Submodule:
    path: str
    commit: str
    url: str | None  # redacted


@dataclass(frozen=True)
class GitFacts:
    available: bool = True  # a git binary was found
    is_repo: bool = False
    corrupt: str | None = None  # git's complaint about a broken .git
    toplevel: str | None = None
    prefix: str = ""  # the project root relative to the top level ("" when they coincide)
    head: str | None = None  # commit id; None before the first commit
    branch: str | None = None  # None when detached
    detached: bool = False
    upstream: str | None = None
    ahead: int | None = None
    behind: int | None = None
    on_remote: bool | None = None  # HEAD reachable from a remote-tracking branch (None: unknown)
    containing_remote_refs: tuple[str, ...] = ()
    remotes: tuple[Remote, ...] = ()
    dirty: tuple[str, ...] = ()  # "XY path" for changed tracked files (X index, Y worktree)
    dirty_count: int = 0
    untracked: tuple[str, ...] = ()
    untracked_count: int = 0
    tracked: tuple[str, ...] = ()  # project-relative paths of tracked files
    large_blobs: tuple[Blob, ...] = ()
    lfs_patterns: tuple[str, ...] = ()
    shallow: bool = False
    submodules: tuple[Submodule, ...] = ()
    worktrees: tuple[str, ...] = ()  # other linked worktrees' paths
    ignored_probes: tuple[str, ...] = ()  # IGNORE_PROBES categories that .gitignore covers
    present_probes: tuple[str, ...] = ()  # categories that exist in the project
    untracked_weights: tuple[str, ...] = ()  # untracked, unignored model-weight files
    errors: tuple[str, ...] = field(default=())  # git commands that failed (message)

    @property
    def empty(self) -> bool:
        """A repository without any commit yet."""
        return self.is_repo and self.head is None


class _Git(SafeGit):
    """The scanner's git: envaudit.safegit's runner (nothing the repository configures
    runs), with paths printed unquoted."""

    def _prefix(self) -> list[str]:
        return [*super()._prefix(), "-c", "core.quotepath=off"]


def _dec(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


def scan(inv: Inventory) -> GitFacts:
    exe = find_git(inv.environ, (inv.root,))
    if exe is None:
        inv.skipped("git not found on PATH; GIT rules skipped")
        return GitFacts(available=False)
    g = _Git(inv.root, inv.environ, exe, GIT_TIMEOUT)
    try:
        return _scan(inv, g)
    except OSError as exc:  # git vanished, fork failed: a skipped scan, not a crash
        inv.skipped(f"git could not run ({exc.strerror or exc}); GIT rules skipped")
        return GitFacts(available=False)


def _find_dotgit(root: Path) -> Path | None:
    for d in (root, *root.parents):
        if (d / ".git").exists():
            return d / ".git"
    return None


def _scan(inv: Inventory, g: _Git) -> GitFacts:
    rc, out, err = g.run(
        "rev-parse",
        "--show-toplevel",
        "--show-prefix",
        "--git-common-dir",
        "--is-shallow-repository",
        "--git-path",
        "index",
    )
    if rc != 0:
        dotgit = _find_dotgit(inv.root)
        if dotgit is not None and rc != 124:
            msg = err.splitlines()[-1] if err else f"git exited {rc}"
            rel = inv.rel(dotgit)
            inv.diag(f"{rel} is not a usable git repository: {msg.removeprefix('fatal: ')}", rel)
            return GitFacts(corrupt=msg)
        if rc == 124:
            inv.skipped(f"git rev-parse {err}; GIT rules skipped")
            return GitFacts(available=False)
        return GitFacts()
    lines = _dec(out).split("\n")
    if len(lines) < 4:
        inv.skipped("git rev-parse gave unexpected output; GIT rules skipped")
        return GitFacts(available=False)
    toplevel, prefix, common_dir, shallow = lines[0], lines[1].rstrip("/"), lines[2], lines[3] == "true"
    index_path = Path(lines[4]) if len(lines) > 4 and lines[4] else None
    if index_path is not None and not index_path.is_absolute():
        index_path = inv.root / index_path
    if not toplevel:  # a bare repository or inside .git
        return GitFacts()
    top = Path(toplevel)
    common = Path(common_dir) if os.path.isabs(common_dir) else inv.root / common_dir
    errors: list[str] = []

    # Everything below is independent: start it all, then collect.
    # --ignore-submodules=dirty: git must not start a status inside a submodule, whose
    # own configuration SafeGit has not read (the recorded commit is still compared).
    status_p = g.popen(
        "status",
        "--porcelain=v2",
        "--branch",
        "-z",
        "--untracked-files=all",
        "--no-renames",
        "--ignore-submodules=dirty",
    )
    # --debug adds each entry's cached stat data: its size is the staged file's size, so
    # large blobs are found without a stat per file or an object lookup per blob.
    # The index itself is read directly when it is a plain v2/v3 SHA-1 index (most repos):
    # parsing git's ~10 MB `--debug` listing of 50,000 entries cost more than git status.
    direct = _read_index(index_path) if index_path is not None else None
    ls_p = (
        None if direct is not None else g.popen("ls-files", "-s", "--debug", "-z", "--full-name", "--", ":/")
    )
    cfg_p = g.popen("config", "-z", "--get-regexp", r"^remote\..*\.(url|pushurl)$")
    probes = [p for p, _, _ in IGNORE_PROBES.values()]
    ign_p = g.popen("check-ignore", "--stdin", "-z", "--no-index", stdin=True)
    # Fails harmlessly before the first commit; its answer is used only when HEAD exists.
    refs_p = g.popen("for-each-ref", "--contains", "HEAD", "--format=%(refname:short)", "refs/remotes")

    ign_rc, ign_out, ign_err = g.wait(ign_p, b"".join(p.encode() + b"\0" for p in probes))
    ignored_set = {_dec(x) for x in ign_out.split(b"\0") if x}
    if ign_rc not in (0, 1):
        errors.append(f"git check-ignore: {ign_err or ign_rc}")

    cfg_rc, cfg_out, cfg_err = g.wait(cfg_p)
    remotes = _remotes(cfg_out) if cfg_rc == 0 else ()
    if cfg_rc not in (0, 1):
        errors.append(f"git config: {cfg_err or cfg_rc}")

    # The index listing is parsed (and large blobs confirmed) while git status still runs.
    if ls_p is not None:
        ls_rc, ls_out, ls_err = g.wait(ls_p)
        entries = [
            (int(mode, 8), oid, int(stage), path_b, int(size))
            for mode, oid, stage, path_b, size in _LS_DEBUG.findall(ls_out)
        ]
        del ls_out
    else:
        ls_rc, ls_err, entries = 0, "", direct or []
    tracked: list[str] = []
    gitlinks: list[tuple[str, str]] = []
    seen: set[str] = set()
    # Only a big staged file can be a large blob: keep its object id, skip the rest
    # (no int() and no dict entries for the 50,000 small files of a big repository).
    candidates: dict[str, bytes] = {}
    attributes: list[str] = []
    if ls_rc == 0:
        for mode, oid, stage, path_b, size in entries:
            full = path_b.decode("utf-8", "surrogateescape")
            if mode == _GITLINK:
                gitlinks.append((full, _hex(oid)))
                continue
            rel = full if not prefix else _project_rel(full, prefix)
            if rel is None or (stage and rel in seen):
                continue  # outside the project, or a second stage of an unmerged path
            if stage:
                seen.add(rel)
            tracked.append(rel)
            if size >= LARGE_BLOB_MIN // 2:
                candidates[rel] = _hex(oid).encode()
            if full.endswith(".gitattributes") and (
                full == ".gitattributes" or full.endswith("/.gitattributes")
            ):
                attributes.append(full)
    else:
        errors.append(f"git ls-files: {ls_err or ls_rc}")
    del entries
    lfs_patterns = _lfs_patterns(top, attributes)
    large = _large_blobs(g, candidates, lfs_patterns, prefix, errors)

    st_rc, st_out, st_err = g.wait(status_p)
    refs_rc, refs_out, refs_err = g.wait(refs_p)
    if st_rc == 124:  # blocked (a FIFO among the ignore files?), killed: skipped, not corrupt
        inv.skipped(f"git status {st_err}; GIT rules skipped")
        return GitFacts(available=False)
    if st_rc != 0:
        msg = st_err.splitlines()[-1] if st_err else f"exit {st_rc}"
        rel = inv.rel(common)
        inv.diag(f"git status failed in this repository: {msg.removeprefix('fatal: ')}", rel)
        return GitFacts(is_repo=True, corrupt=msg, toplevel=toplevel, prefix=prefix)
    st = _parse_status(st_out, prefix)

    on_remote: bool | None = None
    containing: tuple[str, ...] = ()
    if st["head"] and remotes:
        if refs_rc == 0:
            containing = tuple(x for x in _dec(refs_out).splitlines() if x and not x.endswith("/HEAD"))
            on_remote = bool(containing)
        else:
            errors.append(f"git for-each-ref: {refs_err or refs_rc}")
    elif st["head"]:
        on_remote = False

    present = tuple(
        cat for cat, (probe, _, _) in IGNORE_PROBES.items() if (inv.root / probe.split("/")[0]).exists()
    )
    weights = tuple(p for p in st["untracked_all"] if p.lower().endswith(WEIGHT_SUFFIXES))
    return GitFacts(
        is_repo=True,
        toplevel=toplevel,
        prefix=prefix,
        head=st["head"],
        branch=st["branch"],
        detached=st["detached"],
        upstream=st["upstream"],
        ahead=st["ahead"],
        behind=st["behind"],
        on_remote=on_remote,
        containing_remote_refs=containing,
        remotes=remotes,
        dirty=tuple(st["dirty"][:MAX_LISTED]),
        dirty_count=len(st["dirty"]),
        untracked=tuple(st["untracked_all"][:MAX_LISTED]),
        untracked_count=len(st["untracked_all"]),
        tracked=tuple(tracked),
        large_blobs=large,
        lfs_patterns=lfs_patterns,
        shallow=shallow,
        submodules=_submodules(top, gitlinks, prefix),
        worktrees=tuple(w for w in _worktrees(common) if Path(w) != top),
        ignored_probes=tuple(cat for cat, (probe, _, _) in IGNORE_PROBES.items() if probe in ignored_set),
        present_probes=present,
        untracked_weights=weights[:MAX_LISTED],
        errors=tuple(errors),
    )


def _project_rel(full: str, prefix: str) -> str | None:
    """A top-level-relative path as a project-relative one; None when outside the project."""
    if not prefix:
        return full
    if full.startswith(prefix + "/"):
        return full[len(prefix) + 1 :]
    return None


def _parse_status(out: bytes, prefix: str) -> dict:
    head: str | None = None
    branch: str | None = None
    detached = False
    upstream: str | None = None
    ahead = behind = None
    dirty: list[str] = []
    untracked: list[str] = []
    for rec in out.split(b"\0"):
        if not rec:
            continue
        kind = rec[:1]
        if kind == b"#":
            text = _dec(rec)
            if text.startswith("# branch.oid "):
                oid = text[len("# branch.oid ") :]
                head = None if oid == "(initial)" else oid
            elif text.startswith("# branch.head "):
                name = text[len("# branch.head ") :]
                detached = name == "(detached)"
                branch = None if detached else name
            elif text.startswith("# branch.upstream "):
                upstream = text[len("# branch.upstream ") :]
            elif text.startswith("# branch.ab "):
                a, _, b = text[len("# branch.ab ") :].partition(" ")
                if a.lstrip("+").isdigit() and b.lstrip("-").isdigit():
                    ahead, behind = int(a.lstrip("+")), int(b.lstrip("-"))
        elif kind in (b"1", b"2", b"u"):
            # 1 XY sub mH mI mW hH hI path; 2 ... Xscore path; u XY sub m1 m2 m3 mW h1 h2 h3 path
            nfields = {b"1": 9, b"2": 10, b"u": 11}[kind]
            fields = rec.split(b" ", nfields - 1)
            if len(fields) < nfields:
                continue
            rel = _project_rel(_dec(fields[-1]), prefix)
            if rel is not None:
                dirty.append(f"{_dec(fields[1])} {rel}")
        elif kind == b"?":
            rel = _project_rel(_dec(rec[2:]), prefix)
            if rel is not None:
                untracked.append(rel)
    return {
        "head": head,
        "branch": branch,
        "detached": detached,
        "upstream": upstream,
        "ahead": ahead,
        "behind": behind,
        "dirty": dirty,
        "untracked_all": untracked,
    }


def _remotes(out: bytes) -> tuple[Remote, ...]:
    urls: dict[str, dict[str, str]] = {}
    for rec in out.split(b"\0"):
        if not rec:
            continue
        key, _, value = _dec(rec).partition("\n")
        # remote.<name>.url -- the name may itself contain dots
        body = key[len("remote.") :]
        name, _, which = body.rpartition(".")
        urls.setdefault(name, {}).setdefault(which, value)
    out_list = []
    for name, d in sorted(urls.items()):
        url = d.get("url", "")
        push = d.get("pushurl")
        had = redact_url(url) != url or (push is not None and redact_url(push) != push)
        out_list.append(Remote(name, redact_url(url), redact_url(push) if push else None, had))
    return tuple(out_list)


def _lfs_patterns(top: Path, attributes: list[str]) -> tuple[str, ...]:
    patterns: list[str] = []
    from envaudit.boundary import outside

    for rel in attributes:
        if outside(top, top / rel):  # a .gitattributes linked out of the repository: not read
            continue
        try:
            text = (top / rel).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        base = rel.rpartition("/")[0]
        for line in text.splitlines():
            parts = line.split()
            if len(parts) < 2 or parts[0].startswith("#"):
                continue
            if "filter=lfs" in parts[1:]:
                pat = parts[0]
                patterns.append(f"{base}/{pat}" if base and "/" in pat.strip("/") else pat)
    return tuple(patterns)


def matches_lfs(path: str, patterns: tuple[str, ...]) -> bool:
    """Whether a top-level-relative path matches a gitattributes pattern (the common subset:
    a pattern without `/` matches the basename, with `/` the whole path; `**` spans dirs)."""
    import fnmatch

    name = path.rpartition("/")[2]
    for pat in patterns:
        p = pat.lstrip("/")
        if "/" not in pat.strip("/"):
            if fnmatch.fnmatchcase(name, p):
                return True
        elif fnmatch.fnmatchcase(path, p) or fnmatch.fnmatchcase(path, p.replace("**/", "")):
            return True
    return False


def _large_blobs(
    g: _Git,
    candidates: dict[str, bytes],
    lfs: tuple[str, ...],
    prefix: str,
    errors: list[str],
) -> tuple[Blob, ...]:
    """The index's cached size picked the candidates (generously: line-ending filters
    change sizes); git confirms each staged blob's real size."""
    if not candidates:
        return ()
    query = b"".join(oid + b"\n" for oid in candidates.values())
    rc, out, err = g.run("cat-file", "--batch-check=%(objectname) %(objectsize)", input=query)
    if rc != 0:
        errors.append(f"git cat-file: {err or rc}")
        return ()
    sizes: dict[str, int] = {}
    for line in out.decode("ascii", "replace").splitlines():
        oid, _, size = line.partition(" ")
        if size.isdigit():
            sizes[oid] = int(size)
    blobs = []
    for rel, oid in candidates.items():
        size = sizes.get(oid.decode())
        if size is not None and size >= LARGE_BLOB_MIN:
            full = f"{prefix}/{rel}" if prefix else rel
            blobs.append(Blob(rel, size, matches_lfs(full, lfs)))
    return tuple(blobs)


def _submodules(top: Path, gitlinks: list[tuple[str, str]], prefix: str) -> tuple[Submodule, ...]:
    if not gitlinks:
        return ()
    urls: dict[str, str] = {}
    gm = top / ".gitmodules"
    if gm.is_file():
        try:
            from git.config import GitConfigParser  # GitPython, only when there are submodules

            # merge_includes=False: an [include] in .gitmodules names files outside the project
            parser = GitConfigParser(str(gm), read_only=True, merge_includes=False)
            for section in parser.sections():
                if parser.has_option(section, "path"):
                    path = str(parser.get_value(section, "path"))
                    url = parser.get_value(section, "url", "")
                    urls[path] = redact_url(str(url))
        except Exception:  # a malformed .gitmodules: paths without URLs
            urls = {}
    out = []
    for full, commit in gitlinks:
        rel = _project_rel(full, prefix) or full
        out.append(Submodule(rel, commit, urls.get(full)))
    return tuple(out)


def _worktrees(common: Path) -> tuple[str, ...]:
    wt_dir = common / "worktrees"
    if not wt_dir.is_dir():
        return ()
    out = []
    try:
        entries = sorted(wt_dir.iterdir())
    except OSError:
        return ()
    for d in entries:
        try:
            gitdir = (d / "gitdir").read_text(encoding="utf-8").strip()
        except OSError:
            continue
        out.append(str(Path(gitdir).parent))
    return tuple(out)
