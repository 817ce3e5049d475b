from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import check, codes, write
from tests.fakeenv import dist_info, make_venv

H1 = "--hash=sha256:" + "a" * 64
H2 = "--hash=sha256:" + "b" * 64
SHA = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
def proj(tmp_path: Path) -> Path:
    p = tmp_path / "proj"
    p.mkdir()
    return p


def run(root: Path, select: str, installed: dict[str, str] | None = None, *, requires=None, version="3.11.7"):  # type: ignore[no-untyped-def]
    env = root.parent / "env"
    if not env.exists():
        make_venv(env, installed or {}, version=version, requires=requires)
    return check(root, select, python=str(env), environ={})


def located(res):  # type: ignore[no-untyped-def]
    return [(f.code, f.location.path, f.location.line) for f in res.findings]


# ---------------------------------------------------------------- DEP001
def test_dep001_no_manifest(proj: Path) -> None:
    write(proj, {"train.py": "import torch\n"})
    assert codes(run(proj, "DEP001")) == ["DEP001"]


@pytest.mark.parametrize(
    "files",
    [
        {"requirements.txt": ""},
        {"requirements.in": "torch\n"},
        {"pyproject.toml": '[project]\nname = "x"\ndependencies = []\n'},
        {"pyproject.toml": '[project]\nname = "x"\ndynamic = ["dependencies"]\n'},
        {"Pipfile": "[packages]\n"},
        {"uv.lock": "version = 1\n"},
        {"environment.yml": "dependencies:\n  - numpy\n"},
        {"setup.py": "from setuptools import setup\nsetup()\n"},
    ],
)
def test_dep001_any_manifest_counts(proj: Path, files: dict[str, str]) -> None:
    write(proj, files)
    assert codes(run(proj, "DEP001")) == []


def test_dep001_pyproject_without_dependencies_is_no_manifest(proj: Path) -> None:
    write(proj, {"pyproject.toml": '[project]\nname = "x"\n'})
    assert codes(run(proj, "DEP001")) == ["DEP001"]


# ---------------------------------------------------------------- DEP002
def test_dep002_fires_on_unpinned_and_offers_the_installed_pin(proj: Path) -> None:
    write(proj, {"requirements.txt": "torch\nnumpy>=1.26\npandas~=2.2\nscipy==1.13.*\nrequests!=2.0\n"})
    res = run(proj, "DEP002", {"torch": "2.3.1+cu121"})
    assert located(res) == [("DEP002", "requirements.txt", n) for n in (1, 2, 3, 4, 5)]
    fix = res.findings[0].fix
    assert fix is not None and fix.diff is not None
    assert "-torch\n+torch==2.3.1+cu121\n" in fix.diff


def test_dep002_never_proposes_a_pin_outside_the_declared_range(proj: Path) -> None:
    write(proj, {"requirements.txt": "setuptools>=70.0.0\nnumpy>=1.20,<2\n"})
    res = run(proj, "DEP002", {"setuptools": "65.5.0", "numpy": "1.26.4"})
    fixes = {f.fact.name: f.fix for f in res.findings}
    assert "setuptools==65.5.0" not in fixes["setuptools"].description
    assert fixes["setuptools"].diff is None
    assert "does not satisfy `>=70.0.0`" in fixes["setuptools"].description
    # inside the range the installed version is still offered, with its diff
    assert "`numpy==1.26.4`" in fixes["numpy"].description and fixes["numpy"].diff


def test_dep002_true_negatives(proj: Path) -> None:
    write(
        proj,
        {
            "requirements.txt": (
                "torch==2.3.1 \\\n    --hash=sha256:" + "a" * 64 + "\n"  # a pin behind a continuation line
                "legacy===1.0-custom\n"  # `===` pin
                "-r requirements/base.txt\n"
                "-c constraints.txt\n"
                "scipy\n"  # pinned by the -c constraints file
                "-e .\n"  # the project itself
                f"pkg @ git+https://github.com/a/b@{SHA}\n"  # URL requirements are DEP010's job
            ),
            "requirements/base.txt": "numpy==1.26.4\n",  # a pin in an included file
            "constraints.txt": "scipy==1.13.1\nanything>=1\n",  # constraints may be ranges
            "requirements.in": "torch>=2\n",  # ranges belong in .in files
            "pyproject.toml": '[project]\nname = "x"\ndependencies = ["torch>=2"]\n',
        },
    )
    assert codes(run(proj, "DEP002")) == []


def test_dep002_marker_does_not_excuse_a_missing_pin(proj: Path) -> None:
    write(proj, {"requirements.txt": 'pywin32 ; sys_platform == "win32"\n'})
    assert codes(run(proj, "DEP002")) == ["DEP002"]


def test_dep002_unpinned_in_an_included_file_points_there(proj: Path) -> None:
    write(proj, {"requirements.txt": "-r reqs/base.txt\n", "reqs/base.txt": "# base\nnumpy\n"})
    assert located(run(proj, "DEP002")) == [("DEP002", "reqs/base.txt", 2)]


