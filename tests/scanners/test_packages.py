from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from envaudit.inventory import Inventory
from envaudit.scanners.packages import read_site_packages
from tests.fakeenv import dist_info, make_venv


def packages(root: Path, python: str):  # type: ignore[no-untyped-def]
    inv = Inventory(root, python=python, environ={})
    return inv, inv.get("packages")


def test_reads_dist_info_metadata_from_disk(tmp_path: Path) -> None:
    site = make_venv(tmp_path / "env")
    dist_info(
        site,
        "Torch",
        "2.3.1+cu121",
        [
            "filelock",
            'nvidia-cudnn-cu12==8.9.2.26; platform_system == "Linux"',
            'opt-einsum>=3.3; extra == "opt"',
        ],
        top_level=("torch", "functorch"),
        body="Requires-Dist: not-a-header-this-is-the-readme\n",
    )
    dist_info(
        site,
        "private_pkg",
        "1.0",
        installer="uv",
        direct_url={
            "url": "https://user:s3cret@git.example.com/p.git",
            "vcs_info": {"vcs": "git", "commit_id": "a" * 40},
        },
    )
    _, pk = packages(tmp_path, str(tmp_path / "env"))
    assert len(pk) == 2
    torch = pk.get("torch")
    assert torch is not None and pk.get("TORCH") is torch
    assert torch.name == "Torch" and torch.canonical == "torch" and torch.version == "2.3.1+cu121"
    assert torch.requires == (
        "filelock",
        'nvidia-cudnn-cu12==8.9.2.26; platform_system == "Linux"',
        'opt-einsum>=3.3; extra == "opt"',
    )
    assert torch.top_level == ("torch", "functorch")
    assert torch.installer == "pip" and torch.location == str(site)
    priv = pk.get("Private.Pkg")
    assert priv is not None and priv.installer == "uv"
    assert priv.direct_url is not None and "s3cret" not in priv.direct_url["url"]
    assert priv.direct_url["vcs_info"]["commit_id"] == "a" * 40


def test_egg_info_dir_and_file(tmp_path: Path) -> None:
    site = make_venv(tmp_path / "env")
    egg = site / "legacy-0.9.egg-info"
    egg.mkdir()
    (egg / "PKG-INFO").write_text("Metadata-Version: 1.1\nName: legacy\nVersion: 0.9\n", encoding="utf-8")
    (egg / "requires.txt").write_text(
        "six>=1\n\n[fast]\ncython\n\n[:sys_platform == 'win32']\npywin32\n", encoding="utf-8"
    )
    (site / "single-1.2-py3.11.egg-info").write_text(
        "Metadata-Version: 1.0\nName: single\nVersion: 1.2\n", encoding="utf-8"
    )
    _, pk = packages(tmp_path, str(tmp_path / "env"))
    legacy = pk.get("legacy")
    assert legacy is not None
    assert legacy.requires == ("six>=1", 'cython; extra == "fast"', "pywin32; (sys_platform == 'win32')")
    assert pk.get("single") is not None and pk.get("single").version == "1.2"


def test_broken_dist_info_is_skipped_with_a_note(tmp_path: Path) -> None:
    site = make_venv(tmp_path / "env", {"good": "1.0"})
    (site / "broken-1.0.dist-info").mkdir()
    inv, pk = packages(tmp_path, str(tmp_path / "env"))
    assert [d.name for d in pk.dists] == ["good"]
    assert any("broken-1.0.dist-info" in d.message and d.code == "EA002" for d in inv.diagnostics)


def test_matches_importlib_metadata_on_a_real_venv(tmp_path: Path) -> None:
    """A venv made by `python -m venv` (with pip installed into it): what we read from disk
    equals what the interpreter itself reports via importlib.metadata."""
    venv = tmp_path / "real"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
    _, pk = packages(tmp_path, str(venv))
    out = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import importlib.metadata as m; print('\\n'.join(sorted(f\"{d.metadata['Name']}=={d.version}\" for d in m.distributions())))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    expected = sorted(out.stdout.split())
    assert sorted(f"{d.name}=={d.version}" for d in pk.dists) == expected
    assert pk.get("pip") is not None


def test_the_running_environment(tmp_path: Path) -> None:
    import importlib.metadata as md

    inv = Inventory(tmp_path, python=sys.executable, environ={})  # named: never the default target
    pk = inv.get("packages")
    assert pk.get("click") is not None
    assert pk.get("click").version == md.version("click")


def test_unlistable_site_packages(tmp_path: Path) -> None:
    assert read_site_packages(str(tmp_path / "missing")) == []


def test_legacy_egg_link_develop_install(tmp_path: Path) -> None:
    site = make_venv(tmp_path / "env")
    src = tmp_path / "src" / "mylib"
    (src / "mylib.egg-info").mkdir(parents=True)
    (src / "mylib.egg-info" / "PKG-INFO").write_text(
        "Metadata-Version: 2.1\nName: mylib\nVersion: 0.3.dev0\n", encoding="utf-8"
    )
    (site / "mylib.egg-link").write_text(f"{src}\n.\n", encoding="utf-8")
    (site / "dangling.egg-link").write_text(f"{tmp_path / 'gone'}\n.\n", encoding="utf-8")
    _, pk = packages(tmp_path, str(tmp_path / "env"))
    assert [(d.name, d.version) for d in pk.dists] == [("mylib", "0.3.dev0")]


def test_venv_with_system_site_packages_sees_the_base(tmp_path: Path) -> None:
    """`include-system-site-packages = true`: the base interpreter's dists are visible too,
    exactly as importlib.metadata sees them from inside that venv."""
    venv = tmp_path / "sys"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", "--system-site-packages", str(venv)], check=True
    )
    _, pk = packages(tmp_path, str(venv))
    out = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-I",  # no user site, no PYTHONPATH: only the venv and its base
            "-c",
            "import importlib.metadata as m; print('\\n'.join(sorted({f\"{d.metadata['Name']}=={d.version}\" for d in m.distributions()})))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert sorted({f"{d.name}=={d.version}" for d in pk.dists}) == sorted(out.stdout.split())
