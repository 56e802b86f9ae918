"""`edgecnn predict` and `edgecnn bench`: the device runtime from the command line.

Only typer and the standard library are imported here; numpy, LiteRT, OpenCV and
(for the Keras comparison in ``bench``) TensorFlow load inside the commands.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

from edgecnn.bench.config import CAMERA_FRAMES, THREADS_HINT, BackendSet, CameraBenchConfig
from edgecnn.defaults import ARTIFACT_KERAS, in_working_dir, resolve_model

app = typer.Typer()


@dataclass(frozen=True)
class PredictConfig:
    """Options of ``edgecnn predict``; one field per option."""

    images: tuple[Path, ...]
    model: Path | None = None
    json: bool = False
    all_digits: bool = False
    min_confidence: float = 0.7
    threads: int | None = None
    kaggle: Path | None = None
    out: Path | None = None

    def __post_init__(self) -> None:
        if self.kaggle is not None:
            if self.images:
                raise ValueError("--kaggle reads a CSV: give no image files with it")
            if self.all_digits:
                raise ValueError("--all-digits reads photos; leave it out with --kaggle")
            if self.out is None:
                raise ValueError("--kaggle needs --out FILE (e.g. --out submission.csv)")
        elif self.out is not None:
            raise ValueError("--out writes a Kaggle submission: it needs --kaggle test.csv")
        elif not self.images:
            raise ValueError("give at least one image (or --kaggle test.csv --out submission.csv)")
        if not 0.0 <= self.min_confidence <= 1.0:
            raise ValueError(f"--min-confidence must be in [0, 1], got {self.min_confidence}")
        if self.threads is not None and self.threads < 1:
            raise ValueError(f"--threads must be >= 1, got {self.threads}")


@app.command()
def predict(
    images: list[Path] | None = typer.Argument(None, help="Image files (PNG, JPEG, ... or .npy)."),
    model: Path | None = typer.Option(
        None,
        help="TFLite model (default: artifacts/model_int8.tflite, else the bundled one); "
        "with --kaggle also a .keras model (needs the train extra).",
    ),
    json_output: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
    all_digits: bool = typer.Option(
        False,
        "--all-digits",
        help="Read every digit in each image: lines top to bottom, numbers apart.",
    ),
    min_confidence: float = typer.Option(0.7, help="Below this a reading is rejected."),
    threads: int | None = typer.Option(None, help="Interpreter threads (default: the backend's)."),
    kaggle: Path | None = typer.Option(
        None,
        "--kaggle",
        metavar="CSV",
        help="Instead: classify every row of Kaggle's Digit Recognizer test.csv "
        "(pixel0..pixel783) and write the submission to --out.",
    ),
    out: Path | None = typer.Option(
        None, "--out", help="With --kaggle: the submission.csv to write (ImageId,Label)."
    ),
) -> None:
    """Classify the handwritten digit in each image (or every digit, with --all-digits).

    With --kaggle test.csv --out submission.csv, write a Kaggle submission instead.
    """
    config = PredictConfig(
        tuple(images or ()), model, json_output, all_digits, min_confidence, threads, kaggle, out
    )
    if config.kaggle is not None:
        _predict_kaggle(config)
        return
    from edge_runtime import DigitClassifier
    from edge_runtime.preprocess import read_image

    path = resolve_model(config.model)
    pixels = [read_image(p) for p in config.images]  # every file is checked before any output
    results = []
    with DigitClassifier(path, num_threads=config.threads) as clf:
        for image_path, image in zip(config.images, pixels, strict=True):
            if config.all_digits:
                lines = clf.read_lines(image, config.min_confidence)
                results.append(_readings_record(image_path, lines))
            else:
                results.append(
                    _prediction_record(image_path, clf.predict(image), config.min_confidence)
                )
    if config.json:
        typer.echo(json.dumps({"model": str(path), "results": results}, indent=2))
        return
    if config.model is None:
        typer.echo(f"model: {path}", err=True)
    for record in results:
        typer.echo(_format_record(record))


def _predict_kaggle(config: PredictConfig) -> None:
    from edgecnn.commands.checks import writable_file
    from edgecnn.commands.export import StageConsole
    from edgecnn.submission import predict_kaggle

    if config.kaggle is None or config.out is None:  # PredictConfig makes sure
        raise ValueError("--kaggle needs --out FILE")
    writable_file(config.out, "--out")
    path = resolve_model(config.model)
    # Stage lines and a bar on a terminal only: piped, stderr holds nothing but errors.
    progress = StageConsole() if sys.stderr.isatty() else None
    result = predict_kaggle(config.kaggle, config.out, path, config.threads, progress)
    if config.json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
        return
    typer.echo(
        f"wrote {result.out}: {result.rows:,} rows (ImageId 1-{result.rows}) from "
        f"{result.csv}, model {result.model}"
    )
    rate = result.rows / result.predict_s if result.predict_s > 0 else float("inf")
    typer.echo(
        f"  read in {result.read_s:.1f} s, classified in {result.predict_s:.2f} s "
        f"({rate:,.0f} images/s)"
    )
    if result.accuracy is not None:
        typer.echo(f"  the CSV has a label column: accuracy {result.accuracy:.2%} against it")


def _prediction_record(path: Path, prediction: Any, min_confidence: float) -> dict[str, Any]:
    return {
        "image": str(path),
        "digit": prediction.digit,
        "confidence": round(prediction.confidence, 4),
        "rejected": prediction.digit is None or prediction.confidence < min_confidence,
        "probabilities": [round(float(p), 4) for p in prediction.probabilities],
    }


def _readings_record(path: Path, lines: list[Any]) -> dict[str, Any]:
    readings = [r for line in lines for r in line.readings]
    digits = [
        {
            "digit": r.digit,
            "confidence": round(r.confidence, 4),
            "box": list(r.box),
            "rejected": r.rejected,
        }
        for r in readings
    ]
    text = "".join("?" if r.rejected or r.digit is None else str(r.digit) for r in readings)
    return {
        "image": str(path),
        "text": text,
        "lines": [line.text for line in lines],
        "digits": digits,
    }


def _format_record(record: dict[str, Any]) -> str:
    if "digits" in record:
        if not record["digits"]:
            return f"{record['image']}: no digits"
        detail = ", ".join(
            f"{'?' if d['rejected'] or d['digit'] is None else d['digit']} {d['confidence']:.2f}"
            for d in record["digits"]
        )
        return f"{record['image']}: {' / '.join(record['lines'])}  ({detail})"
    if record["digit"] is None:
        return f"{record['image']}: no digit"
    flag = "  (below --min-confidence)" if record["rejected"] else ""
    return f"{record['image']}: {record['digit']}  confidence {record['confidence']:.3f}{flag}"


@app.command()
def bench(
    model: Path | None = typer.Option(
        None, help="TFLite model (default: artifacts/model_int8.tflite, else the bundled one)."
    ),
    keras: Path | None = typer.Option(
        None, help="Keras float model to compare (default: artifacts/model.keras if present)."
    ),
    threads: str | None = typer.Option(
        None,
        help="Comma-separated interpreter thread counts (default: 1,2; with --camera "
        "one count, default 1).",
    ),
    backends: BackendSet = typer.Option(
        BackendSet.AUTO, help="auto (the one auto picks) or all (every one installed)."
    ),
    runs: int = typer.Option(500, help="Single-image calls timed per configuration."),
    batch: int = typer.Option(64, help="Images per batched call."),
    json_output: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    camera: bool = typer.Option(
        False,
        "--camera",
        help="Instead: frames per second of the camera pipeline (find + "
        "classify + draw) on the sample clip's 640x480 frames.",
    ),
    frames: int | None = typer.Option(
        None, help=f"With --camera: frames to time (default: {CAMERA_FRAMES})."
    ),
    soak: int | None = typer.Option(
        None,
        help="With --camera: also process this many frames (e.g. 20000) through the "
        "whole demo and report memory at start and end.",
    ),
) -> None:
    """Latency, throughput, load time and memory of the runtime against the raw interpreter.

    With --camera, the camera demo's processing rate and (with --soak N) its memory.
    """
    if camera:
        counts = parse_threads("1" if threads is None else threads)
        if len(counts) > 1:
            raise ValueError(f"--camera times one thread count, got --threads {threads}")
        _camera_bench(
            CameraBenchConfig(
                model,
                counts[0],
                CAMERA_FRAMES if frames is None else frames,
                soak or 0,
                json_output,
            )
        )
        return
    for name, value in (("--frames", frames), ("--soak", soak)):
        if value is not None:
            raise ValueError(f"{name} needs --camera")
    from edgecnn.bench.runtime import BenchConfig, format_report, run_bench

    counts = parse_threads("1,2" if threads is None else threads)
    config = BenchConfig(
        model=resolve_model(model),
        keras=keras,
        threads=counts,
        backends=backends,
        runs=runs,
        batch=batch,
    )
    keras_path, keras_note = _keras_to_compare(config.keras)  # fail before minutes of timing
    report = run_bench(config)
    if keras_path is None:
        report = dataclasses.replace(report, keras_note=keras_note)
    else:
        report = dataclasses.replace(report, keras=_measure_keras(keras_path, config))
    if json_output:
        typer.echo(json.dumps(report.to_dict(), indent=2))
    else:
        typer.echo(format_report(report))


def _camera_bench(config: CameraBenchConfig) -> None:
    from edgecnn.bench.camera import format_camera_report, run_camera_bench, run_soak

    path = resolve_model(config.model)
    result: dict[str, Any] = {
        "bench": run_camera_bench(path, config.frames, num_threads=config.threads)
    }
    if config.soak:
        result["soak"] = run_soak(
            path,
            config.soak,
            num_threads=config.threads,
            sample_every=max(1, min(1000, config.soak // 10)),
        )
    if config.json:
        typer.echo(json.dumps(result, indent=2))
        return
    if config.model is None:
        typer.echo(f"model: {path}", err=True)
    typer.echo(format_camera_report(result))


def parse_threads(text: str) -> tuple[int, ...]:
    """``"1,2"`` -> ``(1, 2)``.

    Raises:
        ValueError: not a comma-separated list of integers >= 1.
    """
    try:
        counts = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise ValueError(f"--threads must be comma-separated integers, got {text!r}") from None
    if not counts or min(counts) < 1:
        raise ValueError(THREADS_HINT)
    return counts


def _keras_to_compare(given: Path | None) -> tuple[Path | None, str]:
    """The Keras model to time after the TFLite runs, else None and why not.

    A given model is checked now, so that a wrong file fails at once, not after the
    TFLite timings.

    Raises:
        MissingDependencyError: --keras given, TensorFlow not installed.
        ModelFormatError: the model is missing or not a Keras zip archive.
    """
    from edge_runtime._deps import require
    from edge_runtime.errors import ModelFormatError

    path = given or in_working_dir(ARTIFACT_KERAS)
    if path is None:
        return None, f"skipped (no --keras and no {ARTIFACT_KERAS})"
    if importlib.util.find_spec("tensorflow") is None:
        if given is not None:
            require("tensorflow", "train")
        return None, "skipped (TensorFlow not installed)"
    if not path.is_file():
        raise ModelFormatError(f"{path}: Keras model not found")
    # the check that edgecnn.train.evaluate.load_keras_model starts with
    if not zipfile.is_zipfile(path):
        raise ModelFormatError(f"{path}: not a Keras model (a .keras file is a zip archive)")
    return path, ""


def _measure_keras(path: Path, config: Any) -> Any:
    """The Keras float model's figures (TensorFlow, eager calls)."""
    from edgecnn.bench.runtime import measure_float_model
    from edgecnn.train.evaluate import load_keras_model
    from edgecnn.train.tf_env import import_tensorflow

    tf: Any = import_tensorflow()  # quietly, and before the clock: its import takes seconds
    start = time.perf_counter_ns()
    net = load_keras_model(path)
    load_ms = (time.perf_counter_ns() - start) / 1e6

    def call(x: Any) -> Any:
        return net(x, training=False).numpy()

    runs = min(config.runs, 200)  # eager Keras calls take milliseconds each
    return measure_float_model(call, str(path), tf.__version__, load_ms, runs, config.batch)
