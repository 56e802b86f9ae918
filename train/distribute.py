"""Training on several devices or machines with TensorFlow's own engine (``tf.distribute``).

:class:`Distribute` names the three ways: one device (the default), ``mirrored``
(``tf.distribute.MirroredStrategy`` over all local GPUs, or over the CPU split into
``logical_cpus`` logical devices) and ``multi-worker``
(``tf.distribute.MultiWorkerMirroredStrategy``; the cluster and this process's place in it
come from the ``TF_CONFIG`` environment variable). Every worker builds the same batches
from the same seed; ``tf.data`` auto-sharding splits each global batch across workers and
replicas, so the recipe's batch size stays the global one.

Mirrored training goes through ``model.fit``. Multi-worker training does not: in Keras 3
``model.fit`` under ``MultiWorkerMirroredStrategy`` fails while reducing its per-replica
metrics (keras-team/keras#20585), so :func:`fit_multi_worker` runs the same steps
(Adam on the recipe's loss, gradients all-reduced by the strategy) in a loop of its own
and calls the same Keras callbacks, so checkpoints, resume and outputs are those of
``model.fit``. Only the chief (worker 0) writes files.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from enum import Enum
from typing import Any


class Distribute(str, Enum):
    """How a training run spreads over devices."""

    NONE = "none"
    MIRRORED = "mirrored"
    MULTI_WORKER = "multi-worker"


@dataclass(frozen=True)
class Placement:
    """The strategy of a run and this process's part in it.

    Attributes:
        strategy: the ``tf.distribute.Strategy``, ``None`` for one device.
        replicas: replicas in sync (1 for one device).
        chief: whether this process writes the checkpoints and artifacts.
        description: one line for the progress output.
    """

    strategy: Any
    replicas: int
    chief: bool
    description: str


def _split_cpu(tf: Any, count: int) -> None:
    cpus = tf.config.list_physical_devices("CPU")
    try:
        tf.config.set_logical_device_configuration(
            cpus[0], [tf.config.LogicalDeviceConfiguration() for _ in range(count)]
        )
    except RuntimeError as exc:
        # The split must happen before TensorFlow starts its runtime.
        raise ValueError(
            f"cannot split the CPU into {count} logical devices once TensorFlow has "
            f"started ({exc}); run the training in a fresh process"
        ) from exc


def _cluster() -> tuple[dict[str, Any], str, int]:
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        raise ValueError(
            "--distribute multi-worker needs TF_CONFIG (the cluster's workers and this "
            'process\'s task, e.g. {"cluster": {"worker": ["host1:port", "host2:port"]}, '
            '"task": {"type": "worker", "index": 0}})'
        )
    try:
        config = json.loads(raw)
        cluster = dict(config["cluster"])
        task_type, index = str(config["task"]["type"]), int(config["task"]["index"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"TF_CONFIG is not a cluster and task description: {exc}") from exc
    return cluster, task_type, index


def place(distribute: Distribute, logical_cpus: int | None = None) -> Placement:
    """Create the strategy for a run; call before any other TensorFlow op.

    Args:
        distribute: the way to spread the run.
        logical_cpus: with ``mirrored`` and no GPU, split the CPU into this many devices.

    Returns:
        The :class:`Placement`.

    Raises:
        ValueError: a bad combination of options, TensorFlow already started (for the
            CPU split), or a missing or malformed ``TF_CONFIG``.
    """
    import tensorflow as tf

    distribute = Distribute(distribute)
    if logical_cpus is not None and distribute is not Distribute.MIRRORED:
        raise ValueError("--logical-cpus splits the CPU for --distribute mirrored only")
    if distribute is Distribute.NONE:
        return Placement(None, 1, True, "one device")
    if distribute is Distribute.MIRRORED:
        if logical_cpus is not None:
            _split_cpu(tf, logical_cpus)
            devices = [d.name for d in tf.config.list_logical_devices("CPU")]
        else:
            devices = [d.name for d in tf.config.list_logical_devices("GPU")] or [
                d.name for d in tf.config.list_logical_devices("CPU")
            ]
        strategy = tf.distribute.MirroredStrategy(devices)
        return Placement(
            strategy, strategy.num_replicas_in_sync, True, f"mirrored on {', '.join(devices)}"
        )
    cluster, task_type, index = _cluster()
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    chief = task_type == "chief" or (
        task_type == "worker" and index == 0 and "chief" not in cluster
    )
    workers = sum(len(v) for k, v in cluster.items() if k in ("chief", "worker"))
    return Placement(
        strategy,
        strategy.num_replicas_in_sync,
        chief,
        f"multi-worker: {task_type} {index} of {workers} workers, "
        f"{strategy.num_replicas_in_sync} replicas",
    )


def shard_by_data(dataset: Any) -> Any:
    """Let ``tf.data`` split each global batch across workers (the data is in memory)."""
    import tensorflow as tf

    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)


def fit_multi_worker(
    model: Any,
    dataset: Any,
    strategy: Any,
    *,
    epochs: int,
    initial_epoch: int,
    steps_per_epoch: int,
    validation: tuple[Any, Any],
    callbacks: list[Any],
) -> None:
    """``model.fit`` for ``MultiWorkerMirroredStrategy``: the same steps and callbacks.

    Args:
        model: a compiled model built under ``strategy.scope()``.
        dataset: the global batches (every worker builds the same ones).
        strategy: the ``MultiWorkerMirroredStrategy``.
        epochs: train until this epoch.
        initial_epoch: the epoch to start from (a resumed run).
        steps_per_epoch: batches per epoch.
        validation: (images, one-hot labels), scored on each worker locally.
        callbacks: Keras callbacks; they see the logs ``model.fit`` would give them.
    """
    import keras
    import tensorflow as tf

    loss_fn = model.loss
    optimizer = model.optimizer
    iterator = iter(strategy.experimental_distribute_dataset(shard_by_data(dataset)))

    def replica_step(x: Any, y: Any) -> Any:
        with tf.GradientTape() as tape:
            predictions = model(x, training=True)
            # Keras divides a loss by the replicas in sync inside a replica context, so the
            # all-reduced (summed) gradient is that of the global mean.
            loss = loss_fn(y, predictions)
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables, strict=True))
        right = tf.reduce_sum(tf.cast(tf.argmax(predictions, 1) == tf.argmax(y, 1), tf.float32))
        count = tf.cast(tf.shape(y)[0], tf.float32)
        return loss * count * strategy.num_replicas_in_sync, right, count

    @tf.function
    def train_step(it: Any) -> Any:
        outputs = strategy.run(replica_step, args=next(it))
        return [strategy.reduce(tf.distribute.ReduceOp.SUM, v, axis=None) for v in outputs]

    val_x, val_y = validation

    @tf.function
    def score(x: Any) -> Any:
        return model(x, training=False)

    listed = keras.callbacks.CallbackList(callbacks, model=model)
    listed.on_train_begin()
    for epoch in range(initial_epoch, epochs):
        listed.on_epoch_begin(epoch)
        total_loss = total_right = total_count = 0.0
        for _ in range(steps_per_epoch):
            loss, right, count = (float(v) for v in train_step(iterator))
            total_loss, total_right, total_count = (
                total_loss + loss,
                total_right + right,
                total_count + count,
            )
        probabilities = tf.concat(
            [score(val_x[i : i + 1000]) for i in range(0, len(val_x), 1000)], axis=0
        )
        logs = {
            "accuracy": total_right / total_count,
            "loss": total_loss / total_count,
            "val_accuracy": float(
                tf.reduce_mean(
                    tf.cast(tf.argmax(probabilities, 1) == tf.argmax(val_y, 1), tf.float32)
                )
            ),
            "val_loss": float(loss_fn(val_y, probabilities)),
        }
        listed.on_epoch_end(epoch, logs)
    listed.on_train_end()
