from __future__ import annotations

from pathlib import Path

import pytest

from envaudit.fixes.pins import is_generated
from tests.conftest import check, invoke, write
from tests.fakeenv import make_venv
from tests.wheelhouse import demo_wheelhouse, install_wheel


@pytest.fixture
def wheelhouse(tmp_path: Path) -> tuple[Path, dict[str, Path]]:
    wh = tmp_path / "wheelhouse"
    return wh, demo_wheelhouse(wh)


def dep_codes(root: Path, **kw: object) -> list[str]:
    return sorted(f.code for f in check(root, "DEP", **kw).findings)


# ------------------------------------------------------------------- --resolve


@pytest.mark.slow
def test_resolve_offline_diff_then_write(tmp_path: Path, wheelhouse: tuple[Path, dict[str, Path]]) -> None:
    wh, _ = wheelhouse
    root = write(tmp_path / "proj", {"requirements.in": "alpha\n"})
    args = ["fix", "pins", str(root), "--resolve", "--no-index", "--find-links", str(wh)]
    res = invoke(*args)
    assert res.exit_code == 0
    assert "+++ b/requirements.txt" in res.stdout and "+alpha==1.0 \\" in res.stdout
    assert "+beta==2.0 \\" in res.stdout and "+gamma==1.0 \\" in res.stdout and "delta" not in res.stdout
    assert not (root / "requirements.txt").exists()  # a diff only

    assert invoke(*args, "--write").exit_code == 0
    text = (root / "requirements.txt").read_text()
    assert is_generated(text) and "envaudit fix pins --resolve --source requirements.in" in text
    assert text.count("--hash=sha256:") == 3
    found = dep_codes(root)
    assert "DEP002" not in found and "DEP005" not in found and "DEP003" not in found and "DEP004" not in found
    res = invoke(*args)
    assert res.exit_code == 0 and res.stdout == "" and "up to date" in res.stderr


@pytest.mark.slow
def test_resolve_from_pyproject_offline(tmp_path: Path, wheelhouse: tuple[Path, dict[str, Path]]) -> None:
    wh, _ = wheelhouse
    root = write(
        tmp_path / "proj",
        {
            "pyproject.toml": """
                [build-system]
                requires = ["hatchling"]
                build-backend = "hatchling.build"

                [project]
                name = "demo"
                version = "0.1"
                dependencies = ["beta<2"]

                [tool.hatch.build.targets.wheel]
                packages = ["demo"]
            """,
            "demo/__init__.py": "",
        },
    )
    res = invoke(
        "fix",
        "pins",
        str(root),
        "--resolve",
        "--allow-build",
        "--no-index",
        "-f",
        str(wh),
        "--no-build-isolation",
        "--write",
    )
    assert res.exit_code == 0, res.stderr
    text = (root / "requirements.txt").read_text()
    assert "beta==1.0 \\" in text and "gamma==1.0 \\" in text and "alpha" not in text
    found = dep_codes(root)
    assert "DEP002" not in found and "DEP005" not in found


@pytest.mark.slow
def test_resolve_keeps_the_ranges_of_a_hand_written_requirements_txt(
    tmp_path: Path, wheelhouse: tuple[Path, dict[str, Path]]
) -> None:
    wh, _ = wheelhouse
    root = write(tmp_path / "proj", {"requirements.txt": "alpha>=1  # what we need\n"})
    args = ["fix", "pins", str(root), "--resolve", "--no-index", "-f", str(wh)]
    res = invoke(*args)
    assert res.exit_code == 0, res.stderr
    assert "+++ b/requirements.in" in res.stdout and "+alpha>=1  # what we need" in res.stdout
    assert not (root / "requirements.in").exists()
    res = invoke(*args, "--write")
    assert res.exit_code == 0, res.stderr
    assert "ranges are kept in requirements.in" in res.stderr
    assert "pip-compile:" in res.stderr  # the resolution log, as it runs
    assert (root / "requirements.in").read_text() == "alpha>=1  # what we need\n"
    text = (root / "requirements.txt").read_text()
    assert "alpha==1.0 \\" in text and "# via -r requirements.in" in text
    assert "--source requirements.in" in text
    found = dep_codes(root)
    assert "DEP002" not in found and "DEP005" not in found and "DEP004" not in found, found


