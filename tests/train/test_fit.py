"""Training end to end on a small subset: it learns, writes its artifacts, resumes exactly."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from edge_runtime._files import atomic_write
from edgecnn.train import training
from edgecnn.train.evaluate import evaluate_model
from edgecnn.train.models import Arch, Augmentation, Recipe
from edgecnn.train.pipeline import make_train_dataset, split_train
from edgecnn.train.training import TrainConfig, train

SMALL = {"limit": 3000, "epochs": 2}
ARTIFACTS = (
    "model.keras",
    "metrics.json",
    "history.json",
    "training_curves.png",
    "confusion_matrix.png",
)


def run(out: Path, **options):
    lines: list[str] = []
    result = train(TrainConfig(out=out, **{**SMALL, **options}), echo=lines.append)
    return result, lines


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    result, lines = run(out)
    return out, result, lines


def weights(path: Path) -> list[np.ndarray]:
    import keras

    return keras.models.load_model(path, compile=False).get_weights()


# ---------------------------------------------------------------- a short run


@pytest.mark.slow
def test_short_run_learns(trained):
    _, result, lines = trained
    assert result.test_accuracy > 0.80  # chance is 0.10
    assert result.report.count == 10_000
    assert lines[-1].startswith(
        f"test accuracy {result.report.accuracy:.2%} "
        f"(error {result.report.error:.2%}) on 10,000 test images"
    )
    epoch_lines = [line for line in lines if line.startswith("epoch ")]
    assert len(epoch_lines) == 2 and "ETA" in epoch_lines[0]


@pytest.mark.slow
def test_artifacts_are_complete_and_consistent(trained, mnist):
    out, result, _ = trained
    for name in ARTIFACTS:
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")], "temp files left"
    for png in ("training_curves.png", "confusion_matrix.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics == json.loads(json.dumps(result.metrics))
    assert metrics["test_accuracy"] == pytest.approx(1 - metrics["test_error"])
    assert len(metrics["per_class_accuracy"]) == 10
    assert (metrics["arch"], metrics["epochs"], metrics["seed"]) == ("seed", 2, 0)
    assert metrics["batch_size"] == metrics["recipe"]["batch_size"] == 200
    assert metrics["params"] == 592_074
    assert metrics["data"]["sha256"] == mnist.sha256
    assert metrics["train_images"] + metrics["validation_images"] == 3000
    assert {"python", "numpy", "tensorflow", "keras", "edgecnn"} <= set(metrics["versions"])
    assert metrics["created"].endswith("Z") and metrics["command"]
    assert metrics["train_seconds"] > 0

    history = json.loads((out / "history.json").read_text())
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        assert len(history[key]) == 2, key

    # The saved model scores what metrics.json says it scored.
    report, _ = evaluate_model(out / "model.keras")
    assert report.accuracy == pytest.approx(metrics["test_accuracy"])


@pytest.mark.slow
def test_one_checkpoint_per_run_is_kept(trained):
    out, _, _ = trained
    folder = out / "checkpoints"
    state = json.loads((folder / "state.json").read_text())
    assert state["epoch"] == 2
    assert [p.name for p in folder.glob("epoch-*.keras")] == [state["model_file"]]
    assert len(state["history"]["loss"]) == 2


# ---------------------------------------------------------------- resume


class _Interrupt:
    """Stands in for Ctrl-C at the end of the first epoch."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import keras

        class Stop(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                raise KeyboardInterrupt

        monkeypatch.setattr(training, "_progress_callback", lambda total, echo: Stop())


@pytest.mark.slow
def test_interrupted_run_resumes_to_the_same_model(trained, tmp_path, monkeypatch):
    out_full, full, _ = trained
    with monkeypatch.context() as patch:
        _Interrupt(patch)
        with pytest.raises(KeyboardInterrupt):
            run(tmp_path)
    state = json.loads((tmp_path / "checkpoints" / "state.json").read_text())
    assert state["epoch"] == 1
    assert not (tmp_path / "metrics.json").exists()  # nothing final from a broken run

    resumed, lines = run(tmp_path, resume=True)
    assert any("resuming" in line for line in lines)
    assert (resumed.resumed_from, resumed.epochs_run) == (1, 1)
    # Same data order, augmentation and dropout as the uninterrupted run: same weights.
    for a, b in zip(
        weights(out_full / "model.keras"), weights(tmp_path / "model.keras"), strict=True
    ):
        np.testing.assert_array_equal(a, b)
    assert resumed.test_accuracy == full.test_accuracy
    history = json.loads((tmp_path / "history.json").read_text())
    assert history == json.loads((out_full / "history.json").read_text())


@pytest.mark.slow
def test_interrupt_message_points_at_resume(tmp_path, monkeypatch):
    _Interrupt(monkeypatch)
    lines: list[str] = []
    with pytest.raises(KeyboardInterrupt):
        train(TrainConfig(out=tmp_path, limit=500, epochs=2), echo=lines.append)
    assert "epoch 1" in lines[-1] and "--resume" in lines[-1]


@pytest.mark.slow
def test_resuming_a_finished_run_trains_nothing(trained, tmp_path):
    out, full, _ = trained
    import shutil

    shutil.copytree(out / "checkpoints", tmp_path / "checkpoints")
    again, _ = run(tmp_path, resume=True)
    assert again.epochs_run == 0 and again.resumed_from == 2
    assert again.test_accuracy == full.test_accuracy


def test_resume_with_other_options_is_refused(trained, tmp_path):
    out, _, _ = trained
    import shutil

    shutil.copytree(out / "checkpoints", tmp_path / "checkpoints")
    with pytest.raises(ValueError, match="epochs"):
        run(tmp_path, resume=True, epochs=3)


def test_resume_without_checkpoint_starts_fresh(tmp_path):
    lines: list[str] = []
    result = train(TrainConfig(out=tmp_path, limit=300, epochs=1, resume=True), echo=lines.append)
    assert "no checkpoint" in lines[0]
    assert result.resumed_from == 0 and result.epochs_run == 1


def test_unreadable_checkpoint_state(tmp_path):
    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "checkpoints" / "state.json").write_text("{not json")
    with pytest.raises(ValueError, match="--no-resume"):
        train(TrainConfig(out=tmp_path, limit=300, epochs=1, resume=True))


