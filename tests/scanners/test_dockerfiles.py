"""The Dockerfile scanner: parsing, expansion, shell splitting, pragmas, bad input."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from envaudit.inventory import Inventory
from envaudit.scanners.dockerfiles import is_dockerfile_name, parse, split_shell
from tests.conftest import check, codes, write

CORPUS = Path(__file__).resolve().parents[1] / "docker" / "corpus"


def argvs(df_text: str) -> list[tuple[int, tuple[str, ...]]]:
    return [(c.line, c.argv) for r in parse(df_text).runs for c in r.commands]


def test_names() -> None:
    for name in ("Dockerfile", "Containerfile", "docker/gpu.Dockerfile", "Dockerfile.dev", "a/b/dockerfile"):
        assert is_dockerfile_name(name), name
    for name in ("Dockerfile.j2", "dockerfile.md", "README", "Dockerfiles/x.txt", "my_dockerfile.py"):
        assert not is_dockerfile_name(name), name
    # found by running envaudit on itself: a module named after what it generates
    for name in ("envaudit/fixes/dockerfile.py", "Dockerfile.yaml", "Dockerfile.in", "dockerfile.sh"):
        assert not is_dockerfile_name(name), name
    assert is_dockerfile_name("Dockerfile.cuda12") and is_dockerfile_name("Containerfile.prod")


@pytest.mark.parametrize(
    "name",
    [
        "Dockerfile-cpu",
        "docker/Dockerfile-arm64",
        "Dockerfile_gpu",
        "Containerfile-rocm",
        "Containerfile_dev",
        "docker/train.Dockerfile",
        "serve.dockerfile",
        "gpu.containerfile",
        "DOCKERFILE",
        "Dockerfile.cuda-12.1",
        "Dockerfile-py3.11",
    ],
)
def test_every_name_people_use(name: str) -> None:
    assert is_dockerfile_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "envaudit/fixes/dockerfile.py",
        "Dockerfile.py",
        "dockerfile_utils.py",
        "Dockerfile-notes.md",
        "Dockerfile_template.j2",
        "Dockerfile-",
        "Dockerfile_",
        "Dockerfile.",
        ".dockerfile",
        "Dockerfiles",
        "mydockerfile",
        "dockerfile-generator.sh",
        "Dockerfile.dockerignore",
        "Dockerfile-ci.yml",
    ],
)
def test_not_dockerfiles(name: str) -> None:
    assert not is_dockerfile_name(name)


def test_every_name_is_audited(tmp_path: Path) -> None:
    """Found through the inventory, not only by the name test: each file gets its own finding."""
    body = "FROM python\nUSER 1\n"
    names = ["Dockerfile-cpu", "docker/Dockerfile-arm64", "Dockerfile_gpu", "x/serve.dockerfile"]
    write(tmp_path, {n: body for n in names} | {"tools/dockerfile.py": "print(1)\n"})
    res = check(tmp_path, "DKR002,DKR018")
    assert sorted(f.location.path for f in res.findings if f.code == "DKR002") == sorted(names)
    assert not [f for f in res.findings if f.code == "DKR018"]


def test_continuations_comments_and_lines() -> None:
    df = parse(
        "FROM debian:12\nRUN apt-get update \\\n  # a comment\n\n  && apt-get install -y git\nUSER 1\n"
    )
    assert [(i.cmd, i.line, i.end_line) for i in df.instructions] == [
        ("FROM", 1, 1),
        ("RUN", 2, 5),
        ("USER", 6, 6),
    ]
    assert argvs("FROM a:1\nRUN apt-get update \\\n  # c\n  && apt-get install -y git\n") == [
        (2, ("apt-get", "update")),
        (2, ("apt-get", "install", "-y", "git")),
    ]


def test_escape_directive() -> None:
    df = parse("# escape=`\nFROM windows:1\nRUN pip install `\n    numpy\n")
    assert df.escape == "`"
    assert df.runs[0].commands[0].argv == ("pip", "install", "numpy")
    assert df.runs[0].instruction.end_line == 4


def test_heredoc_followed_by_instruction() -> None:
    df = parse(
        "FROM python:3.12\nRUN <<EOF\npip install a\nset -e; apt-get install -y b\nEOF\nRUN echo next\n"
    )
    assert [i.cmd for i in df.instructions] == ["FROM", "RUN", "RUN"]
    assert [c.argv[:2] for c in df.runs[0].commands] == [
        ("pip", "install"),
        ("set", "-e"),
        ("apt-get", "install"),
    ]
    assert df.runs[1].instruction.line == 6
    assert not df.errors


def test_heredoc_to_interpreter_is_not_shell() -> None:
    df = parse("FROM python:3.12\nRUN python3 <<EOF\nimport os\nEOF\n")
    assert [c.argv for c in df.runs[0].commands] == [("python3",)]


def test_json_form_and_sh_c() -> None:
    df = parse('FROM a:1\nRUN ["/bin/sh", "-c", "pip install x && curl -s u | sh"]\n')
    got = [c.argv for c in df.runs[0].commands]
    assert ("pip", "install", "x") in got and ("sh",) in got


def test_arg_env_expansion() -> None:
    df = parse(
        "ARG IMG=python\nARG TAG\nFROM ${IMG}\nFROM ${IMG}:${TAG:-3.11}-slim AS b\nFROM $NOPE\n"
        'ENV V=1.2 W="a b"\nRUN pip install x==${V} "$W"\n'
    )
    assert [s.base_expanded for s in df.stages] == ["python", "python:3.11-slim", None]
    assert df.stages[1].name == "b"
    assert df.runs[0].commands[0].argv == ("pip", "install", "x==1.2", "a b")


def test_multistage_and_flags() -> None:
    df = parse(
        "FROM python:3.11 AS build\nRUN --mount=type=cache,target=/root/.cache/pip pip wheel .\n"
        "FROM python:3.11-slim\nCOPY --from=build /w /w\n"
    )
    assert df.runs[0].instruction.mounts() == [{"type": "cache", "target": "/root/.cache/pip"}]
    copy = df.instructions[-1]
    assert copy.flag("from") == ["build"] and copy.args == "/w /w" and copy.stage == 1


def test_shell_operators() -> None:
    cmds = split_shell("a && b || c; (d | e) & f $(g h) `i`", {}, 1)
    assert [c.argv[0] for c in cmds] == ["a", "b", "c", "d", "e", "f", "g", "i"]
    assert [c.after for c in cmds][:5] == ["", "&&", "||", "(", "|"]
    cmds = split_shell("sudo -E DEBIAN_FRONTEND=x apt-get install -y z > /dev/null 2>&1", {}, 1)
    assert cmds[0].argv[:3] == ("apt-get", "install", "-y") and "/dev/null" not in cmds[0].argv


def test_parser_agrees_with_buildkit_on_corpus() -> None:
    dockerfile = pytest.importorskip(
        "dockerfile", reason="PyPI `dockerfile` (BuildKit's parser) not installed"
    )
    for f in sorted(CORPUS.glob("*.Dockerfile")):
        text = f.read_text()
        theirs = [(c.cmd.upper(), c.start_line, c.end_line) for c in dockerfile.parse_string(text)]
        ours = [(i.cmd, i.line, i.end_line) for i in parse(text).instructions]
        assert ours == theirs, f.name


def test_pragmas_suppress_next_instruction(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "Dockerfile": """
                FROM python:3.11-slim
                # hadolint ignore=DL3013,DL3042
                RUN pip install a
                # envaudit: ignore[DKR004]
                RUN pip install --no-cache-dir b
                RUN pip install --no-cache-dir c
                USER 1
            """
        },
    )
    res = check(tmp_path, "DKR004,DKR005")
    assert [(f.code, f.location.line) for f in res.findings] == [("DKR004", 6)]
    assert res.suppressed == 3


BAD = {
    "empty": b"",
    "comments-only": b"# nothing\n",
    "unknown": b"FROM a:1\nFROB x\nUSER 1\n",
    "heredoc": b"FROM a:1\nRUN <<EOF\necho\n",
    "binary": bytes(range(256)) * 40,
    "before-from": b"RUN echo\nFROM a:1\n",
    "latin1": "FROM a:1\nLABEL x=\xe9\n".encode("latin-1"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_is_a_finding(tmp_path: Path, name: str) -> None:
    write(tmp_path, {"Dockerfile": BAD[name]})
    res = check(tmp_path, "DKR,EA")
    assert "EA003" not in codes(res)
    assert {"DKR018", "EA001"} & set(codes(res)), codes(res)
    bad = [f for f in res.findings if f.code in ("DKR018", "EA001")]
    assert all(f.location.path == "Dockerfile" for f in bad)


def test_unknown_instruction_keeps_checking_the_rest(tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": "FROM python\nFROB x\nRUN <<EOF\npip install a\n"})
    res = check(tmp_path, "DKR002,DKR004,DKR018")
    assert sorted((f.code, f.location.line) for f in res.findings) == [
        ("DKR002", 1),
        ("DKR004", 3),
        ("DKR018", 2),
        ("DKR018", 3),
    ]


def test_ten_thousand_lines_is_fast(tmp_path: Path) -> None:
    body = "".join(
        f"RUN apt-get update && apt-get install -y p{i} \\\n  && rm -rf /var/lib/apt/lists/*\n"
        for i in range(5000)
    )
    write(tmp_path, {"Dockerfile": "FROM debian:12\n" + body + "USER 1\n"})
    t = time.perf_counter()
    res = check(tmp_path, "DKR")
    assert time.perf_counter() - t < 10
    from envaudit.engine import FINDINGS_CAP

    # every RUN is checked; the report lists FINDINGS_CAP of them and counts the rest
    dkr006 = [f for f in res.findings if f.code == "DKR006"]
    assert len(dkr006) == FINDINGS_CAP
    assert sum(f"and {5000 - FINDINGS_CAP} more like this in Dockerfile" in f.message for f in dkr006) == 1


def test_scanner_finds_all_names(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "Dockerfile": "FROM a:1\n",
            "docker/Containerfile": "FROM a:1\n",
            "docker/gpu.Dockerfile": "FROM a:1\n",
            "Dockerfile.dev": "FROM a:1\n",
            ".venv/Dockerfile": "FROM a:1\n",
        },
    )
    (tmp_path / ".venv" / "pyvenv.cfg").write_text("")
    facts = Inventory(tmp_path).get("dockerfiles")
    assert sorted(d.path for d in facts.files) == [
        "Dockerfile",
        "Dockerfile.dev",
        "docker/Containerfile",
        "docker/gpu.Dockerfile",
    ]


def test_hadolint_global_ignore(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "Dockerfile": "# hadolint global ignore=DL3008,DL4000\nFROM debian:12\nRUN apt-get install -y a\nRUN apt-get install -y \\\n  b\n"
        },
    )
    res = check(tmp_path, "DKR006")
    assert res.findings == [] and res.suppressed == 2


def test_shell_survives_arg_and_env() -> None:
    df = parse(
        'FROM a:1\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]\nARG X=1\nENV Y=2\nRUN curl -s u | tar x\nFROM b:1\nRUN true\n'
    )
    assert df.runs[0].shell == ("/bin/bash", "-o", "pipefail", "-c")
    assert df.runs[1].shell == ("/bin/sh", "-c")  # a new stage starts with the default shell