def test_refusal_is_decided_before_resolving(
    tmp_path: Path, wheelhouse: tuple[Path, dict[str, Path]]
) -> None:
    wh, _ = wheelhouse
    root = write(tmp_path / "proj", {"requirements.in": "alpha\n", "pinned.txt": "alpha==1.0  # mine\n"})
    args = ["fix", "pins", str(root), "--resolve", "--no-index", "-f", str(wh), "-o", "pinned.txt", "--write"]
    res = invoke(*args)
    assert res.exit_code == 1 and "hand-written" in res.stderr
    assert "resolving" not in res.stderr and "pip-compile" not in res.stderr  # refused first
    assert (root / "pinned.txt").read_text() == "alpha==1.0  # mine\n"


@pytest.mark.slow
def test_resolve_writes_no_machine_local_index(
    tmp_path: Path, wheelhouse: tuple[Path, dict[str, Path]]
) -> None:
    """pip-compile copies the pip configuration's index and find-links into its output;
    envaudit keeps only what the user's own file declares."""
    wh, _ = wheelhouse
    conf = tmp_path / "pip.conf"
    conf.write_text(f"[global]\nfind-links = {wh}\nindex-url = file:///nonexistent/simple\n")
    root = write(
        tmp_path / "proj",
        {"requirements.in": "--extra-index-url https://user:s3cret@mirror.example/simple\nalpha\n"},
    )
    res = invoke(
        "fix", "pins", str(root), "--resolve", "--no-index", "-f", str(wh), "--write",
        env={"PIP_CONFIG_FILE": str(conf)},
    )  # fmt: skip
    assert res.exit_code == 0, res.stderr
    text = (root / "requirements.txt").read_text()
    assert "--extra-index-url https://mirror.example/simple" in text  # the user's, credentials dropped
    assert "s3cret" not in text and "file://" not in text and str(wh) not in text
    assert "--find-links" not in text and "--index-url" not in text.replace("--extra-index-url", "")


def test_resolve_failure_is_reported(tmp_path: Path, wheelhouse: tuple[Path, dict[str, Path]]) -> None:
    wh, _ = wheelhouse
    root = write(tmp_path / "proj", {"requirements.in": "no-such-dist-anywhere\n"})
    res = invoke("fix", "pins", str(root), "--resolve", "--no-index", "-f", str(wh))
    assert res.exit_code == 2 and "pip-compile failed" in res.stderr
    assert not (root / "requirements.txt").exists()


def test_no_source(tmp_path: Path) -> None:
    res = invoke("fix", "pins", str(tmp_path))
    assert res.exit_code == 2 and "no source to pin" in res.stderr


# ------------------------------------------------------------------ --from-env


def target_env(tmp_path: Path, wheels: dict[str, Path], which: tuple[str, ...]) -> Path:
    prefix = tmp_path / "venv"
    site = make_venv(prefix)
    for key in which:
        install_wheel(wheels[key], site)
    return prefix


def test_from_env_pins_what_is_installed_with_closure_markers_and_hashes(
    tmp_path: Path, wheelhouse: tuple[Path, dict[str, Path]]
) -> None:
    wh, wheels = wheelhouse
    venv = target_env(tmp_path, wheels, ("alpha", "beta1", "gamma"))
    root = write(tmp_path / "proj", {"requirements.in": "alpha\ngamma ; python_version >= '3'\n"})
    res = invoke("fix", "pins", str(root), "--from-env", "--python", str(venv), "-f", str(wh), "--write")
    assert res.exit_code == 0, res.stderr
    text = (root / "requirements.txt").read_text()
    body = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
    assert body[0] == "alpha==1.0 \\" and body[3] == "beta==1.0 \\"  # the installed beta, not the newest
    assert "    # via alpha" in body
    assert not any("delta" in ln for ln in body)  # win32-only edge
    assert text.count("--hash=sha256:") == 3
    found = dep_codes(root, python=str(venv))
    assert found == [], found


