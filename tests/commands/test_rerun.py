"""`envaudit rerun`: real subprocess runs of real scripts in fresh copies of a project."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXTURES, invoke, write

PY = sys.executable
HASH_ORDER = """
    import json
    names = {"conv", "bn", "relu", "pool", "fc", "dropout"}
    with open("layers.json", "w") as fh:
        json.dump({"order": list(names)}, fh)
"""
UNSEEDED = """
    import json
    import random
    with open("metrics.json", "w") as fh:
        json.dump({"loss": 0.5 + random.random()}, fh)
    print(f"loss {random.random():.6f}")
"""


@pytest.fixture(autouse=True)
def _hash_seed_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    """The runs inherit this environment: a PYTHONHASHSEED set by CI would hide the hash-order cases."""
    monkeypatch.delenv("PYTHONHASHSEED", raising=False)


def rerun(root: Path, *args: str) -> tuple[int, dict[str, Any]]:
    res = invoke("rerun", str(root), "--format", "json", "-q", *args)
    assert res.exit_code in (0, 1), res.output
    return res.exit_code, json.loads(res.stdout)


def outputs(record: dict[str, Any]) -> dict[str, str]:
    return {o["path"]: o["status"] for o in record["outputs"]}


def causes(record: dict[str, Any]) -> dict[str, bool]:
    return {c["knob"]: c["reproducible_with"] for c in record["causes"]}


def test_deterministic_script_is_identical_and_runs_in_fresh_copies(tmp_path: Path) -> None:
    root = write(
        tmp_path / "proj",
        {
            "run.py": """
                import os
                with open("log.txt", "a") as fh:  # appends: a shared directory would grow
                    fh.write("ran\\n")
                os.makedirs("out", exist_ok=True)
                with open("out/result.csv", "w") as fh:
                    fh.write("step,value\\n1,0.25\\n")
                print("value 0.25")
            """,
            "log.txt": "",
        },
    )
    code, rec = rerun(root, "--", PY, "run.py")
    assert code == 0 and rec["reproducible"] is True and rec["runs"] == 2
    assert outputs(rec) == {"log.txt": "identical", "out/result.csv": "identical", "<stdout>": "identical"}
    assert rec["causes"] == [] and rec["findings"] == []
    assert (root / "log.txt").read_text() == "" and not (root / "out").exists()  # the project is untouched
    assert set(rec) == {
        "schema",
        "runs",
        "reproducible",
        "outputs",
        "causes",
        "findings",
        "command",
        "run_details",
    }
    assert rec["command"] == [PY, "run.py"]
    assert [(d["run"], d["exit_code"], d["timed_out"]) for d in rec["run_details"]] == [
        (1, 0, False),
        (2, 0, False),
    ]
    assert all(d["seconds"] > 0 for d in rec["run_details"])
    assert rec["schema"] == "envaudit/rerun/1"
    assert set(rec["outputs"][0]) == {"path", "status", "max_abs_diff", "max_rel_diff", "first_difference"}


def test_hash_order_dependence_is_found_and_pythonhashseed_named(tmp_path: Path) -> None:
    root = write(tmp_path / "proj", {"order.py": HASH_ORDER})
    # three runs: two processes have a 1-in-720 chance of the same set order
    code, rec = rerun(root, "--runs", "3", "--", PY, "order.py")
    assert code == 1 and rec["reproducible"] is False and rec["runs"] == 3
    out = rec["outputs"][0]
    assert out["path"] == "layers.json" and out["status"] == "different"
    assert out["first_difference"].startswith("run 1 vs run ") and "order[" in out["first_difference"]
    got = causes(rec)
    assert got["PYTHONHASHSEED=0"] is True and got["seed-all"] is False and got["single-thread"] is False
    assert [f["code"] for f in rec["findings"]] == ["RUN003"]
    assert "PYTHONHASHSEED" in rec["findings"][0]["fix"]["description"]


def test_unseeded_random_is_found_and_matches_det001(tmp_path: Path) -> None:
    root = write(tmp_path / "proj", {"train.py": "if __name__ == '__main__':\n" + _indent(UNSEEDED)})
    code, rec = rerun(root, "--", PY, "train.py")
    assert code == 1
    assert outputs(rec) == {"metrics.json": "different", "<stdout>": "different"}
    metrics = rec["outputs"][0]
    assert metrics["max_abs_diff"] > 0 and metrics["first_difference"].startswith("run 1 vs run 2: loss: ")
    assert causes(rec) == {"PYTHONHASHSEED=0": False, "seed-all": True, "single-thread": False}
    seed = next(c for c in rec["causes"] if c["knob"] == "seed-all")
    assert "predicted by DET001 at train.py:" in seed["detail"]
    assert {f["code"] for f in rec["findings"]} == {"DET001", "RUN003"}


def test_two_causes_together(tmp_path: Path) -> None:
    root = write(tmp_path / "proj", {"both.py": HASH_ORDER + UNSEEDED.replace('"w"', '"a"')})
    code, rec = rerun(
        root, "--runs", "3", "--knob", "PYTHONHASHSEED", "--knob", "seed-all", "--", PY, "both.py"
    )
    assert code == 1
    got = causes(rec)
    assert got == {"PYTHONHASHSEED=0": False, "seed-all": False, "PYTHONHASHSEED=0 + seed-all": True}


def test_close_within_tolerance(tmp_path: Path) -> None:
    root = write(
        tmp_path / "proj",
        # each run prints its own random value: two runs printing the same one (which made
        # this test flaky with a clock modulo 997) now has a chance of 1 in 999,999
        {
            "noisy.py": "import os\nn = int.from_bytes(os.urandom(4), 'big') % 999_999 + 1\nprint(f'loss {1.0 + n * 1e-15:.15f}')\n"
        },
    )
    code, rec = rerun(root, "--no-causes", "--", PY, "noisy.py")
    assert code == 0 and outputs(rec) == {"<stdout>": "close"}
    assert 0 < rec["outputs"][0]["max_abs_diff"] < 1e-9
    code, rec = rerun(root, "--no-causes", "--rtol", "0", "--atol", "0", "--", PY, "noisy.py")
    assert code == 1 and outputs(rec) == {"<stdout>": "different"}


def test_output_globs_and_missing(tmp_path: Path) -> None:
    root = write(
        tmp_path / "proj",
        {
            "w.py": """
                import os
                open("keep.txt", "w").write("same")
                open("noise.txt", "w").write(str(os.getpid()))
                if "run2-" in os.getcwd():
                    open("extra.txt", "w").write("only here")
            """
        },
    )
    code, rec = rerun(
        root, "--no-causes", "--output", "*.txt", "--output", "keep*", "--no-stdout", "--", PY, "w.py"
    )
    assert code == 1
    got = outputs(rec)
    assert got == {"keep.txt": "identical", "noise.txt": "different", "extra.txt": "missing"}
    extra = next(o for o in rec["outputs"] if o["path"] == "extra.txt")
    assert extra["first_difference"] == "run 1 did not write it" and extra["max_abs_diff"] is None
    code, rec = rerun(root, "--no-causes", "--output", "keep.txt", "--", PY, "w.py")
    assert code == 0 and outputs(rec) == {"keep.txt": "identical"}


def test_one_failed_run_is_a_difference_and_no_cause_search(tmp_path: Path) -> None:
    root = write(
        tmp_path / "proj",
        {
            "f.py": "import os, sys\nprint('ok')\nif 'run2-' in os.getcwd():\n"
            "    sys.exit('boom: no such file data.csv')\n"
        },
    )
    code, rec = rerun(root, "--runs", "3", "--", PY, "f.py")
    assert code == 1
    assert outputs(rec)["<run 2>"] == "missing"
    assert "run 2 exited with status 1: boom: no such file data.csv" in rec["outputs"][-1]["first_difference"]
    # a crash is fixed first: no knob rounds, and a fix that speaks of the failure, not of seeds
    assert rec["causes"] == []
    (finding,) = [f for f in rec["findings"] if f["code"] == "RUN003"]
    assert "Run 2 failed" in json.dumps(finding) and "Seed every RNG" not in json.dumps(finding)
    assert [d["exit_code"] for d in rec["run_details"]] == [0, 1, 0]
    res = invoke("rerun", str(root), "-q", "--", PY, "f.py")
    assert res.exit_code == 1 and "Causes" not in res.stdout
    assert "failed: run 2 exited with status 1: boom: no such file data.csv" in res.stdout
    assert res.stdout.rstrip().endswith(
        "1 of 2 runs failed: fix that first (the causes of differences were not searched)."
    )


def test_usage_errors(tmp_path: Path) -> None:
    root = write(
        tmp_path / "proj",
        {
            "x.py": "import sys\nsys.exit(4)\n",
            "quiet.py": "pass\n",
            "slow.py": "import time\ntime.sleep(30)\n",
        },
    )
    res = invoke("rerun", str(root))
    assert res.exit_code == 2 and "after `--`" in res.output
    res = invoke("rerun", str(root), "--runs", "1", "--", PY, "x.py")
    assert res.exit_code == 2
    res = invoke("rerun", str(root), "-q", "--", PY, "x.py")
    assert res.exit_code == 2 and "failed in every run" in res.output and "exited with status 4" in res.output
    res = invoke("rerun", str(root), "-q", "--", PY, "quiet.py")
    assert res.exit_code == 2 and "nothing to compare" in res.output
    # the hint says what works (--output takes no path outside the project)
    assert "write them under the project" in res.output and "outside the project" not in res.output
    res = invoke("rerun", str(root), "--timeout", "1", "--", PY, "slow.py")
    assert res.exit_code == 2 and "timed out after the 1 s limit (--timeout)" in res.output
    assert "FAILED in" not in res.output
    res = invoke("rerun", str(root), "-q", "--knob", "moon-phase", "--", PY, "x.py")
    assert res.exit_code == 2 and "unknown knob" in res.output
    assert res.output.count("PYTHONHASHSEED") == 1 and res.output.count("CUBLAS_WORKSPACE_CONFIG") == 1
    res = invoke("rerun", str(root), "-q", "--", "/no/such/binary")
    assert res.exit_code == 2 and "cannot run" in res.output


def test_text_report(tmp_path: Path) -> None:
    root = write(tmp_path / "proj", {"order.py": HASH_ORDER})
    res = invoke("rerun", str(root), "-q", "--runs", "3", "--knob", "PYTHONHASHSEED", "--", PY, "order.py")
    assert res.exit_code == 1
    assert "different  layers.json" in res.stdout and "first difference: run 1 vs run" in res.stdout
    assert "PYTHONHASHSEED=0  runs agree" in res.stdout
    assert res.stdout.rstrip().endswith("Not reproducible. Runs agree with: PYTHONHASHSEED=0.")


def _indent(text: str) -> str:
    import textwrap

    return textwrap.indent(textwrap.dedent(text).strip("\n"), "    ") + "\n"


# ------------------------------------------------------------------------ torch

torch_python = shutil.which("python", path=str(Path(PY).parent))


@pytest.mark.slow
def test_seeded_torch_training_is_byte_identical(tmp_path: Path) -> None:
    pytest.importorskip("torch", reason="torch not installed (pip install torch==2.13.0)")
    code, rec = rerun(FIXTURES / "tiny-train", "--", PY, "train.py")
    assert code == 0, rec
    assert outputs(rec) == {"metrics.json": "identical", "model.pt": "identical", "<stdout>": "identical"}


@pytest.mark.slow
def test_unseeded_torch_training_differs_and_seeding_is_the_cause(tmp_path: Path) -> None:
    pytest.importorskip("torch", reason="torch not installed (pip install torch==2.13.0)")
    code, rec = rerun(FIXTURES / "tiny-train-unseeded", "--knob", "seed-all", "--", PY, "train.py")
    assert code == 1
    assert outputs(rec) == {"metrics.json": "different", "model.pt": "different", "<stdout>": "different"}
    model = next(o for o in rec["outputs"] if o["path"] == "model.pt")
    # compared tensor by tensor in the command's own interpreter, not byte by byte
    assert model["first_difference"].startswith("run 1 vs run 2: 0.weight[") and model["max_abs_diff"] > 0
    assert causes(rec) == {"seed-all": True}
    assert [f["code"] for f in rec["findings"] if f["code"].startswith("DET")] == ["DET001"]


def test_launcher_prefix_places_each_run(tmp_path: Path) -> None:
    """`--launcher` is how runs map onto Slurm tasks (`srun ... --relative={i}`); `env` stands
    in for srun here: a real program that sets the run's index and runs the command."""
    root = write(tmp_path / "proj", {"where.py": "import os\nprint('task', os.environ['TASK'])\n"})
    scratch = tmp_path / "shared"
    scratch.mkdir()
    res = invoke(
        "rerun",
        str(root),
        "--no-causes",
        "--launcher",
        "env TASK={i}",
        "--scratch",
        str(scratch),
        "--format",
        "json",
        "--",
        PY,
        "where.py",
    )
    assert res.exit_code == 1
    (out,) = json.loads(res.stdout)["outputs"]
    assert (
        out["path"] == "<stdout>" and out["first_difference"] == "run 1 vs run 2: line 1 ('task 0'): 0 vs 1"
    )
    assert "env TASK=1" in res.stderr and list(scratch.iterdir()) == []  # copies made there, then removed


