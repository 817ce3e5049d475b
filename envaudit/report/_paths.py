"""Where the audited folder sits in its repository, for reports that name files from the
repository root (GitHub annotations, SARIF for code scanning).

envaudit reports paths relative to the folder it audited. GitHub resolves an annotation's
`file=` against the workspace (the checkout, `GITHUB_WORKSPACE`) and a SARIF upload's URIs
against the repository root, so in a monorepo (`envaudit check services/train`) the
annotations would land on `requirements.txt` at the top instead of
`services/train/requirements.txt`. The prefix is found without running git: the
`GITHUB_WORKSPACE` folder when the audited folder is inside it, else the nearest folder
above that holds a `.git` entry (only its existence is looked at; nothing is read).
"""

from __future__ import annotations

import os
from pathlib import Path


def repo_root(root: Path, environ: dict[str, str] | None = None) -> Path | None:
    env = os.environ if environ is None else environ
    here = root.resolve()
    workspace = env.get("GITHUB_WORKSPACE")
    if workspace:
        ws = Path(workspace).resolve()
        if here == ws or ws in here.parents:
            return ws
    for d in (here, *here.parents):
        if (d / ".git").exists():
            return d
    return None


def repo_prefix(root: Path, environ: dict[str, str] | None = None) -> str:
    """`services/train/` when the audited folder is that folder of its repository; ""
    when it is the repository root or not inside one."""
    top = repo_root(root, environ)
    if top is None:
        return ""
    rel = root.resolve().relative_to(top).as_posix()
    return "" if rel in ("", ".") else rel + "/"
