"""`edgecnn ensemble`: trained models averaged into one, scored, with their provenance."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from typer.testing import CliRunner

from edgecnn.bundled import models_dir
from edgecnn.cli import app
from edgecnn.train.evaluate import load_keras_model, predict_keras, summarize

runner = CliRunner()
SHIPPED = models_dir()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def error_line(result) -> str:
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines and lines[-1].startswith("error: "), result.output
    assert "Traceback" not in result.output
    return lines[-1]


def test_the_shipped_seed_and_tiny_average_into_one_model_that_gives_their_mean(tmp_path, mnist):
    members = [SHIPPED / "seed.keras", SHIPPED / "tiny.keras"]
    result = invoke("ensemble", *members, "--out", tmp_path / "ens")
    assert result.exit_code == 0, result.output

    images, labels = mnist.test_images, mnist.test_labels
    mean = np.mean([predict_keras(load_keras_model(m), images) for m in members], axis=0)
    ensemble = load_keras_model(tmp_path / "ens" / "model.keras")
    assert ensemble.name == "ensemble"
    assert np.allclose(predict_keras(ensemble, images), mean, atol=1e-4)

    metrics = json.loads((tmp_path / "ens" / "metrics.json").read_text())
    expected = summarize(mean.argmax(axis=1), labels).accuracy
    assert metrics["test_accuracy"] == pytest.approx(expected)
    assert f"test accuracy {expected:.2%}" in result.output
    # Each member's own training record travels with it (the shipped <arch>_metrics.json).
    assert [m["training"]["arch"] for m in metrics["members"]] == ["seed", "tiny"]
    assert [m["name"] for m in metrics["members"]] == ["seed", "tiny"]
    assert all(len(m["sha256"]) == 64 for m in metrics["members"])
    assert metrics["train_seconds"] == pytest.approx(
        sum(m["training"]["train_seconds"] for m in metrics["members"]), abs=0.2
    )
    assert (tmp_path / "ens" / "confusion_matrix.png").stat().st_size > 0


def test_two_members_of_one_architecture_can_be_averaged(tmp_path, mnist):
    # Two models named "tiny" in one graph: each is wrapped under its own name.
    copy = tmp_path / "other" / "model.keras"
    copy.parent.mkdir()
    shutil.copy(SHIPPED / "tiny.keras", copy)
    result = invoke("ensemble", SHIPPED / "tiny.keras", copy, "--out", tmp_path / "ens")
    assert result.exit_code == 0, result.output
    ensemble = load_keras_model(tmp_path / "ens" / "model.keras")
    alone = predict_keras(load_keras_model(copy), mnist.test_images[:200])
    assert np.allclose(predict_keras(ensemble, mnist.test_images[:200]), alone, atol=1e-4)
    metrics = json.loads((tmp_path / "ens" / "metrics.json").read_text())
    assert metrics["members"][1]["training"] is None  # no metrics.json beside the copy


@pytest.mark.parametrize(
    ("members", "code", "words"),
    [
        (["tiny.keras"], 2, "at least two"),
        (["tiny.keras", "tiny.keras"], 2, "twice"),
        (["tiny.keras", "nowhere.keras"], 4, "no such model file"),
        (["tiny.keras", "tiny_int8.tflite"], 4, ".keras models"),
        (["tiny.keras", "tiny_metrics.json"], 4, "expected a .keras or .tflite"),
    ],
)
def test_bad_members_fail_in_one_line_and_write_nothing(tmp_path, members, code, words):
    out = tmp_path / "ens"
    result = invoke("ensemble", *[SHIPPED / m for m in members], "--out", out)
    assert result.exit_code == code, result.output
    assert words in error_line(result)
    assert not out.exists()


def test_a_member_that_is_no_digit_classifier_is_refused(tmp_path):
    import keras

    odd = keras.Sequential(
        [keras.Input((32, 32, 1)), keras.layers.Flatten(), keras.layers.Dense(10)]
    )
    odd.save(tmp_path / "odd.keras")
    out = tmp_path / "ens"
    result = invoke("ensemble", SHIPPED / "tiny.keras", tmp_path / "odd.keras", "--out", out)
    assert result.exit_code == 4, result.output
    assert "(32, 32, 1)" in error_line(result)
    assert not (out / "model.keras").exists()