def test_fresh_copies_link_environments_and_linked_data(tmp_path: Path) -> None:
    from envaudit.prove.rerun import fresh_copy

    root = write(
        tmp_path / "proj",
        {
            "train.py": "x = 1\n",
            ".venv/pyvenv.cfg": "home = /usr\n",
            "data/raw/big.bin": b"\0" * 1024,
            "data/small.csv": "a\n1\n",
            "pkg/__pycache__/m.pyc": b"\0",
        },
    )
    copy = fresh_copy(root, tmp_path / "c1", ("data/raw",))
    assert (copy / ".venv").is_symlink() and (copy / "data" / "raw").is_symlink()
    assert not (copy / "data").is_symlink() and (copy / "data" / "small.csv").read_text() == "a\n1\n"
    assert not (copy / "pkg" / "__pycache__").exists() and (copy / "train.py").read_text() == "x = 1\n"
    copy = fresh_copy(root, tmp_path / "c2", ("data",))
    assert (copy / "data").is_symlink()


def test_timestamped_run_dirs_are_matched_and_event_files_left_out(tmp_path: Path) -> None:
    """Hydra writes outputs/<date>/<time>/, TensorBoard events hold wall-clock times: the
    same result of two runs is still found and compared, the events are not outputs."""
    root = write(
        tmp_path / "proj",
        {
            "train.py": """
                import os, time
                stamp = time.strftime("%Y-%m-%d/%H-%M-%S") + f".{time.time_ns() % 10**9:09d}"
                os.makedirs(f"outputs/{stamp}/.hydra")
                open(f"outputs/{stamp}/metrics.json", "w").write('{"acc": 0.5}')
                open(f"outputs/{stamp}/.hydra/config.yaml", "w").write(f"time: {time.time()}")
                os.makedirs("runs/exp")
                open(f"runs/exp/events.out.tfevents.{time.time()}.host", "w").write(str(time.time()))
            """
        },
    )
    code, rec = rerun(root, "--no-causes", "--", PY, "train.py")
    assert code == 0, rec
    ((path, status),) = outputs(rec).items()
    assert path.startswith("outputs/") and path.endswith("/metrics.json") and status == "identical"


