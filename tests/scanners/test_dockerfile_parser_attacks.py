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
