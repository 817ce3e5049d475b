"""DAT: can the data a result was produced from be named, and is it still that data?"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from envaudit.model import Fix, Hit, Location, Severity
from envaudit.rules import rule

if TYPE_CHECKING:
    from envaudit.inventory import Inventory
    from envaudit.scanners.data import DataDir, DataFacts


def _facts(inv: Inventory) -> DataFacts:
    return inv.get("data")


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder + "/")


def _versioned_by(inv: Inventory, facts: DataFacts, d: DataDir) -> str | None:
    """How a data folder is versioned, or None."""
    for o in facts.outs:
        if _inside(o.path, d.path) or _inside(d.path, o.path):
            return f"DVC ({o.source})"
    for e in facts.checksums:
        if _inside(e.path, d.path) or _inside(e.manifest, d.path):
            return f"checksum manifest {e.manifest}"
    git = inv.get("git")
    if not git.is_repo:
        return None
    if git.lfs_patterns:
        from envaudit.scanners.git import matches_lfs

        probe = f"{git.prefix}/{d.path}/x" if git.prefix else f"{d.path}/x"
        pats = tuple(git.lfs_patterns)
        if matches_lfs(probe, pats) or any(p.lstrip("/").startswith(d.path + "/") for p in pats):
            return "git-lfs"
    tracked = sum(1 for p in git.tracked if p.startswith(d.path + "/"))
    if d.files and tracked >= d.files:
        return "git"  # every file committed (GIT007 judges whether they are too large for git)
    return None


@rule(
    "DAT001",
    "data-unversioned",
    Severity.WARNING,
    summary="A data folder is tracked by neither DVC, git-lfs nor a checksum manifest",
    explanation="""
        A result can only be reproduced from the same data. A `data/` folder that
        nothing versions can change under the code without a trace: a re-download,
        a preprocessing rerun, a colleague's edit. envaudit looks at `data/`,
        `datasets/`, `dataset/`, `raw_data/` and any top-level folder holding a data
        file of 10 MiB or more, and accepts as versioned: a DVC output (`.dvc` file
        or `dvc.lock`) inside, around or equal to it, a checksum manifest
        (SHA256SUMS, `*.sha256`, md5sums) listing files in it or placed in it, a
        git-lfs pattern covering it, or every file of it committed to git.
    """,
    example="""
        data: data-unversioned: data/ (1,204 files, 3.1 GiB) is not versioned by DVC, git-lfs or a checksum manifest
    """,
    fix="""
        `dvc add data` (commit the `data.dvc` it writes), or record checksums:
        `cd data && find . -type f ! -name SHA256SUMS -print0 | xargs -0 sha256sum > SHA256SUMS`
        and commit SHA256SUMS.
    """,
)
def data_unversioned(inv: Inventory) -> Iterator[Hit]:
    facts = _facts(inv)
    for d in facts.data_dirs:
        if d.files == 0:
            continue
        if _versioned_by(inv, facts, d) is None:
            more = "+" if d.truncated else ""
            yield Hit(
                f"{d.path}/ ({d.files:,}{more} files, {d.size / 2**20:,.1f} MiB) is not versioned by DVC, "
                "git-lfs or a checksum manifest",
                Location(d.path),
                Fix(f"dvc add {d.path}  (and commit {d.path}.dvc), or commit a SHA256SUMS of its files"),
                fact=d,
            )


@rule(
    "DAT002",
    "dvc-out-of-date",
    Severity.WARNING,
    summary="A DVC-tracked file or directory no longer matches the hash in its .dvc file or dvc.lock",
    explanation="""
        A `.dvc` file or `dvc.lock` records the md5 of each output (and dependency)
        so that the commit names the exact data. When the workspace copy differs,
        the code is running on data that no commit describes; when it is missing,
        the data was never pulled. envaudit recomputes each hash the way DVC does,
        without DVC: plain md5 for DVC 3 entries (`hash: md5`), DVC 2's
        text-normalising md5 (CRLF to LF in chunks that look like text) for older
        entries, and for directories the md5 of the sorted JSON listing of
        `{"md5", "relpath"}` entries, suffixed `.dir`.
    """,
    example="""
        data/train.csv.dvc:2: dvc-out-of-date: data/train.csv differs from data/train.csv.dvc (md5 9f0c… recorded, 41d2… on disk)
    """,
    fix="""
        If the change is intended: `dvc add <path>` (or `dvc commit` / `dvc repro` for
        pipeline outputs) and commit the updated .dvc/dvc.lock. Otherwise restore
        the recorded version: `dvc checkout <path>`; for a missing file, `dvc pull`.
    """,
)
def dvc_out_of_date(inv: Inventory) -> Iterator[Hit]:
    for o in _facts(inv).outs:
        where = Location(o.source, o.line)
        what = f"{o.kind} of stage {o.stage}" if o.stage else "output"
        if o.status == "missing":
            yield Hit(
                f"{o.path} ({what} recorded in {o.source}) is missing from the workspace",
                where,
                Fix(f"dvc pull {o.path}  (or dvc checkout {o.path})"),
                fact=o,
            )
        elif o.status == "modified":
            got = f"{o.actual[:12]}… on disk" if o.actual else o.detail
            cmd = f"dvc commit {o.stage}" if o.stage else f"dvc add {o.path}"
            yield Hit(
                f"{o.path} differs from {o.source} (md5 {o.expected[:12]}… recorded, {got})",
                where,
                Fix(f"{cmd} if the change is intended; dvc checkout {o.path} to restore it"),
                fact=o,
            )


@rule(
    "DAT003",
    "checksum-mismatch",
    Severity.ERROR,
    summary="A file no longer matches its checksum manifest (SHA256SUMS, *.sha256, md5sums)",
    explanation="""
        A checksum manifest is a promise that the listed files are exactly these
        bytes. A mismatch means the data changed (or was corrupted) since the
        manifest was written, so results computed from it are not the results the
        manifest vouches for; a missing file means the data set is incomplete.
        envaudit reads GNU (`<hex>  <path>`, `<hex> *<path>`) and BSD
        (`SHA256 (path) = <hex>`) lines, picks the algorithm from the digest length,
        resolves paths relative to the manifest, and hashes at disk speed.
    """,
    example="""
        data/SHA256SUMS:3: checksum-mismatch: data/test.csv does not match its sha256 in data/SHA256SUMS
    """,
    fix="""
        Restore the file from its source (re-download, `git checkout`, `dvc checkout`),
        or, if the new content is intended, regenerate the manifest
        (`sha256sum <files> > SHA256SUMS`) and commit it.
    """,
)
def checksum_mismatch(inv: Inventory) -> Iterator[Hit]:
    for e in _facts(inv).checksums:
        where = Location(e.manifest, e.line)
        if e.status == "missing":
            yield Hit(f"{e.path} listed in {e.manifest} is missing", where, fact=e)
        elif e.status == "modified":
            yield Hit(
                f"{e.path} does not match its {e.algorithm} in {e.manifest} "
                f"({e.expected[:12]}… listed, {(e.actual or '')[:12]}… on disk)",
                where,
                Fix(f"restore {e.path}, or regenerate {e.manifest} if the change is intended"),
                fact=e,
            )


@rule(
    "DAT004",
    "dvc-out-unverified",
    Severity.INFO,
    summary="A DVC entry could not be verified (no md5 recorded, or unreadable)",
    explanation="""
        envaudit verifies DVC outputs by md5. An entry that records another hash
        (an `etag` of a cloud import, a `checksum`), none at all, or a file that
        cannot be read is reported here so that an unverified entry is never
        mistaken for a verified one. A `.dvcignore` with patterns makes directory
        hashes depend on rules envaudit does not interpret; such directories are
        reported here as well.
    """,
    example="""
        data.dvc:2: dvc-out-unverified: data/ in data.dvc could not be verified: records etag, not md5
    """,
    fix="Run `dvc status` for these entries, or re-add them with `dvc add` so they record an md5.",
)
def dvc_out_unverified(inv: Inventory) -> Iterator[Hit]:
    for o in _facts(inv).outs:
        if o.status == "unverified":
            yield Hit(f"{o.path} in {o.source} could not be verified: {o.detail}", Location(o.source, o.line))
