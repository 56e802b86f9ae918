"""`edgecnn train` and `edgecnn evaluate` (MNIST, or real photos with --photos).

Only typer and the standard library at import time; TensorFlow loads inside the
commands. Errors are raised, not printed: the CLI's error boundary turns them into
one line and the exit code documented in ``edgecnn/cli.py``.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

from edgecnn.commands.checks import writable_dir
from edgecnn.train.distribute import Distribute  # light (no TensorFlow)
from edgecnn.train.models import Arch, RecipeKind  # the real choices; light (no TF)

app = typer.Typer()


@app.command()
def train(
    arch: Arch = typer.Option(
        Arch.SEED,
        help="Architecture: seed (the classic "
        "baseline), tiny (microcontrollers) or large (>= 99.6%).",
    ),
    epochs: int | None = typer.Option(
        None, help="Passes over the data (default: the architecture's recipe; seed: 12)."
    ),
    batch_size: int | None = typer.Option(
        None, help="Images per step (default: the recipe; seed: 200)."
    ),
    seed: int = typer.Option(0, help="Fixes initial weights, data order and augmentation."),
    data: Path | None = typer.Option(
        None,
        help="MNIST folder of IDX files, a Keras mnist.npz or a Kaggle train.csv "
        "(default: the bundled data/mnist).",
    ),
    out: Path = typer.Option(
        Path("artifacts"),
        help="Folder for model.keras, metrics.json, history.json, the plots and checkpoints/.",
    ),
    resume: bool = typer.Option(
        False, help="Continue from the last checkpoint in OUT/checkpoints."
    ),
    limit: int | None = typer.Option(
        None, help="Train on only the first N training images (quick tries)."
    ),
    recipe: RecipeKind = typer.Option(
        RecipeKind.DEFAULT,
        help="The architecture's default recipe, or robust: the same with camera and pen "
        "distortions (stroke width, re-fit, shift, blur, noise) for crops from photos.",
    ),
    distribute: Distribute = typer.Option(
        Distribute.NONE,
        help="none (one device); mirrored: all local GPUs, or the CPU split by "
        "--logical-cpus; multi-worker: MultiWorkerMirroredStrategy over the cluster in "
        "TF_CONFIG (start one process per worker; worker 0 writes OUT).",
    ),
    logical_cpus: int | None = typer.Option(
        None, help="With --distribute mirrored: split the CPU into N logical devices."
    ),
) -> None:
    """Train a digit CNN on MNIST and write the model, metrics and plots to OUT."""
    from edgecnn.train.config import TrainConfig
    from edgecnn.train.training import train as run_training

    config = TrainConfig(
        arch=arch,
        epochs=epochs,
        batch_size=batch_size,
        seed=seed,
        data=data,
        out=out,
        resume=resume,
        limit=limit,
        recipe_kind=recipe,
        distribute=distribute,
        logical_cpus=logical_cpus,
    )
    writable_dir(config.out, "--out")
    result = run_training(config, echo=typer.echo)
    if result.files:
        typer.echo(f"wrote {', '.join(p.name for p in result.files)} to {result.out}")


@dataclass(frozen=True)
class PhotosConfig:
    """Options of ``edgecnn evaluate --photos``; one field per option."""

    photos: Path
    model: Path | None = None
    draw: Path | None = None
    json: bool = False


@app.command()
def evaluate(
    model: Path | None = typer.Option(
        None,
        help="A .keras or .tflite model. With --photos a .tflite one (default: "
        "artifacts/model_int8.tflite, else the bundled one).",
    ),
    data: Path | None = typer.Option(
        None, help="Dataset whose test split to score (default: the bundled MNIST)."
    ),
    photos: Path | None = typer.Option(
        None,
        "--photos",
        metavar="DIR",
        help="Instead: read every photo and digit listed in DIR/manifest.json (the format "
        "of ../shared/data/real-dev) and score what was read.",
    ),
    draw: Path | None = typer.Option(
        None,
        "--draw",
        metavar="OUT",
        help="With --photos: write each photo to OUT with its boxes (green read, red "
        "rejected), the truth and what was read drawn on it.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead."),
) -> None:
    """Score a model on the MNIST test split: accuracy, error and per-digit accuracy.

    With --photos DIR, score reading digits in real photos instead.
    """
    if photos is not None:
        if data is not None:
            raise ValueError("--data scores MNIST; leave it out with --photos")
        _evaluate_photos(PhotosConfig(photos, model, draw, as_json))
        return
    if draw is not None:
        raise ValueError("--draw needs --photos DIR")
    if model is None:
        raise ValueError("--model is required (or score real photos with --photos DIR)")
    from edgecnn.train.evaluate import evaluate_model

    report, source = evaluate_model(model, data)
    described = _description(model)
    if as_json:
        record = {"model": str(model), "data": source, **report.to_dict()}
        if described is not None:
            record["model_info"] = described[1]
        typer.echo(json.dumps(record))
        return
    typer.echo(f"model: {model}")
    if described is not None:
        typer.echo(f"described: {described[0]}")
    typer.echo(f"data: {source}")
    typer.echo(
        f"accuracy {report.accuracy:.2%} (error {report.error:.2%}) on {report.count:,} test images"
    )
    support = report.confusion.sum(axis=1)
    for digit, (value, count) in enumerate(zip(report.per_class, support, strict=True)):
        shown = "   n/a" if count == 0 else f"{value:7.2%}"
        typer.echo(f"  digit {digit}: {shown}  ({count} images)")


def _description(model: Path) -> tuple[str, dict[str, Any]] | None:
    """A .tflite model's description: one line, and its JSON (None for .keras)."""
    if model.suffix.lower() != ".tflite":
        return None
    from edgecnn.commands.inspect import summary_line

    return summary_line(model)


