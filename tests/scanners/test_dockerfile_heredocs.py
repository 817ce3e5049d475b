"""Heredocs, read the way BuildKit reads them: every form of the delimiter word (plain,
`-` for tab stripping, a file descriptor, single or double quotes, a backslash, quotes in
the middle), several heredocs on one instruction, and words that only look like heredocs.
BuildKit's own parser (PyPI `dockerfile`) is the oracle, on a generated corpus."""

from __future__ import annotations

import itertools
import random

import pytest

from envaudit.scanners.dockerfiles import heredoc_words, parse

dockerfile = pytest.importorskip("dockerfile", reason="PyPI `dockerfile` (BuildKit's parser) not installed")

# (how the word is written, the delimiter line that closes it)
DELIMS = [
    ("<<{n}", "{n}"),
    ('<<"{n}"', "{n}"),
    ("<<'{n}'", "{n}"),
    ("<<\\{n}", "{n}"),
    ('<<{h}"{t}"', "{n}"),
    ("<<'{h}'{t}", "{n}"),
]
NAMES = ["EOT", "EOF", "END_1", "my-doc", "a.b"]
INSTRUCTIONS = [
    ("RUN", "{docs}"),
    ("RUN", "{docs} bash -e"),
    ("RUN", "bash {docs}"),
    ("RUN", "python3 {docs}"),
    ("RUN", "--mount=type=cache,target=/root/.cache {docs}"),
    ("COPY", "{docs} /dst/"),
    ("ADD", "--chmod=755 {docs} /dst/"),
]
NOT_HEREDOCS = [
    "echo cat<<EOF",  # not a whole word
    'echo "<<EOF"',  # quoted
    "echo <<<EOF",  # a here-string
    "echo a <<",  # no delimiter
]


def _doc(rng: random.Random, k: int) -> tuple[str, list[str]]:
    """One heredoc opener, its body lines and its closing line."""
    form, close = rng.choice(DELIMS)
    name = rng.choice(NAMES)
    head, tail = name[: len(name) // 2], name[len(name) // 2 :]
    fd = rng.choice(["", "", "3"])
    chomp = rng.choice(["", "-"])
    word = form.format(n=name, h=head, t=tail).replace("<<", f"{fd}<<{chomp}", 1)
    indent = "\t" if chomp else ""
    body = [f"{indent}echo {k} $HOME", f"{indent}\tpip install x{k}", f"  {name}x", f"{name} "]
    rng.shuffle(body)
    return word, [*body, indent + close.format(n=name)]


def generated_corpus(count: int = 300) -> list[str]:
    rng = random.Random(15)
    out = []
    for i in range(count):
        lines = ["FROM debian:12"]
        for _ in range(rng.randint(1, 3)):
            cmd, shape = rng.choice(INSTRUCTIONS)
            n = rng.choice([1, 1, 2, 3])
            docs = [_doc(rng, k) for k in range(n)]
            lines.append(f"{cmd} " + shape.format(docs=" ".join(w for w, _ in docs)))
            for _, body in docs:
                lines.extend(body)
            if rng.random() < 0.3:
                lines.append(f"RUN {rng.choice(NOT_HEREDOCS)}")
        lines.append(f"USER {i}")
        out.append("\n".join(lines) + "\n")
    return out


def _chomp(content: str) -> str:
    return "".join(line.lstrip("\t") for line in content.splitlines(keepends=True))


def _theirs(text: str) -> list[tuple]:
    out = []
    for c in dockerfile.parse_string(text):
        # their content is raw; the `-` form strips leading tabs when it is used
        openers = [w for v in c.value for w in heredoc_words(v)]
        assert len(openers) == len(c.heredocs)
        docs = [
            (h.name, _chomp(h.content) if strip else h.content)
            for h, (_, strip) in zip(c.heredocs, openers, strict=True)
        ]
        out.append((c.cmd.upper(), c.start_line, c.end_line, tuple(docs)))
    return out


def _ours(text: str) -> list[tuple]:
    df = parse(text)
    assert not df.errors, df.errors
    return [
        (i.cmd, i.line, i.end_line, tuple((h.name, h.content) for h in i.heredocs)) for i in df.instructions
    ]


def test_generated_corpus_agrees_with_buildkit() -> None:
    corpus = generated_corpus()
    forms = set()
    for text in corpus:
        assert _ours(text) == _theirs(text), text
        forms |= {w for ins in parse(text).instructions for w in ins.args.split() if "<<" in w}
    # every delimiter form and the fd/chomp variants really occurred
    assert any(w.startswith("<<\\") for w in forms) and any(w.startswith("<<-\\") for w in forms)
    assert any(w.startswith("3<<") for w in forms) and any("'" in w for w in forms)


@pytest.mark.parametrize(
    ("opener", "close"),
    [
        ("<<-\\EOT", "\tEOT"),
        ("<<\\EOT", "EOT"),
        ('<<-"EOT"', "EOT"),
        ("<<'EOT'", "EOT"),
        ('<<E"O"T', "EOT"),
        ("2<<EOT", "EOT"),
    ],
)
def test_each_form_named_like_buildkit(opener: str, close: str) -> None:
    text = f"FROM a:1\nRUN {opener} sh\npip install a\n{close}\nRUN pip install b\n"
    assert _ours(text) == _theirs(text)
    df = parse(text)
    assert df.runs[0].instruction.heredocs[0].name == "EOT"
    # the body is the script the shell runs; the next RUN is its own instruction
    assert [c.argv for c in df.runs[0].commands] == [("pip", "install", "a")]
    assert [c.argv for c in df.runs[1].commands] == [("pip", "install", "b")]


def test_two_heredocs_on_one_run() -> None:
    text = "FROM a:1\nRUN <<A <<-B\necho a\nA\n\techo b\n\tB\nUSER 1\n"
    assert _ours(text) == _theirs(text)
    assert [h.name for h in parse(text).instructions[1].heredocs] == ["A", "B"]


@pytest.mark.parametrize("line", NOT_HEREDOCS)
def test_words_that_only_look_like_heredocs(line: str) -> None:
    text = f"FROM a:1\nRUN {line}\nUSER 1\n"
    assert _ours(text) == _theirs(text)
    assert not parse(text).instructions[1].heredocs


def test_every_combination_of_fd_and_chomp() -> None:
    for fd, chomp, (form, _) in itertools.product(["", "0", "9"], ["", "-"], DELIMS):
        word = form.format(n="EOT", h="E", t="OT").replace("<<", f"{fd}<<{chomp}", 1)
        tab = "\t" if chomp else ""
        text = f"FROM a:1\nCOPY {word} /x\n{tab}line\n{tab}EOT\nUSER 1\n"
        assert _ours(text) == _theirs(text), word
