"""`edgecnn predict --kaggle test.csv --out submission.csv` through typer's CliRunner.

The Kaggle-format files are made here from the bundled MNIST test images, whose labels
Kaggle would keep to itself, so a submission can be scored against the truth.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from edgecnn.cli import app
from edgecnn.defaults import bundled_model
from tools.kaggle_csv import write_kaggle_csv

runner = CliRunner()
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def kaggle_test(tmp_path_factory, mnist_test) -> tuple[Path, np.ndarray]:
    """All 10,000 MNIST test images as Kaggle's test.csv, and their true labels."""
    images, labels = mnist_test
    path = write_kaggle_csv(tmp_path_factory.mktemp("kaggle") / "test.csv", images)
    return path, labels


@pytest.fixture
def small_test(tmp_path, mnist_test) -> Path:
    return write_kaggle_csv(tmp_path / "test.csv", mnist_test[0][:40])


def read_submission(path: Path) -> tuple[list[str], np.ndarray]:
    lines = path.read_text().splitlines()
    rows = np.array([[int(v) for v in line.split(",")] for line in lines[1:]]).reshape(-1, 2)
    return lines[:1], rows


def test_a_submission_matches_the_truth_at_the_models_accuracy(kaggle_test, model_path, tmp_path):
    csv, truth = kaggle_test
    out = tmp_path / "submission.csv"
    result = runner.invoke(
        app, ["predict", "--kaggle", str(csv), "--out", str(out), "--model", str(model_path)]
    )
    assert result.exit_code == 0, result.output
    header, rows = read_submission(out)
    assert header == ["ImageId,Label"]
    assert len(rows) == len(truth) == 10_000
    np.testing.assert_array_equal(rows[:, 0], np.arange(1, len(truth) + 1))
    accuracy = float(np.mean(rows[:, 1] == truth))
    # The sidecar records the int8 accuracy on these same 10,000 images (4 decimals).
    recorded = json.loads(model_path.with_suffix(".json").read_text())["quantized_accuracy"]
    assert abs(accuracy - recorded) <= 0.00005, (accuracy, recorded)
    assert f"wrote {out}: 10,000 rows (ImageId 1-10000)" in result.stdout


def test_the_default_model_and_a_labelled_train_csv(tmp_path, mnist_test, monkeypatch):
    images, labels = mnist_test
    write_kaggle_csv(tmp_path / "train.csv", images[:300], labels[:300])
    monkeypatch.chdir(tmp_path)  # no artifacts/ here: the bundled model is used
    result = runner.invoke(app, ["predict", "--kaggle", "train.csv", "--out", "sub.csv"])
    assert result.exit_code == 0, result.output
    _, rows = read_submission(tmp_path / "sub.csv")
    accuracy = float(np.mean(rows[:, 1] == labels[:300]))
    assert accuracy >= 0.98
    assert f"accuracy {accuracy:.2%} against it" in result.stdout
    assert bundled_model().name in result.stdout


def test_json_summary(small_test, model_path, tmp_path):
    out = tmp_path / "s.csv"
    args = ["predict", "--kaggle", str(small_test), "--out", str(out), "--model", str(model_path)]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["rows"] == 40 and record["accuracy"] is None
    assert record["out"] == str(out) and record["model"] == str(model_path)


