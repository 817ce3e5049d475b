"""The pip command a fix text names for one audited environment.

A plain `pip install …` runs whatever pip is first on PATH, which is often not the
audited environment's (and an environment made by `uv venv` has no pip at all).
A fix text names a command that targets the environment and works there:

- the environment has pip (a `pip-*.dist-info` in its site-packages):
  `<env>/bin/python -m pip install …` (always that environment, active or not);
- it has no pip and uv made it (pyvenv.cfg has a `uv = ` line):
  `uv pip install --python <env> …`;
- otherwise (no pip, not uv's, or no environment found): plain `pip install …`.

The environment is shown relative to the project when inside it.
"""

from __future__ import annotations

import os
import shlex
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from envaudit.inventory import Inventory
    from envaudit.scanners.python import Interpreter


def _has_pip(target: Interpreter) -> bool:
    for sp in target.site_packages:
        try:
            names = os.listdir(sp)
        except OSError:
            continue
        if any(n.lower().startswith("pip-") and n.endswith(".dist-info") for n in names):
            return True
    return False


def _made_by_uv(prefix: str) -> bool:
    from envaudit.safeio import read_text_or_none

    text = read_text_or_none(os.path.join(prefix, "pyvenv.cfg"))
    if not text:
        return False
    return any(line.split("=", 1)[0].strip() == "uv" for line in text.splitlines() if "=" in line)


def _python(inv: Inventory, target: Interpreter) -> str:
    """The environment's interpreter as its own path (bin/python is often a link out of it),
    relative to the project when the environment is inside it."""
    from envaudit.projectenvs import env_label

    exe = target.executable
    rel = os.path.relpath(exe, target.prefix) if os.path.isabs(exe) else exe
    if rel.startswith(".."):
        return shlex.quote(exe)
    return shlex.quote(os.path.join(env_label(inv, target.prefix), rel))


def pip_command(inv: Inventory, target: Interpreter | None, sub: str, args: str) -> str:
    """`pip {sub} {args}` as a command that runs against `target` (see the module doc)."""
    if target is None or not target.found:
        return f"pip {sub} {args}"
    key = ("pipcmd", target.prefix, target.executable)
    base = inv.memo.get(key)
    if base is None:
        if _has_pip(target):
            base = f"{_python(inv, target)} -m pip {{sub}}"
        elif target.kind == "venv" and _made_by_uv(target.prefix):
            from envaudit.projectenvs import env_label

            base = f"uv pip {{sub}} --python {shlex.quote(env_label(inv, target.prefix))}"
        else:
            base = "pip {sub}"
        inv.memo[key] = base
    return f"{base.format(sub=sub)} {args}"
