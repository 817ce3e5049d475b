"""DEP004 on uv.lock for everything uv records beyond the requirements, with uv as the oracle.

`test_uv_lock_oracle.py` changes the requirements and their sources; here the changes are
to what else `uv lock --check` compares: requires-python (by meaning: uv writes
`>=3.11,<3.12` as `==3.11.*`), the project's name, version, dynamic version, virtual or
package root, extras, `[tool.uv]` constraint-/override-/build-constraint-dependencies,
environments and conflicts, a marker on a dependency with an index source, and a uv
workspace (members by glob, `exclude`, one uv.lock at the root). Each project is locked by
the real `uv lock`, offline, from flat indexes of wheels the test builds; each change's
verdict must equal `uv lock --check`'s.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import check
from tests.rules.test_uv_lock_oracle import _BACKEND, UV, _run, _uv_check
from tests.wheelhouse import build_wheel

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(UV is None, reason="uv not found next to the interpreter or on PATH (pip install uv)"),
]

BUILD = '\n[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n'

INDEXES = """
[[tool.uv.index]]
name = "first"
url = "WH1"
format = "flat"

[[tool.uv.index]]
name = "second"
url = "WH2"
format = "flat"
explicit = true
"""

# a virtual project (no build-system), as `uv init --app` leaves it
VIRTUAL = (
    """\
[project]
name = "demo"
version = "0.1.0"
requires-python = ">=3.11,<3.12"
dependencies = ["alpha>=1", "epsilon==1.0", "gamma"]

[project.optional-dependencies]
fast = ["delta"]

[dependency-groups]
dev = ["beta>=1"]

[tool.uv.sources]
epsilon = { index = "second" }
"""
    + INDEXES
)

# a package (built and installed editable), with [tool.uv] settings uv records
PACKAGE = (
    """\
[project]
name = "pkg"
version = "1.2.0"
requires-python = ">=3.10"
dependencies = ["alpha>=1"]

[project.optional-dependencies]
a = ["delta"]
b = ["gamma"]

[tool.uv]
constraint-dependencies = ["beta<3", "gamma>=1"]
environments = ["sys_platform == 'linux'", "sys_platform == 'darwin'"]
conflicts = [[{ extra = "a" }, { extra = "b" }]]
"""
    + INDEXES
    + BUILD
)

WS_ROOT = (
    """\
[project]
name = "ws-root"
version = "0.1.0"
requires-python = ">=3.10"
dependencies = ["model", "alpha>=1"]

[tool.uv.workspace]
members = ["packages/*"]
exclude = ["packages/scratch"]

