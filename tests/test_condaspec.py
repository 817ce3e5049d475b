"""conda's match-spec grammar (envaudit.condaspec), checked against conda's own cases.

Source: conda/conda, conda/models/match_spec.py (`_parse_spec_str`: `=1.2.3` becomes the
prefix `1.2.3*`, `==1.2.3` and a bare `1.2.3` are exact, a build after `=` or a space),
conda/models/version.py (`VersionOrder`, `VersionSpec`) and tests/models/test_match_spec.py
`test_canonical_string_forms` (`numpy 1.7` is printed `numpy==1.7`, `numpy=1.7` and
`numpy 1.7*` are `numpy=1.7`, i.e. 1.7.*); conda's user guide, "Package search and install
specifications" (`numpy=1.11` fuzzy: 1.11.0, 1.11.1, …; `numpy==1.11` exact: 1.11.0).
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from envaudit.condaspec import SpecError, matches, parse, read_conda_meta, startswith, version_eq


@pytest.mark.parametrize(
    ("spec", "version", "ok"),
    [
        ("numpy=1.26", "1.26.4", True),  # one `=`: a prefix
        ("numpy=1.26", "1.26", True),
        ("numpy=1.26", "1.260.1", False),  # a prefix of components, not of characters
        ("numpy=1.26", "1.25.2", False),
        ("numpy==1.26", "1.26.0", True),  # exact; 1.26 == 1.26.0 (missing parts are 0)
        ("numpy==1.26", "1.26.4", False),
        ("numpy 1.26", "1.26.4", False),  # a bare version is exact too (conda prints numpy==1.26)
        ("numpy 1.26*", "1.26.4", True),
        ("numpy 1.26.*", "1.26.4", True),
        ("pytorch>=2.1", "2.0.1", False),
        ("pytorch>=2.1", "2.3.0", True),
        ("pytorch >=2.1,<2.3", "2.3.0", False),
        ("pytorch >=2.1,<2.3|2.4.1", "2.4.1", True),  # `,` binds tighter than `|`
        ("scikit-learn==1.4.*", "1.4.2", True),
        ("scikit-learn==1.4.*", "1.5.0", False),
        ("scikit-learn!=1.4.*", "1.4.2", False),
        ("x~=1.4", "1.9", True),
        ("x~=1.4", "2.0", False),
        ("conda-forge::numpy=1.26.4", "1.26.4", True),
        ("x=1.1", "1.1.post1", True),
        ("x>=1.1", "1.1dev1", False),  # conda's order: 1.1dev1 < 1.1
        ("x<1.1", "1.1a1", True),
        ("x 1.*.3", "1.7.3", True),  # a glob inside the version
    ],
)
def test_version_specs_as_conda_reads_them(spec: str, version: str, ok: bool) -> None:
    assert matches(parse(spec), version) is ok


def test_build_strings() -> None:
    s = parse("numpy=1.26=py311*")  # with a build, conda keeps `1.26` exact (numpy==1.26=py311*)
    assert (s.version, s.build) == ("1.26", "py311*")
    assert matches(s, "1.26.0", "py311h64a7726_0")
    assert not matches(s, "1.26.0", "py310h64a7726_0")
    assert not matches(s, "1.26.4", "py311h64a7726_0")
    assert matches(s, "1.26")  # no build known (a pip-installed distribution): the version decides
    s = parse("pytorch 2.1.0 cuda*")
    assert (s.version, s.build) == ("2.1.0", "cuda*") and matches(s, "2.1.0", "cuda118py311h_0")


def test_describe_in_pip_words() -> None:
    assert parse("numpy=1.26").describe() == "1.26.*"
    assert parse("numpy 1.26").describe() == "==1.26"
    assert parse("numpy>=1.2,<2").describe() == ">=1.2,<2"
    assert parse("numpy").describe() == "any version"


def test_conda_version_order() -> None:
    # conda/models/version.py's documented order
    chain = [
        "0.4",
        "0.4.1.rc",
        "0.4.1",
        "0.5a1",
        "0.5",
        "1.0",
        "1.1dev1",
        "1.1a1",
        "1.1",
        "1.1post1",
        "1!0.4.1",
    ]
    for lo, hi in itertools.pairwise(chain):
        assert matches(parse(f"x<{hi}"), lo) and not matches(parse(f"x<{lo}"), hi), (lo, hi)
    assert version_eq("1.1", "1.1.0") and version_eq("0.4.1.rc", "0.4.1.RC")
    assert startswith("1.26.4", "1.26") and not startswith("1.260", "1.26")


@pytest.mark.parametrize("bad", ["numpy >=", "numpy <=>1", "numpy ~=1.*", "numpy (1.2"])
def test_specs_conda_refuses(bad: str) -> None:
    with pytest.raises(SpecError):
        parse(bad)


def test_conda_meta_records_by_name(tmp_path: Path) -> None:
    meta = tmp_path / "conda-meta"
    meta.mkdir()
    for fn in ("numpy-1.26.4-py311h64a7726_0.json", "typing_extensions-4.9.0-pyha770c72_0.json", "history"):
        (meta / fn).write_text("{}", encoding="utf-8")
    recs = read_conda_meta(tmp_path)
    assert recs["numpy"].version == "1.26.4" and recs["numpy"].build == "py311h64a7726_0"
    assert recs["typing-extensions"] is recs["typing_extensions"]
    assert "history" not in recs and read_conda_meta(tmp_path / "nope") == {}
