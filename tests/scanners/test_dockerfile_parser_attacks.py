"""Hostile Dockerfile text (issue 15, attacker round) against BuildKit's own parser.

Each file must give the same instructions on the same lines as BuildKit (PyPI
`dockerfile`), and no DKR018 where BuildKit parses it. Before this round a UTF-8 BOM made
the whole file "RUN before the first FROM", a tab after the instruction word made it an
unknown instruction, a `\\u2028` or form feed inside a LABEL shifted every later line
number, `a=b\\\\` at the end of a line swallowed the next instruction, and an
`ONBUILD RUN <<EOF` heredoc body was read as instructions. (`docker build` of
`LABEL a=b\\\\` + `LABEL c=d` gives both labels, as BuildKit's parser says.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from envaudit.scanners.dockerfiles import parse

dockerfile = pytest.importorskip("dockerfile", reason="PyPI `dockerfile` (BuildKit's parser) not installed")

CASES = {
    "bom": "\ufeffFROM a\nRUN x\n",
    "bom-then-directive": "\ufeff# escape=`\nFROM a\nRUN a `\n b\n",
    "tab-after-instruction": "FROM a\nRUN\tpip install x\nCOPY\t. /app\n",
    "line-separator-in-label": 'FROM a\nLABEL a="x\u2028y"\nRUN pip install flask\n',
    "form-feed-and-nel-in-label": 'FROM a\nLABEL a="x\x85y\x0cz"\nRUN pip install flask\n',
    "escaped-escape-ends-the-line": "FROM a\nRUN echo a \\\\\nRUN echo b\n",
    "three-escapes-end-the-line": "FROM a\nLABEL a=b\\\\\\\nLABEL c=d\n",
    "escaped-backtick-ends-the-line": "# escape=`\nFROM a\nRUN echo a ``\nRUN echo b\n",
    "onbuild-heredoc": "FROM a\nONBUILD RUN <<EOF\nx\nEOF\nRUN y\n",
    "crlf-heredoc": "FROM a\r\nRUN <<EOF\r\necho hi\r\nEOF\r\nRUN echo x\r\n",
    "continuation-then-heredoc": "FROM a\nRUN echo a \\\n  <<EOF\nbody\nEOF\nRUN x\n",
    "lowercase-heredoc": "FROM a\nrun <<EOF\nx\nEOF\nrun y\n",
}


@pytest.mark.parametrize("name", list(CASES))
def test_instructions_and_lines_agree_with_buildkit(name: str) -> None:
    text = CASES[name]
    theirs = [(c.cmd.upper(), c.start_line) for c in dockerfile.parse_string(text)]
    df = parse(text)
    ours = [(i.cmd, i.line) for i in df.instructions]
    assert ours == theirs
    assert df.errors == ()


def test_line_numbers_of_findings_after_a_unicode_separator() -> None:
    df = parse(CASES["line-separator-in-label"])
    assert [c.argv for r in df.runs for c in r.commands] == [("pip", "install", "flask")]
    assert df.runs[0].instruction.line == 3


def test_onbuild_heredoc_body_is_its_own() -> None:
    (ins,) = [i for i in parse(CASES["onbuild-heredoc"]).instructions if i.cmd == "ONBUILD"]
    assert [h.content for h in ins.heredocs] == ["x\n"]


# ARG/ENV/FROM expansion, judged by `docker build` (FROM scratch: nothing to pull). The
# engine here (20.10) knows only the `:-`/`:+` forms; `${V-x}` and `${V+x}` are newer.
EXPANSIONS = (
    "ARG B=scratch\n"
    "FROM ${A:-${B}}\n"
    "ARG C=x\n"
    'ENV L="${Z:-${C}y}" M=${C:+a${C}b} O=${C:-${Z:-w}} P=${Z:+${C}}\n'
    "LABEL l=$L m=$M o=$O p=$P\n"
)


def test_nested_expansions_parse_like_docker() -> None:
    """`${A:-${B}}` was read as `${B}` (the word stopped at the first `}`)."""
    df = parse(EXPANSIONS)
    assert df.stages[0].base_expanded == "scratch"
    assert dict(df.stages[0].env).items() >= {"L": "xy", "M": "axb", "O": "x", "P": ""}.items()


def test_nested_expansions_are_what_docker_builds(tmp_path: Path) -> None:
    import json
    import subprocess

    from tests.conftest import docker_available

    if not docker_available():
        pytest.skip("no Docker engine running")
    (tmp_path / "Dockerfile").write_text(EXPANSIONS)
    tag = "envaudit-test/expansions:issue15"
    subprocess.run(
        ["docker", "build", "-q", "-t", tag, str(tmp_path)], check=True, capture_output=True, timeout=300
    )
    try:
        out = subprocess.run(
            ["docker", "inspect", tag, "--format", "{{json .Config.Labels}}"],
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout
    finally:
        subprocess.run(["docker", "rmi", "-f", tag], capture_output=True, timeout=60, check=False)
    env = dict(parse(EXPANSIONS).stages[0].env)
    assert json.loads(out) == {"l": env["L"], "m": env["M"], "o": env["O"], "p": env["P"]}


def test_no_break_space_does_not_end_the_instruction_word() -> None:
    """BuildKit splits the instruction word at ASCII blanks only (Go's `\\s`)."""
    text = "FROM a\nRUN\xa0pip install x\n"
    theirs = [c.cmd for c in dockerfile.parse_string(text)]
    assert theirs == ["FROM", "RUN\xa0pip"]
    df = parse(text)
    assert [i.cmd for i in df.instructions] == ["FROM"] and [ln for ln, _ in df.errors] == [2]


# an ARG before the first FROM is for FROM lines only; a stage sees it after `ARG NAME`
ARG_SCOPE = "ARG V=x\nFROM scratch\nLABEL v=a$V\nARG V\nLABEL w=b$V\n"


def test_global_arg_is_not_in_the_stage_until_declared() -> None:
    """`ARG PIP_NO_CACHE_DIR=1` or `ARG PKG=flask==1` before FROM was taken as set inside
    the stage, where docker leaves it unset."""
    df = parse("ARG V=flask==1\nFROM python:3.11\nRUN pip install $V\nARG V\nRUN pip install $V\n")
    assert [r.commands[0].argv for r in df.runs] == [("pip", "install", "$V"), ("pip", "install", "flask==1")]


def test_global_arg_scope_is_what_docker_builds(tmp_path: Path) -> None:
    import json
    import subprocess

    from tests.conftest import docker_available

    if not docker_available():
        pytest.skip("no Docker engine running")
    (tmp_path / "Dockerfile").write_text(ARG_SCOPE)
    tag = "envaudit-test/argscope:issue15"
    subprocess.run(
        ["docker", "build", "-q", "-t", tag, str(tmp_path)], check=True, capture_output=True, timeout=300
    )
    try:
        out = subprocess.run(
            ["docker", "inspect", tag, "--format", "{{json .Config.Labels}}"],
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout
    finally:
        subprocess.run(["docker", "rmi", "-f", tag], capture_output=True, timeout=60, check=False)
    assert json.loads(out) == {"v": "a", "w": "bx"}  # unset before `ARG V`, x after it
    assert dict(parse(ARG_SCOPE).stages[0].env) == {"V": "x"}
