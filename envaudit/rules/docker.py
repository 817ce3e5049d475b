"""DKR: Dockerfiles (and, with `check --image`, built images).

Where hadolint has the same rule (DL3006/DL3007, DL3013, DL3042, DL3008, DL3009,
DL3020) these fire on the same instructions, except for the deliberate
disagreements listed in README.md ("Dockerfiles and images") and tested in
tests/docker/test_hadolint_agreement.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from envaudit import globmatch
from envaudit._lazyre import lazy_re
from envaudit.model import Fix, Hit, Location, Severity
from envaudit.rules import rule

if TYPE_CHECKING:
    from envaudit.inventory import Inventory
    from envaudit.scanners.dockerfiles import Dockerfile, Dockerfiles, Instruction, RunFacts, Stage


def _dfs(inv: Inventory) -> Dockerfiles:
    facts: Dockerfiles = inv.get("dockerfiles")
    return facts


def _loc(df: Dockerfile, line: int) -> Location:
    return Location(df.path, line, 1)


# --------------------------------------------------------------- image references
def split_image(ref: str) -> tuple[str, str | None, str | None]:
    """`registry:5000/org/img:tag@sha256:..` -> (name, tag, digest)."""
    digest = None
    if "@" in ref:
        ref, digest = ref.split("@", 1)
    tag = None
    slash = ref.rfind("/")
    colon = ref.rfind(":")
    if colon > slash:
        ref, tag = ref[:colon], ref[colon + 1 :]
    return ref, tag, digest


def _from_kind(df: Dockerfile, st: Stage, prior_names: set[str]) -> str:
    """'scratch', 'stage', 'unknown' (variable without a value) or 'image'."""
    ref = st.base_expanded
    if ref is None or not ref.strip():
        return "unknown"
    if ref.lower() == "scratch":
        return "scratch"
    if ref.lower() in prior_names:
        return "stage"
    return "image"


def _stages_with_kind(df: Dockerfile) -> Iterator[tuple[Stage, str]]:
    names: set[str] = set()
    for st in df.stages:
        yield st, _from_kind(df, st, names)
        if st.name:
            names.add(st.name.lower())


@rule(
    "DKR001",
    "no-dockerfile",
    Severity.WARNING,
    summary="The project ships no Dockerfile or Containerfile",
    explanation="""
        A container image is the most complete way to hand someone the environment
        a result was produced in: the OS packages, the Python and every library.
        Without a Dockerfile (or Containerfile) every reader rebuilds it by hand
        from the README. envaudit looks for Dockerfile, Containerfile, *.Dockerfile,
        *.dockerfile, Dockerfile.*, Dockerfile-* and Dockerfile_* (and the same
        with Containerfile) anywhere in the project outside excluded folders.
    """,
    example="""
        <project>: no-dockerfile: no Dockerfile or Containerfile in the project
    """,
    fix="`envaudit fix dockerfile --write` writes a multi-stage, pinned, non-root Dockerfile from the project's facts.",
)
def no_dockerfile(inv: Inventory) -> Iterator[Hit]:
    if not _dfs(inv).files:
        yield Hit(
            "no Dockerfile or Containerfile in the project",
            Location(),
            Fix("run `envaudit fix dockerfile --write` to generate one"),
        )


@rule(
    "DKR002",
    "base-image-unpinned",
    Severity.ERROR,
    summary="`FROM` without a tag, or with `latest`",
    explanation="""
        `FROM python` and `FROM python:latest` mean "whatever the registry serves
        today": the same Dockerfile builds a different Python next month. Pin a
        tag (`python:3.11.9-slim-bookworm`), ideally with its digest (DKR003).
        Like hadolint (DL3006, DL3007) envaudit skips `scratch` and earlier stage
        names; unlike hadolint it expands `ARG`s, so `ARG IMG=python` +
        `FROM ${IMG}` is reported too.
    """,
    example="""
        FROM python            # DKR002
        FROM python:latest     # DKR002
        FROM python:3.11-slim  # ok (DKR003 still asks for a digest)
    """,
    fix="Name a specific tag: `FROM python:3.11.9-slim-bookworm` (and add `@sha256:` for DKR003).",
)
def base_image_unpinned(inv: Inventory) -> Iterator[Hit]:
    for df in _dfs(inv).files:
        for st, kind in _stages_with_kind(df):
            if kind != "image":
                continue
            name, tag, digest = split_image(st.base_expanded or "")
            if digest:
                continue
            shown = st.base if st.base == st.base_expanded else f"{st.base} (= {st.base_expanded})"
            if tag is None:
                yield Hit(f"FROM {shown} has no tag: it builds whatever is newest", _loc(df, st.line),
                          Fix(f"pin a tag, e.g. `FROM {name}:<version>`"), st)  # fmt: skip
            elif tag.lower() == "latest":
                yield Hit(f"FROM {shown} uses `latest`: it builds whatever is newest", _loc(df, st.line),
                          Fix(f"pin a version tag instead of latest, e.g. `FROM {name}:<version>`"), st)  # fmt: skip


@rule(
    "DKR003",
    "base-image-no-digest",
    Severity.INFO,
    summary="`FROM` pinned by tag but not by `@sha256:` digest",
    explanation="""
        Tags move: `python:3.11-slim` is rebuilt for every patch release and every
        Debian security update. Only a digest names exact bytes. OpenSSF Scorecard
        (Pinned-Dependencies) counts a FROM as pinned only with `@sha256:`. Keep the
        tag for readers and add the digest (`docker buildx imagetools inspect
        python:3.11-slim` or `docker inspect --format '{{index .RepoDigests 0}}'`).
    """,
    example="""
        FROM python:3.11-slim                       # DKR003
        FROM python:3.11-slim@sha256:2d5b…e1        # ok
    """,
    fix="Append the digest: `FROM python:3.11-slim@sha256:<digest>`; let Renovate/Dependabot update both.",
)
def base_image_no_digest(inv: Inventory) -> Iterator[Hit]:
    for df in _dfs(inv).files:
        for st, kind in _stages_with_kind(df):
            if kind != "image":
                continue
            _, tag, digest = split_image(st.base_expanded or "")
            if tag and tag.lower() != "latest" and not digest:
                yield Hit(f"FROM {st.base_expanded} is pinned by tag but not by digest", _loc(df, st.line),
                          Fix("append `@sha256:<digest>` to the image reference"), st)  # fmt: skip


# ------------------------------------------------------------------------ pip
_SIMPLE_OPTION = lazy_re(
    r"^(?:--hash[= ]\S+|--(?:index-url|extra-index-url|find-links|trusted-host)[= ]\S+|-[if] \S+)$"
)


def _simple_pins(text: str) -> dict[str, bool] | None:
    """{name: pinned} for a plain file (name/pin/range lines, hashes, index options);
    None when it needs pip's whole grammar (includes, markers, URLs, variables)."""
    from envaudit.dockercmds import spec_name, spec_pinned

    out: dict[str, bool] = {}
    for raw in text.replace("\\\n", " ").splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(" --hash", 1)
        spec = parts[0].strip()
        if spec.startswith("-"):
            if _SIMPLE_OPTION.match(spec):
                continue
            return None
        if any(ch in spec for ch in ";$@/:"):
            return None
        name, pinned = spec_name(spec), spec_pinned(spec)
        if name is None or pinned is None:
            return None
        out[name] = pinned
    return out


def _pinned_file(inv: Inventory, df: Dockerfile, ref: str) -> tuple[str | None, dict[str, bool]]:
    """Find a -r/-c file of the build context in the project; (rel, {name: pinned})."""
    rel = _find_context_file(inv, df, ref)
    if rel is None:
        return None, {}
    key = ("docker-pinned-file", rel)
    if key not in inv.memo:  # 10k `RUN pip install -r` of one file: parsed once
        inv.memo[key] = _pinned_file_uncached(inv, rel)
    return rel, dict(inv.memo[key])


