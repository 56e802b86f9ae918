"""Fixtures of the camera tests: a classifier (the model and a short generated clip come
from the conftest.py at the top)."""

from __future__ import annotations

import pytest

pytest.importorskip("cv2")


@pytest.fixture(scope="session")
def classifier(model_path):
    from edge_runtime import DigitClassifier

    with DigitClassifier(model_path, num_threads=1) as clf:
        yield clf
