"""What the commands inside a RUN do: pip/uv installs, apt installs, downloads.

Pure functions over `ShellCommand.argv`, shared by the DKR rules and the tests.
"""

from __future__ import annotations

import functools
import re

from envaudit._dataclass import dataclass
from envaudit._lazyre import lazy_re
from envaudit.scanners.dockerfiles import ShellCommand

_PY_RE = lazy_re(r"^python(?:[0-9](?:\.[0-9]+)?)?$")
_PIP_RE = lazy_re(r"^pip(?:[0-9](?:\.[0-9]+)?)?$")

# pip install options that take a value (the value is not a requirement)
_PIP_VALUE_OPTS = {
    "-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-i", "--index-url",
    "--extra-index-url", "-f", "--find-links", "-t", "--target", "--prefix", "--root", "--platform",
    "--python-version", "--implementation", "--abi", "--upgrade-strategy", "--progress-bar", "--src",
    "--cache-dir", "--trusted-host", "--proxy", "--timeout", "--retries", "--log", "--global-option",
    "--install-option", "-C", "--config-settings", "--only-binary", "--no-binary", "--report",
    "--python", "--exists-action", "--cert", "--client-cert", "--keyring-provider", "--group",
    "-p", "--index-strategy", "--extra", "--overrides", "--build-constraint", "--resolution",
    "--prerelease", "--link-mode", "--python-platform",
}  # fmt: skip


@dataclass(frozen=True)
class PipInstall:
    tool: str  # "pip" or "uv"
    args: tuple[str, ...]  # after `install`
    packages: tuple[str, ...]  # positional requirement specs / paths / urls
    requirement_files: tuple[str, ...]
    constraint_files: tuple[str, ...]
    editables: tuple[str, ...]
    options: frozenset[str]  # flags given (`--no-cache-dir`, `--require-hashes`, ...)
    line: int
    env_prefix: tuple[str, ...]  # `PIP_NO_CACHE_DIR=1` before the command


def pip_install(cmd: ShellCommand) -> PipInstall | None:
    argv = list(cmd.argv)
    if not argv:
        return None
    base = argv[0].rsplit("/", 1)[-1]
    rest: list[str]
    tool = "pip"
    if _PIP_RE.match(base):
        rest = argv[1:]
    elif _PY_RE.match(base) and len(argv) >= 3 and argv[1] == "-m" and argv[2] == "pip":
        rest = argv[3:]
    elif _PY_RE.match(base) and len(argv) >= 2 and argv[1] == "-mpip":
        rest = argv[2:]
    elif base == "uv" and len(argv) >= 2 and argv[1] == "pip":
        tool, rest = "uv", argv[2:]
    else:
        return None
    # global options before the subcommand (`pip --no-cache-dir install x`)
    options: set[str] = set()
    while rest and rest[0].startswith("-"):
        options.add(rest[0].split("=", 1)[0])
        rest = rest[1:]
    if not rest or rest[0] != "install":
        return None
    args = rest[1:]
    packages: list[str] = []
    reqs: list[str] = []
    cons: list[str] = []
    edit: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        if a.startswith("-") and a != "-":
            key, eq, value = a.partition("=")
            if key in _PIP_VALUE_OPTS or (
                key[:2] in ("-r", "-c", "-e") and len(key) > 2 and not key.startswith("--")
            ):
                if key[:2] in ("-r", "-c", "-e") and len(key) > 2 and not key.startswith("--"):
                    key, value, eq = key[:2], key[2:], "="
                if not eq:
                    i += 1
                    value = args[i] if i < len(args) else ""
                if key in ("-r", "--requirement"):
                    reqs.append(value)
                elif key in ("-c", "--constraint"):
                    cons.append(value)
                elif key in ("-e", "--editable"):
                    edit.append(value)
                options.add(key)
            else:
                options.add(key)
        else:
            packages.append(a)
        i += 1
    return PipInstall(
        tool, tuple(args), tuple(packages), tuple(reqs), tuple(cons), tuple(edit), frozenset(options),
        cmd.line, cmd.prefix,
    )  # fmt: skip


def is_local_or_url(spec: str) -> bool:
    """A path, archive, wheel or URL: pinned by what it points at, not by a version."""
    s = spec.strip()
    if "://" in s or s.startswith(("git+", "hg+", "svn+", "bzr+", "file:")):
        return True
    if re.match(r"^[A-Za-z0-9_.\-\[\], ]+@\s*\S", s):  # `name @ url`
        return True
    if s.startswith((".", "/", "~")) or "/" in s or "\\" in s:
        return True
    return s.endswith((".whl", ".tar.gz", ".zip", ".tar.bz2", ".tgz", ".tar"))


