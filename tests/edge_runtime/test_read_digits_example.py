"""examples/read_digits.py, the device app on the public API, keeps working."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "read_digits.py"

cv2 = pytest.importorskip("cv2")


def test_the_example_reads_a_row_of_digits(tmp_path, model_path, mnist_test, classifier):
    images, labels = mnist_test
    probs = classifier.probabilities(images[200:400])
    sure = [
        200 + i
        for i in range(200)
        if probs[i].max() > 0.99 and probs[i].argmax() == labels[200 + i]
    ][:4]
    rng = np.random.default_rng(5)
    xx = np.mgrid[:180, :560][1]
    page = 230 - 40 * xx / 560 + rng.normal(0, 4, (180, 560))  # uneven, noisy paper
    for k, i in enumerate(sure):
        ink = cv2.resize(images[i], (110, 110)).astype(np.float32) / 255
        x0 = 20 + 135 * k
        page[35:145, x0 : x0 + 110] = page[35:145, x0 : x0 + 110] * (1 - ink) + 40 * ink
    photo = cv2.cvtColor(np.clip(page, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR)
    cv2.imwrite(str(tmp_path / "row.jpg"), photo)

    command = [sys.executable, str(EXAMPLE), str(model_path), str(tmp_path / "row.jpg")]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=120, check=False, cwd=REPO
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "".join(str(labels[i]) for i in sure)


def test_the_example_is_a_dozen_lines_of_public_api():
    code = [
        line
        for line in EXAMPLE.read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    imports = [line for line in code if line.startswith(("import ", "from "))]
    assert all(
        line.startswith(("import sys", "import cv2", "from edge_runtime import"))
        for line in imports
    ), imports
    assert len(code) <= 20


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ([], "usage: python examples/read_digits.py MODEL IMAGE"),
        (["model.tflite"], "usage: python examples/read_digits.py MODEL IMAGE"),
        (["missing.tflite", "row.png"], "error: missing.tflite: model file not found"),
        (["junk.tflite", "row.png"], "error: junk.tflite: "),
        (["{model}", "missing.png"], "error: cannot read missing.png"),
    ],
)
def test_the_example_says_what_is_wrong_in_one_line(tmp_path, model_path, args, says):
    cv2.imwrite(str(tmp_path / "row.png"), np.full((40, 40), 200, np.uint8))
    (tmp_path / "junk.tflite").write_bytes(b"\x00" * 1000)
    command = [sys.executable, str(EXAMPLE), *[a.format(model=model_path) for a in args]]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1].startswith(says), result.stderr
    assert "Traceback" not in result.stderr