def test_from_env_keeps_declared_markers(tmp_path: Path, wheelhouse: tuple[Path, dict[str, Path]]) -> None:
    _wh, wheels = wheelhouse
    venv = target_env(tmp_path, wheels, ("gamma",))
    root = write(tmp_path / "proj", {"requirements.in": "gamma ; python_version >= '3'\n"})
    res = invoke("fix", "pins", str(root), "--python", str(venv), "--no-hashes")
    assert res.exit_code == 0
    assert '+gamma==1.0 ; python_version >= "3"' in res.stdout


def test_from_env_never_drops_a_declared_dependency(
    tmp_path: Path, wheelhouse: tuple[Path, dict[str, Path]]
) -> None:
    wh, wheels = wheelhouse
    venv = target_env(tmp_path, wheels, ("beta1", "gamma"))
    root = write(tmp_path / "proj", {"requirements.in": "beta\nalpha\n"})
    args = ["fix", "pins", str(root), "--python", str(venv), "-f", str(wh), "--no-index", "--write"]
    res = invoke(*args, "--no-resolve")
    assert res.exit_code == 1
    assert (
        "not installed in the target environment: alpha" in res.stderr and "Nothing is dropped" in res.stderr
    )
    assert not (root / "requirements.txt").exists()
    # by default what the environment lacks is resolved; what it has keeps its version
    res = invoke(*args)
    assert res.exit_code == 0, res.stderr
    assert "not installed: alpha; resolving them, keeping the installed versions" in res.stderr
    text = (root / "requirements.txt").read_text()
    assert "alpha==1.0 \\" in text and "beta==1.0 \\" in text and "gamma==1.0 \\" in text  # beta 2.0 exists
    assert text.count("--hash=sha256:") == 3 and "/tmp" not in text and "envaudit-env-" not in text
    found = dep_codes(root, python=str(venv))
    assert "DEP002" not in found and "DEP005" not in found


def test_from_env_hashes_by_default(tmp_path: Path, wheelhouse: tuple[Path, dict[str, Path]]) -> None:
    _wh, wheels = wheelhouse
    venv = target_env(tmp_path, wheels, ("gamma",))
    root = write(tmp_path / "proj", {"requirements.in": "gamma\n"})
    res = invoke("fix", "pins", str(root), "--python", str(venv), "--write", "--no-resolve")
    assert res.exit_code == 1 and "no hash for 1 pin(s) (gamma)" in res.stderr
    assert not (root / "requirements.txt").exists()
    res = invoke("fix", "pins", str(root), "--python", str(venv), "--write", "--no-hashes")
    assert res.exit_code == 0
    text = (root / "requirements.txt").read_text()
    assert "gamma==1.0" in text and str(venv) not in text  # no machine-local path in the header


def test_from_env_never_pins_outside_the_declared_range(
    tmp_path: Path, wheelhouse: tuple[Path, dict[str, Path]]
) -> None:
    _wh, wheels = wheelhouse
    venv = target_env(tmp_path, wheels, ("gamma",))  # gamma 1.0 installed
    root = write(tmp_path / "proj", {"requirements.in": "gamma>=2\n"})
    said = "gamma 1.0 is installed but requirements.in declares >=2"
    res = invoke("fix", "pins", str(root), "--python", str(venv), "--no-resolve", "--write")
    assert res.exit_code == 1 and said in res.stderr
    assert not (root / "requirements.txt").exists()
    # with a resolve allowed it is refused the same way, before pip-compile runs: the installed
    # versions are the resolve's constraints, so pip-compile could only fail on it, with a traceback
    res = invoke(
        "fix", "pins", str(root), "--python", str(venv), "--no-index", "--find-links", str(_wh), "--write"
    )
    assert res.exit_code == 1 and said in res.stderr and "Traceback" not in res.output
    assert not (root / "requirements.txt").exists()


def test_write_never_follows_a_symlink_out(tmp_path: Path, wheelhouse: tuple[Path, dict[str, Path]]) -> None:
    _wh, wheels = wheelhouse
    venv = target_env(tmp_path, wheels, ("gamma",))
    outside = tmp_path / "outside.txt"
    outside.write_text("# generated by envaudit\n")
    root = write(tmp_path / "proj", {"requirements.in": "gamma\n"})
    (root / "requirements.txt").symlink_to(outside)
    res = invoke("fix", "pins", str(root), "--python", str(venv), "--write", "--no-hashes")
    assert res.exit_code == 2 and "outside the project" in res.stderr
    assert outside.read_text() == "# generated by envaudit\n"


