"""Print precision and recall of the DET rules over the labelled corpus.

    PYTHONPATH=. python bench/det_accuracy.py [-v]

-v also lists every false positive and false negative.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.determinism.accuracy import CORPUS, evaluate, load_labels, table


def main() -> None:
    t0 = time.perf_counter()
    scores = evaluate()
    took = time.perf_counter() - t0
    cases = len(load_labels())
    print(f"DET rules over {cases} labelled cases in {CORPUS} ({took:.2f} s)\n")
    print(table(scores))
    if "-v" in sys.argv:
        print()
        for s in scores.values():
            for m in s.misses:
                print(m)


if __name__ == "__main__":
    main()
