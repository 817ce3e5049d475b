"""DEP008 with conda names and import names that differ (issue 15, attacker round).

Before this round each of these imports was "undeclared" although environment.yml
declared the package: `pytorch_geometric` (the table's key was not canonicalised, the
declared name is), python-lmdb, py-lief, python-kaleido (conda's `python-`/`py-`
prefixes), faiss with faiss-gpu (several PyPI builds install one import name), pycairo,
jpype1, pygobject, ffmpeg-python, cuda-python (import name and distribution differ), and
`from google.cloud import storage` (a namespace package: the distribution is
google-cloud-storage, not "google").
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import check, write

ENV = """\
name: x
dependencies:
  - python=3.11
  - pytorch_geometric=2.4.0
  - python-lmdb=1.4.1
  - py-lief=0.14.0
  - python-kaleido=0.2.1
  - faiss-gpu=1.7.4
  - pycairo=1.25.1
  - jpype1=1.5.0
  - pygobject=3.46.0
  - ffmpeg-python=0.2.0
  - nvidia::cuda-python=12.3.0
  - google-cloud-storage=2.14.0
  - protobuf=4.25.1
  - tensorflow-cpu=2.15.0
  - conda-forge::tensorboardx=2.6.2
  - ipython=8.20.0
"""

CODE = """\
import torch_geometric, lmdb, lief, kaleido, faiss, cairo, jpype, gi, ffmpeg, tensorflow, tensorboardX, IPython
from cuda import cuda
from google.cloud import storage
from google.protobuf import message
import google.cloud.storage
"""


def test_declared_under_conda_names(tmp_path: Path) -> None:
    write(tmp_path, {"environment.yml": ENV, "train.py": CODE})
    assert [f.message for f in check(tmp_path, "DEP008").findings] == []


@pytest.mark.parametrize(
    ("code", "dist"),
    [
        ("from google.cloud import bigquery\n", "google-cloud-bigquery"),  # google-cloud-storage-x is another
        ("import google.auth\n", "google-auth"),  # google-cloud-storage is not google-auth
        ("from azure.storage.blob import BlobClient\n", "azure-storage-blob"),
        ("import faiss\n", "faiss-cpu"),
        ("import cairo\n", "pycairo"),
    ],
)
def test_still_undeclared(tmp_path: Path, code: str, dist: str) -> None:
    write(
        tmp_path,
        {"requirements.txt": "numpy==1.26.4\ngoogle-cloud-storage-x==1\n", "app.py": code},
    )
    (f,) = check(tmp_path, "DEP008").findings
    assert f"distribution {dist}" in f.message


def test_two_namespace_imports_are_two_findings(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "requirements.txt": "numpy==1.26.4\n",
            "app.py": "import google.auth\nfrom google.cloud import pubsub\n",
        },
    )
    got = sorted(f.message for f in check(tmp_path, "DEP008").findings)
    assert len(got) == 2 and "google-auth" in got[0] and "google-cloud" in got[1]
