"""Train a registry model on MNIST: the configuration, the run and its artifacts.

:func:`train` loads the data, builds (or resumes, see :mod:`edgecnn.train.checkpoints`) the
model, fits it on :mod:`edgecnn.train.pipeline`'s batches with the architecture's recipe,
scores it on the test split and writes, atomically, into ``config.out``:
``model.keras``, ``metrics.json``, ``history.json``, ``training_curves.png`` and
``confusion_matrix.png``. The seed fixes the initial weights and dropout
(``keras.utils.set_random_seed``) as well as the data order and augmentation, so a
resumed run ends with the same model as an uninterrupted one.
"""

from __future__ import annotations

import contextlib
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edge_runtime._files import write_json
from edgecnn.train.artifacts import save_model
from edgecnn.train.checkpoints import (
    CHECKPOINT_DIR,
    checkpoint_callback,
    config_fingerprint,
    read_checkpoint,
)
from edgecnn.train.config import TrainConfig
from edgecnn.train.evaluate import EvalReport, predict_keras, summarize
from edgecnn.train.models import Recipe, Schedule
from edgecnn.train.pipeline import make_train_dataset, split_train
from edgecnn.train.provenance import command_line, utc_now, versions

Echo = Callable[[str], None]


@dataclass(frozen=True)
class TrainResult:
    """What a training run produced.

    Attributes:
        out: the artifacts folder.
        model_path: ``out/model.keras``.
        metrics: the content of ``metrics.json``.
        report: the test-split :class:`EvalReport`.
        epochs_run: epochs trained in this call (0 when a finished checkpoint was resumed).
        resumed_from: the checkpoint epoch this call started from (0 for a fresh run).
        files: the artifacts written, ``metrics.json`` last.
        history: per-epoch ``loss``, ``accuracy``, ``val_loss``, ``val_accuracy`` (what
            ``history.json`` holds), from epoch 1 even when resumed.
    """

    out: Path
    model_path: Path
    metrics: dict[str, Any]
    report: EvalReport
    epochs_run: int
    resumed_from: int = 0
    files: tuple[Path, ...] = field(default=())
    history: dict[str, list[float]] = field(default_factory=dict)

    @property
    def test_accuracy(self) -> float:
        return self.report.accuracy


def compile_model(model: Any, recipe: Recipe, steps_per_epoch: int) -> None:
    """Attach Adam, the learning-rate schedule and the loss of the recipe."""
    import keras

    rate: Any = recipe.learning_rate
    if recipe.schedule is Schedule.COSINE:
        rate = keras.optimizers.schedules.CosineDecay(
            recipe.learning_rate,
            decay_steps=recipe.epochs * steps_per_epoch,
            alpha=recipe.final_lr_fraction,
        )
    model.compile(
        optimizer=keras.optimizers.Adam(rate),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=recipe.label_smoothing),
        metrics=["accuracy"],
    )