def test_numbered_outputs_that_look_like_dates_keep_their_names(tmp_path: Path) -> None:
    root = write(
        tmp_path / "proj",
        {"s.py": "for step in (20000000, 30000000):\n    open(f'ckpt-{step}.txt', 'w').write(str(step))\n"},
    )
    code, rec = rerun(root, "--no-causes", "--", PY, "s.py")
    assert code == 0 and outputs(rec) == {"ckpt-20000000.txt": "identical", "ckpt-30000000.txt": "identical"}


def test_the_commands_own_python_loads_its_checkpoints(tmp_path: Path) -> None:
    from envaudit.prove.rerun import command_python

    venv_py = write(tmp_path / "proj", {".venv/bin/python": "#!/bin/sh\n"}) / ".venv" / "bin" / "python"
    assert command_python([PY, "train.py"], tmp_path) == PY
    assert command_python(["uv", "run", PY, "train.py"], tmp_path) == PY
    assert command_python([".venv/bin/python", "train.py"], tmp_path / "proj") == str(venv_py)
    assert Path(command_python(["bash", "run.sh"], tmp_path)).name.startswith("python")


def test_named_pipes_in_the_project_are_not_copied_and_said_so(tmp_path: Path) -> None:
    import os

    root = write(
        tmp_path / "proj", {"x.py": "import os\nprint(os.path.exists('pipe'), os.path.exists('d/p'))\n"}
    )
    os.mkfifo(root / "pipe")  # a named pipe: copying it would block (and a run opening it too)
    (root / "d").mkdir()
    os.mkfifo(root / "d" / "p")
    res = invoke("rerun", str(root), "--", PY, "x.py")
    assert res.exit_code == 0, res.output
    assert "not copied (named pipes, sockets, devices): d/p, pipe" in res.stderr
    assert "identical  <stdout>" in res.stdout


