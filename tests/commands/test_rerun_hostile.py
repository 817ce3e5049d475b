"""`envaudit rerun` against a hostile project and a careless user: symlinks out of the
project, FIFOs and devices as outputs, daemons, huge outputs, secrets, bad numbers.

Each test runs real scripts in real subprocesses; each would hang, leak or pass falsely
without the fix it guards.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from envaudit.prove import rerun as rerun_mod
from tests.conftest import invoke, write

PY = sys.executable
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _hash_seed_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYTHONHASHSEED", raising=False)


def rerun_cli(root: Path, *args: str, timeout: float = 120, env: dict[str, str] | None = None) -> Any:
    """envaudit as a user runs it, in its own process, bounded: a hang fails the test."""
    return subprocess.run(
        [PY, "-m", "envaudit", "rerun", str(root), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
        cwd=REPO,
    )


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead for our purpose
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


# ------------------------------------------------------------------ the boundary


def test_outputs_reached_through_symlinks_are_never_read(tmp_path: Path) -> None:
    """A link out of the project (to a secret, to /dev/zero), a FIFO a run makes: compared
    by what they are, never opened (before: the secret's bytes were compared, /dev/zero and
    the FIFO hung envaudit)."""
    outside = write(tmp_path / "outside", {"secret.txt": "TOPSECRET-CONTENT\n"})
    script = f"""
        import os, random
        os.symlink({str(outside / "secret.txt")!r}, "leak.txt")
        os.symlink("../../../../../../../../../../{str(outside / "secret.txt").lstrip("/")}", "rel-leak.txt")
        os.symlink("/dev/zero", "zero.bin")
        os.mkfifo("out.fifo")
        with open("metrics.json", "w") as fh:
            fh.write('{{"loss": 0.5}}')
    """
    root = write(tmp_path / "proj", {"run.py": script})
    os.symlink(outside, root / "ext")  # a folder of the project that is a link out of it
    res = rerun_cli(root, "--format", "json", "-q", "--", PY, "run.py", timeout=60)
    assert res.returncode == 0, res.stderr
    rec = json.loads(res.stdout)
    status = {o["path"]: o["status"] for o in rec["outputs"]}
    assert status == {
        "leak.txt": "identical",
        "rel-leak.txt": "identical",
        "zero.bin": "identical",
        "out.fifo": "identical",
        "metrics.json": "identical",
    }
    # an --output glob through the linked folder matches nothing: usage error, not a read of it
    res = rerun_cli(root, "-q", "--output", "ext/*", "--", PY, "run.py", timeout=60)
    assert res.returncode == 2 and "matched no file in any run" in res.stderr
    assert "symlinked folder" in res.stderr and "TOPSECRET" not in res.stderr + res.stdout


def test_links_that_differ_are_compared_by_target_not_content(tmp_path: Path) -> None:
    outside = write(tmp_path / "outside", {"a.txt": "AAA-SECRET\n", "b.txt": "BBB-SECRET\n"})
    for run, target in (("r1", "a.txt"), ("r2", "b.txt")):
        (tmp_path / run).mkdir()
        os.symlink(outside / target, tmp_path / run / "out.txt")
    ra = rerun_mod.Run(1, tmp_path / "r1", 0, b"", b"", 0.0)
    rb = rerun_mod.Run(2, tmp_path / "r2", 0, b"", b"", 0.0)
    c = rerun_mod._compare_paths(
        ("out.txt", tmp_path / "r1" / "out.txt"),
        ("out.txt", tmp_path / "r2" / "out.txt"),
        ra,
        rb,
        "out.txt",
        rerun_mod.Tolerance(),
        "",
    )
    assert c.status == "different" and c.first is not None
    assert "a symlink to" in c.first and "SECRET" not in c.first


def test_symlinks_into_the_project_point_into_the_copy(tmp_path: Path) -> None:
    """An absolute link to a folder of the project: runs wrote through it into the user's
    real tree (before). A relative link out of the project: broken in the copy (before)."""
    sibling = write(tmp_path / "sibling", {"in.txt": "hello\n"})
    root = write(
        tmp_path / "proj",
        {
            "real/keep.txt": "mine\n",
            "run.py": """
                with open("out/res.txt", "a") as fh:
                    fh.write("x\\n")
                print(open("sib/in.txt").read().strip())
            """,
        },
    )
    os.symlink(root / "real", root / "out")  # absolute, into the project
    os.symlink(os.path.relpath(sibling, root), root / "sib")  # relative, out of it
    res = invoke("rerun", str(root), "--format", "json", "-q", "--", PY, "run.py")
    assert res.exit_code == 0, res.output
    assert sorted((root / "real").iterdir()) == [root / "real" / "keep.txt"]  # the project untouched
    outputs = {o["path"]: o["status"] for o in json.loads(res.stdout)["outputs"]}
    assert outputs == {"real/res.txt": "identical", "<stdout>": "identical"}


def test_disk_room_is_checked_before_copying(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write(tmp_path / "proj", {"run.py": "print(1)\n", "data/big.bin": b"\0" * (1 << 20)})
    with open(root / "data" / "huge.bin", "wb") as fh:  # sparse: 8 GiB on paper, nothing on disk
        fh.truncate(8 << 30)
    import shutil as _shutil

    real = _shutil.disk_usage

    def small(path: Any) -> Any:
        total, used, _free = real(path)
        return type(real(path))(total, used, 4 << 30)

    monkeypatch.setattr(rerun_mod.shutil, "disk_usage", small)
    res = invoke("rerun", str(root), "-q", "--", PY, "run.py")
    assert res.exit_code == 2
    assert "2 copies of the project need 16.0 GiB" in res.output and "data 8.0 GiB" in res.output
    assert "--link PATH" in res.output
    res = invoke("rerun", str(root), "-q", "--link", "data", "--", PY, "run.py")  # shared: fits
    assert res.exit_code == 0, res.output


# ------------------------------------------------------------------ processes


def test_a_daemon_left_running_is_killed_and_cannot_stall_the_rerun(tmp_path: Path) -> None:
    """A run that forks a daemon (its own session, holding stdout) and exits: before, envaudit
    waited for the daemon's stdout to close, past --timeout; the daemon outlived it."""
    pids = tmp_path / "pids.txt"
    script = f"""
        import os, subprocess, sys
        code = "import os, time\\nos.setsid()\\nopen({str(pids)!r}, 'a').write(str(os.getpid()) + '\\\\n')\\ntime.sleep(120)"
        subprocess.Popen([sys.executable, "-c", code])
        import time
        time.sleep(0.5)
        print("done")
    """
    root = write(tmp_path / "proj", {"run.py": script})
    start = time.monotonic()
    res = rerun_cli(root, "--timeout", "20", "--", PY, "run.py", timeout=60)
    assert time.monotonic() - start < 40
    assert res.returncode == 0, res.stderr
    assert "left 1 process(es) running after it ended: killed" in res.stdout
    started = [int(p) for p in pids.read_text().split()]
    assert len(started) == 2
    time.sleep(0.2)
    assert not any(alive(p) for p in started)