# ---------------------------------------------------------------- config


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"epochs": 0}, "epochs"),
        ({"batch_size": 0}, "batch-size"),
        ({"seed": -1}, "seed"),
        ({"arch": "huge"}, "huge"),
        ({"limit": 5}, "limit"),
    ],
)
def test_config_validation(options, match):
    with pytest.raises(ValueError, match=match):
        TrainConfig(**options)


def test_config_takes_the_recipe_unless_overridden():
    default = TrainConfig(arch="tiny")
    assert default.arch is Arch.TINY
    from edgecnn.train.models import ARCHITECTURES

    assert default.recipe == ARCHITECTURES[Arch.TINY].recipe
    custom = TrainConfig(epochs=3, batch_size=64).recipe
    assert (custom.epochs, custom.batch_size) == (3, 64)
    assert custom.learning_rate == ARCHITECTURES[Arch.SEED].recipe.learning_rate


def test_split_holds_out_the_last_images():
    images, labels = np.arange(60_000)[:, None], np.arange(60_000) % 10
    x, _, vx, _ = split_train(images, labels, None)
    assert (len(x), len(vx)) == (55_000, 5_000) and vx[0, 0] == 55_000
    x, y, vx, vy = split_train(images, labels, 3000)
    np.testing.assert_array_equal(vy, labels[2700:3000])
    assert (len(x), len(vx)) == (2700, 300) and vx[-1, 0] == 2999
    np.testing.assert_array_equal(y, labels[:2700])


# ---------------------------------------------------------------- input pipeline


def _index_images(n: int) -> np.ndarray:
    # Image i is filled with i / n: the batch says which images it holds.
    return np.repeat((np.arange(n, dtype=np.float32) / n), 28 * 28).reshape(n, 28, 28, 1)


def _batches(dataset, n: int) -> list[np.ndarray]:
    return [np.rint(x.numpy()[:, 0, 0, 0] * n).astype(int) for x, _ in dataset]


