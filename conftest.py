"""Fixtures every test area shares: the bundled model, MNIST test digits, a short clip.

The MNIST test set is parsed straight from the bundled idx files (16-byte and 8-byte
headers), so the runtime and camera tests need neither TensorFlow nor the train area.
"""

from __future__ import annotations

import gzip
import os
import sys
from pathlib import Path

import numpy as np
import pytest

pytest_plugins = ["pytester"]  # tests/test_harness.py runs pytest on made-up tests

REPO = Path(__file__).resolve().parent
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
def short_clip(tmp_path_factory, mnist_test) -> Path:
    """A 30-frame clip (3 of them empty) with its truth file beside it."""
    pytest.importorskip("cv2")
    from tools.clip import make_clip

    video = tmp_path_factory.mktemp("clip") / "short.avi"
    make_clip(*mnist_test, video, frames=30, seed=7)
    return video


# --------------------------------------------------------------- test tiers and CI

_OURS_NEEDING_TENSORFLOW = ("tests/train/", "tests/export/", "tests/models/")

if os.environ.get("EDGECNN_BLOCK_TENSORFLOW") == "1":
    # make test-edge: what a device without TensorFlow has. Any import of it fails loudly.
    sys.modules["tensorflow"] = None
    sys.modules["keras"] = None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test of the train and export areas needs TensorFlow."""
    root = Path(str(config.rootpath))
    for item in items:
        where = Path(str(item.path)).relative_to(root).as_posix()
        if where.startswith(_OURS_NEEDING_TENSORFLOW):
            item.add_marker(pytest.mark.tensorflow)


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _missing_dependency(report: pytest.CollectReport | pytest.TestReport) -> str | None:
    """The message of a skip made by ``pytest.importorskip``, else None."""
    if not report.skipped or not isinstance(report.longrepr, tuple):
        return None
    message = str(report.longrepr[2])
    return message if "could not import" in message else None


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector):
    """In CI a test dependency that is missing fails the run instead of skipping."""
    report = yield
    missing = _missing_dependency(report) if _in_ci() else None
    if missing is not None:
        report.outcome = "failed"
        report.longrepr = f"CI: a test dependency is missing ({missing})"
    return report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    report = yield
    missing = _missing_dependency(report) if _in_ci() else None
    if missing is not None:
        report.outcome = "failed"
        report.longrepr = f"CI: a test dependency is missing ({missing})"
    return report
