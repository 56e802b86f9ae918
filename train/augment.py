"""Camera and pen distortions of training batches (stateless TensorFlow, seeded per batch).

:func:`robust_augment_batch` takes float32 (B, 28, 28, 1) in [0, 1] and returns a batch of
the same shape and range, so the model's layers never change. Per image, in order:

1. pen width: a grey-level blend of erode 2x2 / identity / dilate 2x2 / dilate 3x3, so the
   stroke changes continuously from about -1 px to +1.5 px;
2. one bilinear resampling that composes rotation, shear, zoom and an x-stretch, an
   optional ``to_mnist``-like re-fit (the forward-mapped ink box fitted to 20 px, the centre
   of mass put at (14, 14), as :func:`edge_runtime.preprocess.to_mnist` does to a crop),
   a shift after the re-fit, and a smooth elastic field;
3. binarisation at a random threshold, then a Gaussian blur with a gain that re-saturates
   the ink;
4. Gaussian sensor noise, clipped to [0, 1].

Each step has its own chance in :class:`~edgecnn.train.models.Augmentation`; a chance of 0
leaves its ops out of the graph. The same (seed, step) gives the same batch bit for bit.
Dilation and erosion are shifted-slice max/min rather than ``max_pool2d``, and the blur is
separable slices rather than a per-image ``depthwise_conv2d``: both are several times
faster on one-channel 28x28 batches and give the same values.
"""

from __future__ import annotations

import math
from typing import Any

from edgecnn.train.models import Augmentation

_INK = 0.2  # a pixel counts as ink for the re-fit above this level
_FIT_BOX = 20.0  # to_mnist fits the digit's box to 20 px in a 28 px frame


def _gauss_kernels(tf: Any, sigma: Any, radius: int) -> Any:
    """(B, 2r+1) normalised 1-D Gaussian kernels, one per sigma (B,)."""
    x = tf.range(-radius, radius + 1, dtype=tf.float32)
    s = tf.maximum(sigma, 1e-3)[:, None]
    k = tf.exp(-0.5 * tf.square(x[None, :] / s))
    return k / tf.reduce_sum(k, axis=1, keepdims=True)


def _blur(tf: Any, x: Any, kernels: Any) -> Any:
    """Separable blur of (B, H, W, 1), one 1-D kernel per image, zero border."""
    h, w = x.shape[1], x.shape[2]
    size = kernels.shape[1]
    r = size // 2
    weights = [tf.reshape(kernels[:, i], [-1, 1, 1, 1]) for i in range(size)]
    p = tf.pad(x, [[0, 0], [r, r], [0, 0], [0, 0]])
    x = tf.add_n([weights[i] * p[:, i : i + h] for i in range(size)])
    p = tf.pad(x, [[0, 0], [0, 0], [r, r], [0, 0]])
    return tf.add_n([weights[i] * p[:, :, i : i + w] for i in range(size)])


def _dilate(tf: Any, x: Any, k: int) -> Any:
    """Grey dilation by a k x k square: ``max_pool2d(x, k, 1, "SAME")``."""
    h, w = x.shape[1], x.shape[2]
    lo = (k - 1) // 2
    hi = k - 1 - lo
    p = tf.pad(x, [[0, 0], [lo, hi], [0, 0], [0, 0]])
    x = tf.reduce_max(tf.stack([p[:, i : i + h] for i in range(k)]), axis=0)
    p = tf.pad(x, [[0, 0], [0, 0], [lo, hi], [0, 0]])
    return tf.reduce_max(tf.stack([p[:, :, i : i + w] for i in range(k)]), axis=0)


def _erode2(tf: Any, x: Any) -> Any:
    """Grey erosion by a 2 x 2 square (beyond the edge counts as ink)."""
    h, w = x.shape[1], x.shape[2]
    p = tf.pad(x, [[0, 0], [0, 1], [0, 0], [0, 0]], constant_values=1.0)
    x = tf.minimum(p[:, :h], p[:, 1 : h + 1])
    p = tf.pad(x, [[0, 0], [0, 0], [0, 1], [0, 0]], constant_values=1.0)
    return tf.minimum(p[:, :, :w], p[:, :, 1 : w + 1])


