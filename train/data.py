"""MNIST in, checked arrays out: the bundled IDX files and what users bring.

:func:`load_mnist` reads the four canonical IDX files bundled in ``edgecnn/data/mnist``
(verified against ``SHA256SUMS``), a folder of IDX files (gzip or raw), a Keras
``mnist.npz``, or a Kaggle "Digit Recognizer" ``train.csv``. Every way a file can
be wrong ends in one :class:`DatasetError` line naming the file and the problem,
never a numpy traceback. Pure numpy and the standard library.
"""

from __future__ import annotations

import gzip
import hashlib
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from edge_runtime.errors import DatasetError
from edgecnn.bundled import mnist_dir
from edgecnn.kaggle import TRAIN_COLUMNS, read_kaggle_csv
from edgecnn.train.provenance import file_sha256

#: The bundled MNIST (package data): the four canonical gzip IDX files plus ``SHA256SUMS``.
DEFAULT_DATA_DIR = mnist_dir()

IDX_NAMES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
IMAGE_MAGIC = 0x00000803  # unsigned bytes, 3 dimensions
LABEL_MAGIC = 0x00000801  # unsigned bytes, 1 dimension
SIDE = 28
PIXELS = SIDE * SIDE
NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")
KAGGLE_HEADER = list(TRAIN_COLUMNS)  # label,pixel0..pixel783 (edgecnn.kaggle)
#: Kaggle's test.csv has no labels, so a seeded slice of train.csv stands in for it.
KAGGLE_HOLDOUT_SEED = 0
KAGGLE_HOLDOUT_MAX = 10_000


@dataclass(frozen=True, eq=False)
class Mnist:
    """MNIST-form digits: uint8 pixels (white digit on black) and uint8 labels 0-9.

    Attributes:
        train_images: (N, 28, 28) uint8.
        train_labels: (N,) uint8.
        test_images: (M, 28, 28) uint8.
        test_labels: (M,) uint8.
        source: what was loaded, for humans and metrics.json.
        sha256: checksum of the four arrays (see :func:`arrays_sha256`).
    """

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    source: str
    sha256: str = field(default="")

    def __post_init__(self) -> None:
        for images, labels, split in (
            (self.train_images, self.train_labels, "train"),
            (self.test_images, self.test_labels, "test"),
        ):
            if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (SIDE, SIDE):
                raise ValueError(
                    f"{split} images must be uint8 (N, 28, 28), got {images.dtype} {images.shape}"
                )
            if labels.dtype != np.uint8 or labels.shape != (len(images),):
                raise ValueError(
                    f"{split} labels must be uint8 ({len(images)},), got "
                    f"{labels.dtype} {labels.shape}"
                )
        if not self.sha256:
            object.__setattr__(
                self,
                "sha256",
                arrays_sha256(
                    self.train_images, self.train_labels, self.test_images, self.test_labels
                ),
            )


