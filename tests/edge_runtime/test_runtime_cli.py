"""`edgecnn predict` and `edgecnn bench` through typer's CliRunner."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from edge_runtime import model_file
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
    result = runner.invoke(app, ["predict", *paths, "--model", str(model_path), "--json",
                                 "--threads", "1", "--min-confidence", "0.5"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["model"] == str(model_path)
    assert [r["image"] for r in out["results"]] == paths
    for record, (_, label) in zip(out["results"], digit_files.values(), strict=True):
        assert record["digit"] == label
        assert len(record["probabilities"]) == 10
        assert record["rejected"] is (label is None or record["confidence"] < 0.5)


def test_predict_uses_a_default_model(digit_files, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no artifacts/ here: the repo's model is used
    assert (model_file.SOURCE_TREE / model_file.BUNDLED_MODEL).is_file()
    path, label = digit_files["mnist.png"]
    result = runner.invoke(app, ["predict", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"{path}: {label}  confidence " + result.stdout.split()[-1]


def test_a_missing_model_exits_4_with_a_hint(digit_files, tmp_path):
    path, _ = digit_files["mnist.png"]
    result = runner.invoke(app, ["predict", str(path), "--model", str(tmp_path / "none.tflite")])
    assert result.exit_code == 4
    assert "none.tflite" in result.output and "edgecnn export --int8" in result.output
    assert "Traceback" not in result.output


def test_no_model_anywhere_exits_4(digit_files, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(model_file, "SOURCE_TREE", tmp_path)
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
    result = runner.invoke(app, ["predict", str(good), str(tmp_path / name),
                                 "--model", str(model_path)])
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
        page[30:130, 30 + 120 * k:130 + 120 * k] = 255 - cv2.resize(images[i], (100, 100)) * 0.8
    cv2.imwrite(str(tmp_path / "row.png"), page)
    result = runner.invoke(app, ["predict", str(tmp_path / "row.png"), "--model", str(model_path),
                                 "--all-digits", "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)["results"][0]
    assert record["text"] == "".join(str(labels[i]) for i in sure)
    boxes = [d["box"] for d in record["digits"]]
    assert [b[0] for b in boxes] == sorted(b[0] for b in boxes)
    text = runner.invoke(app, ["predict", str(tmp_path / "row.png"), "--model", str(model_path),
                               "--all-digits"])
    assert text.exit_code == 0 and record["text"] in text.stdout


def test_bench_json_has_the_figures(model_path, monkeypatch, tmp_path):
    monkeypatch.setattr(runtime_commands, "ARTIFACT_KERAS", tmp_path / "none.keras")
    result = runner.invoke(app, ["bench", "--model", str(model_path), "--runs", "50",
                                 "--batch", "8", "--threads", "1", "--json"])
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
        row["predict"]["p50_us"] / row["raw"]["p50_us"], rel=0.01)
    assert row["load_ms"] > 0 and row["rss_delta_mb"] >= 0
    assert report["targets"] == {"latency_ratio_max": 1.3, "throughput_ratio_min": 0.9}


def test_bench_table_and_bad_options(model_path, monkeypatch, tmp_path):
    monkeypatch.setattr(runtime_commands, "ARTIFACT_KERAS", tmp_path / "none.keras")
    result = runner.invoke(app, ["bench", "--model", str(model_path), "--runs", "20",
                                 "--batch", "4", "--threads", "1"])
    assert result.exit_code == 0, result.output
    assert "ratio" in result.stdout and "litert" in result.stdout and "targets" in result.stdout
    for bad in (["--threads", "one"], ["--runs", "2"], ["--backends", "some"], ["--batch", "0"]):
        result = runner.invoke(app, ["bench", "--model", str(model_path), *bad])
        assert result.exit_code == 2, (bad, result.output)
