"""Hostile repositories: one case per kind of attack envaudit must withstand.

Never execute (git config: tests/test_hostile_git.py; the source cache:
tests/scanners/test_source_cache.py; here: `fix pins --resolve` building the project),
never print a credential, never read outside the project root, never let project text
drive the terminal, never destroy what `-o` points at.
"""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from envaudit.report import FORMATS
from tests.conftest import invoke, write

# ---------------------------------------------------------------- fix pins --resolve

SETUP_PY = """
from pathlib import Path
Path({marker!r}).write_text("ran")
from setuptools import setup
setup(name="demo", version="0.1")
"""


@pytest.mark.parametrize(
    "files",
    [
        {"requirements.in": "-e .\n"},
        {"requirements.in": "./localpkg\n"},
        {"requirements.in": "-r more.in\n", "more.in": "demo @ file:///{root}/localpkg\n"},
        {"requirements.in": "-e file:localpkg#egg=demo\n"},
    ],
    ids=["editable-dot", "relative-path", "file-url-in-include", "editable-file-url"],
)
def test_fix_pins_resolve_refuses_to_build_local_paths(tmp_path: Path, files: dict[str, str]) -> None:
    marker = tmp_path / "built"
    root = tmp_path / "proj"
    setup = SETUP_PY.format(marker=str(marker))
    write(root, {k: v.replace("{root}", str(root).lstrip("/")) for k, v in files.items()})
    write(root, {"setup.py": setup, "localpkg/setup.py": setup})
    res = invoke("fix", "pins", str(root), "--resolve", "--no-index", "--no-build-isolation")
    assert res.exit_code == 2
    assert "would execute the audited project's code" in res.stderr and "--allow-build" in res.stderr
    assert "Traceback" not in res.output
    assert not marker.exists()


def test_fix_pins_resolve_refuses_a_pyproject_source(tmp_path: Path) -> None:
    root = write(
        tmp_path / "proj",
        {
            "pyproject.toml": '[project]\nname = "demo"\nversion = "0.1"\ndynamic = ["dependencies"]\n',
            "setup.py": SETUP_PY.format(marker=str(tmp_path / "built")),
        },
    )
    res = invoke("fix", "pins", str(root), "--resolve", "--no-index", "--no-build-isolation")
    assert res.exit_code == 2 and "pyproject.toml: its dependencies are dynamic" in res.stderr
    assert not (tmp_path / "built").exists()


def test_fix_pins_resolves_static_pyproject_dependencies_without_building(tmp_path: Path) -> None:
    from envaudit.fixes.pins import static_dependencies

    root = write(
        tmp_path / "proj", {"pyproject.toml": '[project]\nname = "d"\nversion = "1"\ndependencies = ["a"]\n'}
    )
    assert static_dependencies(root, "pyproject.toml")


@pytest.mark.slow
def test_fix_pins_allow_build_does_build(tmp_path: Path) -> None:
    """The refusal guards a real execution: with --allow-build pip-compile runs setup.py."""
    pytest.importorskip("piptools")
    pytest.importorskip("setuptools")
    marker = tmp_path / "built"
    root = write(
        tmp_path / "proj", {"requirements.in": "-e .\n", "setup.py": SETUP_PY.format(marker=str(marker))}
    )
    invoke("fix", "pins", str(root), "--resolve", "--allow-build", "--no-index", "--no-build-isolation")
    assert marker.exists()


def test_fix_pins_resolve_without_local_paths_is_not_refused(tmp_path: Path) -> None:
    from envaudit.fixes.pins import builds_project

    root = write(
        tmp_path / "proj", {"requirements.in": "alpha\nbeta @ https://example.com/beta-1.0.tar.gz\n"}
    )
    assert builds_project(root, "requirements.in") == []


# ---------------------------------------------------------------- ${VAR} expansion

API_KEY = "apiKeyVal9137"
DB_PASSWORD = "dbPassVal4481"
SECRET_VERSION = "31415926"  # a secret that happens to look like a version


