"""`edgecnn train` and `edgecnn evaluate` through the CLI: exit codes and output."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from edgecnn.cli import app
from edgecnn.train.models import ARCHITECTURES, Arch

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def error_line(result) -> str:
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines and lines[-1].startswith("error: "), result.output
    assert "Traceback" not in result.output
    return lines[-1]


def test_arch_choices_are_the_registry():
    listed = invoke("train", "--help").output
    assert "--arch <seed|tiny|large|wide>" in listed
    assert [a.value for a in Arch] == ["seed", "tiny", "large", "wide"]
    assert set(ARCHITECTURES) == set(Arch)


@pytest.mark.parametrize(
    ("args", "word"),
    [
        (["--epochs", "0"], "epochs"),
        (["--batch-size", "-1"], "batch-size"),
        (["--limit", "3"], "limit"),
        (["--seed", "-2"], "seed"),
    ],
)
def test_bad_option_values_exit_2(tmp_path, args, word):
    result = invoke("train", "--out", tmp_path, *args)
    assert result.exit_code == 2
    assert word in error_line(result)
    assert not any(tmp_path.iterdir())


def test_unknown_arch_exits_2(tmp_path):
    result = invoke("train", "--arch", "huge", "--out", tmp_path)
    assert result.exit_code == 2
    assert "huge" in result.output


def test_missing_data_exits_3(tmp_path):
    result = invoke("train", "--data", tmp_path / "nowhere", "--out", tmp_path / "out")
    assert result.exit_code == 3
    assert "nowhere" in error_line(result)
    assert not (tmp_path / "out").exists()


def test_broken_data_exits_3(tmp_path):
    bad = tmp_path / "train.csv"
    bad.write_text("label,pixel0\n1,2\n")
    result = invoke("train", "--data", bad, "--out", tmp_path / "out")
    assert result.exit_code == 3
    assert "train.csv" in error_line(result) and "header" in error_line(result)
    # evaluate checks the model before it reads the data
    result = invoke("evaluate", "--model", tmp_path / "none.keras", "--data", bad)
    assert result.exit_code == 4


@pytest.mark.parametrize(
    ("name", "content", "word"),
    [
        ("missing.keras", None, "no such"),
        ("model.h5", b"x", ".keras or .tflite"),
        ("junk.keras", b"not a zip", "not a Keras model"),
        ("empty.keras", b"PK\x05\x06" + bytes(18), "not a readable Keras model"),
        ("junk.tflite", b"\x00" * 64, "junk.tflite"),
    ],
)
def test_bad_model_exits_4(tmp_path, name, content, word):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    result = invoke("evaluate", "--model", path)
    assert result.exit_code == 4, result.output
    assert word in error_line(result)


def test_evaluate_requires_a_model():
    result = invoke("evaluate")
    assert result.exit_code == 2


@pytest.mark.slow
def test_train_then_evaluate(tmp_path):
    out = tmp_path / "run"
    result = invoke("train", "--limit", "1000", "--epochs", "1", "--out", out)
    assert result.exit_code == 0, result.output
    assert "test accuracy" in result.output and "epoch 1/1" in result.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["limit"] == 1000 and metrics["epochs"] == 1

    shown = invoke("evaluate", "--model", out / "model.keras", "--json")
    assert shown.exit_code == 0, shown.output
    report = json.loads(shown.output.strip().splitlines()[-1])
    assert report["accuracy"] == pytest.approx(metrics["test_accuracy"])
    assert report["count"] == 10_000 and len(report["per_class_accuracy"]) == 10

    text = invoke("evaluate", "--model", out / "model.keras")
    assert text.exit_code == 0
    assert f"accuracy {metrics['test_accuracy']:.2%}" in text.output
    assert text.output.count("digit ") == 10
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [
            "checkpoints",
            "confusion_matrix.png",
            "history.json",
            "metrics.json",
            "model.keras",
            "training_curves.png",
        ]
    )  # evaluate wrote nothing

    # Resuming with other options is a usage error.
    again = invoke("train", "--limit", "1000", "--epochs", "2", "--out", out, "--resume")
    assert again.exit_code == 2
    assert "--no-resume" in error_line(again)


@pytest.mark.slow
def test_evaluate_tflite_through_the_runtime(tmp_path):
    import numpy as np
    import tensorflow as tf

    from edgecnn.train.models import build_model

    model = build_model("tiny")
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    path = tmp_path / "float.tflite"
    path.write_bytes(converter.convert())
    result = invoke("evaluate", "--model", path, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output.strip().splitlines()[-1])
    # An untrained model: the figures are well formed, not good.
    assert report["count"] == 10_000 and 0.0 <= report["accuracy"] <= 1.0
    assert np.sum(report["confusion"]) == 10_000
