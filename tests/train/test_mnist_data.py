"""The MNIST loader: every format it reads, and one clear DatasetError for each broken file."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import numpy as np
import pytest
from mnist_files import write_idx, write_idx_folder, write_kaggle_csv

from edge_runtime.errors import DatasetError
from edgecnn.train.data import (
    DEFAULT_DATA_DIR,
    IDX_NAMES,
    KAGGLE_HOLDOUT_MAX,
    arrays_sha256,
    load_kaggle_test,
    load_mnist,
    read_idx,
    verify_checksums,
)


def assert_one_line_naming(exc_info: pytest.ExceptionInfo, name: str, *words: str) -> None:
    message = str(exc_info.value)
    assert "\n" not in message
    assert name in message, message
    for word in words:
        assert word in message, message


def assert_same(mnist, arrays: dict[str, np.ndarray]) -> None:
    for key, expected in arrays.items():
        got = getattr(mnist, key)
        assert got.dtype == np.uint8
        np.testing.assert_array_equal(got, expected, err_msg=key)


# ---------------------------------------------------------------- bundled data


def test_bundled_mnist_has_the_canonical_shapes(mnist):
    assert mnist.train_images.shape == (60000, 28, 28)
    assert mnist.train_labels.shape == (60000,)
    assert mnist.test_images.shape == (10000, 28, 28)
    assert mnist.test_labels.shape == (10000,)
    for array in (mnist.train_images, mnist.train_labels, mnist.test_images, mnist.test_labels):
        assert array.dtype == np.uint8
    assert set(np.unique(mnist.train_labels)) == set(range(10))
    assert "bundled" in mnist.source


def test_bundled_files_match_their_checksums():
    verify_checksums(DEFAULT_DATA_DIR)  # raises on a mismatch
    listed = (DEFAULT_DATA_DIR / "SHA256SUMS").read_text().split()
    for name in IDX_NAMES.values():
        assert name + ".gz" in listed


def test_bundled_sha256_is_the_checksum_of_the_arrays(mnist):
    assert mnist.sha256 == arrays_sha256(
        mnist.train_images, mnist.train_labels, mnist.test_images, mnist.test_labels
    )


def test_digits_are_white_on_black(mnist):
    # The border of an MNIST digit is background: black.
    assert mnist.test_images[:, 0, :].mean() < 1.0
    assert mnist.test_images.max() == 255


# ---------------------------------------------------------------- IDX folders


@pytest.mark.parametrize("gz", [True, False])
def test_idx_folder_round_trips(tmp_path, small_arrays, gz):
    folder = write_idx_folder(tmp_path / "d", small_arrays, gz=gz)
    loaded = load_mnist(folder)
    assert_same(loaded, small_arrays)
    assert str(folder) in loaded.source


def test_idx_files_with_dotted_names_load(tmp_path, small_arrays):
    folder = tmp_path / "dotted"
    folder.mkdir()
    for key, name in IDX_NAMES.items():
        write_idx(folder / name.replace("-idx", ".idx"), small_arrays[key], gz=False)
    assert_same(load_mnist(folder), small_arrays)


def test_gzip_is_recognised_by_content_not_name(tmp_path, small_arrays):
    path = write_idx(tmp_path / "labels-without-gz-suffix", small_arrays["train_labels"], gz=True)
    np.testing.assert_array_equal(read_idx(path), small_arrays["train_labels"])


def test_wrong_magic(tmp_path, small_arrays):
    folder = write_idx_folder(tmp_path / "d", small_arrays)
    write_idx(folder / "train-images-idx3-ubyte.gz", small_arrays["train_images"], magic=0x00000D03)
    with pytest.raises(DatasetError) as info:
        load_mnist(folder)
    assert_one_line_naming(info, "train-images-idx3-ubyte.gz", "magic")


@pytest.mark.parametrize("gz", [True, False])
def test_truncated_file(tmp_path, small_arrays, gz):
    folder = write_idx_folder(tmp_path / "d", small_arrays, gz=gz)
    name = "t10k-images-idx3-ubyte" + (".gz" if gz else "")
    data = (folder / name).read_bytes()
    (folder / name).write_bytes(data[: len(data) // 2])
    with pytest.raises(DatasetError) as info:
        load_mnist(folder)
    assert_one_line_naming(info, name, "truncated")


def test_header_only_file_is_truncated(tmp_path):
    path = tmp_path / "short"
    path.write_bytes(b"\x00\x00\x08")
    with pytest.raises(DatasetError) as info:
        read_idx(path)
    assert_one_line_naming(info, "short", "truncated")


def test_trailing_bytes_are_refused(tmp_path, small_arrays):
    path = write_idx(tmp_path / "labels", small_arrays["test_labels"], gz=False)
    path.write_bytes(path.read_bytes() + b"\x01\x02")
    with pytest.raises(DatasetError, match="unexpected bytes"):
        read_idx(path)


def test_image_and_label_counts_must_match(tmp_path, small_arrays):
    folder = write_idx_folder(tmp_path / "d", small_arrays)
    write_idx(folder / "train-labels-idx1-ubyte.gz", small_arrays["train_labels"][:-3])
    with pytest.raises(DatasetError) as info:
        load_mnist(folder)
    assert_one_line_naming(info, "train-images-idx3-ubyte.gz", "60 images", "57 labels")


def test_label_ten_is_refused(tmp_path, small_arrays):
    labels = small_arrays["test_labels"].copy()
    labels[5] = 10
    folder = write_idx_folder(tmp_path / "d", {**small_arrays, "test_labels": labels})
    with pytest.raises(DatasetError) as info:
        load_mnist(folder)
    assert_one_line_naming(info, "t10k-labels-idx1-ubyte.gz", "label 10", "index 5")


def test_images_must_be_28x28(tmp_path, small_arrays):
    folder = write_idx_folder(tmp_path / "d", small_arrays)
    write_idx(folder / "train-images-idx3-ubyte.gz", np.zeros((60, 32, 32), np.uint8))
    with pytest.raises(DatasetError, match="32x32"):
        load_mnist(folder)


def test_labels_file_in_place_of_images(tmp_path, small_arrays):
    folder = write_idx_folder(tmp_path / "d", small_arrays)
    write_idx(folder / "train-images-idx3-ubyte.gz", small_arrays["train_labels"])
    with pytest.raises(DatasetError, match="holds labels"):
        load_mnist(folder)


def test_checksum_mismatch(idx_folder, small_arrays):
    # Same shape, one pixel changed: only the checksum can tell.
    images = small_arrays["train_images"].copy()
    images[0, 0, 0] ^= 1
    write_idx(idx_folder / "train-images-idx3-ubyte.gz", images)
    with pytest.raises(DatasetError) as info:
        load_mnist(idx_folder)
    assert_one_line_naming(info, "train-images-idx3-ubyte.gz", "checksum mismatch")


def test_checksums_pass_when_files_match(idx_folder, small_arrays):
    assert_same(load_mnist(idx_folder), small_arrays)


def test_file_listed_in_sums_but_missing(idx_folder):
    (idx_folder / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DatasetError) as info:
        load_mnist(idx_folder)
    assert_one_line_naming(info, "t10k-labels-idx1-ubyte", "missing")


def test_missing_idx_file_without_sums(tmp_path, small_arrays):
    folder = write_idx_folder(tmp_path / "d", small_arrays)
    (folder / "train-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DatasetError) as info:
        load_mnist(folder)
    assert_one_line_naming(info, "train-labels-idx1-ubyte", "missing")


def test_corrupt_gzip(tmp_path):
    path = tmp_path / "bad.gz"
    good = gzip.compress(b"\x00\x00\x08\x01" + (5).to_bytes(4, "big") + bytes(5))
    path.write_bytes(good[:12])
    with pytest.raises(DatasetError) as info:
        read_idx(path)
    assert_one_line_naming(info, "bad.gz", "gzip")


def test_missing_path_and_empty_folder(tmp_path):
    with pytest.raises(DatasetError) as info:
        load_mnist(tmp_path / "nowhere")
    assert_one_line_naming(info, "nowhere", "no such")
    with pytest.raises(DatasetError) as info:
        load_mnist(tmp_path)
    assert_one_line_naming(info, str(tmp_path), "no MNIST")


def test_unknown_file_type(tmp_path):
    path = tmp_path / "digits.txt"
    path.write_text("hello")
    with pytest.raises(DatasetError) as info:
        load_mnist(path)
    assert_one_line_naming(info, "digits.txt")


# ---------------------------------------------------------------- Keras npz


def save_npz(path: Path, arrays: dict[str, np.ndarray], **override: np.ndarray) -> Path:
    content = {
        "x_train": arrays["train_images"],
        "y_train": arrays["train_labels"],
        "x_test": arrays["test_images"],
        "y_test": arrays["test_labels"],
        **override,
    }
    np.savez(path, **content)
    return path


def test_npz_loads_from_file_and_folder(tmp_path, small_arrays):
    path = save_npz(tmp_path / "mnist.npz", small_arrays)
    assert_same(load_mnist(path), small_arrays)
    assert_same(load_mnist(tmp_path), small_arrays)


def test_same_digits_give_the_same_sha256_in_any_format(tmp_path, small_arrays):
    from_npz = load_mnist(save_npz(tmp_path / "mnist.npz", small_arrays))
    from_idx = load_mnist(write_idx_folder(tmp_path / "idx", small_arrays))
    assert from_npz.sha256 == from_idx.sha256
    labels = small_arrays["test_labels"].copy()
    labels[0] = (labels[0] + 1) % 10
    changed = load_mnist(save_npz(tmp_path / "other.npz", small_arrays, y_test=labels))
    assert changed.sha256 != from_npz.sha256


def test_npz_with_int64_labels_and_channel_axis(tmp_path, small_arrays):
    path = save_npz(
        tmp_path / "m.npz",
        small_arrays,
        y_train=small_arrays["train_labels"].astype(np.int64),
        x_test=small_arrays["test_images"][..., None],
    )
    assert_same(load_mnist(path), small_arrays)


@pytest.mark.parametrize(
    ("override", "words"),
    [
        ({"y_test": np.full(24, 10)}, ("y_test", "0-9")),
        ({"x_train": np.zeros((60, 28, 28), np.float32)}, ("x_train", "float32")),
        ({"x_train": np.zeros((60, 27, 28), np.uint8)}, ("x_train", "shape")),
        ({"y_train": np.zeros(59, np.uint8)}, ("60 images", "59 labels")),
        ({"x_test": np.full((24, 28, 28), 300)}, ("x_test", "0-255")),
    ],
)
def test_npz_bad_content(tmp_path, small_arrays, override, words):
    path = save_npz(tmp_path / "m.npz", small_arrays, **override)
    with pytest.raises(DatasetError) as info:
        load_mnist(path)
    assert_one_line_naming(info, "m.npz", *words)


def test_npz_missing_key(tmp_path, small_arrays):
    path = tmp_path / "m.npz"
    np.savez(path, x_train=small_arrays["train_images"])
    with pytest.raises(DatasetError) as info:
        load_mnist(path)
    assert_one_line_naming(info, "m.npz", "y_train")


def test_npz_not_a_zip(tmp_path):
    path = tmp_path / "m.npz"
    path.write_bytes(b"definitely not a zip archive")
    with pytest.raises(DatasetError) as info:
        load_mnist(path)
    assert_one_line_naming(info, "m.npz", "npz")


# ---------------------------------------------------------------- Kaggle CSV


def test_kaggle_train_csv_holds_out_a_seeded_test_split(tmp_path, small_arrays):
    images, labels = small_arrays["train_images"], small_arrays["train_labels"]
    path = write_kaggle_csv(tmp_path / "train.csv", images, labels)
    first, again = load_mnist(path), load_mnist(tmp_path)
    assert len(first.test_images) == min(len(images) // 6, KAGGLE_HOLDOUT_MAX)
    assert len(first.train_images) + len(first.test_images) == len(images)
    np.testing.assert_array_equal(first.test_images, again.test_images)
    assert "held out" in first.source
    # Every row lands in exactly one split, with its own label.
    digest = lambda image: hashlib.sha256(image.tobytes()).hexdigest()  # noqa: E731
    rows = {digest(img): int(lbl) for img, lbl in zip(images, labels, strict=True)}
    seen = [
        (digest(img), int(lbl))
        for split in (
            (first.train_images, first.train_labels),
            (first.test_images, first.test_labels),
        )
        for img, lbl in zip(*split, strict=True)
    ]
    assert sorted(seen) == sorted(rows.items())


@pytest.mark.parametrize(
    ("mutate", "words"),
    [
        (lambda lines: ["lable" + lines[0][5:], *lines[1:]], ("header", "'lable'")),
        (lambda lines: [lines[0], lines[1].rsplit(",", 1)[0], *lines[2:]], ("line 2", "784")),
        (lambda lines: [lines[0], lines[1] + ",0", *lines[2:]], ("line 2", "786 values")),
        (lambda lines: [lines[0], "3," + "0.5," * 783 + "0", *lines[2:]], ("'0.5'", "integer")),
        (lambda lines: [lines[0], "10" + lines[1][1:], *lines[2:]], ("label", "0-9")),
        (lambda lines: [lines[0], "3," + "0," * 783 + "256", *lines[2:]], ("pixel783", "0-255")),
        (lambda lines: [lines[0], "3," + "0," * 782 + "0", *lines[2:]], ("line 2", "784")),
        (lambda lines: [lines[0]], ("no data",)),
    ],
    ids=[
        "header",
        "short-row",
        "long-row",
        "float-pixel",
        "label-10",
        "pixel-256",
        "784-cols",
        "empty",
    ],
)
def test_kaggle_bad_csv(tmp_path, small_arrays, mutate, words):
    path = write_kaggle_csv(
        tmp_path / "train.csv", small_arrays["train_images"][:5], small_arrays["train_labels"][:5]
    )
    path.write_text("\n".join(mutate(path.read_text().splitlines())) + "\n")
    with pytest.raises(DatasetError) as info:
        load_mnist(path)
    assert_one_line_naming(info, "train.csv", *words)


def test_kaggle_test_csv_for_inference(tmp_path, small_arrays):
    images = small_arrays["test_images"]
    path = write_kaggle_csv(tmp_path / "test.csv", images, None)
    loaded = load_kaggle_test(path)
    assert loaded.dtype == np.uint8
    np.testing.assert_array_equal(loaded, images)
    with pytest.raises(DatasetError) as info:
        load_kaggle_test(tmp_path / "missing.csv")
    assert_one_line_naming(info, "missing.csv", "missing")


def test_kaggle_test_csv_with_labels_is_refused(tmp_path, small_arrays):
    path = write_kaggle_csv(
        tmp_path / "test.csv", small_arrays["test_images"][:3], small_arrays["test_labels"][:3]
    )
    with pytest.raises(DatasetError, match="header"):
        load_kaggle_test(path)