def _pinned_file_uncached(inv: Inventory, rel: str) -> dict[str, bool]:
    text = inv.read(rel)
    if text is None:
        return {}
    simple = _simple_pins(text.text)  # fast path: no packaging import for a plain lock
    if simple is not None:
        return simple
    out: dict[str, bool] = {}
    try:
        from envaudit.scanners.requirements import parse_requirements_file  # issue-2's parser
    except ImportError:
        return out
    for d in parse_requirements_file(inv, rel):
        if d.url or d.editable:
            continue
        out[d.name] = d.exact_version is not None or bool(d.hashes and d.specifier.startswith("=="))
    return out


def _find_context_file(inv: Inventory, df: Dockerfile, ref: str) -> str | None:
    ref = ref.strip().lstrip("./") if not ref.startswith("/") else ref.strip()
    if not ref or "$" in ref:
        return None
    files = inv.memo.get(("file-set",))
    if files is None:
        files = inv.memo[("file-set",)] = frozenset(inv.files())
    dfdir = df.path.rsplit("/", 1)[0] + "/" if "/" in df.path else ""
    for cand in (ref, dfdir + ref):
        if cand in files:
            return cand
    base = ref.rsplit("/", 1)[-1]
    matches = [
        f for f in files if f.rsplit("/", 1)[-1] == base and f.endswith(ref.lstrip("/").split("/", 1)[-1])
    ]
    return sorted(matches, key=len)[0] if len(matches) >= 1 else None


def _pip_installs(df: Dockerfile) -> Iterator[tuple[RunFacts, object]]:
    from envaudit.dockercmds import pip_install

    for run in df.runs:
        for c in run.commands:
            p = pip_install(c)
            if p is not None:
                yield run, p


@rule(
    "DKR004",
    "pip-install-unpinned",
    Severity.ERROR,
    summary="`pip install NAME` without `==` and without `-r`/`-c` of a pinned file",
    explanation="""
        `RUN pip install numpy` installs the newest numpy on the day of the build,
        so two builds of one Dockerfile differ. Only an exact pin (`==1.26.4`,
        `===`) is reproducible; ranges (`>=`, `~=`, `<`, `!=`, `==1.*`) are not,
        although hadolint's DL3013 accepts them. Requirements given with `-r FILE`
        are checked in FILE when it is in the build context; names pinned by a
        `-c` constraints file count as pinned. A VCS URL is pinned only by a full
        commit: `git+https://…/repo` (no revision, as hadolint says too) and
        `…@main` or `…@v1.0` (a branch or tag can move) are not. Paths, wheels and
        archive URLs are pinned by what they name. A variable set earlier in the
        same RUN (`pkgs="a==1" && pip install $pkgs`) is read. pip, pip3, pipX.Y, `python -m pip`,
        `uv pip` are all understood, behind `sudo`, `sh -c`, `&&`, pipes and
        subshells.
    """,
    example="""
        RUN pip install --no-cache-dir numpy            # DKR004
        RUN pip install --no-cache-dir "numpy>=1.26"    # DKR004 (a range)
        RUN pip install --no-cache-dir numpy==1.26.4    # ok
        RUN pip install --no-cache-dir -r requirements.txt   # ok if requirements.txt pins
    """,
    fix="Pin every package (`name==version`), or install from a pinned lock: `pip install --require-hashes -r requirements.lock`.",
)
def pip_install_unpinned(inv: Inventory) -> Iterator[Hit]:
    from envaudit.dockercmds import is_local_or_url, spec_name, spec_pinned

    for df in _dfs(inv).files:
        for run, p in _pip_installs(df):
            loc = _loc(df, run.instruction.line)
            constrained: dict[str, bool] = {}
            unseen_constraints = False
            for c in p.constraint_files:  # type: ignore[attr-defined]
                crel, names = _pinned_file(inv, df, c)
                unseen_constraints |= crel is None
                constrained.update({k: v for k, v in names.items() if v})
            bad: list[str] = []
            for spec in p.packages:  # type: ignore[attr-defined]
                if "$" in spec and not spec.startswith((".", "/", "~")):
                    # a variable: the version is not visible here (`./pkg${EXTRAS}` is a path)
                    bad.append(spec)
                    continue
                if is_local_or_url(spec):
                    problem = _vcs_problem(spec)
                    if problem:
                        bad.append(f"{spec} ({problem})")
                    continue
                pinned = spec_pinned(spec)
                if pinned:
                    continue
                name = spec_name(spec)
                if name and constrained.get(name):
                    continue
                if unseen_constraints:
                    continue  # a constraints file outside the project may pin it: give the benefit of the doubt
                bad.append(spec)
            if bad:
                vcs = " (a VCS URL: `…@<40-hex commit>`)" if any(b.endswith(")") for b in bad) else ""
                yield Hit(f"pip install of unpinned {', '.join(bad)}", loc,
                          Fix(f"pin each one: `name==version`{vcs} (or install from a pinned, hashed lock)"), run)  # fmt: skip
            for ref in p.requirement_files:  # type: ignore[attr-defined]
                rel, names = _pinned_file(inv, df, ref)
                # pip applies `-c` constraints to the requirements of `-r` files too
                loose = sorted(n for n, ok in names.items() if not ok and not constrained.get(n))
                if rel and loose:
                    more = f" and {len(loose) - 5} more" if len(loose) > 5 else ""
                    yield Hit(f"pip install -r {ref}: {rel} does not pin {', '.join(loose[:5])}{more}", loc,
                              Fix(f"install from a lock instead (`envaudit fix pins --write`), or pin {rel}"), run)  # fmt: skip


_HEX40 = lazy_re(r"^[0-9a-f]{40}$")


def _vcs_problem(spec: str) -> str | None:
    """Why a VCS requirement (`git+https://…/repo`, `name @ git+…@ref`) is not pinned: no
    revision at all (hadolint's DL3013 agrees), or a branch/tag that can move (as DEP010
    says for manifests). Archives, wheels, plain URLs and paths are pinned by what they name."""
    from envaudit.rules.deps import _vcs_ref

    url = spec.split("@", 1)[1].strip() if re.match(r"^[A-Za-z0-9_.\-\[\], ]+@\s*\S", spec) else spec
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if not scheme.startswith(("git+", "hg+", "svn+", "bzr+")):
        return None
    ref = _vcs_ref(url)
    if ref is None:
        return "no revision: the default branch of the day"
    if scheme.startswith(("git+", "hg+")) and not _HEX40.match(ref.lower()):
        return f"`{ref}` is a branch or tag that can move, not a commit"
    return None


def _env_has(run: RunFacts, name: str) -> bool:
    return any(k == name for k, _ in run.env)


def _cache_mount(run: RunFacts, targets: tuple[str, ...], types: tuple[str, ...] = ("cache",)) -> bool:
    for m in run.instruction.mounts():
        if m.get("type") in types:
            t = m.get("target", "").rstrip("/")
            if any(t == x or t.endswith(x) for x in targets):
                return True
    return False


def _cache_dir_mounted(run: RunFacts, p: object) -> bool:
    """pip's cache moved into a cache or tmpfs mount (`--cache-dir /m`, `PIP_CACHE_DIR=/m` before
    the command or in ENV) stays out of the layer, like the default location under a mount."""
    import posixpath

    dirs = [v for k, v in run.env if k == "PIP_CACHE_DIR"]
    dirs += [x.split("=", 1)[1] for x in p.env_prefix if x.startswith("PIP_CACHE_DIR=")]  # type: ignore[attr-defined]
    args = list(p.args)  # type: ignore[attr-defined]
    for i, a in enumerate(args):
        if a == "--cache-dir" and i + 1 < len(args):
            dirs.append(args[i + 1])
        elif a.startswith("--cache-dir="):
            dirs.append(a.split("=", 1)[1])
    targets = [
        posixpath.normpath(m.get("target", ""))
        for m in run.instruction.mounts()
        if m.get("type") in ("cache", "tmpfs")
    ]
    for d in dirs:
        d = posixpath.normpath(d.strip("\"'")) if d.strip("\"'").startswith("/") else ""
        if d and any(t.startswith("/") and (d == t or d.startswith(t.rstrip("/") + "/")) for t in targets):
            return True
    return False