[tool.uv.sources]
model = { workspace = true }
"""
    + INDEXES
)
WS_DATA = '[project]\nname = "data"\nversion = "0.1.0"\ndependencies = ["beta>=1"]\n' + BUILD
WS_MODEL = (
    '[project]\nname = "model"\nversion = "0.1.0"\nrequires-python = ">=3.10"\ndependencies = ["data", "gamma"]\n'
    "\n[tool.uv.sources]\ndata = { workspace = true }\n" + BUILD
)
WS_SCRATCH = '[project]\nname = "scratch"\nversion = "0.1.0"\ndependencies = ["delta"]\n' + BUILD

EOF = "<end>"  # append the new text to the file
DELETE = "<delete>"  # remove the folder

# (case, file, old text, new text): one change each; a missing file with old "" is created
VIRTUAL_CASES: list[tuple[str, str, str, str]] = [
    ("unchanged", "pyproject.toml", "", ""),
    ("rp-compatible-release", "pyproject.toml", '">=3.11,<3.12"', '"~=3.11.0"'),
    ("rp-wildcard", "pyproject.toml", '">=3.11,<3.12"', '"==3.11.*"'),
    ("rp-spaced-reordered", "pyproject.toml", '">=3.11,<3.12"', '"<3.12, >= 3.11"'),
    ("rp-wider", "pyproject.toml", '">=3.11,<3.12"', '">=3.11,<3.13"'),
    ("rp-higher-floor", "pyproject.toml", '">=3.11,<3.12"', '">=3.11.4,<3.12"'),
    ("version-bump", "pyproject.toml", 'version = "0.1.0"', 'version = "0.2.0"'),
    ("version-same-meaning", "pyproject.toml", 'version = "0.1.0"', 'version = "0.1"'),
    ("renamed", "pyproject.toml", 'name = "demo"', 'name = "demo-app"'),
    ("name-spelling", "pyproject.toml", 'name = "demo"', 'name = "Demo"'),
    ("dynamic-version", "pyproject.toml", 'version = "0.1.0"', 'dynamic = ["version"]'),
    ("build-system", "pyproject.toml", EOF, BUILD),
    ("package-true", "pyproject.toml", "[tool.uv.sources]", "[tool.uv]\npackage = true\n\n[tool.uv.sources]"),
    (
        "package-false",
        "pyproject.toml",
        "[tool.uv.sources]",
        "[tool.uv]\npackage = false\n\n[tool.uv.sources]",
    ),
    (
        "constraints",
        "pyproject.toml",
        "[tool.uv.sources]",
        '[tool.uv]\nconstraint-dependencies = ["beta<2"]\n\n[tool.uv.sources]',
    ),
    (
        "overrides",
        "pyproject.toml",
        "[tool.uv.sources]",
        '[tool.uv]\noverride-dependencies = ["gamma>=1"]\n\n[tool.uv.sources]',
    ),
    (
        "build-constraints",
        "pyproject.toml",
        "[tool.uv.sources]",
        '[tool.uv]\nbuild-constraint-dependencies = ["setuptools<80"]\n\n[tool.uv.sources]',
    ),
    (
        "environments",
        "pyproject.toml",
        "[tool.uv.sources]",
        "[tool.uv]\nenvironments = [\"sys_platform == 'linux'\"]\n\n[tool.uv.sources]",
    ),
    (
        "conflicts",
        "pyproject.toml",
        "[tool.uv.sources]",
        '[tool.uv]\nconflicts = [[{ extra = "fast" }, { group = "dev" }]]\n\n[tool.uv.sources]',
    ),
    (
        "marker-on-index-source",
        "pyproject.toml",
        '"epsilon==1.0"',
        "\"epsilon==1.0; sys_platform == 'linux'\"",
    ),
    ("marker-on-plain", "pyproject.toml", '"gamma"]', "\"gamma; sys_platform == 'linux'\"]"),
    ("range-on-index-source", "pyproject.toml", '"epsilon==1.0"', '"epsilon>=1.0"'),
    ("comment", "pyproject.toml", "[dependency-groups]", "# tools\n[dependency-groups]"),
    ("empty-extra", "pyproject.toml", 'fast = ["delta"]', 'fast = ["delta"]\nnone-yet = []'),
]

PACKAGE_CASES: list[tuple[str, str, str, str]] = [
    ("unchanged", "pyproject.toml", "", ""),
    ("version-bump", "pyproject.toml", 'version = "1.2.0"', 'version = "1.3.0"'),
    ("dynamic-version", "pyproject.toml", 'version = "1.2.0"', 'dynamic = ["version"]'),
    ("package-false", "pyproject.toml", "[tool.uv]", "[tool.uv]\npackage = false"),
    ("no-build-system", "pyproject.toml", BUILD, "\n"),
    ("renamed", "pyproject.toml", 'name = "pkg"', 'name = "pkg2"'),
    ("rp-same-meaning", "pyproject.toml", '">=3.10"', '">=3.10.0"'),
    ("rp-changed", "pyproject.toml", '">=3.10"', '">=3.11"'),
    ("constraints-reordered", "pyproject.toml", '["beta<3", "gamma>=1"]', '["gamma >= 1", "beta<3"]'),
    ("constraint-changed", "pyproject.toml", '["beta<3", "gamma>=1"]', '["beta<2", "gamma>=1"]'),
    ("constraint-dropped", "pyproject.toml", 'constraint-dependencies = ["beta<3", "gamma>=1"]\n', ""),
    (
        "environments-reordered",
        "pyproject.toml",
        "[\"sys_platform == 'linux'\", \"sys_platform == 'darwin'\"]",
        "[\"sys_platform == 'darwin'\", \"sys_platform == 'linux'\"]",
    ),
    (
        "environments-narrowed",
        "pyproject.toml",
        "[\"sys_platform == 'linux'\", \"sys_platform == 'darwin'\"]",
        "[\"sys_platform == 'linux'\"]",
    ),
    (
        "conflicts-reordered",
        "pyproject.toml",
        '[[{ extra = "a" }, { extra = "b" }]]',
        '[[{ extra = "b" }, { extra = "a" }]]',
    ),
    ("conflicts-dropped", "pyproject.toml", 'conflicts = [[{ extra = "a" }, { extra = "b" }]]\n', ""),
    ("extra-added", "pyproject.toml", 'b = ["gamma"]', 'b = ["gamma"]\nc = ["beta"]'),
]

WORKSPACE_CASES: list[tuple[str, str, str, str]] = [
    ("unchanged", "pyproject.toml", "", ""),
    ("member-new-dep", "packages/data/pyproject.toml", '["beta>=1"]', '["beta>=1", "delta"]'),
    ("member-range", "packages/data/pyproject.toml", '["beta>=1"]', '["beta>=1,<3"]'),
    (
        "member-requires-python",
        "packages/data/pyproject.toml",
        'version = "0.1.0"',
        'version = "0.1.0"\nrequires-python = ">=3.11"',
    ),
    (
        "member-requires-python-looser",
        "packages/data/pyproject.toml",
        'version = "0.1.0"',
        'version = "0.1.0"\nrequires-python = ">=3.9"',
    ),
    (
        "member-extra",
        "packages/model/pyproject.toml",
        "[tool.uv.sources]",
        '[project.optional-dependencies]\nx = ["delta"]\n\n[tool.uv.sources]',
    ),
    ("member-version", "packages/model/pyproject.toml", 'version = "0.1.0"', 'version = "0.2.0"'),
    ("member-comment", "packages/model/pyproject.toml", "[tool.uv.sources]", "# local\n[tool.uv.sources]"),
    (
        "member-not-editable",
        "packages/model/pyproject.toml",
        "data = { workspace = true }",
        "data = { workspace = true, editable = false }",
    ),
    ("excluded-member-edit", "packages/scratch/pyproject.toml", '["delta"]', '["delta", "beta"]'),
    (
        "new-member",
        "packages/extra/pyproject.toml",
        "",
        '[project]\nname = "extra"\nversion = "0.1.0"\n' + BUILD,
    ),
    ("exclude-dropped", "pyproject.toml", 'exclude = ["packages/scratch"]\n', ""),
    ("root-dep", "pyproject.toml", '["model", "alpha>=1"]', '["model", "alpha>=1", "beta"]'),
    ("member-renamed", "packages/data/pyproject.toml", 'name = "data"', 'name = "data-core"'),
    ("member-removed", "packages/scratch", DELETE, ""),
    ("used-member-removed", "packages/data", DELETE, ""),
    ("members-listed", "pyproject.toml", '["packages/*"]', '["packages/data", "packages/model"]'),
    ("members-narrowed", "pyproject.toml", '["packages/*"]', '["packages/model"]'),
]

# a workspace whose root is no project (only `[tool.uv.workspace]` and dependency groups)
VROOT = (
    """\
