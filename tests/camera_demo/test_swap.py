"""Hot model swap: a model file replaced by rename (as export does) is loaded between
frames when it passes the self-check; a corrupt or wrong one is refused with one log
line and the running model goes on, with no frame lost."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest
from services import Running, wait_until

from camera_demo.config import CameraConfig
from camera_demo.metrics import file_sha256
from camera_demo.swap import ModelWatcher, self_check, selfcheck_digits
from edge_runtime import DigitClassifier

MODELS = Path(__file__).resolve().parents[2] / "data" / "models"


def install(src: Path, dest: Path, sidecar: bool = True) -> None:
    """Write ``src`` beside ``dest`` under a temporary name, then rename it into place
    (the model, then its sidecar), the way ``edgecnn export`` publishes."""
    tmp = dest.with_name(f".{dest.stem}.tmp.tflite")
    shutil.copyfile(src, tmp)
    os.replace(tmp, dest)
    if sidecar and src.with_suffix(".json").is_file():
        shutil.copyfile(src.with_suffix(".json"), tmp.with_suffix(".json"))
        os.replace(tmp.with_suffix(".json"), dest.with_suffix(".json"))


def corrupt(dest: Path) -> None:
    tmp = dest.with_name(".corrupt.tflite")
    tmp.write_bytes(b"TFL3" + os.urandom(4000))
    os.replace(tmp, dest)


@pytest.fixture
def model_file(tmp_path) -> Path:
    path = tmp_path / "model_int8.tflite"
    install(MODELS / "seed_int8.tflite", path)
    return path


def test_the_bundled_digits_pass_every_shipped_model():
    images, labels = selfcheck_digits()
    assert images.shape == (20, 28, 28) and sorted(set(labels.tolist())) == list(range(10))
    for path in sorted(MODELS.glob("*_int8.tflite")):
        with DigitClassifier(path) as clf:
            assert self_check(clf) is None, path


def test_the_watcher_loads_a_good_model_and_refuses_bad_ones(model_file):
    log: list[str] = []

    def load(path):
        return DigitClassifier(path)

    watcher = ModelWatcher(model_file, load, log.append, interval_s=0.0, settle_s=0.05)

    def settle():
        for _ in range(40):
            got = watcher.poll()
            if got is not None:
                return got
            time.sleep(0.02)
        return None

    assert watcher.poll() is None  # unchanged
    install(MODELS / "tiny_int8.tflite", model_file)
    clf, sha = settle()
    assert sha == file_sha256(MODELS / "tiny_int8.tflite") and clf.model_path == model_file
    clf.close()
    corrupt(model_file)
    assert settle() is None and watcher.refused == 1
    assert "refused" in log[-1] and log[-1].count("\n") == 0
    assert settle() is None and watcher.refused == 1  # tried once, not every poll

    fussy = ModelWatcher(model_file, load, log.append, interval_s=0.0, settle_s=0.0)
    fussy._check = lambda clf: "self-check read 3 of 20 digits right (needs 18)"
    install(MODELS / "seed_int8.tflite", model_file)
    assert fussy.poll() is None and fussy.poll() is None and fussy.refused == 1
    assert "3 of 20" in log[-1]


def test_a_swap_mid_run_then_a_corrupt_model(held_clip, model_file, tmp_path):
    tiny = file_sha256(MODELS / "tiny_int8.tflite")
    seed = file_sha256(model_file)
    jsonl = tmp_path / "frames.jsonl"
    config = CameraConfig(
        source=str(held_clip), model=model_file, serve="127.0.0.1:0", json_out=jsonl
    )
    run = Running(config)
    metrics = run.app.metrics
    try:
        assert wait_until(lambda: metrics.frames > 10) and metrics.model_sha256 == seed
        install(MODELS / "tiny_int8.tflite", model_file)
        assert wait_until(lambda: metrics.model_sha256 == tiny, 10), run.err.getvalue()
        at_swap = metrics.frames
        corrupt(model_file)
        assert wait_until(lambda: metrics.swaps["refused"] == 1, 10), run.err.getvalue()
        assert metrics.model_sha256 == tiny  # the old one keeps running
        assert wait_until(lambda: metrics.frames > at_swap + 24, 10)
        info = [k for k in run.metrics() if k[0] == "edgecnn_model_info"]
        assert dict(info[0][1])["sha256"] == tiny
    finally:
        summary = run.stop()
    frames = [json.loads(line) for line in jsonl.read_text().splitlines()]
    assert [f["frame"] for f in frames] == list(range(summary.frames))  # none lost
    err = run.err.getvalue()
    assert err.count("model: loaded") == 1 and err.count("model: refused") == 1
    assert "Traceback" not in err
