"""Build the provenance record from an Inventory.

Each section comes from the scanner domain that owns the facts (`python`,
`packages`, `requirements`, `locks`, `git`, `gpu`, `data`). A domain that is
not part of this build of envaudit (ModuleNotFoundError for its scanner) is
named under `unavailable` with the reason instead of failing the snapshot; the
host and the environment variables are read here (no domain owns them).
"""

from __future__ import annotations

import ast
import contextlib
import datetime as _dt
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from envaudit import __version__
from envaudit._lazyre import lazy_re
from envaudit.redact import redact_text
from envaudit.snapshot.host import host_info
from envaudit.snapshot.serialise import to_jsonable
from envaudit.snapshot.variables import relevant_variables

if TYPE_CHECKING:
    from envaudit.inventory import Inventory

SCHEMA = "envaudit/snapshot/1"

# Dependency manifests and lockfiles digested wherever they are in the project,
# besides the files the requirements/locks domains name (e.g. `-r` includes).
_MANIFEST_RE = lazy_re(
    r"(?:^|/)(?:"
    r"requirements[^/]*\.(?:txt|in)|constraints[^/]*\.txt|pyproject\.toml|setup\.cfg|setup\.py"
    r"|Pipfile|Pipfile\.lock|poetry\.lock|uv\.lock|pdm\.lock|pixi\.lock|pixi\.toml|pylock(?:\.[^/]+)?\.toml"
    r"|environment[^/]*\.ya?ml|[^/]*conda-lock\.ya?ml|\.python-version|runtime\.txt"
    r")$"
)
_MAX_DIGEST_BYTES = 64 * 1024 * 1024
GIT_DIFF_TIMEOUT = 30.0


class _Unavailable(Exception):
    pass


def _domain(inv: Inventory, name: str, unavailable: dict[str, str]) -> Any:
    """The facts of `name`, or None (with the reason recorded) where this build lacks it."""
    try:
        return inv.get(name)
    except ModuleNotFoundError as exc:
        if exc.name == f"envaudit.scanners.{name}":
            unavailable[name] = f"the `{name}` scanner is not part of this envaudit build"
            return None
        unavailable[name] = f"the `{name}` scanner needs a module that is missing: {exc.name}"
        return None
    except Exception as exc:  # a scanner bug must not lose the whole record
        unavailable[name] = redact_text(f"the `{name}` scanner failed: {type(exc).__name__}: {exc}")
        return None


def _python(facts: Any) -> dict[str, Any] | None:
    if facts is None:
        return None
    out = {
        k: to_jsonable(getattr(facts, k, None), k)
        for k in ("executable", "prefix", "version", "implementation", "kind", "found_by")
    }
    markers = getattr(facts, "markers", None)
    if isinstance(markers, dict):  # the kernel's release and build are host facts, under `host`
        out["markers"] = to_jsonable(
            {k: v for k, v in markers.items() if k not in ("platform_release", "platform_version")}
        )
    return out


def _packages(facts: Any) -> dict[str, dict[str, Any]] | None:
    if facts is None:
        return None
    out: dict[str, dict[str, Any]] = {}
    for d in getattr(facts, "dists", ()):
        key = getattr(d, "canonical", None) or getattr(d, "name", "")
        if not key or key in out:  # first on sys.path wins, as for the interpreter
            continue
        out[key] = {
            "name": to_jsonable(getattr(d, "name", key)),
            "version": to_jsonable(getattr(d, "version", None)),
            "installer": to_jsonable(getattr(d, "installer", None)),
            "direct_url": to_jsonable(getattr(d, "direct_url", None)),
        }
    return dict(sorted(out.items()))


def _git(inv: Inventory, facts: Any) -> dict[str, Any] | None:
    """Commit, branch, dirty state and a digest of the uncommitted diff (git domain)."""
    if facts is None:
        return None
    if not getattr(facts, "available", True) or not getattr(facts, "is_repo", True):
        return {"available": bool(getattr(facts, "available", True)), "is_repo": False}
    commit = getattr(facts, "head", None) or getattr(facts, "commit", None)
    changed = tuple(getattr(facts, "dirty", ()) or ())
    dirty_count = getattr(facts, "dirty_count", len(changed))
    untracked = getattr(facts, "untracked_count", len(getattr(facts, "untracked", ()) or ()))
    remotes = {
        getattr(r, "name", str(i)): getattr(r, "url", None)
        for i, r in enumerate(getattr(facts, "remotes", ()) or ())
    }
    submodules = {
        getattr(m, "path", ""): getattr(m, "commit", None) for m in getattr(facts, "submodules", ()) or ()
    }
    digest = getattr(facts, "diff_sha256", None)
    if digest is None and commit:
        digest = _diff_sha256(inv, facts)
    return to_jsonable(
        {
            "commit": commit,
            "branch": getattr(facts, "branch", None),
            "detached": getattr(facts, "detached", None),
            "dirty": bool(dirty_count) if isinstance(dirty_count, int) else bool(changed),
            "changed": list(changed),
            "untracked_count": untracked,
            "diff_sha256": digest,
            "upstream": getattr(facts, "upstream", None),
            "remotes": remotes,
            "submodules": submodules,
            "shallow": getattr(facts, "shallow", None),
        }
    )


