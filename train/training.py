"""Train a registry model on MNIST: the fit loop, checkpoints and the artifacts.

:func:`train` loads the data, builds (or resumes) the model, fits it with the
architecture's recipe, scores it on the test split and writes, atomically, into
``config.out``: ``model.keras``, ``metrics.json``, ``history.json``,
``training_curves.png`` and ``confusion_matrix.png``. A checkpoint (model with
optimizer state, plus ``state.json`` with the epoch and history) is written after
every epoch under ``<out>/checkpoints/``, so Ctrl-C loses at most one epoch.

Reproducibility: the seed fixes the initial weights and dropout
(``keras.utils.set_random_seed``), each epoch's data order
(``numpy.random.default_rng([seed, epoch])``) and each batch's augmentation
(stateless random ops seeded by ``(seed, step)``), so a resumed run sees the same
batches an uninterrupted one would have.
"""

from __future__ import annotations

import json
import math
import os
import platform
import shlex
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from train.evaluate import EvalReport, predict_keras, summarize
from train.models import Arch, Augmentation, Recipe, Schedule, get_architecture

VALIDATION_SIZE = 5_000  # the last images of the training split, for the curves
MIN_LIMIT = 100
CHECKPOINT_DIR = "checkpoints"
STATE_FILE = "state.json"
CHECKPOINT_SCHEMA = 1

Echo = Callable[[str], None]


