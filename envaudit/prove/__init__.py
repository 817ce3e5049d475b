"""Proving that a project reproduces, by running it: `envaudit rebuild` (a clean
environment from the lock) and `envaudit rerun` (the same command several times,
outputs compared, causes named). These are the only parts of envaudit that execute
the audited project's code or install its packages; `check` never does.

Records: JSON of schema `envaudit/rebuild/1` and `envaudit/rerun/1`, read back by
`check --rebuild-report/--rerun-report` for the checklist (rules RUN001-RUN003).
"""

from __future__ import annotations

REBUILD_SCHEMA = "envaudit/rebuild/1"
RERUN_SCHEMA = "envaudit/rerun/1"
