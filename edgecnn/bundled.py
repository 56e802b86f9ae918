"""The files the package ships: the model zoo, the sample clip and MNIST.

They are package data of ``edgecnn`` (``edgecnn/data``; in a checkout a symlink to the
repository's ``data/``), found through :mod:`importlib.resources`, so a wheel installed
anywhere finds them just as a checkout does. Every path here is a real file on disk:
pip installs wheels unpacked, and LiteRT, OpenCV and the MNIST reader need file names.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from edge_runtime.errors import EdgeCNNError


def data_dir() -> Path:
    """The folder of bundled files (``models/``, ``samples/``, ``mnist/``).

    Raises:
        EdgeCNNError: the package is not installed as files on disk (a zip import).
    """
    root = resources.files("edgecnn") / "data"
    if not isinstance(root, Path):
        raise EdgeCNNError(f"edgecnn's bundled data is not on disk ({root}): install the wheel")
    return root


def models_dir() -> Path:
    """The shipped zoo: ``<arch>.keras``, ``<arch>_int8.tflite`` and its JSON sidecar."""
    return data_dir() / "models"


#: The zoo entry ``predict`` and ``camera`` use by default (why: README, "Choosing the
#: default model").
DEFAULT_ARCH = "large"


def default_model() -> Path:
    """The default int8 model (:data:`DEFAULT_ARCH`), with its sidecar beside it."""
    return models_dir() / f"{DEFAULT_ARCH}_int8.tflite"


def sample_clip() -> Path:
    """The sample video of handwritten digits (``edgecnn data clip`` prints where it is)."""
    return data_dir() / "samples" / "digits_clip.avi"


def sample_truth() -> Path:
    """The sample clip's ground truth, for ``edgecnn camera --truth``."""
    return sample_clip().with_suffix(".json")


def mnist_dir() -> Path:
    """The bundled MNIST: the four canonical gzip IDX files plus ``SHA256SUMS``."""
    return data_dir() / "mnist"