@rule(
    "DKR005",
    "pip-cache-kept",
    Severity.WARNING,
    summary="`pip install` without `--no-cache-dir` (or PIP_NO_CACHE_DIR) keeps pip's cache in the image",
    explanation="""
        pip caches every wheel it downloads under ~/.cache/pip. In an image that
        cache is dead weight in the layer (often hundreds of MB for ML stacks), and
        it makes the layer's bytes depend on what was cached. Pass
        `--no-cache-dir`, set `ENV PIP_NO_CACHE_DIR=1`, or use a BuildKit cache
        mount (`RUN --mount=type=cache,target=/root/.cache/pip`), which keeps the
        cache out of the image and speeds rebuilds. Same as hadolint DL3042.
    """,
    example="""
        RUN pip install numpy==1.26.4                  # DKR005
        RUN pip install --no-cache-dir numpy==1.26.4   # ok
    """,
    fix="Add `--no-cache-dir`, or `ENV PIP_NO_CACHE_DIR=1` before the RUN, or a pip cache mount.",
)
def pip_cache_kept(inv: Inventory) -> Iterator[Hit]:
    for df in _dfs(inv).files:
        for run, p in _pip_installs(df):
            if p.tool != "pip":  # type: ignore[attr-defined]
                continue  # uv has its own cache flag (`--no-cache`)
            if "--no-cache-dir" in p.options:  # type: ignore[attr-defined]
                continue
            if _env_has(run, "PIP_NO_CACHE_DIR") or any(
                x.startswith("PIP_NO_CACHE_DIR=") for x in p.env_prefix
            ):  # type: ignore[attr-defined]
                continue
            if _cache_mount(run, (".cache/pip", ".cache", "/root/.cache/pip")):
                continue
            if _cache_dir_mounted(run, p):
                continue
            yield Hit("pip install without --no-cache-dir keeps pip's cache in the layer",
                      _loc(df, run.instruction.line),
                      Fix("add `--no-cache-dir` (or `ENV PIP_NO_CACHE_DIR=1`, or `--mount=type=cache,target=/root/.cache/pip`)"),
                      run)  # fmt: skip


# ------------------------------------------------------------------------ apt
@rule(
    "DKR006",
    "apt-unpinned",
    Severity.INFO,
    summary="`apt-get install PKG` without `=version`",
    explanation="""
        `apt-get install curl` installs whatever version the mirror has today.
        Pinning (`curl=7.88.1-10+deb12u5`) makes the image reproducible as long as
        the mirror keeps that version (snapshot.debian.org keeps all of them).
        Info by default: many teams accept the distribution's security updates.
        Same as hadolint DL3008, also for `apt install`; a release selector
        (`pkg/bookworm`) is not a version pin.
    """,
    example="""
        RUN apt-get install -y --no-install-recommends curl                 # DKR006
        RUN apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u5   # ok
    """,
    fix="Pin `pkg=version` (`apt-cache policy pkg` shows the candidate), or build from snapshot.debian.org.",
)
def apt_unpinned(inv: Inventory) -> Iterator[Hit]:
    from envaudit.dockercmds import apt_install, apt_pinned

    for df in _dfs(inv).files:
        for run in df.runs:
            for c in run.commands:
                a = apt_install(c)
                if a is None:
                    continue
                loose = [p for p in a.packages if not apt_pinned(p)]
                if loose:
                    yield Hit(f"{a.tool} install of unpinned {', '.join(loose)}", _loc(df, run.instruction.line),
                              Fix("pin each package: `name=version`"), run)  # fmt: skip


def _final_lineage(df: Dockerfile) -> set[int]:
    """Stages whose layers end up in an image: the final stage, and every stage that
    another stage is built FROM (as hadolint's DL3009 counts them)."""
    if not df.stages:
        return set()
    out = {df.stages[-1].index}
    for st, kind in _stages_with_kind(df):
        if kind == "stage":
            ref = (st.base_expanded or "").lower()
            out |= {p.index for p in df.stages[: st.index] if p.name and p.name.lower() == ref}
    return out


# `/var/lib/apt/lists/*`, `/var/lib/apt/lists*` (the glob matches the folder itself),
# `/var/lib/apt/lists`, `/var/lib/apt/*`, `/var/lib/apt`: each removes the lists
_LISTS_RM = lazy_re(r"/var/lib/apt(?:/lists)?(?:/?\*|/)?$")


@rule(
    "DKR007",
    "apt-lists-kept",
    Severity.WARNING,
    summary="apt lists not removed in the same RUN as `apt-get update`",
    explanation="""
        `apt-get update` downloads package lists (tens of MB) into
        /var/lib/apt/lists. Unless the same RUN removes them
        (`rm -rf /var/lib/apt/lists/*`), they stay in the layer forever, and a
        later layer that deletes them frees nothing. Checked in the final stage
        and in every stage another stage is built FROM (a builder stage whose
        files are only copied out never puts its lists in an image). A cache or tmpfs mount over /var/lib/apt/lists (or /var/lib/apt)
        keeps them out of the layer. Same as hadolint DL3009.
    """,
    example="""
        RUN apt-get update && apt-get install -y curl=7.88.1-10+deb12u5        # DKR007
        RUN apt-get update && apt-get install -y curl=7.88.1-10+deb12u5 \\
            && rm -rf /var/lib/apt/lists/*                                     # ok
    """,
    fix="End the RUN with `&& rm -rf /var/lib/apt/lists/*`, or use `--mount=type=cache,target=/var/lib/apt`.",
)
def apt_lists_kept(inv: Inventory) -> Iterator[Hit]:
    from envaudit.dockercmds import apt_action

    for df in _dfs(inv).files:
        lineage = _final_lineage(df)
        for run in df.runs:
            if run.instruction.stage not in lineage:
                continue
            updates = [c for c in run.commands if (a := apt_action(c)) and a[1] == "update"]
            if not updates:
                continue
            if _cache_mount(run, ("/var/lib/apt/lists", "/var/lib/apt"), ("cache", "tmpfs")):
                continue
            # the removal must come after the last update: `… && rm -rf /var/lib/apt/lists/* &&
            # apt-get update` downloads the lists again into the same layer
            last_update = max(i for i, c in enumerate(run.commands) if c in updates)
            removals = [
                i
                for i, c in enumerate(run.commands)
                if c.argv
                and c.argv[0].rsplit("/", 1)[-1] == "rm"
                and any(_LISTS_RM.search(a) for a in c.argv[1:])
            ]
            if removals and max(removals) < last_update:
                yield Hit("apt-get update after the `rm -rf /var/lib/apt/lists/*` of the same RUN downloads the lists again into the layer",
                          _loc(df, run.instruction.line), Fix("move the removal after the last `apt-get update` of this RUN"), run)  # fmt: skip
            elif not removals:
                yield Hit("apt-get update without `rm -rf /var/lib/apt/lists/*` in the same RUN keeps the lists in the layer",
                          _loc(df, run.instruction.line), Fix("append `&& rm -rf /var/lib/apt/lists/*` to this RUN"), run)  # fmt: skip


@rule(
    "DKR008",
    "apt-update-alone",
    Severity.WARNING,
    summary="`apt-get update` in a RUN without the install",
    explanation="""
        Docker caches each RUN. A lone `RUN apt-get update` layer is reused for
        months while a later `RUN apt-get install` changes, so the install runs
        against stale lists (404s, or old versions). Update and install belong in
        one RUN.
    """,
    example="""
        RUN apt-get update                        # DKR008
        RUN apt-get install -y curl
    """,
    fix="Merge them: `RUN apt-get update && apt-get install -y --no-install-recommends … && rm -rf /var/lib/apt/lists/*`.",
)
def apt_update_alone(inv: Inventory) -> Iterator[Hit]:
    from envaudit.dockercmds import apt_action

    for df in _dfs(inv).files:
        for run in df.runs:
            actions = [a[1] for c in run.commands if (a := apt_action(c))]
            if "update" in actions and not any(
                x in ("install", "upgrade", "dist-upgrade", "full-upgrade") for x in actions
            ):
                yield Hit("apt-get update without an install in the same RUN: a cached layer goes stale",
                          _loc(df, run.instruction.line), Fix("install in the same RUN as the update"), run)  # fmt: skip


