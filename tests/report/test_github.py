from __future__ import annotations

from envaudit.engine import CheckResult
from envaudit.report import render
from envaudit.report.github import escape_data, escape_property


def test_escaping_follows_the_runner() -> None:
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_workflow_commands(hostile_result: CheckResult) -> None:
    lines = render("github", hostile_result).splitlines()
    error = next(line for line in lines if line.startswith("::error "))
    assert error.startswith(
        "::error file=requirements.txt,line=1,col=1,title=ZZ901 hostile-test::requirement "
    )
    assert "%0AFix: pin" in error
    notice = [line for line in lines if line.startswith("::notice ") and "ZZ901" in line]
    assert notice and "file=" not in notice[0]  # environment-wide: no file
    for line in lines[:-1]:
        assert line.startswith(("::error ", "::warning ", "::notice "))
        head, _, _ = line[2:].partition("::")
        assert "\n" not in line and head.count("title=") == 1
    assert lines[-1].startswith("envaudit: 1 error")


def test_a_message_cannot_inject_another_command(tmp_path, hostile_rule) -> None:  # type: ignore[no-untyped-def]
    from envaudit.config import Config
    from envaudit.engine import run_check
    from envaudit.model import Hit, Location

    hostile_rule.append(Hit("pkg\n::error file=x::forged\r\n::add-mask::x 100%", Location("a,b:c.txt", 2)))
    out = render("github", run_check(tmp_path, Config(select=("ZZ901",))))
    (line, summary) = out.splitlines()
    assert (
        line
        == "::error file=a%2Cb%3Ac.txt,line=2,title=ZZ901 hostile-test::pkg%0A::error file=x::forged%0D%0A::add-mask::x 100%25"
    )
    assert summary.startswith("envaudit: 1 error")