def test_dep002_conda_environment(proj: Path) -> None:
    write(
        proj,
        {
            "environment.yml": "dependencies:\n  - python=3.11\n  - numpy=1.26.4\n  - scipy=1.13\n  - pandas\n  - pip:\n    - torch>=2\n"
        },
    )
    assert located(run(proj, "DEP002")) == [
        ("DEP002", "environment.yml", 4),
        ("DEP002", "environment.yml", 5),
        ("DEP002", "environment.yml", 7),
    ]


def test_dep002_suppressed_on_a_continuation_line(proj: Path) -> None:
    write(proj, {"requirements.txt": "torch>=2 \\\n   --hash=sha256:00  # envaudit: ignore[DEP002]\n"})
    res = run(proj, "DEP002")
    assert codes(res) == [] and res.suppressed == 1


# ---------------------------------------------------------------- DEP005
def test_dep005_file_without_hashes(proj: Path) -> None:
    write(proj, {"requirements.txt": "torch==2.3.1\nnumpy==1.26.4\n"})
    res = run(proj, "DEP005")
    assert located(res) == [("DEP005", "requirements.txt", None)]
    assert res.findings[0].severity.label == "warning" and "2 pinned" in res.findings[0].message


def test_dep005_hash_mode_is_all_or_nothing(proj: Path) -> None:
    write(
        proj,
        {
            "requirements.txt": f"torch==2.3.1 {H1} {H2}\n-r more.txt\nnumpy==1.26.4\n",
            "more.txt": "scipy==1.13.1\n",
        },
    )
    res = run(proj, "DEP005")
    assert located(res) == [("DEP005", "more.txt", 1), ("DEP005", "requirements.txt", 3)]
    assert all(f.severity.label == "error" for f in res.findings)


def test_dep005_require_hashes_option(proj: Path) -> None:
    write(proj, {"requirements.txt": "--require-hashes\nnumpy==1.26.4\n"})
    res = run(proj, "DEP005")
    assert (
        located(res) == [("DEP005", "requirements.txt", 2)] and "--require-hashes" in res.findings[0].message
    )


def test_dep005_fully_hashed_and_ranges_are_silent(proj: Path) -> None:
    write(
        proj,
        {
            "requirements.txt": f"torch==2.3.1 \\\n  {H1}\nwheel @ https://x.org/w-1.0-py3-none-any.whl#sha256={'c' * 64}\n",
            "requirements.in": "torch>=2\n",
            "constraints.txt": "numpy==1.26.4\n",
        },
    )
    assert codes(run(proj, "DEP005")) == []


def test_dep005_hash_pip_cannot_check(proj: Path) -> None:
    """An algorithm pip refuses, or a digest of the wrong length: an error on its own line,
    and the well-formed hashes beside it are not blamed."""
    write(
        proj,
        {
            "requirements.txt": (
                f"click==8.1.7 \\\n    --hash=sha256:{'8' * 63}\n"  # one hex digit short
                f"packaging==24.0 {H1}\n"
                f"idna==3.7 --hash=md5:{'a' * 32}\n"  # pip: sha256, sha384, sha512 only
                f"six==1.16.0 --hash=sha512:{'a' * 64}\n"  # a sha256's length for a sha512
                f"attrs==23.2.0 --hash=sha256:{'g' * 64}\n"  # not hex
            ),
        },
    )
    res = run(proj, "DEP005")
    assert located(res) == [
        ("DEP005", "requirements.txt", 1),
        ("DEP005", "requirements.txt", 4),
        ("DEP005", "requirements.txt", 5),
        ("DEP005", "requirements.txt", 6),
    ]
    assert all(f.severity.label == "error" for f in res.findings)
    msgs = [f.message for f in res.findings]
    assert "`click`" in msgs[0] and "63 hex characters, not 64" in msgs[0]
    assert "`idna`" in msgs[1] and "`md5`" in msgs[1] and "sha256, sha384, sha512" in msgs[1]
    assert "`six`" in msgs[2] and "64 hex characters, not 128" in msgs[2]
    assert "`attrs`" in msgs[3] and "not hexadecimal" in msgs[3]
    assert not any("packaging" in m for m in msgs)


def test_dep005_valid_hashes_of_each_algorithm_are_silent(proj: Path) -> None:
    write(
        proj,
        {
            "requirements.txt": (
                f"a==1 --hash=sha256:{'A' * 64}\n"  # upper-case hex: pip compares case-blind
                f"b==1 --hash=sha384:{'b' * 96}\n"
                f"c==1 --hash=sha512:{'c' * 128} --hash=sha256:{'d' * 64}\n"
            ),
        },
    )
    assert codes(run(proj, "DEP005")) == []