# ------------------------------------------------------------------------ user
_ROOT_USERS = {"root", "0", "root:root", "0:0", "root:0", "0:root"}


def _last_user(df: Dockerfile, st: Stage, seen: set[int] | None = None) -> Instruction | None:
    seen = seen or set()
    seen.add(st.index)
    users = [i for i in st.instructions if i.cmd == "USER"]
    if users:
        return users[-1]
    ref = (st.base_expanded or "").lower()
    for prior in df.stages[: st.index]:
        if prior.name and prior.name.lower() == ref and prior.index not in seen:
            return _last_user(df, prior, seen)
    return None


@rule(
    "DKR009",
    "runs-as-root",
    Severity.WARNING,
    summary="The final stage never switches to a non-root USER",
    explanation="""
        A container runs as root unless the image says otherwise; a process that
        escapes it, or a mounted volume it writes, is root on the host's files.
        Create a user and switch to it in the final stage (`USER app`, or a
        numeric uid). hadolint's DL3002 only flags an explicit last `USER root`;
        envaudit also flags a final stage that never sets USER at all (nor inherits
        one from an earlier stage). With `check --image` the built image's
        configured user is checked instead.
    """,
    example="""
        FROM python:3.11-slim
        COPY . /app
        CMD ["python", "/app/train.py"]     # DKR009: runs as root
    """,
    fix="Add `RUN useradd --create-home --uid 10001 app` and `USER app` (or `USER 10001`) before CMD.",
)
def runs_as_root(inv: Inventory) -> Iterator[Hit]:
    for df in _dfs(inv).files:
        st = df.final_stage
        if st is None:
            continue
        last = _last_user(df, st)
        if last is None:
            yield Hit("the final stage never switches to a non-root USER", _loc(df, st.line),
                      Fix("add a non-root user and `USER <name>` before CMD"), st)  # fmt: skip
        elif last.args.strip().split()[0].lower() in _ROOT_USERS if last.args.strip() else False:
            yield Hit("the final stage's last USER is root", _loc(df, last.line),
                      Fix("switch to a non-root user after the steps that need root"), last)  # fmt: skip
    img = _image_facts(inv)
    if img is not None and img.user.split(":")[0] in ("", "root", "0"):
        yield Hit(f"image {img.name} runs as root (its config sets no non-root User)", Location(),
                  Fix("rebuild with a non-root USER in the final stage"), img)  # fmt: skip


def _image_facts(inv: Inventory) -> object | None:
    if not getattr(inv, "image", None):
        return None
    img = inv.get("image")
    return img if getattr(img, "available", False) else None


# ----------------------------------------------------------------- layering
def _installs_deps(run: RunFacts) -> bool:
    from envaudit.dockercmds import pip_install

    for c in run.commands:
        p = pip_install(c)
        if p is not None and (p.packages or p.requirement_files) and "--no-deps" not in p.options:
            return True
        base = c.argv[0].rsplit("/", 1)[-1] if c.argv else ""
        sub = c.argv[1] if len(c.argv) > 1 else ""
        if (base, sub) in {("uv", "sync"), ("poetry", "install"), ("pipenv", "install"), ("pdm", "install"),
                           ("conda", "install"), ("mamba", "install"), ("micromamba", "install"),
                           ("conda", "env"), ("mamba", "env")}:  # fmt: skip
            return True
    return False


def _copies_context(ins: Instruction) -> bool:
    if ins.cmd not in ("COPY", "ADD") or ins.flag("from"):
        return False
    parts = list(ins.json) if ins.json else ins.args.split()
    return any(p in (".", "./", "./.", "*") for p in parts[:-1])


@rule(
    "DKR010",
    "cache-busting-copy",
    Severity.WARNING,
    summary="The whole context (`COPY . .`) is copied before dependencies are installed",
    explanation="""
        Docker reuses a layer only while everything before it is unchanged.
        `COPY . .` followed by `pip install -r requirements.txt` reinstalls every
        dependency on each source edit: slow builds, and each build may resolve
        different versions. Copy the dependency files first, install, then copy
        the source.
    """,
    example="""
        COPY . /app                                   # DKR010
        RUN pip install --no-cache-dir -r /app/requirements.txt
    """,
    fix="`COPY requirements.txt .` + `RUN pip install … -r requirements.txt` first, then `COPY . .`.",
)
def cache_busting_copy(inv: Inventory) -> Iterator[Hit]:
    for df in _dfs(inv).files:
        runs = {r.instruction.line: r for r in df.runs}
        for st in df.stages:
            copy_at: Instruction | None = None
            installed_before = False
            for ins in st.instructions:
                if ins.cmd == "RUN" and ins.line in runs and _installs_deps(runs[ins.line]):
                    if copy_at is not None and not installed_before:
                        yield Hit("the whole build context is copied before dependencies are installed",
                                  _loc(df, copy_at.line),
                                  Fix("copy only the dependency files, install, then copy the rest"), copy_at)  # fmt: skip
                        break
                    installed_before = True
                elif copy_at is None and _copies_context(ins):
                    copy_at = ins


# ----------------------------------------------------------------- .dockerignore
_IGNORE_NEEDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (".git", (".git",)),
    (".env", (".env",)),
    ("virtualenvs", (".venv", "venv")),
    ("caches", ("__pycache__", "*.pyc", ".pytest_cache", ".mypy_cache")),
)
_WEIGHT_EXT = (".pt", ".pth", ".ckpt", ".safetensors", ".h5", ".onnx", ".bin", ".pkl", ".joblib")
_DATA_DIRS = ("data", "datasets", "models", "checkpoints", "weights", "outputs", "runs", "mlruns", "wandb")


def _ignored(patterns: tuple[str, ...], target: str) -> bool:
    for raw in patterns:
        if raw.startswith("!"):
            continue
        p = raw.strip().lstrip("/")
        for prefix in ("**/",):
            while p.startswith(prefix):
                p = p[len(prefix) :]
        p = p.rstrip("/")
        if p.endswith("/**"):
            p = p[:-3]
        if p in ("*", "**") or globmatch.fnmatchcase(target, p):
            return True
    return False


def dockerfile_context(inv: Inventory, df: Dockerfile) -> str:
    """The folder a Dockerfile's COPY/ADD sources resolve against ("" = the project root),
    decided as DKR004 finds its requirement files: a source that exists beside the
    Dockerfile and not at the root makes the Dockerfile's folder the context; a folder
    with its own requirements.txt or pyproject.toml next to its Dockerfile is built on its
    own when no source decides."""
    if "/" not in df.path:
        return ""
    dfdir = df.path.rsplit("/", 1)[0]
    files = inv.memo.get(("file-set",))
    if files is None:
        files = inv.memo[("file-set",)] = frozenset(inv.files())
    for ins in getattr(df, "instructions", ()) or ():
        if ins.cmd not in ("COPY", "ADD") or ins.flag("from"):
            continue
        parts = list(ins.json) if ins.json else ins.args.split()
        for src in parts[:-1]:
            src = src.strip().removeprefix("./")
            if not src or src in (".", "*") or "$" in src or "://" in src or any(c in src for c in "*?["):
                continue
            here = f"{dfdir}/{src}".rstrip("/")
            beside = here in files or any(f.startswith(here + "/") for f in files)
            at_root = src.rstrip("/") in files or any(f.startswith(src.rstrip("/") + "/") for f in files)
            if beside and not at_root:
                return dfdir
            if at_root and not beside:
                return ""
    if any(
        f"{dfdir}/{m}" in files
        for m in ("requirements.txt", "pyproject.toml", "requirements.in", ".dockerignore")
    ):
        return dfdir  # its own manifest or its own .dockerignore: built from its folder
    return ""