[tool.uv.workspace]
members = ["libs/*", "libs/*/*"]
exclude = ["libs/core"]

[dependency-groups]
dev = ["beta>=1"]
"""
    + INDEXES
)
VROOT_CASES: list[tuple[str, str, str, str]] = [
    ("unchanged", "pyproject.toml", "", ""),
    ("root-group", "pyproject.toml", 'dev = ["beta>=1"]', 'dev = ["beta>=2"]'),
    (
        "constraints",
        "pyproject.toml",
        "[dependency-groups]",
        '[tool.uv]\nconstraint-dependencies = ["gamma<2"]\n\n[dependency-groups]',
    ),
    ("nested-member-dep", "libs/core/io/pyproject.toml", '["gamma"]', '["gamma", "delta"]'),
    (
        "nested-member-rp",
        "libs/core/io/pyproject.toml",
        'version = "1.0"',
        'version = "1.0"\nrequires-python = "~=3.11.0"',
    ),
    (
        "member-rp-same-meaning",
        "libs/core/io/pyproject.toml",
        'version = "1.0"',
        'version = "1.0"\nrequires-python = ">=3.9"',
    ),
]
VR_IO = '[project]\nname = "io"\nversion = "1.0"\ndependencies = ["gamma"]\n' + BUILD
VR_WEB = (
    '[project]\nname = "web"\nversion = "1.0"\nrequires-python = ">=3.10"\ndependencies = ["alpha"]\n' + BUILD
)


def _wheels(base: Path) -> tuple[Path, Path]:
    wh1, wh2 = base / "wh1", base / "wh2"
    build_wheel(wh1, "alpha", "1.0", ("beta>=1",))
    build_wheel(wh1, "beta", "1.0", ("gamma",))
    build_wheel(wh1, "beta", "2.0", ("gamma>=1",))
    build_wheel(wh1, "gamma", "1.0")
    build_wheel(wh1, "delta", "1.0")
    build_wheel(wh2, "epsilon", "1.0")
    return wh1, wh2


def _env(base: Path) -> dict[str, str]:
    import os
    import sys

    return {
        **os.environ,
        "UV_CACHE_DIR": str(base / "uv-cache"),
        "UV_PYTHON": sys.executable,
        "XDG_CONFIG_HOME": str(base / "xdg"),
        "UV_OFFLINE": "1",
    }


def _lock(base: Path, name: str, files: dict[str, str]) -> Path:
    wh1, wh2 = base / "wh1", base / "wh2"
    project = base / name
    for rel, text in files.items():
        path = project / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.replace("WH1", str(wh1)).replace("WH2", str(wh2)))
        if BUILD in text:
            (path.parent / "backend.py").write_text(_BACKEND)
    res = _run([str(UV), "lock", "--offline"], project, _env(base))
    assert res.returncode == 0, res.stderr
    return project


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("uvproject")
    _wheels(base)
    return {
        "virtual": _lock(base, "virtual", {"pyproject.toml": VIRTUAL}),
        "package": _lock(base, "package", {"pyproject.toml": PACKAGE}),
        "workspace": _lock(
            base,
            "workspace",
            {
                "pyproject.toml": WS_ROOT,
                "packages/data/pyproject.toml": WS_DATA,
                "packages/model/pyproject.toml": WS_MODEL,
                "packages/scratch/pyproject.toml": WS_SCRATCH,
            },
        ),
        "vroot": _lock(
            base,
            "vroot",
            {
                "pyproject.toml": VROOT,
                "libs/core/io/pyproject.toml": VR_IO,
                "libs/web/pyproject.toml": VR_WEB,
            },
        ),
    }


def _apply(project: Path, case: str, rel: str, old: str, new: str) -> Path:
    work = project.parent / f"{project.name}-{case}"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(project, work, symlinks=True)
    path = work / rel
    if old == DELETE:
        shutil.rmtree(path)
    elif not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(new)
        if BUILD in new:
            (path.parent / "backend.py").write_text(_BACKEND)
    elif old == EOF:
        path.write_text(path.read_text() + new)
        if BUILD in new:
            (path.parent / "backend.py").write_text(_BACKEND)
    elif old:
        text = path.read_text()
        assert old in text, case
        path.write_text(text.replace(old, new, 1))
    return work


def _verdicts(project: Path, case: str, rel: str, old: str, new: str) -> tuple[bool, str, list[str]]:
    work = _apply(project, case, rel, old, new)
    uv_stale, uv_said = _uv_check(work, _env(project.parent))
    found = [f.message for f in check(work, "DEP004").findings if f.location.path == "uv.lock"]
    return uv_stale, uv_said, found


def _ids(cases: list[tuple[str, str, str, str]]) -> list[str]:
    return [c[0] for c in cases]


@pytest.mark.parametrize(("case", "rel", "old", "new"), VIRTUAL_CASES, ids=_ids(VIRTUAL_CASES))
def test_virtual_project_agrees_with_uv(
    projects: dict[str, Path], case: str, rel: str, old: str, new: str
) -> None:
    uv_stale, uv_said, found = _verdicts(projects["virtual"], case, rel, old, new)
    assert bool(found) == uv_stale, (case, uv_stale, uv_said, found)


@pytest.mark.parametrize(("case", "rel", "old", "new"), PACKAGE_CASES, ids=_ids(PACKAGE_CASES))
def test_package_project_agrees_with_uv(
    projects: dict[str, Path], case: str, rel: str, old: str, new: str
) -> None:
    uv_stale, uv_said, found = _verdicts(projects["package"], case, rel, old, new)
    assert bool(found) == uv_stale, (case, uv_stale, uv_said, found)


@pytest.mark.parametrize(("case", "rel", "old", "new"), WORKSPACE_CASES, ids=_ids(WORKSPACE_CASES))
def test_workspace_agrees_with_uv(projects: dict[str, Path], case: str, rel: str, old: str, new: str) -> None:
    uv_stale, uv_said, found = _verdicts(projects["workspace"], case, rel, old, new)
    assert bool(found) == uv_stale, (case, uv_stale, uv_said, found)


@pytest.mark.parametrize(("case", "rel", "old", "new"), VROOT_CASES, ids=_ids(VROOT_CASES))
def test_virtual_workspace_root_agrees_with_uv(
    projects: dict[str, Path], case: str, rel: str, old: str, new: str
) -> None:
    uv_stale, uv_said, found = _verdicts(projects["vroot"], case, rel, old, new)
    assert bool(found) == uv_stale, (case, uv_stale, uv_said, found)


def test_uv_writes_the_python_range_its_own_way(projects: dict[str, Path]) -> None:
    """The premise of the requires-python cases: the lock's text is not the manifest's."""
    lock = (projects["virtual"] / "uv.lock").read_text()
    assert 'requires-python = "==3.11.*"' in lock


def test_workspace_members_are_pinned_by_the_root_lock(projects: dict[str, Path]) -> None:
    """A member folder is locked by the workspace's uv.lock (no DEP003), and a member that
    another member depends on is not a range to pin; an excluded folder is not a member."""
    ws = projects["workspace"]
    dep003 = check(ws, "DEP003").findings
    assert [f.location.path for f in dep003] == ["packages/scratch/pyproject.toml"], [
        f.message for f in dep003
    ]
    assert "delta" in dep003[0].message
    assert not check(ws, "DEP004").findings


def test_a_lone_member_naming_a_sibling_is_not_a_range(projects: dict[str, Path], tmp_path: Path) -> None:
    """Without a lock, a workspace member's dependency on another member is not listed
    among the ranges to pin; its real ranges are."""
    work = tmp_path / "ws"
    shutil.copytree(projects["workspace"], work)
    (work / "uv.lock").unlink()
    found = [f for f in check(work, "DEP003").findings if f.location.path == "packages/model/pyproject.toml"]
    assert len(found) == 1
    assert "declares 1 dependency" in found[0].message and "gamma" in found[0].message


def test_source_marker_message_names_what_differs(projects: dict[str, Path]) -> None:
    """Both sides of the message differ where the only change is the marker."""
    case = next(c for c in VIRTUAL_CASES if c[0] == "marker-on-index-source")
    uv_stale, _, found = _verdicts(projects["virtual"], f"msg-{case[0]}", *case[1:])
    assert uv_stale and len(found) == 1
    declared, recorded = found[0].split(" but ", 1)
    assert "sys_platform ==" in declared and "linux" in declared, found[0]
    assert "everywhere" in recorded and "linux" not in recorded, found[0]


def test_member_finding_points_at_the_members_package(projects: dict[str, Path]) -> None:
    """A member's stale version is reported on that member's [[package]] in uv.lock."""
    case = next(c for c in WORKSPACE_CASES if c[0] == "member-version")
    work = _apply(projects["workspace"], "line-member-version", *case[1:])
    found = [f for f in check(work, "DEP004").findings if "version 0.2.0" in f.message]
    assert len(found) == 1, [f.message for f in check(work, "DEP004").findings]
    lines = (work / "uv.lock").read_text().splitlines()
    assert found[0].location.line is not None
    assert lines[found[0].location.line - 1] == "[[package]]"
    assert lines[found[0].location.line] == 'name = "model"'
