"""The model registry: each architecture by name, with its default training recipe.

Every model takes the float image from :func:`edge_runtime.preprocess.normalize`
((N, 28, 28, 1) in [0, 1]) and returns softmax probabilities over the ten digits.
Augmentation is part of the recipe, applied in the input pipeline, never a layer
of the model, so an exported model holds only the architecture below.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from enum import Enum
from typing import Any

INPUT_SHAPE = (28, 28, 1)
NUM_CLASSES = 10


class Arch(str, Enum):
    """The architectures :func:`build_model` knows."""

    SEED = "seed"
    TINY = "tiny"
    LARGE = "large"
    WIDE = "wide"


class Schedule(str, Enum):
    """How the learning rate moves over training."""

    CONSTANT = "constant"
    COSINE = "cosine"  # from the initial rate down to ``final_lr_fraction`` of it


_PROBABILITIES = (
    "refit_prob",
    "elastic_prob",
    "stroke_prob",
    "binarize_prob",
    "blur_prob",
    "noise_prob",
)


@dataclass(frozen=True)
class Augmentation:
    """Random distortions applied per image while training.

    The first three fields are the affine distortion every recipe has used. The rest
    model a camera and a pen (:mod:`edgecnn.train.augment`); they default to off, and
    while they are all off the batches are those of the affine path, bit for bit.

    Attributes:
        rotation_deg: rotate by up to this many degrees either way.
        shift_px: translate by up to this many pixels along each axis (after the re-fit).
        zoom: scale by a factor in ``[1 - zoom, 1 + zoom]``.
        aspect: widen by a factor of up to ``1 + aspect`` (log-uniform).
        aspect_narrow: narrow by a factor of down to ``1 / (1 + aspect_narrow)``.
        shear: shear ``x += k * y`` with ``k`` in ``[-shear, shear]``.
        refit_prob: chance of a ``to_mnist``-like re-fit after the affine: the ink's box
            scaled to 20 px (jittered by ``refit_size_jitter``), its centre of mass at (14, 14).
        refit_size_jitter: relative jitter of that 20 px.
        elastic_prob: chance of a smooth elastic displacement.
        elastic_alpha: the displacement's largest control vector, in pixels.
        elastic_grid: control points per side of the displacement field.
        stroke_prob: chance of a pen-width change, a blend of erosion / identity /
            dilations drawn in ``[stroke_min, stroke_max]`` (-1: erode 2x2, 1: dilate
            2x2, 2: dilate 3x3).
        stroke_min: thinnest pen.
        stroke_max: thickest pen.
        binarize_prob: chance of thresholding at a random level in [0.25, 0.6].
        blur_prob: chance of a Gaussian blur of sigma up to ``blur_sigma``, re-saturated.
        blur_sigma: the largest blur.
        noise_prob: chance of Gaussian noise of sigma up to ``noise_sigma``.
        noise_sigma: the largest noise, in units of full ink.
    """

    rotation_deg: float = 0.0
    shift_px: float = 0.0
    zoom: float = 0.0
    aspect: float = 0.0
    aspect_narrow: float = 0.0
    shear: float = 0.0
    refit_prob: float = 0.0
    refit_size_jitter: float = 0.08
    elastic_prob: float = 0.0
    elastic_alpha: float = 2.0
    elastic_grid: int = 4
    stroke_prob: float = 0.0
    stroke_min: float = -1.0
    stroke_max: float = 2.0
    binarize_prob: float = 0.0
    blur_prob: float = 0.0
    blur_sigma: float = 1.0
    noise_prob: float = 0.0
    noise_sigma: float = 0.2

    def __post_init__(self) -> None:
        if not 0.0 <= self.rotation_deg <= 45.0:
            raise ValueError(f"rotation_deg must be in [0, 45], got {self.rotation_deg}")
        if not 0.0 <= self.shift_px <= 8.0:
            raise ValueError(f"shift_px must be in [0, 8], got {self.shift_px}")
        if not 0.0 <= self.zoom < 0.5:
            raise ValueError(f"zoom must be in [0, 0.5), got {self.zoom}")
        for name in _PROBABILITIES:
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {getattr(self, name)}")
        for name in ("aspect", "aspect_narrow"):
            if not 0.0 <= getattr(self, name) <= 1.5:
                raise ValueError(f"{name} must be in [0, 1.5], got {getattr(self, name)}")
        if not 0.0 <= self.shear <= 1.0:
            raise ValueError(f"shear must be in [0, 1], got {self.shear}")
        if not 0.0 <= self.refit_size_jitter < 0.5:
            raise ValueError(f"refit_size_jitter must be in [0, 0.5), got {self.refit_size_jitter}")
        if not 0.0 <= self.elastic_alpha <= 8.0 or self.elastic_grid < 2:
            raise ValueError("need 0 <= elastic_alpha <= 8 and elastic_grid >= 2")
        if not -1.0 <= self.stroke_min <= self.stroke_max <= 2.0:
            raise ValueError(
                f"need -1 <= stroke_min <= stroke_max <= 2, got {self.stroke_min}, "
                f"{self.stroke_max}"
            )
        if not 0.3 <= self.blur_sigma <= 3.0:
            raise ValueError(f"blur_sigma must be in [0.3, 3], got {self.blur_sigma}")
        if not 0.0 <= self.noise_sigma <= 1.0:
            raise ValueError(f"noise_sigma must be in [0, 1], got {self.noise_sigma}")

    @property
    def robust(self) -> bool:
        """Whether any camera/pen distortion is on (else: the affine path alone)."""
        return bool(
            self.aspect
            or self.aspect_narrow
            or self.shear
            or any(getattr(self, name) for name in _PROBABILITIES)
        )

    @property
    def enabled(self) -> bool:
        return bool(self.rotation_deg or self.shift_px or self.zoom or self.robust)


#: The camera/pen distortions of the robust recipes: widen more than narrow (camera
#: crops of square-boxed digits; narrowing turns 7s into flagged 1s), re-fit as
#: ``to_mnist`` does, then shift; pen width, elastic, binarise, blur and noise sometimes.
ROBUST_AUGMENTATION = Augmentation(
    rotation_deg=10.0,
    shift_px=3.5,
    zoom=0.1,
    aspect=0.7,
    aspect_narrow=0.1,
    shear=0.15,
    refit_prob=0.8,
    elastic_prob=0.15,
    stroke_prob=0.5,
    binarize_prob=0.1,
    blur_prob=0.15,
    noise_prob=0.2,
)


class RecipeKind(str, Enum):
    """Which of an architecture's recipes a run uses."""

    DEFAULT = "default"  # the recipe the zoo was first trained with
    ROBUST = "robust"  # the same with ROBUST_AUGMENTATION: for camera crops


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

    # The first conv sees the full 28x28 (a stride-2 one lost thin strokes: 95.3% of
    # the thinned test set, int8), then pools; blocks 48 and 96 wide.
    return keras.Sequential(
        [
            keras.Input(INPUT_SHAPE),
            layers.Conv2D(24, 3, padding="same", use_bias=False),
            layers.BatchNormalization(),
            layers.ReLU(),
            layers.MaxPooling2D(2),
            *block(48),
            layers.MaxPooling2D(2),
            *block(96),
            layers.GlobalAveragePooling2D(),
            layers.Dense(NUM_CLASSES, activation="softmax"),
        ],
        name="tiny",
    )