def _ignore_patterns(inv: Inventory, rel: str) -> tuple[str, ...]:
    t = inv.read(rel)
    if t is None:
        return ()
    from envaudit.globmatch import too_long

    return tuple(
        ln.strip()
        for ln in t.text.splitlines()
        if ln.strip() and not ln.strip().startswith("#") and not too_long(ln)
    )


def dockerignore_for(inv: Inventory, df: Dockerfile) -> tuple[str, str, bool]:
    """(build context, the ignore file BuildKit reads for this Dockerfile, whether it
    exists). BuildKit first looks for `<Dockerfile>.dockerignore` beside the Dockerfile
    (`docker/Dockerfile.gpu.dockerignore`), then `.dockerignore` at the context root."""
    ctx = dockerfile_context(inv, df)
    own = f"{df.path}.dockerignore"
    if (inv.root / own).is_file():
        return ctx, own, True
    rel = f"{ctx}/.dockerignore" if ctx else ".dockerignore"
    return ctx, rel, (inv.root / rel).is_file()


@rule(
    "DKR011",
    "dockerignore-missing",
    Severity.WARNING,
    summary="No .dockerignore, or it does not exclude .git, .env, data and model weights, caches, virtualenvs",
    explanation="""
        `docker build` sends the whole folder to the engine, and `COPY . .` puts
        it in the image: the git history, a `.env` with credentials, local
        virtualenvs built for another OS, caches, gigabytes of data and
        checkpoints. That makes builds slow, images huge and secrets public. A
        .dockerignore next to the Dockerfile's context keeps them out. Data and
        weights are required only when the project has them.
    """,
    example="""
        .dockerignore: dockerignore-missing: does not exclude .env, virtualenvs
    """,
    fix="`envaudit fix dockerignore --write` writes (or completes) one.",
)
def dockerignore_missing(inv: Inventory) -> Iterator[Hit]:
    from envaudit.rules.git import _from_cwd

    facts = _dfs(inv)
    if not facts.files:
        return
    checked: set[str] = set()
    for df in sorted(facts.files, key=lambda d: d.path):
        ctx, ignore, exists = dockerignore_for(inv, df)
        if ignore in checked:
            continue
        checked.add(ignore)
        target = _from_cwd(inv, ctx)
        cmd = f"envaudit fix dockerignore {target} --write" if target else "envaudit fix dockerignore --write"
        what = f"the build context {ctx}/" if ctx else "the whole folder"
        if not exists:
            yield Hit(f"no {ignore}: {what} (.git, .env, data, caches) is sent to the build of {df.path}",
                      Location(ignore), Fix(f"run `{cmd}`"))  # fmt: skip
            continue
        patterns = _ignore_patterns(inv, ignore)
        missing = [label for label, names in _IGNORE_NEEDS if not any(_ignored(patterns, n) for n in names)]
        prefix = f"{ctx}/" if ctx else ""
        files = [f[len(prefix) :] for f in inv.files() if f.startswith(prefix)]
        tops = {f.split("/", 1)[0] for f in files if "/" in f}
        for d in _DATA_DIRS:
            if d in tops and not _ignored(patterns, d):
                missing.append(f"{d}/")
        weights = sorted(
            {
                "*" + f[f.rfind(".") :]
                for f in files
                if f.endswith(_WEIGHT_EXT) and f.split("/", 1)[0] not in _DATA_DIRS
            }
        )
        for w in weights:
            if not any(_ignored(patterns, f) for f in files if f.endswith(w[1:])):
                missing.append(w)
        if missing:
            fix = (
                f"add the missing patterns to {ignore} (BuildKit reads it for {df.path} instead of .dockerignore)"
                if ignore == f"{df.path}.dockerignore"
                else f"run `{cmd}` to add the missing patterns"
            )
            yield Hit(f"{ignore} does not exclude {', '.join(missing)}", Location(ignore, None), Fix(fix))


# ----------------------------------------------------------------- build tools
_BUILD_PKGS = lazy_re(r"^(?:build-essential|gcc(?:-[0-9]+)?|g\+\+(?:-[0-9]+)?|make|cmake|clang|gfortran|cargo|rustc"
                         r"|[a-z0-9.+-]+-dev(?:el)?|musl-dev|linux-headers|autoconf|automake|libtool|pkg-config)(?:[=:/].*)?$")  # fmt: skip


@rule(
    "DKR012",
    "build-tools-in-final-stage",
    Severity.INFO,
    summary="Compilers, build-essential or -dev packages in a single-stage image",
    explanation="""
        Compilers and headers are needed to build wheels, not to run them. In a
        single-stage image they stay in the final image: hundreds of MB and a
        larger attack surface. A multi-stage build compiles in a builder stage and
        copies only the wheels into a slim runtime stage.
    """,
    example="""
        FROM python:3.11-slim
        RUN apt-get update && apt-get install -y build-essential && …   # DKR012
    """,
    fix="Split the build: a builder stage with the tools builds wheels; the runtime stage installs them (`envaudit fix dockerfile`).",
)
def build_tools_in_final_stage(inv: Inventory) -> Iterator[Hit]:
    from envaudit.dockercmds import apt_install

    for df in _dfs(inv).files:
        if len(df.stages) != 1:
            continue
        for run in df.runs:
            tools: list[str] = []
            for c in run.commands:
                a = apt_install(c)
                pkgs = a.packages if a else ()
                if (
                    not a
                    and c.argv
                    and c.argv[0] in ("apk", "yum", "dnf", "microdnf")
                    and "add" in (*c.argv[1:2], "install")
                    and len(c.argv) > 1
                    and c.argv[1] in ("add", "install")
                ):
                    pkgs = tuple(x for x in c.argv[2:] if not x.startswith("-"))
                tools += [p for p in pkgs if _BUILD_PKGS.match(p)]
            if tools:
                yield Hit(f"build tools in the only stage: {', '.join(tools)}", _loc(df, run.instruction.line),
                          Fix("build in a builder stage and copy the wheels into a slim runtime stage"), run)  # fmt: skip


# ----------------------------------------------------------------- pipe to shell
_COMMIT_URL = lazy_re(r"[0-9a-f]{40}")


@rule(
    "DKR013",
    "pipe-to-shell",
    Severity.ERROR,
    summary="`curl … | sh` / `wget … | bash`: running a downloaded script unchecked",
    explanation="""
        Piping a download into a shell runs whatever the server returns on the day
        of the build: nothing pins or verifies it, and a compromised or changed
        script changes the image. OpenSSF Scorecard counts it as unpinned unless
        the URL names a commit SHA. Download to a file, check its sha256, then run
        it. Also recognised: `sh -c "$(curl …)"` and `bash <(curl …)`.
    """,
    example="""
        RUN curl -fsSL https://example.com/install.sh | sh          # DKR013
        RUN curl -fsSLo i.sh https://example.com/install.sh \\
            && echo "<sha256>  i.sh" | sha256sum -c - && sh i.sh     # ok
    """,
    fix="Download to a file, verify a pinned sha256 (`sha256sum -c`), then run it; or pin the URL to a commit.",
)
def pipe_to_shell(inv: Inventory) -> Iterator[Hit]:
    from envaudit.dockercmds import DOWNLOADERS, INTERPRETERS

    for df in _dfs(inv).files:
        for run in df.runs:
            cmds = run.commands
            for k, c in enumerate(cmds):
                base = c.argv[0].rsplit("/", 1)[-1] if c.argv else ""
                hit = None
                if base in INTERPRETERS and c.after == "|" and k > 0:
                    # walk back through the pipeline to its first command
                    j = k - 1
                    while j > 0 and cmds[j].after == "|":
                        j -= 1
                    src = [x for x in cmds[j:k] if x.argv and x.argv[0].rsplit("/", 1)[-1] in DOWNLOADERS]
                    if src:
                        hit = src[0]
                elif base in INTERPRETERS and any(
                    ("$(curl" in a or "$(wget" in a or "<(curl" in a or "<(wget" in a) for a in c.argv[1:]
                ):
                    hit = c
                if hit is not None and not any(_COMMIT_URL.search(a) for a in hit.argv):
                    yield Hit(f"{' '.join(hit.argv[:1])} output is run by {base} unverified",
                              _loc(df, run.instruction.line),
                              Fix("download to a file, verify its sha256, then run it"), run)  # fmt: skip
                    break


