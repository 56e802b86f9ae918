"""Fixtures of the runtime tests: a classifier and made-up photos (the model and the
MNIST test digits come from the conftest.py at the top)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest


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