def _evaluate_photos(config: PhotosConfig) -> None:
    """Read and score a set of real photos with a .tflite model through edge_runtime alone
    (no TensorFlow: a Pi with edgecnn[edge] runs this)."""
    from edge_runtime import DigitClassifier
    from edge_runtime.errors import ModelFormatError
    from edgecnn.defaults import resolve_model
    from edgecnn.manifest import load_manifest
    from edgecnn.photos import evaluate_photos, report_lines

    if config.model is not None and config.model.suffix.lower() == ".keras":
        raise ModelFormatError(
            f"{config.model}: --photos reads with a .tflite model; "
            "export one with `edgecnn export --int8`"
        )
    items = load_manifest(config.photos)  # a bad set fails before the model loads
    path = resolve_model(config.model)
    on_photo = None
    if config.draw is not None:
        from edgecnn.photo_draw import write_drawing

        writable_dir(config.draw, "--draw")
        out = config.draw

        def on_photo(item: Any, image: Any, score: Any) -> None:
            write_drawing(out, item, image, score)

    progress = _show_progress if sys.stderr.isatty() else None
    with DigitClassifier(path) as clf:
        result = evaluate_photos(items, clf, progress, on_photo)
    if progress is not None:
        typer.echo("\r\033[K", err=True, nl=False)
    if config.json:
        record = {"model": str(path), "photos_dir": str(config.photos), **result.to_dict()}
        typer.echo(json.dumps(record, indent=2))
        return
    typer.echo(f"model: {path}")
    for line in report_lines(result):
        typer.echo(line)
    if config.draw is not None:
        typer.echo(f"drew {len(result.photos)} photos in {config.draw}")


def _show_progress(done: int, total: int, path: str) -> None:
    typer.echo(f"\r\033[K[{done}/{total}] {path}", err=True, nl=False)


@app.command()
def ensemble(
    models: list[Path] = typer.Argument(
        ..., metavar="MODEL.keras...", help="Two or more trained models to average."
    ),
    out: Path = typer.Option(
        Path("artifacts/ensemble"),
        help="Folder for model.keras, metrics.json and confusion_matrix.png.",
    ),
    data: Path | None = typer.Option(
        None, help="Dataset whose test split to score (default: the bundled MNIST)."
    ),
) -> None:
    """Average trained models into one model (the mean of their softmax outputs).

    Export the result like any model: edgecnn export --model OUT/model.keras --int8.
    """
    from edgecnn.train.ensemble import make_ensemble

    writable_dir(out, "--out")
    result = make_ensemble(models, out, data, echo=typer.echo)
    best = max(result.member_accuracies)
    typer.echo(
        f"ensemble of {len(models)}: test accuracy {result.report.accuracy:.2%} "
        f"(error {result.report.error:.2%}; best member {best:.2%})"
    )
    typer.echo(f"wrote {', '.join(p.name for p in result.files)} to {out}")
