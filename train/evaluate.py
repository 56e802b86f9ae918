"""Accuracy figures for a model on the MNIST test split.

:func:`summarize` is pure numpy: predicted and true labels in, an :class:`EvalReport`
out. :func:`evaluate_model` runs a ``.keras`` model (with Keras) or a ``.tflite``
model (with :class:`edge_runtime.DigitClassifier`) on the test images, both fed
through the one preprocessing, :func:`edge_runtime.preprocess.normalize`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from edge_runtime._deps import first_line
from edge_runtime.errors import ModelFormatError
from edgecnn.train.data import load_mnist
from edgecnn.train.models import NUM_CLASSES

MODEL_SUFFIXES = (".keras", ".tflite")


@dataclass(frozen=True, eq=False)
class EvalReport:
    """How well predictions match the truth.

    Attributes:
        accuracy: fraction correct, 0-1.
        error: ``1 - accuracy``.
        per_class: accuracy (recall) of each digit 0-9; NaN for a digit absent from the truth.
        confusion: (10, 10) int64 counts, rows = true digit, columns = predicted digit.
        count: how many images were scored.
    """

    accuracy: float
    error: float
    per_class: tuple[float, ...]
    confusion: np.ndarray
    count: int

    def metrics(self) -> dict[str, Any]:
        """The test figures a ``metrics.json`` starts with (``edgecnn train`` and
        ``edgecnn ensemble`` write the same ones)."""
        return {
            "test_accuracy": self.accuracy,
            "test_error": self.error,
            "per_class_accuracy": self.to_dict()["per_class_accuracy"],
            "confusion": self.confusion.tolist(),
            "test_count": self.count,
        }

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view (NaN per-class figures become ``null``)."""
        return {
            "accuracy": self.accuracy,
            "error": self.error,
            "per_class_accuracy": [None if np.isnan(v) else v for v in self.per_class],
            "confusion": self.confusion.tolist(),
            "count": self.count,
        }


def summarize(predicted: np.ndarray, true: np.ndarray) -> EvalReport:
    """Score predicted digit labels against the true ones.

    Args:
        predicted: integer labels 0-9, shape (N,).
        true: integer labels 0-9, shape (N,).

    Returns:
        The :class:`EvalReport`.

    Raises:
        ValueError: empty input, shapes that differ, non-integer labels or labels outside 0-9.
    """
    predicted, true = np.asarray(predicted), np.asarray(true)
    if predicted.ndim != 1 or predicted.shape != true.shape:
        raise ValueError(
            f"predicted {predicted.shape} and true {true.shape} labels must be "
            "1-D and the same length"
        )
    if predicted.size == 0:
        raise ValueError("no labels to score")
    for name, labels in (("predicted", predicted), ("true", true)):
        if labels.dtype.kind not in "iu":
            raise ValueError(f"{name} labels must be integers, got {labels.dtype}")
        if labels.min() < 0 or labels.max() >= NUM_CLASSES:
            raise ValueError(f"{name} labels must be in 0-9")
    confusion = np.zeros((NUM_CLASSES, NUM_CLASSES), np.int64)
    np.add.at(confusion, (true.astype(np.intp), predicted.astype(np.intp)), 1)
    support = confusion.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_class = np.diag(confusion) / support
    correct = int(np.trace(confusion))
    return EvalReport(
        accuracy=correct / true.size,
        error=(true.size - correct) / true.size,
        per_class=tuple(float(v) for v in per_class),
        confusion=confusion,
        count=int(true.size),
    )


def predict_keras(model: Any, images: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    """Softmax probabilities of a Keras model on MNIST-form images.

    Args:
        model: a loaded ``keras.Model``.
        images: uint8 (N, 28, 28) pixels; normalized here with the one preprocessing.
        batch_size: images per forward pass.

    Returns:
        float32 (N, 10).
    """
    from edge_runtime.preprocess import normalize

    return np.asarray(
        model.predict(normalize(images), batch_size=batch_size, verbose=0), np.float32
    )


def load_keras_model(path: Path) -> Any:
    """Load a ``.keras`` model for inference, or raise ModelFormatError."""
    import zipfile

    if not zipfile.is_zipfile(path):  # Keras would call it "file not found"
        raise ModelFormatError(f"{path}: not a Keras model (a .keras file is a zip archive)")
    from edgecnn.train.tf_env import import_tensorflow

    import_tensorflow()
    import keras

    try:
        return keras.models.load_model(path, compile=False)
    except Exception as exc:  # keras raises ValueError, OSError, zipfile errors...
        raise ModelFormatError(
            f"{path}: not a readable Keras model ({first_line(exc)[:200]})"
        ) from exc


def check_model_path(model_path: str | Path) -> Path:
    """Return the path if it names an existing ``.keras`` or ``.tflite`` file.

    Raises:
        ModelFormatError: unknown suffix or no such file.
    """
    path = Path(model_path)
    if path.suffix.lower() not in MODEL_SUFFIXES:
        raise ModelFormatError(
            f"{path}: expected a .keras or .tflite model, got '{path.suffix or 'no suffix'}'"
        )
    if not path.is_file():
        raise ModelFormatError(f"{path}: no such model file")
    return path


def model_probabilities(model_path: str | Path, images: np.ndarray) -> np.ndarray:
    """Run a saved model (``.keras`` or ``.tflite``) on MNIST-form images.

    Args:
        model_path: the model file; the suffix picks Keras or the LiteRT runtime.
        images: uint8 (N, 28, 28).

    Returns:
        float32 probabilities (N, 10).

    Raises:
        ModelFormatError: missing file, unknown suffix, or a file that is not a model.
    """
    path = check_model_path(model_path)
    if path.suffix.lower() == ".keras":
        probabilities = predict_keras(load_keras_model(path), images)
    else:
        from edge_runtime import DigitClassifier

        with DigitClassifier(path) as classifier:
            probabilities = np.asarray(classifier.probabilities(images), np.float32)
    if probabilities.shape != (len(images), NUM_CLASSES):
        raise ModelFormatError(
            f"{path}: outputs shape {probabilities.shape}, expected ({len(images)}, {NUM_CLASSES})"
        )
    return probabilities


def evaluate_model(
    model_path: str | Path, data: str | Path | None = None
) -> tuple[EvalReport, str]:
    """Score a saved model on the test split of a dataset.

    Args:
        model_path: a ``.keras`` or ``.tflite`` file.
        data: what :func:`edgecnn.train.data.load_mnist` accepts; ``None`` for the bundled MNIST.

    Returns:
        The report and the data's ``source`` line.

    Raises:
        ModelFormatError: the model is missing or unreadable.
        DatasetError: the data is missing or malformed.
    """
    path = check_model_path(model_path)  # before spending time on the data
    mnist = load_mnist(data)
    probabilities = model_probabilities(path, mnist.test_images)
    return summarize(probabilities.argmax(axis=1), mnist.test_labels), mnist.source
