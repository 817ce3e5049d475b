"""Every place the project declares its Python version.

requires-python (pyproject, setup.cfg `python_requires`), Poetry's `python`
dependency, `.python-version`, `runtime.txt`, environment.yml's `python`,
Pipfile `[requires] python_version` / `python_full_version`, Dockerfile
`FROM python:X.Y…` base tags (a scan of FROM lines), and README mentions such
as "Python 3.10" or "Python >= 3.9" (kind "mention": weak, never compared).

Each declaration carries a PEP 440 specifier over the Python version:
`.python-version` 3.11 -> `==3.11.*`, requires-python `>=3.10` stays.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from envaudit._dataclass import dataclass
from envaudit._lazyre import lazy_re
from envaudit.scanners.dockerfiles import is_dockerfile_name

if TYPE_CHECKING:
    from envaudit.inventory import Inventory

_VER_RE = lazy_re(r"^\d+(?:\.\d+){0,2}$")
_FROM_RE = lazy_re(
    r"^\s*FROM\s+(?:--platform=\S+\s+)?(?:(?:docker\.io|index\.docker\.io)/)?(?:library/)?python:(?P<tag>[^\s@]+)",
    re.IGNORECASE,
)
_README_RE = lazy_re(
    r"\bPython\s*(?:version\s*)?(?P<op>>=|≥|==|~=|>)?\s*v?(?P<ver>3\.\d{1,2}(?:\.\d{1,2})?)(?P<plus>\+|\s+or\s+(?:newer|later|higher|above))?(?![\d.]*\d)",
    re.IGNORECASE,
)
_README_NAMES = ("readme", "readme.md", "readme.rst", "readme.txt", "readme.markdown")


@dataclass(frozen=True)
class PyVersionDecl:
    source: str  # requires-python, python_requires, poetry, .python-version, runtime.txt, environment.yml, Pipfile, dockerfile, readme
    path: str
    line: int | None
    text: str  # as written
    specifier: str  # PEP 440 over the Python version, e.g. ">=3.10" or "==3.11.*"
    kind: str  # "constraint" (a range), "exact" (one version or series), "mention" (prose)

    @property
    def version(self) -> str | None:
        """The version of an exact declaration (`==3.11.*` -> "3.11")."""
        if self.kind == "constraint" or not self.specifier.startswith("=="):
            return None
        return self.specifier[2:].removesuffix(".*")


@dataclass(frozen=True)
class PyVersions:
    declarations: tuple[PyVersionDecl, ...]


def exact_spec(version: str) -> str:
    """ "3.11" -> "==3.11.*", "3.11.7" -> "==3.11.7", "3" -> "==3.*"."""
    n = version.count(".")
    return f"=={version}" if n >= 2 else f"=={version}.*"


def scan(inv: Inventory) -> PyVersions:
    out: list[PyVersionDecl] = []
    files = inv.files()
    for rel in files:
        p = PurePosixPath(rel)
        name = p.name
        top = len(p.parts) == 1
        if name == ".python-version":
            _python_version_file(inv, rel, out)
        elif name == "runtime.txt" and top:
            _runtime_txt(inv, rel, out)
        elif name == "Pipfile":
            _pipfile(inv, rel, out)
        elif is_dockerfile_name(name):
            _dockerfile(inv, rel, out)
        elif top and name.lower() in _README_NAMES:
            _readme(inv, rel, out)
        elif name == "setup.cfg":
            _setup_cfg(inv, rel, out)
    if any(PurePosixPath(r).name == "pyproject.toml" for r in files):
        _pyproject(inv, [r for r in files if PurePosixPath(r).name == "pyproject.toml"], out)
    manifests = (
        inv.get("manifests")
        if any(PurePosixPath(r).name.lower() in ("environment.yml", "environment.yaml") for r in files)
        else None
    )
    if manifests is not None:
        for m in manifests.files:
            if m.kind == "environment.yml" and m.python:
                spec = _conda_python_spec(m.python)
                if spec:
                    line = _line_of(inv, m.path, re.compile(r"^\s*-\s*(?:\S+::)?python\b"))
                    kind = "exact" if spec.startswith("==") else "constraint"
                    out.append(
                        PyVersionDecl("environment.yml", m.path, line, f"python{m.python}", spec, kind)
                    )
    return PyVersions(tuple(out))


def _line_of(inv: Inventory, rel: str, rx: re.Pattern[str]) -> int | None:
    text = inv.read(inv.root / rel)
    if text is None:
        return None
    for i, line in enumerate(text.text.splitlines(), 1):
        if rx.search(line):
            return i
    return None


def _python_version_file(inv: Inventory, rel: str, out: list[PyVersionDecl]) -> None:
    text = inv.read(inv.root / rel)
    if text is None:
        return
    for i, line in enumerate(text.text.splitlines(), 1):
        s = line.split("#", 1)[0].strip()
        if not s:
            continue
        v = s.removeprefix("python").removeprefix("cpython-").removeprefix("cpython")
        v = v.split("-", 1)[0].removesuffix("t")
        if _VER_RE.match(v):
            out.append(PyVersionDecl(".python-version", rel, i, s, exact_spec(v), "exact"))
        return  # pyenv uses the first version listed


def _runtime_txt(inv: Inventory, rel: str, out: list[PyVersionDecl]) -> None:
    text = inv.read(inv.root / rel)
    if text is None:
        return
    for i, line in enumerate(text.text.splitlines(), 1):
        m = re.match(r"^\s*python-(\d+(?:\.\d+){0,2})\s*$", line)
        if m:
            out.append(PyVersionDecl("runtime.txt", rel, i, line.strip(), exact_spec(m.group(1)), "exact"))
            return


def _pipfile(inv: Inventory, rel: str, out: list[PyVersionDecl]) -> None:
    data = inv.toml(rel)
    if data is None:
        return
    req = data.get("requires") if isinstance(data.get("requires"), dict) else {}
    for key in ("python_full_version", "python_version"):
        v = req.get(key)
        if isinstance(v, str) and _VER_RE.match(v.strip()):
            line = _line_of(inv, rel, re.compile(rf"^\s*{key}\s*="))
            out.append(PyVersionDecl("Pipfile", rel, line, f"{key} = {v}", exact_spec(v.strip()), "exact"))
            return


def _dockerfile(inv: Inventory, rel: str, out: list[PyVersionDecl]) -> None:
    text = inv.read(inv.root / rel)
    if text is None:
        return
    for i, line in enumerate(text.text.splitlines(), 1):
        m = _FROM_RE.match(line)
        if not m:
            continue
        tag = m.group("tag")
        vm = re.match(r"^(\d+(?:\.\d+){0,2})(?![\d.])", tag)
        if vm:
            out.append(PyVersionDecl("dockerfile", rel, i, f"python:{tag}", exact_spec(vm.group(1)), "exact"))


def _readme(inv: Inventory, rel: str, out: list[PyVersionDecl]) -> None:
    text = inv.read(inv.root / rel)
    if text is None:
        return
    for i, line in enumerate(text.text.splitlines(), 1):
        for m in _README_RE.finditer(line):
            op = m.group("op")
            ver = m.group("ver")
            if op in (">=", "≥") or m.group("plus"):
                spec = f">={ver}"
            elif op == ">":
                spec = f">{ver}"
            elif op == "~=":
                spec = f"~={ver}"
            else:
                spec = exact_spec(ver)
            out.append(PyVersionDecl("readme", rel, i, m.group(0).strip(), spec, "mention"))


def _setup_cfg(inv: Inventory, rel: str, out: list[PyVersionDecl]) -> None:
    line = _line_of(inv, rel, re.compile(r"^\s*python_requires\s*="))
    if line is None:
        return
    text = inv.read(inv.root / rel)
    assert text is not None
    value = text.text.splitlines()[line - 1].split("=", 1)[1].split("#", 1)[0].strip()
    if value and _valid_spec(value):
        out.append(PyVersionDecl("python_requires", rel, line, value, value.replace(" ", ""), "constraint"))


def _pyproject(inv: Inventory, rels: list[str], out: list[PyVersionDecl]) -> None:
    from envaudit.scanners.manifests import poetry_to_pep440

    for rel in rels:
        data = inv.toml(rel)
        if data is None:
            continue
        project = data.get("project") if isinstance(data.get("project"), dict) else {}
        rp = project.get("requires-python")
        if isinstance(rp, str) and rp.strip():
            line = _line_of(inv, rel, re.compile(r"^\s*requires-python\s*="))
            if _valid_spec(rp):
                out.append(PyVersionDecl("requires-python", rel, line, rp, rp.replace(" ", ""), "constraint"))
            else:
                inv.diag(f"requires-python {rp!r} is not a valid version specifier", rel, line)
        tool = data.get("tool") if isinstance(data.get("tool"), dict) else {}
        poetry = tool.get("poetry") if isinstance(tool.get("poetry"), dict) else {}
        deps = poetry.get("dependencies") if isinstance(poetry.get("dependencies"), dict) else {}
        py = deps.get("python")
        if isinstance(py, str) and py.strip():
            spec = poetry_to_pep440(py)
            if spec and _valid_spec(spec):
                line = _line_of(inv, rel, re.compile(r"^\s*python\s*="))
                out.append(PyVersionDecl("poetry", rel, line, py, spec, "constraint"))


def _valid_spec(spec: str) -> bool:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        SpecifierSet(spec)
    except InvalidSpecifier:
        return False
    return True


def _conda_python_spec(spec: str) -> str:
    from envaudit.scanners.manifests import conda_spec

    s = spec.strip()
    if s.startswith("=") and not s.startswith("=="):
        body = s[1:].split("=", 1)[0].strip().removesuffix(".*").removesuffix("*")
        return exact_spec(body) if _VER_RE.match(body) else ""
    converted, _ = conda_spec(s)
    return converted if converted and _valid_spec(converted) else ""