def _format_seconds(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


def _progress_callback(total_epochs: int, echo: Echo) -> Any:
    import keras

    class Progress(keras.callbacks.Callback):
        """One line per epoch with the validation accuracy and the ETA of the rest."""

        def on_train_begin(self, logs: Any = None) -> None:
            self._began = time.perf_counter()
            self._epochs = 0

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            self._epochs += 1
            logs = logs or {}
            per_epoch = (time.perf_counter() - self._began) / self._epochs
            left = total_epochs - (epoch + 1)
            eta = f"ETA {_format_seconds(per_epoch * left)} for {left} more" if left else "done"
            scores = (
                f"loss {logs.get('loss', math.nan):.4f}, accuracy "
                f"{logs.get('accuracy', math.nan):.2%}, val accuracy "
                f"{logs.get('val_accuracy', math.nan):.2%}"
            )
            echo(
                f"epoch {epoch + 1}/{total_epochs}: {scores} "
                f"({_format_seconds(per_epoch)}/epoch; {eta})"
            )

    return Progress()


def train(config: TrainConfig, echo: Echo = print) -> TrainResult:
    """Train, evaluate and write the artifacts of one run.

    Args:
        config: the run's options.
        echo: where progress lines go (Keras draws its own bar on stdout).

    Returns:
        The :class:`TrainResult`.

    Raises:
        DatasetError: the data is missing or malformed.
        ValueError: a checkpoint that does not match the options (resume), or unreadable.
        KeyboardInterrupt: after saying which checkpoint survives.
    """
    from edgecnn.train.data import load_mnist

    recipe, out = config.recipe, Path(config.out)
    mnist = load_mnist(config.data)  # before TensorFlow loads: bad data fails fast

    from edgecnn.train.tf_env import import_tensorflow

    import_tensorflow()
    from edgecnn.train.distribute import Distribute, fit_multi_worker, place

    # Before any other TensorFlow op: the CPU split and the cluster need a fresh runtime.
    placement = place(config.distribute, config.logical_cpus)
    import keras

    from edge_runtime.preprocess import normalize

    if config.limit is not None and config.limit > len(mnist.train_images):
        echo(
            f"--limit {config.limit} exceeds the {len(mnist.train_images)} training images; "
            "using them all"
        )
    x_train, y_train, x_val, y_val = split_train(
        mnist.train_images, mnist.train_labels, config.limit
    )
    steps = math.ceil(len(x_train) / recipe.batch_size)
    folder = out / CHECKPOINT_DIR
    fingerprint = config_fingerprint(config, mnist.sha256)

    scope = placement.strategy.scope() if placement.strategy else contextlib.nullcontext()
    state = read_checkpoint(folder) if config.resume else None
    if state is not None and state.get("config") != fingerprint:
        differs = sorted(k for k in fingerprint if state.get("config", {}).get(k) != fingerprint[k])
        raise ValueError(
            f"{folder}: the checkpoint was made with other options "
            f"({', '.join(differs)}); repeat them or use --no-resume"
        )
    keras.utils.set_random_seed(config.seed)
    if state is not None:
        first_epoch = int(state["epoch"])
        history = {k: list(v) for k, v in state.get("history", {}).items()}
        seconds = [float(state.get("train_seconds", 0.0))]
        with scope:
            model = keras.models.load_model(folder / state["model_file"])
        echo(f"resuming from {folder / state['model_file']} (epoch {first_epoch}/{recipe.epochs})")
    else:
        if config.resume:
            echo(f"no checkpoint in {folder}; starting from scratch")
        first_epoch, history, seconds = 0, {}, [0.0]
        from edgecnn.train.models import build_model

        with scope:
            model = build_model(config.arch, config.seed)
            compile_model(model, recipe, steps)

    echo(
        f"training {config.arch.value} ({model.count_params():,} params) on {len(x_train):,} "
        f"images, validating on {len(x_val):,}: {recipe.epochs} "
        f"epoch{'s' * (recipe.epochs != 1)}, batch {recipe.batch_size}, "
        f"Adam {recipe.learning_rate:g} {recipe.schedule.value}, {config.recipe_kind.value} recipe"
        f"; {placement.description}"
    )
    epochs_run = recipe.epochs - first_epoch
    if epochs_run > 0:
        dataset = make_train_dataset(normalize(x_train), y_train, recipe, config.seed, first_epoch)
        validation = (normalize(x_val), keras.utils.to_categorical(y_val, 10))
        # Keras' bar only on a terminal; it goes first so the ETA line follows it.
        bar = [keras.callbacks.ProgbarLogger()] if sys.stdout.isatty() else []
        callbacks = [
            *bar,
            # Only the chief writes checkpoints (the others would race it for the files).
            checkpoint_callback(folder, fingerprint, history, seconds, write=placement.chief),
            _progress_callback(recipe.epochs, echo),
        ]
        try:
            if config.distribute is Distribute.MULTI_WORKER:
                fit_multi_worker(
                    model,
                    dataset,
                    placement.strategy,
                    epochs=recipe.epochs,
                    initial_epoch=first_epoch,
                    steps_per_epoch=steps,
                    validation=validation,
                    callbacks=[c for c in callbacks if c not in bar],
                )
            else:
                model.fit(
                    dataset,
                    epochs=recipe.epochs,
                    initial_epoch=first_epoch,
                    steps_per_epoch=steps,
                    validation_data=validation,
                    validation_batch_size=1000,
                    callbacks=callbacks,
                    shuffle=False,
                    verbose=1 if bar else 0,
                )
        except KeyboardInterrupt:
            saved = read_checkpoint(folder)
            where = (
                f"checkpoint at epoch {saved['epoch']} in {folder}; rerun with --resume"
                if saved
                else "no checkpoint yet"
            )
            echo(f"interrupted: {where}")
            raise

    if config.distribute is Distribute.MULTI_WORKER:
        probabilities = _predict_locally(model, mnist.test_images)
    else:
        probabilities = predict_keras(model, mnist.test_images)
    report = summarize(probabilities.argmax(axis=1), mnist.test_labels)
    metrics = {
        **report.metrics(),
        "val_accuracy": history.get("val_accuracy", [None])[-1],
        "arch": config.arch.value,
        "params": int(model.count_params()),
        "epochs": recipe.epochs,
        "batch_size": recipe.batch_size,
        "seed": config.seed,
        "limit": config.limit,
        "train_images": len(x_train),
        "validation_images": len(x_val),
        "recipe_kind": config.recipe_kind.value,
        "distribute": placement.description,
        "recipe": recipe.to_dict(),
        "data": {"source": mnist.source, "sha256": mnist.sha256},
        "train_seconds": round(seconds[0], 1),
        "resumed_from_epoch": first_epoch,
        "versions": versions(),
        "created": utc_now(),
        "command": command_line(),
    }
    files: tuple[Path, ...] = ()
    if not placement.chief:
        echo(f"test accuracy {report.accuracy:.2%} on this worker; the chief writes the artifacts")
    else:
        files = _write_artifacts(out, model, metrics, history, report, config.arch.value)
        echo(
            f"test accuracy {report.accuracy:.2%} (error {report.error:.2%}) on "
            f"{report.count:,} test images of {mnist.source}"
        )
    return TrainResult(
        out=out,
        model_path=out / "model.keras",
        metrics=metrics,
        report=report,
        epochs_run=epochs_run,
        resumed_from=first_epoch,
        files=files,
        history=history,
    )


def _predict_locally(model: Any, images: Any) -> Any:
    """Softmax of the test images on this worker alone (``model.predict`` would try to
    spread them over the cluster, which Keras 3 cannot do under multi-worker)."""
    import numpy as np

    from edge_runtime.preprocess import normalize

    x = normalize(images)
    return np.concatenate(
        [np.asarray(model(x[i : i + 1000], training=False)) for i in range(0, len(x), 1000)]
    )


def _write_artifacts(
    out: Path,
    model: Any,
    metrics: dict[str, Any],
    history: dict[str, list[float]],
    report: EvalReport,
    arch: str,
) -> tuple[Path, ...]:
    from edgecnn.train.plots import plot_confusion, plot_history

    title = f"{arch}: test accuracy {report.accuracy:.2%}"
    return (
        save_model(model, out / "model.keras"),
        write_json(out / "history.json", history),
        plot_history(history, out / "training_curves.png", title),
        plot_confusion(report.confusion, out / "confusion_matrix.png", title),
        # metrics.json last: its presence says the run finished.
        write_json(out / "metrics.json", metrics),
    )
