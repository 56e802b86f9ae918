"""Digit models from other projects (tests/data/third_party, see its README) are read
right by DigitClassifier(path) alone: no sidecar, no description, each with its own
input convention (0..1 floats, raw uint8 pixels, logits out)."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import numpy as np
import pytest

from edge_runtime import DigitClassifier
from edge_runtime.backends import create_interpreter

MODELS = Path(__file__).resolve().parents[1] / "data" / "third_party"
COUNT = 1000  # the first test digits; the probe's bundled digits are from index 9000 on

# name -> how its own project feeds it: uint8 pixels -> the input tensor's values
BY_HAND = {
    "everylumi_mnist": lambda x: (x / 255.0).astype(np.float32),
    "alankrantas_mnist": lambda x: x,
    "tf_examples_digit_classifier_mnist": lambda x: (x / 255.0).astype(np.float32),
}


def _by_hand(path: Path, images: np.ndarray, feed) -> np.ndarray:
    _, interpreter = create_interpreter(path, num_threads=1)
    inp = interpreter.get_input_details()[0]
    out = interpreter.get_output_details()[0]["index"]
    labels = np.empty(len(images), dtype=np.int64)
    for i, image in enumerate(images):
        interpreter.set_tensor(inp["index"], feed(image).reshape(inp["shape"]))
        interpreter.invoke()
        labels[i] = int(interpreter.get_tensor(out).argmax())
    return labels


@pytest.fixture
def alone(tmp_path: Path):
    """A copy of a third-party model in an empty folder (no sidecar can be beside it)."""

    def copy(name: str) -> Path:
        target = tmp_path / f"{name}.tflite"
        shutil.copyfile(MODELS / f"{name}.tflite", target)
        return target

    return copy


@pytest.mark.parametrize("name", sorted(BY_HAND))
def test_read_as_well_as_by_hand_with_the_right_convention(name, alone, mnist_test):
    images, labels = mnist_test[0][:COUNT], mnist_test[1][:COUNT]
    path = alone(name)
    hand = float(np.mean(_by_hand(path, images, BY_HAND[name]) == labels))
    with DigitClassifier(path) as clf:
        assert clf.info.inferred, "the model has no description: its convention is inferred"
        ours = float(np.mean(clf.probabilities(images).argmax(axis=1) == labels))
        single = [clf.predict(image).digit for image in images[:50]]
    print(f"{name}: by hand {hand:.2%}, through DigitClassifier {ours:.2%}")
    assert abs(ours - hand) <= 0.005
    assert single == clf_labels_of(path, images[:50])
    assert hand > 0.75  # a weak model still; a wrong convention gives ~10-20%


def clf_labels_of(path: Path, images: np.ndarray) -> list[int]:
    with DigitClassifier(path) as clf:
        return [int(p.digit) for p in clf.predict_batch(images)]


@pytest.mark.parametrize(
    ("name", "low", "high", "kind"),
    [
        ("everylumi_mnist", 0.0, 1.0, "probabilities"),
        ("alankrantas_mnist", 0.0, 255.0, "probabilities"),
        ("tf_examples_digit_classifier_mnist", 0.0, 1.0, "logits"),
    ],
)
def test_what_was_decided_is_in_info_and_logged_once(name, low, high, kind, alone, caplog):
    with caplog.at_level(logging.INFO, logger="edge_runtime"), DigitClassifier(alone(name)) as clf:
        info = clf.info
    assert info.normalization.pixel_range == pytest.approx((low, high))
    assert info.normalization.polarity == "white_on_black"
    assert info.output.kind == kind
    assert clf.metadata["derived"] is True
    lines = [r.getMessage() for r in caplog.records if r.name == "edge_runtime"]
    assert len(lines) == 1 and name in lines[0] and "\n" not in lines[0]
    if name == "alankrantas_mnist":
        assert "raw pixels" in info.inferred  # told by the tensor, then checked
    else:
        assert "probe" in info.inferred


def test_logits_get_a_softmax(alone, mnist_test):
    with DigitClassifier(alone("tf_examples_digit_classifier_mnist")) as clf:
        probs = clf.probabilities(mnist_test[0][:20])
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert probs.min() >= 0.0