@pytest.mark.parametrize("how", ["symlinked source", "include", "nested include", "constraint"])
def test_resolve_never_hands_pip_compile_a_file_outside_the_project(tmp_path: Path, how: str) -> None:
    # pip-compile reads every `-r`/`-c` it is given and quotes a bad line in its error:
    # a planted `-r ~/.netrc` or a symlinked requirements.in would print the user's secret
    secret = tmp_path / "secret.txt"
    secret.write_text("machine example.com password hunter2\n")
    files = {
        "symlinked source": {},
        "include": {"requirements.in": "click\n-r ../secret.txt\n"},
        "nested include": {"requirements.in": "-r extra/base.in\n", "extra/base.in": f"-r {secret}\n"},
        "constraint": {"requirements.in": "click\n-c ../secret.txt\n"},
    }[how]
    root = write(tmp_path / "proj", files)
    root.mkdir(exist_ok=True)
    if how == "symlinked source":
        (root / "requirements.in").symlink_to(secret)
    res = invoke("fix", "pins", str(root), "--resolve", "--no-index")
    assert res.exit_code == 2, res.output
    assert "outside the project" in res.stderr and "not read" in res.stderr
    assert "hunter2" not in res.output and "pip-compile" not in res.stderr  # refused before it ran
    assert not (root / "requirements.txt").exists()


def test_an_include_inside_the_project_is_still_followed(tmp_path: Path) -> None:
    # the true negative: `-r base.in` inside the root is pip-tools' own layout
    root = write(tmp_path / "proj", {"requirements.in": "-r base.in\n", "base.in": "click\n"})
    from envaudit.fixes.pins import reads_outside

    assert reads_outside(root, "requirements.in") == []


def test_from_env_pyproject_source_and_extras(
    tmp_path: Path, wheelhouse: tuple[Path, dict[str, Path]]
) -> None:
    _wh, wheels = wheelhouse
    venv = target_env(tmp_path, wheels, ("beta1", "gamma", "delta"))
    root = write(
        tmp_path / "proj",
        {
            "pyproject.toml": """
                [project]
                name = "demo"
                version = "0.1"
                dependencies = ["beta>=1"]

                [project.optional-dependencies]
                win = ["delta"]
            """
        },
    )
    res = invoke("fix", "pins", str(root), "--python", str(venv), "--no-hashes")
    assert res.exit_code == 0
    assert "+beta==1.0" in res.stdout and "+gamma==1.0" in res.stdout and "delta" not in res.stdout
    assert "+    # via pyproject.toml" in res.stdout
    res = invoke("fix", "pins", str(root), "--python", str(venv), "--extra", "win", "--no-hashes")
    assert "+delta==1.0" in res.stdout


# ------------------------------------------------------- other sources, PyTorch


@pytest.mark.slow
@pytest.mark.parametrize(
    ("files", "source", "expect", "absent"),
    [
        (
            {
                "pyproject.toml": """
                    [tool.poetry]
                    name = "demo"
                    version = "0.1.0"

                    [tool.poetry.dependencies]
                    python = "^3.10"
                    beta = "^1.0"

                    [tool.poetry.group.extras.dependencies]
                    delta = "*"
                """
            },
            "pyproject.toml",
            ("beta==1.0 \\", "gamma==1.0 \\", "# via pyproject.toml"),
            ("delta", "python"),
        ),
        (
            {"Pipfile": '[packages]\nalpha = "*"\n\n[dev-packages]\ndelta = "*"\n'},
            "Pipfile",
            ("alpha==1.0 \\", "beta==2.0 \\", "gamma==1.0 \\"),
            ("delta",),
        ),
        (
            {
                "environment.yml": "name: demo\ndependencies:\n  - python=3.11\n  - numpy=1.26\n"
                "  - pip\n  - pip:\n    - beta<2\n"
            },
            "environment.yml",
            ("beta==1.0 \\", "gamma==1.0 \\"),
            ("numpy", "alpha"),
        ),
    ],
)
def test_resolve_from_poetry_pipfile_and_environment_yml(
    tmp_path: Path,
    wheelhouse: tuple[Path, dict[str, Path]],
    files: dict[str, str],
    source: str,
    expect: tuple[str, ...],
    absent: tuple[str, ...],
) -> None:
    wh, _ = wheelhouse
    root = write(tmp_path / "proj", files)
    res = invoke("fix", "pins", str(root), "--resolve", "--no-index", "-f", str(wh), "--write")
    assert res.exit_code == 0, res.stderr
    text = (root / "requirements.txt").read_text()
    body = "\n".join(ln for ln in text.splitlines() if not ln.startswith("#"))
    for e in expect:
        assert e in text, (e, text)
    for a in absent:
        assert a not in body, (a, text)
    assert "/tmp" not in text and "envaudit-pins-" not in text  # no temporary path leaks
    assert f"--source {source}" in text
    if source == "environment.yml":
        assert "conda package(s) (numpy)" in res.stderr and "conda-lock" in res.stderr
    # the lock itself is clean (environment.yml's own conda ranges are DEP002's business)
    found = [f.code for f in check(root, "DEP").findings if f.location.path == "requirements.txt"]
    assert "DEP002" not in found and "DEP005" not in found, found