@pytest.fixture(scope="module")
def expanding(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write(
        tmp_path_factory.mktemp("expand") / "p",
        {
            "requirements.txt": (
                "-r ${API_KEY}.txt\n"
                "torch==${DB_PASSWORD}\n"
                "numpy==${SERVICE_TOKEN}\n"
                "-c ${API_KEY}/constraints.txt\n"
                "--extra-index-url https://${API_KEY}@pypi.example.com/simple\n"
                "demo @ https://example.com/demo-1.0.tar.gz?token=${DB_PASSWORD}\n"
                "-e git+https://x:${API_KEY}@github.com/o/r.git#egg=r\n"
            ),
            "train.py": "import torch\n",
        },
    )


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_expanded_values_are_never_printed(expanding: Path, fmt: str) -> None:
    env = {"API_KEY": API_KEY, "DB_PASSWORD": DB_PASSWORD, "SERVICE_TOKEN": SECRET_VERSION}
    res = invoke("check", str(expanding), "--format", fmt, "--exit-zero", "--no-color", env=env)
    out = res.stdout + res.stderr
    for value in env.values():
        assert value not in out, f"{value} printed in --format {fmt}"
    if fmt == "text":
        assert "${API_KEY}.txt" in out and "${DB_PASSWORD}" in out  # the ${VAR} form is shown


def test_expanded_values_stay_out_of_snapshots(expanding: Path) -> None:
    env = {"API_KEY": API_KEY, "DB_PASSWORD": DB_PASSWORD, "SERVICE_TOKEN": SECRET_VERSION}
    res = invoke("snapshot", str(expanding), env=env)
    for value in env.values():
        assert value not in res.stdout


# ---------------------------------------------------------------- outside the root

OUTSIDE_TEXT = "outsideSecretLine77"


@pytest.fixture
def escaping(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    write(outside, {"secret.txt": f"{OUTSIDE_TEXT}==1.0\n", "Dockerfile": f"FROM {OUTSIDE_TEXT}\n"})
    root = write(
        tmp_path / "p",
        {
            "requirements.txt": f"-r {outside}/secret.txt\n-c ../outside/secret.txt\nnumpy\n",
            "train.py": "import numpy\n",
        },
    )
    (root / "requirements-dev.txt").symlink_to(outside / "secret.txt")
    (root / "Dockerfile").symlink_to(outside / "Dockerfile")
    return root


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "sarif"])
def test_nothing_outside_the_root_is_read(escaping: Path, fmt: str) -> None:
    res = invoke("check", str(escaping), "--format", fmt, "--exit-zero", "--no-color")
    out = res.stdout + res.stderr
    assert OUTSIDE_TEXT not in out and OUTSIDE_TEXT.lower() not in out
    if fmt == "text":
        assert "included file ../outside/secret.txt is outside the project; not read" in out
        assert "/outside/secret.txt is outside the project; not read" in out
        assert "requirements-dev.txt is a symlink to a file outside the project; not read" in out
        assert "Dockerfile is a symlink to a file outside the project; not read" in out


def test_fix_commands_do_not_read_outside(escaping: Path) -> None:
    for argv in (["fix", "dockerfile"], ["fix", "pins"], ["fix", "dockerignore"]):
        res = invoke(*argv, str(escaping))
        assert OUTSIDE_TEXT not in res.output and OUTSIDE_TEXT.lower() not in res.output, argv


def test_a_symlink_inside_the_root_is_still_read(tmp_path: Path) -> None:
    root = write(tmp_path / "p", {"reqs/base.txt": "numpy\n", "train.py": "import numpy\n"})
    (root / "requirements.txt").symlink_to(root / "reqs" / "base.txt")
    res = invoke("check", str(root), "--select", "DEP,EA", "--exit-zero", "--no-color")
    assert "outside the project" not in res.output
    assert "numpy" in res.output  # unpinned numpy, read through the link


# ---------------------------------------------------------------- the target environment


