"""SARIF 2.1.0 output, validated against the OASIS schema kept in this folder."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from envaudit.engine import CheckResult
from envaudit.report import render
from tests.conftest import check, write

SCHEMA = json.loads((Path(__file__).parent / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))


def validate(doc: dict) -> None:  # type: ignore[type-arg]
    jsonschema.Draft4Validator(SCHEMA).validate(doc)


def test_schema_is_the_official_one() -> None:
    assert SCHEMA["title"].startswith("Static Analysis Results Format (SARIF) Version 2.1.0")
    assert SCHEMA["$schema"] == "http://json-schema.org/draft-04/schema#"


def test_schema_rejects_a_broken_document() -> None:
    with pytest.raises(jsonschema.ValidationError):
        validate({"version": "2.1.0", "runs": [{"tool": {"driver": {}}}]})


def test_sarif_valid_with_rules_results_and_locations(hostile_result: CheckResult) -> None:
    doc = json.loads(render("sarif", hostile_result))
    validate(doc)
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert "ZZ901" in ids and "DOC001" in ids  # every rule that ran, fired or not
    zz = rules[ids.index("ZZ901")]
    assert zz["defaultConfiguration"]["level"] == "error" and "explains" in zz["help"]["text"]
    assert rules[ids.index("DOC003")]["defaultConfiguration"]["level"] == "note"
    results = run["results"]
    pinned = next(r for r in results if r["ruleId"] == "ZZ901" and r["level"] == "error")
    assert ids[pinned["ruleIndex"]] == "ZZ901"
    phys = pinned["locations"][0]["physicalLocation"]
    assert phys["artifactLocation"] == {"uri": "requirements.txt", "uriBaseId": "PROJECTROOT"}
    assert phys["region"] == {"startLine": 1, "startColumn": 1}
    assert run["originalUriBaseIds"]["PROJECTROOT"]["uri"].startswith("file:///")
    assert run["originalUriBaseIds"]["PROJECTROOT"]["uri"].endswith("/")
    # a file name with markup is percent-encoded in the URI, never raw
    weights = next(r for r in results if r["ruleId"] == "DOC006")
    uri = weights["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri.startswith("weights/%3Cimg%20src%3Dx") and "<" not in uri
    # GitHub rejects a whole upload if one result has no location: environment-wide
    # findings are anchored at the project's central file and marked as such
    assert all(r.get("locations") for r in results)
    env_wide = next(r for r in results if r["level"] == "note" and r["ruleId"] == "ZZ901")
    assert env_wide["properties"]["scope"] == "environment"
    anchor = env_wide["locations"][0]["physicalLocation"]
    assert anchor["artifactLocation"]["uri"] == "requirements.txt" and anchor["region"] == {"startLine": 1}


def test_environment_findings_anchor_at_the_config_or_any_file(tmp_path: Path) -> None:
    write(tmp_path, {"src/train.py": "x = 1\n"})  # no README, no manifest: DOC001 is environment-wide
    doc = json.loads(render("sarif", check(tmp_path, "DOC001")))
    validate(doc)
    (res,) = doc["runs"][0]["results"]
    assert res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "src/train.py"
    write(tmp_path, {"pyproject.toml": "[project]\nname = 'x'\n"})
    doc = json.loads(render("sarif", check(tmp_path, "DOC001")))
    (res,) = doc["runs"][0]["results"]
    assert res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "pyproject.toml"


def _fingerprints(root: Path) -> dict[str, str]:
    doc = json.loads(render("sarif", check(root, "DOC")))
    validate(doc)
    return {r["ruleId"]: next(iter(r["partialFingerprints"].values())) for r in doc["runs"][0]["results"]}


def test_fingerprints_stable_across_runs_and_line_moves(tmp_path: Path) -> None:
    write(tmp_path, {"README.md": "# x\n", "train.py": "import torch\nlr = 0.1\nx.cuda()\n"})
    first = _fingerprints(tmp_path)
    assert first and first == _fingerprints(tmp_path)
    write(tmp_path, {"train.py": "import torch\n\n\nlr = 0.1\nx.cuda()\n"})  # lines moved
    assert _fingerprints(tmp_path) == first
    write(tmp_path, {"train.py": "import torch\nlr = 0.1\nx.to('cuda')\n"})  # a different finding
    assert _fingerprints(tmp_path)["DOC003"] != first["DOC003"]


def test_cli_sarif_output(tmp_path: Path) -> None:
    from tests.conftest import invoke

    write(tmp_path, {"train.py": "x = 1\n"})
    res = invoke("check", str(tmp_path), "--select", "DOC", "--format", "sarif")
    assert res.exit_code == 1  # DOC001 is an error
    validate(json.loads(res.stdout))


def test_a_missing_file_the_finding_asks_for_is_not_the_annotated_file(tmp_path: Path) -> None:
    # `no .dockerignore`: code scanning and GitHub cannot show a file that is not there;
    # the result is project-level (anchored like environment results), as ruff/hadolint do
    write(tmp_path, {"Dockerfile": "FROM a:1\n"})
    result = check(tmp_path, "DKR011")
    sarif = json.loads(render("sarif", result))
    (res,) = sarif["runs"][0]["results"]
    uris = [loc["physicalLocation"]["artifactLocation"]["uri"] for loc in res.get("locations", [])]
    assert ".dockerignore" not in uris and uris == ["Dockerfile"]
    assert res["properties"]["scope"] == "project"
    gh = render("github", result)
    assert "file=.dockerignore" not in gh and "::warning title=DKR011" in gh
