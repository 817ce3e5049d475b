"""Which environment to audit: found where the project's own tool keeps it, read from disk.

No package manager is run. The order (the README documents it):

1. `--python PATH` / `python = "..."` in the configuration. Naming nothing is a
   usage error (`TargetNotFound`), never a silent fallback.
2. The active environment: `$VIRTUAL_ENV`, then `$CONDA_PREFIX` (not conda's
   auto-activated `base`). Either is passed over when it is envaudit's own
   installation (see `own_installation`).
3. The project's own folder: `$UV_PROJECT_ENVIRONMENT`, `.venv`, `venv`, `env`.
4. Poetry's environment outside the project (poetry projects only).
5. Pipenv's (projects with a Pipfile).
6. The conda/mamba environment named by environment.yml's `name:`.
7. PDM's (`.pdm-python`, else its central `venv.location`/`<folder>-<hash>-<python>`)
   and Hatch's (`[tool.hatch.envs.default] path`, or
   `<data dir>/env/virtual/<name>/<id of the project path>/<name>`).

With none of them, there is no target: the environment rules do not run and
one finding (EA004) lists `looked`.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import sys
from pathlib import Path

from envaudit._dataclass import dataclass
from envaudit._lazyre import lazy_re

_CANON_RE = lazy_re(r"[-_.]+")


class TargetNotFound(Exception):
    """`--python` / `python =` names no interpreter or environment (exit 2)."""


@dataclass(frozen=True)
class Discovery:
    path: Path | None  # an environment directory or an interpreter; None: nothing found
    found_by: str  # how it was found ("" when nothing was)
    looked: tuple[str, ...]  # each place tried, with why it was passed over


# ----------------------------------------------------------------- helpers
def _home(environ: dict[str, str]) -> Path:
    return Path(environ.get("HOME") or os.path.expanduser("~"))


def _xdg(environ: dict[str, str], var: str, default: str) -> Path:
    v = environ.get(var)
    return Path(v) if v and os.path.isabs(v) else _home(environ) / default


def is_env_dir(p: Path) -> bool:
    """A virtualenv (pyvenv.cfg) or a conda environment (conda-meta/)."""
    try:
        return (p / "pyvenv.cfg").is_file() or (p / "conda-meta").is_dir()
    except OSError:
        return False


def _read(path: Path, limit: int = 256 * 1024, root: Path | None = None) -> str | None:
    """A bounded read of a regular file (never a FIFO or device); with `root`, only when the
    real path stays inside it (a project file must not lead envaudit out of the project)."""
    import stat

    try:
        if root is not None:
            real = os.path.realpath(path)
            base = os.path.realpath(root)
            if real != base and not real.startswith(base.rstrip(os.sep) + os.sep):
                return None
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read(limit)
    except (OSError, ValueError):
        return None


def _toml(path: Path, root: Path | None = None) -> dict[str, object] | None:
    text = _read(path, root=root)
    if text is None:
        return None
    from envaudit import _toml as toml

    try:
        return toml.loads(text)
    except Exception:  # a broken user config is simply not used
        return None


# Poetry and Hatch put the project's name into a path: a name with a path separator or a
# NUL (`/abs`, `a/../../b`) is not used (Poetry itself accepts spaces and sanitises them).
_PROJECT_NAME_RE = re.compile(r"^[^/\\\x00]{1,200}$")
# conda's environment names: no path separator, no `:`/`#`/space, not `.` or `..`
_CONDA_ENV_NAME_RE = re.compile(r"^[A-Za-z0-9_+=~^%@!,;-][A-Za-z0-9_.+=~^%@!,;-]{0,200}$")


def escapes(p: Path, root: Path) -> str | None:
    """Where an environment that a project file names (`.venv`, `.pdm-python`, Hatch's
    `path`) leads out of the project root, or None when it (its folder, its lib/ and
    site-packages, its pyvenv.cfg) stays inside. A hostile repository can commit
    `.venv -> /home/someone/.virtualenvs/secret` or `.venv/lib -> /`."""
    from envaudit.boundary import outside

    try:
        if not p.is_dir():
            p = p.parent.parent if p.parent.name in ("bin", "Scripts") else p.parent
        if outside(root, p):
            return os.path.realpath(p)
        for rel in ("pyvenv.cfg", "conda-meta", "lib", "lib64", "Lib", "bin", "Scripts"):
            q = p / rel
            if os.path.lexists(q) and outside(root, q):
                return os.path.realpath(q)
        from envaudit.scanners.python import site_dirs_of

        for sp in site_dirs_of(p):
            # (a base installation's, from `include-system-site-packages`, is not the env's)
            if _inside_lexically(Path(sp), p) and outside(root, sp):
                return os.path.realpath(sp)
    except (OSError, ValueError):
        return str(p)
    return None


def _inside_lexically(p: Path, root: Path) -> bool:
    """`p` is under `root` by its spelling (`..` collapsed, no link followed)."""
    norm, base = os.path.normpath(p), os.path.normpath(root)
    return norm == base or norm.startswith(base.rstrip(os.sep) + os.sep)


def _shown(p: Path | str) -> str:
    return ascii(str(p))[1:-1]


def _dig(data: object, *keys: str) -> object:
    for k in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(k)
    return data


# ------------------------------------------------------- own installation
_TOOL_PATH_RE = lazy_re(
    r"(?:^|/)(?:pipx/venvs|\.local/pipx|uv/tools|pre-commit/repo[^/]*|\.cache/pre-commit|repo[^/]*/py_env-[^/]+)(?:/|$)"
)
_BOOTSTRAP = {"pip", "setuptools", "wheel", "distribute", "pkg-resources"}


def own_installation(prefix: Path) -> str | None:
    """Why `prefix` is envaudit's own installation, or None when it is not.

    It is when it lives where pipx, `uv tool` or pre-commit keep tool
    environments, or when it holds envaudit and nothing but envaudit's
    dependency closure (every extra followed) and pip's bootstrap packages."""
    try:
        real = prefix.resolve().as_posix()
    except OSError:
        real = prefix.as_posix()
    if _TOOL_PATH_RE.search(real):
        from envaudit.scanners.python import site_dirs_of

        sites = site_dirs_of(prefix)
        if any(_has_envaudit(s) for s in sites):
            return "a tool environment that runs envaudit (pipx, uv tool or pre-commit)"
    from envaudit.scanners.packages import read_site_packages
    from envaudit.scanners.python import site_dirs_of

    dists = {}
    for sp in site_dirs_of(prefix):
        for d in read_site_packages(sp):
            dists.setdefault(d.canonical, d)
    if "envaudit" not in dists:
        return None
    closure: set[str] = set()
    todo = ["envaudit"]
    while todo:
        name = todo.pop()
        if name in closure:
            continue
        closure.add(name)
        d = dists.get(name)
        if d is None:
            continue
        for req in d.requires:
            m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", req)
            if m:
                todo.append(_CANON_RE.sub("-", m.group(1)).lower())
    extra = set(dists) - closure - _BOOTSTRAP
    if not extra:
        return "it holds only envaudit and its dependencies"
    return None