# ---------------------------------------------------------- DEP006/DEP007
def test_dep006_drift_and_local_versions(proj: Path) -> None:
    write(
        proj,
        {
            "requirements.txt": (
                "torch==2.3.1\n"  # installed 2.3.1+cu121: satisfied
                "torchvision==0.18.1+cu121\n"  # installed 0.18.1: NOT satisfied
                "numpy==1.26.4\n"  # installed 2.0.1: drift
                "Pillow==10.3\n"  # installed 10.3.0: equal versions
                "scipy===1.13.1\n"  # === compares strings
            ),
        },
    )
    res = run(
        proj,
        "DEP006",
        {
            "torch": "2.3.1+cu121",
            "torchvision": "0.18.1",
            "numpy": "2.0.1",
            "pillow": "10.3.0",
            "scipy": "1.13.1",
        },
    )
    assert located(res) == [("DEP006", "requirements.txt", 2), ("DEP006", "requirements.txt", 3)]
    assert "2.0.1 is installed" in res.findings[1].message


def test_dep006_marker_excluding_the_target_never_fires(proj: Path) -> None:
    write(
        proj,
        {
            "requirements.txt": 'numpy==1.26.4 ; python_version < "3.10"\nnumpy==2.0.1 ; python_version >= "3.10"\n'
        },
    )
    assert codes(run(proj, "DEP006,DEP007", {"numpy": "2.0.1"})) == []


def test_markers_use_the_target_interpreter_not_envaudits(proj: Path) -> None:
    write(proj, {"requirements.txt": 'tomli==2.0.1 ; python_version < "3.11"\n'})
    # the target is 3.10: the marker holds there, whatever Python runs envaudit
    assert codes(run(proj, "DEP007", {}, version="3.10.14")) == ["DEP007"]


def test_dep007_not_installed_and_true_negatives(proj: Path) -> None:
    write(
        proj,
        {
            "requirements.txt": 'torch==2.3.1\npywin32==306 ; sys_platform == "win32"\n-c constraints.txt\n',
            "constraints.txt": "urllib3==2.2.1\n",  # constraints install nothing
        },
    )
    res = run(proj, "DEP007", {})
    assert located(res) == [("DEP007", "requirements.txt", 1)]


def test_dep006_reads_a_pin_in_an_included_file(proj: Path) -> None:
    write(proj, {"requirements.txt": "-r base.txt\n", "base.txt": "numpy==1.26.4\n"})
    assert located(run(proj, "DEP006", {"numpy": "1.26.3"})) == [("DEP006", "base.txt", 1)]


def test_dep006_installed_outside_a_pyproject_range(proj: Path) -> None:
    write(
        proj,
        {
            "pyproject.toml": (
                '[project]\nname = "p"\nversion = "0"\n'
                'dependencies = ["numpy>=2.1,<2.3", "six==1.16.0", "torch==2.3.1", "requests>=2", "absent>=1"]\n'
            ),
        },
    )
    res = run(
        proj, "DEP006", {"numpy": "2.0.2", "six": "1.17.0", "torch": "2.3.1+cu121", "requests": "2.32.3"}
    )
    msgs = sorted(f.message for f in res.findings)
    assert len(msgs) == 2, msgs  # torch's local version and requests inside its range: silent
    assert any("`numpy`: installed 2.0.2 does not satisfy the declared" in m for m in msgs)
    assert any("`six`: installed 1.17.0 does not satisfy the declared ==1.16.0" in m for m in msgs)
    assert all(f.location.path == "pyproject.toml" for f in res.findings)


def test_dep006_range_true_negatives(proj: Path) -> None:
    # a marker excluding the target, a sub-project's own range, and a pin drift already named
    write(
        proj,
        {
            "pyproject.toml": (
                '[project]\nname = "p"\nversion = "0"\n'
                'dependencies = ["numpy>=2 ; python_version < \'3.8\'", "scipy>=1.11"]\n'
            ),
            "requirements.txt": "scipy==1.11.4\n",
            "sub/pyproject.toml": '[project]\nname = "s"\nversion = "0"\ndependencies = ["pandas>=3"]\n',
        },
    )
    res = run(proj, "DEP006", {"numpy": "1.26.4", "scipy": "1.10.1", "pandas": "2.2.2"})
    assert located(res) == [("DEP006", "requirements.txt", 1)]  # the pin drift only, once


def test_dep006_range_needs_a_found_environment(proj: Path, tmp_path: Path) -> None:
    write(proj, {"requirements.in": "numpy>=2\n"})
    assert codes(check(proj, "DEP006", environ={"HOME": str(tmp_path / "home")})) == ["EA004"]
    assert codes(run(proj, "DEP006", {"numpy": "1.26.4"})) == ["DEP006"]


# ------------------------------------------- fix texts stay inside declared ranges
def _fix(res, code: str) -> str:  # type: ignore[no-untyped-def]
    f = next(f for f in res.findings if f.code == code)
    assert f.fix is not None
    return f.fix.description


