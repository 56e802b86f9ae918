"""The shifted test set changes the digits the way its names say, reproducibly."""

from __future__ import annotations

import numpy as np
import pytest

from edgecnn.train.shifts import VARIANTS, shifted_test_sets


@pytest.fixture(scope="module")
def digits() -> np.ndarray:
    rng = np.random.default_rng(0)
    images = np.zeros((16, 28, 28), np.uint8)
    for image in images:  # a thick vertical bar at a random column near the centre
        col = int(rng.integers(10, 16))
        image[6:22, col : col + 3] = 255
    return images


def test_every_variant_keeps_shape_and_dtype(digits):
    sets = shifted_test_sets(digits)
    assert set(sets) == set(VARIANTS)
    for images in sets.values():
        assert images.shape == digits.shape and images.dtype == np.uint8


def test_variants_are_reproducible_and_differ_by_seed(digits):
    first, again, other = (shifted_test_sets(digits, seed=s) for s in (0, 0, 1))
    for name in VARIANTS:
        np.testing.assert_array_equal(first[name], again[name])
    assert any(not np.array_equal(first[n], other[n]) for n in ("rotated", "shifted", "noised"))


def test_stroke_width_changes_in_the_right_direction(digits):
    sets = shifted_test_sets(digits)
    ink = (digits > 127).sum()
    assert (sets["thickened"] > 127).sum() > ink > (sets["thinned"] > 127).sum()


def test_every_variant_changes_the_images(digits):
    for name, images in shifted_test_sets(digits).items():
        assert not np.array_equal(images, digits), name


def test_rejects_wrong_input():
    with pytest.raises(ValueError, match="uint8"):
        shifted_test_sets(np.zeros((2, 28, 28), np.float32))
