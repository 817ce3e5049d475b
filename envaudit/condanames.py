"""conda package names <-> PyPI distribution names.

A conda environment file declares `pytorch` and `opencv`; the code imports `torch` and
`cv2`, which PyPI calls torch and opencv-python. The table is envaudit/data/conda_pypi.tsv
(its header names the published mapping it comes from); a name it does not list is the same
on both sides, as it is for most packages (numpy, scikit-learn, pillow).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).parent / "data" / "conda_pypi.tsv"


@lru_cache(maxsize=1)
def _table() -> dict[str, str]:
    out: dict[str, str] = {}
    for row in DATA.read_text(encoding="utf-8").splitlines():
        if not row.strip() or row.startswith("#"):
            continue
        conda, _, pypi = row.partition("\t")
        out[_key(conda)] = pypi.strip()
    return out


def _key(conda_name: str) -> str:
    """conda names compare like PyPI's: `pytorch_geometric` is the declared, canonicalised
    `pytorch-geometric` (the table's key was missed before)."""
    import re

    return re.sub(r"[-_.]+", "-", conda_name.strip()).lower()


def pypi_name(conda_name: str) -> str | None:
    """The PyPI distribution a conda package provides; None when it provides no Python
    distribution at all (cudatoolkit, pytorch-cuda, mkl, ffmpeg)."""
    name = conda_name.strip().lower()
    table = _table()
    if _key(name) in table:
        return table[_key(name)] or None
    return name


def is_python_package(conda_name: str) -> bool:
    return pypi_name(conda_name) is not None


def conda_names(pypi: str) -> list[str]:
    """The conda names that provide a PyPI distribution (itself first)."""
    from envaudit.deps import canonical

    want = canonical(pypi)
    return [want, *sorted(c for c, p in _table().items() if p and canonical(p) == want and c != want)]