def test_timeout_kills_the_whole_tree(tmp_path: Path) -> None:
    pids = tmp_path / "pids.txt"
    script = f"""
        import subprocess, time
        p = subprocess.Popen(["sleep", "300"])
        open({str(pids)!r}, "a").write(str(p.pid) + "\\n")
        time.sleep(300)
    """
    root = write(tmp_path / "proj", {"run.py": script})
    start = time.monotonic()
    res = rerun_cli(root, "-q", "--timeout", "2", "--", PY, "run.py", timeout=60)
    assert time.monotonic() - start < 30
    assert res.returncode == 2 and "timed out after the 2 s limit" in res.stderr
    time.sleep(0.2)
    assert not any(alive(int(p)) for p in pids.read_text().split())


# ------------------------------------------------------------------ sizes


def test_big_stdout_and_big_outputs_stay_out_of_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the limits (made small here) stdout is compared by digest and files as a stream
    of bytes; the verdicts stay right."""
    monkeypatch.setattr(rerun_mod, "MAX_STDOUT", 1000)
    monkeypatch.setattr(rerun_mod, "MAX_VALUES", 1000)
    script = """
        import os, sys
        n = 1 if os.path.basename(os.path.dirname(os.getcwd())).startswith("run1-") else 2
        sys.stdout.write("loss 0.5\\n" * 500)
        with open("same.csv", "w") as fh:
            fh.write("a,b\\n" + "1,0.5\\n" * 500)
        with open("differs.bin", "wb") as fh:
            fh.write(b"x" * 1500 + bytes([n]) + b"y" * 100)
    """
    root = write(tmp_path / "proj", {"run.py": script})
    res = invoke("rerun", str(root), "--format", "json", "-q", "--no-causes", "--", PY, "run.py")
    rec = json.loads(res.stdout)
    out = {o["path"]: o for o in rec["outputs"]}
    assert out["<stdout>"]["status"] == "identical" and out["same.csv"]["status"] == "identical"
    assert out["differs.bin"]["status"] == "different"
    assert out["differs.bin"]["first_difference"].endswith(
        "byte 1500: 0x01 vs 0x02 (over 0 MiB: compared as bytes)"
    )


def test_stdout_over_the_limit_that_differs_is_different(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rerun_mod, "MAX_STDOUT", 100)
    root = write(tmp_path / "proj", {"run.py": "import random\nprint('x' * 200, random.random())\n"})
    res = invoke("rerun", str(root), "--format", "json", "-q", "--no-causes", "--", PY, "run.py")
    assert res.exit_code == 1
    (o,) = json.loads(res.stdout)["outputs"]
    assert o["status"] == "different" and "compared by digest" in o["first_difference"]


def test_knob_rounds_remove_their_copies(tmp_path: Path) -> None:
    """Each knob round's copies go once compared: a big project is not copied N times per knob."""
    counts = tmp_path / "counts.txt"
    script = f"""
        import os, random
        scratch = os.path.dirname(os.path.dirname(os.getcwd()))
        n = len([d for d in os.listdir(scratch) if d.startswith("run")])
        open({str(counts)!r}, "a").write(f"{{n}}\\n")
        print(random.random())
    """
    root = write(tmp_path / "proj", {"run.py": script})
    res = invoke(
        "rerun", str(root), "-q", "--knob", "PYTHONHASHSEED", "--knob", "single-thread", "--", PY, "run.py"
    )
    assert res.exit_code == 1
    seen = [int(n) for n in counts.read_text().split()]
    assert len(seen) >= 6 and max(seen) <= 4, seen  # round 1's two copies + this round's


