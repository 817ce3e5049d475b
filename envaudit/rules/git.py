"""GIT: is the code that ran one commit that others can get?"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from typing import TYPE_CHECKING

from envaudit.model import Fix, Hit, Location, Severity
from envaudit.rules import rule


def _from_cwd(inv: Inventory, sub: str = "") -> str:
    """How a command run where the user ran envaudit names the audited folder: "" when it
    is the current directory, else its path (relative to the cwd when inside it, as ruff
    prints paths), shell-quoted. Fix commands with paths must work from there."""
    import os
    import shlex
    from pathlib import Path

    folder = inv.root / sub if sub else inv.root
    try:
        cwd = Path.cwd().resolve()
    except OSError:
        return shlex.quote(str(folder))
    if folder == cwd:
        return ""
    rel = os.path.relpath(folder, cwd)
    return shlex.quote(str(folder) if rel.startswith("..") else rel)


def _git(inv: Inventory) -> str:
    where = _from_cwd(inv)
    return f"git -C {where}" if where else "git"


def _fix_gitignore(inv: Inventory) -> str:
    where = _from_cwd(inv)
    return f"envaudit fix gitignore {where} --write" if where else "envaudit fix gitignore --write"


if TYPE_CHECKING:
    from envaudit.inventory import Inventory
    from envaudit.scanners.git import GitFacts

LISTED = 10  # names in one message
PER_FILE_CAP = 50  # per-file findings before one summary

SOURCE_SUFFIXES = (
    ".py", ".pyx", ".pyi", ".ipynb", ".toml", ".cfg", ".ini", ".yaml", ".yml", ".json", ".sh",
    ".r", ".jl", ".c", ".cc", ".cpp", ".cu", ".h", ".hpp", ".rs", ".go", ".js", ".ts", ".sql", ".lock",
)  # fmt: skip
SOURCE_NAMES = ("Dockerfile", "Containerfile", "Makefile", "Pipfile", "Snakefile", "dvc.yaml", "MLproject")
SOURCE_PATTERNS = (
    "requirements*.txt",
    "requirements*.in",
    "constraints*.txt",
    "*.dockerfile",
    "Dockerfile.*",
)

DATA_MODEL_SUFFIXES = (
    ".csv", ".tsv", ".parquet", ".feather", ".arrow", ".npy", ".npz", ".h5", ".hdf5", ".pkl", ".pickle",
    ".pt", ".pth", ".ckpt", ".safetensors", ".onnx", ".pb", ".tflite", ".joblib", ".bin", ".gguf",
    ".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".zst", ".7z", ".jsonl", ".tfrecord", ".mat", ".nc",
    ".wav", ".mp3", ".flac", ".mp4", ".avi", ".tif", ".tiff", ".db", ".sqlite",
)  # fmt: skip
LARGE_ANY = 10 * 1024 * 1024  # any tracked blob this big
LARGE_DATA = 1024 * 1024  # a data/model file this big

SECRET_NAMES = (
    ".env", ".netrc", ".pypirc", ".git-credentials", ".htpasswd", "id_rsa", "id_dsa", "id_ecdsa",
    "id_ed25519", "credentials", "credentials.json", "client_secret.json", "kaggle.json",
    "secrets.json", "secrets.yaml", "secrets.yml", "secrets.toml", ".secrets", "token.json",
)  # fmt: skip
SECRET_PATTERNS = (
    ".env.*", "*.pem", "*.key", "*.p12", "*.pfx", "*.jks", "*.keystore", "service-account*.json",
    "client_secret_*.json", "*.ovpn", "*_rsa", "*_ed25519",
)  # fmt: skip
NOT_SECRET = (
    ".env.example",
    ".env.sample",
    ".env.template",
    ".env.dist",
    ".env.defaults",
    ".env.test.example",
)


def _facts(inv: Inventory) -> GitFacts:
    return inv.get("git")


def _listing(items: list[str] | tuple[str, ...], total: int | None = None) -> str:
    total = len(items) if total is None else total
    shown = ", ".join(items[:LISTED])
    return shown + (f" (+{total - min(len(items), LISTED)} more)" if total > LISTED else "")


@rule(
    "GIT001",
    "not-a-repository",
    Severity.ERROR,
    summary="The project is not under git, so no result can name the code that produced it",
    explanation="""
        A model, a figure or a metric is reproducible only if you can say exactly
        which code produced it. Without version control there is no commit id to
        record, no history to go back to, and no way for someone else to get the
        same code. envaudit asks git itself (`git rev-parse`) whether the project
        directory is inside a work tree; a `.git` that git cannot read is reported
        as EA001 instead.
    """,
    example="""
        project: not-a-repository: /home/me/mnist is not inside a git repository
    """,
    fix="`git init && git add -A && git commit -m 'initial'` (run `envaudit fix gitignore` first "
    "so data, caches and secrets stay out).",
)
def not_a_repository(inv: Inventory) -> Iterator[Hit]:
    f = _facts(inv)
    if f.available and not f.is_repo and f.corrupt is None:
        yield Hit(
            f"{inv.root} is not inside a git repository",
            fix=Fix("git init && git add -A && git commit -m 'initial commit'"),
        )


@rule(
    "GIT002",
    "dirty-worktree",
    Severity.WARNING,
    summary="Tracked files have uncommitted changes: the code that runs is no commit",
    explanation="""
        When tracked files are modified (or staged but not committed), the commit id
        you would record does not describe the code that actually runs: a result
        produced now cannot be reproduced from the repository. Trackers record a
        "dirty" flag for this reason. Only files inside the audited project count.
        Under a pre-commit hook (`PRE_COMMIT=1`) staged changes are the commit
        being made, so only changes left in the worktree count.
    """,
    example="""
        project: dirty-worktree: 2 tracked files have uncommitted changes: M train.py, A config.yaml
    """,
    fix="Commit the changes (or `git stash` them) before a run whose results you keep.",
)
def dirty_worktree(inv: Inventory) -> Iterator[Hit]:
    f = _facts(inv)
    if not f.is_repo or not f.dirty_count:
        return
    dirty, n = f.dirty, f.dirty_count
    if inv.environ.get("PRE_COMMIT") == "1":
        # a pre-commit hook: unstaged changes are stashed, what is staged is being committed
        dirty = tuple(e for e in f.dirty if e[1:2] not in (".", " "))
        n = (
            len(dirty)
            if len(f.dirty) == f.dirty_count
            else max(0, f.dirty_count - (len(f.dirty) - len(dirty)))
        )
        if not n:
            return
    labels = [f"{_xy(e[:2])} {e[3:]}" for e in dirty]
    yield Hit(
        f"{n} tracked file{'s' if n != 1 else ''} with uncommitted changes: {_listing(labels, n)}",
        fix=Fix("git add -A && git commit (or git stash) before a run whose results you keep"),
        fact=dirty,
    )


def _xy(xy: str) -> str:
    # staged status first, worktree status second; show the more telling one
    x, y = (xy + "..")[:2]
    return y if y != "." else x


def _is_source(path: str) -> bool:
    name = path.rpartition("/")[2]
    return (
        name.lower().endswith(SOURCE_SUFFIXES)
        or name in SOURCE_NAMES
        or any(fnmatch.fnmatchcase(name, p) for p in SOURCE_PATTERNS)
    )


def _tool_dir(inv: Inventory, path: str, cache: dict[str, bool]) -> str | None:
    """The folder of `path` that is a virtualenv (pyvenv.cfg), a conda environment
    (conda-meta/) or a tool folder the source scan skips (.venv, .tox, caches...), or None."""
    from envaudit.config import DEFAULT_EXCLUDES

    parts = path.split("/")[:-1]
    for i in range(len(parts)):
        d = "/".join(parts[: i + 1])
        if parts[i] in DEFAULT_EXCLUDES or d in DEFAULT_EXCLUDES or inv.config.is_excluded(d):
            return d
        if d not in cache:
            cache[d] = (inv.root / d / "pyvenv.cfg").is_file() or (inv.root / d / "conda-meta").is_dir()
        if cache[d]:
            return d
    return None


@rule(
    "GIT003",
    "untracked-sources",
    Severity.WARNING,
    summary="Source or configuration files are neither committed nor ignored",
    explanation="""
        An untracked `train.py`, `config.yaml` or `requirements.txt` takes part in
        every run but is in no commit: whoever checks out the recorded commit gets a
        different program. Files that `.gitignore` covers are not reported, nor are
        data and other non-source files (GIT008 covers what should be ignored).
    """,
    example="""
        utils/augment.py: untracked-sources: utils/augment.py is not tracked by git (and not ignored)
    """,
    fix="`git add` the file, or add it to .gitignore if it must stay local.",
)
def untracked_sources(inv: Inventory) -> Iterator[Hit]:
    f = _facts(inv)
    if not f.is_repo:
        return
    tool_dirs: dict[str, int] = {}
    cache: dict[str, bool] = {}
    found = []
    for p in f.untracked:
        top = _tool_dir(inv, p, cache)
        if top is not None:
            tool_dirs[top] = tool_dirs.get(top, 0) + 1
        elif _is_source(p):
            found.append(p)
    if tool_dirs:
        # a virtualenv or tool folder is not the project's source: one hint, not a file each
        names = ", ".join(f"{d}/" for d in sorted(tool_dirs))
        yield Hit(
            f"{sum(tool_dirs.values())} untracked files under {names} (a virtualenv or tool folder) "
            "are not listed: ignore the folder rather than commit it",
            Location(".gitignore"),
            Fix(f"{_fix_gitignore(inv)}  (or list the folder in .gitignore)"),
            severity=Severity.INFO,
        )
    for p in found[:PER_FILE_CAP]:
        yield Hit(
            f"{p} is not tracked by git (and not ignored)",
            Location(p),
            Fix(f"{_git(inv)} add {p}  (or list it in .gitignore)"),
        )
    if len(found) > PER_FILE_CAP:
        yield Hit(f"{len(found) - PER_FILE_CAP} more untracked source/config files", fact=tuple(found))


@rule(
    "GIT004",
    "detached-or-empty",
    Severity.INFO,
    summary="HEAD is detached, or the repository has no commit yet",
    explanation="""
        With no commit there is nothing to record. A detached HEAD is a commit but no
        branch: work committed there is easily lost, and the commit may not be
        on any branch anyone else can fetch. Both are normal in CI checkouts,
        hence info.
    """,
    example="""
        project: detached-or-empty: HEAD is detached at 3f2c1ab (no branch)
    """,
    fix="Commit (`git commit`), or check out a branch: `git switch -c my-branch`.",
)
def detached_or_empty(inv: Inventory) -> Iterator[Hit]:
    f = _facts(inv)
    if not f.is_repo:
        return
    if f.head is None:
        yield Hit(
            f"the repository has no commit yet (branch {f.branch or '?'})",
            fix=Fix("git add -A && git commit -m 'initial commit'"),
        )
    elif f.detached:
        yield Hit(
            f"HEAD is detached at {f.head[:12]} (no branch)",
            fix=Fix("git switch -c <branch-name>  (keeps the commit on a branch)"),
        )


@rule(
    "GIT005",
    "unpushed-commits",
    Severity.WARNING,
    summary="HEAD is on no remote-tracking branch: others cannot get this version",
    explanation="""
        A recorded commit id is only useful if others can fetch that commit. envaudit
        asks git whether HEAD is contained in any remote-tracking branch
        (`git for-each-ref --contains HEAD refs/remotes`), which covers pushes to
        any branch of any remote, not only the upstream. The remote-tracking refs
        are as fresh as your last fetch; envaudit never contacts the remote.
    """,
    example="""
        project: unpushed-commits: HEAD 3f2c1ab is on no remote-tracking branch (3 commits ahead of origin/main)
    """,
    fix="`git push` (or `git push -u origin <branch>` for a new branch).",
)
def unpushed_commits(inv: Inventory) -> Iterator[Hit]:
    f = _facts(inv)
    if not f.is_repo or f.head is None or not f.remotes or f.on_remote is not False:
        return
    extra = ""
    if f.upstream and f.ahead:
        extra = f" ({f.ahead} commit{'s' if f.ahead != 1 else ''} ahead of {f.upstream})"
    elif not f.upstream and f.branch:
        extra = f" (branch {f.branch} has no upstream)"
    push = f"git push -u {f.remotes[0].name} {f.branch}" if f.branch and not f.upstream else "git push"
    yield Hit(f"HEAD {f.head[:12]} is on no remote-tracking branch{extra}", fix=Fix(push))


@rule(
    "GIT006",
    "no-remote",
    Severity.INFO,
    summary="No git remote is configured: the code exists on this machine only",
    explanation="""
        Without a remote nobody else can fetch the commit you record, and a lost disk
        loses the history. Info, because a fresh or private repository may
        legitimately have none yet.
    """,
    example="""
        project: no-remote: the repository has no remote
    """,
    fix="`git remote add origin <url> && git push -u origin <branch>`.",
)
def no_remote(inv: Inventory) -> Iterator[Hit]:
    f = _facts(inv)
    if f.is_repo and not f.remotes:
        yield Hit(
            "the repository has no remote", fix=Fix("git remote add origin <url> && git push -u origin HEAD")
        )


def _human(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MiB"


@rule(
    "GIT007",
    "large-file-in-git",
    Severity.WARNING,
    summary="A large data or model file is committed to git without git-lfs or DVC",
    explanation="""
        Git keeps every version of every file forever and every clone downloads them
        all: a committed dataset or checkpoint makes the repository slow and, once
        it changes, huge. Data and weights belong in git-lfs, DVC or an artifact
        store, referenced by hash. envaudit reads committed blob sizes with
        `git cat-file --batch-check`; it reports data/model files (by extension) of
        1 MiB or more and any file of 10 MiB or more, unless a `.gitattributes`
        `filter=lfs` pattern covers it.
    """,
    example="""
        data/train.csv: large-file-in-git: data/train.csv is a 48.2 MiB blob committed to git (not git-lfs, not DVC)
    """,
    fix="""
        `git rm --cached data/train.csv`, then `dvc add data/train.csv` (or
        `git lfs track '*.csv'` and re-add). The old blob stays in history until
        it is rewritten (git filter-repo).
    """,
)
def large_file_in_git(inv: Inventory) -> Iterator[Hit]:
    f = _facts(inv)
    if not f.is_repo:
        return
    tracked = set(f.tracked) if f.large_blobs else set()
    for blob in f.large_blobs:
        if blob.lfs or f"{blob.path}.dvc" in tracked:
            continue
        is_data = blob.path.lower().endswith(DATA_MODEL_SUFFIXES)
        if blob.size >= LARGE_ANY or (is_data and blob.size >= LARGE_DATA):
            yield Hit(
                f"{blob.path} is a {_human(blob.size)} blob committed to git (not git-lfs, not DVC)",
                Location(blob.path),
                Fix(f"git rm --cached {blob.path} && dvc add {blob.path}  (or git lfs track it)"),
                fact=blob,
            )


@rule(
    "GIT008",
    "gitignore-gaps",
    Severity.WARNING,
    summary=".gitignore does not cover .env, caches, virtualenvs, data or model weights",
    explanation="""
        What is not ignored gets committed sooner or later: a `.env` with tokens, a
        virtualenv of thousands of files, `__pycache__`, a data directory, a
        checkpoint. envaudit asks `git check-ignore` about a probe path for each
        (so any .gitignore, `.git/info/exclude` or global excludes file counts).
        `.env`, `__pycache__/` and `.venv/` are always expected; `venv/`, `data/`,
        `datasets/`, notebook checkpoints, `wandb/`, `mlruns/`, `lightning_logs/`
        only when they exist; model weights when untracked, unignored weight files
        lie in the tree.
    """,
    example="""
        .gitignore: gitignore-gaps: .gitignore does not cover env-file (.env)
    """,
    fix="`envaudit fix gitignore` shows the missing lines; `--write` appends them.",
)
def gitignore_gaps(inv: Inventory) -> Iterator[Hit]:
    from envaudit.fixes._write import unified_diff
    from envaudit.fixes.gitignore import gaps, proposed

    f = _facts(inv)
    if not f.is_repo:
        return
    found = gaps(inv)
    if not found:
        return
    _, old, new = proposed(inv)
    diff = unified_diff(old, new, ".gitignore")
    if not (inv.root / ".gitignore").exists():
        # one missing file is one finding, whatever it would have listed
        listed = ", ".join(line for _, line in found)
        yield Hit(
            f"no .gitignore: nothing keeps {listed} out of git",
            Location(".gitignore"),
            Fix("envaudit fix gitignore --write  (writes .gitignore with every missing entry)", diff),
        )
        return
    for i, (cat, line) in enumerate(found):
        yield Hit(
            f".gitignore does not cover {cat} ({line})",
            Location(".gitignore"),
            # one diff covers every gap: shown once, not once per finding
            Fix("envaudit fix gitignore --write  (appends every missing entry)", diff if i == 0 else None),
        )


def _is_secret_file(path: str) -> bool:
    name = path.rpartition("/")[2]
    if name in NOT_SECRET or name.endswith((".example", ".sample", ".template", ".dist")):
        return False
    if path.endswith(".aws/credentials") or path.endswith(".docker/config.json"):
        return True
    return name in SECRET_NAMES or any(fnmatch.fnmatchcase(name, p) for p in SECRET_PATTERNS)


@rule(
    "GIT009",
    "secret-file-tracked",
    Severity.ERROR,
    summary="A secret file (.env, credentials, private key) is tracked by git",
    explanation="""
        Anything committed is in every clone and in history forever: a tracked
        `.env`, `credentials.json`, `id_rsa` or `*.pem` leaks its secrets to everyone
        who can read the repository. Templates (`.env.example`, `*.sample`,
        `*.template`) are fine and not reported. envaudit looks at names only and
        never prints the content.
    """,
    example="""
        .env: secret-file-tracked: .env is tracked by git and looks like a secrets file
    """,
    fix="""
        `git rm --cached .env`, add it to .gitignore, commit, and rotate every secret
        it held: removing the file does not remove it from history.
    """,
)
def secret_file_tracked(inv: Inventory) -> Iterator[Hit]:
    f = _facts(inv)
    if not f.is_repo:
        return
    for path in f.tracked:
        if _is_secret_file(path):
            yield Hit(
                f"{path} is tracked by git and looks like a secrets file",
                Location(path),
                Fix(f"git rm --cached {path}, add it to .gitignore, commit, and rotate its secrets"),
            )


def _without_credentials(url: str) -> str:
    """`url` with no userinfo and no credential query parameter (`?token=`, `&key=`)."""
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    from envaudit.redact import _QUERY_SECRET, MASK

    url = url.replace(f"{MASK}@", "")
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if not parts.query:
        return url
    kept = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not _QUERY_SECRET.match(f"?{k}=x")
    ]
    return urlunsplit(parts._replace(query=urlencode(kept, safe="*")))


@rule(
    "GIT010",
    "credentials-in-remote",
    Severity.ERROR,
    summary="A git remote URL embeds a user name with a password or token",
    explanation="""
        `https://user:ghp_…@github.com/org/repo` stores the token in `.git/config` in
        plain text, where every tool that prints remotes (and many trackers that
        record them) leaks it. envaudit reports the remote by name with the
        credentials masked; the token itself never appears in any output.
    """,
    example="""
        project: credentials-in-remote: remote origin embeds credentials: https://***@github.com/org/repo.git
    """,
    fix="""
        `git remote set-url origin https://github.com/org/repo.git`, use a credential
        helper (`git config --global credential.helper store|cache|osxkeychain`) or
        SSH, and revoke the exposed token.
    """,
)
def credentials_in_remote(inv: Inventory) -> Iterator[Hit]:
    f = _facts(inv)
    for r in f.remotes:
        if r.had_credentials:
            clean = _without_credentials(r.url)
            yield Hit(
                f"remote {r.name} embeds credentials: {r.url}",
                fix=Fix(f"git remote set-url {r.name} {clean}  (then revoke the exposed token)"),
            )
