"""InputEncoder: every fast route gives exactly the quantization formula."""

from __future__ import annotations

import numpy as np
import pytest

from edge_runtime.inputs import InputEncoder, looks_like_probabilities
from edge_runtime.preprocess import quantize


@pytest.mark.parametrize(
    ("dtype", "scale", "zero_point", "norm_scale", "norm_offset", "route"),
    [
        (np.int8, 1 / 255, -128, 1 / 255, 0.0, "shift"),
        (np.uint8, 1 / 255, 0, 1 / 255, 0.0, "shift"),
        (np.int8, 0.0078125, 0, 2 / 255, -1.0, "table"),  # inputs in [-1, 1]
        (np.int8, 0.02, -5, 1 / 255, 0.0, "table"),  # clipping: no pure shift
        (np.float32, 0.0, 0, 1 / 255, 0.0, "take"),
    ],
)
def test_routes_agree_with_the_formula(dtype, scale, zero_point, norm_scale, norm_offset, route):
    enc = InputEncoder(np.dtype(dtype), scale, zero_point, norm_scale, norm_offset)
    assert {
        "shift": enc.shift is not None,
        "table": enc.shift is None and enc.table is not None,
        "take": enc.table is None,
    }[route]
    pixels = np.arange(256, dtype=np.uint8).reshape(16, 16)
    real = pixels.astype(np.float64) * norm_scale + norm_offset
    expected = (
        quantize(real, scale, zero_point, dtype)
        if np.dtype(dtype).kind in "iu"
        else real.astype(np.float32)
    )
    got = enc.encode(pixels)
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(got, expected)
    # floats 0-1 mean pixel / 255 and land on the same values
    np.testing.assert_allclose(
        enc.encode(pixels.astype(np.float32) / 255).astype(float),
        expected.astype(float),
        atol=1e-6 if route == "take" else 1,
    )


def test_logits_are_told_from_probabilities():
    assert looks_like_probabilities(np.array([[0.1, 0.7, 0.2]], np.float32))
    assert not looks_like_probabilities(np.array([[2.0, -1.0, 0.5]], np.float32))