def arrays_sha256(*arrays: np.ndarray) -> str:
    """SHA-256 over the shapes and bytes of arrays, so the same digits from any
    file format (IDX, npz, ...) give the same checksum.

    Args:
        arrays: the arrays, in a fixed order.

    Returns:
        The hex digest.
    """
    digest = hashlib.sha256()
    for array in arrays:
        digest.update(repr(array.shape).encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def load_mnist(path: str | Path | None = None) -> Mnist:
    """Load MNIST from the bundled files or from what the user brings.

    Args:
        path: ``None`` for the bundled ``data/mnist`` (checked against its SHA256SUMS);
            a folder of IDX files (``train-images-idx3-ubyte[.gz]`` and the other three
            standard names; a ``SHA256SUMS`` there is checked too), a folder holding
            ``mnist.npz`` or Kaggle's ``train.csv``; or one ``.npz`` / ``.csv`` file.

    Returns:
        The checked :class:`Mnist`.

    Raises:
        DatasetError: missing, truncated or malformed data (one line naming the file).
    """
    folder = DEFAULT_DATA_DIR if path is None else Path(path)
    if not folder.exists():
        raise DatasetError(f"{folder}: no such file or folder")
    if folder.is_file():
        return _load_file(folder)
    idx = {key: _find_idx(folder, name) for key, name in IDX_NAMES.items()}
    if any(idx.values()):
        missing = [IDX_NAMES[key] for key, found in idx.items() if found is None]
        if missing:
            raise DatasetError(f"{folder}: missing {', '.join(missing)}[.gz]")
        if (folder / "SHA256SUMS").is_file():
            verify_checksums(folder)
        elif path is None:
            raise DatasetError(f"{folder / 'SHA256SUMS'}: missing")
        found = {key: p for key, p in idx.items() if p is not None}
        mnist = _load_idx_folder(folder, found)
        if path is None:
            return replace(mnist, source=f"bundled MNIST ({folder}, SHA256SUMS verified)")
        return mnist
    for name in ("mnist.npz", "train.csv"):
        if (folder / name).is_file():
            return _load_file(folder / name)
    raise DatasetError(
        f"{folder}: no MNIST here (expected the four IDX files, mnist.npz or Kaggle's train.csv)"
    )


def _load_file(path: Path) -> Mnist:
    suffix = path.suffix.lower()
    if suffix == ".npz":
        return load_npz(path)
    if suffix == ".csv":
        return load_kaggle_train(path)
    raise DatasetError(
        f"{path}: not a dataset this loader reads (give a folder of IDX files, "
        "a Keras mnist.npz or a Kaggle train.csv)"
    )


def _find_idx(folder: Path, name: str) -> Path | None:
    # Mirrors name the files with a dot before "idx" (train-images.idx3-ubyte); accept both.
    dotted = name.replace("-idx", ".idx")
    for candidate in (name + ".gz", name, dotted + ".gz", dotted):
        if (folder / candidate).is_file():
            return folder / candidate
    return None


def verify_checksums(folder: Path) -> None:
    """Check every file listed in ``folder/SHA256SUMS`` (``sha256sum`` format).

    Raises:
        DatasetError: a listed file is missing, or its checksum does not match.
    """
    sums = folder / "SHA256SUMS"
    try:
        lines = sums.read_text().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{sums}: unreadable ({exc})") from exc
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 2 or len(parts[0]) != 64:
            raise DatasetError(f"{sums}: line {number} is not '<sha256>  <file>'")
        expected, name = parts[0].lower(), parts[1].lstrip("*")
        target = folder / name
        if not target.is_file():
            raise DatasetError(f"{target}: missing (listed in {sums.name})")
        actual = file_sha256(target)
        if actual != expected:
            raise DatasetError(
                f"{target}: checksum mismatch (expected {expected[:12]}..., got {actual[:12]}...)"
            )


def _load_idx_folder(folder: Path, files: dict[str, Path]) -> Mnist:
    arrays = {key: read_idx(p) for key, p in files.items()}
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if images.ndim != 3:
            raise DatasetError(f"{files[f'{split}_images']}: holds labels, not images")
        if labels.ndim != 1:
            raise DatasetError(f"{files[f'{split}_labels']}: holds images, not labels")
        _check_pair(images, labels, files[f"{split}_images"], files[f"{split}_labels"])
    return Mnist(
        arrays["train_images"],
        arrays["train_labels"],
        arrays["test_images"],
        arrays["test_labels"],
        source=f"MNIST IDX files in {folder}",
    )


def read_idx(path: Path) -> np.ndarray:
    """Read one IDX file of unsigned bytes (gzip or raw).

    Args:
        path: the file; gzip is recognised by its magic bytes, not its name.

    Returns:
        (N, 28, 28) uint8 images for magic 0x00000803, (N,) uint8 labels for 0x00000801.

    Raises:
        DatasetError: missing, truncated, wrong magic, or not 28x28 images.
    """
    raw = _read_bytes(path)
    if len(raw) < 8:
        raise DatasetError(f"{path}: truncated ({len(raw)} bytes, no IDX header)")
    magic = int.from_bytes(raw[:4], "big")
    if magic not in (IMAGE_MAGIC, LABEL_MAGIC):
        raise DatasetError(
            f"{path}: wrong magic 0x{magic:08x} (expected 0x{IMAGE_MAGIC:08x} "
            f"for images or 0x{LABEL_MAGIC:08x} for labels)"
        )
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DatasetError(f"{path}: truncated (header needs {header} bytes, file has {len(raw)})")
    dims = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    if ndim == 3 and dims[1:] != (SIDE, SIDE):
        raise DatasetError(f"{path}: images are {dims[1]}x{dims[2]}, expected 28x28")
    expected = header + int(np.prod(dims))
    if len(raw) < expected:
        raise DatasetError(f"{path}: truncated ({len(raw)} bytes, header promises {expected})")
    if len(raw) > expected:
        raise DatasetError(f"{path}: {len(raw) - expected} unexpected bytes after the data")
    return np.frombuffer(raw, np.uint8, offset=header).reshape(dims).copy()


def _read_bytes(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise DatasetError(f"{path}: missing") from exc
    except OSError as exc:
        raise DatasetError(f"{path}: unreadable ({exc.strerror or exc})") from exc
    if raw[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError, zipfile.BadZipFile) as exc:
            raise DatasetError(f"{path}: truncated or corrupt gzip ({exc})") from exc
    return raw


def _check_pair(
    images: np.ndarray, labels: np.ndarray, image_file: object, label_file: object
) -> None:
    if len(images) != len(labels):
        raise DatasetError(
            f"{image_file}: {len(images)} images but {label_file} has {len(labels)} labels"
        )
    if len(labels) and int(labels.max()) > 9:
        bad = int(np.argmax(labels > 9))
        raise DatasetError(f"{label_file}: label {int(labels[bad])} at index {bad} is outside 0-9")


def load_npz(path: Path) -> Mnist:
    """Load a Keras ``mnist.npz`` (keys x_train, y_train, x_test, y_test).

    Raises:
        DatasetError: unreadable archive, missing keys, wrong shapes or values.
    """
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = [key for key in NPZ_KEYS if key not in archive.files]
            if missing:
                raise DatasetError(
                    f"{path}: missing arrays {', '.join(missing)} "
                    f"(has {', '.join(archive.files) or 'none'})"
                )
            arrays = {key: archive[key] for key in NPZ_KEYS}
    except DatasetError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise DatasetError(f"{path}: not a readable .npz ({exc})") from exc
    images = {key: _as_images(arrays[key], path, key) for key in ("x_train", "x_test")}
    labels = {key: _as_labels(arrays[key], path, key) for key in ("y_train", "y_test")}
    for x, y in (("x_train", "y_train"), ("x_test", "y_test")):
        _check_pair(images[x], labels[y], f"{path} [{x}]", f"[{y}]")
    return Mnist(
        images["x_train"],
        labels["y_train"],
        images["x_test"],
        labels["y_test"],
        source=f"Keras npz {path}",
    )


def _as_images(array: np.ndarray, path: Path, key: str) -> np.ndarray:
    if array.ndim == 4 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim == 2 and array.shape[1] == PIXELS:
        array = array.reshape(-1, SIDE, SIDE)
    if array.ndim != 3 or array.shape[1:] != (SIDE, SIDE):
        raise DatasetError(f"{path}: {key} has shape {array.shape}, expected (N, 28, 28)")
    return _as_uint8(array, path, key, 255)


def _as_labels(array: np.ndarray, path: Path, key: str) -> np.ndarray:
    if array.ndim != 1:
        raise DatasetError(f"{path}: {key} has shape {array.shape}, expected (N,)")
    return _as_uint8(array, path, key, 9)


def _as_uint8(array: np.ndarray, path: Path, key: str, top: int) -> np.ndarray:
    if array.dtype.kind not in "iu":
        raise DatasetError(f"{path}: {key} holds {array.dtype}, expected integers")
    if array.size and (int(array.min()) < 0 or int(array.max()) > top):
        raise DatasetError(
            f"{path}: {key} has values outside 0-{top} ({int(array.min())}..{int(array.max())})"
        )
    return array.astype(np.uint8)


def load_kaggle_train(path: Path) -> Mnist:
    """Load Kaggle's Digit Recognizer ``train.csv`` (``label,pixel0..pixel783``).

    Read by :func:`edgecnn.kaggle.read_kaggle_csv`. Kaggle's ``test.csv`` has no
    labels, so a seeded random slice of ``train.csv`` (a sixth, at most 10,000 rows)
    is held out as the labelled test split.

    Raises:
        DatasetError: wrong header, missing columns, a row with the wrong number of
            values, non-integer or out-of-range values.
    """
    digits = read_kaggle_csv(path, labelled=True)
    images, labels = digits.images, digits.labels
    if labels is None:  # labelled=True refuses such a file; this tells the type checker
        raise DatasetError(f"{path}: no 'label' column")
    held = min(len(images) // 6, KAGGLE_HOLDOUT_MAX)
    order = np.random.default_rng(KAGGLE_HOLDOUT_SEED).permutation(len(images))
    test, train = np.sort(order[:held]), np.sort(order[held:])
    return Mnist(
        images[train],
        labels[train],
        images[test],
        labels[test],
        source=(
            f"Kaggle train.csv {path} ({len(train)} train rows; {held} rows held out "
            f"as the test split, seed {KAGGLE_HOLDOUT_SEED})"
        ),
    )


def load_kaggle_test(path: str | Path) -> np.ndarray:
    """Load Kaggle's unlabelled ``test.csv`` (``pixel0..pixel783``) for inference.

    Args:
        path: the CSV file.

    Returns:
        uint8 images (N, 28, 28).

    Raises:
        DatasetError: missing file, a ``label`` column, a malformed header or row, bad values.
    """
    return read_kaggle_csv(path, labelled=False).images
