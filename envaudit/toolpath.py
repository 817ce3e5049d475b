"""The tools envaudit runs (git, nvcc, gcc, clang, cmake), looked up on PATH where the
audited project cannot plant them.

A hostile repository can commit `.venv/bin/git` or `bin/nvcc`; a CI job that activated
the project's environment (or has `.` or an empty entry on PATH) would then run it. And a
console script in an environment's `bin/` (a pip-installed `cmake`) starts that
environment's interpreter, whose `site` runs every `*.pth` file in its site-packages: code
the project's dependencies chose. So a PATH entry is passed over when it is

- empty or relative (it names the directory envaudit was started in, often the project);
- inside the audited root (or another folder the caller names: the target environment);

and a candidate that is a script (`#!`) in a Python environment's scripts folder (a
folder beside a `pyvenv.cfg` or `conda-meta/`) is not run. The tools themselves are
compiled programs: a conda environment's `nvcc` or `gcc` still counts.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path


def _inside(path: str, base: str) -> bool:
    return path == base or path.startswith(base.rstrip(os.sep) + os.sep)


def _real(p: str | Path) -> str:
    try:
        return os.path.realpath(p)
    except (OSError, ValueError):
        return str(p)


def _env_scripts_dir(d: str) -> bool:
    parent = os.path.dirname(d.rstrip(os.sep)) or d
    try:
        return os.path.isfile(os.path.join(parent, "pyvenv.cfg")) or os.path.isdir(
            os.path.join(parent, "conda-meta")
        )
    except (OSError, ValueError):
        return False


def _is_script(path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(2) == b"#!"
    except OSError:
        return True  # unreadable: not run


def passed_over(d: str, avoid: Iterable[str | Path] = ()) -> str | None:
    """Why the PATH entry `d` is not searched (None: it is)."""
    if not d or not os.path.isabs(d):
        return "a relative PATH entry"
    real = _real(d)
    for a in avoid:
        if _inside(real, _real(a)) or _inside(os.path.abspath(d), os.path.abspath(a)):
            return f"inside {a}"
    return None


def which(
    name: str, environ: Mapping[str, str] | None = None, avoid: Iterable[str | Path] = ()
) -> str | None:
    """The first `name` on PATH (of `environ`, default this process's) that envaudit may run."""
    env = os.environ if environ is None else environ
    avoid = tuple(avoid)
    for d in env.get("PATH", os.defpath).split(os.pathsep):
        if passed_over(d, avoid) is not None:
            continue
        cand = os.path.join(d, name)
        try:
            if not (os.path.isfile(cand) and os.access(cand, os.X_OK)):
                continue
        except (OSError, ValueError):
            continue
        in_env = _env_scripts_dir(d) or _env_scripts_dir(os.path.dirname(_real(cand)))
        if in_env and _is_script(cand):
            continue
        return cand
    return None