# ----------------------------------------------------------------- ADD
_ARCHIVE = lazy_re(r"\.(?:tar|tar\.gz|tgz|tar\.bz2|tbz2?|tar\.xz|txz|tar\.zst|tzst)$", re.I)


@rule(
    "DKR014",
    "add-instead-of-copy",
    Severity.INFO,
    summary="`ADD` of a local file or a remote URL where COPY (or a checked download) is meant",
    explanation="""
        ADD has two hidden behaviours: it unpacks local tar archives and downloads
        URLs. For plain files COPY says what happens (hadolint DL3020). A URL
        fetched by ADD is not verified unless `--checksum=sha256:…` is given,
        so envaudit also reports remote ADDs without it (hadolint does not).
        Local archives are left alone: unpacking them is what ADD is for.
    """,
    example="""
        ADD . /app                                  # DKR014: use COPY
        ADD https://example.com/model.bin /m/       # DKR014: no --checksum
        ADD vendor.tar.gz /opt/                     # ok (unpacks)
    """,
    fix="Use COPY for local files; for downloads add `--checksum=sha256:<digest>` or use curl + sha256sum.",
)
def add_instead_of_copy(inv: Inventory) -> Iterator[Hit]:
    for df in _dfs(inv).files:
        for ins in df.instructions:
            if ins.cmd != "ADD" or ins.heredocs:
                continue
            parts = list(ins.json) if ins.json else ins.args.split()
            sources = parts[:-1]
            if not sources:
                continue
            remote = [s for s in sources if "://" in s or s.startswith("git@")]
            local = [s for s in sources if s not in remote and not _ARCHIVE.search(s)]
            if local:
                yield Hit(f"ADD of local {', '.join(local)}: use COPY", _loc(df, ins.line),
                          Fix("replace ADD with COPY"), ins)  # fmt: skip
            elif remote and not ins.flag("checksum"):
                yield Hit(f"ADD downloads {', '.join(remote)} without --checksum", _loc(df, ins.line),
                          Fix("add `--checksum=sha256:<digest>` or download with curl and verify"), ins)  # fmt: skip


# ----------------------------------------------------------------- Python / CUDA
_PY_TAG = lazy_re(r"^(?:[0-9]+-)?(?:python)?([23])\.([0-9]+)")


def base_python(ref: str) -> tuple[int, int] | None:
    """The Python of an official-style python image tag: python:3.11-slim -> (3, 11)."""
    name, tag, _ = split_image(ref)
    if not tag:
        return None
    last = name.rsplit("/", 1)[-1]
    if last in ("python", "pypy") or last.endswith("-python"):
        m = _PY_TAG.match(tag)
        return (int(m.group(1)), int(m.group(2))) if m else None
    m = re.search(r"(?:^|[-_])(?:py|python)([23])\.?([0-9]{1,2})(?:$|[-_.])", tag)
    return (int(m.group(1)), int(m.group(2))) if m else None


def declared_python(inv: Inventory) -> tuple[str, str, int, str] | None:
    """(kind, value, line, path) of the project's declared Python: requires-python, then
    .python-version. A tiny reader until issue-2's `pyversions` domain is merged."""
    try:
        facts = inv.get("pyversions")  # issue-2's domain: every place a Python version is declared
    except ImportError:
        facts = None
    if facts is not None:
        decls = [
            d
            for d in getattr(facts, "declarations", ()) or ()
            if getattr(d, "source", "") not in ("dockerfile", "readme")
            and getattr(d, "kind", "") != "mention"
        ]
        # an exact declaration (.python-version, runtime.txt) says more than a range
        decls.sort(key=lambda d: getattr(d, "kind", "") != "exact")
        for d in decls:
            if d.specifier:
                return "spec", d.specifier, d.line or 1, d.path
        return None
    if (inv.root / "pyproject.toml").is_file():
        t = inv.read("pyproject.toml")
        if t is not None:
            data = inv.toml("pyproject.toml") or {}
            rp = (data.get("project") or {}).get("requires-python")
            if isinstance(rp, str) and rp.strip():
                line = next((i + 1 for i, ln in enumerate(t.text.splitlines()) if "requires-python" in ln), 1)
                return "spec", rp.strip(), line, "pyproject.toml"
    if (inv.root / ".python-version").is_file():
        t = inv.read(".python-version")
        if t is not None:
            for i, ln in enumerate(t.text.splitlines()):
                if ln.strip() and not ln.startswith("#"):
                    return "version", ln.strip(), i + 1, ".python-version"
    return None


def python_matches(decl: tuple[str, str, int, str], mm: tuple[int, int]) -> bool:
    kind, value = decl[0], decl[1]
    if kind == "version":
        m = re.match(r"^(?:cpython-|python)?([0-9]+)\.([0-9]+)", value)
        return not m or (int(m.group(1)), int(m.group(2))) == mm
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        spec = SpecifierSet(value)
    except InvalidSpecifier:
        return True
    return any(spec.contains(f"{mm[0]}.{mm[1]}.{p}", prereleases=True) for p in range(0, 40))


@rule(
    "DKR015",
    "docker-python-mismatch",
    Severity.WARNING,
    summary="The image's Python (from the base tag) differs from the project's declared Python",
    explanation="""
        The project says which Python it needs (`requires-python`,
        .python-version); the Dockerfile's base image decides which Python the
        container really has. When they disagree the image runs a Python the
        project never tested (or one its lock was not resolved for). The base's
        Python is read from the tag of python images (`python:3.11-slim`) and from
        `py3.11` / `python3.11` in other tags. A plain `FROM python:3.10` line is
        a declaration of its own, compared by PY002 (one finding per cause).
    """,
    example="""
        pyproject.toml: requires-python = ">=3.11"
        Dockerfile:     FROM ghcr.io/org/trainer:py3.10-cpu     # DKR015
    """,
    fix="Use a base whose tag matches the declared Python (`FROM python:3.11-slim`), or fix the declaration.",
)
def docker_python_mismatch(inv: Inventory) -> Iterator[Hit]:
    facts = _dfs(inv)
    if not facts.files:
        return
    decl = declared_python(inv)
    if decl is None:
        return
    # One cause, one finding: a `FROM python:X.Y` line is itself a Python declaration,
    # and PY002 compares it with every declaration of its project (an error: two
    # declarations contradict). DKR015 covers the bases PY002 does not read: other
    # images' `py3.11` tags and references built from ARGs.
    try:
        py002 = {(d.path, d.line) for d in inv.get("pyversions").declarations if d.source == "dockerfile"}
    except ImportError:
        py002 = set()
    for df in facts.files:
        for st, kind in _stages_with_kind(df):
            if kind != "image" or (df.path, st.line) in py002:
                continue
            mm = base_python(st.base_expanded or "")
            if mm and not python_matches(decl, mm):
                yield Hit(f"FROM {st.base_expanded} has Python {mm[0]}.{mm[1]} but {decl[3]} declares {decl[1]}",
                          _loc(df, st.line), Fix(f"use a base image with a Python that satisfies {decl[1]}"), st)  # fmt: skip


_CUDA_TAG = lazy_re(r"(?:^|[-_])(?:cuda)?([0-9]{2})\.([0-9])(?:\.[0-9]+)?(?:[-_]|$)")
_CU_RE = lazy_re(r"(?:\+|/whl/|/)cu([0-9]{2,3})\b")


