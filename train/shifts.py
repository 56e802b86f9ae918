"""A shifted test set: the MNIST test digits as a camera might see them.

Clean MNIST digits are centred, upright and of one stroke width; a digit read
from a webcam is none of these. Each variant applies one distortion to every
test image with a fixed seed, so accuracy on it is comparable across models.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from edge_runtime._deps import require

Variant = Callable[[np.ndarray, np.random.Generator], np.ndarray]


def _rotate(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    cv2 = require("cv2", "edge")
    angles = rng.uniform(10.0, 20.0, len(images)) * rng.choice([-1.0, 1.0], len(images))
    out = np.empty_like(images)
    for i, (image, angle) in enumerate(zip(images, angles, strict=True)):
        matrix = cv2.getRotationMatrix2D((13.5, 13.5), float(angle), 1.0)
        out[i] = cv2.warpAffine(image, matrix, (28, 28), flags=cv2.INTER_LINEAR)
    return out


def _morph(images: np.ndarray, op: str) -> np.ndarray:
    cv2 = require("cv2", "edge")
    kernel = np.ones((2, 2), np.uint8)
    apply = cv2.dilate if op == "dilate" else cv2.erode
    return np.stack([apply(image, kernel) for image in images])


def _shift(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    # Up to 4 px each way: a digit crop that is off-centre by a stroke or two.
    out = np.zeros_like(images)
    shifts = rng.integers(-4, 5, size=(len(images), 2))
    for i, (dy, dx) in enumerate(shifts):
        out[i] = np.roll(images[i], (int(dy), int(dx)), axis=(0, 1))
        if dy > 0:
            out[i, :dy] = 0
        elif dy < 0:
            out[i, dy:] = 0
        if dx > 0:
            out[i, :, :dx] = 0
        elif dx < 0:
            out[i, :, dx:] = 0
    return out


def _noise(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    noisy = images.astype(np.float32) + rng.normal(0.0, 40.0, images.shape)
    return np.clip(noisy, 0, 255).astype(np.uint8)


VARIANTS: dict[str, Variant] = {
    "rotated": _rotate,
    "thickened": lambda images, _rng: _morph(images, "dilate"),
    "thinned": lambda images, _rng: _morph(images, "erode"),
    "shifted": _shift,
    "noised": _noise,
}
"""Name -> distortion. Rotation 10-20 degrees either way; stroke +-1 px
(2x2 dilation / erosion); translation up to 4 px; Gaussian noise sigma 40/255."""


def shifted_test_sets(images: np.ndarray, seed: int = 0) -> dict[str, np.ndarray]:
    """Every variant of ``images`` (uint8, (N, 28, 28), white on black).

    Args:
        images: the clean test images.
        seed: seed of the random distortions; the same seed gives the same sets.

    Returns:
        Variant name -> distorted uint8 images of the same shape.
    """
    if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != np.uint8:
        raise ValueError(
            f"expected uint8 images of shape (N, 28, 28), got {images.dtype} {images.shape}"
        )
    return {
        name: variant(images, np.random.default_rng([seed, index]))
        for index, (name, variant) in enumerate(VARIANTS.items())
    }