@pytest.mark.slow
def test_resolve_poetry_group_with_extra(tmp_path: Path, wheelhouse: tuple[Path, dict[str, Path]]) -> None:
    wh, _ = wheelhouse
    root = write(
        tmp_path / "proj",
        {
            "pyproject.toml": '[tool.poetry]\nname = "demo"\n\n[tool.poetry.dependencies]\ngamma = "^1"\n\n'
            '[tool.poetry.group.win.dependencies]\ndelta = "1.0"\n'
        },
    )
    res = invoke("fix", "pins", str(root), "--resolve", "--no-index", "-f", str(wh), "--extra", "win")
    assert res.exit_code == 0, res.stderr
    assert "+delta==1.0 \\" in res.stdout and "+gamma==1.0 \\" in res.stdout


def test_torch_local_version_is_written_with_its_index(tmp_path: Path) -> None:
    from tests.wheelhouse import build_wheel

    wh = tmp_path / "wh"
    wheel = build_wheel(wh, "torch", "2.3.1+cu121")
    venv = tmp_path / "venv"
    install_wheel(wheel, make_venv(venv))
    root = write(tmp_path / "proj", {"requirements.in": "torch>=2\n"})
    res = invoke("fix", "pins", str(root), "--python", str(venv), "-f", str(wh), "--write")
    assert res.exit_code == 0, res.stderr
    text = (root / "requirements.txt").read_text()
    assert "torch==2.3.1+cu121 \\" in text
    assert "\n--extra-index-url https://download.pytorch.org/whl/cu121\n" in text
    assert "DEP013" not in dep_codes(root, python=str(venv))


def test_from_env_poetry_source_offline(tmp_path: Path, wheelhouse: tuple[Path, dict[str, Path]]) -> None:
    wh, wheels = wheelhouse
    venv = target_env(tmp_path, wheels, ("beta1", "gamma"))
    root = write(
        tmp_path / "proj",
        {
            "pyproject.toml": '[tool.poetry]\nname = "demo"\n\n[tool.poetry.dependencies]\npython = "^3.10"\nbeta = "^1"\n'
        },
    )
    res = invoke("fix", "pins", str(root), "--python", str(venv), "-f", str(wh), "--no-resolve", "--write")
    assert res.exit_code == 0, res.stderr
    text = (root / "requirements.txt").read_text()
    assert "beta==1.0 \\" in text and "gamma==1.0 \\" in text and "# via pyproject.toml" in text
    assert "python==" not in text and text.count("--hash=sha256:") == 2


def test_a_generated_lock_is_not_its_own_source(tmp_path: Path) -> None:
    root = write(
        tmp_path / "proj",
        {"requirements.txt": "#\n# This file is autogenerated by pip-compile\n#\nalpha==1.0\n"},
    )
    res = invoke("fix", "pins", str(root), "--write")
    assert res.exit_code == 2 and "already a generated lock" in res.stderr
    assert not (root / "requirements.in").exists()


# ------------------------------------------- what a first user ran into (issue 14b)