def _diff_sha256(inv: Inventory, facts: Any) -> str | None:
    """sha256 of `git diff HEAD --binary` (tracked changes, staged or not): two dirty
    trees with the same changed files but different edits get different digests.
    The git domain gives commit and status; this one digest is taken here."""
    import threading

    from envaudit.safegit import SafeGit, find_git, kill_group

    top = getattr(facts, "toplevel", None) or str(inv.root)
    git = find_git(inv.environ, (inv.root,))
    if git is None:
        return None

    # --no-ext-diff --no-textconv, and SafeGit blanks the repository's filter drivers:
    # a stat-dirty file is hashed as it is, never run through the repository's commands.
    args = (
        "diff",
        "HEAD",
        "--binary",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        "--ignore-submodules=dirty",
    )
    try:  # streamed into the digest: a diff of large binaries never sits in memory
        proc = SafeGit(top, inv.environ, git).popen(*args, stderr=False)
    except OSError:
        return None
    timer = threading.Timer(GIT_DIFF_TIMEOUT, kill_group, (proc,))
    timer.start()
    digest = hashlib.sha256()
    try:
        assert proc.stdout is not None
        for chunk in iter(lambda: proc.stdout.read(1 << 20), b""):  # type: ignore[union-attr]
            digest.update(chunk)
        returncode = proc.wait()
    finally:
        timer.cancel()
        if proc.stdout is not None:
            proc.stdout.close()
    return digest.hexdigest() if returncode == 0 else None


def _cuda(facts: Any) -> dict[str, Any] | None:
    """Driver, GPUs, the CUDA each framework was built for, pip CUDA wheels, toolkit (gpu domain)."""
    if facts is None:
        return None
    nvml = getattr(facts, "nvml", None)
    cuda_drv = getattr(nvml, "cuda_driver_version", None)
    devices = []
    for d in getattr(nvml, "devices", ()) or ():
        cc = getattr(d, "compute_capability", None)
        devices.append(
            {
                "index": getattr(d, "index", None),
                "name": getattr(d, "name", None),
                "uuid": getattr(d, "uuid", None),
                "memory_total": getattr(d, "memory_total", None),
                "compute_capability": ".".join(map(str, cc)) if isinstance(cc, tuple | list) else cc,
                "mig_mode": getattr(d, "mig_mode", None),
                "ecc_mode": getattr(d, "ecc_mode", None),
            }
        )
    toolkit = getattr(facts, "toolkit", None)
    frameworks = {}
    for b in getattr(facts, "frameworks", ()) or ():
        frameworks[getattr(b, "framework", "?")] = {
            k: getattr(b, k, None) for k in ("dist", "version", "kind", "cuda", "hip", "cudnn")
        }
    return to_jsonable(
        {
            "nvml_available": getattr(nvml, "available", None),
            "nvml_reason": getattr(nvml, "reason", None),
            "driver_version": getattr(nvml, "driver_version", None),
            "cuda_driver_version": (
                f"{cuda_drv // 1000}.{cuda_drv % 1000 // 10}" if isinstance(cuda_drv, int) else cuda_drv
            ),
            "gpus": devices,
            "framework_builds": frameworks,
            "cuda_wheels": {
                getattr(w, "name", "?"): getattr(w, "version", None)
                for w in getattr(facts, "cuda_wheels", ()) or ()
            },
            "toolkit": {
                "nvcc": getattr(toolkit, "nvcc", None),
                "nvcc_version": getattr(toolkit, "nvcc_version", None),
                "home": getattr(toolkit, "home", None),
                "version_json": getattr(toolkit, "json_version", None),
            },
            "compat_libs": sorted(getattr(c, "path", "") for c in getattr(facts, "compat_libs", ()) or ()),
        }
    )


