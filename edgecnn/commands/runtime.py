"""`edgecnn predict` and `edgecnn bench`: the device runtime from the command line.

Only typer and the standard library are imported here; numpy, LiteRT, OpenCV and
(for the Keras comparison in ``bench``) TensorFlow load inside the commands.
"""

from __future__ import annotations

import importlib.util
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

app = typer.Typer()

ARTIFACT_KERAS = Path("artifacts/model.keras")
EXPORT_HINT = "run `edgecnn export --int8` (or pass --model)"


@dataclass(frozen=True)
class PredictConfig:
    """Options of ``edgecnn predict``; one field per option."""

    images: tuple[Path, ...]
    model: Path | None = None
    json: bool = False
    all_digits: bool = False
    min_confidence: float = 0.7
    threads: int | None = None

    def __post_init__(self) -> None:
        if not self.images:
            raise ValueError("give at least one image")
        if not 0.0 <= self.min_confidence <= 1.0:
            raise ValueError(f"--min-confidence must be in [0, 1], got {self.min_confidence}")
        if self.threads is not None and self.threads < 1:
            raise ValueError(f"--threads must be >= 1, got {self.threads}")


def resolve_model(model: Path | None) -> Path:
    """The given model, else ``artifacts/model_int8.tflite``, else the bundled one."""
    from edge_runtime.model_file import resolve_model as resolve

    return resolve(model)


@app.command()
def predict(
    images: list[Path] = typer.Argument(..., help="Image files (PNG, JPEG, ... or .npy)."),
    model: Path | None = typer.Option(
        None, help="TFLite model (default: artifacts/model_int8.tflite, else the bundled one)."),
    json_output: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
    all_digits: bool = typer.Option(False, "--all-digits",
                                    help="Read every digit in each image, left to right."),
    min_confidence: float = typer.Option(0.7, help="Below this a reading is rejected."),
    threads: int | None = typer.Option(None, help="Interpreter threads (default: the backend's)."),
) -> None:
    """Classify the handwritten digit in each image (or every digit, with --all-digits)."""
    config = PredictConfig(tuple(images), model, json_output, all_digits, min_confidence, threads)
    from edge_runtime import DigitClassifier
    from edge_runtime.preprocess import read_image

    path = resolve_model(config.model)
    pixels = [read_image(p) for p in config.images]  # every file is checked before any output
    results = []
    with DigitClassifier(path, num_threads=config.threads) as clf:
        for image_path, image in zip(config.images, pixels, strict=True):
            if config.all_digits:
                readings = clf.read_digits(image, config.min_confidence)
                results.append(_readings_record(image_path, readings))
            else:
                results.append(_prediction_record(image_path, clf.predict(image),
                                                  config.min_confidence))
    if config.json:
        typer.echo(json.dumps({"model": str(path), "results": results}, indent=2))
        return
    for record in results:
        typer.echo(_format_record(record))


def _prediction_record(path: Path, prediction: Any, min_confidence: float) -> dict[str, Any]:
    return {
        "image": str(path),
        "digit": prediction.digit,
        "confidence": round(prediction.confidence, 4),
        "rejected": prediction.digit is None or prediction.confidence < min_confidence,
        "probabilities": [round(float(p), 4) for p in prediction.probabilities],
    }


def _readings_record(path: Path, readings: list[Any]) -> dict[str, Any]:
    digits = [
        {"digit": r.digit, "confidence": round(r.confidence, 4), "box": list(r.box),
         "rejected": r.rejected}
        for r in readings
    ]
    text = "".join("?" if r.rejected or r.digit is None else str(r.digit) for r in readings)
    return {"image": str(path), "text": text, "digits": digits}


def _format_record(record: dict[str, Any]) -> str:
    if "digits" in record:
        if not record["digits"]:
            return f"{record['image']}: no digits"
        detail = ", ".join(
            f"{'?' if d['rejected'] or d['digit'] is None else d['digit']} {d['confidence']:.2f}"
            for d in record["digits"]
        )
        return f"{record['image']}: {record['text']}  ({detail})"
    if record["digit"] is None:
        return f"{record['image']}: no digit"
    flag = "  (below --min-confidence)" if record["rejected"] else ""
    return f"{record['image']}: {record['digit']}  confidence {record['confidence']:.3f}{flag}"


