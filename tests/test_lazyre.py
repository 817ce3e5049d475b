"""envaudit._lazyre: a pattern compiles on first use, and behaves as the compiled one."""

from __future__ import annotations

import re

from envaudit._lazyre import lazy_re


def test_compiles_on_first_use_and_pattern_needs_no_compile() -> None:
    p = lazy_re(r"(?P<w>ab+)", re.IGNORECASE)
    assert p.pattern == r"(?P<w>ab+)"
    assert "search" not in vars(p)  # reading .pattern compiled nothing
    m = p.search("xxABBy")
    assert m is not None and m.group("w") == "ABB"
    assert "search" in vars(p)
    assert p.sub("-", "ab AB") == "- -"
    assert p.flags == re.compile(r"(?P<w>ab+)", re.IGNORECASE).flags


def test_built_pattern_builds_its_text_on_first_use() -> None:
    from envaudit._lazyre import lazy_re_built

    calls: list[int] = []

    def build() -> str:
        calls.append(1)
        return r"se+d"

    p = lazy_re_built(build, re.IGNORECASE)
    assert calls == []
    assert p.pattern == r"se+d" and calls == [1]
    assert p.search("x SEED") is not None and p.findall("seed sed") == ["seed", "sed"]
    assert calls == [1]
