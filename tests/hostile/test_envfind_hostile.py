"""Discovery attacked by the repository it audits: project files that name an environment
outside the project (a committed `.venv` symlink, a Pipenv `.venv` file, `.pdm-python`,
Hatch's `path`, poetry.toml's `virtualenvs.path`, environment.yml's `name:`) are not
followed; the places the user controls (variables, their own tool settings) still are."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from envaudit.envfind import discover, poetry_env_name
from tests.conftest import write
from tests.fakeenv import dist_info, make_venv


def _victim(tmp_path: Path) -> Path:
    """Someone else's environment, outside the audited project."""
    victim = tmp_path / "victim" / "secret-env"
    site = make_venv(victim)
    dist_info(site, "private-internal-lib", "1.0")
    (victim / "conda-meta").mkdir()
    return victim


def _discover(proj: Path, tmp_path: Path, **environ: str) -> tuple[Path | None, str]:
    d = discover(proj, None, {"HOME": str(tmp_path / "home"), **environ})
    return d.path, "; ".join(d.looked)


def test_a_project_folder_env_that_leads_out_is_not_followed(tmp_path: Path) -> None:
    victim = _victim(tmp_path)
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / ".venv").symlink_to(victim)
    path, looked = _discover(proj, tmp_path)
    assert path is None and "leads out of the project" in looked and "--python" in looked
    # a real folder whose lib/ (and so site-packages) is a link out: the same
    (proj / ".venv").unlink()
    (proj / "venv").mkdir()
    (proj / "venv" / "pyvenv.cfg").write_text("version = 3.11.7\n", encoding="utf-8")
    (proj / "venv" / "lib").symlink_to(victim / "lib")
    path, looked = _discover(proj, tmp_path)
    assert path is None and "venv/ in the project leads out" in looked
    # a relative $UV_PROJECT_ENVIRONMENT is the project's; an absolute one is the user's
    (proj / "venv").rename(proj / "uvenv")
    assert _discover(proj, tmp_path, UV_PROJECT_ENVIRONMENT="uvenv")[0] is None
    assert _discover(proj, tmp_path, UV_PROJECT_ENVIRONMENT=str(victim))[0] == victim
    assert (
        _discover(proj, tmp_path, UV_PROJECT_ENVIRONMENT="../victim/secret-env")[0]
        == proj / "../victim/secret-env"
    )
    for hostile in ("/dev/zero", "/dev/null/x", "\n", "uvenv/../../victim/secret-env/.."):
        assert _discover(proj, tmp_path, UV_PROJECT_ENVIRONMENT=hostile)[0] is None
    # a link that stays inside the project is followed
    make_venv(proj / "envs" / "real")
    (proj / "env").symlink_to(proj / "envs" / "real")
    assert _discover(proj, tmp_path)[0] == proj / "env"


def test_pipenv_dot_venv_file_cannot_name_an_outside_path(tmp_path: Path) -> None:
    victim = _victim(tmp_path)
    proj = write(tmp_path / "proj", {"Pipfile": "[packages]\n"})
    for text in (str(victim), os.path.relpath(victim, proj)):
        (proj / ".venv").write_text(text + "\n", encoding="utf-8")
        path, looked = _discover(proj, tmp_path, WORKON_HOME=str(tmp_path / "workon"))
        assert path is None and "outside the project" in looked
    # a name is looked up in WORKON_HOME, the user's store
    make_venv(tmp_path / "workon" / "named")
    (proj / ".venv").write_text("named\n", encoding="utf-8")
    assert _discover(proj, tmp_path, WORKON_HOME=str(tmp_path / "workon"))[0] == tmp_path / "workon" / "named"


@pytest.mark.parametrize("name", ["/ABS", "../../victim/secret-env", "a/../../../victim/secret-env", ".."])
def test_environment_yml_name_is_a_name_never_a_path(tmp_path: Path, name: str) -> None:
    victim = _victim(tmp_path)
    name = name.replace("/ABS", str(victim))
    envs = tmp_path / "envs" / "sub"
    envs.mkdir(parents=True)
    proj = write(tmp_path / "proj", {"environment.yml": f"name: {name}\ndependencies:\n  - numpy\n"})
    path, looked = _discover(proj, tmp_path, CONDA_ENVS_PATH=str(envs))
    assert path is None and "not a conda environment name" in looked


