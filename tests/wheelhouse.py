"""Real wheels written by the tests themselves, for offline resolving (`--no-index
--find-links`) and for installing into a venv-shaped directory."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def build_wheel(
    wheelhouse: Path, name: str, version: str, requires: tuple[str, ...] = (), module: str | None = None
) -> Path:
    """A valid pure-Python wheel: a module, METADATA, WHEEL, top_level.txt and a RECORD with hashes."""
    dist = name.replace("-", "_")
    mod = module or dist
    info = f"{dist}-{version}.dist-info"
    meta = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    meta += [f"Requires-Dist: {r}" for r in requires]
    files = {
        f"{mod}/__init__.py": f"__version__ = {version!r}\n".encode(),
        f"{info}/METADATA": ("\n".join(meta) + "\n\n").encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: envaudit-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        f"{info}/top_level.txt": f"{mod}\n".encode(),
    }
    record = [f"{p},{_record_hash(d)},{len(d)}" for p, d in files.items()] + [f"{info}/RECORD,,"]
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    wheelhouse.mkdir(parents=True, exist_ok=True)
    path = wheelhouse / f"{dist}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for p, d in files.items():
            zf.writestr(p, d)
    return path


def install_wheel(wheel: Path, site_packages: Path, installer: str = "pip") -> None:
    """Unpack a pure wheel into site-packages, as an installer does (plus INSTALLER)."""
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(site_packages)
        info = next(n.split("/")[0] for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
    (site_packages / info / "INSTALLER").write_text(installer + "\n", encoding="utf-8")


def demo_wheelhouse(wheelhouse: Path) -> dict[str, Path]:
    """alpha -> beta>=1 -> gamma; beta has two versions; delta only on win32."""
    return {
        "alpha": build_wheel(wheelhouse, "alpha", "1.0", ("beta>=1", "delta; sys_platform == 'win32'")),
        "beta1": build_wheel(wheelhouse, "beta", "1.0", ("gamma",)),
        "beta2": build_wheel(wheelhouse, "beta", "2.0", ("gamma>=1",)),
        "gamma": build_wheel(wheelhouse, "gamma", "1.0"),
        "delta": build_wheel(wheelhouse, "delta", "1.0"),
    }
