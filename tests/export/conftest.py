"""Fixtures of the export tests: a small trained model, small datasets, one int8 export.

The model is the registry's seed architecture trained for one epoch on 4,000 images
(a few seconds): accurate enough (~90-95%) for the gate to have something to protect,
large enough (590k parameters) for the size ratios to mean what they mean.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from edgecnn.cli import app
from edgecnn.train.data import Mnist, load_mnist

TRAIN_IMAGES = 4000
SMALL_TEST = 2000


@pytest.fixture(scope="session")
def mnist() -> Mnist:
    """The bundled MNIST, loaded once."""
    return load_mnist()


@pytest.fixture(scope="session")
def seed_model(tmp_path_factory: pytest.TempPathFactory, mnist: Mnist) -> Path:
    """A `.keras` seed model trained briefly (read-only: copy it before writing beside it)."""
    import keras

    from edge_runtime.preprocess import normalize
    from edgecnn.train.models import build_model

    model = build_model("seed", seed=0)
    model.compile(
        optimizer=keras.optimizers.Adam(2e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    model.fit(
        normalize(mnist.train_images[:TRAIN_IMAGES]),
        mnist.train_labels[:TRAIN_IMAGES],
        epochs=1,
        batch_size=64,
        verbose=0,
    )
    path = tmp_path_factory.mktemp("seed") / "model.keras"
    model.save(path)
    return path


@pytest.fixture
def model_dir(tmp_path: Path, seed_model: Path) -> Path:
    """A fresh folder holding a copy of the seed model as ``model.keras``."""
    shutil.copy(seed_model, tmp_path / "model.keras")
    return tmp_path


@pytest.fixture(scope="session")
def small_data(tmp_path_factory: pytest.TempPathFactory, mnist: Mnist) -> Path:
    """Real MNIST with a 2,000-image test split, as a Keras ``.npz`` (faster exports)."""
    path = tmp_path_factory.mktemp("data") / "small.npz"
    np.savez(
        path,
        x_train=mnist.train_images[:TRAIN_IMAGES],
        y_train=mnist.train_labels[:TRAIN_IMAGES],
        x_test=mnist.test_images[:SMALL_TEST],
        y_test=mnist.test_labels[:SMALL_TEST],
    )
    return path


@pytest.fixture(scope="session")
def blank_train_data(tmp_path_factory: pytest.TempPathFactory, mnist: Mnist) -> Path:
    """Real test digits, but a training split of blank images: calibrating int8 on it
    squeezes every activation range to nothing, so the quantized model is ruined."""
    path = tmp_path_factory.mktemp("blank") / "blank_train.npz"
    np.savez(
        path,
        x_train=np.zeros((1000, 28, 28), np.uint8),
        y_train=np.zeros(1000, np.uint8),
        x_test=mnist.test_images[:SMALL_TEST],
        y_test=mnist.test_labels[:SMALL_TEST],
    )
    return path


@pytest.fixture(scope="session")
def int8_export(tmp_path_factory: pytest.TempPathFactory, seed_model: Path):
    """One default int8 export of the seed model on the full bundled test set.

    Returns:
        (folder, CLI result).
    """
    folder = tmp_path_factory.mktemp("int8")
    shutil.copy(seed_model, folder / "model.keras")
    result = CliRunner().invoke(app, ["export", "--model", str(folder / "model.keras")])
    return folder, result