def test_pdm_python_outside_the_project_and_pdms_store_is_not_followed(tmp_path: Path) -> None:
    victim = _victim(tmp_path)
    proj = write(tmp_path / "proj", {".pdm-python": f"{victim / 'bin' / 'python'}\n"})
    (victim / "bin" / "python").touch()
    path, looked = _discover(proj, tmp_path)
    assert path is None and "outside the project and PDM's environments" in looked
    # inside the project: followed
    make_venv(proj / ".venv-pdm")
    (proj / ".venv-pdm" / "bin" / "python").touch()
    (proj / ".pdm-python").write_text(".venv-pdm/bin/python\n", encoding="utf-8")
    assert _discover(proj, tmp_path)[0] == proj / ".venv-pdm" / "bin" / "python"


def test_hatch_path_and_poetry_settings_of_the_project_stay_inside(tmp_path: Path) -> None:
    victim = _victim(tmp_path)
    hproj = write(
        tmp_path / "hproj",
        {"pyproject.toml": f'[project]\nname = "h"\n[tool.hatch.envs.default]\npath = "{victim}"\n'},
    )
    path, looked = _discover(hproj, tmp_path)
    assert path is None and "outside the project" in looked
    # poetry.toml (the project's) may not move Poetry's store out of the project ...
    store = tmp_path / "planted-store"
    pproj = write(
        tmp_path / "pproj",
        {
            "pyproject.toml": '[tool.poetry]\nname = "p"\n',
            "poetry.toml": f'[virtualenvs]\npath = "{store}"\n',
        },
    )
    make_venv(store / f"{poetry_env_name('p', str(pproj))}-py3.11")
    path, looked = _discover(pproj, tmp_path)
    assert path is None and "poetry.toml virtualenvs.path" in looked and "not used" in looked
    # ... but the user's variable may
    assert _discover(pproj, tmp_path, POETRY_VIRTUALENVS_PATH=str(store))[0] is not None
    # a project name that is a path is not put into one
    (pproj / "pyproject.toml").write_text(f'[tool.poetry]\nname = "{store}/x"\n', encoding="utf-8")
    assert _discover(pproj, tmp_path, POETRY_VIRTUALENVS_PATH=str(tmp_path))[0] is None


# ------------------------------------------------ `--python` gates (exit 2, never a pass)
def _gate(tmp_path: Path, python: str) -> tuple[int, str]:
    from tests.conftest import invoke

    proj = tmp_path / "proj"
    write(proj, {"requirements.txt": "numpy==1.26.4\n"})
    res = invoke("check", str(proj), "--select", "DEP", "--python", python)
    return res.exit_code, res.output


def test_python_that_cannot_be_audited_is_exit_2(tmp_path: Path) -> None:
    # a non-executable file named python, beside a real site-packages
    site = make_venv(tmp_path / "noexec")
    (tmp_path / "noexec" / "bin" / "python").chmod(0o644)
    assert site.is_dir()
    code, out = _gate(tmp_path, str(tmp_path / "noexec" / "bin" / "python"))
    assert code == 2 and "not executable" in out
    # /bin/sh named python, nothing installed anywhere near it
    (tmp_path / "shell" / "bin").mkdir(parents=True)
    (tmp_path / "shell" / "bin" / "python3").symlink_to("/bin/sh")
    for arg in (tmp_path / "shell", tmp_path / "shell" / "bin" / "python3"):
        code, out = _gate(tmp_path, str(arg))
        assert code == 2 and "no site-packages" in out
    # a FIFO, a device, a dangling link named as the interpreter
    os.mkfifo(tmp_path / "python-fifo")
    (tmp_path / "python-dangling").symlink_to(tmp_path / "nowhere")
    for arg in (tmp_path / "python-fifo", Path("/dev/zero"), tmp_path / "python-dangling"):
        code, out = _gate(tmp_path, str(arg))
        assert code == 2 and "not a Python executable" in out
    # another Python major
    make_venv(tmp_path / "py2", version="2.7.18")
    code, out = _gate(tmp_path, str(tmp_path / "py2"))
    assert code == 2 and "Python 2.7.18" in out and "Python 3" in out
    # a good one still passes the gate
    make_venv(tmp_path / "good", {"numpy": "1.26.4"})
    assert _gate(tmp_path, str(tmp_path / "good"))[0] == 0