def test_dep006_fix_never_proposes_a_pin_outside_requirements_in(proj: Path) -> None:
    write(proj, {"requirements.in": "numpy>=2\n", "requirements.txt": "numpy==2.0.2\n"})
    text = _fix(run(proj, "DEP006", {"numpy": "1.26.4"}), "DEP006")
    assert "update the pin to 1.26.4" not in text
    assert "1.26.4 is outside `>=2` declared at requirements.in:1" in text
    assert "pip install 'numpy==2.0.2'" in text


def test_dep006_fix_checks_pyproject_and_still_offers_an_update_inside_it(proj: Path, tmp_path: Path) -> None:
    write(
        proj,
        {
            "pyproject.toml": '[project]\nname = "p"\nversion = "0"\ndependencies = ["numpy>=2"]\n',
            "requirements.txt": "numpy==2.0.2\n",
        },
    )
    assert "outside `>=2` declared at pyproject.toml" in _fix(
        run(proj, "DEP006", {"numpy": "1.26.4"}), "DEP006"
    )
    # true negative: the installed version is inside the range, so updating the pin is fine
    other = tmp_path / "other"
    write(other, {"requirements.in": "numpy>=2\n", "requirements.txt": "numpy==2.0.2\n"})
    make_venv(tmp_path / "env2", {"numpy": "2.1.0"})
    res = check(other, "DEP006", python=str(tmp_path / "env2"), environ={})
    assert "or update the pin to 2.1.0" in _fix(res, "DEP006")


def test_dep002_fix_checks_the_pyproject_range(proj: Path) -> None:
    write(
        proj,
        {
            "pyproject.toml": '[project]\nname = "p"\nversion = "0"\ndependencies = ["numpy>=2.1,<2.3"]\n',
            "requirements.txt": "numpy\nsix\n",
        },
    )
    res = run(proj, "DEP002", {"numpy": "2.0.2", "six": "1.16.0"})
    numpy = next(f for f in res.findings if "`numpy`" in f.message)
    assert numpy.fix is not None and "numpy==2.0.2" not in numpy.fix.description
    assert "outside `<2.3,>=2.1`" in numpy.fix.description or "outside `>=2.1,<2.3`" in numpy.fix.description
    six = next(f for f in res.findings if "`six`" in f.message)  # no range declared: the pin is offered
    assert six.fix is not None and "six==1.16.0" in six.fix.description


def test_dep002_conda_range_is_checked(proj: Path) -> None:
    write(proj, {"environment.yml": "name: p\ndependencies:\n  - scipy>=1.11\n  - pandas\n"})
    res = run(proj, "DEP002", {"scipy": "1.10.1", "pandas": "2.2.2"})
    scipy = next(f for f in res.findings if "`scipy`" in f.message)
    assert scipy.fix is not None and "scipy==1.10.1" not in scipy.fix.description
    assert "does not satisfy" in scipy.fix.description
    pandas = next(f for f in res.findings if "`pandas`" in f.message)
    assert pandas.fix is not None and "pandas==2.2.2" in pandas.fix.description


# ---------------------------------------------------------------- DEP009
def test_dep009_pip_check_equivalent(proj: Path, tmp_path: Path) -> None:
    write(proj, {"requirements.txt": ""})
    env = tmp_path / "env"
    site = make_venv(env, {"tokenizers": "0.15.2", "filelock": "3.13.1"})
    dist_info(
        site,
        "transformers",
        "4.40.0",
        [
            "tokenizers<0.20,>=0.19",  # wrong version installed
            "filelock",  # satisfied
            "safetensors>=0.4.1",  # missing
            'pywin32 ; sys_platform == "win32"',  # not for this platform
            'accelerate>=0.21 ; extra == "torch"',  # extras are not checked (as pip check)
            'tomli ; python_version < "3.11"',  # the target is 3.11
        ],
    )
    res = check(proj, "DEP009", python=str(env), environ={})
    assert sorted(f.message for f in res.findings) == [
        "transformers 4.40.0 requires safetensors>=0.4.1, which is not installed",
        "transformers 4.40.0 requires tokenizers<0.20,>=0.19, but tokenizers 0.15.2 is installed",
    ]


def test_dep009_consistent_environment(proj: Path) -> None:
    write(proj, {"requirements.txt": ""})
    res = run(proj, "DEP009", {"a": "1.0", "b": "2.0rc1"}, requires={"a": ["B>=2.0rc1"]})
    assert codes(res) == []


