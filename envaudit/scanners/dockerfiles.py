"""Dockerfiles: every Dockerfile/Containerfile of the project, parsed into instructions,
stages and the shell commands inside RUN.

envaudit has its own parser (see CHANGELOG): it must keep comments (pragmas), keep
going after a bad instruction (one DKR018 per bad instruction instead of a whole file
lost), expand ARG/ENV and run wherever Python runs. tests/docker compares it with
BuildKit's own parser (PyPI `dockerfile`) on the corpus.

The scanner never judges: it records parse problems as DKR018 diagnostics and
registers `# envaudit: ignore[...]` / `# hadolint ignore=...` comments as
suppressions for the next instruction.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import field
from typing import TYPE_CHECKING

from envaudit._dataclass import dataclass
from envaudit._lazyre import lazy_re

if TYPE_CHECKING:
    from envaudit.inventory import Inventory

INSTRUCTIONS = frozenset(
    [
        "FROM",
        "RUN",
        "CMD",
        "LABEL",
        "MAINTAINER",
        "EXPOSE",
        "ENV",
        "ADD",
        "COPY",
        "ENTRYPOINT",
        "VOLUME",
        "USER",
        "WORKDIR",
        "ARG",
        "ONBUILD",
        "STOPSIGNAL",
        "HEALTHCHECK",
        "SHELL",
    ]
)
FLAGGED = frozenset({"FROM", "RUN", "COPY", "ADD", "HEALTHCHECK"})
HEREDOC_INSTRUCTIONS = frozenset({"RUN", "COPY", "ADD"})

# hadolint's codes that map onto ours, so `# hadolint ignore=DL3013` suppresses DKR004.
HADOLINT_TO_DKR: dict[str, str] = {
    "DL3006": "DKR002",
    "DL3007": "DKR002",
    "DL3013": "DKR004",
    "DL3042": "DKR005",
    "DL3008": "DKR006",
    "DL3009": "DKR007",
    "DL3002": "DKR009",
    "DL3020": "DKR014",
    "DL3064": "DKR017",
}

# BuildKit: a heredoc is a whole shell word `[fd]<<[-]WORD`, where WORD may be quoted or
# escaped (`<<"EOT"`, `<<'EOT'`, `<<\EOT`, `<<E"O"T` all name EOT); `cat<<EOT` is no heredoc
_HEREDOC_WORD = lazy_re(r"^([0-9]*)<<(-?)([^<]*)$")
_DIRECTIVE_RE = lazy_re(r"^#\s*([a-zA-Z][a-zA-Z0-9_-]*)\s*=\s*(.*?)\s*$")
_ENVAUDIT_PRAGMA = lazy_re(r"#\s*envaudit\s*:\s*ignore(?:\[([A-Za-z0-9_,\s-]*)\])?", re.I)
_HADOLINT_PRAGMA = lazy_re(r"#\s*hadolint\s+ignore\s*=\s*([A-Za-z0-9_,\s]+)", re.I)
_HADOLINT_GLOBAL = lazy_re(r"#\s*hadolint\s+global\s+ignore\s*=\s*([A-Za-z0-9_,\s]+)", re.I)
MAX_LINES = 200_000
MAX_SHLEX = 64 * 1024  # characters of one shell script split with shlex
MAX_WORDS = 10_000  # words of one RUN the rules look at: no real command has more


@dataclass(frozen=True)
class Heredoc:
    name: str
    content: str
    strip_tabs: bool = False


@dataclass(frozen=True)
class Instruction:
    cmd: str  # upper case
    line: int  # first physical line
    end_line: int
    args: str  # text after the flags, continuations joined, comments dropped
    flags: tuple[str, ...] = ()  # `--mount=type=cache,target=/x`, `--from=builder`
    json: tuple[str, ...] | None = None  # exec form
    heredocs: tuple[Heredoc, ...] = ()
    stage: int = -1  # index of the stage, -1 before the first FROM

    def flag(self, name: str) -> list[str]:
        """Values of `--name=value` flags (all occurrences)."""
        out = []
        for f in self.flags:
            key, _, value = f[2:].partition("=")
            if key.lower() == name:
                out.append(value)
        return out

    def mounts(self) -> list[dict[str, str]]:
        out = []
        for value in self.flag("mount"):
            fields: dict[str, str] = {}
            for part in value.split(","):
                k, eq, v = part.partition("=")
                fields[k.strip().lower()] = v.strip() if eq else "true"
            fields.setdefault("type", "bind")
            if "dst" in fields or "destination" in fields:
                fields.setdefault("target", fields.get("dst") or fields.get("destination", ""))
            out.append(fields)
        return out


@dataclass(frozen=True)
class ShellCommand:
    """One simple command inside a RUN (after splitting `&&`, `||`, `;`, `|`, subshells)."""

    argv: tuple[str, ...]  # variables expanded where known
    line: int  # the RUN's line
    prefix: tuple[str, ...] = ()  # `sudo`, `env`, `FOO=bar` before the command word
    after: str = ""  # the operator before it: `|`, `&&`, `||`, `;`, `(`, `$(` or ""


@dataclass(frozen=True)
class Stage:
    index: int
    name: str | None
    base: str  # as written
    base_expanded: str | None  # None when a variable in it has no known value
    line: int
    instructions: tuple[Instruction, ...]
    platform: str | None = None
    env: tuple[tuple[str, str], ...] = ()  # ENV/ARG values known at the end of the stage


@dataclass(frozen=True)
class RunFacts:
    instruction: Instruction
    commands: tuple[ShellCommand, ...]
    env: tuple[tuple[str, str], ...]  # ENV (and ARG) in force at this RUN
    shell: tuple[str, ...]  # the SHELL in force


@dataclass(frozen=True)
class Dockerfile:
    path: str
    instructions: tuple[Instruction, ...]
    stages: tuple[Stage, ...]
    runs: tuple[RunFacts, ...]
    global_args: tuple[tuple[str, str | None], ...] = ()
    escape: str = "\\"
    errors: tuple[tuple[int, str], ...] = ()

    @property
    def final_stage(self) -> Stage | None:
        return self.stages[-1] if self.stages else None

    def stage_names(self) -> set[str]:
        return {s.name.lower() for s in self.stages if s.name}


@dataclass(frozen=True)
class Dockerfiles:
    files: tuple[Dockerfile, ...]
    dockerignore: str | None  # rel path of the .dockerignore next to the root, if any
    dockerignore_patterns: tuple[str, ...] = ()


def is_dockerfile_name(rel: str) -> bool:
    """Every name people give Dockerfiles: `Dockerfile`, `Containerfile`, `Dockerfile.gpu`,
    `Dockerfile-cpu`, `Dockerfile_gpu`, `gpu.Dockerfile`, `gpu.dockerfile` (and the same
    with Containerfile). A name that ends in another language's or format's extension is
    that language's file: `dockerfile.py` is a module that writes Dockerfiles,
    `Dockerfile.j2` a template, `Dockerfile-notes.md` a document; docker itself would
    build from any of them with `-f`, but no one does."""
    name = rel.rsplit("/", 1)[-1]
    low = name.lower()
    if low in ("dockerfile", "containerfile"):
        return True
    if low.endswith((".dockerfile", ".containerfile")) and len(low) > len(".dockerfile"):
        return True
    if low.startswith(_DOCKERFILE_PREFIXES) and not low.endswith((".", "-", "_", "~")):
        return not low.endswith(NOT_DOCKERFILE_SUFFIXES)
    return False


_DOCKERFILE_PREFIXES = tuple(f"{b}{sep}" for b in ("dockerfile", "containerfile") for sep in ".-_")


NOT_DOCKERFILE_SUFFIXES = (
    ".dockerignore",
    *(".j2", ".jinja", ".jinja2", ".tmpl", ".template", ".tpl", ".in"),
    *(".py", ".pyc", ".pyi", ".sh", ".bash", ".ps1", ".js", ".ts", ".go", ".rs", ".rb"),
    *(".md", ".rst", ".txt", ".html", ".json", ".yaml", ".yml", ".toml", ".lock"),
    *(".cfg", ".ini", ".xml", ".csv", ".log", ".ipynb", ".patch", ".diff"),
    # backups that editors, merge tools and package managers leave next to the file: copies
    # nothing builds (auditing them would repeat every finding of the real one); `name~`
    # is caught above. pre-commit's `identify` (which picks files for hadolint's hook) would
    # take `Dockerfile.bak` for a Dockerfile; docker builds none of them without `-f`.
    *(".orig", ".rej", ".swp", ".swo", ".bak", ".bk", ".old", ".backup", ".save", ".tmp"),
    *(".dpkg-old", ".dpkg-new", ".dpkg-dist", ".dpkg-bak", ".rpmsave", ".rpmnew", ".rpmorig"),
)


# ---------------------------------------------------------------------------- parser
def parse(text: str, path: str = "Dockerfile", inv: Inventory | None = None) -> Dockerfile:
    """Parse Dockerfile text. Problems become `errors` (line, message), never exceptions."""
    # BuildKit reads lines as Go's bufio.ScanLines does: split at \n only (a \r before it is
    # dropped); str.splitlines would also split at \x0c, \x85, \u2028 … inside a LABEL
    # value and shift every later line number. A UTF-8 BOM before the first line is dropped.
    lines = [ln.removesuffix("\r") for ln in text.removeprefix("\ufeff").split("\n")]
    if lines and lines[-1] == "":
        lines.pop()
    errors: list[tuple[int, str]] = []
    if len(lines) > MAX_LINES:
        errors.append((MAX_LINES, f"more than {MAX_LINES} lines; the rest was not read"))
        lines = lines[:MAX_LINES]
    escape = "\\"
    # parser directives: only at the very top, before any other comment or instruction
    i = 0
    while i < len(lines):
        m = _DIRECTIVE_RE.match(lines[i].strip())
        if not m:
            break
        key, value = m.group(1).lower(), m.group(2)
        if key == "escape":
            if value in ("\\", "`"):
                escape = value
            else:
                errors.append((i + 1, f"invalid escape directive {value!r} (use \\ or `)"))
        elif key not in ("syntax", "check"):
            break
        i += 1

    pending_codes: frozenset[str] | bool | None = False  # pragma for the next instruction
    global_codes: set[str] = set()  # `# hadolint global ignore=…`: the whole file
    raw: list[tuple[str, int, int, str, tuple[Heredoc, ...]]] = []  # cmd, line, end, rest, heredocs
    n = len(lines)
    i = 0
    # a trailing escape continues the line unless it is itself escaped (`a=b\\` ends there;
    # docker and BuildKit's parser agree)
    cont_re = re.compile(r"(?<!" + re.escape(escape) + ")" + re.escape(escape) + r"[ \t]*$")
    while i < n:
        line = lines[i]
        stripped = line.strip()
        if not stripped:
            i += 1
            continue
        if stripped.startswith("#"):
            g = _HADOLINT_GLOBAL.search(stripped)
            if g:
                global_codes |= _mapped(g.group(1))
                i += 1
                continue
            codes = _pragma(stripped)
            if codes is not False:
                pending_codes = _merge(pending_codes, codes)
            i += 1
            continue
        start = i
        parts: list[str] = []
        inline_codes: frozenset[str] | bool | None = False
        while True:
            cur = lines[i]
            m = cont_re.search(cur)
            if m:
                parts.append(cur[: m.start()])
                i += 1
                # comment and empty lines inside a continuation are dropped
                while i < n and (not lines[i].strip() or lines[i].lstrip().startswith("#")):
                    c = _pragma(lines[i].strip())
                    if c is not False:
                        inline_codes = _merge(inline_codes, c)
                    i += 1
                if i >= n:
                    break
                continue
            parts.append(cur)
            i += 1
            break
        logical = " ".join(p.strip() for p in parts).strip()
        end = i  # physical lines consumed so far (1-based end = i)
        word, rest = _first_word(logical)
        cmd = word.upper()
        heredocs: list[Heredoc] = []
        onbuild = _first_word(rest)[0].upper() if cmd == "ONBUILD" else ""
        if (cmd in HEREDOC_INSTRUCTIONS or onbuild in HEREDOC_INSTRUCTIONS) and "<<" in rest:
            for name, strip_tabs in heredoc_words(rest):
                body: list[str] = []
                found = False
                while i < n:
                    hl = lines[i]
                    i += 1
                    if (hl.lstrip("\t") if strip_tabs else hl).rstrip("\r") == name:
                        found = True
                        break
                    body.append(hl.lstrip("\t") if strip_tabs else hl)
                if not found:
                    errors.append(
                        (start + 1, f"unterminated heredoc <<{name}: no line `{name}` before end of file")
                    )
                heredocs.append(Heredoc(name, "\n".join(body) + ("\n" if body else ""), strip_tabs))
            end = i
        raw.append((cmd, start + 1, max(end, start + 1), rest, tuple(heredocs)))
        if len(rest) > MAX_SHLEX and cmd == "RUN":
            errors.append(
                (start + 1, f"RUN of {len(rest)} characters; only its first {MAX_WORDS} words are analysed")
            )
        if inv is not None:
            codes = _merge(pending_codes, inline_codes)
            if codes is not False:
                # the finding lands on the instruction's first line (or any of its lines)
                for ln in range(start + 1, max(end, start + 1) + 1):
                    inv.suppress(path, ln, codes)  # type: ignore[arg-type]
        pending_codes = False

    if inv is not None and global_codes:
        for _, start_line, end_line, _, _ in raw:
            for ln in range(start_line, end_line + 1):
                inv.suppress(path, ln, frozenset(global_codes))
    return _build(path, raw, errors, escape)


def _first_word(text: str) -> tuple[str, str]:
    """The instruction word and the rest: BuildKit splits at the first blank, tab or space."""
    m = _INSTRUCTION_WORD.match(text)
    if m is None:
        return "", ""
    return m.group(1), m.group(2).strip()


# Go's `\s` (ASCII blanks only): a no-break space does not end the instruction word
_INSTRUCTION_WORD = lazy_re(r"[ \t\f\v\r]*([^ \t\f\v\r]+)[ \t\f\v\r]*(.*)", re.S)


def raw_words(text: str) -> list[str]:
    """Split at unquoted blanks, keeping quotes and backslashes in the words (BuildKit's
    lexer with RawQuotes and RawEscapes, as it splits an instruction to find heredocs)."""
    words: list[str] = []
    cur: list[str] = []
    quote = ""
    in_word = False
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            cur.append(ch)
            if ch == "\\" and quote == '"' and i + 1 < len(text):
                cur.append(text[i + 1])
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in " \t\n":
            if in_word:
                words.append("".join(cur))
                cur, in_word = [], False
        else:
            in_word = True
            cur.append(ch)
            if ch == "\\" and i + 1 < len(text):
                cur.append(text[i + 1])
                i += 1
            elif ch in "'\"":
                quote = ch
        i += 1
    if in_word:
        words.append("".join(cur))
    return words


def _heredoc_name(word: str) -> tuple[str, bool] | None:
    """(name, strip_tabs) when a raw word opens a heredoc, as BuildKit reads it."""
    m = _HEREDOC_WORD.match(word)
    if not m or not m.group(3):
        return None
    try:
        unquoted = shlex.split(m.group(3), posix=True)
    except ValueError:
        return None
    if len(unquoted) != 1 or not unquoted[0]:
        return None
    return unquoted[0], m.group(2) == "-"


def heredoc_words(rest: str) -> list[tuple[str, bool]]:
    """The heredocs an instruction opens, in order: (name, strip_tabs)."""
    return [h for w in raw_words(rest) if (h := _heredoc_name(w)) is not None]


def _pragma(comment: str) -> frozenset[str] | bool | None:
    m = _ENVAUDIT_PRAGMA.search(comment)
    if m:
        if m.group(1) is None:
            return None
        return frozenset(c.strip().upper() for c in m.group(1).split(",") if c.strip()) or None
    m = _HADOLINT_PRAGMA.search(comment)
    if m:
        return frozenset(_mapped(m.group(1)))
    return False


def _mapped(codes: str) -> set[str]:
    """hadolint codes -> the DKR codes they stand for (others are hadolint's business)."""
    out = set()
    for c in codes.replace(" ", ",").split(","):
        c = c.strip().upper()
        if c in HADOLINT_TO_DKR:
            out.add(HADOLINT_TO_DKR[c])
    return out


def _merge(a: frozenset[str] | bool | None, b: frozenset[str] | bool | None) -> frozenset[str] | bool | None:
    if a is False:
        return b
    if b is False:
        return a
    if a is None or b is None:
        return None
    return a | b  # type: ignore[operator]


def _split_flags(cmd: str, rest: str) -> tuple[tuple[str, ...], str]:
    if cmd not in FLAGGED:
        return (), rest
    flags = []
    while rest.startswith("--"):
        m = re.match(r"--[A-Za-z][A-Za-z0-9-]*(?:=(?:\"[^\"]*\"|'[^']*'|\S)*)?", rest)
        if not m:
            break
        flags.append(m.group(0))
        rest = rest[m.end() :].lstrip()
    return tuple(flags), rest


def _json_form(rest: str) -> tuple[str, ...] | None:
    if not rest.startswith("["):
        return None
    try:
        value = json.loads(rest)
    except ValueError:
        return None
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return None


def expand(text: str, env: dict[str, str | None]) -> str | None:
    """Docker's variable substitution (`$V`, `${V}`, `${V:-word}`, `${V-word}`, `${V:+word}`,
    `${V+word}`, with words that hold expansions of their own: `${A:-${B}}`, as BuildKit's
    shell lexer reads them); None when a variable without a known value is used. Other
    forms (`${#V}`, `${V%%x}`) are left as written."""
    if "$" not in text:
        return text
    unknown = False

    def value_of(name: str, op: str | None, word: str | None) -> str:
        nonlocal unknown
        value = env.get(name)
        if op in (":-", "-"):
            if value is None or (op == ":-" and value == ""):
                inner = expand(word or "", env)
                unknown |= inner is None
                return inner or ""
            return value
        if op in (":+", "+"):
            if value is None or (op == ":+" and value == ""):
                return ""
            inner = expand(word or "", env)
            unknown |= inner is None
            return inner or ""
        if value is None:
            unknown = True
            return ""
        return value

    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch != "$" or i + 1 >= n:
            out.append(ch)
            i += 1
            continue
        if text[i + 1] == "{":
            close = _matching_brace(text, i + 1)
            m = _BRACED.match(text, i + 2, close) if close is not None else None
            if close is None or m is None or m.end() != close:
                out.append(ch)  # not a form envaudit reads: kept as written
                i += 1
                continue
            out.append(value_of(m.group(1), m.group(2), m.group(3)))
            i = close + 1
            continue
        m = _BARE_NAME.match(text, i + 1)
        if m is None:
            out.append(ch)
            i += 1
            continue
        out.append(value_of(m.group(0), None, None))
        i = m.end()
    return None if unknown else "".join(out)


_BRACED = lazy_re(r"([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])(.*))?", re.S)


def _matching_brace(text: str, open_at: int) -> int | None:
    """Index of the `}` closing the `{` at open_at, counting nested `${`."""
    depth = 0
    i = open_at
    while i < len(text):
        c = text[i]
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return None


def _parse_kv(rest: str, cmd: str) -> list[tuple[str, str | None]]:
    """ENV/ARG/LABEL pairs: `K=V K2="a b"`, legacy `ENV K V`, `ARG NAME`."""
    try:
        tokens = shlex.split(rest, posix=True) if len(rest) <= MAX_SHLEX else rest.split()
    except ValueError:
        tokens = rest.split()
    if not tokens:
        return []
    if cmd == "ENV" and "=" not in tokens[0]:
        key, _, value = rest.partition(" ")
        return [(key.strip(), value.strip().strip("\"'"))]
    out: list[tuple[str, str | None]] = []
    for t in tokens:
        k, eq, v = t.partition("=")
        out.append((k, v if eq else None))
    return out


def _build(
    path: str,
    raw: list[tuple[str, int, int, str, tuple[Heredoc, ...]]],
    errors: list[tuple[int, str]],
    escape: str,
) -> Dockerfile:
    instructions: list[Instruction] = []
    stages: list[Stage] = []
    runs: list[RunFacts] = []
    global_args: dict[str, str | None] = {}
    stage_index = -1
    stage_instr: list[Instruction] = []
    stage_head: tuple[str | None, str, str | None, int, str | None] | None = None
    env: dict[str, str | None] = {}
    shell: tuple[str, ...] = ("/bin/sh", "-c")
    if not raw:
        errors.append((1, "no instructions: the file is empty or holds only comments"))

    def close_stage() -> None:
        if stage_head is not None:
            name, base, expanded, line, platform = stage_head
            stages.append(
                Stage(
                    stage_index,
                    name,
                    base,
                    expanded,
                    line,
                    tuple(stage_instr),
                    platform,
                    tuple((k, v) for k, v in env.items() if v is not None),
                )
            )

    for cmd, line, end, rest, heredocs in raw:
        if cmd not in INSTRUCTIONS:
            word = cmd if len(cmd) <= 40 and cmd.isprintable() else cmd[:40].encode("unicode_escape").decode()
            errors.append((line, f"unknown instruction {word!r}"))
            continue
        flags, body = _split_flags(cmd, rest)
        if cmd == "FROM":
            close_stage()
            stage_index += 1
            stage_instr = []
            tokens = body.split()
            if not tokens:
                errors.append((line, "FROM without an image"))
                tokens = [""]
            base = tokens[0]
            name = None
            if len(tokens) >= 3 and tokens[1].upper() == "AS":
                name = tokens[2]
            elif len(tokens) > 1:
                errors.append((line, f"FROM expects `image [AS name]`, got {body!r}"))
            expanded = expand(base, global_args)
            platform = None
            for f in flags:
                if f.lower().startswith("--platform="):
                    platform = f.split("=", 1)[1]
            stage_head = (name, base, expanded, line, platform)
            # an ARG before the first FROM is only for FROM lines: a stage sees it after its
            # own `ARG NAME` (docker build: `ARG V=x` + `FROM …` + `LABEL v=$V` gives v="")
            env = {}
            shell = ("/bin/sh", "-c")
            ins = Instruction(cmd, line, end, body, flags, None, heredocs, stage_index)
            instructions.append(ins)
            stage_instr.append(ins)
            continue
        if stage_index < 0 and cmd != "ARG":
            errors.append((line, f"{cmd} before the first FROM"))
        arity = _arity_error(cmd, body, heredocs)
        if arity:
            errors.append((line, arity))
        ins = Instruction(cmd, line, end, body, flags, _json_form(body), heredocs, stage_index)
        instructions.append(ins)
        stage_instr.append(ins)
        if cmd == "ARG":
            for k, v in _parse_kv(body, cmd):
                if stage_index < 0:
                    global_args[k] = expand(v, global_args) if v is not None else None
                else:
                    # a stage's `ARG NAME` re-imports the global default
                    env[k] = expand(v, env) if v is not None else (env.get(k) or global_args.get(k))
        elif cmd == "ENV":
            for k, v in _parse_kv(body, cmd):
                env[k] = expand(v, env) if v is not None else ""
        elif cmd == "SHELL":
            if ins.json:
                shell = ins.json
            else:
                errors.append((line, 'SHELL needs the JSON form, e.g. SHELL ["/bin/bash", "-c"]'))
        elif cmd == "RUN":
            runs.append(
                RunFacts(
                    ins,
                    tuple(run_commands(ins, env, shell)),
                    tuple((k, v) for k, v in env.items() if v is not None),
                    shell,
                )
            )
    close_stage()
    return Dockerfile(
        path,
        tuple(instructions),
        tuple(stages),
        tuple(runs),
        tuple(global_args.items()),
        escape,
        tuple(sorted(set(errors))),
    )


# BuildKit's instruction parser refuses these without arguments (`RUN requires at least one
# argument`); CMD and ENTRYPOINT may be empty (they reset the inherited value)
_NEEDS_ARGUMENT = frozenset(
    {"RUN", "ENV", "ARG", "LABEL", "EXPOSE", "VOLUME", "USER", "WORKDIR", "STOPSIGNAL", "ONBUILD"}
    | {"SHELL", "HEALTHCHECK", "MAINTAINER"}
)


def _arity_error(cmd: str, body: str, heredocs: tuple[Heredoc, ...]) -> str | None:
    if heredocs:
        return None
    if cmd in _NEEDS_ARGUMENT and not body.strip():
        return f"{cmd} requires at least one argument (BuildKit refuses to build it)"
    if cmd in ("COPY", "ADD"):
        parts = _json_form(body)
        if parts is None:
            parts = tuple(body.split())
        if len(parts) < 2:
            return f"{cmd} requires a source and a destination"
    return None


# ------------------------------------------------------------------ shell splitting
_SEPARATORS = {"&&", "||", ";", "|", "&", "(", ")", "{", "}", "\n", ";;", "|&", "!"}
_REDIRECT = lazy_re(r"^[0-9]*(?:<|>|>>|<<|<<<|>&|<&|&>|&>>|>\|)$")
_NEEDS_SHLEX = lazy_re(r"[\"'\\#`]")
_FAST_TOKENS = lazy_re(r"[;&|()<>]+|[^\s;&|()<>]+")
_SHELLS = {"sh", "bash", "dash", "zsh", "ash", "ksh"}


def run_commands(ins: Instruction, env: dict[str, str | None], shell: tuple[str, ...]) -> list[ShellCommand]:
    if ins.json is not None:
        argv = list(ins.json)
        return _recurse_sh([ShellCommand(tuple(argv), ins.line)], env, ins.line)
    script = ins.args
    if ins.heredocs:
        head_words = [w for w in raw_words(script) if _heredoc_name(w) is None]
        head = " ".join(head_words)
        if not head_words or head_words[0].rsplit("/", 1)[-1] in _SHELLS:
            script = "\n".join(h.content for h in ins.heredocs)
        else:
            script = head
    return split_shell(script, env, ins.line)


def split_shell(script: str, env: dict[str, str | None], line: int, depth: int = 0) -> list[ShellCommand]:
    # a newline ends a command (heredoc bodies); `\n;` survives shlex eating a `# comment\n`
    tokens: list[str]
    if len(script) > MAX_SHLEX or _NEEDS_SHLEX.search(script) is None:
        # no quoting, or a junk line too long for shlex (about 1 s per 600 kB, and several
        # rules ask): the same tokens for plain words, quotes kept as written
        tokens = _FAST_TOKENS.findall(script.replace("\n", " ; "))  # no quoting: same tokens, 20x faster
    else:
        lex = shlex.shlex(_prepare_for_shlex(script), posix=True, punctuation_chars=";&|()<>")
        lex.whitespace_split = True
        tokens = []
        try:
            for tok in lex:
                tokens.append(tok)
        except ValueError:
            pass  # unbalanced quote: keep what was read
    if len(tokens) > MAX_WORDS:  # a junk 600 kB line: every rule would walk each word
        tokens = tokens[:MAX_WORDS]
    commands: list[ShellCommand] = []
    cur: list[str] = []
    sep = ""
    # `pkgs="curl=7.81.0-1" && apt-get install -y $pkgs`: a variable set earlier in the same
    # script is known to the commands after it (ENV/ARG values are the starting point)
    env = dict(env)
    shell_vars: set[str] = set()

    insert_at: int | None = None  # where a command interrupted by `$( … )` belongs

    def flush(new_sep: str) -> None:
        nonlocal sep, insert_at
        if cur:
            _assign(cur, env, shell_vars)
            made = _make_command(cur, env, line, sep, shell_vars)
            if insert_at is None:
                commands.extend(made)
            else:
                commands[insert_at:insert_at] = made
            insert_at = None
            cur.clear()
            sep = new_sep
        elif new_sep.strip() and new_sep != ")":
            sep = new_sep if not sep or sep == ";" else sep

    # `( … )` and `$( … )` run in a subshell: what they assign is gone after the `)`
    # `$( … )` inside a command's words runs first and the command goes on after the `)`
    # (`pip install $(cat extra.txt) flask` still installs flask): the outer words wait.
    saved: list[tuple[dict[str, str | None], set[str], list[str] | None, str, int | None]] = []
    substitution = False
    in_backticks = False

    def open_substitution() -> None:
        nonlocal sep, insert_at
        at = len(commands) if insert_at is None else insert_at
        saved.append((dict(env), set(shell_vars), list(cur), sep, at))
        insert_at = None
        cur.clear()
        sep = "$("

    def close() -> None:
        nonlocal sep, insert_at
        flush(")")
        if saved:
            outer_env, outer_vars, outer_cur, outer_sep, at = saved.pop()
            env.clear()
            env.update(outer_env)
            shell_vars.clear()
            shell_vars.update(outer_vars)
            if outer_cur is not None:
                cur[:] = outer_cur
                sep = outer_sep
                insert_at = at if outer_cur else None

    skip_next = False
    for piece in tokens:
        if skip_next:
            skip_next = False
            continue
        if not piece:
            continue
        if piece in _SEPARATORS or set(piece) <= set(";&|()"):
            for run in _PAREN_RUNS.findall(piece):
                if run == "(" and substitution:
                    open_substitution()
                elif run == "(":
                    flush("(")
                    saved.append((dict(env), set(shell_vars), None, "", None))
                elif run == ")":
                    close()
                else:
                    flush(run)
                substitution = False
            continue
        substitution = False
        if _REDIRECT.match(piece):
            skip_next = True
        elif piece.endswith("$"):
            # `$(`, `x=$(`: the output is not known (envaudit runs nothing); it stands as a
            # word of unknown value, which an argument list drops and an assignment keeps unknown
            substitution = True
            cur.append(piece[:-1] + SUBSTITUTED)
        elif "`" in piece:
            # `…` is the old spelling of $( … ): each backtick opens or closes one
            segments = piece.split("`")
            word = segments[0]
            for seg in segments[1:]:
                if not in_backticks:
                    cur.append(word + SUBSTITUTED)
                    open_substitution()
                    in_backticks, word = True, seg
                else:
                    if word:
                        cur.append(word)
                    close()
                    in_backticks, word = False, ""  # text glued after the closing ` is dropped
            if word:
                cur.append(word)
        else:
            cur.append(piece)
    while saved:  # an unclosed `$(` or backtick: the words read so far still count
        close()
    flush("")
    if depth < 3:
        return _recurse_sh(commands, env, line, depth)
    return commands


# A `$` the shell keeps literal (`'$P'`, `\\$P`, `"\\$P"`) travels through shlex as this
# character, so that variable expansion skips it; the words get their `$` back at the end.
_LITERAL_DOLLAR = "\ue000"


def _prepare_for_shlex(script: str) -> str:
    """The script as shlex must see it to split it the way sh does:
    - a `\\`-newline outside single quotes is removed (a line continuation, as in a heredoc
      script: `pip install \\` + `flask` is one command);
    - an unquoted newline ends a command (`\\n;`: the `;` survives shlex eating a comment),
      a quoted one stays inside its word;
    - each `$` the shell does not expand (inside single quotes, or escaped by a backslash;
      POSIX sh: a backslash inside double quotes escapes `$`) becomes _LITERAL_DOLLAR;
    - `$NAME` becomes `${NAME}`, so that `$P'y'` still names P once shlex drops the quotes.
    A `#` that starts a word outside quotes starts a comment (its `'` opens nothing)."""
    out: list[str] = []
    quote = ""
    i, n = 0, len(script)
    while i < n:
        ch = script[i]
        if quote == "'":
            out.append(_LITERAL_DOLLAR if ch == "$" else ch)
            if ch == "'":
                quote = ""
        elif ch == "\\" and i + 1 < n:
            nxt = script[i + 1]
            if nxt == "\n":
                pass  # line continuation: both characters go
            elif nxt == "$":
                out.append(_LITERAL_DOLLAR)
            else:
                out.append(script[i : i + 2])
            i += 2
            continue
        elif ch == "$" and (m := _BARE_NAME.match(script, i + 1)):
            out.append("${" + m.group(0) + "}")
            i = m.end()
            continue
        elif ch == "#" and not quote and (i == 0 or script[i - 1] in " \t\n;&|()"):
            j = script.find("\n", i)
            j = n if j < 0 else j
            out.append(script[i:j])
            i = j
            continue
        elif ch == "\n" and not quote:
            out.append("\n;")
        else:
            out.append(ch)
            if ch == '"':
                quote = "" if quote == '"' else '"'
                if quote:
                    out.append(_QUOTED)  # `"$P"` is one word, whatever P holds
            elif ch == "'" and not quote:
                quote = "'"
        i += 1
    return "".join(out)


_BARE_NAME = lazy_re(r"[A-Za-z_][A-Za-z0-9_]*")
_PAREN_RUNS = lazy_re(r"[()]|[^()]+")


def _literal(word: str) -> str:
    return word.replace(_LITERAL_DOLLAR, "$").replace(SUBSTITUTED, "$(…)").replace(_QUOTED, "")


# marks a word that was (partly) double-quoted: its expansions are not split into words
_QUOTED = "\ue002"


# where a command substitution's output goes in a word (`x=$(cat v)`, `torch==$(cat v)`)
SUBSTITUTED = "\ue001"


_ASSIGN = lazy_re(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.S)
_DECLARERS = {"export", "readonly", "declare", "typeset", "local"}
_WHOLE_VAR = lazy_re(r"^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))$")


def _assign(words: list[str], env: dict[str, str | None], shell_vars: set[str]) -> None:
    """Record `A=1 B=2` (a command of assignments only) and `export A=1` in `env`.
    `A=1 cmd` sets A for cmd alone, so it is not recorded."""
    if words[0] == "unset" and len(words) > 1:
        for w in words[1:]:
            if _ASSIGN.match(w + "="):
                env[w] = ""  # unset even when the base image's ENV set it
                shell_vars.add(w)
        return
    if all(_ASSIGN.match(w) for w in words):
        pairs = words
    elif words[0] in _DECLARERS:
        pairs = [w for w in words[1:] if _ASSIGN.match(w)]
    else:
        return
    for w in pairs:
        m = _ASSIGN.match(w)
        assert m is not None
        env[m.group(1)] = None if SUBSTITUTED in w else expand(m.group(2).replace(_QUOTED, ""), env)
        shell_vars.add(m.group(1))


def _make_command(
    words: list[str],
    env: dict[str, str | None],
    line: int,
    sep: str = "",
    shell_vars: set[str] | frozenset[str] = frozenset(),
) -> list[ShellCommand]:
    prefix: list[str] = []
    argv: list[str] = []
    for w in words:
        if not argv and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", w):
            prefix.append(w)  # `PIP_NO_CACHE_DIR=1 pip …`; wrappers (sudo, env …) go by _unwrap
            continue
        quoted = _QUOTED in w
        w = w.replace(_QUOTED, "")
        expanded = expand(w, env)
        whole = _WHOLE_VAR.match(w)
        if expanded is not None and whole and not quoted and (whole.group(1) or whole.group(2)) in shell_vars:
            argv.extend(expanded.split())  # an unquoted shell variable is split into words
            continue
        if w == SUBSTITUTED:
            continue  # `pip install $(cat extra.txt) flask`: the output is not known
        if expanded == "" and w.startswith("$") and not quoted:
            continue  # an unset or empty variable vanishes from the words (`${U:+x}`, `$EMPTY`)
        argv.append(expanded if expanded is not None else w)
    if not argv:
        return []
    more, argv = _unwrap(argv)
    if not argv:
        return []
    prefix += more
    return [ShellCommand(tuple(_literal(a) for a in argv), line, tuple(_literal(p) for p in prefix), sep)]


# commands that run the rest of their words as a command, with the options of theirs that
# take a value (the value is not the command: `sudo -u app pip install x` runs pip)
_WRAPPERS: dict[str, frozenset[str]] = {
    "sudo": frozenset(["-u", "-g", "-h", "-p", "-C", "-D", "-r", "-t", "-U", "-T"]),
    "env": frozenset(["-u", "-C", "-S"]),
    "nice": frozenset(["-n"]),
    "timeout": frozenset(["-s", "-k"]),
    "xargs": frozenset(["-n", "-L", "-P", "-I", "-d", "-E", "-s", "-a"]),
    "ionice": frozenset(["-c", "-n", "-p", "-t"]),
    "stdbuf": frozenset(["-i", "-o", "-e"]),
    "runuser": frozenset(["-u", "-g", "-G"]),
    "time": frozenset(["-f", "-o"]),
    "nohup": frozenset(),
    "exec": frozenset(["-a"]),
    "command": frozenset(),
    "then": frozenset(),
    "do": frozenset(),
    "else": frozenset(),
    # `if pip install x; then …`: the condition is a command too
    "if": frozenset(),
    "elif": frozenset(),
    "while": frozenset(),
    "until": frozenset(),
}
# wrappers whose first plain word is not the command: `timeout 600 pip …`, `gosu app pip …`
_WRAPPER_ARGS = {"timeout": 1, "gosu": 1, "su-exec": 1, "chroot": 1, "taskset": 1}
# environment runners: `conda run -n base pip …`, `poetry run pip …`, `uv run pip …`
_RUNNERS = frozenset(
    {"conda", "mamba", "micromamba", "poetry", "uv", "pipenv", "pdm", "hatch", "pixi", "rye"}
)
_RUNNER_VALUE_OPTS = frozenset(
    [
        "-n",
        "--name",
        "-p",
        "--prefix",
        "--cwd",
        "--env",
        "-e",
        "--python",
        "--with",
        "--directory",
        "--project",
        "--group",
        "--extra",
        "--env-file",
        "--environment",
        "--manifest-path",
        "--index",
        "--default-index",
    ]
)


def _unwrap(argv: list[str]) -> tuple[list[str], list[str]]:
    """(wrapper words, the command they run)."""
    skipped: list[str] = []
    i = 0
    for _ in range(8):  # `sudo -u app env X=1 timeout 60 pip …`: a few layers at most
        if i >= len(argv):
            break
        base = argv[i].rsplit("/", 1)[-1]
        start = i
        if base in _WRAPPERS or base in _WRAPPER_ARGS:
            takes_value = _WRAPPERS.get(base, frozenset())
            i += 1
            while i < len(argv) and argv[i].startswith("-") and argv[i] != "-":
                opt = argv[i]
                i += 1
                if opt == "--":
                    break
                if opt in takes_value and "=" not in opt:
                    i += 1
            while i < len(argv) and _ASSIGN.match(argv[i]) and base in ("sudo", "env"):
                i += 1
            i += _WRAPPER_ARGS.get(base, 0)
        elif base in _RUNNERS and i + 1 < len(argv) and argv[i + 1] == "run":
            i += 2
            while i < len(argv) and argv[i].startswith("-"):
                opt = argv[i]
                i += 1
                if opt == "--":
                    break
                if opt in _RUNNER_VALUE_OPTS:
                    i += 1
        else:
            break
        skipped += argv[start:i]
    return skipped, argv[i:]


def _recurse_sh(
    commands: list[ShellCommand], env: dict[str, str | None], line: int, depth: int = 0
) -> list[ShellCommand]:
    out: list[ShellCommand] = []
    for c in commands:
        out.append(c)
        base = c.argv[0].rsplit("/", 1)[-1]
        if base in _SHELLS or base == "su":  # `su app -c "pip install x"` runs a shell too
            for k, a in enumerate(c.argv[1:], start=1):
                if a.startswith("-") and "c" in a[1:] and not a.startswith("--") and k + 1 < len(c.argv):
                    out.extend(split_shell(c.argv[k + 1], env, line, depth + 1))
                    break
        elif base == "eval" and len(c.argv) > 1:
            out.extend(split_shell(" ".join(c.argv[1:]), env, line, depth + 1))
    return out


# ----------------------------------------------------------------------- scanner
def _links_to_audited(inv: Inventory, rel: str, audited: set[str]) -> bool:
    """A symlink to another Dockerfile of the project: the same file, audited once."""
    import os

    path = inv.root / rel
    if not path.is_symlink():
        return False
    try:
        target = os.path.relpath(os.path.realpath(path), os.path.realpath(inv.root)).replace(os.sep, "/")
    except (OSError, ValueError):
        return False
    return target != rel and target in audited


def scan(inv: Inventory) -> Dockerfiles:
    found = []
    names = [rel for rel in inv.files() if is_dockerfile_name(rel)]
    audited = set(names)
    for rel in names:
        if _links_to_audited(inv, rel, audited):
            continue  # `Dockerfile -> docker/Dockerfile.gpu`: its findings land on the real file
        text = inv.read(rel)
        if text is None:
            continue  # EA001 recorded by inv.read (binary, too large, not UTF-8)
        df = parse(text.text, rel, inv)
        for line, message in df.errors:
            inv.diag(message, rel, line, code="DKR018")
        found.append(df)
    ignore_rel = None
    patterns: tuple[str, ...] = ()
    if (inv.root / ".dockerignore").is_file():
        ignore_rel = ".dockerignore"
        t = inv.read(".dockerignore")
        if t is not None:
            from envaudit.globmatch import MAX_PATTERN, too_long

            kept = []
            for n, ln in enumerate(t.text.splitlines(), 1):
                ln = ln.strip()
                if not ln or ln.startswith("#"):
                    continue
                if too_long(ln):  # fnmatch is quadratic in such a pattern; no path is this long
                    inv.diag(f"pattern of {len(ln)} characters, over {MAX_PATTERN}; ignored", ignore_rel, n)
                    continue
                kept.append(ln)
            patterns = tuple(kept)
    return Dockerfiles(tuple(found), ignore_rel, patterns)


__all__ = [
    "HADOLINT_TO_DKR",
    "Dockerfile",
    "Dockerfiles",
    "Heredoc",
    "Instruction",
    "RunFacts",
    "ShellCommand",
    "Stage",
    "expand",
    "field",
    "heredoc_words",
    "is_dockerfile_name",
    "parse",
    "scan",
    "split_shell",
]
