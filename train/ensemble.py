"""Average trained models into one: ``edgecnn ensemble``.

Ensembles of a few CNNs are how MNIST gets past single-model accuracy: their errors
differ, so the average of their softmax outputs is right where a majority is sure.
:func:`make_ensemble` loads models trained by ``edgecnn train`` (each resumable on its
own), checks they take 28x28x1 and give 10 classes, and joins them into one Keras
model whose output is the mean of theirs: it exports to one ``.tflite`` like any other
model (``edgecnn export --int8``), so the device runs one interpreter.

The output folder gets ``model.keras``, ``metrics.json`` (the ensemble's test accuracy
and, per member, its file checksum, its own accuracy and the ``metrics.json`` its
training wrote, so the provenance travels with the model) and ``confusion_matrix.png``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from edge_runtime._files import write_json
from edge_runtime.errors import ModelFormatError
from edgecnn.train.data import load_mnist
from edgecnn.train.evaluate import (
    EvalReport,
    check_model_path,
    load_keras_model,
    predict_keras,
    summarize,
)
from edgecnn.train.models import INPUT_SHAPE, NUM_CLASSES
from edgecnn.train.provenance import command_line, file_sha256, utc_now, versions

#: What an ensemble is called (its Keras name and the zoo's entry).
NAME = "ensemble"


@dataclass(frozen=True)
class EnsembleResult:
    """What :func:`make_ensemble` wrote.

    Attributes:
        out: the output folder.
        report: the ensemble's score on the test split.
        member_accuracies: each member's test accuracy, in the order given.
        files: the files written, ``metrics.json`` last.
    """

    out: Path
    report: EvalReport
    member_accuracies: list[float]
    files: tuple[Path, ...]


def member_provenance(path: Path) -> dict[str, Any] | None:
    """The ``metrics.json`` a member's training wrote: beside it as ``metrics.json``
    (an ``edgecnn train --out`` folder) or as ``<stem>_metrics.json`` (the shipped
    zoo); None when there is none."""
    import json

    for candidate in (path.parent / f"{path.stem}_metrics.json", path.parent / "metrics.json"):
        if candidate.is_file():
            try:
                loaded = json.loads(candidate.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                return None
            if isinstance(loaded, dict):
                # The confusion matrix is the ensemble's business; a member's is noise.
                return {k: v for k, v in loaded.items() if k not in ("confusion",)}
    return None


def check_member(model: Any, what: str) -> None:
    """Raise ModelFormatError unless ``model`` takes (28, 28, 1) and gives 10 classes."""
    shape_in = tuple(model.input_shape[1:])
    shape_out = tuple(model.output_shape[1:])
    if shape_in != tuple(INPUT_SHAPE) or shape_out != (NUM_CLASSES,):
        raise ModelFormatError(
            f"{what}: takes {shape_in} and gives {shape_out}; an ensemble member takes "
            f"{tuple(INPUT_SHAPE)} and gives ({NUM_CLASSES},)"
        )


def average_models(members: Sequence[Any], name: str = NAME) -> Any:
    """One Keras model whose output is the mean of the members' softmax outputs (each
    already passed :func:`check_member`)."""
    import keras

    inputs = keras.Input(INPUT_SHAPE, name="image")
    outputs = []
    for index, member in enumerate(members):
        # Two members of one architecture share a name, which one graph cannot hold.
        wrapped = keras.Model(
            member.inputs[0], member.outputs[0], name=f"m{index + 1}_{member.name}"
        )
        outputs.append(wrapped(inputs))
    return keras.Model(inputs, keras.layers.Average(name="mean")(outputs), name=name)


def make_ensemble(
    paths: Sequence[Path],
    out: Path,
    data: Path | None = None,
    echo: Callable[[str], None] = print,
) -> EnsembleResult:
    """Average the models at ``paths`` into ``out/model.keras`` and score it.

    Raises:
        ValueError: fewer than two members, or one given twice.
        ModelFormatError: a member is missing, not a Keras model, or of the wrong shape.
        DatasetError: the data is missing or malformed.
    """
    from edgecnn.train.artifacts import save_model
    from edgecnn.train.plots import plot_confusion

    if len(paths) < 2:
        raise ValueError("an ensemble needs at least two models")
    resolved = [Path(p).resolve() for p in paths]
    if len(set(resolved)) != len(resolved):
        raise ValueError("a model is given twice: an ensemble of copies is the model itself")
    for path in paths:
        check_model_path(path)
        if Path(path).suffix.lower() != ".keras":
            raise ModelFormatError(f"{path}: ensemble members are .keras models")
    mnist = load_mnist(data)
    members, described, accuracies = [], [], []
    total = np.zeros((len(mnist.test_labels), NUM_CLASSES), np.float64)
    for index, path in enumerate(paths):
        model = load_keras_model(Path(path))
        check_member(model, str(path))
        probabilities = predict_keras(model, mnist.test_images)
        report = summarize(probabilities.argmax(axis=1), mnist.test_labels)
        echo(f"member {index + 1}: {path} ({model.name}): test accuracy {report.accuracy:.2%}")
        members.append(model)
        accuracies.append(report.accuracy)
        total += probabilities
        described.append(
            {
                "file": str(path),
                "sha256": file_sha256(path),
                "name": model.name,
                "params": int(model.count_params()),
                "test_accuracy": report.accuracy,
                "training": member_provenance(Path(path)),
            }
        )
    ensemble = average_models(members)
    # The graph's mean, checked against the members' one: a conversion of the whole
    # to TFLite starts from this model, so it must be what was scored.
    probabilities = predict_keras(ensemble, mnist.test_images)
    if not np.allclose(probabilities, total / len(members), atol=1e-4):
        raise ModelFormatError("the averaged model does not give its members' mean")
    report = summarize(probabilities.argmax(axis=1), mnist.test_labels)
    metrics = {
        **report.metrics(),
        "arch": NAME,
        "params": int(ensemble.count_params()),
        "members": described,
        "train_seconds": round(
            sum(float((m["training"] or {}).get("train_seconds") or 0) for m in described), 1
        ),
        "data": {"source": mnist.source, "sha256": mnist.sha256},
        "versions": versions(),
        "created": utc_now(),
        "command": command_line(),
    }
    title = f"{NAME} of {len(members)}: test accuracy {report.accuracy:.2%}"
    files = (
        save_model(ensemble, out / "model.keras"),
        plot_confusion(report.confusion, out / "confusion_matrix.png", title),
        write_json(out / "metrics.json", metrics),  # last: its presence says it finished
    )
    return EnsembleResult(out, report, accuracies, files)
