"""Fixtures of the camera tests: the bundled model, a short generated clip, fake sources."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("cv2")

REPO = Path(__file__).resolve().parents[2]
MODEL = REPO / "data" / "models" / "seed_int8.tflite"
SAMPLE_CLIP = REPO / "data" / "samples" / "digits_clip.avi"


@pytest.fixture(scope="session")
def model_path() -> Path:
    if not MODEL.is_file():
        pytest.fail(f"the bundled model {MODEL} is missing")
    return MODEL


@pytest.fixture(scope="session")
def mnist():
    from train.data import load_mnist

    return load_mnist()


@pytest.fixture(scope="session")
def short_clip(tmp_path_factory, mnist) -> Path:
    """A 30-frame clip (3 of them empty) with its truth file beside it."""
    from camera_demo.clip import make_clip

    video = tmp_path_factory.mktemp("clip") / "short.avi"
    make_clip(mnist.test_images, mnist.test_labels, video, frames=30, seed=7)
    return video


@pytest.fixture(scope="session")
def classifier(model_path):
    from edge_runtime import DigitClassifier

    with DigitClassifier(model_path, num_threads=1) as clf:
        yield clf
