"""The one preprocessing of edgecnn: images in, model input out.

Training, export calibration, evaluation, ``predict`` and the camera all call
:func:`normalize`, so "divide by 255" exists exactly once. :func:`to_mnist` turns a
crop of one digit from the real world (dark ink on paper, any size, grey/BGR/BGRA)
into what MNIST looks like: a light digit on black, fitted in 20x20, centred by its
centre of mass in a 28x28 frame. ``normalize``, ``quantize`` and ``dequantize`` are
pure numpy; ``to_mnist`` needs OpenCV (the ``edge`` extra).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import numpy as np
import numpy.typing as npt

from edge_runtime._components import components
from edge_runtime._deps import require
from edge_runtime.errors import ImageError
from edge_runtime.ink import histogram_level

#: float_input = pixel * scale + offset, for 0-255 pixels of a white-on-black digit.
NORMALIZATION: dict[str, float] = {"scale": 1.0 / 255.0, "offset": 0.0}

MNIST_SIZE = 28
FIT_SIZE = 20  # MNIST fits each digit in a 20x20 box inside the 28x28 frame
MNIST_CENTRE = 14.0  # where MNIST puts the centre of mass (measured: 13.99, 14.01)
WORK_SIZE = 160  # larger crops are shrunk to this first (8x the 20 px fit)

# A crop is blank when ink and paper differ by less than this (0-255 levels), or
# when the ink covers fewer pixels than MIN_INK_PIXELS / MIN_INK_FRACTION.
MIN_CONTRAST = 40.0
MIN_INK_PIXELS = 4
MIN_INK_FRACTION = 0.002
# Ink blobs smaller than this fraction of the largest blob are specks, not strokes.
SPECK_FRACTION = 0.05
# MNIST strokes are 2.1 px wide (median, area / half-perimeter of pixels > 127, test
# set); pen strokes under half that after the fit into 20x20 are thickened first.
MNIST_STROKE = 2.1
THIN_STROKE = 0.5
# In MNIST the brightest 40% of ink pixels are >= 248: fainter ink is scaled up so its
# 60th percentile reaches SATURATED_LEVEL.
SATURATED_FRACTION = 0.6
SATURATED_LEVEL = 250.0


def normalize(images: npt.ArrayLike) -> npt.NDArray[np.float32]:
    """Turn MNIST-form images into the model's float input.

    Args:
        images: uint8 pixels (0-255) shaped (N, 28, 28), (N, 28, 28, 1) or (28, 28);
            float images already in [0, 1] pass through unchanged.

    Returns:
        float32 array (N, 28, 28, 1), ``pixel * scale + offset`` per :data:`NORMALIZATION`.

    Raises:
        ImageError: wrong shape, dtype, or float values outside [0, 1].
    """
    array = np.asarray(images)
    if array.ndim == 2:
        array = array[np.newaxis]
    if array.ndim == 3:
        array = array[..., np.newaxis]
    if array.ndim != 4 or array.shape[1:] != (MNIST_SIZE, MNIST_SIZE, 1):
        raise ImageError(f"expected images shaped (N, 28, 28[, 1]), got {np.shape(images)}")
    if array.dtype == np.uint8:
        out = array.astype(np.float32) * np.float32(NORMALIZATION["scale"])
        if NORMALIZATION["offset"]:
            out += np.float32(NORMALIZATION["offset"])
        return cast(npt.NDArray[np.float32], out)
    if array.dtype.kind == "f":
        check_unit_range(array)
        return array.astype(np.float32, copy=False)
    raise ImageError(f"expected uint8 (0-255) or float (0-1) images, got dtype {array.dtype}")


def check_unit_range(array: np.ndarray) -> None:
    """Raise ImageError unless a float array is finite and inside [0, 1]."""
    if array.size and not (np.isfinite(array).all() and array.min() >= 0.0 and array.max() <= 1.0):
        raise ImageError("float images must hold finite values in [0, 1]")


def quantize(
    x: npt.ArrayLike, scale: float, zero_point: int, dtype: npt.DTypeLike
) -> npt.NDArray[Any]:
    """Quantize real values the way TFLite does: ``round(x / scale) + zero_point``, clipped.

    Rounding is half away from zero, as in TFLite's reference kernels (``TfLiteRound``).

    Args:
        x: real values.
        scale: the tensor's quantization scale (> 0).
        zero_point: the tensor's zero point.
        dtype: an integer dtype (int8, uint8, ...).

    Returns:
        An array of ``dtype``.
    """
    if not scale > 0:
        raise ValueError(f"quantization scale must be > 0, got {scale}")
    info = np.iinfo(dtype)
    v = np.asarray(x, dtype=np.float64) / scale
    q = np.sign(v) * np.floor(np.abs(v) + 0.5) + zero_point
    return cast(npt.NDArray[Any], np.clip(q, info.min, info.max).astype(dtype))


def dequantize(q: npt.ArrayLike, scale: float, zero_point: int) -> npt.NDArray[np.float32]:
    """Real values of quantized ones: ``(q - zero_point) * scale`` as float32."""
    real = (np.asarray(q).astype(np.float32) - np.float32(zero_point)) * np.float32(scale)
    return cast(npt.NDArray[np.float32], real)


def to_grey(image: npt.ArrayLike) -> npt.NDArray[np.uint8]:
    """Any grey/BGR/BGRA image as a 2-D uint8 array.

    Integer pixels must be 0-255 (uint16 is scaled down); float pixels 0-1. In a BGRA
    image the transparent parts become the colour opposite to the opaque ink, so ink on
    a transparent canvas stays visible whatever its colour.

    Raises:
        ImageError: empty, wrong rank or channel count, unsupported dtype or values.
    """
    pixels = _to_uint8(check_image(np.asarray(image)))
    if pixels.ndim == 2:
        return pixels
    # ITU-R BT.601 weights in OpenCV's 15-bit fixed point: the same bytes as
    # cv2.cvtColor(BGR2GRAY), and integer, so the same on every CPU.
    bgr = pixels[:, :, :3].astype(np.int32)
    grey = (bgr[:, :, 0] * 3735 + bgr[:, :, 1] * 19235 + bgr[:, :, 2] * 9798 + 16384) >> 15
    if pixels.shape[2] == 4:
        alpha = pixels[:, :, 3].astype(np.int32)
        weight = int(alpha.sum(dtype=np.int64))
        ink = int((grey * alpha).sum(dtype=np.int64)) / weight if weight else 0.0
        paper = 255 if ink < 128 else 0
        grey = (grey * alpha + paper * (255 - alpha) + 127) // 255
    return grey.astype(np.uint8)


def check_image(array: np.ndarray) -> np.ndarray:
    """The array, with a single channel dropped, if its dtype and shape make an image.

    Raises:
        ImageError: not integer or float pixels, not (H, W), (H, W, 1), (H, W, 3) or
            (H, W, 4), or empty.
    """
    if array.dtype.kind not in "uif":
        raise ImageError(f"unsupported image dtype {array.dtype} (use uint8 0-255 or float 0-1)")
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise ImageError(
            "expected a grey (H, W), BGR (H, W, 3) or BGRA (H, W, 4) image, "
            f"got shape {array.shape}"
        )
    if array.size == 0:
        raise ImageError(f"empty image, shape {array.shape}")
    return array


def _to_uint8(array: np.ndarray) -> np.ndarray:
    if array.dtype == np.uint8:
        return array
    if array.dtype.kind == "f":
        check_unit_range(array)
        return (array.astype(np.float32) * 255.0 + 0.5).astype(np.uint8)
    if array.dtype == np.uint16:
        return (array // 257).astype(np.uint8)
    if array.min() < 0 or array.max() > 255:
        raise ImageError(f"{array.dtype} pixels must be in 0-255")
    return array.astype(np.uint8)


def to_mnist(crop: npt.ArrayLike) -> npt.NDArray[np.uint8] | None:
    """Turn a crop of ONE digit into an MNIST-style 28x28 image.

    Steps: grey; polarity (MNIST is light ink on dark, so a crop whose border is
    brighter than its mid level is inverted); flatten uneven lighting; Otsu threshold
    (paper texture goes, ink intensity stays); drop specks; crop to the ink; thicken
    strokes much thinner than MNIST's; fit in 20x20 keeping the aspect ratio; place in
    28x28 with the centre of mass at the centre (shift clipped to the frame).

    Args:
        crop: grey (H, W), BGR (H, W, 3) or BGRA (H, W, 4); uint8 0-255 or float 0-1.

    Returns:
        uint8 (28, 28), white digit on black; None when the crop is blank (no ink, or
        too little of it to be a digit).

    Raises:
        ImageError: not an image (see :func:`to_grey`).
        MissingDependencyError: OpenCV is not installed.
    """
    cv2: Any = require("cv2", "edge")
    if (
        isinstance(crop, np.ndarray)
        and crop.dtype == np.uint8
        and crop.ndim == 3
        and crop.shape[2] == 3
        and crop.size
    ):
        grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)  # same weights as to_grey, faster
    else:
        grey = to_grey(crop)
    if min(grey.shape) < 3:
        return None
    if max(grey.shape) > WORK_SIZE:
        # Nothing finer than this survives the fit into 20x20; work small, work fast.
        f = WORK_SIZE / max(grey.shape)
        size = (max(3, round(grey.shape[1] * f)), max(3, round(grey.shape[0] * f)))
        grey = cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
    border = np.concatenate([grey[0], grey[-1], grey[1:-1, 0], grey[1:-1, -1]])
    lo, hi = cv2.minMaxLoc(grey)[:2]
    paper = int(np.partition(border, len(border) // 2)[len(border) // 2])
    ink = cv2.bitwise_not(grey) if paper > (lo + hi) / 2.0 else np.ascontiguousarray(grey)
    flat = cv2.subtract(ink, _lighting(cv2, ink))
    threshold = int(cv2.threshold(flat, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)[0])
    # One histogram answers every level question below, cheaper than medians of masks.
    hist = np.bincount(flat.ravel(), minlength=256)
    count = int(hist[threshold + 1 :].sum())
    if count < max(MIN_INK_PIXELS, MIN_INK_FRACTION * flat.size) or count == flat.size:
        return None
    ink_level = histogram_level(hist[threshold + 1 :], 0.9) + threshold + 1
    if ink_level - histogram_level(hist[: threshold + 1], 0.5) < MIN_CONTRAST:
        return None
    mask = _drop_specks(cv2, flat > threshold)
    # Keep the soft edges of the strokes (MNIST's anti-aliasing), not the paper: values
    # above the paper's noise, next to a stroke, stretched so strokes reach white.
    floor = histogram_level(hist[: threshold + 1], 0.9)
    gain = 255.0 / max(ink_level - floor, 1)
    values = np.clip((flat.astype(np.float32) - floor) * gain, 0, 255).astype(np.uint8)
    near = cv2.dilate(mask.astype(np.uint8), np.ones((3, 3), np.uint8))
    digit = np.where(near > 0, values, 0).astype(np.uint8)
    rows, cols = np.nonzero(digit.any(axis=1))[0], np.nonzero(digit.any(axis=0))[0]
    top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    digit = digit[top:bottom, left:right]
    digit = _thicken(cv2, digit, mask[top:bottom, left:right])
    return _centre(_saturate(_fit(cv2, digit)))


def _lighting(cv2: Any, ink: np.ndarray) -> np.ndarray:
    """The light falling on the paper: a grey opening wider than any stroke.

    Subtracting it keeps one threshold valid across gradients and shadows. A rectangular
    opening is exact integer min/max (the same on x86 and ARM) and, at WORK_SIZE, cheap.
    """
    k = max(3, int(0.3 * max(ink.shape)) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
    return cast(np.ndarray, cv2.morphologyEx(ink, cv2.MORPH_OPEN, kernel))


def _drop_specks(cv2: Any, mask: np.ndarray) -> np.ndarray:
    n, labels, stats = components(cv2, mask.astype(np.uint8), 8)
    if n <= 2:
        return mask
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = np.zeros(n, dtype=bool)
    keep[1:] = areas >= SPECK_FRACTION * areas.max()
    kept: np.ndarray = keep[labels]
    return kept


def _thicken(cv2: Any, digit: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Widen pen strokes that would shrink to a hairline in the 20x20 fit."""
    m = mask.astype(np.uint8)
    edge = int(
        (
            m
            - cv2.erode(m, np.ones((3, 3), np.uint8), borderType=cv2.BORDER_CONSTANT, borderValue=0)
        ).sum()
    )
    width = 2.0 * int(m.sum()) / max(edge, 1)  # area / half-perimeter, for long thin strokes
    target = MNIST_STROKE * max(digit.shape) / FIT_SIZE
    if width >= THIN_STROKE * target:
        return digit
    k = max(3, round(target - width) | 1)
    pad = k // 2  # room to grow outwards too
    digit = cv2.copyMakeBorder(digit, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    return cast(np.ndarray, cv2.dilate(digit, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))))


