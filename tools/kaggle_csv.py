"""Kaggle "Digit Recognizer" files made from the bundled MNIST, for tests and the README.

Kaggle's competition splits MNIST's 70,000 digits into a labelled ``train.csv``
(42,000 rows) and an unlabelled ``test.csv`` (28,000 rows). :func:`make_kaggle_files`
does the same with the bundled files: ``train.csv`` is the first 42,000 MNIST training
images, ``test.csv`` the other 18,000 training images and the 10,000 test images in a
seeded shuffle, and ``test_truth.csv`` (``ImageId,Label``, Kaggle's submission format)
holds the labels Kaggle keeps to itself, so a submission can be scored here::

    python -m tools.kaggle_csv /tmp/kaggle      # train.csv, test.csv, test_truth.csv
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from edge_runtime._files import write_text
from edgecnn.kaggle import PIXEL_COLUMNS, TRAIN_COLUMNS, submission_text

KAGGLE_TRAIN_ROWS = 42_000
SHUFFLE_SEED = 0
_NUMBERS = np.array([str(i) for i in range(256)], dtype=object)


def kaggle_csv_text(images: np.ndarray, labels: np.ndarray | None = None) -> str:
    """A Kaggle CSV: ``label,pixel0..pixel783`` with labels, ``pixel0..pixel783`` without.

    Args:
        images: uint8 (N, 28, 28).
        labels: (N,) digits for a ``train.csv``, None for a ``test.csv``.

    Returns:
        The file's text, with a trailing newline.
    """
    flat = np.asarray(images, np.uint8).reshape(len(images), -1)
    columns = TRAIN_COLUMNS if labels is not None else PIXEL_COLUMNS
    lines = [",".join(columns)]
    if labels is not None:
        flat = np.concatenate([np.asarray(labels, np.uint8).reshape(-1, 1), flat], axis=1)
    lines.extend(",".join(row) for row in _NUMBERS[flat])
    return "\n".join(lines) + "\n"


def write_kaggle_csv(path: Path, images: np.ndarray, labels: np.ndarray | None = None) -> Path:
    """Write :func:`kaggle_csv_text` to ``path`` (atomically)."""
    return write_text(path, kaggle_csv_text(images, labels))


def make_kaggle_files(out: Path, train_rows: int = KAGGLE_TRAIN_ROWS) -> dict[str, Path]:
    """Write ``train.csv``, ``test.csv`` and ``test_truth.csv`` as Kaggle splits MNIST.

    Args:
        out: the folder (created if needed).
        train_rows: MNIST training images that go to ``train.csv``; the rest, with the
            10,000 test images, go to ``test.csv``.

    Returns:
        The three paths, by name.
    """
    from edgecnn.train.data import load_mnist

    mnist = load_mnist()
    rest = (mnist.train_images[train_rows:], mnist.test_images)
    test_images = np.concatenate(rest)
    test_labels = np.concatenate([mnist.train_labels[train_rows:], mnist.test_labels])
    order = np.random.default_rng(SHUFFLE_SEED).permutation(len(test_images))
    out.mkdir(parents=True, exist_ok=True)
    return {
        "train.csv": write_kaggle_csv(
            out / "train.csv", mnist.train_images[:train_rows], mnist.train_labels[:train_rows]
        ),
        "test.csv": write_kaggle_csv(out / "test.csv", test_images[order]),
        "test_truth.csv": write_text(out / "test_truth.csv", submission_text(test_labels[order])),
    }


def main() -> None:
    """``python -m tools.kaggle_csv OUT``: write the three files into OUT."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder for train.csv, test.csv, test_truth.csv")
    parser.add_argument("--train-rows", type=int, default=KAGGLE_TRAIN_ROWS)
    args = parser.parse_args()
    for path in make_kaggle_files(args.out, args.train_rows).values():
        rows = sum(1 for _ in path.open()) - 1
        print(f"{path}: {rows:,} rows")


if __name__ == "__main__":
    main()