def test_tensorflow_knob_only_where_the_code_uses_tensorflow(tmp_path: Path) -> None:
    files = {"train.py": "if __name__ == '__main__':\n" + _indent(UNSEEDED)}
    code, rec = rerun(write(tmp_path / "a", files), "--", PY, "train.py")
    assert code == 1 and "TF_DETERMINISTIC_OPS=1" not in causes(rec)
    # a module the run never imports, but the project uses TensorFlow (DET009 fires)
    files["model_tf.py"] = "import tensorflow as tf\nmodel = tf.keras.Sequential()\n"
    code, rec = rerun(write(tmp_path / "b", files), "--", PY, "train.py")
    assert code == 1 and causes(rec)["TF_DETERMINISTIC_OPS=1"] is False and causes(rec)["seed-all"] is True


def test_paths_of_the_runs_own_copies_are_not_differences(tmp_path: Path) -> None:
    """Each run works in its own temporary copy: a path to it, recorded or printed, is the same path."""
    root = write(
        tmp_path / "proj",
        {
            "paths.py": """
                import json, os
                os.makedirs("runs", exist_ok=True)
                with open("runs/hparams.json", "w") as fh:
                    json.dump({"out": os.path.abspath("runs"), "cwd": os.path.realpath(os.getcwd()), "lr": 0.1}, fh)
                print("writing to", os.path.abspath("runs/hparams.json"))
            """
        },
    )
    code, rec = rerun(root, "--", PY, "paths.py")
    assert code == 0, rec
    assert outputs(rec) == {"runs/hparams.json": "identical", "<stdout>": "identical"}