_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
_FAST_PIN = lazy_re(rf"^({_NAME})\s*(?:\[[A-Za-z0-9._,\s-]*\])?\s*===?\s*([A-Za-z0-9._+!-]+)$")
_FAST_BARE = lazy_re(rf"^({_NAME})\s*(?:\[[A-Za-z0-9._,\s-]*\])?$")
_CLAUSE = r"(?:===|==|!=|~=|<=|>=|<|>)\s*[A-Za-z0-9._+!*-]+"
_FAST_RANGE = lazy_re(rf"^({_NAME})\s*(?:\[[A-Za-z0-9._,\s-]*\])?\s*{_CLAUSE}(?:\s*,\s*{_CLAUSE})*$")


def canonical(name: str) -> str:
    """PEP 503 normalisation (packaging.utils.canonicalize_name without importing packaging.tags)."""
    return re.sub(r"[-_.]+", "-", name).lower()


@functools.lru_cache(maxsize=4096)  # a 600 kB RUN line repeats its junk: parse each spec once
def spec_pinned(spec: str) -> bool | None:
    """True for `name==1.2.3` / `name===x`; False for bare names and ranges; None if unreadable."""
    s = spec.strip()
    if _FAST_PIN.match(s):  # the common cases without importing packaging's parser (~60 ms)
        return True
    if _FAST_BARE.match(s) or _FAST_RANGE.match(s):
        return False  # a bare name, a range, `==1.*`, or several clauses
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        req = Requirement(spec)
    except InvalidRequirement:
        return None
    specs = list(req.specifier)
    if len(specs) != 1:
        return False
    only = specs[0]
    return only.operator == "===" or (only.operator == "==" and "*" not in only.version)


@functools.lru_cache(maxsize=4096)
def spec_name(spec: str) -> str | None:
    s = spec.strip()
    m = _FAST_PIN.match(s) or _FAST_BARE.match(s) or _FAST_RANGE.match(s)
    if m:
        return canonical(m.group(1))
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        return canonical(Requirement(spec).name)
    except InvalidRequirement:
        return None


@dataclass(frozen=True)
class AptInstall:
    tool: str  # apt-get, apt, aptitude
    packages: tuple[str, ...]
    options: frozenset[str]
    line: int


_APT_VALUE_OPTS = {"-o", "--option", "-t", "--target-release", "--default-release", "-c", "--config-file"}


def apt_action(cmd: ShellCommand) -> tuple[str, str, list[str]] | None:
    """(`apt-get`, `install`, args) for apt-get/apt/aptitude commands."""
    argv = list(cmd.argv)
    if not argv:
        return None
    base = argv[0].rsplit("/", 1)[-1]
    if base not in ("apt-get", "apt", "aptitude"):
        return None
    rest = argv[1:]
    action = None
    args = []
    i = 0
    while i < len(rest):
        a = rest[i]
        if a in _APT_VALUE_OPTS:
            args.append(a)
            if i + 1 < len(rest):
                args.append(rest[i + 1])
            i += 2
            continue
        if action is None and not a.startswith("-"):
            action = a
        else:
            args.append(a)
        i += 1
    if action is None:
        return None
    return base, action, args


def apt_install(cmd: ShellCommand) -> AptInstall | None:
    act = apt_action(cmd)
    if act is None or act[1] != "install":
        return None
    tool, _, args = act
    pkgs: list[str] = []
    opts: set[str] = set()
    i = 0
    while i < len(args):
        a = args[i]
        if a in _APT_VALUE_OPTS:
            opts.add(a)
            i += 2
            continue
        if a.startswith("-"):
            opts.add(a.split("=", 1)[0])
        else:
            pkgs.append(a)
        i += 1
    return AptInstall(tool, tuple(pkgs), frozenset(opts), cmd.line)


def apt_pinned(pkg: str) -> bool:
    """`pkg=1.2-3` names one version; `pkg=1.2*` does not (apt matches a version ending in
    `*` as a prefix, like pip's `==1.2.*`), and neither does an empty `pkg=`."""
    if pkg.endswith(".deb"):
        return True
    _, eq, version = pkg.partition("=")
    return bool(eq) and bool(version) and "*" not in version


DOWNLOADERS = {"curl", "wget"}
INTERPRETERS = {"sh", "bash", "dash", "zsh", "ash", "ksh", "python", "python3", "perl", "ruby", "node"}
