"""Golden test: the bundled int8 seed model on real digits gives the recorded answers.

A change to preprocessing, quantization or the backend that moves any answer
fails here. If the model itself is replaced on purpose, re-record with
`.venv/bin/python tests/golden/record.py` and say why in the commit.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from golden_inputs import GOLDEN_MODEL, golden_inputs

from edge_runtime import DigitClassifier

ANSWERS = Path(__file__).resolve().parent / "seed_int8_answers.json"
RECORDED = json.loads(ANSWERS.read_text())["answers"]


@pytest.fixture(scope="module")
def classifier():
    with DigitClassifier(GOLDEN_MODEL) as clf:
        yield clf


@pytest.mark.parametrize(
    ("name", "image"), list(golden_inputs()), ids=[name for name, _ in golden_inputs()]
)
def test_the_bundled_model_gives_the_recorded_answer(classifier, name, image):
    (recorded,) = [a for a in RECORDED if a["input"] == name]
    prediction = classifier.predict(image)
    assert prediction.digit == recorded["digit"]
    # One int8 output step is 1/256: allow a single-step wobble across CPUs, no more.
    np.testing.assert_allclose(prediction.probabilities, recorded["probabilities"], atol=0.0040)


def test_every_recorded_answer_is_checked():
    assert {a["input"] for a in RECORDED} == {name for name, _ in golden_inputs()}