def _fit(cv2: Any, digit: np.ndarray) -> np.ndarray:
    """Fit in FIT_SIZE x FIT_SIZE keeping the aspect ratio (INTER_AREA when shrinking)."""
    h, w = digit.shape
    scale = FIT_SIZE / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return cast(np.ndarray, cv2.resize(digit, size, interpolation=interpolation))


def _saturate(digit: np.ndarray) -> np.ndarray:
    """Brighten faint ink: in MNIST, 60% of the ink pixels are >= 248 (test set)."""
    ink = digit[digit > 0]
    if ink.size == 0:
        return digit
    k = int(SATURATED_FRACTION * (ink.size - 1))
    level = float(np.partition(ink, k)[k])
    if level >= SATURATED_LEVEL:
        return digit
    gain = SATURATED_LEVEL / level
    return cast(np.ndarray, np.clip(digit.astype(np.float32) * gain, 0, 255).astype(np.uint8))


def _centre(digit: np.ndarray) -> np.ndarray | None:
    h, w = digit.shape
    weights = digit.astype(np.float64)
    total = weights.sum()
    if total <= 0:
        return None
    cy = float(weights.sum(axis=1) @ np.arange(h)) / total
    cx = float(weights.sum(axis=0) @ np.arange(w)) / total
    top = min(max(round(MNIST_CENTRE - cy), 0), MNIST_SIZE - h)
    left = min(max(round(MNIST_CENTRE - cx), 0), MNIST_SIZE - w)
    out = np.zeros((MNIST_SIZE, MNIST_SIZE), dtype=np.uint8)
    out[top : top + h, left : left + w] = digit
    return out


