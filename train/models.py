"""The model registry: each architecture by name, with its default training recipe.

Every model takes the float image from :func:`edge_runtime.preprocess.normalize`
((N, 28, 28, 1) in [0, 1]) and returns softmax probabilities over the ten digits.
Augmentation is part of the recipe, applied in the input pipeline, never a layer
of the model, so an exported model holds only the architecture below.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from enum import Enum
from typing import Any

INPUT_SHAPE = (28, 28, 1)
NUM_CLASSES = 10


class Arch(str, Enum):
    """The architectures :func:`build_model` knows."""

    SEED = "seed"
    TINY = "tiny"
    LARGE = "large"


class Schedule(str, Enum):
    """How the learning rate moves over training."""

    CONSTANT = "constant"
    COSINE = "cosine"  # from the initial rate down to ``final_lr_fraction`` of it


@dataclass(frozen=True)
class Augmentation:
    """Random affine distortions applied per image while training.

    Attributes:
        rotation_deg: rotate by up to this many degrees either way.
        shift_px: translate by up to this many pixels along each axis.
        zoom: scale by a factor in ``[1 - zoom, 1 + zoom]``.
    """

    rotation_deg: float = 0.0
    shift_px: float = 0.0
    zoom: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.rotation_deg <= 45.0:
            raise ValueError(f"rotation_deg must be in [0, 45], got {self.rotation_deg}")
        if not 0.0 <= self.shift_px <= 8.0:
            raise ValueError(f"shift_px must be in [0, 8], got {self.shift_px}")
        if not 0.0 <= self.zoom < 0.5:
            raise ValueError(f"zoom must be in [0, 0.5), got {self.zoom}")

    @property
    def enabled(self) -> bool:
        return bool(self.rotation_deg or self.shift_px or self.zoom)


@dataclass(frozen=True)
class Recipe:
    """How an architecture is trained by default.

    Attributes:
        epochs: passes over the training images.
        batch_size: images per step.
        learning_rate: Adam's initial learning rate.
        schedule: learning-rate schedule over all steps.
        final_lr_fraction: where the cosine schedule ends, as a fraction of the start.
        augmentation: random distortions of the training images.
        label_smoothing: cross-entropy label smoothing.
    """

    epochs: int
    batch_size: int
    learning_rate: float
    schedule: Schedule = Schedule.COSINE
    final_lr_fraction: float = 0.01
    augmentation: Augmentation = Augmentation()
    label_smoothing: float = 0.0

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError("a recipe needs epochs >= 1 and batch_size >= 1")
        if not 0.0 < self.learning_rate < 1.0:
            raise ValueError(f"learning_rate must be in (0, 1), got {self.learning_rate}")
        if not 0.0 <= self.final_lr_fraction <= 1.0:
            raise ValueError("final_lr_fraction must be in [0, 1]")
        if not 0.0 <= self.label_smoothing < 1.0:
            raise ValueError("label_smoothing must be in [0, 1)")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view, for metrics.json."""
        out = asdict(self)
        out["schedule"] = self.schedule.value
        return out


def _seed(keras: Any) -> Any:
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input(INPUT_SHAPE),
            layers.Conv2D(32, 5, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Dropout(0.2),
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dense(NUM_CLASSES, activation="softmax"),
        ],
        name="seed",
    )


def _tiny(keras: Any) -> Any:
    layers = keras.layers

    def block(filters: int) -> list[Any]:
        # BatchNorm folds into the convolution at conversion time: free on the device.
        return [
            layers.SeparableConv2D(filters, 3, padding="same", use_bias=False),
            layers.BatchNormalization(),
            layers.ReLU(),
        ]

    return keras.Sequential(
        [
            keras.Input(INPUT_SHAPE),
            layers.Conv2D(16, 3, strides=2, padding="same", use_bias=False),
            layers.BatchNormalization(),
            layers.ReLU(),
            *block(32),
            layers.MaxPooling2D(2),
            *block(64),
            layers.GlobalAveragePooling2D(),
            layers.Dense(NUM_CLASSES, activation="softmax"),
        ],
        name="tiny",
    )


def _large(keras: Any) -> Any:
    layers = keras.layers

    def conv(filters: int) -> list[Any]:
        return [
            layers.Conv2D(filters, 3, use_bias=False),
            layers.BatchNormalization(),
            layers.ReLU(),
        ]

    return keras.Sequential(
        [
            keras.Input(INPUT_SHAPE),
            *conv(32),
            *conv(32),
            layers.MaxPooling2D(2),
            layers.Dropout(0.1),
            *conv(64),
            *conv(64),
            layers.MaxPooling2D(2),
            layers.Dropout(0.1),
            layers.Flatten(),
            layers.Dense(256, use_bias=False),
            layers.BatchNormalization(),
            layers.ReLU(),
            layers.Dropout(0.3),
            layers.Dense(NUM_CLASSES, activation="softmax"),
        ],
        name="large",
    )


@dataclass(frozen=True)
class Architecture:
    """One registry entry: how to build the model and how to train it by default."""

    name: Arch
    description: str
    recipe: Recipe
    build: Callable[[Any], Any]


ARCHITECTURES: dict[Arch, Architecture] = {
    entry.name: entry
    for entry in (
        Architecture(
            Arch.SEED,
            "conv5x5x32, maxpool, dropout, dense 128: the classic baseline (592,074 params)",
            Recipe(
                epochs=12,
                batch_size=200,
                learning_rate=2e-3,
                augmentation=Augmentation(rotation_deg=8.0, shift_px=2.0, zoom=0.08),
            ),
            _seed,
        ),
        Architecture(
            Arch.TINY,
            "depthwise-separable convs + global pool for microcontrollers (~4k params)",
            Recipe(
                epochs=30,
                batch_size=128,
                learning_rate=5e-3,
                augmentation=Augmentation(rotation_deg=8.0, shift_px=2.0, zoom=0.08),
            ),
            _tiny,
        ),
        Architecture(
            Arch.LARGE,
            "2x(2 conv3x3 + BN) blocks, dense 256 + BN, dropout: for >= 99.6%",
            Recipe(
                epochs=30,
                batch_size=128,
                learning_rate=2e-3,
                label_smoothing=0.05,
                augmentation=Augmentation(rotation_deg=10.0, shift_px=2.5, zoom=0.1),
            ),
            _large,
        ),
    )
}


def get_architecture(arch: Arch | str) -> Architecture:
    """Look up an architecture by name.

    Raises:
        ValueError: the name is not in :data:`ARCHITECTURES`.
    """
    try:
        return ARCHITECTURES[Arch(arch)]
    except ValueError:
        known = ", ".join(a.value for a in Arch)
        raise ValueError(f"unknown architecture {arch!r} (known: {known})") from None


def build_model(arch: Arch | str = Arch.SEED, seed: int = 0) -> Any:
    """Build an untrained model of the named architecture.

    Args:
        arch: a name from :data:`ARCHITECTURES`.
        seed: seeds Python, numpy and the backend (``keras.utils.set_random_seed``)
            so the initial weights are reproducible.

    Returns:
        An uncompiled ``keras.Model``: (N, 28, 28, 1) float in [0, 1] -> (N, 10) softmax.

    Raises:
        ValueError: unknown architecture.
    """
    entry = get_architecture(arch)
    import keras

    keras.utils.set_random_seed(seed)
    return entry.build(keras)
