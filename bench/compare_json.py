#!/usr/bin/env python3
"""Same answers before and after: `envaudit check --format json` from a base commit and
from the working tree, on the same inputs, compared byte for byte.

    python bench/compare_json.py [--base REF] [--python ENV] [DIR ...]

The base commit is exported with `git archive` into a temporary directory and run
with PYTHONPATH pointing there; the working tree runs with PYTHONPATH at the repo.
Default inputs: every folder under fixtures/, every folder under /work/shared/corpus
(or $ENVAUDIT_CORPUS) and the generated repositories of bench/bench_check.py when
they exist (bench/out/repos/*). `--python` defaults to this interpreter's prefix.
The check JSON has no timing fields, so nothing is masked: any difference is a
difference. Each command runs with a fresh, private cache directory (cold), then again
(warm), so the source cache is compared too. Exit status 1 on any difference.
"""

from __future__ import annotations

import argparse
import difflib
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def export(ref: str, dest: Path) -> None:
    data = subprocess.run(["git", "-C", str(REPO), "archive", ref], check=True, capture_output=True).stdout
    tar = dest / "src.tar"
    tar.write_bytes(data)
    with tarfile.open(tar) as tf:
        tf.extractall(dest / "src", filter="data")


def run(src: Path, target: Path, python: str, cache: Path) -> str:
    env = {**os.environ, "PYTHONPATH": str(src), "ENVAUDIT_CACHE_DIR": str(cache), "NO_COLOR": "1"}
    env.pop("VIRTUAL_ENV", None)
    cmd = [sys.executable, "-m", "envaudit", "check", str(target), "--format", "json", "--exit-zero"]
    cmd += ["--python", python]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=str(target))
    return f"rc={p.returncode}\n--stdout--\n{p.stdout}--stderr--\n{p.stderr}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", default="main", help="git ref to compare with (default: main)")
    ap.add_argument("--python", default=sys.prefix, help="environment to audit (default: this one)")
    ap.add_argument("dirs", nargs="*", type=Path)
    args = ap.parse_args()
    targets: list[Path] = list(args.dirs)
    if not targets:
        corpus = Path(os.environ.get("ENVAUDIT_CORPUS", "/work/shared/corpus"))
        targets += sorted(p for p in (REPO / "fixtures").iterdir() if p.is_dir())
        if corpus.is_dir():
            targets += sorted(p for p in corpus.iterdir() if p.is_dir())
        repos = REPO / "bench" / "out" / "repos"
        if repos.is_dir():
            targets += sorted(p for p in repos.iterdir() if p.is_dir())
    bad = 0
    with tempfile.TemporaryDirectory(prefix="envaudit-cmp-") as tmp:
        t = Path(tmp)
        export(args.base, t)
        for i, target in enumerate(targets):
            outs = {}
            for side, src in (("base", t / "src"), ("tree", REPO)):
                cache = t / f"cache-{side}-{i}"
                cold = run(src, target.resolve(), args.python, cache)
                warm = run(src, target.resolve(), args.python, cache)
                outs[side] = (cold, warm)
            same = outs["base"] == outs["tree"] and outs["tree"][0] == outs["tree"][1]
            print(f"{'same' if same else 'DIFFERENT'}  {target}")
            if not same:
                bad += 1
                for a, b, label in (
                    (outs["base"][0], outs["tree"][0], "cold"),
                    (outs["base"][1], outs["tree"][1], "warm"),
                    (outs["tree"][0], outs["tree"][1], "tree cold vs warm"),
                ):
                    if a != b:
                        print(f"  -- {label} --")
                        diff = difflib.unified_diff(
                            a.splitlines(), b.splitlines(), "a", "b", lineterm="", n=1
                        )
                        print("\n".join(list(diff)[:40]))
    print(f"\n{len(targets) - bad}/{len(targets)} identical (base {args.base}, python {args.python})")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
