"""`edgecnn export` end to end: the int8 export, the other modes, bad inputs, crashes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from edge_runtime import DigitClassifier
from edgecnn.cli import app

runner = CliRunner()

SCHEMA_KEYS = {
    "schema_version",
    "model_file",
    "mode",
    "input",
    "output",
    "normalization",
    "labels",
    "float_accuracy",
    "quantized_accuracy",
    "accuracy_drop_pp",
    "max_drop_pp",
    "agreement",
    "float_size_bytes",
    "float32_tflite_size_bytes",
    "size_bytes",
    "source_model",
    "source_sha256",
    "calibration_samples",
    "calibration_seed",
    "versions",
    "created",
    "model_sha256",
}


@pytest.mark.slow
def test_int8_export_writes_a_model_the_runtime_scores_as_the_sidecar_says(int8_export, mnist):
    folder, result = int8_export
    assert result.exit_code == 0, result.output
    model = folder / "model_int8.tflite"
    sidecar = json.loads((folder / "model_int8.json").read_text())

    assert set(sidecar) == SCHEMA_KEYS
    assert sidecar["schema_version"] == 2 and sidecar["mode"] == "int8"
    assert sidecar["model_file"] == "model_int8.tflite"
    assert sidecar["labels"] == [str(d) for d in range(10)]
    assert sidecar["normalization"]["scale"] == pytest.approx(1 / 255)
    assert sidecar["normalization"]["offset"] == 0.0
    assert sidecar["source_model"] == "model.keras"
    assert len(sidecar["source_sha256"]) == 64
    assert sidecar["calibration_samples"] == 1000 and sidecar["calibration_seed"] == 0
    assert sidecar["max_drop_pp"] == 0.5
    assert set(sidecar["versions"]) >= {"edgecnn", "tensorflow", "numpy", "python"}
    assert sidecar["created"].endswith("Z")

    # Tensors: int8 in and out, with the model's own quantization.
    for role, shape in (("input", [1, 28, 28, 1]), ("output", [1, 10])):
        tensor = sidecar[role]
        assert tensor["shape"] == shape and tensor["dtype"] == "int8"
        assert tensor["scale"] > 0 and -128 <= tensor["zero_point"] <= 127
    assert sidecar["input"]["scale"] == pytest.approx(1 / 255, rel=1e-3)

    # Sizes: the file's own, and at least 3x below the float32 model.
    assert sidecar["size_bytes"] == model.stat().st_size
    assert sidecar["float_size_bytes"] == (folder / "model.keras").stat().st_size
    assert sidecar["float_size_bytes"] >= 3 * sidecar["size_bytes"]
    assert sidecar["float32_tflite_size_bytes"] >= 3 * sidecar["size_bytes"]
    assert "float32 .tflite" in result.output and "x smaller" in result.output

    # The accuracy in the sidecar is what the runtime measures on the full test set.
    with DigitClassifier(model) as clf:
        assert not clf.metadata.get("derived"), "the runtime did not read the sidecar"
        predicted = clf.probabilities(mnist.test_images).argmax(axis=1)
    accuracy = float(np.mean(predicted == mnist.test_labels))
    assert sidecar["quantized_accuracy"] == pytest.approx(accuracy, abs=1e-6)
    drop = 100 * (sidecar["float_accuracy"] - sidecar["quantized_accuracy"])
    assert sidecar["accuracy_drop_pp"] == pytest.approx(drop, abs=1e-3)
    assert sidecar["accuracy_drop_pp"] <= 0.5
    assert sidecar["agreement"] >= 0.99
    assert sidecar["float_accuracy"] > 0.85


@pytest.mark.slow
def test_int8_export_writes_report_and_figure_and_a_summary(int8_export):
    folder, result = int8_export
    assert result.exit_code == 0, result.output
    report = (folder / "model_int8_report.md").read_text()
    assert "| accuracy |" in report and "Accuracy drop" in report
    assert "float32 `.tflite`" in report and "`.keras`" in report
    assert sum(line.startswith("| ") and line[2].isdigit() for line in report.splitlines()) >= 10
    assert (folder / "model_int8_per_class.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for fragment in ("float accuracy", "int8 accuracy", "drop", "size", "time", "wrote"):
        assert fragment in result.output
    assert not [p.name for p in folder.iterdir() if p.name.startswith(".")], "temp files left"


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["float16", "dynamic", "float32"])
def test_other_modes_export_models_the_runtime_loads(model_dir, small_data, mode, mnist):
    result = runner.invoke(
        app,
        [
            "export",
            f"--{mode}",
            "--model",
            str(model_dir / "model.keras"),
            "--data",
            str(small_data),
        ],
    )
    assert result.exit_code == 0, result.output
    model = model_dir / f"model_{mode}.tflite"
    sidecar = json.loads(model.with_suffix(".json").read_text())
    assert sidecar["mode"] == mode
    assert sidecar["input"]["dtype"] == "float32" and sidecar["input"]["scale"] is None
    assert sidecar["calibration_samples"] is None
    assert sidecar["accuracy_drop_pp"] <= 0.5
    with DigitClassifier(model) as clf:
        assert clf.metadata["mode"] == mode
        probabilities = clf.probabilities(mnist.test_images[:200])
    assert probabilities.shape == (200, 10)
    assert np.mean(probabilities.argmax(axis=1) == mnist.test_labels[:200]) > 0.8
    assert (model_dir / f"model_{mode}_report.md").is_file()


@pytest.mark.slow
def test_uint8_io_gives_uint8_tensors(model_dir, small_data):
    out = model_dir / "u8.tflite"
    result = runner.invoke(
        app,
        [
            "export",
            "--model",
            str(model_dir / "model.keras"),
            "--data",
            str(small_data),
            "--io",
            "uint8",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    sidecar = json.loads(out.with_suffix(".json").read_text())
    assert sidecar["input"]["dtype"] == "uint8" and sidecar["output"]["dtype"] == "uint8"
    assert sidecar["calibration_samples"] == 1000


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (["--int8", "--float16"], 2, "at most one mode"),
        (["--max-drop", "-1"], 2, "--max-drop"),
        (["--calibration-samples", "0"], 2, "--calibration-samples"),
        (["--float32", "--io", "int8"], 2, "--io int8 needs --int8"),
        (["--model", "{tmp}/missing.keras"], 4, "no such model file"),
        (["--model", "{tmp}/notes.keras"], 4, "notes.keras"),
        (["--model", "{tmp}/weights.h5"], 4, ".h5"),
        (["--model", "{tmp}/model.tflite"], 4, ".tflite"),
    ],
)
def test_bad_options_and_models_exit_with_their_codes(tmp_path, args, code, fragment):
    (tmp_path / "notes.keras").write_text("not a model\n")
    (tmp_path / "weights.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(100))
    (tmp_path / "model.tflite").write_bytes(bytes(100))
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    result = runner.invoke(app, ["export", *args])
    assert result.exit_code == code, result.output
    assert fragment in result.output
    assert "Traceback" not in result.output


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["missing", "garbage"])
def test_unreadable_data_exits_3(model_dir, kind):
    data = model_dir / "mnist.npz"
    if kind == "garbage":
        data.write_bytes(b"PK\x03\x04 this is not an archive")
    result = runner.invoke(
        app, ["export", "--model", str(model_dir / "model.keras"), "--data", str(data)]
    )
    assert result.exit_code == 3, result.output
    assert "mnist.npz" in result.output
    assert not (model_dir / "model_int8.tflite").exists()


@pytest.mark.slow
def test_a_crash_after_conversion_leaves_the_accepted_model_alone(
    model_dir, small_data, monkeypatch
):
    first = runner.invoke(
        app, ["export", "--model", str(model_dir / "model.keras"), "--data", str(small_data)]
    )
    assert first.exit_code == 0, first.output
    keep = {p.name: p.read_bytes() for p in model_dir.iterdir()}

    import edgecnn.export.report

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(edgecnn.export.report, "plot_per_class", broken)
    second = runner.invoke(
        app,
        [
            "export",
            "--model",
            str(model_dir / "model.keras"),
            "--data",
            str(small_data),
            "--calibration-seed",
            "7",
        ],
    )
    assert second.exit_code == 1, second.output
    assert "disk full" in second.output
    assert {p.name: p.read_bytes() for p in model_dir.iterdir()} == keep


def test_the_export_package_imports_without_tensorflow():
    import subprocess
    import sys

    code = (
        "import sys, export; "
        "print(','.join(m for m in ('tensorflow', 'keras', 'matplotlib') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert out.stdout.strip() == ""
