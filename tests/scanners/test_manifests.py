from __future__ import annotations

from pathlib import Path

import pytest

from envaudit.inventory import Inventory
from envaudit.scanners.manifests import conda_spec, poetry_to_pep440
from tests.conftest import write


def scan(root: Path):  # type: ignore[no-untyped-def]
    inv = Inventory(root, environ={})
    return inv, inv.get("manifests")


def rows(m):  # type: ignore[no-untyped-def]
    return [(d.name, d.specifier, d.line, d.source, d.role, d.group) for d in m.requirements]


def test_pyproject_pep621_pep735_and_poetry(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": """
                [project]
                name = "x"
                dependencies = [
                  "torch>=2.3",
                  "numpy==1.26.4; python_version < '3.0'",
                ]
                [project.optional-dependencies]
                dev = ["pytest>=8"]

                [dependency-groups]
                test = ["coverage", {include-group = "lint"}]
                lint = ["ruff==0.6.0"]

                [tool.poetry.dependencies]
                python = "^3.10"
                requests = "^2.31"
                pinned = "1.2.3"
                lib = { git = "https://github.com/a/b.git", rev = "main" }

                [tool.poetry.group.docs.dependencies]
                sphinx = "~7.2"
            """
        },
    )
    inv, m = scan(tmp_path)
    assert inv.diagnostics == []
    assert rows(m) == [
        ("torch", ">=2.3", 4, "pyproject", "range", None),
        ("numpy", "==1.26.4", 5, "pyproject", "range", None),
        ("pytest", ">=8", 8, "pyproject", "range", "dev"),
        ("coverage", "", 11, "pyproject", "range", "test"),
        ("ruff", "==0.6.0", 12, "pyproject", "range", "test"),
        ("ruff", "==0.6.0", 12, "pyproject", "range", "lint"),
        ("requests", ">=2.31,<3.0", 16, "poetry", "range", None),
        ("pinned", "==1.2.3", 17, "poetry", "range", None),
        ("lib", "", 18, "poetry", "range", None),
        ("sphinx", ">=7.2,<7.3", 21, "poetry", "range", "docs"),
    ]
    numpy = m.requirements[1]
    assert not numpy.applies and numpy.exact_version == "1.26.4"
    assert m.requirements[8].url == "git+https://github.com/a/b.git@main"
    assert m.files[0].has_dependencies and m.files[0].python == "^3.10"


@pytest.mark.parametrize(
    ("poetry", "pep440"),
    [
        ("^1.2.3", ">=1.2.3,<2.0.0"),
        ("^0.2.3", ">=0.2.3,<0.3.0"),
        ("^0.0.3", ">=0.0.3,<0.0.4"),
        ("^0", ">=0,<1"),
        ("~1.2.3", ">=1.2.3,<1.3.0"),
        ("~1", ">=1,<2"),
        ("1.2.3", "==1.2.3"),
        ("*", ""),
        ("1.2.*", "==1.2.*"),
        (">=1.0 <2.0", ">=1.0,<2.0"),
        ("~=1.4", "~=1.4"),
        ("^1.0 || ^2.0", ""),
    ],
)
def test_poetry_constraints(poetry: str, pep440: str) -> None:
    assert poetry_to_pep440(poetry) == pep440


@pytest.mark.parametrize(
    ("spec", "pep440"),
    [
        ("=1.26.4", "==1.26.4"),
        ("=1.26", "==1.26.*"),
        ("==1.26.4", "==1.26.4"),
        ("1.26.4 py311_0", "==1.26.4"),
        ("1.2|1.3", ""),
        (">=2", ">=2"),
        ("", ""),
    ],
)
def test_conda_specs(spec: str, pep440: str) -> None:
    assert conda_spec(spec)[0] == pep440


def test_setup_cfg_and_environment_yml(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "setup.cfg": """
                [metadata]
                name = x
                [options]
                install_requires =
                    requests>=2
                    click==8.1.7
                [options.extras_require]
                test = pytest
            """,
            "conda/environment.yml": """
                name: ml
                dependencies:
                  - python=3.10
                  - numpy=1.26.4
                  - conda-forge::scipy>=1.11
                  - pip
                  - pip:
                      - transformers==4.40.0
                      - git+https://github.com/huggingface/peft@main#egg=peft
            """,
        },
    )
    inv, m = scan(tmp_path)
    assert inv.diagnostics == []
    assert rows(m) == [
        ("numpy", "==1.26.4", 4, "conda", "pin", None),
        ("scipy", ">=1.11", 5, "conda", "pin", None),
        ("transformers", "==4.40.0", 8, "conda-pip", "pin", None),
        ("peft", "", 9, "conda-pip", "pin", None),
        ("requests", ">=2", 5, "setup.cfg", "range", None),
        ("click", "==8.1.7", 6, "setup.cfg", "range", None),
        ("pytest", "", 8, "setup.cfg", "range", "test"),
    ]
    assert m.requirements[3].url.startswith("git+https://")


def test_invalid_toml_yaml_ini_are_findings_with_lines(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "x"\ndependencies = ["a",\n',
            "environment.yml": "name: x\ndependencies:\n  - numpy\n  - [unclosed\n",
            "setup.cfg": "no section header\n",
            "sub/pyproject.toml": '[project]\ndependencies = ["not a valid req!!"]\n',
        },
    )
    inv, m = scan(tmp_path)
    got = {d.path: (d.line, d.message) for d in inv.diagnostics}
    assert got["pyproject.toml"][1].startswith("invalid TOML") and got["pyproject.toml"][0] is not None
    assert got["environment.yml"][1].startswith("invalid YAML") and got["environment.yml"][0] == 5
    assert got["setup.cfg"][1].startswith("invalid setup.cfg") and got["setup.cfg"][0] == 1
    assert "invalid requirement" in got["sub/pyproject.toml"][1] and got["sub/pyproject.toml"][0] == 2
    assert m.requirements == ()


def test_environment_yml_pip_section_takes_per_requirement_options(tmp_path: Path) -> None:
    """conda hands the `pip:` lines to `pip install -r`, so `--hash` and `--config-settings`
    belong to the requirement: no EA001, and the requirement is audited with its hashes."""
    from tests.conftest import check

    write(
        tmp_path,
        {
            "environment.yml": """
                name: x
                dependencies:
                  - python=3.11
                  - pip
                  - pip:
                    - torch==2.3.1 --hash=sha256:0123abcd
                    - mypkg==1.0 --config-settings="--build-option=--fast"
                    - "other==2 --hash sha256:4567ef01 --hash=sha256:89ab"
                    - broken==1 --hash=nothex
            """
        },
    )
    inv = Inventory(tmp_path)
    got = {d.name: d.hashes for d in inv.get("manifests").requirements if d.source == "conda-pip"}
    assert got == {
        "torch": ("sha256:0123abcd",),
        "mypkg": (),
        "other": ("sha256:4567ef01", "sha256:89ab"),
        "broken": (),
    }
    res = check(tmp_path, "DEP002,EA001")  # EA001 reports what the scanners the DEP rules ran met
    ea = [(f.location.line, f.message) for f in res.findings if f.code == "EA001"]
    assert ea == [(9, "malformed --hash value 'nothex' (expected algorithm:hexdigest)")]