def test_an_egg_link_out_of_site_packages_and_the_project_is_not_followed(tmp_path: Path) -> None:
    from envaudit.inventory import Inventory
    from tests.fakeenv import make_venv

    root = write(tmp_path / "p", {"train.py": "print(1)\n"})
    site = make_venv(root / ".venv")
    elsewhere = tmp_path / "elsewhere" / "x"
    (elsewhere / "secretlib.egg-info").mkdir(parents=True)
    (elsewhere / "secretlib.egg-info" / "PKG-INFO").write_text("Name: secretlib\nVersion: 6.6.6\n")
    (site / "secretlib.egg-link").write_text(f"{elsewhere}\n.\n")
    inside = root / "src" / "mylib"
    (inside / "mylib.egg-info").mkdir(parents=True)
    (inside / "mylib.egg-info" / "PKG-INFO").write_text("Name: mylib\nVersion: 0.1\n")
    (site / "mylib.egg-link").write_text(f"{inside}\n.\n")  # `pip install -e .`: inside the project
    inv = Inventory(root, python=str(root / ".venv"), environ={})
    names = [d.name for d in inv.get("packages").dists]
    assert names == ["mylib"]
    (diag,) = [d for d in inv.diagnostics if "egg-link" in d.message]
    assert diag.code == "EA001" and "secretlib.egg-link points outside site-packages" in diag.message


@pytest.mark.parametrize("version", ["not a version", "1.0\n evil-pkg==6.6.6", "1.0;rm -rf"])
def test_an_invalid_installed_version_is_never_pinned(tmp_path: Path, version: str) -> None:
    from tests.fakeenv import dist_info, make_venv

    root = write(tmp_path / "p", {"requirements.in": "good\nbad\n"})
    site = make_venv(tmp_path / "env")
    dist_info(site, "good", "1.0")
    d = dist_info(site, "bad", "0")
    meta = d / "METADATA"
    meta.write_text(meta.read_text().replace("Version: 0", f"Version: {version}"))
    res = invoke("fix", "pins", str(root), "--python", str(tmp_path / "env"), "--no-hashes", "--write")
    assert res.exit_code == 0, res.stderr
    text = (root / "requirements.txt").read_text()
    assert "good==1.0" in text
    assert "bad==" not in text and "evil" not in text and "rm -rf" not in text
    assert "invalid Version" in text and "invalid name or Version" in res.stderr


# ---------------------------------------------------------------- control sequences

OSC_TITLE = "\x1b]0;PWNED\x07"
CSI_CLEAR = "\x1b[2J"


