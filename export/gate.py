"""The accuracy gate: the float model and the converted one on the whole test split.

Both are scored on the same images with the same preprocessing: the Keras model on
:func:`edge_runtime.preprocess.normalize` of the images, the ``.tflite`` through the
runtime that will ship it (:class:`edge_runtime.DigitClassifier`), so the figure the
gate judges is the figure a device will see.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from edge_runtime.errors import AccuracyDropError
from edgecnn.train.evaluate import EvalReport, summarize

# Images per runtime call while scoring the converted model: small enough for a
# progress bar that moves, large enough to cost nothing.
EVAL_CHUNK = 1000

OnProgress = Callable[[int, int], None]


@dataclass(frozen=True)
class Measurement:
    """Float vs converted model on one labelled set.

    Attributes:
        float_report: the Keras model's scores.
        quantized_report: the converted model's scores (through the runtime).
        agreement: fraction of images on which both predict the same label.
        quantized_labels: the converted model's predicted labels (for the micro check).
    """

    float_report: EvalReport
    quantized_report: EvalReport
    agreement: float
    quantized_labels: np.ndarray

    @property
    def float_accuracy(self) -> float:
        return self.float_report.accuracy

    @property
    def quantized_accuracy(self) -> float:
        return self.quantized_report.accuracy

    @property
    def drop_pp(self) -> float:
        """Accuracy lost by the conversion, in percentage points (negative: gained)."""
        return drop_pp(self.float_report, self.quantized_report)


def drop_pp(float_report: EvalReport, quantized_report: EvalReport) -> float:
    """Accuracy drop in percentage points, from correct-answer counts (no float noise).

    Args:
        float_report: the reference model's scores.
        quantized_report: the converted model's scores on the same images.

    Returns:
        ``100 * (float_correct - quantized_correct) / count``.
    """
    float_correct = int(np.trace(float_report.confusion))
    quantized_correct = int(np.trace(quantized_report.confusion))
    return 100.0 * (float_correct - quantized_correct) / float_report.count


def float_labels(model: Any, images: np.ndarray) -> np.ndarray:
    """Labels predicted by the Keras model on MNIST-form uint8 images."""
    from edgecnn.train.evaluate import predict_keras

    return predict_keras(model, images).argmax(axis=1)


def runtime_labels(
    tflite_path: str | Path, images: np.ndarray, on_progress: OnProgress | None = None
) -> np.ndarray:
    """Labels predicted by a ``.tflite`` model through the edge runtime.

    Args:
        tflite_path: the converted model.
        images: uint8 (N, 28, 28).
        on_progress: called as ``on_progress(done, total)`` after each chunk.

    Returns:
        int (N,) labels.
    """
    from edge_runtime import DigitClassifier
    from edgecnn.train.tf_env import quiet_native

    total = len(images)
    labels = np.empty(total, dtype=np.int64)
    with quiet_native():  # LiteRT announces its XNNPACK delegate on stderr
        classifier = DigitClassifier(tflite_path)
    with classifier:
        for start in range(0, total, EVAL_CHUNK):
            chunk = images[start : start + EVAL_CHUNK]
            labels[start : start + len(chunk)] = classifier.probabilities(chunk).argmax(axis=1)
            if on_progress is not None:
                on_progress(start + len(chunk), total)
    return labels


def measure(
    float_predicted: np.ndarray, quantized_predicted: np.ndarray, true_labels: np.ndarray
) -> Measurement:
    """Compare two models' predicted labels against the truth.

    Args:
        float_predicted: the float model's labels, (N,).
        quantized_predicted: the converted model's labels, (N,).
        true_labels: the true labels, (N,).

    Returns:
        The :class:`Measurement`.
    """
    float_predicted = np.asarray(float_predicted)
    quantized_predicted = np.asarray(quantized_predicted)
    return Measurement(
        float_report=summarize(float_predicted, true_labels),
        quantized_report=summarize(quantized_predicted, true_labels),
        agreement=float(np.mean(float_predicted == quantized_predicted)),
        quantized_labels=quantized_predicted,
    )


def accepts(measurement: Measurement, max_drop: float) -> bool:
    """True when the converted model lost at most ``max_drop`` percentage points."""
    return measurement.drop_pp <= max_drop


def refuse(measurement: Measurement, max_drop: float, mode: str, detail: str) -> AccuracyDropError:
    """The gate's refusal, as the error to raise.

    Args:
        measurement: what was measured.
        max_drop: the tolerance in percentage points.
        mode: the conversion mode, for the message (``int8``...).
        detail: what happened to the files (kept where, what was left unchanged).

    Returns:
        An :class:`AccuracyDropError` with a one-line message.
    """
    message = (
        f"refused: {mode} accuracy {measurement.quantized_accuracy:.2%} vs float "
        f"{measurement.float_accuracy:.2%} is a drop of {measurement.drop_pp:.2f} pp, "
        f"more than the tolerance of {max_drop:.2f} pp; {detail}"
    )
    return AccuracyDropError(
        message,
        float_accuracy=measurement.float_accuracy,
        quantized_accuracy=measurement.quantized_accuracy,
        max_drop_pp=max_drop,
    )