# ---------------------------------------------------------------- DEP010
def test_dep010_vcs_and_urls(proj: Path) -> None:
    write(
        proj,
        {
            "requirements.txt": (
                "git+https://github.com/org/a@main#egg=a\n"
                "-e git+https://github.com/org/b#egg=b\n"
                "c @ git+https://github.com/org/c@v1.0\n"
                "https://example.com/d-1.0.tar.gz\n"
                f"e @ git+https://github.com/org/e@{SHA}\n"  # commit: fine
                f"https://example.com/f-1.0.tar.gz#sha256={'f' * 64}\n"  # hash fragment: fine
                f"https://example.com/g-1.0.tar.gz {H1}\n"  # --hash: fine
                "./vendored/h\n"  # inside the project: fine
                "-e .\n"
            ),
            "pyproject.toml": '[project]\nname = "x"\ndependencies = ["i @ git+https://github.com/org/i@develop"]\n',
        },
    )
    assert located(run(proj, "DEP010")) == [
        ("DEP010", "pyproject.toml", 3),
        ("DEP010", "requirements.txt", 1),
        ("DEP010", "requirements.txt", 2),
        ("DEP010", "requirements.txt", 3),
        ("DEP010", "requirements.txt", 4),
    ]


def test_dep010_redacts_credentials(proj: Path) -> None:
    write(proj, {"requirements.txt": "git+https://user:ghp_secret@github.com/org/a@main#egg=a\n"})
    res = run(proj, "DEP010")
    assert codes(res) == ["DEP010"] and "ghp_secret" not in res.findings[0].message


# ---------------------------------------------------------------- DEP011
def test_dep011_conflicting_pins(proj: Path) -> None:
    write(
        proj,
        {
            "requirements.txt": "numpy==1.26.4\ntorch==2.3.1\n",
            "requirements/gpu.txt": "numpy==2.0.1\ntorch==2.3.1+cu121\n",  # a local variant is not a conflict
            "requirements-old.txt": 'numpy==1.21.0 ; python_version < "3.8"\n',  # not for the target
        },
    )
    res = run(proj, "DEP011")
    assert located(res) == [("DEP011", "requirements/gpu.txt", 1)]
    assert "requirements.txt:1" in res.findings[0].message


# ---------------------------------------------------------------- DEP012
def test_dep012_dev_tools_in_runtime(proj: Path) -> None:
    write(
        proj,
        {
            "requirements.txt": "torch==2.3.1\npytest==8.2.0\npytest-cov==5.0\n",
            "requirements-dev.txt": "ruff==0.6.0\n",
            "requirements/test.txt": "hypothesis==6.0\n",
            "pyproject.toml": (
                '[project]\nname = "x"\ndependencies = ["black>=24"]\n'
                '[project.optional-dependencies]\ndev = ["mypy"]\n'
                '[dependency-groups]\nlint = ["flake8"]\n'
            ),
        },
    )
    assert located(run(proj, "DEP012")) == [
        ("DEP012", "pyproject.toml", 3),
        ("DEP012", "requirements.txt", 2),
        ("DEP012", "requirements.txt", 3),
    ]


# ---------------------------------------------------------------- DEP013
@pytest.mark.parametrize(
    "files",
    [
        {"requirements.txt": "numpy==1.26.4\ntorch==2.3.1+cu121\n"},
        # PyPI named explicitly serves no local version either
        {"requirements.txt": "--index-url https://pypi.org/simple\ntorch==2.3.1+cpu\n"},
        # the rye / fix-pins lock name is audited too
        {"requirements.lock": "torchvision==0.18.1+cu118\n"},
        {"environment.yml": "dependencies:\n  - python=3.11\n  - pip:\n    - torch==2.3.1+cu121\n"},
    ],
)
def test_dep013_fires(proj: Path, files: dict[str, str]) -> None:
    write(proj, files)
    res = run(proj, "DEP013")
    assert codes(res) == ["DEP013"]
    f = res.findings[0]
    assert f.location.line is not None
    if "torch==" in next(iter(files.values())) and "cu121" in next(iter(files.values())):
        assert "https://download.pytorch.org/whl/cu121" in f.fix.description  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "files",
    [
        {
            "requirements.txt": "--extra-index-url https://download.pytorch.org/whl/cu121\ntorch==2.3.1+cu121\n"
        },
        {"requirements.txt": "-f ./wheels\ntorch==2.3.1+cpu\n"},
        # the index is in an included file
        {
            "requirements.txt": "-r base.txt\ntorch==2.3.1+cpu\n",
            "base.txt": "-i https://mirror.example/simple\n",
        },
        # compiled with --no-emit-index-url: the .in source names it
        {
            "requirements.in": "--extra-index-url https://download.pytorch.org/whl/cpu\ntorch\n",
            "requirements.txt": "torch==2.3.1+cpu\n",
        },
        # a direct URL serves itself; a public version and a range are not local versions
        {
            "requirements.txt": "torch @ https://download.pytorch.org/whl/cpu/torch-2.3.1%2Bcpu-cp311-cp311-linux_x86_64.whl\n"
        },
        {"requirements.txt": "torch==2.3.1\nfoo>=1.0+abc\n"},
        # a constraint installs nothing
        {
            "requirements.txt": "-c constraints.txt\nnumpy==1.26.4\n",
            "constraints.txt": "torch==2.3.1+cu121\n",
        },
        {
            "environment.yml": "dependencies:\n  - pip:\n    - --extra-index-url https://download.pytorch.org/whl/cu121\n"
            "    - torch==2.3.1+cu121\n"
        },
    ],
)
def test_dep013_does_not_fire(proj: Path, files: dict[str, str]) -> None:
    write(proj, files)
    assert codes(run(proj, "DEP013")) == []