CONDA_ENV = "name: s\ndependencies:\n  - python=3.11\n  - numpy=2.4.6\n  - pip\n  - pip:\n    - beta==1.0\n"


def test_conda_source_check_is_clean_after_the_fix_and_says_how_to_use_the_lock(
    tmp_path: Path, wheelhouse: tuple[Path, dict[str, Path]]
) -> None:
    wh, wheels = wheelhouse
    venv = target_env(tmp_path, wheels, ("beta1", "gamma"))
    root = write(tmp_path / "proj", {"environment.yml": CONDA_ENV})
    res = invoke("fix", "pins", str(root), "--python", str(venv), "-f", str(wh), "--no-resolve", "--write")
    assert res.exit_code == 0, res.stderr
    assert "numpy) are conda's to lock" in res.stderr
    assert "list `- -r requirements.txt` under `pip:`" in res.stderr  # how conda installs the pins
    found = check(root, "DEP", python=str(venv)).findings
    assert [f for f in found if f.code == "DEP004"] == []  # numpy is never missing from a pip lock
    # an unpinned `pip:` entry says the same in its fix
    write(root, {"environment.yml": CONDA_ENV.replace("beta==1.0", "beta")})
    (f,) = [f for f in check(root, "DEP002", python=str(venv)).findings if f.code == "DEP002"]
    assert "`beta==1.0`" in f.fix.description and "`- -r requirements.txt` under `pip:`" in f.fix.description


def test_conda_pip_section_installing_a_requirements_file_is_honoured(
    tmp_path: Path, wheelhouse: tuple[Path, dict[str, Path]]
) -> None:
    wh, wheels = wheelhouse
    venv = target_env(tmp_path, wheels, ("beta1", "gamma"))
    env = "name: s\ndependencies:\n  - numpy=2.4.6\n  - pip\n  - pip:\n    - -r requirements.txt\n"
    root = write(tmp_path / "proj", {"environment.yml": env, "requirements.in": "beta<2\n"})
    args = ["fix", "pins", str(root), "--python", str(venv), "-f", str(wh), "--no-resolve", "--write"]
    res = invoke(*args)  # requirements.in is the source; conda installs its lock
    assert res.exit_code == 0, res.stderr
    assert "beta==1.0 \\" in (root / "requirements.txt").read_text()
    assert [
        f.code for f in check(root, "DEP", python=str(venv)).findings if f.code in ("DEP002", "DEP004")
    ] == []
    # pinning from environment.yml reads what its `pip:` section installs, never the lock itself
    env2 = env.replace("requirements.txt", "requirements.in")
    write(root, {"environment.yml": env2})
    res = invoke(*args, "--source", "environment.yml", "-o", "conda-pip.txt")
    assert res.exit_code == 0, res.stderr
    assert "beta==1.0 \\" in (root / "conda-pip.txt").read_text()
    write(root, {"environment.yml": env.replace("requirements.txt", "../elsewhere.txt")})
    res = invoke(*args, "--source", "environment.yml", "-o", "conda-pip.txt")
    assert res.exit_code == 2 and "-r ../elsewhere.txt, which is not in the project" in res.stderr


def test_header_command_reproduces_the_file(tmp_path: Path, wheelhouse: tuple[Path, dict[str, Path]]) -> None:
    import shlex

    wh, wheels = wheelhouse
    venv = target_env(tmp_path, wheels, ("beta1", "gamma", "delta"))
    pyproject = """
        [project]
        name = "demo"
        version = "0.1"
        dependencies = ["beta>=1"]

        [project.optional-dependencies]
        viz = ["delta"]
    """
    root = write(tmp_path / "proj", {"pyproject.toml": pyproject})
    local = ["--python", str(venv), "-f", str(wh), "--no-index"]
    res = invoke("fix", "pins", str(root), *local, "--extra", "viz", "-o", "locks/all.txt", "--write")
    assert res.exit_code == 0, res.stderr
    text = (root / "locks/all.txt").read_text()
    (cmd,) = [ln[1:].strip() for ln in text.splitlines() if ln.startswith("#    envaudit fix pins")]
    assert cmd == "envaudit fix pins --from-env --source pyproject.toml -o locks/all.txt --extra viz"
    assert str(wh) not in text and str(venv) not in text and "--no-index" not in text  # nothing local
    assert "delta==1.0" in text
    # running the header's command (plus this machine's options) changes nothing
    res = invoke(*shlex.split(cmd)[1:3], str(root), *shlex.split(cmd)[3:], *local)
    assert res.exit_code == 0 and "up to date" in res.stderr, res.stdout
    assert "DEP004" not in dep_codes(root, python=str(venv))


