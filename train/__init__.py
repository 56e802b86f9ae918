"""Training: MNIST loading, model registry, training and evaluation (TensorFlow).

::

    from edgecnn.train import TrainConfig, train

    result = train(TrainConfig(epochs=2, limit=6000, out=Path("artifacts/try")))
    print(result.test_accuracy, result.model_path, result.history["val_accuracy"])

Importing this package is light; TensorFlow loads when a run starts.
"""

from __future__ import annotations

from edgecnn.train.config import TrainConfig
from edgecnn.train.data import Mnist, load_mnist
from edgecnn.train.evaluate import EvalReport, load_keras_model, predict_keras, summarize
from edgecnn.train.models import Arch
from edgecnn.train.training import TrainResult, train

__all__ = [
    "Arch",
    "EvalReport",
    "Mnist",
    "TrainConfig",
    "TrainResult",
    "load_keras_model",
    "load_mnist",
    "predict_keras",
    "summarize",
    "train",
]