@pytest.mark.parametrize("rel", ["requirements.lock", "requirements-dev.lock", "requirements/prod.txt"])
def test_pin_files_other_tools_write_are_audited(proj: Path, rel: str) -> None:
    """rye's requirements*.lock, `fix pins -o requirements.lock`, requirements/*.txt."""
    write(proj, {rel: "numpy>=1\n"})
    assert [(c, p) for c, p, _ in located(run(proj, "DEP002"))] == [("DEP002", rel)]


def test_dep002_conda_fix_speaks_conda(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "environment.yml": """
                name: x
                dependencies:
                  - python=3.11
                  - pytorch-cuda=12.1
                  - pytorch
            """
        },
    )
    res = check(tmp_path, "DEP002")
    fixes = {f.message.split("`")[1]: f for f in res.findings}
    assert set(fixes) == {"pytorch-cuda", "pytorch"}
    for f in res.findings:
        assert "pip show" not in f.fix.description
        assert "conda list" in f.fix.description or "installed version" in f.fix.description
    assert "conda's `=12.1` means `==12.1.*`" in fixes["pytorch-cuda"].message


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("pyproject.toml", "[project\nname = 'x'\n"),
        ("environment.yml", "name: x\ndependencies: [a\n"),
        ("requirements.txt", b"\xff\xfe\x00binary"),
    ],
)
def test_dep001_not_doubled_by_an_unreadable_manifest(tmp_path: Path, name: str, text: str | bytes) -> None:
    write(tmp_path, {name: text})
    res = check(tmp_path, "DEP001,EA001")
    assert codes(res) == ["EA001"]
    assert res.findings[0].location.path == name


def test_dep001_still_fires_without_any_manifest(tmp_path: Path) -> None:
    write(tmp_path, {"train.py": "import numpy\n", "notes.toml": "[broken\n"})
    assert "DEP001" in codes(check(tmp_path, "DEP001,EA001"))


# ------------------------------------------------- one cause, one finding
def _uv_lock(pins: dict[str, str]) -> str:
    deps = ", ".join(f'{{ name = "{n}" }}' for n in pins)
    out = 'version = 1\nrevision = 2\nrequires-python = ">=3.10"\n\n[[package]]\nname = "p"\nversion = "0"\n'
    out += f'source = {{ editable = "." }}\ndependencies = [{deps}]\n'
    for n, v in pins.items():
        out += f'\n[[package]]\nname = "{n}"\nversion = "{v}"\nsource = {{ registry = "https://pypi.org/simple" }}\n'
    return out


def test_dep007_a_lock_mostly_missing_is_one_finding(proj: Path) -> None:
    pins = {f"pkg{i}": "1.0" for i in range(8)}
    write(proj, {"uv.lock": _uv_lock(pins)})
    res = run(proj, "DEP007", {"pkg0": "1.0"})
    (f,) = res.findings
    assert f.location.path == "uv.lock" and f.location.line is None
    assert "not installed from uv.lock: 7 of 8 pins missing" in f.message
    assert "`pkg1==1.0`" in f.message and "and 2 more" in f.message
    assert f.fix is not None and "uv sync" in f.fix.description
    assert len(f.fact["missing"]) == 7  # JSON keeps every name


def test_dep007_a_few_missing_are_each_reported(proj: Path) -> None:
    write(proj, {"requirements.txt": "a==1\nb==1\nc==1\nd==1\ne==1\nf==1\n"})
    res = run(proj, "DEP007", {"a": "1", "b": "1", "c": "1", "d": "1"})
    assert located(res) == [("DEP007", "requirements.txt", 5), ("DEP007", "requirements.txt", 6)]


def test_a_pin_in_a_lock_and_its_exported_requirements_is_one_finding(proj: Path) -> None:
    write(proj, {"uv.lock": _uv_lock({"numpy": "1.26.4", "absent": "2.0"}),
                 "requirements.txt": "numpy==1.26.4\nabsent==2.0\n"})  # fmt: skip
    res = run(proj, "DEP006,DEP007", {"numpy": "2.0.1"})
    assert sorted(f.code for f in res.findings) == ["DEP006", "DEP007"]
    drift = next(f for f in res.findings if f.code == "DEP006")
    assert drift.location.path == "uv.lock" and "also pinned at requirements.txt:1" in drift.message
    gone = next(f for f in res.findings if f.code == "DEP007")
    assert gone.location.path == "uv.lock" and "also pinned at requirements.txt:2" in gone.message