@pytest.fixture(scope="module")
def controls(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write(
        tmp_path_factory.mktemp("ctl") / "p",
        {
            f"requirements-{OSC_TITLE}.txt": "numpy\n",
            f"tr{CSI_CLEAR}ain.py": "import random\nrandom.random()\n",
            "requirements.txt": f"torch\x9b31m==not-a-version{OSC_TITLE}\n",
            "Dockerfile": f"FROM python:3.11\nENV X=1{CSI_CLEAR}\nCOPY . /app\n",
        },
    )


@pytest.mark.parametrize("fmt", ["text", "markdown", "github", "html"])
def test_no_control_sequence_reaches_the_terminal(controls: Path, fmt: str) -> None:
    res = invoke("check", str(controls), "--format", fmt, "--exit-zero", "--no-color")
    out = res.stdout + res.stderr
    bad = [c for c in out if (ord(c) < 32 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F]
    assert bad == [], f"--format {fmt} printed {sorted(set(bad))!r}"
    assert "\\x1b" in out  # shown, escaped, not dropped


def test_fix_diffs_escape_control_sequences(tmp_path: Path) -> None:
    root = write(tmp_path / "p", {".dockerignore": f"build{CSI_CLEAR}\n", "train.py": "print(1)\n"})
    res = invoke("fix", "dockerignore", str(root))
    assert res.exit_code == 0, res.output
    assert "\x1b" not in res.output and "build\\x1b[2J" in res.output


def test_escape_controls_keeps_text_and_line_ends() -> None:
    from envaudit.terminal import escape_controls

    assert escape_controls("a\tb\nc\r\nd") == "a\tb\nc\r\nd"
    assert escape_controls("x\ry\x00\x7f\x9b\u202e") == "x\\x0dy\\x00\\x7f\\x9b\\u202e"
    assert escape_controls("naïve ✓ 日本") == "naïve ✓ 日本"


# ---------------------------------------------------------------- -o never destroys


def test_output_through_a_symlink_keeps_the_link(tmp_path: Path) -> None:
    project = write(tmp_path / "p", {"requirements.txt": "numpy==1.26.4\n"})
    target = tmp_path / "reports" / "real.json"
    target.parent.mkdir()
    target.write_text("old")
    os.chmod(target, 0o640)
    link = tmp_path / "report.json"
    link.symlink_to(target)
    res = invoke("check", str(project), "--format", "json", "--exit-zero", "-o", str(link))
    assert res.exit_code == 0, res.output
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert '"findings"' in target.read_text()
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # the file's mode is kept


def test_output_to_a_fifo_writes_through_it(tmp_path: Path) -> None:
    project = write(tmp_path / "p", {"requirements.txt": "numpy==1.26.4\n"})
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []

    def reader() -> None:
        with open(fifo, "rb") as fh:
            got.append(fh.read())

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    res = invoke("check", str(project), "--format", "json", "--exit-zero", "-o", str(fifo))
    t.join(timeout=30)
    assert res.exit_code == 0, res.output
    assert stat.S_ISFIFO(fifo.stat().st_mode)  # still a FIFO, not replaced by a file
    assert got and b'"findings"' in got[0]


def test_output_to_a_character_device_keeps_it(tmp_path: Path) -> None:
    """Through a symlink to os.devnull: the device is written through, never replaced."""
    project = write(tmp_path / "p", {"requirements.txt": "numpy==1.26.4\n"})
    link = tmp_path / "null"
    link.symlink_to(os.devnull)
    res = invoke("check", str(project), "--format", "json", "--exit-zero", "-o", str(link))
    assert res.exit_code == 0, res.output
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode) and link.is_symlink()
    assert not list(Path(os.path.dirname(os.devnull)).glob(".null.*.tmp"))


def test_output_to_a_regular_file_is_atomic_and_new_files_work(tmp_path: Path) -> None:
    project = write(tmp_path / "p", {"requirements.txt": "numpy==1.26.4\n"})
    out = tmp_path / "new" / "dir" / "report.md"
    assert invoke("check", str(project), "--format", "markdown", "--exit-zero", "-o", str(out)).exit_code == 0
    first = out.stat().st_ino
    assert invoke("check", str(project), "--format", "markdown", "--exit-zero", "-o", str(out)).exit_code == 0
    assert out.stat().st_ino != first  # replaced by rename, not rewritten in place
    assert [p.name for p in out.parent.iterdir()] == ["report.md"]  # no temporary left behind


# ---------------------------------------------------------------- the project's own config


def _fake_venv(d: Path, version: str = "3.9.2") -> Path:
    write(
        d,
        {
            "pyvenv.cfg": f"home = /usr/bin\nversion = {version}\n",
            f"lib/python{version[:3]}/site-packages/.keep": "",
        },
    )
    return d


@pytest.mark.parametrize("value", ["{outside}", "../outside-env", "python3"])
@pytest.mark.parametrize("where", [".envaudit.toml", "pyproject.toml"])
def test_project_config_cannot_point_python_outside_the_root(tmp_path: Path, value: str, where: str) -> None:
    _fake_venv(tmp_path / "outside-env")
    value = value.replace("{outside}", str(tmp_path / "outside-env"))
    table = f'python = "{value}"\n'
    text = (
        table
        if where == ".envaudit.toml"
        else f'[project]\nname = "d"\nversion = "1"\n[tool.envaudit]\n{table}'
    )
    root = write(tmp_path / "p", {where: text, "train.py": "import numpy\n"})
    # a setting that cannot be obeyed is a usage error (exit 2, even with --exit-zero), naming
    # the file and line: a gate never goes on to audit another environment instead
    line = 1 if where == ".envaudit.toml" else 5
    for args in (
        ("check", str(root), "--exit-zero"),
        ("snapshot", str(root)),
        ("verify", "x.json", str(root)),
    ):
        res = invoke(*args)
        assert res.exit_code == 2, (args, res.output)
        assert f"{where}:{line}: `python` names" in res.stderr and "not used" in res.stderr, args
        assert "3.9.2" not in res.output and "Traceback" not in res.output  # the outside env was not read
    write(root, {"requirements.in": "numpy\n"})
    res = invoke("fix", "pins", str(root))
    assert res.exit_code == 2 and f"{where}:{line}: `python` names" in res.stderr, res.output
    # the user may still choose it, on the command line
    res = invoke("check", str(root), "--python", str(tmp_path / "outside-env"), "--exit-zero", "--no-color")
    assert "`python` names" not in res.stdout
    snap = invoke("snapshot", str(root), "--python", str(tmp_path / "outside-env"))
    assert "3.9.2" in snap.stdout


def test_project_config_may_name_an_environment_under_the_root(tmp_path: Path) -> None:
    root = write(tmp_path / "p", {".envaudit.toml": 'python = "envs/py"\n', "train.py": "import numpy\n"})
    _fake_venv(root / "envs" / "py")
    res = invoke("check", str(root), "--exit-zero", "--no-color")
    assert res.exit_code == 0 and "`python` names" not in res.stdout
    assert "3.9.2" in invoke("snapshot", str(root)).stdout


@pytest.mark.parametrize("name", [".envaudit.toml", "pyproject.toml"])
@pytest.mark.parametrize("content", ['select = ["NOSUCH9"]\n', 'python = "/"\n', "select = [broken\n"])
def test_a_config_symlinked_out_of_the_root_is_not_read(tmp_path: Path, name: str, content: str) -> None:
    outside = tmp_path / "outside"
    text = content if name == ".envaudit.toml" else f"[tool.envaudit]\n{content}"
    write(outside, {name: text})
    root = write(tmp_path / "p", {"requirements.txt": "numpy\n", "train.py": "import numpy\n"})
    (root / name).symlink_to(outside / name)
    res = invoke("check", str(root), "--no-color", "--exit-zero")
    assert res.exit_code == 0, res.output  # nothing from it applied: no usage error
    assert f"{name} is a symlink to a file outside the project; not read" in res.stdout
    assert "NOSUCH9" not in res.output and "broken" not in res.output and "invalid TOML" not in res.output
    assert "numpy" in res.stdout  # the audit itself ran


# ---------------------------------------------------------------- fix pins: planted sdists


def _sdist(folder: Path, marker: Path, name: str = "demo", version: str = "0.1") -> Path:
    """A real source distribution whose setup.py writes `marker` when built."""
    import io
    import tarfile

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}-{version}.tar.gz"
    files = {
        "setup.py": SETUP_PY.format(marker=str(marker)).replace('"demo"', repr(name)),
        "PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
    }
    with tarfile.open(path, "w:gz") as tar:
        for rel, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{name}-{version}/{rel}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


