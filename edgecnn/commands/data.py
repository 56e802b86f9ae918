"""``edgecnn data``: where the bundled files are, for other commands' options.

The wheel ships a model zoo, a sample clip and MNIST as package data; their place
depends on where the package was installed, so this command prints it, e.g.
``edgecnn camera --headless --source "$(edgecnn data clip)"``.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from pathlib import Path

import typer

from edgecnn import bundled

app = typer.Typer()


class Bundled(str, Enum):
    """The bundled files by name."""

    model = "model"
    clip = "clip"
    truth = "truth"
    models = "models"
    mnist = "mnist"


WHERE: dict[Bundled, tuple[Callable[[], Path], str]] = {
    Bundled.model: (bundled.default_model, "the default int8 model (large architecture)"),
    Bundled.clip: (bundled.sample_clip, "the sample clip of handwritten digits"),
    Bundled.truth: (bundled.sample_truth, "the sample clip's ground truth (--truth)"),
    Bundled.models: (bundled.models_dir, "the model zoo: .keras, int8 .tflite + sidecar"),
    Bundled.mnist: (bundled.mnist_dir, "MNIST: four IDX files and SHA256SUMS"),
}


@app.command()
def data(
    name: Bundled | None = typer.Argument(
        None, help="Print only this file's path (model, clip, truth, models, mnist)."
    ),
) -> None:
    """Print where the bundled model, sample clip and MNIST are installed."""
    if name is not None:
        typer.echo(str(WHERE[name][0]()))
        return
    for key, (where, what) in WHERE.items():
        typer.echo(f"{key.value:<7} {where()}  ({what})")
