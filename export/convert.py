"""Keras model in, TFLite flatbuffer out: loading, calibration data and conversion.

The int8 conversion is full-integer post-training quantization: weights per channel
(the converter's default), activations per tensor from a representative dataset of
training images passed through :func:`edge_runtime.preprocess.normalize`, the same
preprocessing the model was trained with and the runtime applies.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from edge_runtime._deps import first_line
from edge_runtime.errors import ModelFormatError
from edgecnn.export.config import IOType, Mode
from edgecnn.train.models import INPUT_SHAPE, NUM_CLASSES
from edgecnn.train.tf_env import import_tensorflow, quiet_native

OnSample = Callable[[int, int], None]


def load_source_model(path: str | Path) -> Any:
    """Load the trained Keras model to export.

    Args:
        path: a ``.keras`` file taking (N, 28, 28, 1) floats and giving (N, 10).

    Returns:
        The ``keras.Model``.

    Raises:
        ModelFormatError: missing, not a ``.keras`` file, unreadable, or the wrong shape.
    """
    path = Path(path)
    if path.suffix.lower() != ".keras":
        raise ModelFormatError(
            f"{path}: export takes a trained .keras model, got '{path.suffix or 'no suffix'}'"
        )
    if not path.is_file():
        raise ModelFormatError(f"{path}: no such model file")
    import_tensorflow()
    from edgecnn.train.evaluate import load_keras_model

    with quiet_native():
        model = load_keras_model(path)
    try:
        in_shape, out_shape = tuple(model.input_shape), tuple(model.output_shape)
    except (AttributeError, ValueError) as exc:
        raise ModelFormatError(f"{path}: not a single-input, single-output model") from exc
    if in_shape[1:] != INPUT_SHAPE or out_shape[1:] != (NUM_CLASSES,):
        raise ModelFormatError(
            f"{path}: maps {in_shape} to {out_shape}, expected "
            f"(None, 28, 28, 1) to (None, {NUM_CLASSES})"
        )
    return model


def _fixed(model: Any, batch: int) -> Any:
    """The same model (same layers and weights) on an input of a fixed batch size."""
    import keras

    inputs = keras.Input(batch_shape=(batch, *INPUT_SHAPE))
    return keras.Model(inputs, model(inputs), name=f"{model.name}_batch{batch}")


def draw_calibration(train_images: np.ndarray, samples: int, seed: int) -> np.ndarray:
    """Pick calibration images at random, without repeats, from the training split.

    Args:
        train_images: uint8 (N, 28, 28) training images (never the test split: the
            gate measures on it, so it must not shape the quantization).
        samples: how many to draw.
        seed: seeds the draw.

    Returns:
        uint8 (samples, 28, 28).

    Raises:
        ValueError: more samples asked for than there are training images.
    """
    if samples > len(train_images):
        raise ValueError(
            f"--calibration-samples {samples} is more than the {len(train_images)} training images"
        )
    index = np.random.default_rng(seed).choice(len(train_images), size=samples, replace=False)
    return train_images[np.sort(index)]


def convert(
    model: Any,
    mode: Mode,
    io_type: IOType = IOType.FLOAT,
    calibration: np.ndarray | None = None,
    on_sample: OnSample | None = None,
    fixed_batch: int | None = None,
) -> bytes:
    """Convert a Keras model to a TFLite flatbuffer.

    Args:
        model: the ``keras.Model``.
        mode: see :class:`edgecnn.export.config.Mode`.
        io_type: input/output dtype (int8/uint8 only with ``Mode.INT8``).
        calibration: MNIST-form images for the representative dataset (int8 only).
        on_sample: called as ``on_sample(done, total)`` while calibrating.
        fixed_batch: trace the model with this batch size instead of a dynamic one
            (see :mod:`edgecnn.export.graph`).

    Returns:
        The ``.tflite`` bytes.

    Raises:
        ValueError: int8 without calibration images, or integer I/O for a float mode.
        ModelFormatError: the converter rejected the model.
    """
    from edge_runtime.preprocess import normalize

    tf = import_tensorflow()
    with quiet_native():
        if fixed_batch is None:
            converter = tf.lite.TFLiteConverter.from_keras_model(model)
        else:
            converter = tf.lite.TFLiteConverter.from_keras_model(_fixed(model, fixed_batch))
    if mode is Mode.INT8:
        if calibration is None or len(calibration) < 1:
            raise ValueError("int8 conversion needs calibration images")
        inputs = normalize(calibration)
        step = fixed_batch or 1
        if len(inputs) < step:
            raise ValueError(f"--fixed-batch {step} needs at least {step} calibration images")
        total = len(inputs) // step * step

        def representative() -> Iterator[list[np.ndarray]]:
            for i in range(0, total, step):
                yield [inputs[i : i + step]]
                if on_sample is not None:
                    on_sample(i + step, total)

        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = representative
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        if io_type is not IOType.FLOAT:
            dtype = tf.int8 if io_type is IOType.INT8 else tf.uint8
            converter.inference_input_type = dtype
            converter.inference_output_type = dtype
    elif io_type is not IOType.FLOAT:
        raise ValueError(f"{mode.value} models have float input and output, not {io_type.value}")
    elif mode is Mode.FLOAT16:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    elif mode is Mode.DYNAMIC:
        # No representative dataset: weights become int8, activations stay float.
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    try:
        with quiet_native():
            return bytes(converter.convert())
    except Exception as exc:  # the converter raises ConverterError, ValueError, RuntimeError...
        raise ModelFormatError(
            f"the TFLite converter rejected the model ({first_line(exc)[:200]})"
        ) from exc
