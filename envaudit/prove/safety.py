"""What rebuild and rerun print is scrubbed: no credential, no terminal control.

Every string that comes from the project, the command or an installer (a command line,
an output's first difference, the last lines of a failed run's stderr, a pip error)
passes through `scrub` before it reaches the text report, the JSON record or the
progress lines: URL credentials, secret-looking arguments and assignments, well-known
token formats and the values of this process's secret-looking environment variables
(HF_TOKEN, WANDB_API_KEY, ...: a command may print them) are masked, and control
characters (ANSI escapes, carriage returns, NUL) are shown escaped, so a hostile output
name or stderr line cannot rewrite the user's terminal.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

from envaudit.redact import MASK, is_secret_name, redact_argv, redact_text

# C0 controls but tab and newline, DEL, and C1 controls (8-bit CSI and friends)
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_MIN_SECRET = 4  # shorter values ("1", "yes") would mask ordinary words


def secret_env_values(environ: dict[str, str] | None = None) -> list[str]:
    """The values of secret-looking variables of the environment, longest first."""
    env = os.environ if environ is None else environ
    values = {v for k, v in env.items() if is_secret_name(k) and len(v) >= _MIN_SECRET}
    return sorted(values, key=len, reverse=True)


def escape_controls(text: str, *, keep_newlines: bool = True) -> str:
    def esc(m: re.Match[str]) -> str:
        c = m.group(0)
        return f"\\x{ord(c):02x}"

    text = _CONTROL_RE.sub(esc, text)
    return text if keep_newlines else text.replace("\n", "\\n").replace("\t", "\\t")


def scrub(text: str, *, keep_newlines: bool = True, secrets: Iterable[str] | None = None) -> str:
    """`text` safe to print: secrets masked, control characters escaped."""
    if not text:
        return text
    for value in secret_env_values() if secrets is None else secrets:
        if value in text:
            text = text.replace(value, MASK)
    return escape_controls(redact_text(text), keep_newlines=keep_newlines)


def scrub_opt(text: str | None) -> str | None:
    return None if text is None else scrub(text)


def scrub_argv(argv: Iterable[str]) -> list[str]:
    """A command line safe to print (each word scrubbed, one line)."""
    secrets = secret_env_values()
    return [scrub(w, keep_newlines=False, secrets=secrets) for w in redact_argv(list(argv))]