# ------------------------------------------------------------------ secrets


def test_secrets_are_never_echoed(tmp_path: Path) -> None:
    """Secrets on the command line, in the environment (printed by the command), in URLs, in
    a JSON key; ANSI escapes in stderr and in a file name: none reaches the report."""
    script = """
        import json, os, random, sys
        r = random.random()
        print(f"token {os.environ['HF_TOKEN']} step {r}")
        print(f"WANDB_API_KEY={os.environ['WANDB_API_KEY']} {r}")
        json.dump({"api_key": f"sk-{r}", "url": f"https://bob:pw{r}@example.org/x"}, open("o.json", "w"))
        open("\\x1b[2Jname.txt", "w").write(f"{r}\\n")
        print("\\x1b[31mboom", os.environ["HF_TOKEN"], r, file=sys.stderr)
        sys.exit(0 if os.path.exists("ok") or r < 2 else 1)
    """
    root = write(tmp_path / "proj", {"run.py": script})
    env = {"HF_TOKEN": "hf-value-0123456789", "WANDB_API_KEY": "wandb-value-987654"}
    argv = ["--", PY, "run.py", "--token", "abc123token", "--hf-token=xyz789token", "--api_key", "kkk777"]
    for fmt in ("text", "json"):
        res = rerun_cli(root, "--format", fmt, "--no-causes", *argv, env=env)
        assert res.returncode == 1, res.stderr
        everything = res.stdout + res.stderr
        for secret in ("abc123token", "xyz789token", "kkk777", "hf-value-0123456789", "wandb-value-987654"):
            assert secret not in everything, (fmt, secret)
        assert "bob:pw" not in everything and "sk-0." not in everything
        assert "\x1b" not in everything
    rec = json.loads(res.stdout)
    assert rec["command"][-5:] == ["--token", "***", "--hf-token=***", "--api_key", "***"]
    paths = {o["path"] for o in rec["outputs"]}
    assert "\\x1b[2Jname.txt" in paths


def test_a_failed_runs_stderr_is_scrubbed(tmp_path: Path) -> None:
    script = """
        import os, sys
        if os.path.basename(os.path.dirname(os.getcwd())).startswith("run2-"):
            print("\\x1b]0;pwned\\x07 failing with", os.environ["MY_SECRET"], file=sys.stderr)
            sys.exit(3)
        print("ok")
    """
    root = write(tmp_path / "proj", {"run.py": script})
    res = rerun_cli(root, "--", PY, "run.py", env={"MY_SECRET": "s3cr3t-value"})
    assert res.returncode == 1
    assert "run 2 exited with status 3" in res.stdout
    assert "s3cr3t-value" not in res.stdout + res.stderr and "\x1b" not in res.stdout + res.stderr


