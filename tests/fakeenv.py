"""Build environments on disk for the scanners to read: pyvenv.cfg, lib/pythonX.Y/
site-packages and real-shaped *.dist-info directories (nothing is installed or run)."""

from __future__ import annotations

import json
from pathlib import Path


def dist_info(
    site: Path,
    name: str,
    version: str,
    requires: tuple[str, ...] | list[str] = (),
    *,
    installer: str | None = "pip",
    direct_url: dict[str, object] | None = None,
    top_level: tuple[str, ...] = (),
    body: str = "",
) -> Path:
    d = site / f"{name.replace('-', '_')}-{version}.dist-info"
    d.mkdir(parents=True, exist_ok=True)
    head = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    head += [f"Requires-Dist: {r}" for r in requires]
    (d / "METADATA").write_text("\n".join(head) + "\n\n" + body, encoding="utf-8")
    if installer is not None:
        (d / "INSTALLER").write_text(installer + "\n", encoding="utf-8")
    if direct_url is not None:
        (d / "direct_url.json").write_text(json.dumps(direct_url), encoding="utf-8")
    if top_level:
        (d / "top_level.txt").write_text("\n".join(top_level) + "\n", encoding="utf-8")
    return d


def make_venv(
    prefix: Path,
    dists: dict[str, str] | None = None,
    *,
    version: str = "3.11.7",
    requires: dict[str, list[str]] | None = None,
    key: str = "version",
) -> Path:
    """A venv-shaped directory (pyvenv.cfg, bin/python, site-packages) holding `dists`."""
    minor = ".".join(version.split(".")[:2])
    site = prefix / "lib" / f"python{minor}" / "site-packages"
    site.mkdir(parents=True, exist_ok=True)
    (prefix / "bin").mkdir(exist_ok=True)
    (prefix / "bin" / "python").write_text("", encoding="utf-8")
    (prefix / "bin" / "python").chmod(0o755)  # an interpreter is executable (`--python` checks)
    (prefix / "pyvenv.cfg").write_text(
        f"home = /usr/bin\ninclude-system-site-packages = false\n{key} = {version}\n", encoding="utf-8"
    )
    for name, ver in (dists or {}).items():
        dist_info(site, name, ver, (requires or {}).get(name, ()))
    return site
