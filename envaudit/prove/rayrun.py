"""`rerun --ray ADDRESS`: the runs spread over the nodes of a Ray cluster.

The project is packed once (a gzipped tar, virtual environments and caches left
out) and shipped with each task; run k goes to node k mod N, pinned with the fleet
machinery's hard node affinity, so two runs land on two different hosts whenever
the cluster has them: same seed, different hosts, which is how cross-machine
nondeterminism (other CPUs, BLAS builds, thread counts, drivers) shows up. Each
task unpacks the project into a fresh temporary directory on its node, runs the
command there with the node's own interpreter and environment, and sends back the
outputs' bytes and stdout; the comparison happens here, as for local runs.
envaudit must be importable on every node (as for `envaudit fleet`).

On Slurm the same shape is one run per task: `srun --ntasks=2 --nodes=2` each
running the command in its own copy, then `envaudit rerun`'s comparison on the
collected outputs (see README).
"""

from __future__ import annotations

import io
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from envaudit.prove.rerun import LINKED_DIRS, SKIPPED_NAMES, Run, run_status

MAX_ARCHIVE = 256 * 1024 * 1024


class RayRunError(Exception):
    pass


def pack(root: Path) -> bytes:
    """The project as a gzipped tar; virtual environments and caches are left out."""

    def keep(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
        parts = Path(info.name).parts[1:]
        if any(p in SKIPPED_NAMES for p in parts) or (parts and parts[0] in LINKED_DIRS):
            return None
        return info

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", compresslevel=1) as tf:
        tf.add(root, arcname=root.name or "project", filter=keep)
    data = buf.getvalue()
    if len(data) > MAX_ARCHIVE:
        raise RayRunError(
            f"the project packs to {len(data) // 2**20} MiB, more than {MAX_ARCHIVE // 2**20} MiB to ship "
            "to every node; keep data out of the project directory (or on a shared file system)"
        )
    return data


def run_on_node(
    archive: bytes,
    command: list[str],
    extra: dict[str, str],
    sitecustomize: str | None,
    globs: tuple[str, ...],
    timeout: float | None,
) -> dict[str, Any]:
    """Executed by a Ray worker: unpack, run, return the outputs' bytes."""
    import socket

    from envaudit.prove.rerun import (
        _state,
        collect_outputs,
        copy_dirs,
        read_output,
        run_command,
        run_env,
        unmatched_globs,
    )

    with tempfile.TemporaryDirectory(prefix="envaudit-rerun-") as tmp:
        base = Path(tmp)
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tf:
            try:
                tf.extractall(base / "p", filter="data")
            except TypeError:  # an interpreter from before extraction filters (< 3.10.12)
                tf.extractall(base / "p")
        workdir = next((base / "p").iterdir())
        sitedir = None
        if sitecustomize is not None:
            sitedir = base / "site"
            sitedir.mkdir()
            (sitedir / "sitecustomize.py").write_text(sitecustomize, encoding="utf-8")
        before = {} if globs else _state(workdir)
        ran = run_command(command, workdir, run_env(extra, sitedir), timeout)
        code, out, err, secs = ran.code, ran.stdout, ran.stderr, ran.seconds
        found = collect_outputs(workdir, before, globs) if code == 0 else {}
        unmatched = unmatched_globs(workdir, globs) if code == 0 else ()
        # only regular files inside the copy are shipped back (never what a symlink reaches)
        files = {rel: Path(k[1]) for rel, p in found.items() if (k := read_output(p, workdir))[0] == "file"}
        return {
            "copy_dirs": copy_dirs(base),
            "unmatched": unmatched,
            "host": socket.gethostname(),
            "returncode": code,
            "stdout": out,
            "stdout_digest": ran.stdout_digest,
            "stderr": err,
            "seconds": secs,
            "outputs": {rel: p.read_bytes() for rel, p in files.items()},
        }


class RayRunner:
    """Callable as rerun's `runner`: (extra env, seed-all site dir or None, label) -> runs."""

    def __init__(
        self,
        root: Path,
        command: list[str],
        n: int,
        globs: tuple[str, ...],
        timeout: float | None,
        address: str,
        progress: Callable[[str], None],
    ) -> None:
        from envaudit.fleet import FleetError, alive_nodes, connect, node_label

        self.command, self.n, self.globs, self.timeout, self.progress = command, n, globs, timeout, progress
        self.archive = pack(root)
        try:
            self.started = connect(address)
            nodes = alive_nodes()
        except FleetError as exc:
            raise RayRunError(str(exc)) from None
        taken: set[str] = set()
        self.nodes = [(n_["NodeID"], node_label(n_, taken)) for n_ in nodes]
        self.scratch = Path(tempfile.mkdtemp(prefix="envaudit-rerun-ray-"))
        self.batch = 0
        if len(self.nodes) < 2:
            progress(f"the cluster has one node ({self.nodes[0][1]}): the runs share it")

    def __call__(self, extra: dict[str, str], sitedir: Path | None, label: str) -> list[Run]:
        import ray
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        site = (sitedir / "sitecustomize.py").read_text(encoding="utf-8") if sitedir is not None else None
        task = ray.remote(num_cpus=0, max_retries=0)(run_on_node)
        archive_ref = ray.put(self.archive)
        placed = [self.nodes[i % len(self.nodes)] for i in range(self.n)]
        refs = []
        for i, (node_id, host) in enumerate(placed, 1):
            self.progress(f"{label}run {i}/{self.n} on {host}")
            strategy = NodeAffinitySchedulingStrategy(node_id=node_id, soft=False)
            refs.append(
                task.options(scheduling_strategy=strategy).remote(
                    archive_ref, self.command, extra, site, self.globs, self.timeout
                )
            )
        wait = None if self.timeout is None else self.timeout * 2 + 120
        try:
            answers = ray.get(refs, timeout=wait)
        except ray.exceptions.GetTimeoutError:
            raise RayRunError(f"the runs did not come back within {wait:.0f} s") from None
        except ray.exceptions.RayError as exc:
            raise RayRunError(f"a run failed on its node: {exc}") from None
        self.batch += 1
        runs = []
        for i, ((_, host), ans) in enumerate(zip(placed, answers, strict=True), 1):
            local = self.scratch / f"b{self.batch}-run{i}"
            local.mkdir(parents=True)
            outputs = {}
            for rel, data in ans["outputs"].items():
                p = local / rel
                p.parent.mkdir(parents=True, exist_ok=True)
                p.write_bytes(data)
                outputs[rel] = p
            run = Run(
                i, local, ans["returncode"], ans["stdout"], ans["stderr"], ans["seconds"], outputs, host
            )
            run.copy_dirs = tuple(ans.get("copy_dirs", ()))
            run.unmatched = tuple(ans.get("unmatched", ()))
            run.stdout_digest = ans.get("stdout_digest")
            run.limit = self.timeout
            self.progress(f"{label}run {i}/{self.n} on {host}: {run_status(run)}")
            runs.append(run)
        return runs

    def close(self) -> None:
        import shutil

        shutil.rmtree(self.scratch, ignore_errors=True)
        if self.started:
            import ray

            ray.shutdown()


def ray_runner(
    root: Path,
    command: list[str],
    n: int,
    globs: tuple[str, ...],
    timeout: float | None,
    address: str,
    progress: Callable[[str], None],
) -> RayRunner:
    try:
        import ray  # noqa: F401
    except ImportError:
        raise RayRunError("rerun --ray needs Ray: pip install 'envaudit[ray]'") from None
    return RayRunner(root, command, n, globs, timeout, address, progress)
