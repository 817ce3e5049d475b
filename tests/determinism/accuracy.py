"""Precision and recall of the DET rules over the labelled corpus (tests/determinism/corpus).

Each case is a tiny project; labels.txt lists the findings expected in it as
`CODE@path:line`. A finding counts as a true positive only when code, file and
line all match, so a finding in the wrong place is both a false positive and a
false negative. Shared by tests/determinism/test_accuracy.py and bench/det_accuracy.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from envaudit.config import Config
from envaudit.engine import run_check

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
LABELS = HERE / "labels.txt"
CODES = tuple(f"DET{i:03d}" for i in range(1, 11))


def load_labels(path: Path = LABELS) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, *expected = line.split()
        out[name] = {e for e in expected if e != "-"}
    return out


def predict(case_dir: Path) -> set[str]:
    result = run_check(case_dir, Config(select=("DET",)))
    return {f"{f.code}@{f.location.path}:{f.location.line}" for f in result.findings}


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def evaluate(corpus: Path = CORPUS, labels_path: Path = LABELS) -> dict[str, Score]:
    labels = load_labels(labels_path)
    scores = {c: Score() for c in CODES}
    cases = sorted(p.name for p in corpus.iterdir() if p.is_dir())
    missing = set(cases) ^ set(labels)
    if missing:
        raise ValueError(f"cases and labels disagree: {sorted(missing)}")
    for name in cases:
        got = predict(corpus / name)
        want = labels[name]
        for item in got | want:
            s = scores[item.split("@", 1)[0]]
            if item in got and item in want:
                s.tp += 1
            elif item in got:
                s.fp += 1
                s.misses.append(f"FP {name}: {item}")
            else:
                s.fn += 1
                s.misses.append(f"FN {name}: {item}")
    return scores


def table(scores: dict[str, Score]) -> str:
    rows = ["| rule | TP | FP | FN | precision | recall |", "|---|---|---|---|---|---|"]
    total = Score()
    for code, s in scores.items():
        rows.append(f"| {code} | {s.tp} | {s.fp} | {s.fn} | {s.precision:.2f} | {s.recall:.2f} |")
        total.tp += s.tp
        total.fp += s.fp
        total.fn += s.fn
    rows.append(
        f"| all | {total.tp} | {total.fp} | {total.fn} | {total.precision:.2f} | {total.recall:.2f} |"
    )
    return "\n".join(rows)
