"""The conda <-> PyPI name table shipped in envaudit/data/conda_pypi.tsv."""

from __future__ import annotations

from envaudit.condanames import DATA, conda_names, is_python_package, pypi_name


def test_names_that_differ() -> None:
    assert pypi_name("pytorch") == "torch"
    assert pypi_name("PyTorch") == "torch"
    assert pypi_name("opencv") == "opencv-python"
    assert pypi_name("py-xgboost") == "xgboost"
    assert pypi_name("matplotlib-base") == "matplotlib"


def test_names_that_are_the_same() -> None:
    for name in ("numpy", "scikit-learn", "pillow", "transformers"):
        assert pypi_name(name) == name


def test_packages_without_a_python_distribution() -> None:
    for name in ("pytorch-cuda", "cudatoolkit", "cudnn", "mkl", "ffmpeg"):
        assert pypi_name(name) is None and not is_python_package(name)


def test_reverse() -> None:
    assert conda_names("torch")[0] == "torch" and "pytorch" in conda_names("torch")


def test_table_names_its_source_and_is_well_formed() -> None:
    text = DATA.read_text(encoding="utf-8")
    assert "grayskull_pypi_mapping.yaml" in text
    rows = [r for r in text.splitlines() if r.strip() and not r.startswith("#")]
    conda = [r.split("\t")[0] for r in rows]
    assert all(r.count("\t") == 1 for r in rows) and len(conda) == len(set(conda))