def _has_envaudit(site: str) -> bool:
    try:
        return any(n.lower().startswith("envaudit-") for n in os.listdir(site))
    except OSError:
        return False


def _running_prefix() -> Path:
    return Path(sys.prefix)


# ------------------------------------------------------------------ Poetry
def poetry_env_name(name: str, project_dir: str) -> str:
    """Poetry's `EnvManager.generate_env_name` (checked against Poetry itself in the tests):
    the canonical project name, sanitised, then 8 characters of the urlsafe base64 of the
    sha256 of the project directory's real path."""
    name = _CANON_RE.sub("-", name).lower()
    sanitized = re.sub(r'[ $`!*@"\\\r\n\t]', "_", name)[:42]
    cwd = os.path.normcase(os.path.realpath(project_dir))
    h = base64.urlsafe_b64encode(hashlib.sha256(cwd.encode()).digest()).decode()[:8]
    return f"{sanitized}-{h}"


def _poetry_name(pyproject: dict[str, object] | None) -> str | None:
    if not pyproject:
        return None
    name = _dig(pyproject, "tool", "poetry", "name") or _dig(pyproject, "project", "name")
    return name if isinstance(name, str) and _PROJECT_NAME_RE.match(name) else None


def _poetry_dirs(root: Path, environ: dict[str, str], looked: list[str] | None = None) -> tuple[Path, str]:
    """Poetry's virtualenvs folder and where that setting came from. The project's own
    poetry.toml may only name folders inside the project: a hostile repository must not
    send envaudit to read elsewhere (the user's settings and variables may)."""
    cfg_dir = environ.get("POETRY_CONFIG_DIR")
    mac = sys.platform == "darwin"  # platformdirs' defaults there, as Poetry uses them
    if cfg_dir:
        config_dir = Path(cfg_dir)
    elif mac:
        config_dir = _home(environ) / "Library" / "Application Support" / "pypoetry"
    else:
        config_dir = _xdg(environ, "XDG_CONFIG_HOME", ".config") / "pypoetry"
    user = _toml(config_dir / "config.toml") or {}
    local = _toml(root / "poetry.toml", root) or {}
    for key in (("cache-dir",), ("virtualenvs", "path")):
        value = _dig(local, *key)
        if isinstance(value, str) and value:
            from envaudit.boundary import outside

            where = Path(os.path.expanduser(value))
            where = where if where.is_absolute() else root / where
            if ".." in re.split(r"[/\\]", value) or ("{cache-dir}" not in value and outside(root, where)):
                if looked is not None:
                    looked.append(
                        f"poetry.toml {'.'.join(key)} ({_shown(value)}): outside the project; not used"
                    )
                local = {k: v for k, v in local.items() if k != key[0]}
    cache = environ.get("POETRY_CACHE_DIR") or _dig(local, "cache-dir") or _dig(user, "cache-dir")
    cache_dir = (
        Path(os.path.expanduser(cache))
        if isinstance(cache, str)
        else (_home(environ) / "Library" / "Caches" / "pypoetry")
        if mac
        else _xdg(environ, "XDG_CACHE_HOME", ".cache") / "pypoetry"
    )
    for source, value in (
        ("$POETRY_VIRTUALENVS_PATH", environ.get("POETRY_VIRTUALENVS_PATH")),
        ("poetry.toml virtualenvs.path", _dig(local, "virtualenvs", "path")),
        (f"{config_dir / 'config.toml'} virtualenvs.path", _dig(user, "virtualenvs", "path")),
    ):
        if isinstance(value, str) and value:
            value = value.replace("{cache-dir}", str(cache_dir))
            return Path(os.path.expanduser(value)), source
    return cache_dir / "virtualenvs", "Poetry's cache dir"


