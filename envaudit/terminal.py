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
