from __future__ import annotations

import hashlib
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from envaudit.inventory import Inventory
from envaudit.snapshot import build_snapshot, dumps, validate
from envaudit.snapshot.build import _domain
from envaudit.snapshot.host import cpu_model, mem_total, os_release
from envaudit.snapshot.variables import relevant_variables
from tests.conftest import git_init, write
from tests.snapshot.helpers import FakeDist, FakeInterpreter, FakePackages

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
}


def _git(root: Path, *args: str) -> str:
    import os

    return subprocess.run(
        ["git", "-C", str(root), *args],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_ENV},
    ).stdout


def test_two_snapshots_of_one_environment_differ_only_in_time_and_host(tmp_path: Path) -> None:
    write(
        tmp_path, {"requirements.txt": "numpy==1.26.4\n", "sub/requirements-dev.txt": "pytest\n", "x.py": ""}
    )
    env = {"CUDA_VISIBLE_DEVICES": "0", "OMP_NUM_THREADS": "4", "HOME": "/root", "PATH": "/bin"}
    first = build_snapshot(Inventory(tmp_path, environ=env))
    second = build_snapshot(Inventory(tmp_path, environ=dict(reversed(env.items()))))
    strip = lambda r: {k: v for k, v in r.items() if k not in ("created", "host")}  # noqa: E731
    assert strip(first) == strip(second)
    assert dumps(strip(first)) == dumps(strip(second))  # byte-identical text, keys in one order
    assert first["files"] == {
        "requirements.txt": hashlib.sha256(b"numpy==1.26.4\n").hexdigest(),
        "sub/requirements-dev.txt": hashlib.sha256(b"pytest\n").hexdigest(),
    }
    assert first["variables"] == {"CUDA_VISIBLE_DEVICES": "0", "OMP_NUM_THREADS": "4"}
    assert validate(json.loads(dumps(first))) == first


def test_record_shape_and_schema(tmp_path: Path) -> None:
    rec = build_snapshot(Inventory(tmp_path, environ={}))
    assert rec["schema"] == "envaudit/snapshot/1"
    assert rec["created"].endswith("Z")
    for key in ("os", "kernel", "cpu_model", "cpu_count", "memory_total", "machine"):
        assert key in rec["host"]
    assert rec["host"]["cpu_count"] >= 1


def test_missing_domain_is_named_not_fatal(tmp_path: Path) -> None:
    unavailable: dict[str, str] = {}
    assert _domain(Inventory(tmp_path), "no_such_domain_xyz", unavailable) is None
    assert "not part of this envaudit build" in unavailable["no_such_domain_xyz"]


def test_packages_python_and_torch_build_from_seeded_facts(tmp_path: Path) -> None:
    site = write(
        tmp_path / "site",
        {
            "torch/version.py": "__version__ = '2.13.0+cpu'\ndebug = False\ncuda: Optional[str] = None\nhip = None\n"
        },
    )
    dists = (
        FakeDist("torch", "2.13.0+cpu", location=str(site)),
        FakeDist("Zope_Thing", "1.0", installer="uv"),
        FakeDist("anyio", "4.0", direct_url={"url": "https://user:hunter2@example.com/anyio.whl"}),
    )
    inv = Inventory(tmp_path / "proj", environ={})
    inv.put("python", FakeInterpreter())
    inv.put("packages", FakePackages(dists))
    rec = build_snapshot(inv)
    assert list(rec["packages"]) == ["anyio", "torch", "zope-thing"]
    assert rec["packages"]["zope-thing"] == {
        "name": "Zope_Thing",
        "version": "1.0",
        "installer": "uv",
        "direct_url": None,
    }
    assert "hunter2" not in json.dumps(rec)
    assert rec["python"]["version"] == "3.11.7" and rec["python"]["kind"] == "venv"
    assert rec["frameworks"]["torch"] == {
        "version": "2.13.0+cpu",
        "cuda": None,
        "hip": None,
        "debug": False,
        "git_version": None,
    }
    assert "python" not in rec["unavailable"] and "packages" not in rec["unavailable"]


@dataclass(frozen=True)
class FakeGit:
    toplevel: str
    head: str | None
    branch: str | None = "main"
    dirty: tuple[str, ...] = ()
    dirty_count: int = 0
    is_repo: bool = True
    available: bool = True


def test_git_section_digests_the_uncommitted_diff(tmp_path: Path) -> None:
    git_init(tmp_path)
    write(tmp_path, {"train.py": "lr = 0.1\n"})
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-qm", "init")
    head = _git(tmp_path, "rev-parse", "HEAD").strip()

    def snap() -> dict:
        inv = Inventory(tmp_path, environ={})
        inv.put("git", FakeGit(str(tmp_path), head, dirty=(".M train.py",), dirty_count=1))
        return build_snapshot(inv)["git"]

    (tmp_path / "train.py").write_text("lr = 0.2\n")
    first = snap()
    expected = hashlib.sha256(_git(tmp_path, "diff", "HEAD", "--binary").encode()).hexdigest()
    (tmp_path / "train.py").write_text("lr = 0.3\n")
    second = snap()
    assert first["commit"] == head and first["dirty"] is True and first["changed"] == [".M train.py"]
    assert first["diff_sha256"] == expected
    assert first["diff_sha256"] != second["diff_sha256"]  # same file changed, different edit


def test_variables_are_the_ones_that_matter_and_redacted() -> None:
    env = {
        "PIP_INDEX_URL": "https://user:s3cret@pypi.example.com/simple",
        "WANDB_API_KEY": "abcdef",
        "HF_TOKEN": "hf_" + "a" * 34,
        "CUBLAS_WORKSPACE_CONFIG": ":4096:8",
        "PYTHONHASHSEED": "0",
        "LD_LIBRARY_PATH": "/usr/local/cuda/lib64",
        "PATH": "/usr/bin",
        "HOME": "/root",
        "MKL_NUM_THREADS": "1",
    }
    out = relevant_variables(env)
    assert list(out) == sorted(out)
    assert "PATH" not in out and "HOME" not in out and "WANDB_API_KEY" not in out  # not a numerics variable
    assert out["PIP_INDEX_URL"] == "https://***@pypi.example.com/simple"
    assert out["HF_TOKEN"] == "***"
    assert out["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8" and out["MKL_NUM_THREADS"] == "1"


def test_symlinked_manifest_outside_project_is_not_read(tmp_path: Path) -> None:
    outside = write(tmp_path / "outside", {"secret.txt": "x"})
    proj = write(tmp_path / "proj", {"requirements.txt": "a\n"})
    (proj / "requirements-evil.txt").symlink_to(outside / "secret.txt")
    rec = build_snapshot(Inventory(proj, environ={}))
    assert list(rec["files"]) == ["requirements.txt"]


def test_host_parsers() -> None:
    assert (
        os_release('NAME="Debian"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n')
        == "Debian GNU/Linux 12 (bookworm)"
    )
    assert os_release("") is None
    info = "processor\t: 0\nmodel name\t: AMD EPYC  7763 64-Core Processor\nprocessor\t: 1\nmodel name\t: other\n"
    assert cpu_model(info) == "AMD EPYC 7763 64-Core Processor"
    assert cpu_model("Hardware\t: BCM2835\nModel\t: Raspberry Pi 4\n") == "Raspberry Pi 4"
    assert cpu_model(None) is None
    assert mem_total("MemTotal:       16318412 kB\nMemFree: 1 kB\n") == 16318412 * 1024
    assert mem_total("garbage") is None