def test_a_different_row_shows_the_first_difference_not_a_zero_size(tmp_path: Path) -> None:
    root = write(
        tmp_path / "proj",
        {
            "w.py": """
                import json, os
                json.dump({"lr": 0.1, "host": "h" + str(os.getpid())}, open("m.json", "w"))
            """
        },
    )
    res = invoke("rerun", str(root), "-q", "--no-causes", "--no-stdout", "--", PY, "w.py")
    assert res.exit_code == 1 and "different  m.json" in res.stdout
    assert "max abs diff" not in res.stdout and "first difference: run 1 vs run 2: host:" in res.stdout


def test_output_globs_that_match_nothing_and_directories(tmp_path: Path) -> None:
    root = write(
        tmp_path / "proj",
        {
            "w.py": """
                import json, os
                os.makedirs("out/sub", exist_ok=True)
                json.dump({"loss": 0.25}, open("metrics.json", "w"))
                open("out/a.txt", "w").write("a")
                open("out/sub/b.txt", "w").write(str(os.getpid()))
            """
        },
    )
    # a typo, a glob into a folder that does not exist: usage errors naming the glob and what was written
    for glob in ("metrics.jsn", "results/*.json"):
        res = invoke("rerun", str(root), "-q", "--output", glob, "--", PY, "w.py")
        assert res.exit_code == 2, res.output
        assert f"--output '{glob}' matched no file in any run" in res.output and "metrics.json" in res.output
    res = invoke("rerun", str(root), "-q", "--no-stdout", "--output", "metrics.jsn", "--", PY, "w.py")
    assert res.exit_code == 2 and "matched no file" in res.output and "printed nothing" not in res.output
    # a directory matches the files under it
    for glob in ("out/", "out"):
        code, rec = rerun(root, "--no-causes", "--output", glob, "--", PY, "w.py")
        assert code == 1 and outputs(rec) == {"out/a.txt": "identical", "out/sub/b.txt": "different"}


def test_link_symlinks_into_each_copy(tmp_path: Path) -> None:
    root = write(
        tmp_path / "proj",
        {
            "data/big.bin": b"\0" * 64,
            "check.py": """
                import os, sys
                # exit 5 unless data/ is a link to the project's own folder (same inode)
                ok = os.path.islink("data") and os.path.samefile("data/big.bin", sys.argv[1])
                print("linked", ok)
                sys.exit(0 if ok else 5)
            """,
        },
    )
    original = str(root / "data" / "big.bin")
    for given in ("data", str(root / "data"), "data/"):
        code, rec = rerun(root, "--link", given, "--", PY, "check.py", original)
        assert code == 0, rec
    res = invoke("rerun", str(root), "-q", "--", PY, "check.py", original)
    assert res.exit_code == 2 and "exited with status 5" in res.output  # without --link it is a copy
    res = invoke("rerun", str(root), "-q", "--link", str(tmp_path), "--", PY, "check.py", original)
    assert res.exit_code == 2 and "not a path inside the project" in res.output
