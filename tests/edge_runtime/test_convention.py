"""The input convention of a model without a description: from its tensors, else probed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from edge_runtime.backends import create_interpreter
from edge_runtime.convention import CANDIDATES, decide, from_tensor, probe_digits
from edge_runtime.model_file import TensorSpec

MODEL = Path(__file__).resolve().parents[1] / "data" / "third_party" / "everylumi_mnist.tflite"


def _spec(dtype, scales=(), zero_points=()):
    detail = {
        "index": 0,
        "shape": np.array([1, 28, 28, 1]),
        "dtype": dtype,
        "quantization_parameters": {"scales": list(scales), "zero_points": list(zero_points)},
    }
    return TensorSpec(detail, Path("m.tflite"), "input")


@pytest.mark.parametrize(
    ("dtype", "scale", "zero_point", "low", "high"),
    [
        (np.int8, 1 / 255, -128, 0.0, 1.0),
        (np.int8, 1.0, -128, 0.0, 255.0),  # the full-integer model that scored 22% fed 0..1
        (np.uint8, 1 / 255, 0, 0.0, 1.0),
        (np.int8, 1 / 127.5, 0, -1.004, 0.996),
    ],
)
def test_a_quantized_input_tells_its_range(dtype, scale, zero_point, low, high):
    convention, why = from_tensor(_spec(dtype, [scale], [zero_point]))
    assert convention.pixel_range == pytest.approx((low, high), abs=1e-3)
    assert "zero point" in why


def test_raw_uint8_means_pixels_and_floats_tell_nothing():
    convention, why = from_tensor(_spec(np.uint8))
    assert convention.pixel_range == (0.0, 255.0) and "raw" in why
    assert from_tensor(_spec(np.float32)) is None


def test_the_probe_ships_forty_labelled_digits():
    images, labels = probe_digits()
    assert images.shape == (40, 28, 28) and images.dtype == np.uint8
    assert sorted(set(labels.tolist())) == list(range(10))


@pytest.mark.parametrize("wanted", CANDIDATES, ids=lambda c: c.describe())
def test_the_probe_finds_each_candidate_convention(wanted):
    """A float model that wants `wanted`: a real 0..1 model behind an adapter that turns
    `wanted`'s values back into 0..1 white on black."""
    _, interpreter = create_interpreter(MODEL, num_threads=1)
    inp = interpreter.get_input_details()[0]
    out = interpreter.get_output_details()[0]["index"]
    scale, offset = wanted.linear()

    def run(x):
        # back to MNIST-form pixels (outside 0..255 when fed another convention)
        pixels = (np.asarray(x, np.float64) - offset) / scale
        rows = []
        for image in pixels:
            interpreter.set_tensor(
                inp["index"], (image / 255).astype(np.float32).reshape(inp["shape"])
            )
            interpreter.invoke()
            rows.append(interpreter.get_tensor(out)[0].copy())
        return np.array(rows, np.float32)

    decision = decide(_spec(np.float32), run)
    assert decision.convention == wanted, decision.how
    assert decision.output_kind == "probabilities"
