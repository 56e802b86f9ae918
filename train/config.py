"""The options of a training run, validated: :class:`TrainConfig`.

Its own module, as ``export/config.py`` is for export: the checkpoints and the
training loop both need it, and neither should import the other to get it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from edgecnn.train.distribute import Distribute
from edgecnn.train.models import Arch, Recipe, RecipeKind, get_architecture

MIN_LIMIT = 100


@dataclass(frozen=True)
class TrainConfig:
    """Everything ``edgecnn train`` takes; each field is one command-line option.

    Attributes:
        arch: architecture name (see :data:`edgecnn.train.models.ARCHITECTURES`).
        epochs: passes over the data; ``None`` takes the architecture's recipe.
        batch_size: images per step; ``None`` takes the recipe.
        seed: fixes weights, data order and augmentation.
        data: dataset path for :func:`edgecnn.train.data.load_mnist`; ``None``: bundled MNIST.
        out: folder for the artifacts (created if needed).
        resume: continue from ``<out>/checkpoints`` when a checkpoint is there.
        limit: train on only the first ``limit`` training images (quick tries, tests).
        recipe_kind: the architecture's default recipe, or its robust one.
        distribute: one device, ``mirrored`` (local GPUs or logical CPUs) or
            ``multi-worker`` (``TF_CONFIG``); see :mod:`edgecnn.train.distribute`.
        logical_cpus: with ``mirrored``, split the CPU into this many devices.
    """

    arch: Arch = Arch.SEED
    epochs: int | None = None
    batch_size: int | None = None
    seed: int = 0
    data: Path | None = None
    out: Path = Path("artifacts")
    resume: bool = False
    limit: int | None = None
    recipe_kind: RecipeKind = RecipeKind.DEFAULT
    distribute: Distribute = Distribute.NONE
    logical_cpus: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "arch", get_architecture(self.arch).name)
        object.__setattr__(self, "recipe_kind", RecipeKind(self.recipe_kind))
        object.__setattr__(self, "distribute", Distribute(self.distribute))
        if self.logical_cpus is not None:
            if self.distribute is not Distribute.MIRRORED:
                raise ValueError("--logical-cpus needs --distribute mirrored")
            if not 2 <= self.logical_cpus <= 64:
                raise ValueError(f"--logical-cpus must be in [2, 64], got {self.logical_cpus}")
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
        """The architecture's recipe of this kind, with this run's epochs and batch size."""
        base = get_architecture(self.arch).recipe_for(self.recipe_kind)
        return replace(
            base, epochs=self.epochs or base.epochs, batch_size=self.batch_size or base.batch_size
        )