@pytest.mark.parametrize(
    "requirements_in, cli",
    [
        ("-f ./dist\ndemo\n", []),
        ("--find-links=dist/demo-0.1.tar.gz\ndemo\n", []),
        ("-r more.in\n", []),
        ("--index-url file:./dist\ndemo\n", []),
        ("demo\n", ["-f", "dist"]),
        ("--no-binary :all:\ndemo\n", []),
    ],
    ids=["find-links-dir", "find-links-file", "in-include", "file-index", "cli-find-links", "no-binary"],
)
def test_fix_pins_resolve_refuses_a_planted_sdist(
    tmp_path: Path, requirements_in: str, cli: list[str]
) -> None:
    marker = tmp_path / "built"
    root = write(tmp_path / "proj", {"requirements.in": requirements_in, "more.in": "-f dist\ndemo\n"})
    _sdist(root / "dist", marker)
    res = invoke("fix", "pins", str(root), "--resolve", "--no-index", "--no-build-isolation", *cli)
    assert res.exit_code == 2, res.output
    assert "would execute the audited project's code" in res.stderr and "--allow-build" in res.stderr
    shown = (
        "--find-links dist" if cli else ("more.in:1" if "more.in" in requirements_in else "requirements.in:1")
    )
    assert shown in res.stderr
    assert not marker.exists()


@pytest.mark.slow
def test_fix_pins_resolve_never_builds_an_sdist_without_allow_build(tmp_path: Path) -> None:
    """An sdist the up-front check cannot see (a folder outside the project): pip-compile
    is told to take wheels only, so nothing is built; --allow-build does build it."""
    pytest.importorskip("piptools")
    pytest.importorskip("setuptools")
    marker = tmp_path / "built"
    _sdist(tmp_path / "elsewhere", marker)
    root = write(tmp_path / "proj", {"requirements.in": "demo\n"})
    argv = ["fix", "pins", str(root), "--resolve", "--no-index", "--no-build-isolation", "--no-hashes"]
    res = invoke(*argv, "-f", str(tmp_path / "elsewhere"))
    assert res.exit_code == 2 and "only wheels are used" in res.stderr
    assert not marker.exists()
    invoke(*argv, "-f", str(tmp_path / "elsewhere"), "--allow-build")
    assert marker.exists()  # the guard above stopped a real build