def _conv_bn(layers: Any, filters: int, size: int = 3, strides: int = 1) -> list[Any]:
    # conv without bias (batch norm has one), batch norm, ReLU; a strided conv pads
    # "same" so that it halves the map as a 2x2 pooling would
    return [
        layers.Conv2D(
            filters,
            size,
            strides=strides,
            padding="same" if strides > 1 else "valid",
            use_bias=False,
        ),
        layers.BatchNormalization(),
        layers.ReLU(),
    ]


def _dense_head(layers: Any, units: int) -> list[Any]:
    # flatten, a dense layer with batch norm and dropout, the softmax
    return [
        layers.Flatten(),
        layers.Dense(units, use_bias=False),
        layers.BatchNormalization(),
        layers.ReLU(),
        layers.Dropout(0.3),
        layers.Dense(NUM_CLASSES, activation="softmax"),
    ]


def _large(keras: Any) -> Any:
    layers = keras.layers

    def conv(filters: int) -> list[Any]:
        return _conv_bn(layers, filters)

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
            *_dense_head(layers, 256),
        ],
        name="large",
    )


def _wide(keras: Any) -> Any:
    # large's blocks with a strided 5x5 conv where large pools: the net learns how to
    # shrink (as the best single CNNs on Kaggle's MNIST do), heavier dropout.
    layers = keras.layers

    def conv(filters: int, size: int = 3, strides: int = 1) -> list[Any]:
        return _conv_bn(layers, filters, size, strides)

    return keras.Sequential(
        [
            keras.Input(INPUT_SHAPE),
            *conv(32),
            *conv(32),
            *conv(32, 5, 2),
            layers.Dropout(0.3),
            *conv(64),
            *conv(64),
            *conv(64, 5, 2),
            layers.Dropout(0.3),
            *_dense_head(layers, 128),
        ],
        name="wide",
    )


