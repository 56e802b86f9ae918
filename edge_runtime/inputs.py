"""MNIST-form arrays, and the tables that turn their pixels into tensor values.

"MNIST-form" is what the model was trained on: 28x28, white digit on black, uint8
0-255 or float 0-1. Anything else goes through :func:`edge_runtime.preprocess.to_mnist`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

import numpy as np

from edge_runtime import preprocess
from edge_runtime.errors import ImageError

MNIST_SHAPE = (preprocess.MNIST_SIZE, preprocess.MNIST_SIZE)
# An MNIST-form image whose brightest pixel is below this holds no ink: no digit.
INK_LEVEL = 32

_U8 = np.dtype(np.uint8)


class InputEncoder:
    """Pixels -> input tensor values: normalization and the tensor's own quantization, fused.

    ``lut[p]`` is the tensor value of pixel ``p`` (``round(real / scale) + zero_point``
    with ``real = p * norm_scale + norm_offset``). uint8 pixels take the cheapest exact
    route to it: a wrapping byte shift when the table is one (int8 with zero point -128
    and scale 1/255, or uint8 with zero point 0), else ``bytes.translate`` (a 256-entry
    lookup in C, faster than numpy fancy indexing), else ``take`` for float inputs.
    """

    __slots__ = (
        "dtype",
        "lut",
        "norm_offset",
        "norm_scale",
        "scale",
        "shift",
        "table",
        "zero_point",
    )

    def __init__(
        self, dtype: np.dtype, scale: float, zero_point: int, norm_scale: float, norm_offset: float
    ) -> None:
        self.dtype, self.scale, self.zero_point = np.dtype(dtype), scale, zero_point
        self.norm_scale, self.norm_offset = norm_scale, norm_offset
        self.lut = self.real(np.arange(256) * norm_scale + norm_offset)
        self.shift: np.uint8 | None = None
        self.table: bytes | None = None
        if self.lut.dtype.itemsize == 1:
            codes = self.lut.view(np.uint8)
            self.table = codes.tobytes()
            shift = (codes.astype(np.int64) - np.arange(256)) % 256
            if (shift == shift[0]).all():
                self.shift = np.uint8(shift[0])

    def real(self, values: np.ndarray) -> np.ndarray:
        """Normalized real values -> tensor values."""
        if self.dtype.kind in "iu":
            return preprocess.quantize(values, self.scale, self.zero_point, self.dtype)
        return np.asarray(values, dtype=self.dtype)

    def encode(self, images: np.ndarray) -> np.ndarray:
        """MNIST-form pixels (uint8 0-255 or float 0-1) -> tensor values, same shape."""
        if images.dtype != _U8:
            return self.real(images * (255.0 * self.norm_scale) + self.norm_offset)
        if self.shift is not None:
            return (images + self.shift).view(self.dtype)
        if self.table is not None:
            raw = np.ascontiguousarray(images).tobytes().translate(self.table)
            return np.frombuffer(raw, dtype=self.dtype).reshape(images.shape)
        return self.lut.take(images)


def looks_like_probabilities(probs: np.ndarray) -> bool:
    """Whether model outputs are already probabilities (else they are logits).

    An int8 softmax output sums to 1 within a few quantization steps.
    """
    return bool(probs.min() >= -1e-3 and abs(float(probs.sum()) - 1.0) < 0.05)


def mnist_form(array: np.ndarray) -> np.ndarray:
    """(N, 28, 28[, 1]) uint8 or float 0-1 -> (N, 28, 28) of the same kind."""
    if array.ndim == 4:
        if array.shape[3] != 1:
            raise ImageError(f"expected MNIST-form images (N, 28, 28[, 1]), got {array.shape}")
        array = array[..., 0]
    if array.dtype == _U8:
        return array
    if array.dtype.kind == "f":
        preprocess.check_unit_range(array)
        return array.astype(np.float32, copy=False)
    if array.dtype.kind in "iu" and array.size and array.min() >= 0 and array.max() <= 255:
        return array.astype(np.uint8)
    raise ImageError(f"expected uint8 (0-255) or float (0-1) images, got dtype {array.dtype}")


def as_mnist(image: Any) -> np.ndarray | None:
    """One image as a 28x28 MNIST-form array (uint8, or float 0-1), or None when blank."""
    array = preprocess.check_image(np.asarray(image))
    if array.shape == MNIST_SHAPE:
        return cast(np.ndarray, mnist_form(array[np.newaxis])[0])
    return preprocess.to_mnist(array)


def stack_mnist(images: Iterable[Any]) -> np.ndarray:
    """Images of any kind -> one (N, 28, 28) MNIST-form batch (blanks as zeros).

    uint8 unless some item is float, then float32 0-1 throughout.
    """
    items = [as_mnist(image) for image in images]
    floats = any(item is not None and item.dtype != _U8 for item in items)
    batch = np.zeros((len(items), *MNIST_SHAPE), dtype=np.float32 if floats else np.uint8)
    for i, item in enumerate(items):
        if item is not None:
            batch[i] = item / np.float32(255.0) if floats and item.dtype == _U8 else item
    return batch
