"""What pip accepts as a `--hash=ALG:HEX`, the one rule for requirements files and locks.

pip's `--hash` takes only the algorithms in `pip._internal.utils.hashes.STRONG_HASHES`
(sha256, sha384, sha512) and refuses the whole file for another; a digest of the wrong
length or with a character that is not hex can never match, so every install of it fails
(uv refuses it as "Invalid hash digest length", naming the wrong package at times).
"""

from __future__ import annotations

import re

# algorithm -> length of its hex digest
PIP_HASHES = {"sha256": 64, "sha384": 96, "sha512": 128}
_HEX = re.compile(r"[0-9a-fA-F]*")


def hash_problem(value: str, default: str | None = None) -> str | None:
    """Why `ALG:HEX` is not a hash pip can check, or None when it is. `default`: the
    algorithm of a bare digest (a lock's `sha256` written without its prefix)."""
    alg, sep, hexd = value.partition(":")
    if not sep:
        if default is None:
            return "has no algorithm (expected sha256:<hex>)"
        alg, hexd = default, value
    if alg not in PIP_HASHES:
        return f"uses the algorithm `{alg[:20]}`, which pip does not accept (only {', '.join(PIP_HASHES)})"
    if not _HEX.fullmatch(hexd):
        return f"has a {alg} digest that is not hexadecimal"
    want = PIP_HASHES[alg]
    if len(hexd) != want:
        return f"has a {alg} digest of {len(hexd)} hex characters, not {want}"
    return None


def first_difference(a: str, b: str) -> int:
    """1-based position of the first character where `a` and `b` differ (case aside)."""
    a, b = a.lower(), b.lower()
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return i + 1
    return min(len(a), len(b)) + 1