@dataclass(frozen=True)
class TrainConfig:
    """Everything ``edgecnn train`` takes; each field is one command-line option.

    Attributes:
        arch: architecture name (see :data:`train.models.ARCHITECTURES`).
        epochs: passes over the data; ``None`` takes the architecture's recipe.
        batch_size: images per step; ``None`` takes the recipe.
        seed: fixes weights, data order and augmentation.
        data: dataset path for :func:`train.data.load_mnist`; ``None`` for the bundled MNIST.
        out: folder for the artifacts (created if needed).
        resume: continue from ``<out>/checkpoints`` when a checkpoint is there.
        limit: train on only the first ``limit`` training images (quick tries, tests).
    """

    arch: Arch = Arch.SEED
    epochs: int | None = None
    batch_size: int | None = None
    seed: int = 0
    data: Path | None = None
    out: Path = Path("artifacts")
    resume: bool = False
    limit: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "arch", get_architecture(self.arch).name)
        if self.epochs is not None and self.epochs < 1:
            raise ValueError(f"--epochs must be >= 1, got {self.epochs}")
        if self.batch_size is not None and self.batch_size < 1:
            raise ValueError(f"--batch-size must be >= 1, got {self.batch_size}")
        if self.seed < 0:
            raise ValueError(f"--seed must be >= 0, got {self.seed}")
        if self.limit is not None and self.limit < MIN_LIMIT:
            raise ValueError(f"--limit must be >= {MIN_LIMIT}, got {self.limit}")

    @property
    def recipe(self) -> Recipe:
        """The architecture's recipe with this run's epochs and batch size."""
        base = get_architecture(self.arch).recipe
        return replace(base, epochs=self.epochs or base.epochs,
                       batch_size=self.batch_size or base.batch_size)


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
    """

    out: Path
    model_path: Path
    metrics: dict[str, Any]
    report: EvalReport
    epochs_run: int
    resumed_from: int = 0
    files: tuple[Path, ...] = field(default=())

    @property
    def test_accuracy(self) -> float:
        return self.report.accuracy


# ---------------------------------------------------------------- input pipeline


def augment_batch(images: Any, seed: Any, augmentation: Augmentation) -> Any:
    """Apply a random rotation, zoom and shift to each image of a batch (TensorFlow).

    Args:
        images: float32 (B, 28, 28, 1).
        seed: int64 tensor of shape (2,) for the stateless random ops.
        augmentation: the ranges.

    Returns:
        The distorted batch, same shape; uncovered pixels are 0 (background).
    """
    import tensorflow as tf

    count = tf.shape(images)[0]
    seeds = tf.random.experimental.stateless_split(seed, 4)

    def uniform(shape: Any, index: int, bound: float) -> Any:
        return tf.random.stateless_uniform(shape, seeds[index], -bound, bound)

    angle = uniform([count], 0, augmentation.rotation_deg * math.pi / 180.0)
    scale = 1.0 + uniform([count], 1, augmentation.zoom)
    shift = uniform([count, 2], 2, augmentation.shift_px)
    # The transform maps each output pixel to the input pixel it samples, about the centre.
    cos, sin = tf.cos(angle) / scale, tf.sin(angle) / scale
    centre = (images.shape[1] - 1) / 2.0
    a2 = centre - cos * centre + sin * centre - shift[:, 0]
    b2 = centre - sin * centre - cos * centre - shift[:, 1]
    zeros = tf.zeros_like(cos)
    transforms = tf.stack([cos, -sin, a2, sin, cos, b2, zeros, zeros], axis=1)
    return tf.raw_ops.ImageProjectiveTransformV3(
        images=images, transforms=transforms, output_shape=tf.shape(images)[1:3],
        fill_value=0.0, interpolation="BILINEAR", fill_mode="CONSTANT")


def make_train_dataset(images: np.ndarray, labels: np.ndarray, recipe: Recipe, seed: int,
                       first_epoch: int = 0) -> Any:
    """The training batches for epochs ``first_epoch`` .. ``recipe.epochs - 1``.

    Args:
        images: normalized float32 (N, 28, 28, 1).
        labels: uint8 (N,).
        recipe: batch size, epochs and augmentation.
        seed: fixes each epoch's order and each batch's augmentation.
        first_epoch: where a resumed run starts.

    Returns:
        A ``tf.data.Dataset`` of (images, one-hot labels) batches.
    """
    import tensorflow as tf

    n, batch = len(images), recipe.batch_size
    steps = math.ceil(n / batch)
    epochs = np.arange(first_epoch, recipe.epochs, dtype=np.int64)
    orders = np.stack([np.random.default_rng([seed, int(e)]).permutation(n) for e in epochs])
    x, y = tf.constant(images), tf.one_hot(labels.astype(np.int32), 10)
    augmentation = recipe.augmentation

    def epoch_batches(epoch: Any, order: Any) -> Any:
        batches = tf.data.Dataset.from_tensor_slices(order).batch(batch).enumerate()
        return batches.map(lambda step, idx: (epoch * steps + step, idx))

    def load(step: Any, idx: Any) -> Any:
        batch_x = tf.gather(x, idx)
        if augmentation.enabled:
            batch_x = augment_batch(batch_x, tf.stack([tf.constant(seed, tf.int64), step]),
                                    augmentation)
        return batch_x, tf.gather(y, idx)

    dataset = tf.data.Dataset.from_tensor_slices((epochs, orders)).flat_map(epoch_batches)
    return dataset.map(load, num_parallel_calls=tf.data.AUTOTUNE,
                       deterministic=True).prefetch(tf.data.AUTOTUNE)


def compile_model(model: Any, recipe: Recipe, steps_per_epoch: int) -> None:
    """Attach Adam, the learning-rate schedule and the loss of the recipe."""
    import keras

    rate: Any = recipe.learning_rate
    if recipe.schedule is Schedule.COSINE:
        rate = keras.optimizers.schedules.CosineDecay(
            recipe.learning_rate, decay_steps=recipe.epochs * steps_per_epoch,
            alpha=recipe.final_lr_fraction)
    model.compile(
        optimizer=keras.optimizers.Adam(rate),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=recipe.label_smoothing),
        metrics=["accuracy"],
    )


# ---------------------------------------------------------------- files


def atomic_write(path: Path, write: Callable[[Path], None], suffix: str = ".tmp") -> Path:
    """Write a file by ``write(temp)`` beside ``path``, then move it into place.

    Args:
        path: the destination.
        write: writes the complete content to the temporary path it is given.
        suffix: the temporary file's suffix (Keras insists on ``.keras``).

    Returns:
        ``path``.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        tmp.chmod(0o666 & ~_umask())  # mkstemp makes 0600; give the file the usual mode
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_json(path: Path, content: Any) -> Path:
    """Write JSON atomically (2-space indent, trailing newline)."""
    text = json.dumps(content, indent=2) + "\n"

    def write(tmp: Path) -> None:
        tmp.write_text(text)

    return atomic_write(path, write)


def save_model(model: Any, path: Path) -> Path:
    """Save a Keras model atomically."""
    return atomic_write(path, lambda tmp: model.save(tmp), suffix=".keras")


def _fingerprint(config: TrainConfig, data_sha256: str) -> dict[str, Any]:
    recipe = config.recipe
    return {"arch": config.arch.value, "epochs": recipe.epochs, "batch_size": recipe.batch_size,
            "seed": config.seed, "limit": config.limit, "data_sha256": data_sha256}


