"""``edgecnn predict --kaggle``: Kaggle's ``test.csv`` in, ``submission.csv`` out.

An int8 ``.tflite`` model runs on :class:`edge_runtime.DigitClassifier` (numpy and
LiteRT: an ``edgecnn[edge]`` install, no TensorFlow); a ``.keras`` model on Keras,
which needs the ``train`` extra. Both see the pixels through the one preprocessing,
:func:`edge_runtime.preprocess.normalize` (inside the classifier, or
:func:`edgecnn.train.evaluate.predict_keras`). Every row gets its most likely digit,
blank or not: Kaggle scores one label per row.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from edge_runtime.errors import MissingDependencyError, ModelFormatError
from edgecnn.kaggle import read_kaggle_csv, write_submission

#: Rows classified between two progress updates.
STEP = 2048


class Progress(Protocol):
    """Where a submission run reports what it is doing (``StageConsole`` in the CLI)."""

    def stage(self, message: str) -> None:
        """A new step has started."""

    def advance(self, done: int, total: int) -> None:
        """``done`` of ``total`` rows are classified."""


class _Silent:
    def stage(self, message: str) -> None:
        pass

    def advance(self, done: int, total: int) -> None:
        pass


@dataclass(frozen=True)
class SubmissionResult:
    """What :func:`predict_kaggle` wrote.

    Attributes:
        csv: the Kaggle CSV read.
        out: the ``submission.csv`` written.
        model: the model that classified the rows.
        rows: how many rows (= images = submission lines after the header).
        labels: the predicted digits, uint8 (rows,), in the CSV's order.
        accuracy: against the CSV's own ``label`` column when it has one (a ``train.csv``),
            else None.
        read_s: seconds spent reading and checking the CSV.
        predict_s: seconds spent classifying.
    """

    csv: Path
    out: Path
    model: Path
    rows: int
    labels: np.ndarray = field(repr=False, compare=False)
    accuracy: float | None
    read_s: float
    predict_s: float

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view (without the labels: those are in the file)."""
        return {
            "csv": str(self.csv),
            "out": str(self.out),
            "model": str(self.model),
            "rows": self.rows,
            "accuracy": self.accuracy,
            "read_s": round(self.read_s, 3),
            "predict_s": round(self.predict_s, 3),
        }


Classify = Callable[[np.ndarray], np.ndarray]


def predict_kaggle(
    csv: Path,
    out: Path,
    model: Path,
    num_threads: int | None = None,
    progress: Progress | None = None,
) -> SubmissionResult:
    """Classify every row of a Kaggle CSV and write the submission atomically.

    Args:
        csv: Kaggle's ``test.csv`` (or a ``train.csv``: its labels are then scored).
        out: the ``submission.csv`` to write (``ImageId,Label``, ImageId from 1).
        model: a ``.tflite`` model (the runtime) or a ``.keras`` one (Keras).
        num_threads: interpreter threads for a ``.tflite`` model (None: the backend's).
        progress: receives stage lines and row counts (None: silent).

    Returns:
        The :class:`SubmissionResult`.

    Raises:
        ModelFormatError: the model is missing, not a model, or neither .tflite nor .keras.
        MissingDependencyError: a ``.keras`` model without TensorFlow (the train extra).
        DatasetError: the CSV is missing or malformed.
    """
    p: Progress = progress or _Silent()
    p.stage(f"loading {model}")
    classify, close = _classifier(model, num_threads)  # a bad model fails before the CSV
    try:
        p.stage(f"reading {csv}")
        started = time.perf_counter()
        digits = read_kaggle_csv(csv)
        read_s = time.perf_counter() - started
        total = len(digits.images)
        p.stage(f"classifying {total:,} images")
        started = time.perf_counter()
        labels = np.empty(total, np.uint8)
        for start in range(0, total, STEP):
            labels[start : start + STEP] = classify(digits.images[start : start + STEP])
            p.advance(min(start + STEP, total), total)
        predict_s = time.perf_counter() - started
    finally:
        close()
    p.stage(f"writing {out}")
    write_submission(out, labels)
    accuracy = None
    if digits.labels is not None:
        accuracy = float(np.mean(labels == digits.labels))
    return SubmissionResult(csv, out, model, total, labels, accuracy, read_s, predict_s)


def _classifier(model: Path, num_threads: int | None) -> tuple[Classify, Callable[[], None]]:
    """A function from uint8 (N, 28, 28) images to their digits, and how to release it."""
    suffix = model.suffix.lower()
    if suffix == ".keras":
        return _keras_classifier(model), lambda: None
    if suffix != ".tflite":
        raise ModelFormatError(
            f"{model}: expected a .tflite or .keras model, got '{model.suffix or 'no suffix'}'"
        )
    from edge_runtime import DigitClassifier

    clf = DigitClassifier(model, num_threads=num_threads)
    labels = clf.metadata.get("labels") or [str(i) for i in range(10)]
    digits = np.array([int(label) for label in labels], np.uint8)

    def classify(images: np.ndarray) -> np.ndarray:
        result: np.ndarray = digits[clf.probabilities(images).argmax(axis=1)]
        return result

    return classify, clf.close


def _keras_classifier(model: Path) -> Classify:
    if importlib.util.find_spec("tensorflow") is None:
        raise MissingDependencyError(
            f"{model}: a .keras model needs TensorFlow: pip install 'edgecnn[train]' "
            "(or give an exported .tflite model)"
        )
    from edgecnn.train.evaluate import load_keras_model, predict_keras

    net = load_keras_model(model)

    def classify(images: np.ndarray) -> np.ndarray:
        result: np.ndarray = predict_keras(net, images).argmax(axis=1).astype(np.uint8)
        return result

    return classify
