from __future__ import annotations

import json
from pathlib import Path

import pytest

import envaudit
from envaudit.integrations import ARTIFACT, key_params, record_sha256
from tests.conftest import write
from tests.snapshot.helpers import record


def test_envaudit_snapshot_is_callable_either_way(tmp_path: Path) -> None:
    write(tmp_path, {"requirements.txt": "x\n"})
    rec = envaudit.snapshot(tmp_path)
    assert rec["schema"] == "envaudit/snapshot/1" and "requirements.txt" in rec["files"]
    from envaudit.snapshot import build_snapshot  # the package import must not shadow the function

    assert callable(build_snapshot)
    assert envaudit.snapshot(path=str(tmp_path))["files"] == rec["files"]


def test_key_params_and_stable_digest() -> None:
    rec = record()
    rec["frameworks"] = {"torch": {"version": "2.13.0", "cuda": "12.8"}}
    params = key_params(rec)
    assert params["envaudit.python"] == "3.11.7"
    assert params["envaudit.git_commit"] == "c1" and params["envaudit.git_dirty"] == "False"
    assert params["envaudit.cuda_driver"] == "535.104.05" and params["envaudit.gpus"] == "H100"
    assert params["envaudit.distributions"] == "2" and params["envaudit.torch_cuda"] == "12.8"
    assert record_sha256(rec) == record_sha256({**rec, "created": "2030-01-01T00:00:00Z"})


def test_log_to_mlflow_local_file_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mlflow = pytest.importorskip("mlflow", reason="mlflow (envaudit[mlflow]) not installed")
    from envaudit.integrations import log_to_mlflow

    monkeypatch.setenv("MLFLOW_TRACKING_URI", (tmp_path / "mlruns").as_uri())
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # the local file store the issue asks for
    mlflow.set_tracking_uri((tmp_path / "mlruns").as_uri())
    rec = record()
    with mlflow.start_run() as run:
        log_to_mlflow(rec)
    client = mlflow.tracking.MlflowClient()
    got = client.get_run(run.info.run_id)
    assert got.data.params["envaudit.git_commit"] == "c1"
    path = client.download_artifacts(run.info.run_id, ARTIFACT, str(tmp_path))
    assert json.loads(Path(path).read_text()) == rec


def test_log_to_wandb_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wandb = pytest.importorskip("wandb", reason="wandb (envaudit[wandb]) not installed")
    from envaudit.integrations import log_to_wandb

    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_DIR", str(tmp_path))
    monkeypatch.setenv("WANDB_DATA_DIR", str(tmp_path / "data"))  # where artifacts are staged
    monkeypatch.setenv("WANDB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("WANDB_SILENT", "true")
    rec = record()
    run = wandb.init(project="envaudit-test", dir=str(tmp_path), mode="offline")
    try:
        log_to_wandb(rec, run=run)
        assert run.config["envaudit.git_commit"] == "c1"
        assert run.config["envaudit.distributions"] == "2"
    finally:
        run.finish()

    # staged under WANDB_DATA_DIR, or already moved into the cache once the run finished
    def is_record(p: Path) -> bool:
        try:
            return json.loads(p.read_text()) == rec
        except (ValueError, UnicodeDecodeError):
            return False

    staged = [p for d in ("data", "cache") for p in (tmp_path / d).rglob("*") if p.is_file()]
    assert any(is_record(p) for p in staged), staged


def test_log_to_wandb_without_run_says_so() -> None:
    wandb = pytest.importorskip("wandb", reason="wandb (envaudit[wandb]) not installed")
    from envaudit.integrations import log_to_wandb

    assert wandb.run is None
    with pytest.raises(RuntimeError, match=r"wandb.init\(\)"):
        log_to_wandb(record())
