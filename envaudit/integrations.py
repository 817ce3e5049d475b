"""Log the provenance record with an experiment tracker.

    import envaudit.integrations as ei
    ei.log_to_mlflow()            # inside `with mlflow.start_run():`, or pass run=
    ei.log_to_wandb()             # after `wandb.init(...)`, or pass run=

Each logs the whole snapshot as a JSON artifact (`envaudit-snapshot.json`) and a
few key parameters (Python, git commit and dirty state, CUDA driver, torch,
number of distributions, the record's sha256) so runs can be filtered by them.
mlflow and wandb are optional extras (`envaudit[mlflow]`, `envaudit[wandb]`),
imported only when these functions run.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

ARTIFACT = "envaudit-snapshot.json"


def _record(record: dict[str, Any] | None) -> dict[str, Any]:
    if record is not None:
        return record
    from envaudit.snapshot import snapshot

    return snapshot(".")


def record_sha256(record: dict[str, Any]) -> str:
    """Digest of the record without its time: equal for equal environments."""
    stable = {k: v for k, v in record.items() if k != "created"}
    return hashlib.sha256(json.dumps(stable, sort_keys=True).encode()).hexdigest()


def key_params(record: dict[str, Any]) -> dict[str, str]:
    """The handful of facts worth a column in the tracker's run table."""
    py = record.get("python") or {}
    git = record.get("git") or {}
    cuda = record.get("cuda") or {}
    packages = record.get("packages") or {}
    torch = (record.get("frameworks") or {}).get("torch") or {}
    params = {
        "python": py.get("version"),
        "git_commit": git.get("commit"),
        "git_dirty": git.get("dirty"),
        "cuda_driver": cuda.get("driver_version"),
        "gpus": ", ".join(sorted({str(g.get("name")) for g in cuda.get("gpus") or []})) or None,
        "torch": (packages.get("torch") or {}).get("version") or torch.get("version"),
        "torch_cuda": torch.get("cuda"),
        "distributions": len(packages) if record.get("packages") is not None else None,
        "snapshot_sha256": record_sha256(record),
    }
    return {f"envaudit.{k}": str(v) for k, v in params.items() if v is not None and v != ""}


def _missing(lib: str) -> ImportError:
    return ImportError(f"{lib} is not installed: pip install 'envaudit[{lib}]'")


def log_to_mlflow(record: dict[str, Any] | None = None, run: Any = None) -> dict[str, Any]:
    """Log to `run` (an mlflow Run or run id), else the active run, else a new run.
    Returns the record logged."""
    try:
        import mlflow
        from mlflow.tracking import MlflowClient
    except ImportError:
        raise _missing("mlflow") from None
    record = _record(record)
    if run is None:
        active = mlflow.active_run() or mlflow.start_run()
        run_id = active.info.run_id
    else:
        run_id = run if isinstance(run, str) else run.info.run_id
    client = MlflowClient()
    client.log_dict(run_id, record, ARTIFACT)
    for key, value in key_params(record).items():
        client.log_param(run_id, key, value)
    return record


def log_to_wandb(record: dict[str, Any] | None = None, run: Any = None) -> dict[str, Any]:
    """Log to `run` (a wandb Run), else `wandb.run`; raises if no run was started.
    Returns the record logged."""
    try:
        import wandb
    except ImportError:
        raise _missing("wandb") from None
    run = run if run is not None else wandb.run
    if run is None:
        raise RuntimeError("no wandb run: call wandb.init() first, or pass run=")
    record = _record(record)
    artifact = wandb.Artifact(name="envaudit-snapshot", type="environment", metadata=key_params(record))
    with artifact.new_file(ARTIFACT, mode="w", encoding="utf-8") as fh:
        json.dump(record, fh, indent=2, sort_keys=True)
    run.log_artifact(artifact)
    run.config.update(key_params(record), allow_val_change=True)
    return record