@dataclass(frozen=True)
class Architecture:
    """One registry entry: how to build the model and how to train it.

    Attributes:
        name: the architecture.
        description: one line for ``--help`` and the zoo.
        recipe: the default recipe (what ``edgecnn train --arch NAME`` uses).
        build: ``build(keras) -> keras.Model``.
        robust_recipe: the recipe of ``--recipe robust``.
    """

    name: Arch
    description: str
    recipe: Recipe
    build: Callable[[Any], Any]
    robust_recipe: Recipe

    def recipe_for(self, kind: RecipeKind | str) -> Recipe:
        """The recipe of that kind."""
        return self.robust_recipe if RecipeKind(kind) is RecipeKind.ROBUST else self.recipe


_SEED_RECIPE = Recipe(
    epochs=12,
    batch_size=200,
    learning_rate=2e-3,
    augmentation=Augmentation(rotation_deg=8.0, shift_px=2.0, zoom=0.08),
)
_TINY_RECIPE = Recipe(
    epochs=30,
    batch_size=128,
    learning_rate=5e-3,
    augmentation=Augmentation(rotation_deg=8.0, shift_px=2.0, zoom=0.08),
)
# 8k parameters: thin strokes and rotations beyond what the bigger nets need are seen
# more often, and for longer.
_TINY_ROBUST_RECIPE = replace(
    _TINY_RECIPE,
    epochs=40,
    augmentation=replace(ROBUST_AUGMENTATION, rotation_deg=15.0, stroke_prob=0.9, stroke_max=0.5),
)
_LARGE_RECIPE = Recipe(
    epochs=30,
    batch_size=128,
    learning_rate=2e-3,
    label_smoothing=0.05,
    augmentation=Augmentation(rotation_deg=10.0, shift_px=2.5, zoom=0.1),
)

ARCHITECTURES: dict[Arch, Architecture] = {
    entry.name: entry
    for entry in (
        Architecture(
            Arch.SEED,
            "conv5x5x32, maxpool, dropout, dense 128: the classic baseline (592,074 params)",
            _SEED_RECIPE,
            _seed,
            replace(_SEED_RECIPE, epochs=30, augmentation=ROBUST_AUGMENTATION),
        ),
        Architecture(
            Arch.TINY,
            "conv + two depthwise-separable blocks + global pool: microcontrollers (~8k params)",
            _TINY_RECIPE,
            _tiny,
            _TINY_ROBUST_RECIPE,
        ),
        Architecture(
            Arch.LARGE,
            "2x(2 conv3x3 + BN) blocks, dense 256 + BN, dropout: for >= 99.6%",
            _LARGE_RECIPE,
            _large,
            replace(_LARGE_RECIPE, augmentation=ROBUST_AUGMENTATION),
        ),
        Architecture(
            Arch.WIDE,
            "2x(2 conv3x3 + strided conv5x5, BN) blocks, dense 128 + BN: the best single model",
            _LARGE_RECIPE,
            _wide,
            replace(_LARGE_RECIPE, augmentation=ROBUST_AUGMENTATION),
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
