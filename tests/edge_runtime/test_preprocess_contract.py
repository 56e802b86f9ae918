"""The one preprocessing: normalize, quantize/dequantize and to_mnist keep their contract."""

from __future__ import annotations

import re

import numpy as np
import pytest

from edge_runtime.errors import ImageError
from edge_runtime.preprocess import (
    NORMALIZATION,
    dequantize,
    normalize,
    quantize,
    read_image,
    to_grey,
    to_mnist,
)

cv2 = pytest.importorskip("cv2")


@pytest.mark.parametrize("shape", [(28, 28), (5, 28, 28), (5, 28, 28, 1)])
def test_normalize_gives_n_28_28_1_float32_in_unit_range(shape):
    images = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    out = normalize(images)
    n = 1 if len(shape) == 2 else shape[0]
    assert out.shape == (n, 28, 28, 1) and out.dtype == np.float32
    expected = images.reshape(n, 28, 28, 1) * NORMALIZATION["scale"] + NORMALIZATION["offset"]
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    assert out.min() >= 0.0 and out.max() <= 1.0


def test_normalize_passes_unit_floats_through():
    images = np.random.default_rng(1).random((3, 28, 28)).astype(np.float64)
    out = normalize(images)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out[..., 0], images, rtol=1e-6)


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros((28, 27), np.uint8),
        np.zeros((2, 28, 28, 3), np.uint8),
        np.zeros((28, 28), np.int32),
        np.zeros((28, 28), bool),
        np.full((28, 28), 2.0),
        np.full((28, 28), np.nan),
    ],
)
def test_normalize_refuses_what_is_not_mnist_form(bad):
    with pytest.raises(ImageError):
        normalize(bad)


def test_quantize_matches_tflite_rounding_and_clips():
    x = np.array([-1.0, 0.0, 0.5 / 255, 1.5 / 255, 0.5, 1.0, 2.0])
    q = quantize(x, 1 / 255, -128, np.int8)
    assert q.dtype == np.int8
    # round half away from zero: 0.5 -> 1, 1.5 -> 2
    assert q.tolist() == [-128, -128, -127, -126, 0, 127, 127]
    back = dequantize(q, 1 / 255, -128)
    assert back.dtype == np.float32
    np.testing.assert_allclose(back[1:6], [0.0, 1 / 255, 2 / 255, 128 / 255, 1.0], atol=1e-6)


def test_quantize_refuses_a_zero_scale():
    with pytest.raises(ValueError):
        quantize([0.5], 0.0, 0, np.int8)


def test_to_mnist_keeps_an_mnist_digit_an_mnist_digit(mnist_test):
    images, _ = mnist_test
    for image in images[:20]:
        out = to_mnist(image)
        assert out is not None and out.shape == (28, 28) and out.dtype == np.uint8
        # same place and shape of ink: strong overlap with the original
        a, b = out > 64, image > 64
        assert (a & b).sum() / (a | b).sum() > 0.6


def test_to_mnist_centres_by_mass_and_fits_20x20(mnist_test):
    images, _ = mnist_test
    digit = np.zeros((200, 300), np.uint8)
    digit[20:180, 30:110] = cv2.resize(images[0], (80, 160))  # far off-centre, tall
    out = to_mnist(digit)
    assert out is not None
    rows, cols = np.nonzero(out.any(axis=1))[0], np.nonzero(out.any(axis=0))[0]
    assert rows[-1] - rows[0] + 1 <= 21 and cols[-1] - cols[0] + 1 <= 21
    weights = out.astype(float)
    cy = (weights.sum(axis=1) * np.arange(28)).sum() / weights.sum()
    cx = (weights.sum(axis=0) * np.arange(28)).sum() / weights.sum()
    assert abs(cy - 14) <= 1.0 and abs(cx - 14) <= 1.0


def test_to_mnist_inverts_dark_ink_on_paper(mnist_test):
    images, _ = mnist_test
    light_ink = to_mnist(images[3])
    dark_ink = to_mnist(255 - images[3])
    assert light_ink is not None and dark_ink is not None
    assert dark_ink[0, 0] == 0 and dark_ink.max() >= 200
    a, b = light_ink > 64, dark_ink > 64
    assert (a & b).sum() / (a | b).sum() > 0.7


def test_to_grey_matches_opencv_exactly():
    bgr = np.random.default_rng(2).integers(0, 256, (37, 41, 3), dtype=np.uint8)
    np.testing.assert_array_equal(to_grey(bgr), cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY))
    opaque = np.dstack([bgr, np.full((37, 41), 255, np.uint8)])
    np.testing.assert_array_equal(to_grey(opaque), cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY))