# ------------------------------------------------------------ sub-projects
def test_sub_projects_are_installed_apart(proj: Path) -> None:
    write(proj, {
        "lessons/01/Pipfile": "[packages]\n", "lessons/01/requirements.txt": "numpy==1.26.4\n",
        "lessons/02/Pipfile": "[packages]\n", "lessons/02/requirements.txt": "numpy==2.0.1\n",
        "examples/demo/uv.lock": _uv_lock({f"pkg{i}": "1.0" for i in range(6)}),
        "requirements.txt": "numpy==1.26.4\n", "requirements/gpu.txt": "numpy==2.0.1\n",
    })  # fmt: skip
    res = run(proj, "DEP007,DEP011", {"numpy": "1.26.4"})
    # the root's two files are installed together and conflict; the lessons are not compared,
    # and the nested example's lock is not expected in the root's environment
    assert located(res) == [("DEP011", "requirements/gpu.txt", 1)]
    # inside one sub-project the pins are still compared with each other
    write(proj, {"lessons/02/requirements-dev.txt": "numpy==1.0\n"})
    res = run(proj, "DEP011", {"numpy": "1.26.4"})
    assert ("DEP011", "lessons/02/requirements.txt", 1) in located(res)
    assert len(res.findings) == 2


def test_a_pip_tools_service_folder_is_a_project_of_its_own(proj: Path) -> None:
    # a monorepo's services, each compiled from its own requirements.in: installed apart
    write(proj, {
        "services/trainer/requirements.in": "numpy\n", "services/trainer/requirements.txt": "numpy==1.26.4\n",
        "services/serving/requirements.in": "numpy\n", "services/serving/requirements.txt": "numpy==2.0.2\n",
        "requirements/base.in": "numpy\n", "requirements/base.txt": "numpy==1.26.4\n",
        "requirements/gpu.txt": "numpy==2.0.1\n",
    })  # fmt: skip
    res = run(proj, "DEP011", {"numpy": "1.26.4"})
    # the services are not compared with each other or the root; the root's requirements/
    # folder of .in sources is still one project, whose two pins conflict
    assert {f.location.path for f in res.findings} <= {"requirements/base.txt", "requirements/gpu.txt"}
    assert res.findings and all(not f.location.path.startswith("services/") for f in res.findings)


def test_text_groups_findings_by_project(proj: Path) -> None:
    from envaudit.report import render

    write(proj, {"requirements.txt": "torch\n", "lessons/01/Pipfile": "[packages]\n",
                 "lessons/01/requirements.txt": "numpy\n"})  # fmt: skip
    out = render("text", run(proj, "DEP002"))
    root_at, sub_at = (
        out.index("── the root project ──"),
        out.index("── lessons/01/ (a project of its own) ──"),
    )
    assert (
        root_at
        < out.index("requirements.txt:1: DEP002")
        < sub_at
        < out.index("lessons/01/requirements.txt:1")
    )


@pytest.mark.parametrize(
    ("files", "sync", "relock"),
    [
        (
            {
                "pyproject.toml": '[tool.poetry]\nname = "p"\nversion = "0.1.0"\n\n'
                '[tool.poetry.dependencies]\npython = "^3.11"\nidna = "^3.0"\n',
                "poetry.lock": '[[package]]\nname = "idna"\nversion = "3.10"\ndescription = ""\noptional = false\n'
                'python-versions = ">=3.6"\nfiles = []\n\n[metadata]\nlock-version = "2.0"\n'
                'python-versions = "^3.11"\ncontent-hash = "0"\n',
            },
            "poetry sync",  # Poetry >= 2.0 (the test extra's floor); `install --sync` is deprecated there
            "poetry lock",
        ),
        (
            {
                "Pipfile": '[packages]\nidna = "*"\n',
                "Pipfile.lock": '{"_meta": {"hash": {"sha256": "0"}, "pipfile-spec": 6, "requires": {}, '
                '"sources": []}, "default": {"idna": {"version": "==3.10"}}, "develop": {}}\n',
            },
            "pipenv sync",
            "pipenv lock",
        ),
    ],
)
def test_dep006_in_a_locked_project_says_the_tools_sync(
    proj: Path, files: dict[str, str], sync: str, relock: str
) -> None:
    # the pin lives in a lock the tool writes: never `pip install` nor "update the pin"
    write(proj, files)
    (f,) = run(proj, "DEP006", {"idna": "3.20"}).findings
    assert f"`{sync}`" in f.fix.description and f"`{relock}`" in f.fix.description
    assert "pip install" not in f.fix.description and "update the pin" not in f.fix.description


