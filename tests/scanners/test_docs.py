"""The README parser and the tree signals of the `docs` scanner."""

from __future__ import annotations

from pathlib import Path

from envaudit.inventory import Inventory
from envaudit.scanners.docs import parse_readme
from tests.conftest import write


def test_markdown_headings_fences_indented_and_inline_code() -> None:
    text = (
        "Title\n=====\n\n## 1. Installation :rocket:\n\n```bash\n# not a heading\npip install x\n```\n\n"
        "    make install\n\n* item\n\n      nested list continuation\n\nUse `uv sync` now. [guide](docs/a.md)\n"
    )
    p = parse_readme(text, "markdown")
    assert [(h.line, h.title) for h in p.headings] == [(1, "Title"), (4, "Installation rocket")]
    code = [c for _, c in p.code]
    assert "pip install x" in code and "# not a heading" in code
    assert any("make install" in c for c in code)
    assert "uv sync" in code
    assert [(link.text, link.target) for link in p.links] == [("guide", "docs/a.md")]


def test_rst_headings_code_blocks_and_literals() -> None:
    text = (
        "Project\n=======\n\nSetup\n-----\n\n.. code-block:: console\n\n   $ pip install .\n\n"
        "Or with conda::\n\n    conda env create -f environment.yml\n\nBack to prose.\n"
        "See `the docs <https://x.io/install>`_.\n"
    )
    p = parse_readme(text, "rst")
    assert [h.title for h in p.headings] == ["Project", "Setup"]
    code = " ".join(c for _, c in p.code)
    assert "pip install ." in code and "conda env create" in code
    assert "Back to prose." not in code
    assert p.links[0].target == "https://x.io/install"


def test_scan_collects_signals_with_lines(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "README.md": "# X\n\nNeeds 24 GB of GPU memory.\n",
            "train.py": "import torch\n\nx = torch.zeros(1).cuda()\n",
            "requirements.txt": "torch==2.3.1+cu121\n",
            "weights/model.onnx": b"\x08\x01",
            ".github/workflows/t.yml": "steps:\n  - run: |\n      pytest\n",
            "tests/test_x.py": "",
        },
    )
    facts = Inventory(tmp_path).get("docs")
    assert facts.readme.path == "README.md" and facts.readme.hardware[0].line == 3
    assert {(s.path, s.line) for s in facts.gpu_signals} == {("train.py", 3), ("requirements.txt", 1)}
    assert facts.weight_files == ("weights/model.onnx",)
    assert facts.ci_runs_tests[0].line == 3
    assert facts.tests == ("tests/test_x.py",)
