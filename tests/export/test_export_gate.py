"""The accuracy gate: the arithmetic, and a real refusal that leaves the accepted model alone."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from edge_runtime.errors import AccuracyDropError
from edgecnn.cli import app
from edgecnn.export import gate

runner = CliRunner()


def _labels(n_correct: int, n: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    truth = np.arange(n) % 10
    predicted = truth.copy()
    predicted[n_correct:] = (truth[n_correct:] + 1) % 10
    return predicted, truth


def test_drop_is_counted_in_percentage_points():
    float_pred, truth = _labels(990)
    quant_pred, _ = _labels(985)
    m = gate.measure(float_pred, quant_pred, truth)
    assert m.float_accuracy == pytest.approx(0.990)
    assert m.quantized_accuracy == pytest.approx(0.985)
    assert m.drop_pp == pytest.approx(0.5)
    assert m.agreement == pytest.approx(0.995)
    assert gate.accepts(m, 0.5)  # exactly at the tolerance passes
    assert not gate.accepts(m, 0.4)


def test_a_better_quantized_model_has_a_negative_drop():
    m = gate.measure(_labels(980)[0], _labels(990)[0], _labels(0)[1])
    assert m.drop_pp == pytest.approx(-1.0)
    assert gate.accepts(m, 0.0)


def test_refusal_is_one_line_with_both_accuracies_and_the_tolerance():
    m = gate.measure(_labels(990)[0], _labels(900)[0], _labels(0)[1])
    error = gate.refuse(m, 0.5, "int8", "kept it as x.refused.tflite")
    from edgecnn.cli import exit_code

    assert isinstance(error, AccuracyDropError) and exit_code(error) == 5
    text = str(error)
    assert "\n" not in text
    for fragment in ("99.00%", "90.00%", "9.00 pp", "0.50 pp", "x.refused.tflite"):
        assert fragment in text
    assert error.float_accuracy == pytest.approx(0.99)
    assert error.quantized_accuracy == pytest.approx(0.90)
    assert error.max_drop_pp == 0.5


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
def test_a_ruined_int8_model_is_refused_and_the_accepted_one_stays(
    model_dir, small_data, blank_train_data
):
    out = model_dir / "model_int8.tflite"
    accepted = runner.invoke(
        app, ["export", "--model", str(model_dir / "model.keras"), "--data", str(small_data)]
    )
    assert accepted.exit_code == 0, accepted.output
    published = [
        out,
        out.with_suffix(".json"),
        model_dir / "model_int8_report.md",
        model_dir / "model_int8_per_class.png",
    ]
    before = {p.name: _digest(p) for p in published}

    # Calibrating on blank images collapses every activation range: a real, large drop.
    refused = runner.invoke(
        app,
        [
            "export",
            "--model",
            str(model_dir / "model.keras"),
            "--data",
            str(blank_train_data),
            "--calibration-samples",
            "1",
        ],
    )

    assert refused.exit_code == 5, refused.output
    line = [x for x in refused.output.splitlines() if x.startswith("error: ")]
    assert len(line) == 1
    message = line[0]
    assert "refused" in message and "tolerance of 0.50 pp" in message
    assert message.count("%") >= 2  # both accuracies
    assert "model_int8.refused.tflite" in message and "left unchanged" in message
    assert {p.name: _digest(p) for p in published} == before
    assert (model_dir / "model_int8.refused.tflite").stat().st_size > 0
    assert not [p.name for p in model_dir.iterdir() if p.name.startswith(".")], "temp files left"


@pytest.mark.slow
def test_a_refusal_with_no_model_yet_writes_nothing_at_out(model_dir, blank_train_data):
    result = runner.invoke(
        app,
        [
            "export",
            "--model",
            str(model_dir / "model.keras"),
            "--data",
            str(blank_train_data),
            "--out",
            str(model_dir / "m.tflite"),
        ],
    )
    assert result.exit_code == 5, result.output
    assert "nothing written to" in result.output
    assert sorted(p.name for p in model_dir.iterdir()) == ["m.refused.tflite", "model.keras"]
