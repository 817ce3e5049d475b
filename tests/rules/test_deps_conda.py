"""DEP006 / DEP007 for environment.yml's conda specs, against a conda environment laid out
by hand (conda-meta/ records, and dist-info for what pip installed into it).

conda's grammar (see tests/test_condaspec.py for the sources): `numpy=1.26` is 1.26.*,
`numpy==1.26` and `numpy 1.26` are exact, `numpy=1.26=py311*` names a build.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import invoke, write
from tests.fakeenv import dist_info


def conda_env(prefix: Path, records: dict[str, str], pip: dict[str, str] | None = None) -> Path:
    """conda-meta/<name>-<version>-<build>.json for each record (`"1.26.4=py311h_0"`), and a
    dist-info for each conda package that is a Python distribution, as conda lays them out."""
    meta = prefix / "conda-meta"
    meta.mkdir(parents=True)
    site = prefix / "lib" / "python3.11" / "site-packages"
    site.mkdir(parents=True)
    (prefix / "bin").mkdir()
    (prefix / "bin" / "python").write_text("", encoding="utf-8")
    records = {"python": "3.11.7=h955ad1f_0", **records}
    for name, vb in records.items():
        version, _, build = vb.partition("=")
        (meta / f"{name}-{version}-{build or 'h0_0'}.json").write_text(
            json.dumps({"name": name, "version": version, "build": build}), encoding="utf-8"
        )
    python_dists = {"numpy": "numpy", "pytorch": "torch", "scikit-learn": "scikit-learn", "pandas": "pandas"}
    for name, vb in records.items():
        if name in python_dists:
            dist_info(site, python_dists[name], vb.partition("=")[0], installer="conda")
    for name, version in (pip or {}).items():
        dist_info(site, name, version)
    return prefix


def _check(proj: Path, env: Path, *extra: str) -> dict:  # type: ignore[type-arg]
    res = invoke(
        "check", str(proj), "--select", "DEP006,DEP007", "--python", str(env), "--format", "json", *extra
    )
    return json.loads(res.stdout)


def _by_code(doc: dict, code: str) -> list[str]:  # type: ignore[type-arg]
    return [f"{f['location']['line']}: {f['message']}" for f in doc["findings"] if f["code"] == code]


ENV_YML = """name: ml
channels: [conda-forge]
dependencies:
  - python=3.11
  - numpy=1.26
  - pytorch>=2.1
  - scikit-learn==1.4.*
  - pandas 2.1.4
  - cudatoolkit=11.8
  - pip
  - pip:
    - requests>=2.31
