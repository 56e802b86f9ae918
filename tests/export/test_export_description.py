"""What export writes into the model: its description (a .tflite copied alone still
has it), and with --fixed-batch a static graph compared with the dynamic one."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from edge_runtime import DigitClassifier
from edge_runtime.flatbuffer import op_counts, walk
from edge_runtime.model_file import open_model
from edgecnn.cli import app

runner = CliRunner()


@pytest.mark.slow
def test_a_model_copied_alone_keeps_its_description(int8_export, tmp_path, mnist):
    folder, result = int8_export
    assert result.exit_code == 0, result.output
    sidecar = json.loads((folder / "model_int8.json").read_text())
    alone = tmp_path / "empty" / "model_int8.tflite"
    alone.parent.mkdir()
    shutil.copyfile(folder / "model_int8.tflite", alone)

    shown = runner.invoke(app, ["inspect", str(alone), "--json"])
    assert shown.exit_code == 0, shown.output
    record = json.loads(shown.output[shown.output.index("{") :])
    info = record["info"]
    assert record["described_by"] == "embedded" and not record["sidecar"]
    assert info["labels"] == [str(d) for d in range(10)]
    assert info["normalization"]["range"] == [0.0, 1.0]
    assert info["normalization"]["polarity"] == "white_on_black"
    for key in ("float_accuracy", "quantized_accuracy", "source_sha256", "versions", "created"):
        assert info[key] == sidecar[key], key
    assert info["source_model"] == "model.keras"
    assert info["model_sha256"] == record["sha256"] == sidecar["model_sha256"]
    assert info["size_bytes"] == alone.stat().st_size
    assert isinstance(record["micro_arena_bytes"], int)

    text = runner.invoke(app, ["inspect", str(alone)]).output
    for words in ("labels", "0..1, white on black", "accuracy", "provenance", "TFLM arena"):
        assert words in text

    # LiteRT and TensorFlow Lite Micro still load the file with the description inside.
    from ai_edge_litert.interpreter import Interpreter
    from tflite_micro.python.tflite_micro import runtime

    Interpreter(model_path=str(alone)).allocate_tensors()
    runtime.Interpreter.from_bytes(alone.read_bytes(), arena_size=record["micro_arena_bytes"])
    with DigitClassifier(alone) as clf:
        assert clf.info.quantized_accuracy == sidecar["quantized_accuracy"]
        assert clf.info.inferred is None


@pytest.mark.slow
def test_fixed_batch_export_drops_the_dynamic_shape_ops(model_dir, small_data, mnist):
    out = model_dir / "fixed.tflite"
    result = runner.invoke(
        app,
        [
            *("export", "--model", str(model_dir / "model.keras"), "--out", str(out)),
            *("--data", str(small_data), "--fixed-batch", "1"),
        ],
    )
    assert result.exit_code == 0, result.output
    fixed = op_counts(walk(out.read_bytes()))
    assert not {"SHAPE", "STRIDED_SLICE", "PACK"} & set(fixed)
    assert fixed["RESHAPE"] == 1
    report = (model_dir / "fixed_report.md").read_text()
    assert "| operator | fixed batch 1 | dynamic batch |" in report
    assert "| SHAPE | 0 | 1 |" in report and "| PACK | 0 | 1 |" in report
    assert "invoke (ms, LiteRT, 1 thread)" in report
    assert "batch 1:" in result.output and "dynamic batch:" in result.output
    info = open_model(out).info
    assert info is not None and info.input.shape[0] == 1
    with DigitClassifier(out) as clf:  # a fixed batch of 1 still classifies many at once
        predictions = clf.predict_batch(mnist.test_images[:300])
    accuracy = (
        sum(p.digit == y for p, y in zip(predictions, mnist.test_labels[:300], strict=True)) / 300
    )
    assert accuracy > 0.85


def test_fixed_batch_is_checked():
    from edgecnn.export.config import ExportConfig

    with pytest.raises(ValueError, match="fixed-batch"):
        ExportConfig(fixed_batch=0)