def test_each_epoch_sees_every_image_once_in_a_seeded_order():
    n, recipe = 50, Recipe(epochs=3, batch_size=16, learning_rate=1e-3)
    images, labels = _index_images(n), (np.arange(n) % 10).astype(np.uint8)
    batches = _batches(make_train_dataset(images, labels, recipe, seed=7), n)
    assert len(batches) == 3 * 4  # ceil(50 / 16) steps per epoch
    epochs = [np.concatenate(batches[i * 4 : (i + 1) * 4]) for i in range(3)]
    for order in epochs:
        assert sorted(order) == list(range(n))
    assert not np.array_equal(epochs[0], epochs[1])
    again = _batches(make_train_dataset(images, labels, recipe, seed=7), n)
    assert all(np.array_equal(a, b) for a, b in zip(batches, again, strict=True))
    other = np.concatenate(_batches(make_train_dataset(images, labels, recipe, seed=8), n)[:4])
    assert not np.array_equal(other, epochs[0])
    # A resumed run sees exactly the later epochs of an uninterrupted one.
    resumed = _batches(make_train_dataset(images, labels, recipe, seed=7, first_epoch=2), n)
    assert all(np.array_equal(a, b) for a, b in zip(resumed, batches[8:], strict=True))


def test_labels_follow_their_images():
    n, recipe = 30, Recipe(epochs=1, batch_size=8, learning_rate=1e-3)
    labels = (np.arange(n) % 10).astype(np.uint8)
    for x, y in make_train_dataset(_index_images(n), labels, recipe, seed=0):
        index = np.rint(x.numpy()[:, 0, 0, 0] * n).astype(int)
        np.testing.assert_array_equal(y.numpy().argmax(axis=1), labels[index])


def test_augmentation_moves_ink_but_keeps_it(mnist):
    from edge_runtime.preprocess import normalize

    images = normalize(mnist.test_images[:64])
    labels = mnist.test_labels[:64]
    recipe = Recipe(
        epochs=1,
        batch_size=64,
        learning_rate=1e-3,
        augmentation=Augmentation(rotation_deg=10, shift_px=2, zoom=0.1),
    )
    ((x, _),) = list(make_train_dataset(images, labels, recipe, seed=0))
    ((again, _),) = list(make_train_dataset(images, labels, recipe, seed=0))
    x, again = x.numpy(), again.numpy()
    np.testing.assert_array_equal(x, again)
    order = np.random.default_rng([0, 0]).permutation(64)
    original = images[order]
    assert x.shape == original.shape and x.min() >= 0.0 and x.max() <= 1.0 + 1e-6
    assert not np.allclose(x, original)
    # Zoom up to 10% changes the ink by up to ~21%; nothing vanishes or floods.
    ratio = x.sum(axis=(1, 2, 3)) / original.sum(axis=(1, 2, 3))
    assert (ratio > 0.7).all() and (ratio < 1.3).all()
    # The distortions are small: the ink's centre moves by at most the shift plus a
    # little rotation and zoom about the image centre.
    moved = np.linalg.norm(_centre_of_mass(x) - _centre_of_mass(original), axis=1)
    assert moved.max() < 2 * np.sqrt(2) + 2.0, moved.max()
    assert moved.mean() > 0.3


def _centre_of_mass(images: np.ndarray) -> np.ndarray:
    grid = np.arange(28, dtype=np.float64)
    mass = images[..., 0].sum(axis=(1, 2))
    rows = (images[..., 0].sum(axis=2) * grid).sum(axis=1) / mass
    cols = (images[..., 0].sum(axis=1) * grid).sum(axis=1) / mass
    return np.stack([rows, cols], axis=1)


# ---------------------------------------------------------------- atomic writes


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "metrics.json"
    target.write_text("good")

    def broken(tmp: Path) -> None:
        tmp.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError):
        atomic_write(target, broken)
    assert target.read_text() == "good"
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]
    atomic_write(target, lambda tmp: tmp.write_text("new"))
    assert target.read_text() == "new"