def test_progress_reaches_every_row(tmp_path, mnist_test, model_path):
    from edgecnn.submission import STEP, predict_kaggle

    csv = write_kaggle_csv(tmp_path / "test.csv", mnist_test[0][: STEP * 2 + 5])

    class Recorder:
        def __init__(self):
            self.stages, self.counts = [], []

        def stage(self, message):
            self.stages.append(message)

        def advance(self, done, total):
            self.counts.append((done, total))

    seen = Recorder()
    result = predict_kaggle(csv, tmp_path / "sub.csv", model_path, progress=seen)
    total = STEP * 2 + 5
    assert seen.counts == [(STEP, total), (2 * STEP, total), (total, total)]
    assert [s.split()[0] for s in seen.stages] == ["loading", "reading", "classifying", "writing"]
    assert result.rows == total and len(result.labels) == total


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("pixel0,pixel1\n0,0\n", ("missing columns pixel2, pixel3, pixel4 and 779 more",)),
        (None, ("line 3", "783 values")),
        ("word", ("line 2", "pixel7", "'x'", "not an integer")),
        ("range", ("line 2", "pixel3", "300", "0-255")),
    ],
    ids=["missing-columns", "wrong-pixel-count", "non-numeric", "out-of-range"],
)
def test_a_malformed_csv_exits_3_with_one_line(tmp_path, mnist_test, model_path, content, words):
    csv = tmp_path / "test.csv"
    lines = write_kaggle_csv(csv, mnist_test[0][:3]).read_text().splitlines()
    if content is None:
        lines[2] = lines[2].rsplit(",", 1)[0]
    elif content == "word":
        values = lines[1].split(",")
        values[7] = "x"
        lines[1] = ",".join(values)
    elif content == "range":
        values = lines[1].split(",")
        values[3] = "300"
        lines[1] = ",".join(values)
    else:
        lines = content.splitlines()
    csv.write_text("\n".join(lines) + "\n")
    out = tmp_path / "submission.csv"
    out.write_text("an earlier submission\n")
    result = runner.invoke(
        app, ["predict", "--kaggle", str(csv), "--out", str(out), "--model", str(model_path)]
    )
    assert result.exit_code == 3, result.output
    message = result.stderr.strip()
    assert message.count("\n") == 0 and message.startswith("error: "), message
    assert "test.csv" in message
    for word in words:
        assert word in message, message
    assert out.read_text() == "an earlier submission\n"  # untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["submission.csv", "test.csv"]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["image.png", "--kaggle", "t.csv", "--out", "s.csv"], "no image files"),
        (["--kaggle", "t.csv"], "--kaggle needs --out"),
        (["image.png", "--out", "s.csv"], "--out writes a Kaggle submission"),
        (["--kaggle", "t.csv", "--out", "s.csv", "--all-digits"], "--all-digits"),
        ([], "give at least one image"),
    ],
)
def test_option_mistakes_exit_2(args, words):
    result = runner.invoke(app, ["predict", *args])
    assert result.exit_code == 2, result.output
    assert words in result.stderr


def test_a_missing_csv_exits_3_and_an_unknown_model_kind_4(tmp_path, small_test):
    result = runner.invoke(
        app, ["predict", "--kaggle", str(tmp_path / "no.csv"), "--out", str(tmp_path / "s.csv")]
    )
    assert result.exit_code == 3 and "no.csv: missing" in result.stderr
    onnx = tmp_path / "model.onnx"
    onnx.write_bytes(b"\0" * 64)
    args = ["--kaggle", str(small_test), "--out", str(tmp_path / "s.csv"), "--model", str(onnx)]
    result = runner.invoke(app, ["predict", *args])
    assert result.exit_code == 4 and "expected a .tflite or .keras model" in result.stderr


def test_a_keras_model_without_tensorflow_names_the_extra(small_test, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorflow", None)
    keras_model = REPO / "data" / "models" / "seed.keras"
    args = ["--kaggle", str(small_test), "--out", str(tmp_path / "s.csv")]
    result = runner.invoke(app, ["predict", *args, "--model", str(keras_model)])
    assert result.exit_code == 6, result.output
    message = result.stderr.strip()
    assert message.count("\n") == 0 and "pip install 'edgecnn[train]'" in message
    assert not (tmp_path / "s.csv").exists()


@pytest.mark.tensorflow
def test_a_keras_model_through_keras(tmp_path, mnist_test):
    images, labels = mnist_test
    csv = write_kaggle_csv(tmp_path / "test.csv", images[:500])
    keras_model = REPO / "data" / "models" / "seed.keras"
    out = tmp_path / "submission.csv"
    args = ["--kaggle", str(csv), "--out", str(out), "--model", str(keras_model)]
    result = runner.invoke(app, ["predict", *args])
    assert result.exit_code == 0, result.output
    header, rows = read_submission(out)
    assert header == ["ImageId,Label"] and len(rows) == 500
    assert float(np.mean(rows[:, 1] == labels[:500])) >= 0.98


def test_predict_kaggle_runs_without_tensorflow(tmp_path, mnist_test, model_path):
    """What an edgecnn[edge] install does: TensorFlow is unimportable, and not needed."""
    csv = write_kaggle_csv(tmp_path / "test.csv", mnist_test[0][:50])
    out = tmp_path / "submission.csv"
    code = (
        "import sys\n"
        "sys.modules['tensorflow'] = None\n"
        "sys.modules['keras'] = None\n"
        "sys.argv = ['edgecnn', 'predict', '--kaggle', sys.argv[1], '--out', sys.argv[2],"
        " '--model', sys.argv[3]]\n"
        "from edgecnn.cli import main\n"
        "main()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(csv), str(out), str(model_path)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert len(out.read_text().splitlines()) == 51
