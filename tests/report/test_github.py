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