def _bilinear(tf: Any, x: Any, px: Any, py: Any) -> Any:
    """Sample (B, H, W, 1) at float coordinates px, py of shape (B, H, W); outside is 0."""
    b = tf.shape(x)[0]
    h, w = x.shape[1], x.shape[2]
    flat = tf.reshape(tf.pad(x[..., 0], [[0, 0], [1, 1], [1, 1]]), [b, (h + 2) * (w + 2)])
    gx = tf.clip_by_value(px + 1.0, 0.0, w + 1.0)
    gy = tf.clip_by_value(py + 1.0, 0.0, h + 1.0)
    x0, y0 = tf.floor(gx), tf.floor(gy)
    fx, fy = gx - x0, gy - y0
    x0, y0 = tf.cast(x0, tf.int32), tf.cast(y0, tf.int32)
    x1, y1 = tf.minimum(x0 + 1, w + 1), tf.minimum(y0 + 1, h + 1)

    def at(yy: Any, xx: Any) -> Any:
        idx = tf.reshape(yy * (w + 2) + xx, [b, h * w])
        return tf.reshape(tf.gather(flat, idx, batch_dims=1), [b, h, w])

    top = at(y0, x0) * (1 - fx) + at(y0, x1) * fx
    bottom = at(y1, x0) * (1 - fx) + at(y1, x1) * fx
    return (top * (1 - fy) + bottom * fy)[..., None]