def test_to_mnist_reads_bgr_and_bgra_alike(mnist_test):
    images, _ = mnist_test
    grey = cv2.resize(255 - images[5], (84, 84))
    bgr = cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)
    np.testing.assert_array_equal(to_mnist(bgr), to_mnist(grey))
    # dark ink on a transparent canvas: alpha carries the digit
    bgra = np.zeros((84, 84, 4), np.uint8)
    bgra[..., 3] = 255 - grey
    out = to_mnist(bgra)
    assert out is not None
    a, b = out > 64, to_mnist(grey) > 64
    assert (a & b).sum() / (a | b).sum() > 0.7


@pytest.mark.parametrize(
    "blank",
    [
        np.zeros((40, 40), np.uint8),
        np.full((40, 40), 255, np.uint8),
        np.full((40, 40, 3), 200, np.uint8),
        np.clip(200 + np.random.default_rng(0).normal(0, 8, (60, 50)), 0, 255).astype(np.uint8),
        np.tile(np.linspace(230, 170, 80), (60, 1)).astype(np.uint8),
        np.pad(np.full((1, 1), 255, np.uint8), 30),
        np.zeros((2, 2), np.uint8),
        np.zeros((40, 40, 4), np.uint8),
    ],
    ids=[
        "black",
        "white",
        "grey-bgr",
        "noisy-paper",
        "gradient",
        "one-pixel",
        "2x2",
        "transparent",
    ],
)
def test_to_mnist_says_none_for_blank_crops(blank):
    assert to_mnist(blank) is None


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros((0, 5), np.uint8),
        np.zeros((4, 4, 2), np.uint8),
        np.zeros((2, 4, 4, 1), np.uint8),
        np.zeros((8, 8), bool),
        np.zeros((8, 8), complex),
        np.array([["a", "b"]]),
        np.full((8, 8), -1, np.int16),
        np.full((8, 8), 1.5),
        np.zeros(5, np.uint8),
    ],
)
def test_to_grey_and_to_mnist_refuse_non_images(bad):
    with pytest.raises(ImageError):
        to_grey(bad)
    with pytest.raises(ImageError):
        to_mnist(bad)


def test_read_image_reads_png_and_npy_and_refuses_junk(tmp_path, mnist_test):
    images, _ = mnist_test
    png, npy, junk = tmp_path / "d.png", tmp_path / "d.npy", tmp_path / "junk.png"
    cv2.imwrite(str(png), images[0])
    np.save(npy, images[0])
    junk.write_bytes(b"not an image")
    np.testing.assert_array_equal(read_image(png), images[0])
    np.testing.assert_array_equal(read_image(npy), images[0])
    for bad in (junk, tmp_path / "missing.png", tmp_path):
        with pytest.raises(ImageError, match=str(bad.name)):
            read_image(bad)


def test_read_image_scales_16_bit_images_to_8_bit(tmp_path, mnist_test):
    images, _ = mnist_test
    png, npy = tmp_path / "d16.png", tmp_path / "d16.npy"
    cv2.imwrite(str(png), images[0].astype(np.uint16) * 257)
    np.save(npy, images[0].astype(np.uint16) * 257)
    for path in (png, npy):
        pixels = read_image(path)
        assert pixels.dtype == np.uint8
        np.testing.assert_array_equal(pixels, images[0])


def test_read_image_keeps_unit_floats_and_makes_small_ints_uint8(tmp_path, mnist_test):
    images, _ = mnist_test
    floats, ints = tmp_path / "f.npy", tmp_path / "i.npy"
    np.save(floats, images[0] / np.float32(255))
    np.save(ints, images[0].astype(np.int64))
    np.testing.assert_array_equal(read_image(floats), images[0] / np.float32(255))
    assert read_image(ints).dtype == np.uint8
    np.testing.assert_array_equal(read_image(ints), images[0])


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros((3, 4, 5, 6), np.uint8),
        np.zeros((0, 5), np.uint8),
        np.zeros((4, 4, 2), np.uint8),
        np.zeros((8, 8), bool),
        np.full((8, 8), -1, np.int16),
        np.full((8, 8), np.nan),
    ],
)
def test_read_image_names_the_file_when_an_array_is_no_image(tmp_path, bad):
    path = tmp_path / "bad.npy"
    np.save(path, bad)
    with pytest.raises(ImageError, match=f"^{re.escape(str(path))}: "):
        read_image(path)
