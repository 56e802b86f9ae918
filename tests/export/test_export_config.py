"""ExportConfig validation, the derived paths, the calibration draw, the sidecar's tensors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from edgecnn.export import ExportConfig, IOType, Mode
from edgecnn.export.convert import draw_calibration
from edgecnn.export.sidecar import tensor_description


def test_defaults_follow_the_mode():
    config = ExportConfig()
    assert config.mode is Mode.INT8
    assert config.io_type is IOType.INT8
    assert config.out_path == Path("artifacts/model_int8.tflite")
    for mode in ("float16", "dynamic", "float32"):
        other = ExportConfig(model=Path("runs/a/model.keras"), mode=mode)
        assert other.out_path == Path(f"runs/a/model_{mode}.tflite")
        assert other.io_type is IOType.FLOAT


def test_paths_are_named_after_the_model_stem():
    paths = ExportConfig(out=Path("out/m8.tflite")).paths
    assert paths.model == Path("out/m8.tflite")
    assert paths.sidecar == Path("out/m8.json")
    assert paths.report == Path("out/m8_report.md")
    assert paths.figure == Path("out/m8_per_class.png")
    assert paths.refused == Path("out/m8.refused.tflite")


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"max_drop": -0.1}, "--max-drop"),
        ({"max_drop": float("nan")}, "--max-drop"),
        ({"calibration_samples": 0}, "--calibration-samples"),
        ({"calibration_seed": -1}, "--calibration-seed"),
        ({"out": Path("model.h5")}, ".tflite"),
        ({"mode": "float16", "io": "int8"}, "--io int8 needs --int8"),
        ({"mode": "dynamic", "check_micro": True}, "--check-micro needs --int8"),
        ({"mode": "int4"}, "int4"),
        ({"io": "int16"}, "int16"),
        ({"calibration_images": np.zeros((0, 28, 28), np.uint8)}, "calibration images"),
        ({"calibration_images": np.zeros((3, 32, 32), np.uint8)}, "calibration images"),
        (
            {"mode": "float32", "calibration_images": np.zeros((3, 28, 28), np.uint8)},
            "calibration images",
        ),
    ],
)
def test_bad_values_raise_value_error(kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        ExportConfig(**kwargs)


def test_zero_tolerance_and_uint8_io_are_allowed():
    config = ExportConfig(max_drop=0, io="uint8")
    assert config.max_drop == 0
    assert config.io_type is IOType.UINT8


def test_calibration_draw_is_seeded_distinct_and_from_the_given_split():
    train = np.arange(500 * 28 * 28, dtype=np.int64).reshape(500, 28, 28).astype(np.uint8)
    train[:, 0, 0] = np.arange(500) % 256  # row id in the first pixels
    train[:, 0, 1] = np.arange(500) // 256
    ids = lambda images: images[:, 0, 0].astype(int) + 256 * images[:, 0, 1].astype(int)  # noqa: E731
    a = draw_calibration(train, 100, seed=0)
    assert a.shape == (100, 28, 28) and a.dtype == np.uint8
    assert len(set(ids(a).tolist())) == 100
    np.testing.assert_array_equal(a, draw_calibration(train, 100, seed=0))
    assert set(ids(a).tolist()) != set(ids(draw_calibration(train, 100, seed=1)).tolist())
    assert len(draw_calibration(train, 500, seed=3)) == 500
    with pytest.raises(ValueError, match="501"):
        draw_calibration(train, 501, seed=0)


def test_tensor_description_reads_the_tensor_quantization():
    int8 = {
        "shape": np.array([1, 28, 28, 1]),
        "dtype": np.int8,
        "quantization_parameters": {
            "scales": np.array([0.0039], np.float32),
            "zero_points": np.array([-128]),
            "quantized_dimension": 0,
        },
    }
    described = tensor_description(int8)
    assert described["shape"] == [1, 28, 28, 1]
    assert described["dtype"] == "int8"
    assert described["scale"] == pytest.approx(0.0039)
    assert described["zero_point"] == -128
    floats = {
        "shape": np.array([1, 10]),
        "dtype": np.float32,
        "quantization_parameters": {"scales": np.array([]), "zero_points": np.array([])},
    }
    assert tensor_description(floats) == {
        "shape": [1, 10],
        "dtype": "float32",
        "scale": None,
        "zero_point": None,
    }