def test_dep005_names_the_in_file_only_when_there_is_one(proj: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(proj)
    write(proj, {"requirements.txt": "numpy==1.26.4\n"})
    (f,) = run(proj, "DEP005").findings
    assert ".in file" not in f.fix.description and "`envaudit fix pins --write`" in f.fix.description
    write(proj, {"requirements.in": "numpy\n"})
    (f,) = run(proj, "DEP005").findings
    assert (
        "from requirements.in" in f.fix.description and "pip-compile --generate-hashes" in f.fix.description
    )


@pytest.mark.parametrize(
    ("a", "b", "disjoint"),
    [
        (">=1.26,<2.1", ">=2.1", True),
        ("<1.0", ">=1.0", True),
        ("==1.26.4", ">=2", True),
        ("==2.*", "<2", True),
        (">=1.26,<2.1", ">=2.0", False),
        (">1.0,<1.1", ">1.0", False),  # 1.0.1 is in both
        (">2.0.9,<2.1", "<2.1", False),
        ("==2.*", ">=2.1", False),
        ("~=2.0", "<2.1", False),
        ("!=2.0", ">=1", False),
        ("not a range", ">=1", False),  # unparseable: never a contradiction
    ],
)
def test_ranges_disjoint(a: str, b: str, disjoint: bool) -> None:
    from packaging.specifiers import SpecifierSet

    from envaudit.rules.deps import ranges_disjoint

    assert ranges_disjoint(a, b) is disjoint
    if disjoint:  # the oracle: no released-looking version in a wide sweep is in both
        sa, sb = SpecifierSet(a), SpecifierSet(b)
        sweep = [f"{x}.{y}.{z}" for x in range(4) for y in range(30) for z in range(12)]
        assert not any(v in sa and v in sb for v in sweep)


def test_dep011_reports_ranges_that_share_no_version(proj: Path) -> None:
    write(
        proj,
        {
            "requirements.txt": "numpy>=1.26,<2.1\nscipy>=1.10\n",
            "pyproject.toml": '[project]\nname = "r"\nversion = "0"\ndependencies = ["numpy>=2.1", "scipy>=1.11"]\n',
        },
    )
    res = run(proj, "DEP002,DEP011", {"numpy": "2.0.2", "scipy": "1.13.1"})
    (dep011,) = [f for f in res.findings if f.code == "DEP011"]
    # one finding naming both places
    assert "`>=1.26,<2.1`" in dep011.message and "`>=2.1`" in dep011.message
    assert {dep011.location.path, dep011.message.rsplit(" at ", 1)[1].split(":")[0]} == {
        "requirements.txt",
        "pyproject.toml",
    }
    # DEP002 proposes no pin that breaks either range (2.0.2 is inside one, outside the other)
    numpy002 = next(f for f in res.findings if f.code == "DEP002" and "numpy" in f.message)
    assert "share no version" in numpy002.fix.description and "numpy==2.0.2" not in numpy002.fix.description
    assert "in that range" not in numpy002.fix.description


def test_a_folder_with_its_own_dockerfile_and_requirements_is_a_project_of_its_own(proj: Path) -> None:
    # services/serve/ is built and installed apart: its pins are not compared with the root's
    files = {
        "requirements-dev.txt": "numpy==1.26.4\n",
        "services/serve/requirements.txt": "numpy==2.0.2\n",
        "services/serve/app.py": "print(1)\n",
    }
    write(proj, files)
    assert codes(run(proj, "DEP011")) == ["DEP011"]  # no Dockerfile: one project, two pins
    write(proj, {"services/serve/Dockerfile": "FROM python:3.11-slim\nCOPY requirements.txt .\n"})
    assert codes(run(proj, "DEP011")) == []


@pytest.mark.parametrize("where", ["root", "parent", "elsewhere"])
def test_fix_pins_commands_run_from_where_the_user_ran_envaudit(
    proj: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    # a new user ran `check` at a monorepo's root and typed the printed `envaudit fix pins
    # --write`: it failed ("no source to pin"), the file was in services/train/
    write(
        proj,
        {
            "services/train/requirements.txt": "numpy==1.26.4\n",
            "services/train/requirements-dev.txt": "pytest==8.0.0\n",
            "services/api/pyproject.toml": '[project]\nname = "api"\ndependencies = ["click>=8"]\n',
        },
    )
    cwd = {"root": proj, "parent": proj.parent, "elsewhere": proj / "services" / "api"}[where]
    monkeypatch.chdir(cwd)
    found = {f.location.path: f.fix.description for f in run(proj, "DEP005,DEP003").findings}
    # relative to the cwd when inside it, else absolute (as ruff prints paths)
    prefix = {"root": "", "parent": f"{proj.name}/", "elsewhere": f"{proj}/"}[where]
    assert f"`envaudit fix pins {prefix}services/train --write`" in found["services/train/requirements.txt"]
    assert (
        f"`envaudit fix pins {prefix}services/train --source requirements-dev.txt --write`"
        in found["services/train/requirements-dev.txt"]
    )
    api = "" if where == "elsewhere" else f"{prefix}services/api "  # run from inside services/api
    assert f"`envaudit fix pins {api}--resolve --write`" in found["services/api/pyproject.toml"]
