"""The training input pipeline: the validation hold-out and the tf.data batches.

Reproducibility: each epoch's data order comes from
``numpy.random.default_rng([seed, epoch])`` and each batch's augmentation from
stateless random ops seeded by ``(seed, step)``, so a run resumed at any epoch
sees the same batches an uninterrupted one would have.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from edgecnn.train.models import Augmentation, Recipe

VALIDATION_SIZE = 5_000  # the last images of the training split, for the curves


def split_train(
    images: np.ndarray, labels: np.ndarray, limit: int | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Take the first ``limit`` images and hold out the last ones for validation.

    The validation slice is the last 5,000 images, or a tenth of them when fewer
    than 50,000 are used.

    Returns:
        train images, train labels, validation images, validation labels.
    """
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    held = min(VALIDATION_SIZE, len(images) // 10)
    cut = len(images) - held
    return images[:cut], labels[:cut], images[cut:], labels[cut:]


def augment_batch(images: Any, seed: Any, augmentation: Augmentation) -> Any:
    """Apply a random rotation, zoom and shift to each image of a batch (TensorFlow).

    With any camera/pen distortion on (``augmentation.robust``) the batch goes through
    :func:`edgecnn.train.augment.robust_augment_batch` instead; the affine path below is
    kept as it is so that the recipes trained with it reproduce bit for bit.

    Args:
        images: float32 (B, 28, 28, 1).
        seed: int64 tensor of shape (2,) for the stateless random ops.
        augmentation: the ranges.

    Returns:
        The distorted batch, same shape; uncovered pixels are 0 (background).
    """
    import tensorflow as tf

    if augmentation.robust:
        from edgecnn.train.augment import robust_augment_batch

        return robust_augment_batch(images, seed, augmentation)

    count = tf.shape(images)[0]
    seeds = tf.random.experimental.stateless_split(seed, 4)

    def uniform(shape: Any, index: int, bound: float) -> Any:
        return tf.random.stateless_uniform(shape, seeds[index], -bound, bound)

    angle = uniform([count], 0, augmentation.rotation_deg * math.pi / 180.0)
    scale = 1.0 + uniform([count], 1, augmentation.zoom)
    shift = uniform([count, 2], 2, augmentation.shift_px)
    # The transform maps each output pixel to the input pixel it samples, about the centre.
    cos, sin = tf.cos(angle) / scale, tf.sin(angle) / scale
    centre = (images.shape[1] - 1) / 2.0
    a2 = centre - cos * centre + sin * centre - shift[:, 0]
    b2 = centre - sin * centre - cos * centre - shift[:, 1]
    zeros = tf.zeros_like(cos)
    transforms = tf.stack([cos, -sin, a2, sin, cos, b2, zeros, zeros], axis=1)
    return tf.raw_ops.ImageProjectiveTransformV3(
        images=images,
        transforms=transforms,
        output_shape=tf.shape(images)[1:3],
        fill_value=0.0,
        interpolation="BILINEAR",
        fill_mode="CONSTANT",
    )


def make_train_dataset(
    images: np.ndarray, labels: np.ndarray, recipe: Recipe, seed: int, first_epoch: int = 0
) -> Any:
    """The training batches for epochs ``first_epoch`` .. ``recipe.epochs - 1``.

    Args:
        images: normalized float32 (N, 28, 28, 1).
        labels: uint8 (N,).
        recipe: batch size, epochs and augmentation.
        seed: fixes each epoch's order and each batch's augmentation.
        first_epoch: where a resumed run starts.

    Returns:
        A ``tf.data.Dataset`` of (images, one-hot labels) batches.
    """
    import tensorflow as tf

    n, batch = len(images), recipe.batch_size
    steps = math.ceil(n / batch)
    epochs = np.arange(first_epoch, recipe.epochs, dtype=np.int64)
    orders = np.stack([np.random.default_rng([seed, int(e)]).permutation(n) for e in epochs])
    x, y = tf.constant(images), tf.one_hot(labels.astype(np.int32), 10)
    augmentation = recipe.augmentation

    def epoch_batches(epoch: Any, order: Any) -> Any:
        batches = tf.data.Dataset.from_tensor_slices(order).batch(batch).enumerate()
        return batches.map(lambda step, idx: (epoch * steps + step, idx))

    def load(step: Any, idx: Any) -> Any:
        batch_x = tf.gather(x, idx)
        if augmentation.enabled:
            batch_x = augment_batch(
                batch_x, tf.stack([tf.constant(seed, tf.int64), step]), augmentation
            )
        return batch_x, tf.gather(y, idx)

    dataset = tf.data.Dataset.from_tensor_slices((epochs, orders)).flat_map(epoch_batches)
    return dataset.map(load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True).prefetch(
        tf.data.AUTOTUNE
    )
