"""Kaggle's "Digit Recognizer" files: ``train.csv`` / ``test.csv`` in, ``submission.csv`` out.

Kaggle ships MNIST as CSV: ``train.csv`` has a ``label`` column then ``pixel0`` ..
``pixel783`` (a 28x28 image, row by row, 0-255, white digit on black), ``test.csv`` the
pixels alone; a submission is ``ImageId,Label`` with ImageId counting from 1 in the
order of ``test.csv``. Pure numpy and the standard library, so ``edgecnn predict
--kaggle`` runs on an ``edgecnn[edge]`` install without TensorFlow; the training data
loader (:mod:`edgecnn.train.data`) reads ``train.csv`` through the same
:func:`read_kaggle_csv`.

Every way a file can be wrong ends in one :class:`DatasetError` line naming the file
and, where it is one place, its line and column: missing or unexpected columns, a row
with the wrong number of values, a value that is not an integer, a pixel outside 0-255,
a label outside 0-9.
"""

from __future__ import annotations

import csv
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edge_runtime._files import write_text
from edge_runtime.errors import DatasetError

SIDE = 28
PIXELS = SIDE * SIDE
LABEL_COLUMN = "label"
PIXEL_COLUMNS = tuple(f"pixel{i}" for i in range(PIXELS))
#: train.csv's columns; test.csv has the pixel columns alone.
TRAIN_COLUMNS = (LABEL_COLUMN, *PIXEL_COLUMNS)
SUBMISSION_HEADER = "ImageId,Label"


@dataclass(frozen=True, eq=False)
class KaggleDigits:
    """The digits of one Kaggle CSV, checked.

    Attributes:
        images: (N, 28, 28) uint8, in the file's row order.
        labels: (N,) uint8 for a ``train.csv``; None for a ``test.csv`` (no label column).
        path: the file read.
    """

    images: np.ndarray
    labels: np.ndarray | None
    path: Path


def read_kaggle_csv(path: str | Path, *, labelled: bool | None = None) -> KaggleDigits:
    """Read a Kaggle Digit Recognizer CSV (``train.csv`` or ``test.csv``).

    The header names the columns; they may come in any order, but every one of
    ``pixel0`` .. ``pixel783`` must be there, and nothing else but ``label``.

    Args:
        path: the CSV file.
        labelled: ``True`` to require the ``label`` column (training), ``False`` to
            refuse it (a ``test.csv`` is wanted), ``None`` to take either.

    Returns:
        The :class:`KaggleDigits`.

    Raises:
        DatasetError: the file is missing or unreadable, or malformed (one line naming
            the file, and the line and column where it is one place).
    """
    path = Path(path)
    try:
        with path.open("r", encoding="utf-8", newline="") as handle:
            header = handle.readline()
            order, has_label = _column_order(path, header, labelled)
            with warnings.catch_warnings():  # "input contained no data": reported below
                warnings.simplefilter("ignore", UserWarning)
                # int16 holds every valid value and flags nothing silently: a value
                # it cannot hold fails the parse, and the scan below names it.
                table = np.loadtxt(handle, delimiter=",", dtype=np.int16, ndmin=2)
    except DatasetError:
        raise
    except FileNotFoundError as exc:
        raise DatasetError(f"{path}: missing") from exc
    except IsADirectoryError as exc:
        raise DatasetError(f"{path}: is a folder, not a CSV file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path}: unreadable ({exc})") from exc
    except (ValueError, OverflowError) as exc:
        raise _first_bad_row(path, len(order)) from exc
    if table.size == 0:
        raise DatasetError(f"{path}: no data rows (only a header)")
    if table.shape[1] != len(order):
        raise _first_bad_row(path, len(order))
    table = table[:, order]  # label (if any) first, then pixel0..pixel783
    labels = None
    if has_label:
        labels = _checked(path, table[:, :1], 9, [LABEL_COLUMN]).reshape(-1)
        table = table[:, 1:]
    pixels = _checked(path, table, 255, list(PIXEL_COLUMNS))
    return KaggleDigits(pixels.reshape(-1, SIDE, SIDE), labels, path)


