"""Property tests: whatever array comes in, preprocessing answers or raises ImageError."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from edge_runtime.errors import ImageError
from edge_runtime.preprocess import normalize, to_mnist

pytest.importorskip("cv2")

DTYPES = st.sampled_from(
    [np.uint8, np.uint16, np.int16, np.int64, np.float32, np.float64, np.bool_, np.complex64]
)
SHAPES = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=40)


def _check_mnist(out: object) -> None:
    assert out is None or (
        isinstance(out, np.ndarray) and out.shape == (28, 28) and out.dtype == np.uint8
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hnp.arrays(dtype=DTYPES, shape=SHAPES))
def test_to_mnist_returns_none_or_28x28_uint8_or_raises_image_error(array):
    try:
        out = to_mnist(array)
    except ImageError:
        return
    _check_mnist(out)


@settings(max_examples=150, deadline=None)
@given(
    height=st.integers(1, 120),
    width=st.integers(1, 120),
    channels=st.sampled_from([None, 1, 3, 4]),
    fill=st.sampled_from(["black", "white", "pixel", "noise", "bar"]),
    seed=st.integers(0, 2**16),
)
def test_to_mnist_on_odd_images(height, width, channels, fill, seed):
    rng = np.random.default_rng(seed)
    shape = (height, width) if channels is None else (height, width, channels)
    image = np.zeros(shape, np.uint8)
    if fill == "white":
        image[...] = 255
    elif fill == "pixel":
        image[rng.integers(height), rng.integers(width)] = 255
    elif fill == "noise":
        image = rng.integers(0, 256, shape, dtype=np.uint8)
    elif fill == "bar":
        image[height // 4 : 3 * height // 4 + 1, width // 2] = 255
    out = to_mnist(image)
    _check_mnist(out)
    if fill in ("black", "white"):
        assert out is None  # uniform: no digit, whatever the colour


@settings(max_examples=150, deadline=None)
@given(hnp.arrays(dtype=DTYPES, shape=SHAPES))
def test_normalize_returns_unit_floats_or_raises_image_error(array):
    try:
        out = normalize(array)
    except ImageError:
        return
    assert out.dtype == np.float32 and out.ndim == 4 and out.shape[1:] == (28, 28, 1)
    assert out.size == 0 or (out.min() >= 0.0 and out.max() <= 1.0)


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(dtype=DTYPES, shape=SHAPES))
def test_predict_answers_or_raises_image_error(classifier, array):
    try:
        prediction = classifier.predict(array)
    except ImageError:
        return
    assert prediction.digit is None or 0 <= prediction.digit <= 9
    assert 0.0 <= prediction.confidence <= 1.0
    assert prediction.probabilities.shape == (10,)
