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
