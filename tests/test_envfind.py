"""Which environment is audited: found where the project's tool keeps it, never envaudit's own."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from envaudit.envfind import discover, own_installation, pipenv_env_name, poetry_env_name
from envaudit.inventory import Inventory
from tests.conftest import REPO, invoke, write
from tests.fakeenv import dist_info, make_venv


def real_venv(path: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True, timeout=60)
    return path


def conda_env(prefix: Path, version: str = "3.10.13") -> Path:
    """A conda environment laid out by hand: conda-meta/, bin/python, lib/pythonX.Y/site-packages."""
    (prefix / "conda-meta").mkdir(parents=True)
    (prefix / "conda-meta" / f"python-{version}-h1_0_cpython.json").write_text("{}", encoding="utf-8")
    minor = ".".join(version.split(".")[:2])
    (prefix / "lib" / f"python{minor}" / "site-packages").mkdir(parents=True)
    (prefix / "bin").mkdir()
    (prefix / "bin" / "python").write_text("", encoding="utf-8")
    (prefix / "bin" / "python").chmod(0o755)
    return prefix


def found(root: Path, environ: dict[str, str], python: str | None = None) -> tuple[Path | None, str]:
    d = discover(root, python, {"HOME": str(root.parent / "home"), **environ})
    return d.path, d.found_by


# ------------------------------------------------------------------ order
def test_order_active_env_then_project_folders(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    real_venv(proj / ".venv")
    make_venv(proj / "venv")
    make_venv(proj / "env")
    active = real_venv(tmp_path / "active")
    conda = conda_env(tmp_path / "miniconda3" / "envs" / "work")
    assert found(proj, {"VIRTUAL_ENV": str(active)}) == (active, "$VIRTUAL_ENV")
    assert found(proj, {"CONDA_PREFIX": str(conda)}) == (conda, "$CONDA_PREFIX")
    assert found(proj, {}) == (proj / ".venv", ".venv/ in the project")
    shutil.rmtree(proj / ".venv")
    assert found(proj, {}) == (proj / "venv", "venv/ in the project")
    shutil.rmtree(proj / "venv")
    assert found(proj, {}) == (proj / "env", "env/ in the project")
    # uv's setting names the project's environment, before the conventional folders
    make_venv(proj / "build-env")
    assert found(proj, {"UV_PROJECT_ENVIRONMENT": "build-env"}) == (
        proj / "build-env",
        "$UV_PROJECT_ENVIRONMENT",
    )
    # --python wins over everything
    assert found(proj, {"VIRTUAL_ENV": str(active)}, str(conda))[0] == conda


def test_a_folder_named_env_that_is_not_an_environment_is_ignored(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    write(proj, {"env/settings.yaml": "a: 1\n", "venv/README": "notes\n"})
    d = discover(proj, None, {"HOME": str(tmp_path / "home")})
    assert d.path is None
    assert any(".venv/, venv/, env/ in the project: none" in x for x in d.looked)


def test_conda_base_is_not_taken_for_the_project(tmp_path: Path) -> None:
    base = conda_env(tmp_path / "miniconda3")
    (base / "envs").mkdir()
    proj = tmp_path / "proj"
    proj.mkdir()
    d = discover(proj, None, {"CONDA_PREFIX": str(base), "CONDA_DEFAULT_ENV": "base", "HOME": str(tmp_path)})
    assert d.path is None and any("base environment" in x for x in d.looked)


# ------------------------------------------------------ own installation
def _own_install(prefix: Path) -> Path:
    """envaudit installed on its own in a real venv: envaudit's dist-info (its real
    requirements) and a .pth to this checkout and to the shared deps, nothing else."""
    real_venv(prefix)
    site = next(prefix.glob("lib/python*/site-packages"))
    import importlib.metadata as md

    reqs = md.distribution("envaudit").requires or []
    dist_info(site, "envaudit", "0.1.0", list(reqs), top_level=("envaudit",))
    deps_site = next(Path(p) for p in sys.path if p.endswith("site-packages") and Path(p, "click").is_dir())
    (site / "envaudit_dev.pth").write_text(f"{REPO}\n{deps_site}\n", encoding="utf-8")
    return prefix


def test_own_installation_is_recognised(tmp_path: Path) -> None:
    own = _own_install(tmp_path / "tool")
    assert own_installation(own) == "it holds only envaudit and its dependencies"
    # a project environment that also has envaudit installed is the project's
    site = next(own.glob("lib/python*/site-packages"))
    dist_info(site, "torch", "2.3.1")
    assert own_installation(own) is None
    # pipx / uv tool / pre-commit keep tool environments in known places
    pipx = make_venv(tmp_path / ".local" / "pipx" / "venvs" / "envaudit", {"envaudit": "0.1.0", "torch": "2"})
    assert "tool environment" in (own_installation(pipx.parents[2]) or "")
    assert own_installation(real_venv(tmp_path / "plain")) is None


def _run_own(own: Path, proj: Path, env: dict[str, str], *args: str) -> dict:  # type: ignore[type-arg]
    """`check --format json` run by the interpreter of envaudit's own installation, as
    the one in $VIRTUAL_ENV (a venv activated to run envaudit)."""
    full = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CONDA_PREFIX", "VIRTUAL_ENV")}
    full |= {**env, "VIRTUAL_ENV": str(own), "NO_COLOR": "1"}
    res = subprocess.run(
        [str(own / "bin" / "python"), "-m", "envaudit", "check", str(proj), "--format", "json", *args],
        capture_output=True, text=True, env=full, timeout=120,
    )  # fmt: skip
    assert res.returncode in (0, 1), res.stderr
    return json.loads(res.stdout)  # type: ignore[no-any-return]


@pytest.mark.parametrize("where", ["active", "project"])
def test_envaudit_from_its_own_venv_audits_the_project_not_itself(tmp_path: Path, where: str) -> None:
    """The real thing: envaudit run by the interpreter of a separate installation."""
    own = _own_install(tmp_path / "tool")
    proj = tmp_path / "proj"
    write(proj, {"requirements.txt": "click==0.1\nrequests==2.32.3\n"})
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CONDA_PREFIX", "VIRTUAL_ENV")}
    env |= {"VIRTUAL_ENV": str(own), "HOME": str(tmp_path / "home"), "NO_COLOR": "1"}
    if where == "project":
        site = make_venv(
            proj / ".venv", {"requests": "2.32.3"}, version=f"{sys.version_info[0]}.{sys.version_info[1]}.0"
        )
        assert site.is_dir()
    res = subprocess.run(
        [str(own / "bin" / "python"), "-m", "envaudit", "check", str(proj), "--select", "DEP006,DEP007",
         "--format", "json"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert res.returncode in (0, 1), res.stderr
    doc = json.loads(res.stdout)
    messages = " ".join(f["message"] for f in doc["findings"] if f["code"] != "EA004")
    assert str(own) not in messages  # nothing about envaudit's own packages
    if where == "active":
        assert doc["target"]["found"] is False
        assert any("envaudit's own installation" in x for x in doc["target"]["looked"])
        assert [f["code"] for f in doc["findings"]] == ["EA004"]
    else:
        assert doc["target"]["path"] == str(proj / ".venv")
        assert [(f["code"], f["location"]["line"]) for f in doc["findings"]] == [("DEP007", 1)]
    # named explicitly, it is audited (the user asked for it)
    res = subprocess.run(
        [str(own / "bin" / "python"), "-m", "envaudit", "check", str(proj), "--select", "DEP007",
         "--python", str(own), "--format", "json"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    doc = json.loads(res.stdout)
    assert doc["target"]["path"] == str(own) and doc["target"]["found_by"] == f"--python {own}"


# ---------------------------------------------------------------- Poetry
def test_poetry_naming_scheme_is_poetrys() -> None:
    pytest.importorskip("poetry", reason="poetry is not installed (pip install -e '.[test]')")
    from poetry.utils.env import EnvManager

    for name, cwd in (("my-proj", "/tmp/a b"), ("My_Proj.x", "/srv/x"), ('we!rd $name "q"', "/p")):
        assert poetry_env_name(name, cwd) == EnvManager.generate_env_name(
            name.lower().replace("_", "-").replace(".", "-"), cwd
        )


@pytest.mark.slow
def test_real_poetry_env_use_is_found(tmp_path: Path) -> None:
    poetry = shutil.which("poetry", path=str(Path(sys.executable).parent))
    if poetry is None:
        pytest.skip("poetry is not installed (pip install -e '.[test]')")
    proj = tmp_path / "proj"
    write(proj, {"pyproject.toml": '[tool.poetry]\nname = "Demo Proj"\nversion = "0.1.0"\ndescription = ""\n'
                 'authors = []\n[tool.poetry.dependencies]\npython = ">=3.10"\n'})  # fmt: skip
    home = tmp_path / "home"
    env = {"HOME": str(home), "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"}
    res = subprocess.run([poetry, "env", "use", sys.executable], cwd=proj, env=env,
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert res.returncode == 0, res.stdout + res.stderr
    path, how = found(proj, env)
    assert path is not None and path.parent == home / ".cache" / "pypoetry" / "virtualenvs"
    assert path.name.startswith("demo_proj-") and "Poetry" in how
    # envaudit from its own venv, activated, audits Poetry's environment
    doc = _run_own(_own_install(tmp_path / "tool"), proj, env, "--select", "DEP,PY")
    assert doc["target"]["path"] == str(path) and "Poetry" in doc["target"]["found_by"]
    # POETRY_VIRTUALENVS_PATH moves it; an empty folder there means not found
    other = tmp_path / "venvs"
    other.mkdir()
    d = discover(proj, None, {**env, "POETRY_VIRTUALENVS_PATH": str(other)})
    assert d.path is None and any("$POETRY_VIRTUALENVS_PATH" in x for x in d.looked)
    # virtualenvs.path in Poetry's config.toml
    shutil.move(str(path), str(other / path.name))
    write(home / ".config" / "pypoetry", {"config.toml": f'[virtualenvs]\npath = "{other}"\n'})
    assert found(proj, env)[0] == other / path.name


# ---------------------------------------------------------------- Pipenv
@pytest.mark.slow
def test_real_pipenv_environment_is_found(tmp_path: Path) -> None:
    pipenv = shutil.which("pipenv", path=str(Path(sys.executable).parent))
    if pipenv is None:
        pytest.skip("pipenv is not installed (pip install -e '.[test]')")
    proj = tmp_path / "lesson 1"
    write(proj, {"Pipfile": '[packages]\n\n[requires]\npython_version = "3"\n'})
    home = tmp_path / "home"
    env = {"HOME": str(home), "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "PIPENV_YES": "1",
           "PIPENV_VENV_IN_PROJECT": "0", "PIP_NO_INDEX": "1"}  # fmt: skip
    res = subprocess.run([pipenv, "--python", sys.executable], cwd=proj, env=env,
                         capture_output=True, text=True, timeout=180)  # fmt: skip
    workon = home / ".local" / "share" / "virtualenvs"
    made = [p for p in workon.iterdir()] if workon.is_dir() else []
    assert len(made) == 1, res.stdout + res.stderr
    assert made[0].name == pipenv_env_name(str(proj), str(proj / "Pipfile"))
    path, how = found(proj, env)
    assert path == made[0] and "Pipenv" in how
    doc = _run_own(_own_install(tmp_path / "tool"), proj, env, "--select", "DEP,PY")
    assert doc["target"]["path"] == str(made[0]) and "Pipenv" in doc["target"]["found_by"]
    # WORKON_HOME moves it
    moved = tmp_path / "workon"
    shutil.move(str(workon), str(moved))
    assert found(proj, {**env, "WORKON_HOME": str(moved)})[0] == moved / made[0].name


# ----------------------------------------------------------------- conda
def test_conda_env_named_by_environment_yml(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    write(
        proj, {"environment.yml": "name: ml-env\nchannels: [conda-forge]\ndependencies:\n  - python=3.10\n"}
    )
    home = tmp_path / "home"
    # the conda root's envs/ (from $CONDA_EXE)
    root_env = conda_env(tmp_path / "opt" / "mamba" / "envs" / "ml-env")
    environ = {"CONDA_EXE": str(tmp_path / "opt" / "mamba" / "bin" / "conda"), "HOME": str(home)}
    path, how = found(proj, environ)
    assert path == root_env and "ml-env" in how
    # envs_dirs in .condarc comes before the root's envs/
    rc_env = conda_env(tmp_path / "elsewhere" / "ml-env")
    write(home, {".condarc": f"envs_dirs:\n  - {tmp_path / 'elsewhere'}\n"})
    assert found(proj, environ)[0] == rc_env
    # $CONDA_ENVS_PATH before both
    ep_env = conda_env(tmp_path / "envs-path" / "ml-env")
    assert found(proj, {**environ, "CONDA_ENVS_PATH": str(tmp_path / "envs-path")})[0] == ep_env
    i = Inventory(proj, environ={**environ, "CONDA_ENVS_PATH": str(tmp_path / "envs-path")}).get("python")
    assert i.kind == "conda" and i.version == "3.10.13"
    doc = _run_own(
        _own_install(tmp_path / "tool"), proj, {**environ, "CONDA_ENVS_PATH": str(tmp_path / "envs-path")}
    )
    assert doc["target"]["path"] == str(ep_env) and doc["target"]["kind"] == "conda"


def test_conda_env_not_found_says_where_it_looked(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    write(proj, {"environment.yml": "name: absent\n"})
    d = discover(proj, None, {"HOME": str(tmp_path)})
    assert d.path is None and any("`absent` named by environment.yml" in x for x in d.looked)


# ------------------------------------------------------------ PDM, Hatch
def test_pdm_and_hatch(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    # PDM keeps environments outside projects in its data dir (`venv.location`)
    venv = real_venv(tmp_path / "home" / ".local" / "share" / "pdm" / "venvs" / "proj-Xy12-3.11")
    write(proj, {".pdm-python": f"{venv / 'bin' / 'python'}\n"})
    path, how = found(proj, {})
    assert path == venv / "bin" / "python" and "PDM" in how
    assert Inventory(proj, environ={"HOME": str(tmp_path / "home")}).get("python").prefix == str(venv)

    hproj = tmp_path / "hproj"
    make_venv(hproj / ".hatch-env")
    write(
        hproj, {"pyproject.toml": '[project]\nname = "h"\n[tool.hatch.envs.default]\npath = ".hatch-env"\n'}
    )
    assert found(hproj, {}) == (hproj / ".hatch-env", "Hatch's default environment (envs.default.path)")
    # without a path: Hatch's data directory, named as Hatch names it (hatch/env/virtual.py)
    from envaudit.envfind import hatch_project_id

    h2 = tmp_path / "h2"
    write(
        h2, {"pyproject.toml": '[project]\nname = "My_Pkg"\n[tool.hatch.envs.default]\ndependencies = []\n'}
    )
    data = tmp_path / "hatch-data"
    env_dir = data / "env" / "virtual" / "my-pkg" / hatch_project_id(str(h2)) / "my-pkg"
    make_venv(env_dir)
    assert found(h2, {"HATCH_DATA_DIR": str(data)}) == (
        env_dir,
        "Hatch's default environment (its data directory)",
    )
    d = discover(h2, None, {"HATCH_DATA_DIR": str(tmp_path / "empty")})
    assert d.path is None and any("Hatch's default environment" in x for x in d.looked)


# ------------------------------------------------ no environment at all
def test_no_environment_one_finding_and_env_rules_do_not_run(tmp_path: Path) -> None:
    write(tmp_path, {"requirements.txt": "click==0.1\nnumpy==1.0\n", "pyproject.toml": '[project]\nname="x"\nrequires-python=">=3.99"\n'})  # fmt: skip
    res = invoke(
        "check", str(tmp_path), "--select", "DEP,PY,EA", "--format", "json", env={"HOME": str(tmp_path)}
    )
    doc = json.loads(res.stdout)
    got = [f["code"] for f in doc["findings"]]
    assert got.count("EA004") == 1
    assert not {"DEP006", "DEP007", "DEP009", "PY004"} & set(got)
    assert not any(f["code"] == "PY002" and "target Python" in f["message"] for f in doc["findings"])
    ea = next(f for f in doc["findings"] if f["code"] == "EA004")
    assert "in the project: none" in ea["message"] and "--python" in ea["fix"]["description"]
    # the checklist does not claim the environment matches
    md = invoke("check", str(tmp_path), "--select", "DEP,PY,EA", "--format", "markdown").stdout
    assert "The environment matches the lock and is consistent | not checkable" in md
    assert "Environment: none found" in md
    assert "| Python | no project environment found (looked:" in md  # no "0 distributions installed"
    assert "Installed distributions" not in md


def test_every_report_says_what_it_audited(tmp_path: Path) -> None:
    venv = real_venv(tmp_path / "proj" / ".venv")
    proj = venv.parent
    write(proj, {"requirements.txt": "click==0.1\n"})
    for fmt, needle in (
        ("text", "Environment: venv at"),
        ("markdown", "Environment: venv at"),
        ("html", 'id="target"'),
    ):
        out = invoke("check", str(proj), "--select", "DEP007", "--format", fmt, "--no-color").stdout
        out = out.replace("\\", "")  # Markdown escapes `_` in paths
        assert needle in out and str(venv) in out and ".venv/ in the project" in out, fmt
    assert invoke("check", str(proj), "--select", "DEP007").stdout.startswith("Environment: venv at")
    doc = json.loads(invoke("check", str(proj), "--select", "DEP007", "--format", "json").stdout)
    assert doc["schema"] == "envaudit/check/1"
    assert doc["target"]["found"] and doc["target"]["path"] == str(venv)
    assert doc["target"]["found_by"] == ".venv/ in the project" and doc["target"]["kind"] == "venv"
    sarif = json.loads(invoke("check", str(proj), "--select", "DEP007", "--format", "sarif").stdout)
    assert sarif["runs"][0]["properties"]["target"]["path"] == str(venv)
    # with the packages missing, the checklist says failed, not passed
    md = invoke("check", str(proj), "--select", "DEP,EA", "--format", "markdown").stdout
    assert "The environment matches the lock and is consistent | failed" in md


# ------------------------------------------------------------ exit 2
def test_gates_never_pass_by_mistake(tmp_path: Path) -> None:
    write(tmp_path, {"requirements.txt": "click==0.1\n"})
    res = invoke("check", str(tmp_path), "--select", "DEP", "--python", str(tmp_path / ".venv"))
    assert res.exit_code == 2 and "no such file" in res.stderr
    (tmp_path / "plain").mkdir()
    assert invoke("check", str(tmp_path), "--python", str(tmp_path / "plain")).exit_code == 2
    res = invoke("check", str(tmp_path), "--select", "")
    assert res.exit_code == 2 and "selection is empty" in res.stderr
    assert invoke("check", str(tmp_path), "--select", "DEP", "--ignore", "DEP").exit_code == 2
    write(tmp_path, {".envaudit.toml": "select = []\n"})
    assert invoke("check", str(tmp_path)).exit_code == 2
    write(tmp_path, {".envaudit.toml": 'python = "./missing-env"\n'})
    res = invoke("check", str(tmp_path))
    assert res.exit_code == 2 and ".envaudit.toml" in res.stderr
    (tmp_path / ".envaudit.toml").unlink()
    res = invoke("check", str(tmp_path), "--select", "DKR", "--image", "envaudit-test-no-such-image:0")
    assert res.exit_code == 2 and "cannot be inspected" in res.stderr
    res = invoke("snapshot", str(tmp_path), "--python", str(tmp_path / "nope"))
    assert res.exit_code == 2 and "--python" in res.stderr


def test_an_empty_python_is_exit_2_never_a_fallback(tmp_path: Path) -> None:
    """`--python "$UNSET"` or `python = ""`: auto-discovery would audit another environment
    and let a gate pass; a found .venv is there to prove it is not used."""
    proj = tmp_path / "proj"
    make_venv(proj / ".venv", {"requests": "2.32.3"})
    write(proj, {"requirements.in": "requests\n"})
    env = {"HOME": str(tmp_path)}
    for args in (
        ("check", str(proj), "--python", ""),
        ("check", str(proj), "--python", "  "),
        ("snapshot", str(proj), "--python", ""),
        ("verify", str(proj), "--python", ""),
        ("fix", "pins", str(proj), "--python", ""),
    ):
        res = invoke(*args, env=env)
        assert res.exit_code == 2 and "--python is empty" in res.stderr, (args, res.stderr)
    write(proj, {".envaudit.toml": 'python = ""\n'})
    for args in (("check", str(proj)), ("snapshot", str(proj)), ("fix", "pins", str(proj))):
        res = invoke(*args, env=env)
        assert res.exit_code == 2 and "`python` is empty" in res.stderr, (args, res.stderr)


def test_a_bare_pyvenv_cfg_is_not_an_environment(tmp_path: Path) -> None:
    write(tmp_path, {"requirements.txt": "click==8.1.7\n", "fake/pyvenv.cfg": ""})
    res = invoke("check", str(tmp_path), "--python", str(tmp_path / "fake"))
    assert res.exit_code == 2 and "not a Python executable, virtualenv or conda environment" in res.stderr
    # true negative: a real venv (interpreter, site-packages) is still taken
    real_venv(tmp_path / "real")
    res = invoke("check", str(tmp_path), "--select", "DEP", "--python", str(tmp_path / "real"))
    assert res.exit_code in (0, 1), res.stderr


def test_snapshot_finds_the_environment_like_check(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    make_venv(proj / ".venv", {"requests": "2.32.3"})
    rec = json.loads(invoke("snapshot", str(proj), env={"HOME": str(tmp_path)}).stdout)
    assert rec["python"]["found_by"] == ".venv/ in the project" and set(rec["packages"]) == {"requests"}
    shutil.rmtree(proj / ".venv")
    rec = json.loads(invoke("snapshot", str(proj), env={"HOME": str(tmp_path)}).stdout)
    assert rec["python"] is None and "no project environment" in rec["unavailable"]["python"]


def test_fix_pins_from_env_needs_an_environment(tmp_path: Path) -> None:
    write(tmp_path, {"requirements.in": "click\n"})
    res = invoke("fix", "pins", str(tmp_path), env={"HOME": str(tmp_path)})
    assert res.exit_code == 2 and "no project environment found to pin from" in res.stderr
    res = invoke("fix", "pins", str(tmp_path), "--python", str(tmp_path / "nope"))
    assert res.exit_code == 2 and "--python" in res.stderr


def test_snapshot_api_in_process_records_the_running_interpreter(tmp_path: Path) -> None:
    """`envaudit.snapshot()` called from a training script: that process's interpreter is
    the project's, so it is recorded (the CLI's discovery is for envaudit run as a tool)."""
    import envaudit.snapshot

    rec = envaudit.snapshot(tmp_path)
    assert rec["python"]["prefix"] == sys.prefix and rec["packages"]


def test_discovery_reads_project_files_safely(tmp_path: Path) -> None:
    """A FIFO never blocks discovery, and a project file linking out of the project is not read."""
    proj = tmp_path / "proj"
    proj.mkdir()
    os.mkfifo(proj / "pyproject.toml")
    (proj / "poetry.lock").write_text("", encoding="utf-8")
    (tmp_path / "outside.yml").write_text("name: secret-env\n", encoding="utf-8")
    (proj / "environment.yml").symlink_to(tmp_path / "outside.yml")
    conda_env(tmp_path / "envs" / "secret-env")
    d = discover(proj, None, {"HOME": str(tmp_path), "CONDA_ENVS_PATH": str(tmp_path / "envs")})
    assert d.path is None
    assert any("pyproject.toml names no project" in x for x in d.looked)
