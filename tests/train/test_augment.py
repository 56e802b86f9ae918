"""The camera/pen augmentation: off by default (old batches bit for bit), seeded, in range."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import numpy as np
import pytest

from edgecnn.train.models import (
    ARCHITECTURES,
    ROBUST_AUGMENTATION,
    Arch,
    Augmentation,
    Recipe,
    RecipeKind,
    get_architecture,
)
from edgecnn.train.pipeline import make_train_dataset

# SHA-256 of the first three batches (images and labels) of epoch 1 of each default
# recipe on the first 1,000 training images, seed 0, computed with train/pipeline.py as
# it was before the robust augmentation existed (commit cabf6a5).
DEFAULT_BATCHES_SHA256 = {
    Arch.SEED: "2a3eea6fc4e3070368eb5900ad2d7e646cbdbda57bb20e616c293b27cdf3fc3a",
    Arch.TINY: "65f5b58e60bcc4d9a8a1221d91045ee639f416fa82d9eb84d0cd8dccb1e07bef",
    Arch.LARGE: "9d0b937fea087736f38c74e8e9cb3a551e70da7b929852ae8abf24692b37bbdd",
}
DEFAULT_BATCHES_SHA256[Arch.WIDE] = DEFAULT_BATCHES_SHA256[Arch.LARGE]  # large's recipe


def _batches(mnist, recipe: Recipe, seed: int = 0, count: int = 1000, take: int = 3):
    from edge_runtime.preprocess import normalize

    dataset = make_train_dataset(
        normalize(mnist.train_images[:count]), mnist.train_labels[:count], recipe, seed, 1
    )
    return [(x.numpy(), y.numpy()) for x, y in dataset.take(take)]


@pytest.mark.parametrize("arch", list(Arch))
def test_default_recipes_give_the_batches_they_always_gave(mnist, arch):
    recipe = replace(get_architecture(arch).recipe, epochs=2)
    assert not recipe.augmentation.robust
    digest = hashlib.sha256()
    for x, y in _batches(mnist, recipe):
        digest.update(x.tobytes())
        digest.update(y.tobytes())
    assert digest.hexdigest() == DEFAULT_BATCHES_SHA256[arch]


def test_every_architecture_has_a_robust_recipe_differing_only_in_augmentation_and_length():
    for entry in ARCHITECTURES.values():
        robust = entry.recipe_for(RecipeKind.ROBUST)
        assert robust.augmentation.robust and robust.epochs >= entry.recipe.epochs
        assert entry.recipe_for("default") is entry.recipe
        assert replace(robust, augmentation=entry.recipe.augmentation, epochs=1) == replace(
            entry.recipe, epochs=1
        )
    assert ARCHITECTURES[Arch.SEED].robust_recipe.augmentation == ROBUST_AUGMENTATION
    # tiny's own: the shared one with more rotation and more, thinner, pen changes
    tiny = ARCHITECTURES[Arch.TINY].robust_recipe.augmentation
    assert replace(tiny, rotation_deg=10.0, stroke_prob=0.5, stroke_max=2.0) == ROBUST_AUGMENTATION


@pytest.fixture(scope="module")
def robust_batches(mnist):
    recipe = Recipe(epochs=2, batch_size=100, learning_rate=1e-3, augmentation=ROBUST_AUGMENTATION)
    return recipe, _batches(mnist, recipe, count=400, take=2)


def test_robust_batches_are_deterministic_from_the_seed(mnist, robust_batches):
    recipe, first = robust_batches
    again = _batches(mnist, recipe, count=400, take=2)
    other = _batches(mnist, recipe, seed=1, count=400, take=2)
    for (x, y), (x2, y2) in zip(first, again, strict=True):
        np.testing.assert_array_equal(x, x2)
        np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(first[0][0], other[0][0])


def test_robust_batches_keep_shape_range_and_ink(mnist, robust_batches):
    from edge_runtime.preprocess import normalize

    _, batches = robust_batches
    x, y = batches[0]
    assert x.shape == (100, 28, 28, 1) and x.dtype == np.float32 and y.shape == (100, 10)
    assert x.min() >= 0.0 and x.max() <= 1.0
    order = np.random.default_rng([0, 1]).permutation(400)[:100]
    original = normalize(mnist.train_images[:400])[order]
    assert not np.allclose(x, original)
    # The digit survives: every image keeps a fair share of its ink and stays near the centre.
    ink = (x > 0.5).sum(axis=(1, 2, 3))
    assert (ink >= 0.25 * (original > 0.5).sum(axis=(1, 2, 3))).all()
    grid = np.arange(28)
    mass = x[..., 0].sum(axis=(1, 2))
    rows = (x[..., 0].sum(axis=2) * grid).sum(axis=1) / mass
    cols = (x[..., 0].sum(axis=1) * grid).sum(axis=1) / mass
    assert (np.abs(rows - 13.5) < 7).all() and (np.abs(cols - 13.5) < 7).all()


def _one(tf, aug: Augmentation, image: np.ndarray, seed: int = 3) -> np.ndarray:
    from edgecnn.train.augment import robust_augment_batch

    out = robust_augment_batch(image[None, :, :, None], tf.constant([seed, 0], tf.int64), aug)
    return out.numpy()[0, :, :, 0]


def test_each_distortion_does_what_it_says(mnist):
    import tensorflow as tf

    from edge_runtime.preprocess import normalize

    image = normalize(mnist.test_images[:1])[0, :, :, 0]
    ink = image.sum()
    thick = _one(tf, Augmentation(stroke_prob=1.0, stroke_min=1.5, stroke_max=2.0), image)
    thin = _one(tf, Augmentation(stroke_prob=1.0, stroke_min=-1.0, stroke_max=-0.9), image)
    assert thick.sum() > 1.3 * ink and thin.sum() < 0.8 * ink
    binary = _one(tf, Augmentation(binarize_prob=1.0), image)
    assert set(np.unique(binary)) <= {0.0, 1.0}
    noisy = _one(tf, Augmentation(noise_prob=1.0, noise_sigma=0.5), image)
    assert ((noisy > 0) & (image == 0)).sum() > 50
    # A re-fit puts the ink's box at about 20 px, whatever the zoom was.
    small = _one(tf, Augmentation(zoom=0.4, refit_prob=1.0, refit_size_jitter=0.0), image)
    rows, cols = np.nonzero(small > 0.2)
    assert 18 <= max(np.ptp(rows), np.ptp(cols)) + 1 <= 22


@pytest.mark.parametrize(
    "kwargs",
    [
        {"noise_prob": 1.5},
        {"refit_prob": -0.1},
        {"aspect": 2.0},
        {"stroke_min": 1.0, "stroke_max": 0.5},
        {"stroke_max": 3.0},
        {"shear": -0.1},
        {"blur_sigma": 0.1},
    ],
)
def test_robust_fields_are_validated(kwargs):
    with pytest.raises(ValueError):
        Augmentation(**kwargs)


def test_the_robust_recipe_is_chosen_by_config_and_kept_apart_in_checkpoints():
    from edgecnn.train.checkpoints import config_fingerprint
    from edgecnn.train.config import TrainConfig

    robust = TrainConfig(arch=Arch.LARGE, recipe_kind="robust")
    assert robust.recipe_kind is RecipeKind.ROBUST
    assert robust.recipe.augmentation == ROBUST_AUGMENTATION
    assert TrainConfig(arch=Arch.LARGE).recipe == get_architecture(Arch.LARGE).recipe
    # A default run's fingerprint is what it was before recipe kinds (old checkpoints resume);
    # a robust checkpoint cannot be resumed as a default run.
    default_print = config_fingerprint(TrainConfig(arch=Arch.LARGE), "x")
    assert "recipe" not in default_print
    assert config_fingerprint(robust, "x") == {**default_print, "recipe": "robust"}
    with pytest.raises(ValueError):
        TrainConfig(recipe_kind="sturdy")
