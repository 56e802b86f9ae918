"""The embeddable runtime of edgecnn: numpy + LiteRT (OpenCV only for images).

Classify a handwritten digit with an int8 TFLite model on a Raspberry Pi::

    from edge_runtime import DigitClassifier

    with DigitClassifier("model_int8.tflite") as clf:
        prediction = clf.predict(image)     # 28x28 MNIST-form, or a photo of one digit
        print(prediction.digit, prediction.confidence)
        print(clf.info.quantized_accuracy, clf.info.normalization.describe())

Importing this package never imports TensorFlow or OpenCV.
"""

from __future__ import annotations

from edge_runtime import errors
from edge_runtime.backends import Backend
from edge_runtime.classifier import DigitClassifier
from edge_runtime.model_info import ModelInfo
from edge_runtime.preprocess import NORMALIZATION, normalize, to_mnist
from edge_runtime.results import DigitLine, DigitReading, Prediction


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("edgecnn")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0+unknown"


__version__ = _version()

__all__ = [
    "NORMALIZATION",
    "Backend",
    "DigitClassifier",
    "DigitLine",
    "DigitReading",
    "ModelInfo",
    "Prediction",
    "__version__",
    "errors",
    "normalize",
    "to_mnist",
]