def _column_order(path: Path, header: str, labelled: bool | None) -> tuple[np.ndarray, bool]:
    """Where each wanted column sits in the file: label first (if any), then the pixels."""
    names = [name.strip().strip('"') for name in header.lstrip("\ufeff").rstrip("\r\n").split(",")]
    if names == [""]:
        raise DatasetError(f"{path}: empty file (expected a header of {_expected(labelled)})")
    known = set(TRAIN_COLUMNS)
    unexpected = [name for name in names if name not in known]
    if unexpected:
        raise DatasetError(
            f"{path}: wrong CSV header: unexpected column{'s' * (len(unexpected) > 1)} "
            f"{_listed([repr(n) for n in unexpected])} (expected {_expected(labelled)})"
        )
    has_label = LABEL_COLUMN in names
    if labelled is True and not has_label:
        raise DatasetError(
            f"{path}: wrong CSV header: no '{LABEL_COLUMN}' column (a test.csv? "
            "training needs Kaggle's train.csv)"
        )
    if labelled is False and has_label:
        raise DatasetError(
            f"{path}: wrong CSV header: it has a '{LABEL_COLUMN}' column (a train.csv? "
            "expected Kaggle's test.csv, pixel0..pixel783)"
        )
    seen = set(names)
    missing = [name for name in PIXEL_COLUMNS if name not in seen]
    if missing:
        raise DatasetError(
            f"{path}: wrong CSV header: missing column{'s' * (len(missing) > 1)} "
            f"{_listed(missing)} ({len(names)} columns, expected {_expected(has_label)})"
        )
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise DatasetError(f"{path}: wrong CSV header: column {_listed(twice)} given twice")
    wanted = TRAIN_COLUMNS if has_label else PIXEL_COLUMNS
    position = {name: i for i, name in enumerate(names)}
    return np.array([position[name] for name in wanted], np.intp), has_label


def _expected(labelled: bool | None) -> str:
    if labelled is None:
        return "[label,]pixel0..pixel783"
    return "label,pixel0..pixel783" if labelled else "pixel0..pixel783"


def _listed(items: Sequence[str], shown: int = 3) -> str:
    if len(items) <= shown:
        return ", ".join(items)
    return f"{', '.join(items[:shown])} and {len(items) - shown} more"


def _first_bad_row(path: Path, columns: int) -> DatasetError:
    """The error of the first row numpy could not read: rescanned, to name its line."""
    try:
        with path.open("r", encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader)
            for row in reader:
                line = reader.line_num
                if not row or row == [""]:
                    continue
                if len(row) != columns:
                    return DatasetError(
                        f"{path}: malformed CSV: line {line} has {len(row)} values, "
                        f"expected {columns} (as many as the header's columns)"
                    )
                for column, value in enumerate(row):
                    text = value.strip()
                    if not (text.lstrip("-").isdigit() and text.isascii()):
                        return DatasetError(
                            f"{path}: malformed CSV: line {line}, column "
                            f"{header[column].strip()}: {value!r} is not an integer"
                        )
                    if not -(2**15) <= int(text) < 2**15:
                        name = header[column].strip()
                        return DatasetError(
                            f"{path}: line {line}, column {name}: "
                            f"{text} is outside 0-{9 if name == LABEL_COLUMN else 255}"
                        )
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        return DatasetError(f"{path}: malformed CSV ({exc})")
    return DatasetError(f"{path}: malformed CSV (not comma-separated integers)")


def _checked(path: Path, values: np.ndarray, top: int, names: list[str]) -> np.ndarray:
    """(N, columns) ``values`` as uint8, or the error naming the first one outside 0-top."""
    bad = (values < 0) | (values > top)
    if bad.any():
        flat = int(np.argmax(bad.reshape(-1)))
        row, column = divmod(flat, values.shape[1])
        what = "label" if top == 9 else "pixel value"
        raise DatasetError(
            f"{path}: line {row + 2}, column {names[column]}: {what} "
            f"{int(values.reshape(-1)[flat])} is outside 0-{top}"
        )
    return values.astype(np.uint8)


def submission_text(labels: Sequence[int] | np.ndarray) -> str:
    """Kaggle's submission CSV: ``ImageId,Label``, ImageId counting from 1.

    Args:
        labels: one digit per ``test.csv`` row, in its order.

    Returns:
        The file's text, with a trailing newline.

    Raises:
        ValueError: a label outside 0-9.
    """
    digits = np.asarray(labels).reshape(-1)
    if digits.size and (digits.dtype.kind not in "iu" or digits.min() < 0 or digits.max() > 9):
        raise ValueError("submission labels must be integers 0-9")
    rows = [f"{i},{d}" for i, d in enumerate(digits.tolist(), 1)]
    return "\n".join([SUBMISSION_HEADER, *rows]) + "\n"


def write_submission(path: str | Path, labels: Sequence[int] | np.ndarray) -> Path:
    """Write ``submission.csv`` atomically (whole or not at all).

    Args:
        path: where to write it.
        labels: one digit per ``test.csv`` row, in its order.

    Returns:
        ``path``.
    """
    return write_text(Path(path), submission_text(labels))
