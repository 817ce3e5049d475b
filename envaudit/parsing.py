"""JSON, TOML and YAML parsing of project and environment files, with one failure type.

The standard parsers raise more than their documented error on hostile input: deep
nesting raises RecursionError (JSON, TOML, pure-Python YAML), a YAML tag such as
`!!int abc` raises ValueError from the constructor, a huge document MemoryError. Each
function here turns every one of them into a `ParseError` that carries a message and,
where the parser knows it, a line, so a caller has one `except` and always a finding
with the file and line. YAML uses libyaml (CSafeLoader) when it is there: it is fast
and refuses nesting deeper than 1,000 levels by itself; the pure-Python loader is
guarded by a nesting pre-check, as it takes seconds on 10k nested brackets.
"""

from __future__ import annotations

import re
from typing import Any

from envaudit._lazyre import lazy_re

# Deeper than this, a manifest is an attack or junk; no real lockfile comes close.
MAX_DEPTH = 500

_BRACKETS_ONLY = lazy_re(r"[^\[\]{}]+")


class ParseError(ValueError):
    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column

    def __str__(self) -> str:
        return self.message


def _too_deep(what: str) -> ParseError:
    return ParseError(f"{what} is nested too deeply to parse", 1)


def _too_big(what: str) -> ParseError:
    return ParseError(f"{what} is too large to parse in memory", 1)


def json_loads(text: str | bytes) -> Any:
    """`json.loads`; any failure (syntax, nesting, memory) is a ParseError with its line."""
    import json

    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"invalid JSON: {exc.msg}", exc.lineno, exc.colno) from None
    except RecursionError:
        raise _too_deep("JSON") from None
    except MemoryError:
        raise _too_big("JSON") from None
    except (ValueError, TypeError) as exc:  # e.g. bytes that are not UTF-8
        raise ParseError(f"invalid JSON: {exc}") from None


def toml_loads(text: str) -> dict[str, Any]:
    """tomllib (tomli below 3.11); any failure is a ParseError with its line."""
    from envaudit import _toml
    from envaudit.textio import toml_error_line

    try:
        return _toml.loads(text)
    except _toml.TOMLDecodeError as exc:
        raise ParseError(f"invalid TOML: {exc}", toml_error_line(exc, text)) from None
    except RecursionError:
        raise _too_deep("TOML") from None
    except MemoryError:
        raise _too_big("TOML") from None
    except (ValueError, TypeError, OverflowError) as exc:  # a date out of range, ...
        raise ParseError(f"invalid TOML: {exc}") from None


def _yaml_loader() -> Any:
    import yaml

    return getattr(yaml, "CSafeLoader", None)


def _flow_depth(text: str) -> int:
    """The deepest nesting of `[`/`{` (quotes ignored: an over-estimate, which only matters
    past MAX_DEPTH) and of block indentation, checked before either YAML loader runs."""
    depth = best = 0
    for ch in _BRACKETS_ONLY.sub("", text):
        if ch in "[{":
            depth += 1
            best = max(best, depth)
        elif depth:
            depth -= 1
    indents = {len(m.group(1)) for m in re.finditer(r"^( *)\S", text, re.MULTILINE)}
    return max(best, len(indents))


def _yaml_call(fn_name: str, text: str) -> Any:
    import yaml

    # the same depth limit whichever loader parses it: libyaml before PyYAML 6.0.1 has none
    # (and hands back a 10k-deep list), the pure-Python loader would recurse
    if _flow_depth(text) > MAX_DEPTH:
        raise _too_deep("YAML")
    loader = _yaml_loader() or yaml.SafeLoader
    try:
        if fn_name == "compose":
            return yaml.compose(text, Loader=loader)
        return yaml.load(text, Loader=loader)  # a safe loader, always
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        col = mark.column + 1 if mark is not None else None
        problem = " ".join(p for p in (exc.context, exc.problem) if p) or str(exc)
        problem = " ".join(problem.split())
        raise ParseError(f"invalid YAML: {problem}", line, col) from None
    except yaml.YAMLError as exc:
        raise ParseError(f"invalid YAML: {' '.join(str(exc).split())}") from None
    except RecursionError:
        raise _too_deep("YAML") from None
    except MemoryError:
        raise _too_big("YAML") from None
    except (ValueError, TypeError, OverflowError, AttributeError) as exc:  # `!!int abc`, `!!timestamp x`
        raise ParseError(f"invalid YAML value: {' '.join(str(exc).split())[:200]}") from None


def yaml_load(text: str) -> Any:
    """A safe YAML load; any failure is a ParseError with its line where known."""
    return _yaml_call("load", text)


def yaml_compose(text: str) -> Any:
    """The YAML node graph (with line marks); any failure is a ParseError."""
    return _yaml_call("compose", text)