def base_cuda(ref: str) -> tuple[int, int] | None:
    name, tag, _ = split_image(ref)
    if not tag:
        return None
    last = name.rsplit("/", 1)[-1]
    if last == "cuda" or "cuda" in tag:
        m = re.search(r"cuda([0-9]{2})\.([0-9])", tag) or (_CUDA_TAG.search(tag) if last == "cuda" else None)
        if m:
            return int(m.group(1)), int(m.group(2))
    return None


def _cu(tag: str) -> tuple[int, int]:
    return (int(tag[:2]), int(tag[2:])) if len(tag) == 3 else (int(tag[:-1]), int(tag[-1]))


def torch_cuda(inv: Inventory, df: Dockerfile | None = None) -> tuple[tuple[int, int], str, int] | None:
    """CUDA of the pinned torch build (`torch==2.3.1+cu121`, or a cu121 index), with where."""
    candidates: list[tuple[str, int, str]] = []
    for rel in inv.files():
        low = rel.rsplit("/", 1)[-1].lower()
        if (low.endswith((".txt", ".in", ".lock")) and "req" in low) or low in (
            "pyproject.toml",
            "pylock.toml",
            "uv.lock",
            "poetry.lock",
            "pdm.lock",
        ):
            t = inv.read(rel, record=False)
            if t is None:
                continue
            for i, ln in enumerate(t.text.splitlines(), 1):
                if "torch" in ln.lower() or "download.pytorch.org" in ln:
                    candidates.append((ln, i, rel))
    if df is not None:
        for run in df.runs:
            for c in run.commands:
                joined = " ".join(c.argv)
                if "torch" in joined:
                    candidates.append((joined, run.instruction.line, df.path))
    # the torch pin itself (`torch==2.3.1+cu121`) names the line to change; a cuXXX index
    # (`--extra-index-url …/whl/cu121`, usually the line above it) only where no pin says
    for pattern in (r"torch[^\s,;\"']*?\+cu([0-9]{2,3})\b", r"download\.pytorch\.org/whl/cu([0-9]{2,3})\b"):
        for text, line, rel in candidates:
            m = re.search(pattern, text)
            if m:
                return _cu(m.group(1)), rel, line
    return None


def torch_minor(inv: Inventory) -> tuple[int, int] | None:
    """The torch major.minor pinned in a requirements file or lock (`torch==2.3.1+cu121`)."""
    for rel in inv.files():
        low = rel.rsplit("/", 1)[-1].lower()
        if not (
            (low.endswith((".txt", ".in", ".lock")) and "req" in low) or low in ("pyproject.toml", "uv.lock")
        ):
            continue
        t = inv.read(rel, record=False)
        if t is None:
            continue
        m = re.search(r"(?im)^\s*[\"']?torch\s*===?\s*(\d+)\.(\d+)", t.text) or re.search(
            r'(?m)^name = "torch"\nversion = "(\d+)\.(\d+)', t.text
        )
        if m:
            return int(m.group(1)), int(m.group(2))
    return None


def cuda_base_suggestion(want: tuple[int, int], torch_mm: tuple[int, int] | None) -> str:
    """A base NVIDIA really publishes for this CUDA, with the cuDNN this torch expects."""
    from envaudit.cudacompat import nvidia_cuda_tag, torch_cudnn_major

    plain = nvidia_cuda_tag(want, None)
    if torch_mm is None:
        return f"nvidia/cuda:{plain}" if plain else f"an nvidia/cuda {want[0]}.{want[1]} runtime image"
    cudnn = torch_cudnn_major(torch_mm)
    tag = nvidia_cuda_tag(want, cudnn)
    if tag:
        return f"nvidia/cuda:{tag} (cuDNN {cudnn}, as torch {torch_mm[0]}.{torch_mm[1]} expects)"
    return (
        f"nvidia/cuda:{plain} (NVIDIA has no cuDNN {cudnn} image for CUDA {want[0]}.{want[1]}: "
        f"torch {torch_mm[0]}.{torch_mm[1]} brings cuDNN {cudnn} as a pip dependency)"
        if plain
        else f"an nvidia/cuda {want[0]}.{want[1]} runtime image"
    )


@rule(
    "DKR016",
    "cuda-base-mismatch",
    Severity.WARNING,
    summary="The CUDA of the base image differs from the CUDA the pinned framework wheels were built for",
    explanation="""
        `torch==2.3.1+cu121` is built against CUDA 12.1. On a base image with a
        different CUDA (`nvidia/cuda:11.8.0-…`) its kernels load the wrong
        libraries, compiled extensions build against another toolkit, and a
        CUDA-major mismatch fails outright. The base's CUDA is read from the tag
        (`nvidia/cuda:12.1.1-cudnn8-runtime-ubuntu22.04`,
        `pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime`); the framework's from a
        `+cuXXX` pin or a download.pytorch.org/whl/cuXXX index.
    """,
    example="""
        requirements.txt: torch==2.3.1+cu121
        Dockerfile:       FROM nvidia/cuda:11.8.0-cudnn8-runtime-ubuntu22.04   # DKR016
    """,
    fix="Use the base matching the wheels (`nvidia/cuda:12.1.1-cudnn8-runtime-ubuntu22.04` for torch 2.3: cuDNN 8), or pin the wheels for the base's CUDA.",
)
def cuda_base_mismatch(inv: Inventory) -> Iterator[Hit]:
    for df in _dfs(inv).files:
        bases = [
            (st, base_cuda(st.base_expanded or "")) for st, kind in _stages_with_kind(df) if kind == "image"
        ]
        bases = [(st, c) for st, c in bases if c]
        if not bases:
            continue
        tc = torch_cuda(inv, df)
        if tc is None:
            continue
        want, rel, line = tc
        st, have = bases[-1]
        if have != want:
            yield Hit(f"FROM {st.base_expanded} has CUDA {have[0]}.{have[1]} but torch is pinned for CUDA "
                      f"{want[0]}.{want[1]} ({rel}:{line})", _loc(df, st.line),
                      Fix(f"use a CUDA {want[0]}.{want[1]} base, e.g. {cuda_base_suggestion(want, torch_minor(inv))}"), st)  # fmt: skip


# ----------------------------------------------------------------- secrets
_SECRET_FILES = lazy_re(r"(?:^|/)(?:\.env(?:\.[\w.-]+)?|id_rsa|id_ed25519|id_ecdsa|\.netrc|\.pypirc|\.npmrc"
                           r"|credentials(?:\.json)?|[\w.-]*\.pem|[\w.-]*\.key|\.aws|\.ssh|\.docker/config\.json|secrets?(?:\.\w+)?)/?$")  # fmt: skip


