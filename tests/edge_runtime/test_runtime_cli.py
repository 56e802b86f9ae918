"""`edgecnn predict` and `edgecnn bench` through typer's CliRunner."""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest
from typer.testing import CliRunner

from edgecnn import defaults
from edgecnn.cli import app
from edgecnn.commands import runtime as runtime_commands

cv2 = pytest.importorskip("cv2")
runner = CliRunner()


@pytest.fixture
def digit_files(tmp_path, mnist_test, make_photo):
    images, labels = mnist_test
    rng = np.random.default_rng(11)
    files = {
        "mnist.png": (images[0], int(labels[0])),
        "photo.jpg": (make_photo(images[1], rng, bgr=True), int(labels[1])),
        "blank.png": (np.full((60, 60), 220, np.uint8), None),
        "array.npy": (images[2], int(labels[2])),
    }
    paths = {}
    for name, (image, label) in files.items():
        path = tmp_path / name
        if name.endswith(".npy"):
            np.save(path, image)
        else:
            cv2.imwrite(str(path), image)
        paths[name] = (path, label)
    return paths


def test_predict_prints_a_digit_per_image(model_path, digit_files):
    args = ["predict", *[str(p) for p, _ in digit_files.values()], "--model", str(model_path)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == len(digit_files)
    for line, (path, label) in zip(lines, digit_files.values(), strict=True):
        assert line.startswith(f"{path}: ")
        if label is None:
            assert line.endswith("no digit")
        else:
            assert line.split(": ")[1].split()[0] == str(label), line


def test_predict_json(model_path, digit_files):
    paths = [str(p) for p, _ in digit_files.values()]
    result = runner.invoke(
        app,
        [
            "predict",
            *paths,
            "--model",
            str(model_path),
            "--json",
            "--threads",
            "1",
            "--min-confidence",
            "0.5",
        ],
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["model"] == str(model_path)
    assert [r["image"] for r in out["results"]] == paths
    for record, (_, label) in zip(out["results"], digit_files.values(), strict=True):
        assert record["digit"] == label
        assert len(record["probabilities"]) == 10
        assert record["rejected"] is (label is None or record["confidence"] < 0.5)


def test_predict_uses_a_default_model_and_names_it(digit_files, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no artifacts/ here: the bundled model is used
    assert defaults.resolve_model(None) == defaults.bundled_model()
    assert defaults.bundled_model().is_file()
    path, label = digit_files["mnist.png"]
    result = runner.invoke(app, ["predict", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"{path}: {label}  confidence " + result.stdout.split()[-1]
    assert result.stderr == f"model: {defaults.resolve_model(None)}\n"


def test_predict_names_no_model_it_was_given(model_path, digit_files):
    path, _ = digit_files["mnist.png"]
    result = runner.invoke(app, ["predict", str(path), "--model", str(model_path)])
    assert result.exit_code == 0, result.output
    assert "model:" not in result.output


def test_predict_reads_16_bit_images(model_path, tmp_path, mnist_test, make_photo):
    images, labels = mnist_test
    rng = np.random.default_rng(3)
    digit16, photo16 = tmp_path / "digit16.png", tmp_path / "photo16.png"
    cv2.imwrite(str(digit16), images[3].astype(np.uint16) * 257)
    cv2.imwrite(str(photo16), make_photo(images[4], rng).astype(np.uint16) * 257)
    assert cv2.imread(str(photo16), cv2.IMREAD_UNCHANGED).dtype == np.uint16
    for all_digits in ([], ["--all-digits"]):
        result = runner.invoke(
            app,
            [
                "predict",
                str(digit16),
                str(photo16),
                "--model",
                str(model_path),
                "--json",
                *all_digits,
            ],
        )
        assert result.exit_code == 0, result.output
        records = json.loads(result.stdout)["results"]
        key = "text" if all_digits else "digit"
        assert [r[key] for r in records] == [
            str(labels[i]) if all_digits else int(labels[i]) for i in (3, 4)
        ]


@pytest.mark.parametrize(
    ("array", "says"),
    [
        (np.zeros((3, 4, 5, 6), np.uint8), "got shape (3, 4, 5, 6)"),
        (np.zeros((28, 28, 2), np.uint8), "got shape (28, 28, 2)"),
        (np.zeros((0, 28), np.uint8), "empty image"),
        (np.full((28, 28), 300, np.int32), "int32 pixels must be in 0-255"),
        (np.full((28, 28), 1.5, np.float32), "float images must hold finite values in [0, 1]"),
        (np.array([["a", "b"]]), "unsupported image dtype"),
    ],
)
def test_image_errors_name_the_file(model_path, digit_files, tmp_path, array, says):
    bad = tmp_path / "bad.npy"
    np.save(bad, array)
    good, _ = digit_files["mnist.png"]
    for all_digits in ([], ["--all-digits"]):
        result = runner.invoke(
            app, ["predict", str(good), str(bad), "--model", str(model_path), *all_digits]
        )
        assert result.exit_code == 7, result.output
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert len(lines) == 1, lines
        assert lines[0].startswith(f"error: {bad}: ") and says in lines[0], lines[0]


def test_a_missing_model_exits_4_with_a_hint(digit_files, tmp_path):
    path, _ = digit_files["mnist.png"]
    result = runner.invoke(app, ["predict", str(path), "--model", str(tmp_path / "none.tflite")])
    assert result.exit_code == 4
    assert "none.tflite" in result.output and "edgecnn export --int8" in result.output
    assert "Traceback" not in result.output


def test_no_model_anywhere_exits_4(digit_files, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(defaults, "bundled_model", lambda: tmp_path / "none.tflite")
    path, _ = digit_files["mnist.png"]
    result = runner.invoke(app, ["predict", str(path)])
    assert result.exit_code == 4
    assert "edgecnn export --int8" in result.output


def test_a_broken_model_exits_4(digit_files, tmp_path):
    broken = tmp_path / "broken.tflite"
    broken.write_bytes(b"\x00" * 1000)
    path, _ = digit_files["mnist.png"]
    result = runner.invoke(app, ["predict", str(path), "--model", str(broken)])
    assert result.exit_code == 4
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "broken.tflite" in lines[0]


@pytest.mark.parametrize("name", ["missing.png", "junk.png"])
def test_an_unreadable_image_exits_7_before_any_output(model_path, digit_files, tmp_path, name):
    (tmp_path / "junk.png").write_bytes(b"not a png")
    good, _ = digit_files["mnist.png"]
    result = runner.invoke(
        app, ["predict", str(good), str(tmp_path / name), "--model", str(model_path)]
    )
    assert result.exit_code == 7
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and name in lines[0]


def test_bad_option_values_exit_2(model_path, digit_files):
    path, _ = digit_files["mnist.png"]
    for extra in (["--min-confidence", "1.5"], ["--threads", "0"]):
        result = runner.invoke(app, ["predict", str(path), "--model", str(model_path), *extra])
        assert result.exit_code == 2, result.output


def test_predict_all_digits(model_path, tmp_path, mnist_test, classifier):
    images, labels = mnist_test
    # three digits the model reads with confidence, written dark on paper in a row
    probs = classifier.probabilities(images[:200])
    sure = [i for i in range(200) if probs[i].max() > 0.99 and probs[i].argmax() == labels[i]][:3]
    page = np.full((160, 400), 225, np.uint8)
    for k, i in enumerate(sure):
        page[30:130, 30 + 120 * k : 130 + 120 * k] = 255 - cv2.resize(images[i], (100, 100)) * 0.8
    cv2.imwrite(str(tmp_path / "row.png"), page)
    result = runner.invoke(
        app,
        [
            "predict",
            str(tmp_path / "row.png"),
            "--model",
            str(model_path),
            "--all-digits",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)["results"][0]
    assert record["text"] == "".join(str(labels[i]) for i in sure)
    boxes = [d["box"] for d in record["digits"]]
    assert [b[0] for b in boxes] == sorted(b[0] for b in boxes)
    text = runner.invoke(
        app, ["predict", str(tmp_path / "row.png"), "--model", str(model_path), "--all-digits"]
    )
    assert "".join(record["lines"]).replace(" ", "") == record["text"]
    assert text.exit_code == 0 and " / ".join(record["lines"]) in text.stdout


def test_bench_json_has_the_figures(model_path, monkeypatch, tmp_path):
    monkeypatch.setattr(runtime_commands, "ARTIFACT_KERAS", tmp_path / "none.keras")
    result = runner.invoke(
        app,
        [
            "bench",
            "--model",
            str(model_path),
            "--runs",
            "50",
            "--batch",
            "8",
            "--threads",
            "1",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["runs"] == 50 and report["batch"] == 8 and report["keras"] is None
    assert "skipped" in report["keras_note"]
    (row,) = report["results"]
    assert row["backend"] == "litert" and row["threads"] == 1
    for key in ("p50_us", "p90_us", "p99_us"):
        assert row["predict"][key] > 0 and row["raw"][key] > 0
    assert row["predict"]["p50_us"] <= row["predict"]["p90_us"] <= row["predict"]["p99_us"]
    assert row["batch_images_per_s"] > 0 and row["raw_batch_images_per_s"] > 0
    assert row["latency_ratio"] == pytest.approx(
        row["predict"]["p50_us"] / row["raw"]["p50_us"], rel=0.01
    )
    assert row["load_ms"] > 0 and row["rss_delta_mb"] >= 0
    assert report["targets"] == {"latency_ratio_max": 1.3, "throughput_ratio_min": 0.9}


def test_bench_table_names_the_model(model_path, monkeypatch, tmp_path):
    monkeypatch.setattr(runtime_commands, "ARTIFACT_KERAS", tmp_path / "none.keras")
    result = runner.invoke(
        app, ["bench", "--model", str(model_path), "--runs", "20", "--batch", "4", "--threads", "1"]
    )
    assert result.exit_code == 0, result.output
    assert "ratio" in result.stdout and "litert" in result.stdout and "targets" in result.stdout
    assert result.stdout.startswith(f"model   {model_path} (")


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        (["--threads", "one"], "--threads must be comma-separated integers, got 'one'"),
        (["--threads", "0"], "--threads must list thread counts >= 1, e.g. 1,2"),
        (["--threads", ""], "--threads must list thread counts >= 1, e.g. 1,2"),
        (["--threads", "1,-2"], "--threads must list thread counts >= 1, e.g. 1,2"),
        (["--runs", "2"], "--runs must be >= 10, got 2"),
        (["--batch", "0"], "--batch must be >= 1, got 0"),
        (["--frames", "100"], "--frames needs --camera"),
        (["--soak", "20000"], "--soak needs --camera"),
        (["--camera", "--frames", "0"], "--frames must be >= 1, got 0"),
        (["--camera", "--soak", "1"], "--soak must be 0 (off) or >= 2 frames, got 1"),
        (["--camera", "--threads", "0"], "--threads must list thread counts >= 1, e.g. 1,2"),
        (["--camera", "--threads", "1,2"], "--camera times one thread count, got --threads 1,2"),
    ],
)
def test_bench_bad_options_exit_2_with_a_line_naming_the_option(model_path, bad, says):
    result = runner.invoke(app, ["bench", "--model", str(model_path), *bad])
    assert result.exit_code == 2, (bad, result.output)
    assert result.output.strip() == f"error: {says}"


def test_bench_backends_is_a_choice(model_path):
    result = runner.invoke(app, ["bench", "--model", str(model_path), "--backends", "some"])
    assert result.exit_code == 2, result.output
    assert "BackendSet" not in result.output
    assert "'auto'" in result.output and "'all'" in result.output
    assert "<auto|all>" in runner.invoke(app, ["bench", "--help"]).output


def test_bench_refuses_a_keras_file_that_is_not_keras_before_timing(
    model_path, tmp_path, monkeypatch
):
    from edgecnn.bench import runtime as runtime_bench

    def no_timing(config):
        raise AssertionError("the TFLite runs started before --keras was checked")

    monkeypatch.setattr(runtime_bench, "run_bench", no_timing)
    if importlib.util.find_spec("tensorflow") is None:
        pytest.skip("without TensorFlow, --keras stops at the missing dependency")
    junk = tmp_path / "model.keras"
    junk.write_text("not a zip")
    for keras, says in ((junk, "not a Keras model"), (tmp_path / "none.keras", "not found")):
        result = runner.invoke(app, ["bench", "--model", str(model_path), "--keras", str(keras)])
        assert result.exit_code == 4, result.output
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith(f"error: {keras}: "), lines
        assert says in lines[0]


def test_bench_camera_uses_the_thread_count_given(model_path):
    result = runner.invoke(
        app,
        [
            "bench",
            "--camera",
            "--model",
            str(model_path),
            "--threads",
            "2",
            "--frames",
            "20",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)["bench"]
    assert figures["num_threads"] == 2 and figures["frames"] == 20
    assert figures["fps_mean"] > 0


def test_bench_camera_names_a_defaulted_model(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["bench", "--camera", "--frames", "20"])
    assert result.exit_code == 0, result.output
    assert result.stderr == f"model: {defaults.resolve_model(None)}\n"
    assert "camera bench:" in result.stdout and "1 thread" in result.stdout
