from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from envaudit.deps import marker_env
from envaudit.inventory import Inventory
from tests.fakeenv import make_venv


def interp(root: Path, python: str | None = None, environ: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return Inventory(root, python=python, environ=environ or {}).get("python")


def test_no_environment_when_nothing_else_is_never_the_running_interpreter(tmp_path: Path) -> None:
    from packaging.markers import default_environment

    i = interp(tmp_path)
    assert not i.found and not i.running and i.kind == "none"
    assert i.site_packages == () and i.prefix == ""
    assert i.markers == default_environment()  # requirement markers still evaluate
    assert i.looked and "in the project: none" in i.looked[0]


def test_python_arg_venv_dir_and_executable(tmp_path: Path) -> None:
    venv = tmp_path / "env"
    site = make_venv(venv, version="3.10.14")
    for arg in (str(venv), str(venv / "bin" / "python")):
        i = interp(tmp_path, arg)
        assert i.kind == "venv"
        assert i.version == "3.10.14" and i.version_info == (3, 10, 14)
        assert i.site_packages == (str(site),)
        assert i.markers["python_version"] == "3.10"
        assert i.markers["python_full_version"] == "3.10.14"
        assert i.found_by.startswith("--python")
        assert not i.running


def test_uv_style_version_info_key(tmp_path: Path) -> None:
    make_venv(tmp_path / "env", version="3.12.3", key="version_info")
    assert interp(tmp_path, str(tmp_path / "env")).version == "3.12.3"


def test_version_from_lib_dir_when_cfg_has_none(tmp_path: Path) -> None:
    venv = tmp_path / "env"
    make_venv(venv, version="3.9.1")
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n", encoding="utf-8")
    i = interp(tmp_path, str(venv))
    assert i.version == "3.9" and i.markers["python_version"] == "3.9"


def test_virtual_env_then_project_venv(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    make_venv(proj / ".venv", version="3.11.2")
    outside = tmp_path / "outside"
    make_venv(outside, version="3.12.1")
    assert interp(proj, environ={"VIRTUAL_ENV": str(outside)}).version == "3.12.1"
    i = interp(proj)
    assert i.version == "3.11.2" and i.found_by == ".venv/ in the project"
    # --python wins over both
    assert interp(proj, str(outside), {"VIRTUAL_ENV": str(proj / ".venv")}).version == "3.12.1"


def test_conda_env(tmp_path: Path) -> None:
    env = tmp_path / "conda"
    (env / "conda-meta").mkdir(parents=True)
    (env / "conda-meta" / "python-3.10.13-hd12c33a_0_cpython.json").write_text("{}", encoding="utf-8")
    (env / "lib" / "python3.10" / "site-packages").mkdir(parents=True)
    (env / "bin").mkdir()
    (env / "bin" / "python").write_text("", encoding="utf-8")
    (env / "bin" / "python").chmod(0o755)
    i = interp(tmp_path, str(env))
    assert i.kind == "conda" and i.version == "3.10.13"
    assert i.site_packages == (str(env / "lib" / "python3.10" / "site-packages"),)


def test_system_layout(tmp_path: Path) -> None:
    prefix = tmp_path / "usr"
    (prefix / "lib" / "python3.11" / "site-packages").mkdir(parents=True)
    (prefix / "bin").mkdir()
    (prefix / "bin" / "python3.11").write_text("", encoding="utf-8")
    (prefix / "bin" / "python3.11").chmod(0o755)
    i = interp(tmp_path, str(prefix / "bin" / "python3.11"))
    assert i.kind == "system" and i.version == "3.11"


def test_bad_python_arg_is_an_error_not_a_fallback(tmp_path: Path) -> None:
    import pytest

    from envaudit.envfind import TargetNotFound

    (tmp_path / "plain").mkdir()
    for arg in (str(tmp_path / "nope"), str(tmp_path / "plain")):
        inv = Inventory(tmp_path, python=arg, environ={})
        with pytest.raises(TargetNotFound, match="--python"):
            inv.get("python")


def test_real_venv_is_read_without_running_it(tmp_path: Path) -> None:
    venv = tmp_path / "real"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    i = interp(tmp_path, str(venv))
    assert i.kind == "venv"
    assert i.version_info[:2] == sys.version_info[:2]
    assert i.site_packages and Path(i.site_packages[0]).name == "site-packages"
    assert marker_env(i)["python_version"] == f"{sys.version_info[0]}.{sys.version_info[1]}"


def test_relative_python_in_config_is_relative_to_the_project(tmp_path: Path) -> None:
    from envaudit.config import Config

    proj = tmp_path / "proj"
    make_venv(proj / "envs" / "py310", version="3.10.4")
    inv = Inventory(proj, config=Config(python="envs/py310"), environ={})
    assert inv.get("python").version == "3.10.4"


def test_relative_python_on_the_command_line_is_relative_to_cwd(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import invoke

    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "requirements.txt").write_text("numpy==1.26.4\n", encoding="utf-8")
    make_venv(tmp_path / "elsewhere", {"numpy": "1.0"}, version="3.12.2")
    monkeypatch.chdir(tmp_path)
    res = invoke("check", "proj", "--python", "elsewhere", "--select", "DEP006", "--no-color")
    assert "1.0 is installed" in res.stdout and "3.12" not in res.stderr


def test_bare_name_is_looked_up_on_path(tmp_path: Path) -> None:
    prefix = tmp_path / "opt" / "py"
    make_venv(prefix, version="3.12.5")
    exe = prefix / "bin" / "python3.12"
    exe.write_text("", encoding="utf-8")
    exe.chmod(0o755)
    proj = tmp_path / "proj"
    proj.mkdir()
    i = Inventory(proj, python="python3.12", environ={"PATH": str(prefix / "bin")}).get("python")
    assert i.version == "3.12.5" and i.kind == "venv"


def test_debian_system_layout_dist_packages(tmp_path: Path) -> None:
    usr = tmp_path / "usr"
    (usr / "lib" / "python3" / "dist-packages").mkdir(parents=True)
    (usr / "local" / "lib" / "python3.11" / "dist-packages").mkdir(parents=True)
    (usr / "lib" / "python3.11").mkdir(parents=True)
    (usr / "bin").mkdir()
    (usr / "bin" / "python3.11").write_text("", encoding="utf-8")
    (usr / "bin" / "python3.11").chmod(0o755)
    i = interp(tmp_path, str(usr / "bin" / "python3.11"))
    assert i.kind == "system"
    assert i.site_packages == (
        str(usr / "local" / "lib" / "python3.11" / "dist-packages"),
        str(usr / "lib" / "python3" / "dist-packages"),
    )


def test_virtualenv_version_info_is_the_plain_version(tmp_path: Path) -> None:
    # virtualenv (Poetry, Pipenv) writes sys.version_info's five parts: `3.11.7.final.0`
    make_venv(tmp_path / "env", version="3.11.7.final.0", key="version_info")
    t = interp(tmp_path, python=str(tmp_path / "env"))
    assert t.version == "3.11.7" and t.version_info[:3] == (3, 11, 7)
    assert t.markers["python_full_version"] == "3.11.7"
    make_venv(tmp_path / "rc", version="3.13.0.candidate.1", key="version_info")
    assert interp(tmp_path, python=str(tmp_path / "rc")).version == "3.13.0rc1"