def read_image(path: str | Path) -> np.ndarray:
    """Read an image file as it is stored: grey, BGR or BGRA (or a ``.npy`` array).

    Args:
        path: a file OpenCV can decode (PNG, JPEG, BMP, ...) or a ``.npy`` array.

    Returns:
        The pixels with no colour conversion and alpha kept: uint8, with 16-bit
        images scaled down to 8 bits (other integer pixels must be 0-255), or, from a
        ``.npy`` array, float in [0, 1]. A single channel axis is dropped.

    Raises:
        ImageError: missing, unreadable, or not an image; the message names the file.
        MissingDependencyError: OpenCV is not installed (not needed for ``.npy``).
    """
    path = Path(path)
    if not path.is_file():
        raise ImageError(f"{path}: no such image file")
    if path.suffix.lower() == ".npy":
        try:
            image = np.asarray(np.load(path, allow_pickle=False))
        except (OSError, ValueError, EOFError) as exc:
            raise ImageError(f"{path}: unreadable .npy array ({exc})") from exc
    else:
        cv2: Any = require("cv2", "edge")
        try:
            data = np.fromfile(path, dtype=np.uint8)  # imdecode, unlike imread, takes any path
        except OSError as exc:
            raise ImageError(f"{path}: cannot read ({exc.strerror})") from exc
        decoded = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
        if decoded is None:
            raise ImageError(f"{path}: not an image OpenCV can decode")
        image = decoded
    try:
        pixels = check_image(image)
        if pixels.dtype.kind == "f":
            check_unit_range(pixels)
            return pixels
        return _to_uint8(pixels)  # the classifier takes uint8 or float, not 16-bit
    except ImageError as exc:
        raise ImageError(f"{path}: {exc}") from exc
