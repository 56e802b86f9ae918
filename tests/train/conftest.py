"""Fixtures of the train tests: small MNIST-like arrays and files, and the bundled data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from mnist_files import random_split, write_idx_folder

from edgecnn.train.data import load_mnist


@pytest.fixture
def small_arrays() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(123)
    train_images, train_labels = random_split(rng, 60)
    test_images, test_labels = random_split(rng, 24)
    return {
        "train_images": train_images,
        "train_labels": train_labels,
        "test_images": test_images,
        "test_labels": test_labels,
    }


@pytest.fixture
def idx_folder(tmp_path: Path, small_arrays: dict[str, np.ndarray]) -> Path:
    return write_idx_folder(tmp_path / "idx", small_arrays, sums=True)


@pytest.fixture(scope="session")
def mnist():
    """The bundled MNIST, loaded once per session."""
    return load_mnist()
