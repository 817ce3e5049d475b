"""Fixers: one module per generated artifact, each exposing a click `command`.

Fixers show a unified diff by default and write only with `--write`,
atomically, never through a symlink that leaves the project (see `_write`).
"""
