"""The zoo models shipped in data/models still load and reach their recorded accuracy.

Each architecture ships its float model (<arch>.keras), its training provenance
(<arch>_metrics.json: command, seed, data checksum, accuracy, time) and its int8
export (<arch>_int8.tflite + sidecar). Trained once, at length; checked on every run.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from edge_runtime import DigitClassifier
from edgecnn.train.data import load_mnist

MODELS = Path(__file__).resolve().parents[2] / "data" / "models"
ARCHS = ("seed", "tiny", "large", "wide")
SLICE = 2000


@pytest.fixture(scope="module")
def mnist():
    return load_mnist()


@pytest.mark.parametrize("arch", ARCHS)
def test_int8_model_reaches_its_recorded_accuracy(arch, mnist):
    sidecar = json.loads((MODELS / f"{arch}_int8.json").read_text())
    with DigitClassifier(MODELS / f"{arch}_int8.tflite") as classifier:
        predicted = classifier.probabilities(mnist.test_images).argmax(axis=1)
    accuracy = float(np.mean(predicted == mnist.test_labels))
    # The full test set takes well under a second; allow 3 images of CPU-to-CPU wobble.
    assert accuracy == pytest.approx(sidecar["quantized_accuracy"], abs=3e-4)
    source = MODELS / sidecar["source_model"]
    assert hashlib.sha256(source.read_bytes()).hexdigest() == sidecar["source_sha256"]


@pytest.mark.slow
@pytest.mark.parametrize("arch", ARCHS)
def test_float_model_reaches_its_recorded_accuracy_on_a_slice(arch, mnist):
    from edge_runtime.preprocess import normalize
    from edgecnn.train.evaluate import load_keras_model

    metrics = json.loads((MODELS / f"{arch}_metrics.json").read_text())
    assert metrics["data"]["sha256"] == mnist.sha256, "trained on other data than the bundled"
    model = load_keras_model(MODELS / f"{arch}.keras")
    assert model.count_params() == metrics["params"]
    probs = model.predict(normalize(mnist.test_images[:SLICE]), batch_size=500, verbose=0)
    accuracy = float(np.mean(probs.argmax(axis=1) == mnist.test_labels[:SLICE]))
    # The first 2,000 test images are easier than the rest for every model seen here;
    # a model that lost its weights lands near 10%.
    assert accuracy >= metrics["test_accuracy"] - 0.01


def test_zoo_targets_hold_for_the_shipped_models():
    sidecars = {a: json.loads((MODELS / f"{a}_int8.json").read_text()) for a in ARCHS}
    assert sidecars["seed"]["quantized_accuracy"] >= 0.99
    assert sidecars["large"]["quantized_accuracy"] >= 0.996
    assert sidecars["wide"]["quantized_accuracy"] >= 0.997
    assert sidecars["tiny"]["quantized_accuracy"] >= 0.985
    assert (MODELS / "tiny_int8.tflite").stat().st_size <= 32 * 1024
    assert sidecars["tiny"]["micro"]["arena_bytes"] <= 32 * 1024
    for sidecar in sidecars.values():
        assert sidecar["accuracy_drop_pp"] <= sidecar["max_drop_pp"]