def _torch_build(packages_facts: Any) -> dict[str, Any] | None:
    """torch's build facts (CUDA/HIP it was built with, debug, git commit) read from
    torch/version.py on disk with `ast`: the facts collect_env imports torch for."""
    get = getattr(packages_facts, "get", None)
    dist = get("torch") if callable(get) else None
    location = getattr(dist, "location", None)
    if dist is None or not location:
        return None
    path = Path(location) / "torch" / "version.py"
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return None
    values: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.AnnAssign | ast.Assign):
            targets = [node.target] if isinstance(node, ast.AnnAssign) else node.targets
            for t in targets:
                if isinstance(t, ast.Name) and node.value is not None:
                    with contextlib.suppress(ValueError, TypeError, SyntaxError, RecursionError):
                        values[t.id] = ast.literal_eval(node.value)
    return {
        "version": to_jsonable(values.get("__version__", getattr(dist, "version", None))),
        "cuda": to_jsonable(values.get("cuda")),
        "hip": to_jsonable(values.get("hip")),
        "debug": to_jsonable(values.get("debug")),
        "git_version": to_jsonable(values.get("git_version")),
    }


def _paths_of(facts: Any) -> list[str]:
    paths: list[str] = []
    if facts is None:
        return paths
    for attr in ("files", "lockfiles", "locks"):
        for item in getattr(facts, attr, ()) or ():
            p = getattr(item, "path", None) if not isinstance(item, str) else item
            if isinstance(p, str):
                paths.append(p)
    return paths


def sha256_file(path: Path) -> str | None:
    try:
        if path.stat().st_size > _MAX_DIGEST_BYTES:
            return None
        h = hashlib.sha256()
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        return h.hexdigest()
    except OSError:
        return None


def _files(inv: Inventory, extra: list[str]) -> dict[str, str]:
    rels = {p for p in inv.files() if _MANIFEST_RE.search(p)}
    for p in extra:
        full = Path(p) if Path(p).is_absolute() else inv.root / p
        try:
            rels.add(inv.rel(full))
        except ValueError:
            continue
    out: dict[str, str] = {}
    for rel in sorted(rels):
        resolved = (inv.root / rel).resolve()  # never follow a link out of the project
        if resolved.is_file() and resolved.is_relative_to(inv.root):
            digest = sha256_file(resolved)
            if digest:
                out[rel] = digest
    return out


def build_snapshot(inv: Inventory, *, now: _dt.datetime | None = None) -> dict[str, Any]:
    """The record of one environment (schema envaudit/snapshot/1)."""
    from concurrent.futures import ThreadPoolExecutor

    from envaudit.snapshot.host import TOOLS, tool_version

    unavailable: dict[str, str] = {}
    # `gcc/clang/cmake --version` wait on subprocesses: run them while the scanners work
    pool = ThreadPoolExecutor(max_workers=len(TOOLS))
    tool_futures = {tool: pool.submit(tool_version, tool, avoid=(inv.root,)) for tool in TOOLS}
    python = _domain(inv, "python", unavailable)
    if python is not None and not getattr(python, "found", True):
        looked = "; ".join(python.looked) or "nowhere"
        unavailable["python"] = redact_text(f"no project environment found (looked: {looked})")
        python = None
    if "python" in unavailable and not inv.has("packages"):  # a caller may seed packages (tests, fleet)
        unavailable.setdefault("packages", unavailable["python"])
        packages = None
    else:
        packages = _domain(inv, "packages", unavailable)
    requirements = _domain(inv, "requirements", unavailable)
    locks = _domain(inv, "locks", unavailable)
    git = _domain(inv, "git", unavailable)
    gpu = _domain(inv, "gpu", unavailable)
    data = _domain(inv, "data", unavailable)
    frameworks: dict[str, Any] = {}
    torch = _torch_build(packages)
    if torch is not None:
        frameworks["torch"] = torch
    created = (now or _dt.datetime.now(_dt.timezone.utc)).astimezone(_dt.timezone.utc)
    record: dict[str, Any] = {
        "schema": SCHEMA,
        "envaudit": __version__,
        "created": created.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "project": {"root": redact_text(str(inv.root))},
        "host": host_info(toolchain={tool: f.result() for tool, f in tool_futures.items()}),
        "python": _python(python),
        "packages": _packages(packages),
        "files": _files(inv, _paths_of(requirements) + _paths_of(locks)),
        "git": _git(inv, git),
        "cuda": _cuda(gpu),
        "frameworks": frameworks,
        "variables": relevant_variables(inv.environ),
        "data": to_jsonable(data) if data is not None else None,
        "unavailable": dict(sorted(unavailable.items())),
        "diagnostics": sorted(
            (
                {"code": d.code, "message": redact_text(d.message), "path": d.path, "line": d.line}
                for d in inv.diagnostics
            ),
            key=lambda d: (d["code"], d["path"] or "", d["line"] or 0, d["message"]),
        ),
    }
    pool.shutdown()
    return record
