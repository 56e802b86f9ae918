"""The inputs of the golden test: real MNIST test digits, and the same digits as
dark ink on light paper at 4x (the path through edge_runtime.preprocess)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
GOLDEN_MODEL = REPO / "data" / "models" / "seed_int8.tflite"
INDICES = (0, 1, 2, 3, 4, 7, 8, 11, 18, 61, 247, 1000)  # 247 and 18 are hard ones


def _test_images() -> np.ndarray:
    from edgecnn.train.data import read_idx

    return read_idx(REPO / "data" / "mnist" / "t10k-images-idx3-ubyte.gz")


def golden_inputs() -> Iterator[tuple[str, np.ndarray]]:
    """(name, image) pairs, always the same."""
    images = _test_images()
    for index in INDICES:
        digit = images[index]
        yield f"mnist[{index}]", digit
        paper = np.full((160, 200), 235, np.uint8)
        big = np.kron(255 - digit, np.ones((4, 4), np.uint8))  # dark ink, 112x112
        paper[20:132, 50:162] = np.minimum(paper[20:132, 50:162], big)
        yield f"paper[{index}]", paper