def test_a_fifo_planted_as_the_source_cache_is_not_read(tmp_path: Path) -> None:
    import hashlib
    import time

    root = write(tmp_path / "p", {"train.py": "import numpy\nimport pandas\n", "requirements.txt": "numpy\n"})
    cache = tmp_path / "cache"
    cache.mkdir()
    root_id = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:20]
    os.mkfifo(cache / f"source-{root_id}.json")
    started = time.monotonic()
    res = invoke("check", str(root), "--no-color", "--exit-zero", env={"ENVAUDIT_CACHE_DIR": str(cache)})
    assert time.monotonic() - started < 15 and res.exit_code == 0
    assert "pandas" in res.stdout  # the source scanner ran (an undeclared import)
    (cache / f"source-{root_id}.json").unlink()
    (cache / f"source-{root_id}.json").symlink_to("/dev/zero")
    res = invoke("check", str(root), "--no-color", "--exit-zero", env={"ENVAUDIT_CACHE_DIR": str(cache)})
    assert res.exit_code == 0 and "pandas" in res.stdout


# ---------------------------------------------------------------- fixer targets


@pytest.mark.parametrize(
    "argv, link",
    [
        (["fix", "pins", "--no-hashes", "--no-resolve", "--write"], "requirements.txt"),
        (["fix", "gitignore", "--write"], ".gitignore"),
        (["fix", "dockerfile", "--no-digest", "--write"], "Dockerfile"),
        (["fix", "dockerfile", "--no-digest"], "Dockerfile"),
        (["fix", "dockerignore", "--write"], ".dockerignore"),
        (["fix", "dockerignore"], ".dockerignore"),
    ],
    ids=[
        "pins",
        "gitignore",
        "dockerfile-write",
        "dockerfile-diff",
        "dockerignore-write",
        "dockerignore-diff",
    ],
)
def test_every_fixer_refuses_a_target_out_of_the_project_the_same_way(
    tmp_path: Path, argv: list[str], link: str
) -> None:
    from tests.gitrepo import repo

    outside = write(tmp_path / "outside", {link: "# " + OUTSIDE_TEXT + "\n"})
    root = repo(
        tmp_path / "p",
        {
            "requirements.in": "numpy\n",
            "requirements.txt": "numpy==1.26.4 \\\n    --hash=sha256:" + "0" * 64 + "\n",
            "train.py": "import random\n\n\ndef main():\n    print(random.random())\n\n\nif __name__ == '__main__':\n    main()\n",
        },
    )
    (root / link).unlink(missing_ok=True)
    (root / link).symlink_to(outside / link)
    if link == "requirements.txt":
        argv = [*argv, "--source", "requirements.in"]
    if link == "Dockerfile":
        argv = [*argv, "--force"]
    res = invoke(*argv, str(root))
    assert res.exit_code == 2, res.output
    assert res.stderr.startswith("envaudit: error: ") and "outside the project" in res.stderr
    assert OUTSIDE_TEXT not in res.output
    assert (outside / link).read_text() == "# " + OUTSIDE_TEXT + "\n"


@pytest.mark.parametrize("mask", [0o022, 0o027])
def test_fix_seeds_creates_files_with_the_umask_mode(tmp_path: Path, mask: int) -> None:
    root = write(
        tmp_path / "p",
        {
            "train.py": "import random\n\n\ndef main():\n    print(random.random())\n\n\nif __name__ == '__main__':\n    main()\n"
        },
    )
    old = os.umask(mask)
    try:
        res = invoke("fix", "seeds", str(root), "--write")
    finally:
        os.umask(old)
    assert res.exit_code == 0, res.output
    assert stat.S_IMODE((root / "seeding.py").stat().st_mode) == 0o666 & ~mask