"""


def test_conda_specs_are_compared_with_conda_meta(tmp_path: Path) -> None:
    proj = write(tmp_path / "proj", {"environment.yml": ENV_YML})
    # every spec satisfied, read as conda reads it: 1.26.4 is in `=1.26` (1.26.*)
    ok = conda_env(
        tmp_path / "ok",
        {
            "numpy": "1.26.4=py311h64a7726_0",
            "pytorch": "2.3.0=cuda118py311_0",
            "scikit-learn": "1.4.2=py311_1",
            "pandas": "2.1.4=py311_0",
            "cudatoolkit": "11.8.0=h6a678d5_0",
        },
        pip={"requests": "2.32.3"},
    )
    doc = _check(proj, ok)
    assert doc["findings"] == [], doc["findings"]
    # drift, each as conda means it
    bad = conda_env(
        tmp_path / "bad",
        {
            "numpy": "1.25.2=py311_0",  # not 1.26.*
            "pytorch": "2.0.1=cuda118py311_0",  # not >=2.1
            "scikit-learn": "1.5.0=py311_0",  # not 1.4.*
            "pandas": "2.1.3=py311_0",  # a bare version is exact
            "cudatoolkit": "11.7.1=h0_0",  # a conda-only package: conda-meta alone says it
        },
        pip={"requests": "2.30.0"},  # the pip section's range, against the dist-info
    )
    drift = _by_code(_check(proj, bad), "DEP006")
    assert len(drift) == 6, drift
    assert any(d.startswith("5: `numpy`: installed 1.25.2") and "(that is 1.26.*)" in d for d in drift)
    assert any(d.startswith("6: `pytorch`: installed 2.0.1") for d in drift)
    assert any(d.startswith("7: `scikit-learn`: installed 1.5.0") and "1.4.*" in d for d in drift)
    assert any(d.startswith("8: `pandas`: installed 2.1.3") and "==2.1.4" in d for d in drift)
    assert any(d.startswith("9: `cudatoolkit`: installed 11.7.1") for d in drift)
    assert any(
        d.startswith("12: `requests`: installed 2.30.0 does not satisfy the declared >=2.31") for d in drift
    )


def test_tricky_true_negatives(tmp_path: Path) -> None:
    """`=1.26` is not `==1.26` (1.26.4 is fine), `numpy=1.26=py311*` with a matching build,
    a conda package provided only as a pip-installed distribution (conda name -> PyPI name)."""
    proj = write(
        tmp_path / "proj",
        {
            "environment.yml": "name: ml\ndependencies:\n  - numpy=1.26.4=py311*\n  - pytorch=2.1\n  - conda-forge::pandas>=2,<3\n"
        },
    )
    env = conda_env(tmp_path / "env", {"numpy": "1.26.4=py311h64a7726_0", "pandas": "2.2.0=py311_0"})
    dist_info(env / "lib" / "python3.11" / "site-packages", "torch", "2.1.2+cu121")  # pip-installed torch
    assert _check(proj, env)["findings"] == []
    # the build string is compared too
    (env / "conda-meta" / "numpy-1.26.4-py311h64a7726_0.json").rename(
        env / "conda-meta" / "numpy-1.26.4-py310h64a7726_0.json"
    )
    drift = _by_code(_check(proj, env), "DEP006")
    assert len(drift) == 1 and "1.26.4 (py310h64a7726_0)" in drift[0] and "py311*" in drift[0], drift


def test_declared_but_not_installed(tmp_path: Path) -> None:
    proj = write(tmp_path / "proj", {"environment.yml": ENV_YML})
    env = conda_env(
        tmp_path / "env",
        {"numpy": "1.26.4=py311_0", "pytorch": "2.3.0=py311_0", "scikit-learn": "1.4.2=py311_0"},
        pip={"requests": "2.32.3"},
    )
    missing = _by_code(_check(proj, env), "DEP007")
    assert sorted(missing) == [
        "8: `pandas 2.1.4` is not installed in the target environment (conda at " + str(env) + ")",
        "9: `cudatoolkit=11.8` is not installed in the target environment (conda at " + str(env) + ")",
    ], missing
    # true negative: a virtualenv was not made from environment.yml: its conda lines are not
    # compared with it (the `pip:` section is, as any requirements)
    from tests.fakeenv import make_venv

    make_venv(tmp_path / "venv", {"numpy": "1.20.0", "requests": "2.30.0"})
    doc = _check(proj, tmp_path / "venv")
    assert _by_code(doc, "DEP007") == []
    assert [m.split(":")[0] for m in _by_code(doc, "DEP006")] == ["12"]  # requests>=2.31 only


def test_a_conda_file_mostly_missing_is_one_finding(tmp_path: Path) -> None:
    deps = "".join(f"  - pkg{i}=1.{i}\n" for i in range(8))
    proj = write(tmp_path / "proj", {"environment.yml": f"name: ml\ndependencies:\n{deps}"})
    env = conda_env(tmp_path / "env", {"pkg0": "1.0.3=h_0"})
    missing = _by_code(_check(proj, env), "DEP007")
    assert len(missing) == 1 and "not installed from environment.yml: 7 of 8 pins missing" in missing[0]