@app.command()
def bench(
    model: Path | None = typer.Option(
        None, help="TFLite model (default: artifacts/model_int8.tflite, else the bundled one)."),
    keras: Path | None = typer.Option(
        None, help="Keras float model to compare (default: artifacts/model.keras if present)."),
    threads: str = typer.Option("1,2", help="Comma-separated interpreter thread counts."),
    backends: str = typer.Option(
        "auto", help="auto (the one auto picks) or all (every one installed)."),
    runs: int = typer.Option(500, help="Single-image calls timed per configuration."),
    batch: int = typer.Option(64, help="Images per batched call."),
    json_output: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    camera: bool = typer.Option(
        False, "--camera", help="Instead: frames per second of the camera pipeline (find + "
        "classify + draw) on the sample clip's 640x480 frames, one thread."),
    frames: int = typer.Option(2000, help="With --camera: frames to time."),
    soak: int = typer.Option(
        0, help="With --camera: also process this many frames (e.g. 20000) through the "
        "whole demo and report memory at start and end."),
) -> None:
    """Latency, throughput, load time and memory of the runtime against the raw interpreter.

    With --camera, the camera demo's processing rate and (with --soak N) its memory.
    """
    if camera:
        _camera_bench(model, frames, soak, json_output)
        return
    from edge_runtime.bench import BenchConfig, format_report, run_bench

    config = BenchConfig(model=resolve_model(model), keras=keras, threads=parse_threads(threads),
                         backends=backends, runs=runs, batch=batch)
    report = run_bench(config)
    report = _with_keras(report, config)
    if json_output:
        typer.echo(json.dumps(report.to_dict(), indent=2))
    else:
        typer.echo(format_report(report))


def _camera_bench(model: Path | None, frames: int, soak: int, json_output: bool) -> None:
    from camera_demo.bench import format_camera_report, run_camera_bench, run_soak

    path = resolve_model(model)
    result: dict[str, Any] = {"bench": run_camera_bench(path, frames)}
    if soak:
        result["soak"] = run_soak(path, soak, sample_every=max(1, min(1000, soak // 10)))
    typer.echo(json.dumps(result, indent=2) if json_output else format_camera_report(result))


def parse_threads(text: str) -> tuple[int, ...]:
    """``"1,2"`` -> ``(1, 2)``.

    Raises:
        ValueError: not a comma-separated list of integers.
    """
    try:
        return tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise ValueError(f"--threads must be comma-separated integers, got {text!r}") from None


def _with_keras(report: Any, config: Any) -> Any:
    """Add the Keras float model's figures when TensorFlow and a .keras model are at hand."""
    import dataclasses

    from edge_runtime.errors import ModelFormatError
    from edge_runtime.model_file import find_in_checkout

    path = config.keras or find_in_checkout(ARTIFACT_KERAS)
    if path is None:
        note = f"skipped (no --keras and no {ARTIFACT_KERAS})"
        return dataclasses.replace(report, keras_note=note)
    if importlib.util.find_spec("tensorflow") is None:
        if config.keras is not None:
            from edge_runtime.errors import require

            require("tensorflow", "train")
        return dataclasses.replace(report, keras_note="skipped (TensorFlow not installed)")
    if not Path(path).is_file():
        raise ModelFormatError(f"{path}: Keras model not found")
    from edge_runtime.bench import measure_float_model
    from edge_runtime.errors import require
    from train.tf_env import import_tensorflow

    tf: Any = import_tensorflow()  # quietly: its import prints a screenful of notices
    keras: Any = require("keras", "train")
    start = time.perf_counter_ns()
    try:
        net = keras.saving.load_model(path, compile=False)
    except (OSError, ValueError) as exc:
        raise ModelFormatError(f"{path}: not a loadable Keras model ({exc})") from exc
    load_ms = (time.perf_counter_ns() - start) / 1e6

    def call(x: Any) -> Any:
        return net(x, training=False).numpy()

    runs = min(config.runs, 200)  # eager Keras calls take milliseconds each
    result = measure_float_model(call, str(path), tf.__version__, load_ms, runs, config.batch)
    return dataclasses.replace(report, keras=result)