def test_a_found_python_2_environment_is_not_audited(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    make_venv(proj / ".venv", version="2.7.18")
    assert _discover(proj, tmp_path)[0] == proj / ".venv"  # discovery finds it; the scanner refuses it
    from envaudit.inventory import Inventory

    interp = Inventory(proj, environ={"HOME": str(tmp_path / "home")}).get("python")
    assert not interp.found and any("Python 2.7.18" in x for x in interp.looked)


# ------------------------------------- the project's config against the user's gate (EA004)
@pytest.mark.parametrize(
    "project_config",
    [
        'ignore = ["EA004"]\n',
        'ignore = ["EA"]\n',
        'ignore = ["EA004", "DEP007"]\n',
        'severity = { EA004 = "info" }\n',
    ],
)
def test_a_project_config_cannot_turn_an_environment_gate_into_a_pass(
    tmp_path: Path, project_config: str
) -> None:
    """`check --select DEP007` is a CI gate on the environment: with none found, the run
    fails, whatever the audited project's own config ignores or downgrades."""
    from tests.conftest import invoke

    proj = write(tmp_path / "proj", {"requirements.txt": "numpy==1.26.4\n", ".envaudit.toml": project_config})
    env = {"HOME": str(tmp_path / "home")}
    res = invoke("check", str(proj), "--select", "DEP007", "--no-color", env=env)
    assert res.exit_code == 1 and "EA004 [error]" in res.output, res.output
    # a prefix selection keeps EA004 (a warning, its severity the project's to set) ...
    res = invoke("check", str(proj), "--select", "DEP", "--no-color", env=env)
    assert "EA004" in res.output, res.output
    # ... and only the user drops it: --ignore on the command line, or a --config file of theirs
    res = invoke("check", str(proj), "--select", "DEP007", "--ignore", "EA004", env=env)
    assert res.exit_code == 0 and "EA004" not in res.output
    mine = write(tmp_path / "mine", {"envaudit.toml": 'ignore = ["EA004"]\n'}) / "envaudit.toml"
    res = invoke("check", str(proj), "--select", "DEP007", "--config", str(mine), env=env)
    assert res.exit_code == 0 and "EA004" not in res.output, res.output


def test_without_a_command_line_selection_the_project_config_is_obeyed(tmp_path: Path) -> None:
    from tests.conftest import invoke

    proj = write(
        tmp_path / "proj",
        {
            "requirements.txt": "numpy==1.26.4\n",
            ".envaudit.toml": 'select = ["DEP007"]\nignore = ["EA004"]\n',
        },
    )
    res = invoke("check", str(proj), env={"HOME": str(tmp_path / "home")})
    assert res.exit_code == 0 and "EA004" not in res.output and "environment rules not run" in res.output


# ----------------------------------------------------------- a planted pyvenv.cfg
@pytest.mark.parametrize(
    "version",
    ["3." + "1" * 5000, "9" * 5000, "3.11.9\x1b]0;title\x07", "\udcff\udcfe3.11", "3.11.9 " + "x" * 100_000],
)
def test_junk_versions_in_pyvenv_cfg_are_unknown_never_a_crash(tmp_path: Path, version: str) -> None:
    from tests.conftest import invoke

    proj = tmp_path / "proj"
    make_venv(proj / ".venv")
    cfg = proj / ".venv" / "pyvenv.cfg"
    cfg.write_bytes(
        f"home = /usr/bin\nversion = {version}\nimplementation = {version}\n".encode(
            "utf-8", "surrogateescape"
        )
    )
    (proj / "requirements.txt").write_text("numpy==1.26.4\n", encoding="utf-8")
    # the 5,000-digit lib/python3.<digits> folder name too
    (proj / ".venv" / "lib" / ("python3." + "1" * 5000)[:250]).mkdir()
    res = invoke("check", str(proj), "--select", "PY,DEP", "--no-color", env={"HOME": str(tmp_path / "home")})
    assert res.exit_code in (0, 1), res.output
    header = res.output.splitlines()[0]
    assert header.startswith("Environment: venv at") and len(header) < 300, header
    assert "\x1b" not in res.output


# ------------------------------------------- envaudit's own installation, with extras
def test_the_environment_running_envaudit_yields_to_the_projects_own(tmp_path: Path) -> None:
    """envaudit's tool venv with one more package in it (`pipx inject`, a `pip install rich`
    into the venv made to run envaudit) is no longer "only envaudit and its dependencies";
    activated, it must still not be audited in place of the project's own .venv."""
    import sys

    from tests.test_envfind import _own_install, _run_own

    own = _own_install(tmp_path / "tool")
    site = next(own.glob("lib/python*/site-packages"))
    dist_info(site, "rich", "13.7.1")
    proj = write(tmp_path / "proj", {"requirements.txt": "requests==2.32.3\n"})
    env = {"HOME": str(tmp_path / "home")}
    # with no environment of its own, the active one is the project's (as before)
    doc = _run_own(own, proj, env, "--select", "DEP007")
    assert doc["target"]["path"] == str(own) and doc["target"]["found_by"] == "$VIRTUAL_ENV"
    # with one, the project's comes first, and the report says why
    make_venv(
        proj / ".venv", {"requests": "2.32.3"}, version=f"{sys.version_info[0]}.{sys.version_info[1]}.0"
    )
    doc = _run_own(own, proj, env, "--select", "DEP007")
    assert doc["target"]["path"] == str(proj / ".venv"), doc["target"]
    assert any("the environment running envaudit" in x for x in doc["target"]["looked"])
    assert doc["findings"] == []


# ------------------------------------------- hostile names in every format
def test_bidi_and_controls_from_an_environment_are_escaped_in_every_format(tmp_path: Path) -> None:
    import json

    from tests.conftest import invoke

    env = tmp_path / "x\u202e\x1b]0;t\x07" / "env"
    site = make_venv(env)
    dist_info(site, "evil", "1.0")
    meta = next(site.glob("evil-*.dist-info")) / "METADATA"
    meta.write_text("Name: evil\nVersion: 1.0\u202e\x1b[2J\x85\n\n", encoding="utf-8")
    proj = write(tmp_path / "proj", {"requirements.txt": "evil==2.0\n"})
    for fmt in ("text", "markdown", "github", "html", "json", "sarif"):
        res = invoke(
            "check", str(proj), "--python", str(env), "--select", "DEP006", "--format", fmt, "--no-color"
        )
        assert res.exit_code == 1, res.output
        for bad in ("\u202e", "\x1b", "\x07", "\x85"):
            assert bad not in res.output, (fmt, bad)
        if fmt in ("json", "sarif"):
            doc = json.loads(res.output)  # the escapes are JSON's own: the values are intact
            assert "\u202e" in json.dumps(doc, ensure_ascii=False)


def test_config_python_inside_the_project_with_its_lib_linked_out_is_refused(tmp_path: Path) -> None:
    from tests.conftest import invoke

    victim = _victim(tmp_path)
    proj = write(
        tmp_path / "proj", {"requirements.txt": "numpy==1.26.4\n", ".envaudit.toml": 'python = "envdir"\n'}
    )
    (proj / "envdir" / "bin").mkdir(parents=True)
    (proj / "envdir" / "pyvenv.cfg").write_text("version = 3.11.7\n", encoding="utf-8")
    (proj / "envdir" / "lib").symlink_to(victim / "lib")
    res = invoke(
        "check", str(proj), "--select", "DEP,EA", "--format", "json", env={"HOME": str(tmp_path / "home")}
    )
    assert "private-internal-lib" not in res.output and "an environment outside the project" in res.output


def test_a_planted_home_naming_another_virtualenv_is_not_read(tmp_path: Path) -> None:
    from envaudit.inventory import Inventory

    victim = _victim(tmp_path)
    proj = tmp_path / "proj"
    make_venv(proj / ".venv")
    (proj / ".venv" / "pyvenv.cfg").write_text(
        f"home = {victim / 'bin'}\ninclude-system-site-packages = true\nversion = 3.11.7\n", encoding="utf-8"
    )
    inv = Inventory(proj, environ={"HOME": str(tmp_path / "home")})
    assert inv.get("python").site_packages == (str(proj / ".venv" / "lib" / "python3.11" / "site-packages"),)
    assert "private-internal-lib" not in inv.get("packages")
    # a real base installation (no pyvenv.cfg) is still read
    base = tmp_path / "base"
    (base / "lib" / "python3.11" / "site-packages").mkdir(parents=True)
    (proj / ".venv" / "pyvenv.cfg").write_text(
        f"home = {base / 'bin'}\ninclude-system-site-packages = true\nversion = 3.11.7\n", encoding="utf-8"
    )
    inv = Inventory(proj, environ={"HOME": str(tmp_path / "home")})
    assert str(base / "lib" / "python3.11" / "site-packages") in inv.get("python").site_packages


def test_isolated_ignores_the_projects_config(tmp_path: Path) -> None:
    """`fail-on = "never"`, `exclude` or `severity` in the repository's own config decide
    its gate; `--isolated` (ruff's flag) leaves only what the user passed."""
    from tests.conftest import invoke

    proj = write(
        tmp_path / "proj",
        {
            "requirements.txt": "numpy\n",
            ".envaudit.toml": 'fail-on = "never"\nexclude = ["requirements.txt"]\n[severity]\nDEP002 = "info"\n',
        },
    )
    env = {"HOME": str(tmp_path / "home")}
    assert invoke("check", str(proj), "--select", "DEP002", env=env).exit_code == 0
    res = invoke("check", str(proj), "--select", "DEP002", "--isolated", "--no-color", env=env)
    assert res.exit_code == 1 and "DEP002 [error]" in res.output
    # with --config FILE, that file (the user's) is the configuration
    mine = (
        write(tmp_path / "mine", {"envaudit.toml": 'ignore = ["DEP002"]\nselect = ["DEP"]\n'})
        / "envaudit.toml"
    )
    res = invoke("check", str(proj), "--isolated", "--config", str(mine), env=env)
    assert "DEP002" not in res.output


def test_poetry_envs_toml_minor_is_a_version_never_a_path(tmp_path: Path) -> None:
    victim = _victim(tmp_path)
    store = tmp_path / "store"
    proj = write(tmp_path / "proj", {"pyproject.toml": '[tool.poetry]\nname = "p"\n'})
    base = poetry_env_name("p", str(proj))
    rel = os.path.relpath(victim, store)
    write(store, {"envs.toml": f'[{base}]\nminor = "/../{rel}"\n'})
    (store / f"{base}-py").mkdir()  # the store is the project's (.venvs in it): both planted
    assert _discover(proj, tmp_path, POETRY_VIRTUALENVS_PATH=str(store))[0] is None
    make_venv(store / f"{base}-py3.11")
    write(store, {"envs.toml": f'[{base}]\nminor = "3.11"\n'})
    assert _discover(proj, tmp_path, POETRY_VIRTUALENVS_PATH=str(store))[0] == store / f"{base}-py3.11"


def test_credentials_in_env_paths_and_metadata_are_masked_in_every_format(tmp_path: Path) -> None:
    """An environment path with `?token=`, a pyvenv.cfg `home` with `user:token@`, a
    direct_url.json with credentials: masked in every report format and the snapshot."""
    from tests.conftest import invoke

    env = tmp_path / "e?token=SEKRIT1" / "env"
    site = make_venv(env)
    (env / "pyvenv.cfg").write_text(
        "home = https://user:SEKRIT2@host.example/bin\nversion = 3.11.7\n", encoding="utf-8"
    )
    dist_info(site, "evil", "1.0", direct_url={"url": "https://u:SEKRIT3@git.example/r.git?token=SEKRIT4"})
    proj = write(tmp_path / "proj", {"requirements.txt": "evil==2.0\n"})
    outputs = [
        invoke("check", str(proj), "--python", str(env), "--select", "DEP,EA", "--format", fmt).output
        for fmt in ("text", "markdown", "github", "html", "json", "sarif")
    ]
    invoke("snapshot", str(proj), "--python", str(env), "-o", str(tmp_path / "s.json"))
    outputs.append((tmp_path / "s.json").read_text(encoding="utf-8"))
    for text in outputs:
        assert "DEP006" in text or '"schema"' in text
        for secret in ("SEKRIT1", "SEKRIT2", "SEKRIT3", "SEKRIT4"):
            assert secret not in text
