"""`edgecnn train` and `edgecnn evaluate`: the train area's commands.

Only typer and the standard library at import time; TensorFlow loads inside the
commands. Errors are raised, not printed: the CLI's error boundary turns them into
one line and the exit code documented in ``edgecnn/cli.py``.
"""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path

import typer

from edgecnn.commands.checks import writable_dir

app = typer.Typer()


class ArchChoice(str, Enum):
    """Mirrors ``train.models.Arch`` without importing it (keeps ``--help`` light)."""

    SEED = "seed"
    TINY = "tiny"
    LARGE = "large"


@app.command()
def train(
    arch: ArchChoice = typer.Option(
        ArchChoice.SEED,
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
) -> None:
    """Train a digit CNN on MNIST and write the model, metrics and plots to OUT."""
    from train.models import Arch
    from train.training import TrainConfig
    from train.training import train as run_training

    config = TrainConfig(
        arch=Arch(arch.value),
        epochs=epochs,
        batch_size=batch_size,
        seed=seed,
        data=data,
        out=out,
        resume=resume,
        limit=limit,
    )
    writable_dir(config.out, "--out")
    result = run_training(config, echo=typer.echo)
    typer.echo(f"wrote {', '.join(p.name for p in result.files)} to {result.out}")


@app.command()
def evaluate(
    model: Path = typer.Option(..., help="A .keras or .tflite model."),
    data: Path | None = typer.Option(
        None, help="Dataset whose test split to score (default: the bundled MNIST)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead."),
) -> None:
    """Score a model on the MNIST test split: accuracy, error and per-digit accuracy."""
    from train.evaluate import evaluate_model

    report, source = evaluate_model(model, data)
    if as_json:
        typer.echo(json.dumps({"model": str(model), "data": source, **report.to_dict()}))
        return
    typer.echo(f"model: {model}")
    typer.echo(f"data: {source}")
    typer.echo(
        f"accuracy {report.accuracy:.2%} (error {report.error:.2%}) on {report.count:,} test images"
    )
    support = report.confusion.sum(axis=1)
    for digit, (value, count) in enumerate(zip(report.per_class, support, strict=True)):
        shown = "   n/a" if count == 0 else f"{value:7.2%}"
        typer.echo(f"  digit {digit}: {shown}  ({count} images)")
