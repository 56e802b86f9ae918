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


@pytest.fixture(scope="session")
def held_clip(tmp_path_factory, mnist_test):
    """36 pages, each held for 8 frames (12 s at 24 FPS), with its truth beside it: what
    a camera looking at pages sees, for stable readings."""
    from services import FPS, HOLD, PAGES

    from tools.clip import make_clip

    video = tmp_path_factory.mktemp("held") / "held.avi"
    make_clip(*mnist_test, video, frames=PAGES * HOLD, seed=11, fps=FPS, hold=HOLD)
    return video


@pytest.fixture(scope="session")
def mosquitto_binary() -> str:
    """The mosquitto broker's path (installed from Debian's packages when missing)."""
    from services import need_commands

    return need_commands(mosquitto="mosquitto", mosquitto_sub="mosquitto-clients")["mosquitto"]


@pytest.fixture
def broker(mosquitto_binary, tmp_path):
    """A running mosquitto on a free loopback port, stopped at the end."""
    from services import Broker

    server = Broker(mosquitto_binary, tmp_path)
    server.start()
    yield server
    server.stop()