def read_checkpoint(folder: Path) -> dict[str, Any] | None:
    """The checkpoint state in ``folder`` (``None`` when there is none).

    Raises:
        ValueError: the state file or the model it names is unreadable.
    """
    state_path = folder / STATE_FILE
    if not state_path.is_file():
        return None
    try:
        state = json.loads(state_path.read_text())
        model_path = folder / state["model_file"]
        int(state["epoch"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{state_path}: unreadable checkpoint state ({exc}); "
                         "use --no-resume to start over") from exc
    if not model_path.is_file():
        raise ValueError(f"{model_path}: checkpoint model missing; use --no-resume to start over")
    return state


def _reseed_layers(model: Any, epoch: int) -> None:
    """Start each epoch's dropout noise from a state fixed by the epoch number.

    Keras does not carry the counter of a layer's random stream through a saved
    model, so without this a resumed run would draw other dropout masks than an
    uninterrupted one.
    """
    for variable in model.non_trainable_variables:
        if variable.path.endswith("seed_generator_state"):
            base = np.asarray(variable.numpy())[0]
            variable.assign(np.array([base, epoch * 1_000_000], dtype=variable.dtype))


def _checkpoint_callback(folder: Path, fingerprint: dict[str, Any],
                         history: dict[str, list[float]], seconds: list[float]) -> Any:
    import keras

    class Checkpoint(keras.callbacks.Callback):
        """Save model + optimizer, then the state naming it; then drop older models."""

        def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
            self._start = time.perf_counter()
            _reseed_layers(self.model, epoch)

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            seconds[0] += time.perf_counter() - self._start
            for key, value in (logs or {}).items():
                history.setdefault(key, []).append(float(value))
            name = f"epoch-{epoch + 1:03d}.keras"
            save_model(self.model, folder / name)
            write_json(folder / STATE_FILE, {
                "schema_version": CHECKPOINT_SCHEMA, "epoch": epoch + 1, "model_file": name,
                "history": history, "train_seconds": seconds[0], "config": fingerprint})
            for old in folder.glob("epoch-*.keras"):
                if old.name != name:
                    old.unlink(missing_ok=True)

    return Checkpoint()


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
            scores = (f"loss {logs.get('loss', math.nan):.4f}, accuracy "
                      f"{logs.get('accuracy', math.nan):.2%}, val accuracy "
                      f"{logs.get('val_accuracy', math.nan):.2%}")
            echo(f"epoch {epoch + 1}/{total_epochs}: {scores} "
                 f"({_format_seconds(per_epoch)}/epoch; {eta})")

    return Progress()


# ---------------------------------------------------------------- the run


def split_train(images: np.ndarray, labels: np.ndarray, limit: int | None) -> tuple[
        np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Take the first ``limit`` images and hold out the last ones for validation.

    The validation slice is the last 5,000 images, or a tenth of them when fewer
    than 50,000 are used.

    Returns:
        train images, train labels, validation images, validation labels.
    """
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    held = min(VALIDATION_SIZE, len(images) // 10)
    cut = len(images) - held
    return images[:cut], labels[:cut], images[cut:], labels[cut:]


def _versions() -> dict[str, str]:
    import keras
    import tensorflow as tf

    from edgecnn import __version__

    return {"edgecnn": __version__, "python": platform.python_version(),
            "numpy": np.__version__, "tensorflow": tf.__version__, "keras": keras.__version__}


def _command_line() -> str:
    return shlex.join([Path(sys.argv[0]).name, *sys.argv[1:]])


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
    from train.data import load_mnist

    recipe, out = config.recipe, Path(config.out)
    mnist = load_mnist(config.data)  # before TensorFlow loads: bad data fails fast

    from train.tf_env import import_tensorflow

    import_tensorflow()
    import keras

    from edge_runtime.preprocess import normalize

    if config.limit is not None and config.limit > len(mnist.train_images):
        echo(f"--limit {config.limit} exceeds the {len(mnist.train_images)} training images; "
             "using them all")
    x_train, y_train, x_val, y_val = split_train(mnist.train_images, mnist.train_labels,
                                                 config.limit)
    steps = math.ceil(len(x_train) / recipe.batch_size)
    folder = out / CHECKPOINT_DIR
    fingerprint = _fingerprint(config, mnist.sha256)

    state = read_checkpoint(folder) if config.resume else None
    if state is not None and state.get("config") != fingerprint:
        differs = sorted(k for k in fingerprint if state.get("config", {}).get(k) != fingerprint[k])
        raise ValueError(f"{folder}: the checkpoint was made with other options "
                         f"({', '.join(differs)}); repeat them or use --no-resume")
    keras.utils.set_random_seed(config.seed)
    if state is not None:
        first_epoch = int(state["epoch"])
        history = {k: list(v) for k, v in state.get("history", {}).items()}
        seconds = [float(state.get("train_seconds", 0.0))]
        model = keras.models.load_model(folder / state["model_file"])
        echo(f"resuming from {folder / state['model_file']} (epoch {first_epoch}/{recipe.epochs})")
    else:
        if config.resume:
            echo(f"no checkpoint in {folder}; starting from scratch")
        first_epoch, history, seconds = 0, {}, [0.0]
        from train.models import build_model

        model = build_model(config.arch, config.seed)
        compile_model(model, recipe, steps)

    echo(f"training {config.arch.value} ({model.count_params():,} params) on {len(x_train):,} "
         f"images, validating on {len(x_val):,}: {recipe.epochs} "
         f"epoch{'s' * (recipe.epochs != 1)}, batch {recipe.batch_size}, "
         f"Adam {recipe.learning_rate:g} {recipe.schedule.value}")
    epochs_run = recipe.epochs - first_epoch
    if epochs_run > 0:
        dataset = make_train_dataset(normalize(x_train), y_train, recipe, config.seed, first_epoch)
        validation = (normalize(x_val), keras.utils.to_categorical(y_val, 10))
        # Keras' bar only on a terminal; it goes first so the ETA line follows it.
        bar = [keras.callbacks.ProgbarLogger()] if sys.stdout.isatty() else []
        callbacks = [*bar, _checkpoint_callback(folder, fingerprint, history, seconds),
                     _progress_callback(recipe.epochs, echo)]
        try:
            model.fit(dataset, epochs=recipe.epochs, initial_epoch=first_epoch,
                      steps_per_epoch=steps, validation_data=validation,
                      validation_batch_size=1000, callbacks=callbacks, shuffle=False,
                      verbose=1 if bar else 0)
        except KeyboardInterrupt:
            saved = read_checkpoint(folder)
            where = (f"checkpoint at epoch {saved['epoch']} in {folder}; rerun with --resume"
                     if saved else "no checkpoint yet")
            echo(f"interrupted: {where}")
            raise

    report = summarize(predict_keras(model, mnist.test_images).argmax(axis=1),
                       mnist.test_labels)
    metrics = {
        "test_accuracy": report.accuracy,
        "test_error": report.error,
        "per_class_accuracy": report.to_dict()["per_class_accuracy"],
        "confusion": report.confusion.tolist(),
        "test_count": report.count,
        "val_accuracy": history.get("val_accuracy", [None])[-1],
        "arch": config.arch.value,
        "params": int(model.count_params()),
        "epochs": recipe.epochs,
        "batch_size": recipe.batch_size,
        "seed": config.seed,
        "limit": config.limit,
        "train_images": len(x_train),
        "validation_images": len(x_val),
        "recipe": recipe.to_dict(),
        "data": {"source": mnist.source, "sha256": mnist.sha256},
        "train_seconds": round(seconds[0], 1),
        "resumed_from_epoch": first_epoch,
        "versions": _versions(),
        "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": _command_line(),
    }
    files = _write_artifacts(out, model, metrics, history, report, config.arch.value)
    echo(f"test accuracy {report.accuracy:.2%} (error {report.error:.2%}) on "
         f"{report.count:,} test images of {mnist.source}")
    return TrainResult(out=out, model_path=out / "model.keras", metrics=metrics, report=report,
                       epochs_run=epochs_run, resumed_from=first_epoch, files=files)


def _write_artifacts(out: Path, model: Any, metrics: dict[str, Any],
                     history: dict[str, list[float]], report: EvalReport,
                     arch: str) -> tuple[Path, ...]:
    from train.plots import plot_confusion, plot_history

    title = f"{arch}: test accuracy {report.accuracy:.2%}"
    return (
        save_model(model, out / "model.keras"),
        write_json(out / "history.json", history),
        plot_history(history, out / "training_curves.png", title),
        plot_confusion(report.confusion, out / "confusion_matrix.png", title),
        # metrics.json last: its presence says the run finished.
        write_json(out / "metrics.json", metrics),
    )
