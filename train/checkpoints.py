"""Per-epoch checkpoints: what is saved, how it is read back, and what must match.

After every epoch the model (with its optimizer state) is saved as
``<out>/checkpoints/epoch-NNN.keras``, then ``state.json`` naming it, with the
epoch, the history so far and the options that shaped the run; older epoch
models are then removed, so Ctrl-C loses at most one epoch. A resume is allowed
only when those options (:func:`config_fingerprint`) match.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from edge_runtime._files import write_json
from edgecnn.train.artifacts import save_model
from edgecnn.train.config import TrainConfig
from edgecnn.train.models import RecipeKind

CHECKPOINT_DIR = "checkpoints"
STATE_FILE = "state.json"
CHECKPOINT_SCHEMA = 1


def config_fingerprint(config: TrainConfig, data_sha256: str) -> dict[str, Any]:
    """The options a checkpoint must share with the run that resumes it.

    Args:
        config: the run's options.
        data_sha256: the dataset's digest.

    Returns:
        A JSON-ready dict, stored in ``state.json`` as ``config``.
    """
    recipe = config.recipe
    fingerprint = {
        "arch": config.arch.value,
        "epochs": recipe.epochs,
        "batch_size": recipe.batch_size,
        "seed": config.seed,
        "limit": config.limit,
        "data_sha256": data_sha256,
    }
    # Only when not the default, so checkpoints made before recipe kinds still resume.
    if config.recipe_kind is not RecipeKind.DEFAULT:
        fingerprint["recipe"] = config.recipe_kind.value
    return fingerprint


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
        raise ValueError(
            f"{state_path}: unreadable checkpoint state ({exc}); use --no-resume to start over"
        ) from exc
    if not model_path.is_file():
        raise ValueError(f"{model_path}: checkpoint model missing; use --no-resume to start over")
    return state


def reseed_layers(model: Any, epoch: int) -> None:
    """Start each epoch's dropout noise from a state fixed by the epoch number.

    Keras does not carry the counter of a layer's random stream through a saved
    model, so without this a resumed run would draw other dropout masks than an
    uninterrupted one.
    """
    for variable in model.non_trainable_variables:
        if variable.path.endswith("seed_generator_state"):
            base = np.asarray(variable.numpy())[0]
            variable.assign(np.array([base, epoch * 1_000_000], dtype=variable.dtype))


def checkpoint_callback(
    folder: Path,
    fingerprint: dict[str, Any],
    history: dict[str, list[float]],
    seconds: list[float],
    write: bool = True,
) -> Any:
    """A Keras callback that reseeds each epoch and checkpoints it when it ends.

    Args:
        folder: where the epoch models and ``state.json`` go.
        fingerprint: :func:`config_fingerprint` of the run, stored in the state.
        history: the per-epoch logs so far; the callback appends to it.
        seconds: one-element list with the training time so far; the callback adds to it.
        write: save the checkpoint (``False`` on the workers of a cluster other than the
            chief: they reseed in step with it and leave the files to it).

    Returns:
        The ``keras.callbacks.Callback``.
    """
    import keras

    class Checkpoint(keras.callbacks.Callback):
        """Save model + optimizer, then the state naming it; then drop older models."""

        def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
            self._start = time.perf_counter()
            reseed_layers(self.model, epoch)

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            seconds[0] += time.perf_counter() - self._start
            for key, value in (logs or {}).items():
                history.setdefault(key, []).append(float(value))
            if not write:
                return
            name = f"epoch-{epoch + 1:03d}.keras"
            save_model(self.model, folder / name)
            write_json(
                folder / STATE_FILE,
                {
                    "schema_version": CHECKPOINT_SCHEMA,
                    "epoch": epoch + 1,
                    "model_file": name,
                    "history": history,
                    "train_seconds": seconds[0],
                    "config": fingerprint,
                },
            )
            for old in folder.glob("epoch-*.keras"):
                if old.name != name:
                    old.unlink(missing_ok=True)

    return Checkpoint()
