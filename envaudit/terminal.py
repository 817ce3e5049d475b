"""Project text never drives the user's terminal.

File names, messages and diffs can carry ESC/CSI/OSC sequences (an OSC can retitle
the terminal, rewrite the clipboard or hide a line) or bidirectional overrides.
`escape_controls` shows every C0/C1 control character (tab and newline excepted),
DEL and the bidi controls as a visible escape (`\\x1b`, `\\u202e`); the text and
markdown renderers, GitHub annotations and every fixer diff pass through it.
"""

from __future__ import annotations

import re

from envaudit._lazyre import lazy_re

# C0 except \t and \n; a \r not followed by \n (CRLF line ends are kept); DEL; C1;
# bidi embedding/override/isolate controls.
_CONTROLS = lazy_re("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]|\r(?!\n)")


def _escape(m: re.Match[str]) -> str:
    ch = m.group(0)
    return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"


def escape_controls(text: str) -> str:
    """`text` with every control character made visible (tab, newline and CRLF kept)."""
    return _CONTROLS.sub(_escape, text)


# In JSON text these can only stand inside strings, where `\uXXXX` is the same character:
# escaped, a report `cat` to a terminal or shown by a SARIF viewer cannot be reordered by a
# bidi override a distribution's metadata or an environment's path carried.
_JSON_INVISIBLE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def escape_json_controls(text: str) -> str:
    """JSON text (from `json.dumps(..., ensure_ascii=False)`) with DEL, C1 and the bidi
    controls written as `\\uXXXX` escapes; the parsed value is unchanged."""
    return _JSON_INVISIBLE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)
