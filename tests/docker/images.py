"""Local images for the Docker tests: no registry is reachable, so the tests make
their own base image from the interpreter running them (`docker import` of a tarball
of its prefix + the shared libraries it needs + /bin/sh), and wheels by hand."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

BASE_TAG = f"envaudit-test/python:{sys.version_info[0]}.{sys.version_info[1]}-local"
SKIP_DIRS = {
    "site-packages",
    "test",
    "tests",
    "idlelib",
    "tkinter",
    "turtledemo",
    "__pycache__",
    "lib2to3",
    "config-3",
}


def _ldd(paths: list[str]) -> set[str]:
    out: set[str] = set()
    for i in range(0, len(paths), 50):
        proc = subprocess.run(
            ["ldd", *paths[i : i + 50]], capture_output=True, text=True, timeout=60, check=False
        )
        for m in re.finditer(r"(/\S+\.so[.\d]*)", proc.stdout):
            out.add(m.group(1))
    return out


def base_rootfs() -> bytes:
    """A tarball: the running interpreter's prefix (stdlib, ensurepip, lib-dynload), its
    libraries, /bin/sh. Raises RuntimeError when this interpreter cannot be packed."""
    prefix = Path(sys.base_prefix)
    ver = f"{sys.version_info[0]}.{sys.version_info[1]}"
    exe = prefix / "bin" / f"python{ver}"
    stdlib = prefix / "lib" / f"python{ver}"
    if not exe.is_file() or not (stdlib / "ensurepip").is_dir() or not (stdlib / "os.py").is_file():
        raise RuntimeError(f"{prefix} is not a self-contained Python with ensurepip")
    sh = Path("/bin/dash") if Path("/bin/dash").exists() else Path("/bin/bash")
    files: list[Path] = [exe, sh]
    for p in prefix.glob("lib/libpython*.so*"):
        files.append(p)
    for dirpath, dirnames, filenames in os.walk(stdlib):
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS and not d.startswith("config-")]
        files += [Path(dirpath) / f for f in filenames if not f.endswith((".pyc", ".exe"))]
    sos = [str(f) for f in files if f.suffix == ".so" or f in (exe, sh)]
    libs = _ldd(sos)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        seen: set[str] = set()

        def add(path: Path, arc: str) -> None:
            if arc in seen:
                return
            seen.add(arc)
            tar.add(str(path.resolve()), arcname=arc, recursive=False)

        for d in ("tmp", "usr/local/bin", "bin", "etc"):
            info = tarfile.TarInfo(d)
            info.type = tarfile.DIRTYPE
            info.mode = 0o1777 if d == "tmp" else 0o755
            tar.addfile(info)
        for f in files:
            add(f, str(f).lstrip("/"))
        for lib in sorted(libs):
            add(Path(lib), lib.lstrip("/"))
            real = str(Path(lib).resolve()).lstrip("/")
            if real != lib.lstrip("/"):
                add(Path(lib), real)
        add(sh, "bin/sh")
        for name in ("python", "python3", f"python{ver}"):
            info = tarfile.TarInfo(f"usr/local/bin/{name}")
            info.type = tarfile.SYMTYPE
            info.linkname = str(exe)
            tar.addfile(info)
        passwd = b"root:x:0:0:root:/root:/bin/sh\n"
        info = tarfile.TarInfo("etc/passwd")
        info.size = len(passwd)
        tar.addfile(info, io.BytesIO(passwd))
    return buf.getvalue()


def ensure_base_image(timeout: float = 240) -> str:
    """The local base image's tag (made once per engine, reused afterwards)."""
    have = subprocess.run(
        ["docker", "image", "inspect", BASE_TAG], capture_output=True, timeout=30, check=False
    )
    if have.returncode == 0:
        return BASE_TAG
    data = base_rootfs()
    proc = subprocess.run(
        ["docker", "import", "--change", "ENV PATH=/usr/local/bin:/usr/bin:/bin", "-", BASE_TAG],
        input=data,
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"docker import failed: {proc.stderr.decode(errors='replace')[-500:]}")
    return BASE_TAG


def make_wheel(folder: Path, name: str, version: str, module_source: str) -> tuple[Path, str]:
    """A real pure-Python wheel (PEP 427) written by hand; returns (path, sha256)."""
    dist = name.replace("-", "_")
    info = f"{dist}-{version}.dist-info"
    files = {
        f"{dist}/__init__.py": module_source.encode(),
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: envaudit-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for arc, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{arc},sha256={digest},{len(data)}")
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{dist}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for arc, data in files.items():
            zi = zipfile.ZipInfo(arc, date_time=(2020, 1, 1, 0, 0, 0))
            zf.writestr(zi, data)
    return path, hashlib.sha256(path.read_bytes()).hexdigest()