def _poetry(root: Path, environ: dict[str, str], looked: list[str]) -> tuple[Path, str] | None:
    pyproject = _toml(root / "pyproject.toml", root)
    is_poetry = (root / "poetry.lock").is_file() or _dig(pyproject, "tool", "poetry") is not None
    if not is_poetry:
        return None
    name = _poetry_name(pyproject)
    if name is None:
        looked.append("Poetry's environment: pyproject.toml names no project (or not a valid project name)")
        return None
    folder, source = _poetry_dirs(root, environ, looked)
    base = poetry_env_name(name, str(root))
    envs = _toml(folder / "envs.toml") or {}
    minor = _dig(envs, base, "minor")  # what `poetry env use` made current
    candidates: list[Path] = []
    if isinstance(minor, str) and re.fullmatch(r"\d{1,3}\.\d{1,3}", minor):  # never a path
        candidates.append(folder / f"{base}-py{minor}")
    try:
        others = sorted(
            (p for p in folder.glob(f"{glob_escape(base)}-py*") if p not in candidates),
            key=lambda p: _vkey(p.name.rsplit("-py", 1)[-1]),
            reverse=True,
        )
    except OSError:
        others = []
    candidates += others
    for c in candidates:
        if is_env_dir(c):
            return c, f"Poetry's environment for this project ({source})"
    looked.append(f"Poetry's environment {folder / (base + '-py*')} ({source}): none")
    return None


