"""Training on two logical CPUs (mirrored) and on two local workers (multi-worker).

Each run is a fresh process: the CPU split and the cluster need a TensorFlow runtime
that has not started yet. They train a few steps on a small subset, so the point is
that they learn (far above the 10% of chance on the held-out test split) and write the
same artifacts, in the same model format, as a one-device run.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from edgecnn.train.config import TrainConfig
from edgecnn.train.distribute import Distribute

SMALL = ["--limit", "2000", "--epochs", "2"]
ARTIFACTS = {"model.keras", "metrics.json", "history.json", "training_curves.png"}
ENTRY = "from edgecnn.cli import main; main()"

pytestmark = pytest.mark.distributed


def _train(out: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", ENTRY, "train", *SMALL, "--out", str(out), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **(env or {})},
    )


def _finish(process: subprocess.Popen[str]) -> str:
    output, _ = process.communicate(timeout=600)
    assert process.returncode == 0, output[-3000:]
    return output


def _check_run(out: Path, distribute: str) -> dict:
    import keras

    assert {p.name for p in out.iterdir()} >= ARTIFACTS
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["test_accuracy"] > 0.6, metrics["test_accuracy"]  # chance: 0.10
    assert metrics["distribute"].startswith(distribute)
    assert len(json.loads((out / "history.json").read_text())["val_accuracy"]) == 2
    state = json.loads((out / "checkpoints" / "state.json").read_text())
    assert state["epoch"] == 2
    # The same format as a one-device run: a plain model that loads without a strategy.
    model = keras.models.load_model(out / "model.keras")
    assert model.name == "seed" and model.count_params() == 592_074
    assert model.input_shape == (None, 28, 28, 1) and model.output_shape == (None, 10)
    return metrics


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


@pytest.mark.slow
def test_mirrored_on_two_logical_cpus_learns_and_writes_the_usual_artifacts(tmp_path):
    output = _finish(_train(tmp_path, "--distribute", "mirrored", "--logical-cpus", "2"))
    assert "mirrored on /device:CPU:0, /device:CPU:1" in output
    _check_run(tmp_path, "mirrored")


@pytest.mark.slow
def test_two_workers_on_loopback_learn_and_only_the_chief_writes(tmp_path):
    workers = [f"127.0.0.1:{port}" for port in _free_ports(2)]
    shared = tmp_path / "shared"  # one --out for both, as on a shared disk
    processes = [
        _train(
            shared,
            "--distribute",
            "multi-worker",
            env={
                "TF_CONFIG": json.dumps(
                    {"cluster": {"worker": workers}, "task": {"type": "worker", "index": i}}
                )
            },
        )
        for i in range(2)
    ]
    chief, other = (_finish(p) for p in processes)
    assert "worker 0 of 2 workers, 2 replicas" in chief and "wrote model.keras" in chief
    assert "the chief writes the artifacts" in other and "wrote" not in other
    chief_metrics = _check_run(shared, "multi-worker")
    # Both workers hold the same weights, so they score the test split alike.
    assert f"test accuracy {chief_metrics['test_accuracy']:.2%}" in other


def test_multi_worker_without_tf_config_is_one_clear_error(monkeypatch):
    from edgecnn.train.distribute import place

    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(ValueError, match="needs TF_CONFIG"):
        place(Distribute.MULTI_WORKER)
    monkeypatch.setenv("TF_CONFIG", "{not json")
    with pytest.raises(ValueError, match="TF_CONFIG is not"):
        place(Distribute.MULTI_WORKER)


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"logical_cpus": 2}, "needs --distribute mirrored"),
        ({"distribute": "mirrored", "logical_cpus": 1}, "logical-cpus must be"),
        ({"distribute": "everywhere"}, "everywhere"),
    ],
)
def test_distribute_options_are_validated(options, match):
    with pytest.raises(ValueError, match=match):
        TrainConfig(**options)