# ------------------------------------------------------------------ usage


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--rtol", "nan"), "not a finite number"),
        (("--atol", "inf"), "not a finite number"),
        (("--rtol", "1e400"), "not a finite number"),
        (("--timeout", "nan"), "not a finite number"),
        (("--timeout", "inf"), "not a finite number"),
        (("--rtol", "-1"), "range"),
        (("--runs", "1"), "range"),
        (("--runs", "0"), "range"),
    ],
)
def test_numbers_that_would_prove_nothing_are_usage_errors(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    root = write(tmp_path / "proj", {"run.py": "print(1)\n"})
    res = invoke("rerun", str(root), "-q", *args, "--", PY, "run.py")
    assert res.exit_code == 2 and message in res.output


def test_an_empty_command_is_a_usage_error(tmp_path: Path) -> None:
    root = write(tmp_path / "proj", {"run.py": "print(1)\n"})
    res = invoke("rerun", str(root), "-q", "--", "")
    assert res.exit_code == 2 and "is not a program to run" in res.output


def test_a_command_failing_in_every_run_is_never_reproducible(tmp_path: Path) -> None:
    root = write(tmp_path / "proj", {"run.py": "import sys\nopen('out.txt', 'w').write('1')\nsys.exit(1)\n"})
    res = invoke("rerun", str(root), "-q", "--format", "json", "--", PY, "run.py")
    assert res.exit_code == 2 and "failed in every run" in res.output and "Reproducible" not in res.output


def test_no_output_for_a_glob_is_missing_not_identical(tmp_path: Path) -> None:
    script = """
        import os
        if os.path.basename(os.path.dirname(os.getcwd())).startswith("run1-"):
            open("model.bin", "wb").write(b"w")
    """
    root = write(tmp_path / "proj", {"run.py": script})
    res = invoke("rerun", str(root), "-q", "--format", "json", "--output", "model.bin", "--", PY, "run.py")
    assert res.exit_code == 1
    (o,) = json.loads(res.stdout)["outputs"]
    assert o["status"] == "missing"


def test_sigterm_of_the_group_does_not_touch_envaudit(tmp_path: Path) -> None:
    """A command that kills its own process group (kill 0) ends only itself: each run is a
    session of its own."""
    root = write(
        tmp_path / "proj", {"run.py": "import os, signal\nprint('x')\nos.killpg(0, signal.SIGTERM)\n"}
    )
    res = rerun_cli(root, "-q", "--", PY, "run.py", timeout=60)
    assert res.returncode == 2 and "exited with status -15" in res.stderr
    assert signal.SIGTERM  # the rerun itself finished and said why


def test_copies_inside_the_project_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--scratch (or TMPDIR) inside the project: each copy would hold the ones before it
    (before: copied itself until the path was too long)."""
    root = write(tmp_path / "proj", {"run.py": "print(1)\n", "tmp/.keep": ""})
    res = invoke("rerun", str(root), "-q", "--scratch", str(root), "--", PY, "run.py")
    assert res.exit_code == 2 and "would be made inside the project" in res.output
    res = rerun_cli(root, "-q", "--", PY, "run.py", env={"TMPDIR": str(root / "tmp")})
    assert res.returncode == 2 and "TMPDIR" in res.stderr
    assert sorted(p.name for p in (root / "tmp").iterdir()) == [".keep"]


def test_sigterm_kills_the_run_and_removes_the_copies(tmp_path: Path) -> None:
    """A cancelled CI job sends SIGTERM: before, the command kept running and the copies
    stayed in the temporary directory."""
    pid_file = tmp_path / "pid"
    root = write(
        tmp_path / "proj",
        {
            "run.py": f"import os, time\nopen({str(pid_file)!r}, 'w').write(str(os.getpid()))\ntime.sleep(120)\n"
        },
    )
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    proc = subprocess.Popen(
        [PY, "-m", "envaudit", "rerun", str(root), "-q", "--scratch", str(scratch), "--", PY, "run.py"],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 128 + signal.SIGTERM
    assert not alive(int(pid_file.read_text()))
    assert list(scratch.iterdir()) == []


def test_a_run_that_removes_envaudits_folder_is_a_clear_error(tmp_path: Path) -> None:
    """`rm -rf ../..` from the copy: before, a traceback (mkdtemp in a removed folder)."""
    script = """
        import os, shutil
        open("out.txt", "w").write("1\\n")
        shutil.rmtree(os.path.dirname(os.path.dirname(os.getcwd())))
    """
    root = write(tmp_path / "proj", {"run.py": script})
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    res = invoke("rerun", str(root), "-q", "--scratch", str(scratch), "--", PY, "run.py")
    assert res.exit_code == 2 and "run 1 removed envaudit's temporary folder" in res.output
    own = write(tmp_path / "own", {"run.py": "import os, shutil\nshutil.rmtree(os.getcwd())\n"})
    res = invoke("rerun", str(own), "-q", "--", PY, "run.py")
    assert res.exit_code == 2 and "run 1 removed the copy of run 1" in res.output
    assert (own / "run.py").is_file()
