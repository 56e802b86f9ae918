"""Helpers that write small MNIST-like files, in every format the loader reads."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import numpy as np

from edgecnn.train.data import IDX_NAMES, KAGGLE_HEADER


def write_idx(path: Path, array: np.ndarray, *, gz: bool = True, magic: int | None = None) -> Path:
    """Write uint8 ``array`` as an IDX file (gzip when ``gz``), optionally with a wrong magic."""
    if magic is None:
        magic = 0x0800 | array.ndim
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    payload = header + np.ascontiguousarray(array, np.uint8).tobytes()
    path.write_bytes(gzip.compress(payload) if gz else payload)
    return path


def random_split(rng: np.random.Generator, count: int) -> tuple[np.ndarray, np.ndarray]:
    images = rng.integers(0, 256, (count, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, count, dtype=np.uint8)
    return images, labels


def write_idx_folder(
    folder: Path, arrays: dict[str, np.ndarray], *, gz: bool = True, sums: bool = False
) -> Path:
    """The four standard IDX files (and optionally a SHA256SUMS) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for key, name in IDX_NAMES.items():
        path = write_idx(folder / (name + (".gz" if gz else "")), arrays[key], gz=gz)
        lines.append(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}")
    if sums:
        (folder / "SHA256SUMS").write_text("\n".join(lines) + "\n")
    return folder


def write_kaggle_csv(path: Path, images: np.ndarray, labels: np.ndarray | None) -> Path:
    header = KAGGLE_HEADER if labels is not None else KAGGLE_HEADER[1:]
    rows = [",".join(header)]
    flat = images.reshape(len(images), -1)
    for i, pixels in enumerate(flat):
        label = [str(int(labels[i]))] if labels is not None else []
        rows.append(",".join(label + [str(int(v)) for v in pixels]))
    path.write_text("\n".join(rows) + "\n")
    return path
