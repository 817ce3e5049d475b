"""Build site-packages trees on disk the way the real wheels lay them out: the files
envaudit reads (torch/version.py, tensorflow's build_info.py, *.dist-info/METADATA)
with the contents the real wheels carry. A package imported by mistake stays in
sys.modules, where the tests look for it."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

_TRAP = "# envaudit must read {name} from disk, never import it: tests look for it in sys.modules\nIMPORTED = True\n"

# the Linux marker the real torch wheels put on their nvidia-* requirements
LINUX_X86 = 'platform_system == "Linux" and platform_machine == "x86_64"'


def venv(parent: Path, name: str = "venv") -> tuple[Path, Path]:
    """An empty virtualenv layout (pyvenv.cfg + lib/python3.11/site-packages): (prefix, site)."""
    prefix = parent / name
    site = prefix / "lib" / "python3.11" / "site-packages"
    site.mkdir(parents=True, exist_ok=True)
    (prefix / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.11.7\n", encoding="utf-8")
    return prefix, site


def dist(site: Path, name: str, version: str, requires: Iterable[str] = ()) -> Path:
    di = site / f"{name.replace('-', '_')}-{version}.dist-info"
    di.mkdir(parents=True, exist_ok=True)
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}", "Summary: test tree"]
    lines += [f"Requires-Dist: {r}" for r in requires]
    body = "\n".join(lines) + "\n\nLong description.\nRequires-Dist: not-a-header==1\n"
    (di / "METADATA").write_text(body, encoding="utf-8")
    (di / "INSTALLER").write_text("pip\n", encoding="utf-8")
    return di


def torch(
    site: Path,
    version: str = "2.3.1+cu121",
    cuda: str | None = "12.1",
    hip: str | None = None,
    requires: Iterable[str] | None = None,
    bundled_cudnn: str | None = None,
) -> Path:
    pkg = site / "torch"
    pkg.mkdir(parents=True, exist_ok=True)
    (pkg / "__init__.py").write_text(_TRAP.format(name="torch"), encoding="utf-8")
    (pkg / "version.py").write_text(
        "from typing import Optional\n\n"
        "__all__ = ['__version__', 'debug', 'cuda', 'git_version', 'hip']\n"
        f"__version__ = {version!r}\n"
        "debug = False\n"
        f"cuda: Optional[str] = {cuda!r}\n"
        "git_version = '63d5e9221bedd1546b7d364b5ce4171547db12a9'\n"
        f"hip: Optional[str] = {hip!r}\n",
        encoding="utf-8",
    )
    if bundled_cudnn:
        (pkg / "lib").mkdir(exist_ok=True)
        (pkg / "lib" / f"libcudnn.so.{bundled_cudnn}").write_bytes(b"\x7fELF")
    if requires is None:
        requires = ["filelock", "typing-extensions>=4.8.0"]
        if cuda and cuda.startswith("12"):
            requires += [
                f"nvidia-cuda-runtime-cu12==12.1.105; {LINUX_X86}",
                f"nvidia-cudnn-cu12==9.1.0.70; {LINUX_X86}",
                f"nvidia-cublas-cu12==12.1.3.1; {LINUX_X86}",
            ]
    dist(site, "torch", version, requires)
    return pkg


def tensorflow(
    site: Path, build_info: dict[str, object], name: str = "tensorflow", version: str = "2.16.1"
) -> Path:
    pkg = site / "tensorflow"
    plat = pkg / "python" / "platform"
    plat.mkdir(parents=True, exist_ok=True)
    (pkg / "__init__.py").write_text(_TRAP.format(name="tensorflow"), encoding="utf-8")
    pairs = ", ".join(f"({k!r}, {v!r})" for k, v in build_info.items())
    (plat / "build_info.py").write_text(
        '"""Auto-generated module providing information about the build."""\n'
        "import collections\n\n"
        f"build_info = collections.OrderedDict([{pairs}])\n",
        encoding="utf-8",
    )
    dist(site, name, version)
    return pkg


def jax(
    site: Path,
    jaxlib: str = "0.4.30",
    plugin: str | None = "jax-cuda12-plugin",
    plugin_requires: Iterable[str] = (),
) -> None:
    pkg = site / "jax"
    pkg.mkdir(parents=True, exist_ok=True)
    (pkg / "__init__.py").write_text(_TRAP.format(name="jax"), encoding="utf-8")
    (site / "jaxlib").mkdir(exist_ok=True)
    (site / "jaxlib" / "__init__.py").write_text(_TRAP.format(name="jaxlib"), encoding="utf-8")
    dist(site, "jax", jaxlib)
    dist(site, "jaxlib", jaxlib)
    if plugin:
        dist(site, plugin, jaxlib, plugin_requires)