def robust_augment_batch(images: Any, seed: Any, aug: Augmentation) -> Any:
    """Distort a batch as a camera and a pen would (see the module docstring).

    Args:
        images: float32 (B, 28, 28, 1) in [0, 1].
        seed: int64 tensor of shape (2,) for the stateless random ops.
        aug: the chances and ranges.

    Returns:
        float32 (B, 28, 28, 1) in [0, 1].
    """
    import tensorflow as tf

    x = tf.convert_to_tensor(images, tf.float32)
    b = tf.shape(x)[0]
    size = x.shape[1]
    seeds = tf.random.experimental.stateless_split(seed, 24)

    def uniform(i: int, shape: Any, lo: float, hi: float) -> Any:
        return tf.random.stateless_uniform(shape, seeds[i], lo, hi)

    def chance(i: int, p: float) -> Any:
        return tf.cast(uniform(i, [b], 0.0, 1.0) < p, tf.float32)

    def per_image(v: Any) -> Any:
        return tf.reshape(v, [-1, 1, 1, 1])

    if aug.stroke_prob > 0:
        t = uniform(0, [b], aug.stroke_min, aug.stroke_max) * chance(1, aug.stroke_prob)
        blend = (
            (tf.clip_by_value(-t, 0.0, 1.0), _erode2(tf, x)),
            (tf.clip_by_value(1.0 - tf.abs(t), 0.0, 1.0), x),
            (tf.clip_by_value(tf.minimum(t, 2.0 - t), 0.0, 1.0), _dilate(tf, x, 2)),
            (tf.clip_by_value(t - 1.0, 0.0, 1.0), _dilate(tf, x, 3)),
        )
        x = tf.add_n([per_image(weight) * image for weight, image in blend])

    # Geometry: the forward map p_out = L p_in + off; sampling uses its inverse.
    c0 = (size - 1) / 2.0
    angle = uniform(2, [b], -1.0, 1.0) * aug.rotation_deg * math.pi / 180.0
    zoom = 1.0 + uniform(3, [b], -aug.zoom, aug.zoom)
    stretch = tf.exp(uniform(4, [b], -math.log1p(aug.aspect_narrow), math.log1p(aug.aspect)))
    shear = uniform(5, [b], -aug.shear, aug.shear)
    sx, sy = zoom * stretch, zoom
    cos, sin = tf.cos(angle), tf.sin(angle)
    # L = R @ [[1, k], [0, 1]] @ diag(sx, sy)
    l00, l01 = cos * sx, (cos * shear - sin) * sy
    l10, l11 = sin * sx, (sin * shear + cos) * sy
    off_x = c0 - (l00 * c0 + l01 * c0)
    off_y = c0 - (l10 * c0 + l11 * c0)

    if aug.refit_prob > 0:
        grid = tf.range(size, dtype=tf.float32)
        gy, gx = tf.meshgrid(grid, grid, indexing="ij")
        gx, gy = tf.reshape(gx, [1, -1]), tf.reshape(gy, [1, -1])
        v = tf.reshape(x, [b, -1])
        ink = v > _INK
        ox = l00[:, None] * gx + l01[:, None] * gy + off_x[:, None]
        oy = l10[:, None] * gx + l11[:, None] * gy + off_y[:, None]
        far = 1e4
        extent = (
            tf.maximum(
                tf.reduce_max(tf.where(ink, ox, -far), 1)
                - tf.reduce_min(tf.where(ink, ox, far), 1),
                tf.reduce_max(tf.where(ink, oy, -far), 1)
                - tf.reduce_min(tf.where(ink, oy, far), 1),
            )
            + 1.0
        )
        total = tf.reduce_sum(v, axis=1) + 1e-6
        cx = tf.reduce_sum(v * ox, axis=1) / total
        cy = tf.reduce_sum(v * oy, axis=1) / total
        jitter = 1.0 + uniform(6, [b], -aug.refit_size_jitter, aug.refit_size_jitter)
        do = tf.logical_and(tf.reduce_any(ink, axis=1), uniform(7, [b], 0.0, 1.0) < aug.refit_prob)
        s = tf.where(do, _FIT_BOX / tf.maximum(extent, 2.0) * jitter, 1.0)
        centre = size / 2.0
        tx = tf.where(do, centre - s * cx, 0.0)
        ty = tf.where(do, centre - s * cy, 0.0)
        l00, l01, l10, l11 = s * l00, s * l01, s * l10, s * l11
        off_x, off_y = s * off_x + tx, s * off_y + ty
    shift = uniform(8, [b, 2], -aug.shift_px, aug.shift_px)
    off_x, off_y = off_x + shift[:, 0], off_y + shift[:, 1]

    det = l00 * l11 - l01 * l10
    i00, i01, i10, i11 = l11 / det, -l01 / det, -l10 / det, l00 / det
    grid = tf.range(size, dtype=tf.float32)
    qy, qx = tf.meshgrid(grid, grid, indexing="ij")
    qx = qx[None] - off_x[:, None, None]
    qy = qy[None] - off_y[:, None, None]
    px = i00[:, None, None] * qx + i01[:, None, None] * qy
    py = i10[:, None, None] * qx + i11[:, None, None] * qy
    if aug.elastic_prob > 0:
        field = uniform(9, [b, aug.elastic_grid, aug.elastic_grid, 2], -1.0, 1.0)
        field = tf.image.resize(field, [size, size], method="bicubic")
        amplitude = uniform(10, [b], 0.0, 1.0) * chance(11, aug.elastic_prob)
        field = field * aug.elastic_alpha * per_image(amplitude)
        px, py = px + field[..., 0], py + field[..., 1]
    x = _bilinear(tf, x, px, py)

    if aug.binarize_prob > 0:
        threshold = per_image(uniform(14, [b], 0.25, 0.6))
        x = tf.where(
            per_image(chance(15, aug.binarize_prob)) > 0, tf.cast(x > threshold, tf.float32), x
        )
    if aug.blur_prob > 0:
        sigma = uniform(16, [b], 0.3, aug.blur_sigma) * chance(17, aug.blur_prob)
        blurred = _blur(tf, x, _gauss_kernels(tf, sigma, 2))
        peak = tf.reduce_max(blurred, axis=[1, 2, 3], keepdims=True)
        gain = per_image(uniform(18, [b], 1.0, 1.4)) / tf.maximum(peak, 0.3)
        x = tf.where(per_image(sigma) > 0, tf.clip_by_value(blurred * gain, 0.0, 1.0), x)
    if aug.noise_prob > 0:
        sigma = per_image(uniform(19, [b], 0.0, aug.noise_sigma) * chance(20, aug.noise_prob))
        x = x + sigma * tf.random.stateless_normal(tf.shape(x), seeds[21])
    return tf.clip_by_value(x, 0.0, 1.0)
