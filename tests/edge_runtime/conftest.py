"""Fixtures of the runtime tests: the bundled model, MNIST test digits, made-up photos.

The MNIST test set is parsed straight from the bundled idx files (16-byte and 8-byte
headers) so these tests do not depend on the train area.
"""

from __future__ import annotations

import gzip
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
MODEL = REPO / "data" / "models" / "seed_int8.tflite"
MNIST_DIR = REPO / "data" / "mnist"


def _idx(name: str, offset: int) -> np.ndarray:
    path = MNIST_DIR / name
    if not path.is_file():
        pytest.fail(f"bundled MNIST file {path} is missing")
    with gzip.open(path) as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


@pytest.fixture(scope="session")
def model_path() -> Path:
    """The bundled int8 seed model (data/models/seed_int8.tflite, with its sidecar)."""
    if not MODEL.is_file():
        pytest.fail(f"the bundled model {MODEL} is missing")
    return MODEL


@pytest.fixture(scope="session")
def mnist_test() -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 (10000, 28, 28), labels uint8 (10000,)) of the MNIST test set."""
    images = _idx("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28)
    labels = _idx("t10k-labels-idx1-ubyte.gz", 8)
    return images, labels


@pytest.fixture(scope="session")
def classifier(model_path: Path):
    from edge_runtime import DigitClassifier

    with DigitClassifier(model_path, num_threads=1) as clf:
        yield clf


@pytest.fixture
def model_copy(tmp_path: Path, model_path: Path) -> Path:
    """A private copy of the model, free to get a sidecar or be damaged."""
    copy = tmp_path / "model.tflite"
    shutil.copyfile(model_path, copy)
    return copy


def photo_of(digit: np.ndarray, rng: np.random.Generator, bgr: bool = False) -> np.ndarray:
    """An MNIST digit as a phone photo might show it: dark ink on light, noisy paper
    with uneven light, scaled up 3-5x and pasted off-centre."""
    import cv2

    size = int(28 * rng.uniform(3, 5))
    ink = cv2.resize(digit, (size, size), interpolation=cv2.INTER_LINEAR).astype(np.float32) / 255
    height, width = size + int(rng.integers(20, 90)), size + int(rng.integers(20, 90))
    yy, xx = np.mgrid[:height, :width]
    paper = (
        rng.uniform(170, 235)
        - rng.uniform(0, 60) * xx / width
        - rng.uniform(0, 30) * yy / height
        + rng.normal(0, 6, (height, width))
    )
    top, left = int(rng.integers(0, height - size + 1)), int(rng.integers(0, width - size + 1))
    region = paper[top : top + size, left : left + size]
    paper[top : top + size, left : left + size] = region * (1 - ink) + rng.uniform(20, 70) * ink
    image = np.clip(paper, 0, 255).astype(np.uint8)
    return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR) if bgr else image


@pytest.fixture
def make_photo() -> Callable[..., np.ndarray]:
    return photo_of