@pytest.mark.slow
def test_resolve_header_names_the_extra_and_a_portable_index(
    tmp_path: Path, wheelhouse: tuple[Path, dict[str, Path]]
) -> None:
    from envaudit.fixes.pins import regenerate_command

    wh, _ = wheelhouse
    root = write(tmp_path / "proj", {"requirements.in": "gamma\n"})
    res = invoke("fix", "pins", str(root), "--resolve", "--no-index", "-f", str(wh), "--no-hashes", "--write")
    assert res.exit_code == 0, res.stderr
    text = (root / "requirements.txt").read_text()
    assert "#    envaudit fix pins --resolve --source requirements.in --no-hashes\n" in text
    cmd = regenerate_command(
        "resolve",
        "requirements.in",
        None,
        index_url="file:///srv/simple",
        extra_index_urls=("https://user:s3cret@mirror.example/simple",),
        find_links=(str(wh), "https://wheels.example/links"),
        no_index=True,
    )
    assert cmd == (
        "envaudit fix pins --resolve --source requirements.in --extra-index-url "
        "https://mirror.example/simple --find-links https://wheels.example/links --no-index"
    )


def test_installed_version_outside_the_declared_range_is_one_clear_line(
    tmp_path: Path, wheelhouse: tuple[Path, dict[str, Path]]
) -> None:
    wh, wheels = wheelhouse
    venv = target_env(tmp_path, wheels, ("beta2", "gamma"))
    root = write(
        tmp_path / "proj",
        {
            "pyproject.toml": '[tool.poetry]\nname = "demo"\n\n[tool.poetry.dependencies]\npython = "^3.10"\nbeta = "^1.0"\n'
        },
    )
    res = invoke("fix", "pins", str(root), "--python", str(venv), "-f", str(wh), "--no-index", "--write")
    assert res.exit_code == 1
    assert "beta 2.0 is installed but pyproject.toml declares ^1.0 (>=1.0,<2.0)" in res.stderr
    assert "Traceback" not in res.stderr and "pip-compile" not in res.stderr
    assert not (root / "requirements.txt").exists()


def test_pip_compile_failure_shows_its_error_lines_once_without_a_traceback(
    tmp_path: Path, wheelhouse: tuple[Path, dict[str, Path]]
) -> None:
    wh, _ = wheelhouse
    root = write(tmp_path / "proj", {"requirements.in": "beta<2\nbeta>=2\n"})
    res = invoke("fix", "pins", str(root), "--resolve", "--no-index", "-f", str(wh))
    assert res.exit_code == 2
    assert "Traceback" not in res.stderr and 'File "' not in res.stderr and "^^^" not in res.stderr
    assert res.stderr.count("ERROR: Cannot install") == 1
    assert "ResolutionImpossible" in res.stderr.split("pip-compile failed")[1]


def test_pinning_a_hand_written_pinned_file_does_not_speak_of_ranges(
    tmp_path: Path, wheelhouse: tuple[Path, dict[str, Path]]
) -> None:
    wh, wheels = wheelhouse
    venv = target_env(tmp_path, wheels, ("beta1", "gamma"))
    args = ["--python", str(venv), "-f", str(wh), "--no-resolve", "--write"]
    root = write(tmp_path / "pinned", {"requirements.txt": "beta==1.0\n"})
    res = invoke("fix", "pins", str(root), *args)
    assert res.exit_code == 0, res.stderr
    assert (
        "your requirements are kept as written in requirements.in" in res.stderr
        and "ranges" not in res.stderr
    )
    root = write(tmp_path / "ranged", {"requirements.txt": "beta<2\n"})
    res = invoke("fix", "pins", str(root), *args)
    assert res.exit_code == 0 and "your ranges are kept in requirements.in" in res.stderr
