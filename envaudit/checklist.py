"""The reproducibility checklist as data: four parts, each item decided by rule codes.

An item is *failed* when any of its rules that ran fired, *passed* when at
least one of its rules ran and none fired, and *not checkable automatically*
when none of its rules exists in this installation or was selected for the run,
or when the facts it needs were not there: a finding that says a scan was
skipped (`unless`, e.g. GPU007 without a driver) or a domain the run lacks
(`needs`, e.g. the snapshot only `envaudit verify` supplies).
Items draw on the checklists reviewers use (Papers with Code's ML Code
Completeness Checklist, the NeurIPS paper checklist, Pineau's checklist).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from envaudit._dataclass import dataclass

if TYPE_CHECKING:
    from envaudit.engine import CheckResult

PASSED = "passed"
FAILED = "failed"
NOT_CHECKABLE = "not checkable"


@dataclass(frozen=True)
class Item:
    key: str
    text: str
    codes: tuple[str, ...]
    unless: tuple[str, ...] = ()  # a finding of these codes means the facts were missing
    needs: str | None = None  # an Inventory domain the item cannot be judged without
    needs_target: bool = False  # judged only when a project environment was found


@dataclass(frozen=True)
class Part:
    key: str
    title: str
    items: tuple[Item, ...]


CHECKLIST: tuple[Part, ...] = (
    Part(
        "sharing",
        "Before sharing code",
        (
            Item("readme", "A README says how to set up and run the project", ("DOC001", "DOC002")),
            Item(
                "deps-declared",
                "Every dependency is declared and pinned, with a lockfile",
                ("DEP001", "DEP002", "DEP003", "DEP004", "DEP010", "DEP011"),
            ),
            Item("imports-declared", "Every imported package is declared", ("DEP008",)),
            Item(
                "python-declared",
                "The Python version is declared and consistent",
                ("PY001", "PY002", "PY003"),
            ),
            Item(
                "code-committed",
                "The code is committed and pushed where others can get it",
                ("GIT001", "GIT002", "GIT003", "GIT004", "GIT005", "GIT006"),
            ),
            Item(
                "no-secrets",
                "No secrets in the repository, remotes or images",
                ("GIT009", "GIT010", "DKR017"),
            ),
            Item(
                "container",
                "A container recipe with pinned base image and packages",
                ("DKR001", "DKR002", "DKR004", "DKR013", "DKR018"),
            ),
            Item("tests-ci", "Tests exist and a CI runs them in a clean environment", ("DOC007",)),
            Item(
                "clean-env",
                "Tested on a clean environment (envaudit rebuild)",
                ("RUN001", "RUN002"),
                needs="rebuild_report",
            ),
        ),
    ),
    Part(
        "before-experiments",
        "Before running experiments",
        (
            Item(
                "env-matches",
                "The environment matches the lock and is consistent",
                ("DEP006", "DEP007", "DEP009", "PY004"),
                unless=("EA004",),  # no project environment found: nothing was compared
                needs_target=True,
            ),
            Item(
                "gpu-stack",
                "Driver, CUDA, cuDNN and the framework build fit together",
                ("GPU001", "GPU002", "GPU003", "GPU005", "GPU006", "GPU008", "GPU009", "DKR016"),
                unless=("GPU007",),  # no driver here: the build cannot be matched against it
            ),
            Item("hardware-documented", "Hardware, CUDA and memory needs are documented", ("DOC003",)),
            Item(
                "data-documented",
                "Data sources are documented and the data is versioned",
                ("DOC004", "DAT001", "DAT003"),
            ),
            Item("config-files", "Hyperparameters live in configuration files", ("DOC005",)),
        ),
    ),
    Part(
        "during-training",
        "During training",
        (
            Item("seeded", "Every source of randomness is seeded", ("DET001", "DET002", "DET010")),
            Item(
                "deterministic-kernels",
                "Deterministic kernels are requested on GPU",
                ("DET003", "DET004", "DET008", "DET009"),
            ),
            Item("data-loading", "Data loading order and workers are seeded", ("DET005", "DET006")),
            Item("hash-seed", "PYTHONHASHSEED is set before the interpreter starts", ("DET007",)),
        ),
    ),
    Part(
        "after-training",
        "After training",
        (
            Item("model-card", "Shipped or produced weights have a model card", ("DOC006",)),
            Item(
                "artifacts-stored",
                "Weights and data are stored outside plain git (LFS, DVC) and ignored",
                ("GIT007", "GIT008"),
            ),
            Item("data-unchanged", "The data still matches its recorded checksums", ("DAT002", "DAT003")),
            Item(
                "rerun-same",
                "Re-run gives the same results (envaudit rerun)",
                ("RUN003",),
                needs="rerun_report",
            ),
            Item(
                "env-recorded",
                "The environment matches the recorded snapshot",
                ("PRV001", "PRV002"),
                needs="verify",
            ),
        ),
    ),
)


@dataclass(frozen=True)
class ItemStatus:
    item: Item
    status: str
    ran: tuple[str, ...]  # the item's codes that ran in this check
    fired: tuple[str, ...]  # those among them with findings


def evaluate(result: CheckResult) -> list[tuple[Part, list[ItemStatus]]]:
    ran_codes = {r.code for r in result.rules}
    fired_codes = {f.code for f in result.findings}
    out = []
    for part in CHECKLIST:
        statuses = []
        for item in part.items:
            ran = tuple(c for c in item.codes if c in ran_codes)
            fired = tuple(c for c in ran if c in fired_codes)
            blind = (
                any(c in fired_codes for c in item.unless)
                or (item.needs is not None and not result.inventory.has(item.needs))
                or (item.needs_target and not _target_found(result))
            )
            status = FAILED if fired else NOT_CHECKABLE if blind or not ran else PASSED
            statuses.append(ItemStatus(item, status, ran, fired))
        out.append((part, statuses))
    return out


def _target_found(result: CheckResult) -> bool:
    """Whether a project environment was found (the `python` domain's `found`; facts a
    caller seeded without that attribute count as found)."""
    try:
        target = result.inventory.get("python")
    except Exception:  # --python naming nothing: nothing was compared
        return False
    return bool(getattr(target, "found", True))


def all_codes() -> set[str]:
    return {c for part in CHECKLIST for item in part.items for c in item.codes}
