"""The checklist is data; its status comes from which rules ran and which fired."""

from __future__ import annotations

from pathlib import Path

from envaudit.checklist import CHECKLIST, FAILED, NOT_CHECKABLE, PASSED, all_codes, evaluate
from envaudit.rules import CODE_RE
from tests.conftest import check, write


def test_four_parts_with_well_formed_codes() -> None:
    assert [p.title for p in CHECKLIST] == [
        "Before sharing code",
        "Before running experiments",
        "During training",
        "After training",
    ]
    assert all(CODE_RE.match(c) for c in all_codes())
    keys = [i.key for p in CHECKLIST for i in p.items]
    assert len(keys) == len(set(keys))


def _status(result, key: str):  # type: ignore[no-untyped-def]
    for _, statuses in evaluate(result):
        for s in statuses:
            if s.item.key == key:
                return s
    raise KeyError(key)


def test_failed_passed_and_not_checkable(tmp_path: Path) -> None:
    write(tmp_path, {"README.md": "# x\n\n    pip install .\n", "train.py": "lr = 0.1\n"})
    result = check(tmp_path, "DOC")
    readme = _status(result, "readme")
    assert readme.status == PASSED and readme.ran == ("DOC001", "DOC002") and readme.fired == ()
    config = _status(result, "config-files")
    assert config.status == FAILED and config.fired == ("DOC005",)
    seeded = _status(result, "seeded")  # DET rules not selected (or not present)
    assert seeded.status == NOT_CHECKABLE and seeded.ran == ()


def test_an_item_is_not_checkable_when_its_rules_are_ignored(tmp_path: Path) -> None:
    write(tmp_path, {"train.py": "lr = 0.1\n"})
    result = check(tmp_path, "DOC001")
    assert _status(result, "readme").status == FAILED
    assert _status(result, "config-files").status == NOT_CHECKABLE


def test_not_checkable_without_the_facts_it_needs(tmp_path: Path) -> None:
    """The rules ran and found nothing, but could not see: that is no pass."""
    write(tmp_path, {"requirements.txt": "torch==2.3.1\n"})
    result = check(tmp_path, "GPU,PRV")
    # no NVIDIA driver here (GPU007 fires): the build was never matched against one
    if "GPU007" in {f.code for f in result.findings}:
        assert _status(result, "gpu-stack").status == NOT_CHECKABLE
    # a plain check has no snapshot to compare with; only `envaudit verify` brings one
    assert _status(result, "env-recorded").status == NOT_CHECKABLE
    result.inventory.put("verify", object())
    assert _status(result, "env-recorded").status == PASSED
