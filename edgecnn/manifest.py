"""Load a real-photo set's ``manifest.json``, checking everything before any work starts.

The format is that of ``../shared/data/real-dev/manifest.json`` (its README): ``items[]``,
each with ``path`` (relative to the folder), ``kind`` and the truth; an item with a
``group`` takes the fields it lacks from ``groups[group]``. A bad manifest, or an item
whose file is missing, raises :class:`~edge_runtime.errors.DatasetError` naming the item.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from edge_runtime.errors import DatasetError

MULTI_KINDS = ("multi_digit_photo", "multi_digit_photo_derived")
SINGLE_KINDS = (
    "single_digit_photo",
    "mnist_style_crop",
    "tablet_drawn_digit",
    "drawn_digit",
    "meter_digit_crop",
)
DATASET_KIND = "dataset"
MANIFEST = "manifest.json"


class Scoring(str, Enum):
    """How a multi-digit photo is scored, decided by its truth (never by its name)."""

    ROWS = "rows"  # rows[] with y ranges: per row, by edit distance
    LINE = "line"  # digits only: one line, by edit distance
    BAG = "bag"  # row_digits but no y ranges (a sheet at an angle): a bag of digits


@dataclass(frozen=True)
class Item:
    """One file of the set and its truth.

    Attributes:
        path: as the manifest gives it, relative to the folder.
        file: the file itself.
        kind: the manifest's kind (``multi_digit_photo``, ``drawn_digit``, ...).
        label: the digit of a single-digit item, else None.
        digits: every digit of a multi-digit photo, rows top to bottom ("" otherwise).
        rows: ``(digits, (y0, y1))`` per row, top to bottom; empty without rows.
        row_digits: the digits of each row where the manifest gives them without y ranges.
    """

    path: str
    file: Path
    kind: str
    label: int | None = None
    digits: str = ""
    rows: tuple[tuple[str, tuple[float, float]], ...] = ()
    row_digits: tuple[str, ...] = ()

    @property
    def scoring(self) -> Scoring:
        """Rows when y ranges are given; a bag when only row_digits are; else a line."""
        if self.rows:
            return Scoring.ROWS
        return Scoring.BAG if self.row_digits else Scoring.LINE


def load_manifest(folder: str | Path) -> tuple[Item, ...]:
    """Every item of ``folder/manifest.json`` whose kind is scored, checked.

    Items of other kinds (``tflite_model``, ...) are skipped, but their files too must
    exist.

    Args:
        folder: the set's folder.

    Returns:
        The multi-digit photos, single-digit items and datasets, in manifest order.

    Raises:
        DatasetError: no such folder, no or unreadable manifest, a malformed item, or
            an item whose file is missing.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(f"{folder}: no such folder")
    path = folder / MANIFEST
    if not path.is_file():
        raise DatasetError(f"{folder}: no {MANIFEST} in it")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise DatasetError(f"{path}: unreadable JSON ({exc})") from exc
    if not isinstance(manifest, dict) or not isinstance(manifest.get("items"), list):
        raise DatasetError(f"{path}: expected an object with an items list")
    groups = manifest.get("groups", {})
    if not isinstance(groups, dict):
        raise DatasetError(f"{path}: groups must be an object")
    items = []
    for index, raw in enumerate(manifest["items"]):
        item = _item(folder, raw, groups, f"{path}: item {index}")
        if item is not None:
            items.append(item)
    return tuple(items)


def _item(folder: Path, raw: Any, groups: dict[str, Any], where: str) -> Item | None:
    if not isinstance(raw, dict):
        raise DatasetError(f"{where}: not an object")
    group = raw.get("group")
    if group is not None:
        if group not in groups or not isinstance(groups[group], dict):
            raise DatasetError(f"{where}: unknown group {group!r}")
        raw = {**groups[group], **raw}
    rel, kind = raw.get("path"), raw.get("kind")
    if not isinstance(rel, str) or not rel or not isinstance(kind, str):
        raise DatasetError(f"{where}: needs a path and a kind")
    where = f"{where} ({rel})"
    file = folder / rel
    if Path(rel).is_absolute() or ".." in Path(rel).parts:
        raise DatasetError(f"{where}: path must be relative to the set's folder")
    if not file.is_file():
        raise DatasetError(f"{where}: file not found: {file}")
    if kind in SINGLE_KINDS:
        label = raw.get("label")
        if isinstance(label, str) and label.isdigit():
            label = int(label)
        if not isinstance(label, int) or isinstance(label, bool) or not 0 <= label <= 9:
            raise DatasetError(f"{where}: label must be one digit, got {raw.get('label')!r}")
        return Item(rel, file, kind, label=label)
    if kind == DATASET_KIND:
        return Item(rel, file, kind)
    if kind not in MULTI_KINDS:
        return None
    digits = _digit_string(raw.get("digits"), f"{where}: digits")
    rows = raw.get("rows") or ()
    if not isinstance(rows, list | tuple):
        raise DatasetError(f"{where}: rows must be a list")
    parsed = tuple(_row(row, f"{where}: row {k}") for k, row in enumerate(rows))
    row_digits = raw.get("row_digits") or ()
    if not isinstance(row_digits, list | tuple):
        raise DatasetError(f"{where}: row_digits must be a list of digit strings")
    row_digits = tuple(_digit_string(d, f"{where}: row_digits") for d in row_digits)
    for name, parts in (("rows", [d for d, _ in parsed]), ("row_digits", row_digits)):
        if parts and "".join(parts) != digits:
            raise DatasetError(f"{where}: the {name} do not add up to digits {digits!r}")
    return Item(rel, file, kind, digits=digits, rows=parsed, row_digits=row_digits)


def _digit_string(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.isdigit() or not value.isascii():
        raise DatasetError(f"{where}: expected a string of digits, got {value!r}")
    return value


def _row(raw: Any, where: str) -> tuple[str, tuple[float, float]]:
    if not isinstance(raw, dict):
        raise DatasetError(f"{where}: not an object")
    digits = _digit_string(raw.get("digits"), f"{where}: digits")
    y_range = raw.get("y_range")
    if (
        not isinstance(y_range, list | tuple)
        or len(y_range) != 2
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in y_range)
        or y_range[0] > y_range[1]
    ):
        raise DatasetError(f"{where}: y_range must be [y0, y1] with y0 <= y1, got {y_range!r}")
    return digits, (float(y_range[0]), float(y_range[1]))