def glob_escape(s: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", s)


def _vkey(v: str) -> tuple[int, ...]:
    return tuple(int(x[:9]) for x in re.findall(r"\d+", v)[:3])  # never a 5,000-digit int()


# ------------------------------------------------------------------ Pipenv
def pipenv_env_name(project_dir: str, pipfile: str) -> str:
    """Pipenv's virtualenv name (checked against pipenv itself in the tests): the project
    folder's name, sanitised, then 8 characters of the urlsafe base64 of the first 6 bytes
    of the sha256 of the Pipfile's path."""
    clean = re.sub(r'[ &$`!*@"()\[\]\\\r\n\t]', "_", os.path.basename(project_dir))[:42]
    h = base64.urlsafe_b64encode(hashlib.sha256(pipfile.encode()).digest()[:6]).decode()[:8]
    return f"{clean}-{h}"


def _pipenv(root: Path, environ: dict[str, str], looked: list[str]) -> tuple[Path, str] | None:
    pipfile = root / "Pipfile"
    if not pipfile.is_file():
        return None
    workon = environ.get("WORKON_HOME")
    if workon:
        home = Path(os.path.expanduser(workon))
    elif os.name == "nt":  # pipenv's default there
        home = _home(environ) / ".virtualenvs"
    else:
        home = _xdg(environ, "XDG_DATA_HOME", ".local/share") / "virtualenvs"
    source = "$WORKON_HOME" if workon else "Pipenv's default WORKON_HOME"
    name = environ.get("PIPENV_CUSTOM_VENV_NAME") or pipenv_env_name(str(root), str(pipfile))
    dot = root / ".venv"
    if dot.is_file():  # pipenv: a `.venv` *file* names the environment
        text = (_read(dot, 4096, root) or "").strip()
        if text:
            name = text
            if "/" in text or os.sep in text or text in (".", ".."):
                # a path: only inside the project (the file comes with the repository)
                p = (root / text) if not os.path.isabs(text) else Path(text)
                if is_env_dir(p):
                    out = escapes(p, root)
                    if out is None:
                        return p, "Pipenv's environment named by the project's .venv file"
                    looked.append(
                        f"the project's .venv file names {_shown(text)}, outside the project "
                        f"({_shown(out)}); not followed: pass --python to audit it"
                    )
                    return None
    c = home / name
    if is_env_dir(c):
        return c, f"Pipenv's environment for this project ({source})"
    looked.append(f"Pipenv's environment {c} ({source}): none")
    return None


# ------------------------------------------------------------------- conda
_NAME_RE = lazy_re(r"^name\s*:\s*['\"]?([^'\"#\s]+)", re.MULTILINE)


def _conda_name(root: Path) -> tuple[str, str] | None:
    for fn in ("environment.yml", "environment.yaml"):
        text = _read(root / fn, 64 * 1024, root)
        if text:
            m = _NAME_RE.search(text)
            if m:
                return m.group(1).rstrip("\x00\r"), fn
    return None


def _condarc_envs_dirs(environ: dict[str, str]) -> list[Path]:
    home = _home(environ)
    files = [
        environ.get("CONDARC"),
        str(_xdg(environ, "XDG_CONFIG_HOME", ".config") / "conda" / "condarc"),
        str(_xdg(environ, "XDG_CONFIG_HOME", ".config") / "conda" / ".condarc"),
        str(home / ".conda" / "condarc"),
        str(home / ".conda" / ".condarc"),
        str(home / ".condarc"),
    ]
    out: list[Path] = []
    for f in files:
        if not f:
            continue
        text = _read(Path(f), 64 * 1024)
        if not text:
            continue
        m = re.search(r"^envs_dirs\s*:\s*(.*(?:\n[ \t]+-.*)*)", text, re.MULTILINE)
        if not m:
            continue
        body = m.group(1)
        items = re.findall(r"^[ \t]*-[ \t]*['\"]?([^'\"\n#]+?)['\"]?[ \t]*$", body, re.MULTILINE)
        if not items and body.strip().startswith("["):
            items = [s.strip(" '\"") for s in body.strip().strip("[]").split(",")]
        out += [Path(os.path.expanduser(i.strip())) for i in items if i.strip()]
    return out


def _conda_roots(environ: dict[str, str]) -> list[Path]:
    home = _home(environ)
    roots: list[Path] = []
    exe = environ.get("CONDA_EXE") or environ.get("MAMBA_EXE")
    if exe:
        roots.append(Path(exe).parent.parent)
    for var in ("MAMBA_ROOT_PREFIX", "CONDA_ROOT"):
        if environ.get(var):
            roots.append(Path(environ[var]))
    prefix = environ.get("CONDA_PREFIX")
    if prefix:
        p = Path(prefix)
        roots.append(p.parent.parent if p.parent.name == "envs" else p)
    for d in ("miniconda3", "anaconda3", "miniforge3", "mambaforge", "micromamba", "opt/conda"):
        roots.append(home / d)
    roots.append(Path("/opt/conda"))
    return roots


def _conda(root: Path, environ: dict[str, str], looked: list[str]) -> tuple[Path, str] | None:
    named = _conda_name(root)
    if named is None:
        return None
    name, fn = named
    if not _CONDA_ENV_NAME_RE.match(name) or name in (".", ".."):
        # conda refuses such names; as a path they would lead out of every envs dir
        looked.append(f"{fn} names the environment {_shown(name)}, not a conda environment name; not used")
        return None
    dirs: list[tuple[Path, str]] = []
    for d in (environ.get("CONDA_ENVS_PATH") or environ.get("CONDA_ENVS_DIRS") or "").split(os.pathsep):
        if d:
            dirs.append((Path(os.path.expanduser(d)), "$CONDA_ENVS_PATH"))
    dirs += [(d, ".condarc envs_dirs") for d in _condarc_envs_dirs(environ)]
    dirs += [(r / "envs", "the conda root's envs/") for r in _conda_roots(environ)]
    dirs.append((_home(environ) / ".conda" / "envs", "~/.conda/envs"))
    seen: set[Path] = set()
    for d, source in dirs:
        if d in seen:
            continue
        seen.add(d)
        c = d / name
        if (c / "conda-meta").is_dir():
            return c, f"the conda environment `{name}` named by {fn} ({source})"
    looked.append(f"the conda environment `{name}` named by {fn}: not in any envs dir")
    return None


# --------------------------------------------------------------- PDM, Hatch
def _pdm_store(environ: dict[str, str]) -> tuple[Path, str]:
    """PDM's folder of environments kept outside projects, and where that came from:
    `venv.location` in PDM's global config (`$PDM_CONFIG_FILE`, else the user config
    dir), else PDM's default `<user data dir>/pdm/venvs`."""
    cfg_file = environ.get("PDM_CONFIG_FILE")
    if cfg_file:
        config = Path(cfg_file)
    elif sys.platform == "darwin":
        config = _home(environ) / "Library" / "Application Support" / "pdm" / "config.toml"
    else:
        config = _xdg(environ, "XDG_CONFIG_HOME", ".config") / "pdm" / "config.toml"
    location = _dig(_toml(config), "venv", "location")
    if isinstance(location, str) and location:
        return Path(os.path.expanduser(location)), f"{config} venv.location"
    if sys.platform == "darwin":
        return _home(environ) / "Library" / "Application Support" / "pdm" / "venvs", "PDM's default"
    return _xdg(environ, "XDG_DATA_HOME", ".local/share") / "pdm" / "venvs", "PDM's default"


def _pdm(root: Path, looked: list[str], environ: dict[str, str] | None = None) -> tuple[Path, str] | None:
    f = root / ".pdm-python"
    if not f.is_file():
        return None
    text = (_read(f, 4096, root) or "").strip()
    if text:
        p = Path(text)
        if not p.is_absolute():
            p = root / p
        if os.path.lexists(p):
            store, _ = _pdm_store(environ or {})
            out = escapes(p, root)
            if out is not None and escapes(p, store) is not None:
                # .pdm-python comes with the repository: only the project or PDM's store
                looked.append(
                    f".pdm-python names {_shown(text)}, outside the project and PDM's "
                    f"environments ({_shown(store)}); not followed: pass --python to audit it"
                )
                return None
            return p, "PDM's interpreter (.pdm-python)"
    looked.append(f".pdm-python names {text or 'nothing'}, which does not exist")
    return None


def pdm_venv_prefix(project_dir: str) -> str:
    """PDM's name for a project's centrally kept virtualenvs (pdm/cli/commands/venv/utils.py,
    checked against PDM itself in the tests): the folder's name, then 8 characters of the
    urlsafe base64 of the md5 of its path, then the Python it was made with."""
    digest = hashlib.md5(Path(project_dir).as_posix().encode(), usedforsecurity=False).digest()
    return f"{os.path.basename(project_dir)}-{base64.urlsafe_b64encode(digest).decode()[:8]}-"


def _pdm_central(root: Path, environ: dict[str, str], looked: list[str]) -> tuple[Path, str] | None:
    """`pdm venv create` with `venv.in_project = false`: `<venv.location>/<prefix><python>`
    (venv.location from PDM's global config, default `<user data dir>/pdm/venvs`)."""
    pyproject = _toml(root / "pyproject.toml", root)
    if not (root / "pdm.lock").is_file() and _dig(pyproject, "tool", "pdm") is None:
        return None
    parent, source = _pdm_store(environ)
    prefix = pdm_venv_prefix(str(root))
    try:
        found = sorted(
            (p for p in parent.glob(glob_escape(prefix) + "*") if is_env_dir(p)),
            key=lambda p: (_vkey(p.name[len(prefix) :]), p.name),
            reverse=True,
        )
    except OSError:
        found = []
    if found:
        return found[0], f"PDM's environment for this project ({source})"
    looked.append(f"PDM's environment {parent / (prefix + '*')} ({source}): none")
    return None


def _hatch(root: Path, environ: dict[str, str], looked: list[str]) -> tuple[Path, str] | None:
    pyproject = _toml(root / "pyproject.toml", root)
    hatch_toml = _toml(root / "hatch.toml", root)
    path = _dig(hatch_toml, "envs", "default", "path") or _dig(
        pyproject, "tool", "hatch", "envs", "default", "path"
    )
    if isinstance(path, str) and path:
        p = Path(os.path.expanduser(path))
        p = p if p.is_absolute() else root / p
        if is_env_dir(p):
            out = escapes(p, root)
            if out is None:
                return p, "Hatch's default environment (envs.default.path)"
            looked.append(
                f"Hatch's envs.default.path {_shown(path)} is outside the project ({_shown(out)}); "
                "not followed: pass --python to audit it"
            )
            return None
        looked.append(f"Hatch's envs.default.path {p}: none")
        return None
    if hatch_toml is None and _dig(pyproject, "tool", "hatch") is None:
        return None
    name = _dig(pyproject, "project", "name")
    if not isinstance(name, str) or not _PROJECT_NAME_RE.match(name):
        return None
    data = environ.get("HATCH_DATA_DIR")
    base = Path(data) if data else _xdg(environ, "XDG_DATA_HOME", ".local/share") / "hatch"
    canon = _CANON_RE.sub("-", name).lower()
    c = base / "env" / "virtual" / canon / hatch_project_id(str(root)) / canon
    if is_env_dir(c):
        return c, "Hatch's default environment (its data directory)"
    looked.append(f"Hatch's default environment {c}: none")
    return None


def hatch_project_id(project_dir: str) -> str:
    """Hatch's `Path.id` of the project folder (hatch/utils/fs.py): 8 characters of the
    urlsafe base64 of the sha256 of the path (case-folded on macOS and Windows)."""
    path = project_dir.casefold() if sys.platform in ("win32", "darwin") else project_dir
    return base64.urlsafe_b64encode(hashlib.sha256(path.encode("utf-8")).digest()).decode()[:8]


# -------------------------------------------------------------- discovery
def _explicit(arg: str, root: Path, environ: dict[str, str]) -> Path:
    import shutil

    p = Path(os.path.expanduser(arg))
    if not p.is_absolute():
        p = root / p  # `python = ".venv"` in the project's config
        if not os.path.lexists(p) and "/" not in arg:
            which = shutil.which(arg, path=environ.get("PATH"))
            if which:
                return Path(which)  # `--python python3.11`
    if not os.path.lexists(p):
        raise TargetNotFound(f"--python {arg}: no such file or directory")
    if p.is_dir() and not _looks_like_prefix(p) and not (p / "conda-meta").is_dir() and not _has_site(p):
        # a pyvenv.cfg alone (no interpreter, no site-packages) is not an environment
        raise TargetNotFound(f"--python {arg}: not a Python executable, virtualenv or conda environment")
    if not p.is_dir():
        if not p.is_file() or not re.match(r"^(python|pypy)", p.name):  # a FIFO, a device, a dangling link
            raise TargetNotFound(f"--python {arg}: not a Python executable, virtualenv or conda environment")
        if not os.access(p, os.X_OK):
            raise TargetNotFound(f"--python {arg}: not executable, so not an interpreter")
    return p


def _has_site(p: Path) -> bool:
    return (
        any((p / "lib").glob("python*/site-packages"))
        or (p / "Lib" / "site-packages").is_dir()
        or (p / "Scripts" / "python.exe").exists()
    )


def _looks_like_prefix(p: Path) -> bool:
    return any((p / rel).exists() for rel in ("bin/python3", "bin/python", "python.exe")) or any(
        (p / "lib").glob("python3*")
    )


def discover(
    root: Path,
    python_arg: str | None,
    environ: dict[str, str],
    label: str | None = None,
    *,
    active: bool = True,
) -> Discovery:
    """Find the environment to audit; see the module docstring for the order. `label` says
    how the user named `python_arg` (the flag or the configuration). `active=False` (a
    sub-project's own environment) skips the active environment and an absolute
    $UV_PROJECT_ENVIRONMENT: those are the audited root's."""
    looked: list[str] = []
    if python_arg is not None and not python_arg.strip():
        # `--python "$UNSET"`: falling back to discovery would let a gate pass on another env
        raise TargetNotFound("--python is empty")
    if python_arg:
        return Discovery(_explicit(python_arg, root, environ), label or f"--python {python_arg}", ())

    for var in ("VIRTUAL_ENV", "CONDA_PREFIX") if active else ():
        value = environ.get(var)
        if not value:
            continue
        p = Path(value)
        if not p.is_dir():
            looked.append(f"${var} ({value}): no such directory")
            continue
        if var == "CONDA_PREFIX" and _is_conda_base(p, environ):
            looked.append(f"$CONDA_PREFIX ({value}): conda's base environment, not a project's")
            continue
        why = own_installation(p)
        if why is not None:
            looked.append(f"${var} ({value}): envaudit's own installation ({why})")
            continue
        if _same_prefix(p, _running_prefix()):
            # the environment running envaudit (holding more than envaudit: a tool venv
            # someone added a package to, `pipx inject`): the project's own one, when it
            # has one, comes first; without one, this is the audited environment
            found = _project_env(root, environ, [])
            if found.path is not None and not _same_prefix(found.path, p):
                note = f"${var} ({value}): the environment running envaudit; the project has its own"
                return Discovery(found.path, found.found_by, (*looked, note, *found.looked))
        return Discovery(p, f"${var}", tuple(looked))
    return _project_env(root, environ, looked, active=active)


def _same_prefix(a: Path, b: Path) -> bool:
    def prefix(p: Path) -> str:
        if not p.is_dir():  # an interpreter (.pdm-python)
            p = p.parent.parent if p.parent.name in ("bin", "Scripts") else p.parent
        return os.path.realpath(p)

    try:
        return prefix(a) == prefix(b)
    except (OSError, ValueError):
        return False


def _project_env(root: Path, environ: dict[str, str], looked: list[str], *, active: bool = True) -> Discovery:
    """Steps 3 to 7: the project's own environment."""
    uv = environ.get("UV_PROJECT_ENVIRONMENT")
    if uv and not active and os.path.isabs(uv):
        uv = None  # the audited root's setting, not a sub-project's
    names: list[tuple[Path, str, bool]] = []  # (candidate, how, named by the project)
    if uv:
        # the user's setting; a relative one that lands in the project is checked for
        # links the repository planted there (`../shared-venv` is the user's to name)
        p = Path(uv) if os.path.isabs(uv) else root / uv
        lands_inside = not os.path.isabs(uv) and _inside_lexically(p, root)
        names.append((p, "$UV_PROJECT_ENVIRONMENT", lands_inside))
    names += [(root / n, f"{n}/ in the project", True) for n in (".venv", "venv", "env")]
    escaped = False
    for p, how, in_project in names:
        if is_env_dir(p):
            out = escapes(p, root) if in_project else None
            if out is None:
                return Discovery(p, how, tuple(looked))
            escaped = True
            looked.append(
                f"{how} leads out of the project ({_shown(out)}); not followed: pass --python to audit it"
            )
    if not escaped:
        looked.append(
            ("$UV_PROJECT_ENVIRONMENT, " if uv else "") + ".venv/, venv/, env/ in the project: none"
        )

    for finder in (_poetry, _pipenv, _conda):
        hit = finder(root, environ, looked)
        if hit is not None:
            return Discovery(hit[0], hit[1], tuple(looked))
    hit = _pdm(root, looked, environ) or _pdm_central(root, environ, looked) or _hatch(root, environ, looked)
    if hit is not None:
        return Discovery(hit[0], hit[1], tuple(looked))
    return Discovery(None, "", tuple(looked))


def _is_conda_base(p: Path, environ: dict[str, str]) -> bool:
    if environ.get("CONDA_DEFAULT_ENV") == "base":
        return True
    return p.parent.name != "envs" and (p / "envs").is_dir() and (p / "conda-meta").is_dir()
