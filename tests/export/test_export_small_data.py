"""Exports of models that live elsewhere, on datasets smaller than the defaults assume."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from edgecnn.cli import app
from edgecnn.export.sidecar import relative_to_sidecar

runner = CliRunner()


def test_source_path_is_relative_inside_the_folder_and_absolute_outside(tmp_path: Path):
    (tmp_path / "sub").mkdir()
    assert relative_to_sidecar(tmp_path / "model.keras", tmp_path) == "model.keras"
    assert relative_to_sidecar(tmp_path / "sub" / "m.keras", tmp_path) == "sub/m.keras"
    outside = tmp_path / "elsewhere" / "m.keras"
    assert relative_to_sidecar(outside, tmp_path / "sub") == str(outside.resolve())


def test_default_calibration_uses_every_image_of_a_small_training_split(
    tmp_path: Path, seed_model: Path, mnist
):
    data = tmp_path / "small.npz"
    np.savez(
        data,
        x_train=mnist.train_images[:400],
        y_train=mnist.train_labels[:400],
        x_test=mnist.test_images[:500],
        y_test=mnist.test_labels[:500],
    )
    shutil.copy(seed_model, tmp_path / "model.keras")
    result = runner.invoke(
        app, ["export", "--model", str(tmp_path / "model.keras"), "--data", str(data)]
    )
    assert result.exit_code == 0, result.output
    sidecar = json.loads((tmp_path / "model_int8.json").read_text())
    assert sidecar["calibration_samples"] == 400
    assert sidecar["source_model"] == "model.keras"

    asked = runner.invoke(
        app,
        [
            "export",
            "--model",
            str(tmp_path / "model.keras"),
            "--data",
            str(data),
            "--calibration-samples",
            "1000",
            "--out",
            str(tmp_path / "again.tflite"),
        ],
    )
    assert asked.exit_code == 2 and "1000 is more than the 400 training images" in asked.output
    assert not (tmp_path / "again.tflite").exists()
