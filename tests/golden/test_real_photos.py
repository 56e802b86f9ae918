"""Golden test: the default model and the finder read the real photos and a fixed set of
generated pages at least as well as recorded.

Real photos: tests/data/real (copies from ../shared/data/real-dev, attribution in its
README). Pages: tools/pages.py from MNIST training digits, seed fixed. A change that
reads fewer digits, or more confident false ones, on any photo fails here; after a
deliberate improvement re-record with `.venv/bin/python tests/golden/record_photos.py`
and say why in the commit.
"""

from __future__ import annotations

import json

import pytest

pytest.importorskip("cv2")

from real_photos import FLOORS, scores

from edge_runtime import DigitClassifier
from edgecnn.defaults import bundled_model

RECORDED = json.loads(FLOORS.read_text())


@pytest.fixture(scope="module")
def measured():
    assert bundled_model().name == RECORDED["model"], "re-record for the new default model"
    with DigitClassifier(bundled_model()) as clf:
        return scores(clf)


def test_every_photo_is_read_at_least_as_well_as_recorded(measured):
    assert set(measured) == set(RECORDED["photos"])
    worse = {
        path: (got, RECORDED["photos"][path])
        for path, got in measured.items()
        if got["right"] < RECORDED["photos"][path]["right"]
        or got["false"] > RECORDED["photos"][path]["false"]
    }
    assert not worse, f"read worse than recorded (measured, recorded): {worse}"


def test_the_recorded_floors_are_worth_defending():
    photos = RECORDED["photos"]
    real = [v for k, v in photos.items() if k.startswith("real/")]
    pages = [v for k, v in photos.items() if k.startswith("pages/")]
    assert len(real) >= 3 and len(pages) >= 10
    assert sum(v["right"] for v in real) >= 0.9 * sum(v["digits"] for v in real)
    assert sum(v["false"] for v in real) <= 0.02 * sum(v["digits"] for v in real)