@rule(
    "DKR017",
    "secret-in-image",
    Severity.ERROR,
    summary="`ENV`/`ARG` with a secret-looking name and a literal value, or a secret file COPY'd",
    explanation="""
        ENV values are stored in the image config and ARG values in its history:
        anyone who pulls the image reads them with `docker inspect` or
        `docker history`, even if a later layer unsets them. The same holds for a
        .env, key or credentials file copied into a layer. Pass secrets at build
        time with BuildKit secrets (`RUN --mount=type=secret,id=hf …`) and at run
        time with the environment. envaudit never prints the value.
    """,
    example="""
        ENV HF_TOKEN=hf_abc…          # DKR017
        ARG WANDB_API_KEY             # ok: no literal value in the file
        COPY .env /app/.env           # DKR017
    """,
    fix="Remove the literal; use `RUN --mount=type=secret,id=NAME` at build time or `docker run -e NAME` at run time.",
)
def secret_in_image(inv: Inventory) -> Iterator[Hit]:
    from envaudit.redact import is_secret_name
    from envaudit.scanners.dockerfiles import _parse_kv

    for df in _dfs(inv).files:
        for ins in df.instructions:
            if ins.cmd in ("ENV", "ARG"):
                for k, v in _parse_kv(ins.args, ins.cmd):
                    if not v or not is_secret_name(k):
                        continue
                    if re.fullmatch(r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?", v.strip()):
                        continue  # passed through from a build arg, no literal here
                    yield Hit(f"{ins.cmd} {k} has a literal value in the Dockerfile (stored in the image)",
                              _loc(df, ins.line), Fix(f"remove the value; pass {k} as a BuildKit secret or at run time"),
                              None)  # fmt: skip
            elif ins.cmd in ("COPY", "ADD") and not ins.flag("from"):
                parts = list(ins.json) if ins.json else ins.args.split()
                bad = [p for p in parts[:-1] if _SECRET_FILES.search(p)]
                if bad:
                    yield Hit(f"{ins.cmd} of secret-looking file {', '.join(bad)} into the image",
                              _loc(df, ins.line), Fix("use `RUN --mount=type=secret` instead of copying it"), ins)  # fmt: skip
    img = _image_facts(inv)
    if img is not None:
        for k, v in img.env:  # type: ignore[attr-defined]
            if v and is_secret_name(k):  # values were masked when the image was read
                yield Hit(f"image {img.name} has {k} set in its config (anyone who pulls it can read it)",  # type: ignore[attr-defined]
                          Location(), Fix(f"rebuild without ENV {k}; pass it at run time"), None)  # fmt: skip


@rule(
    "DKR018",
    "dockerfile-parse-error",
    Severity.ERROR,
    summary="An instruction the parser cannot read",
    explanation="""
        An unknown instruction, a heredoc without its terminator, an empty file, an
        instruction before FROM or a malformed FROM/SHELL. BuildKit refuses such a
        file, so the image cannot be built from it. envaudit reports each bad
        instruction with its line and still checks the rest of the file (hadolint
        stops at the first parse error and checks nothing).
    """,
    example="""
        Dockerfile:7: dockerfile-parse-error: unterminated heredoc <<EOF
    """,
    fix="Fix the instruction the message names.",
    late=True,
)
def dockerfile_parse_error(inv: Inventory) -> Iterator[Hit]:
    _dfs(inv)
    for d in inv.diagnostics:
        if d.code == "DKR018":
            yield Hit(d.message, d.location)


# ----------------------------------------------------------------- built image (--image)
def project_pins(inv: Inventory) -> dict[str, tuple[str, str, int]]:
    """Exact pins of the project's lock/requirements: {canonical name: (version, rel, line)}.
    Uses issue-2's `requirements` domain when it is there, a small reader otherwise."""
    from envaudit.dockercmds import is_local_or_url

    pins: dict[str, tuple[str, str, int]] = {}
    try:
        reqs = inv.get("requirements")
    except ImportError:
        reqs = None
    if reqs is not None:
        for d in getattr(reqs, "requirements", ()):
            if getattr(d, "role", "pin") == "pin" and getattr(d, "applies", True) and d.exact_version:
                pins.setdefault(d.name, (d.exact_version, d.path, d.line))
        return pins
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    for rel in inv.files():
        low = rel.rsplit("/", 1)[-1].lower()
        if not (low.startswith("requirements") and low.endswith((".txt", ".lock"))):
            continue
        text = inv.read(rel)
        if text is None:
            continue
        lineno = 0
        for i, raw in enumerate(text.text.splitlines(), 1):
            if not lineno:
                lineno = i
            cont = raw.rstrip().endswith("\\")
            line = raw.split(" #", 1)[0].strip().rstrip("\\").strip()
            start, lineno = lineno, (lineno if cont else 0)
            if not line or line.startswith(("#", "-")) or is_local_or_url(line):
                continue
            try:
                req = Requirement(line.split(" --hash", 1)[0].strip())
            except InvalidRequirement:
                continue
            specs = list(req.specifier)
            exact = len(specs) == 1 and specs[0].operator in ("==", "===") and "*" not in specs[0].version
            if exact and (req.marker is None or req.marker.evaluate()):
                pins.setdefault(canonicalize_name(req.name), (specs[0].version, rel, start))
    return pins


def image_drift(inv: Inventory) -> list[tuple[str, str, str | None, str, int]]:
    """(name, pinned, in-image or None, rel, line) for every pin the image does not satisfy."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    img = _image_facts(inv)
    if img is None or not img.dists:  # type: ignore[attr-defined]
        return []
    out = []
    for name, (version, rel, line) in sorted(project_pins(inv).items()):
        have = img.get(name)  # type: ignore[attr-defined]
        if have is None:
            out.append((name, version, None, rel, line))
            continue
        try:
            ok = have.version == version or SpecifierSet(f"=={version}").contains(
                have.version, prereleases=True
            )
        except InvalidSpecifier:
            ok = have.version == version
        if not ok:
            out.append((name, version, have.version, rel, line))
    return out


def git_head(inv: Inventory) -> str | None:
    from envaudit.safegit import run_git

    got = run_git(inv.root, "rev-parse", "HEAD", timeout=10)
    if got is None or got[0] != 0:
        return None
    head = got[1].decode("ascii", "replace").strip()
    return head if re.fullmatch(r"[0-9a-f]{40,64}", head) else None


REVISION_LABEL = "org.opencontainers.image.revision"


@rule(
    "DKR019",
    "image-drift",
    Severity.ERROR,
    summary="(`--image`) packages inside a built image differ from the lock, or its revision label is not HEAD",
    explanation="""
        An image is a snapshot of the project at build time. When the Python
        distributions inside it (read from its filesystem, never by running it)
        differ from what the lock pins now, or its
        `org.opencontainers.image.revision` label names another commit than the
        checked-out HEAD, the image does not contain the code and environment you
        are looking at: rebuild it. Images without a revision label get an info
        finding, since nobody can tell which commit they hold.
    """,
    example="""
        <image ml:1.2>: image-drift: 2 locked packages differ in the image: numpy 1.26.4 (image 1.26.2), …
        <image ml:1.2>: image-drift: revision label 3f2a1c0 is not HEAD 9b81e44
    """,
    fix="Rebuild from this commit with `--label org.opencontainers.image.revision=$(git rev-parse HEAD)`.",
)
def image_drift_rule(inv: Inventory) -> Iterator[Hit]:
    img = _image_facts(inv)
    if img is None:
        return
    where = Location()
    drift = image_drift(inv)
    if drift:
        parts = [f"{n} {v} ({'not installed' if h is None else 'image ' + h})" for n, v, h, _, _ in drift]
        more = f", and {len(parts) - 8} more" if len(parts) > 8 else ""
        yield Hit(f"image {img.name}: {len(drift)} locked package(s) differ in the image: {', '.join(parts[:8])}{more}",  # type: ignore[attr-defined]
                  where, Fix("rebuild the image from the current lock"), drift)  # fmt: skip
    label = img.label(REVISION_LABEL)  # type: ignore[attr-defined]
    head = git_head(inv)
    if label is None:
        yield Hit(f"image {img.name} has no {REVISION_LABEL} label: its commit is unknown", where,  # type: ignore[attr-defined]
                  Fix(f"build with `--label {REVISION_LABEL}=$(git rev-parse HEAD)`"), None, Severity.INFO)  # fmt: skip
    elif head and not (head.startswith(label) and len(label) >= 7):
        yield Hit(f"image {img.name}: revision label {label[:12]} is not HEAD {head[:12]}", where,  # type: ignore[attr-defined]
                  Fix("rebuild the image from the checked-out commit"), label)  # fmt: skip


def image_dep006_hits(inv: Inventory) -> Iterator[Hit]:
    """DEP006 for `check --image`: the built image is a target environment too. Called by
    the DEP006 rule of rules/deps.py, which owns the code."""
    img = _image_facts(inv)
    if img is None:
        return
    for name, version, have, rel, line in image_drift(inv):
        got = "is not installed" if have is None else f"is {have}"
        yield Hit(f"{name} {got} in image {img.name}, but {rel} pins {version}", Location(rel, line),  # type: ignore[attr-defined]
                  Fix(f"rebuild image {img.name} from the lock"), (name, version, have))  # fmt: skip
