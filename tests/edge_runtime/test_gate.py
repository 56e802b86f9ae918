"""The bundled digit gate: loads from the package, keeps digits, rejects letters."""

from __future__ import annotations

import json
import string
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from edge_runtime.errors import ImageError, ModelFormatError
from edge_runtime.gate import DigitGate, bundled_gate_path

REPO = Path(__file__).resolve().parents[2]
# Letters a careful reader could take for a digit are not asked to be rejected.
DIGIT_LIKE = set("OoDQlIij|ZzSsGBgq")


@pytest.fixture(scope="module")
def gate():
    with DigitGate(num_threads=1) as g:
        yield g


def held_out_letters() -> np.ndarray:
    """Letters in two faces the gate never trained on, dark on light paper, through
    to_mnist as the finder's crops go."""
    cv2 = pytest.importorskip("cv2")
    from edge_runtime.preprocess import to_mnist

    crops = []
    for ch in (c for c in string.ascii_letters if c not in DIGIT_LIKE):
        for font in (cv2.FONT_HERSHEY_TRIPLEX, cv2.FONT_HERSHEY_COMPLEX_SMALL):
            for italic in (0, cv2.FONT_ITALIC):
                img = np.full((140, 140), 230, np.uint8)
                scale = 3.0 if font == cv2.FONT_HERSHEY_TRIPLEX else 4.0
                cv2.putText(img, ch, (30, 100), font | italic, scale, 30, 3, cv2.LINE_AA)
                crop = to_mnist(img)
                if crop is not None:
                    crops.append(crop)
    return np.stack(crops)


def test_bundled_gate_ships_with_its_sidecar(gate):
    assert gate.model_path == bundled_gate_path()
    meta = gate.metadata
    assert meta["kind"] == "digit_gate"
    assert 0.0 < gate.threshold <= 0.5
    assert meta["threshold"] == gate.threshold
    assert meta["measured"]["mnist_test_raw_accepted"] >= 0.995


def test_accepts_mnist_test_digits(gate, mnist_test):
    images, _ = mnist_test
    accepted = gate.accepts(images[:500])
    assert accepted.mean() >= 0.99, f"{(~accepted).sum()} of 500 digits rejected"


def test_rejects_held_out_letters(gate):
    letters = held_out_letters()
    assert len(letters) >= 140  # 36 letters x 2 faces x upright, italic
    rejected = ~gate.accepts(letters)
    assert rejected.mean() >= 0.8, f"only {rejected.mean():.1%} of {len(letters)} rejected"


def test_scores_are_one_float_per_crop_in_one_batch(gate, mnist_test):
    images, _ = mnist_test
    scores = gate.scores(images[:7])
    assert scores.shape == (7,) and scores.dtype == np.float32
    assert ((scores >= 0) & (scores <= 1)).all()
    # the same crop scores the same alone, in a batch, with a channel axis, or as floats
    np.testing.assert_allclose(gate.scores(images[3]), scores[3:4])
    np.testing.assert_allclose(gate.scores(images[:7, :, :, None]), scores)
    np.testing.assert_allclose(gate.scores(images[:7] / np.float32(255)), scores, atol=1 / 128)
    assert gate.scores(np.zeros((0, 28, 28), np.uint8)).shape == (0,)
    assert len(gate.scores(np.repeat(images[:1], 300, axis=0))) == 300  # past one chunk


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros((2, 27, 28), np.uint8),
        np.zeros((2, 28, 28, 3), np.uint8),
        np.full((2, 28, 28), 2.0),
        np.zeros((2, 28, 28), np.int16),
    ],
    ids=["27 rows", "3 channels", "floats past 1", "int16"],
)
def test_wrong_crops_are_image_errors(gate, bad):
    with pytest.raises(ImageError):
        gate.scores(bad)


def test_bad_path_is_a_model_format_error(tmp_path):
    with pytest.raises(ModelFormatError, match="not found"):
        DigitGate(tmp_path / "missing.tflite")
    junk = tmp_path / "junk.tflite"
    junk.write_bytes(b"not a model" * 20)
    with pytest.raises(ModelFormatError):
        DigitGate(junk)


def test_the_digit_classifier_is_not_a_gate(model_path):
    with pytest.raises(ModelFormatError, match="not one score"):
        DigitGate(model_path)


def test_closed_gate_refuses_work(mnist_test):
    g = DigitGate()
    g.close()
    with pytest.raises(ValueError, match="closed"):
        g.scores(mnist_test[0][:2])
    assert "closed" in repr(g)


def test_works_with_tensorflow_blocked(mnist_test):
    code = textwrap.dedent(
        """
        import sys
        sys.modules["tensorflow"] = None
        sys.modules["keras"] = None
        import gzip, json
        import numpy as np
        from edge_runtime.gate import DigitGate
        with gzip.open("data/mnist/t10k-images-idx3-ubyte.gz") as f:
            images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)[:200]
        with DigitGate() as gate:
            print(json.dumps({"accepted": float(gate.accepts(images).mean()),
                              "backend": gate.backend.value}))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["backend"] != "tensorflow"
    assert out["accepted"] >= 0.99
