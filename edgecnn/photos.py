"""Scoring digit reading on real photos: what ``edgecnn evaluate --photos DIR`` runs.

A folder holds a ``manifest.json`` in the format of ``../shared/data/real-dev`` (see its
README): ``items[]`` with ``path``, ``kind`` and the truth (``label``, ``digits``,
``rows[].digits`` with ``y_range``, or ``row_digits``). The scoring is that of
``../shared/tools/score_real_photos.py``, figure for figure:

- A multi-digit photo goes through ``read_lines``. With ``rows``, each reading joins
  the first row whose ``y_range`` holds its box centre, a row's readings are sorted
  left to right and aligned with its truth by edit distance (:func:`align`); a
  confident reading in no row is a false digit. Without rows it is one line.
- A photo whose truth has ``row_digits`` but no ``rows`` (a sheet at an angle, where no
  y range can hold a row) is scored as a bag of digits: right = the digits read and
  in the truth, counted with multiplicity; extra = the other confident ones.
- Single-digit items go through ``predict``; a ``dataset`` (Semeion, or USPS) is
  rendered as a dark-on-light 64x64 crop (:func:`render`) and predicted one by one.

Only numpy, OpenCV and ``edge_runtime`` are used, never TensorFlow, so that a Pi with
``edgecnn[edge]`` can score itself.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from edge_runtime._deps import require
from edge_runtime.errors import DatasetError
from edge_runtime.results import DigitReading
from edgecnn.manifest import MULTI_KINDS, SINGLE_KINDS, Item, Scoring

Pred = tuple[int | None, bool]  # (digit, rejected), what align compares


@dataclass(frozen=True)
class Alignment:
    """The outcome of aligning readings with a truth string.

    Attributes:
        right: readings aligned to an equal truth digit and not rejected.
        false: confident readings that are wrong or stand where no digit is.
        rejected: rejected (or unread) readings, aligned or extra.
    """

    right: int
    false: int
    rejected: int


def align(pred: Sequence[Pred], truth: Sequence[int]) -> Alignment:
    """Align readings (left to right) with the truth digits by edit distance.

    Ties are broken as the reference tool does: walking back from the end, a
    substitution first, then a reading with no truth digit, then a missed truth digit
    (which counts nowhere: it is a digit not right).

    Args:
        pred: ``(digit, rejected)`` per reading; digit None means unread.
        truth: the true digits.

    Returns:
        The counts of right, false and rejected readings.
    """
    n, m = len(pred), len(truth)
    cost = np.zeros((n + 1, m + 1), int)
    cost[:, 0] = range(n + 1)
    cost[0, :] = range(m + 1)
    same = [[p[0] == t and not p[1] for t in truth] for p in pred]
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost[i, j] = min(
                cost[i - 1, j] + 1,
                cost[i, j - 1] + 1,
                cost[i - 1, j - 1] + (0 if same[i - 1][j - 1] else 1),
            )
    i, j = n, m
    right = false = rejected = 0
    while i > 0 or j > 0:
        if i > 0 and j > 0:
            hit = same[i - 1][j - 1]
            if cost[i, j] == cost[i - 1, j - 1] + (0 if hit else 1):
                if hit:
                    right += 1
                elif _unread(pred[i - 1]):
                    rejected += 1
                else:
                    false += 1
                i, j = i - 1, j - 1
                continue
        if i > 0 and cost[i, j] == cost[i - 1, j] + 1:
            if _unread(pred[i - 1]):
                rejected += 1
            else:
                false += 1
            i -= 1
            continue
        j -= 1
    return Alignment(right, false, rejected)


def _unread(p: Pred) -> bool:
    return p[1] or p[0] is None


def _char(r: DigitReading) -> str:
    return "?" if r.rejected or r.digit is None else str(r.digit)


def _centre(r: DigitReading) -> tuple[float, float]:
    x, y, w, h = r.box
    return x + w / 2, y + h / 2


@dataclass(frozen=True)
class PhotoScore:
    """One multi-digit photo, scored.

    Attributes:
        path: the item's path in the manifest.
        scoring: rows, line or bag (see :class:`edgecnn.manifest.Scoring`).
        truth: the true digits, rows separated by spaces.
        read: what was read in the same layout (``?`` = rejected, ``-`` = an empty row);
            readings in no row follow a ``|``.
        truth_digits: how many digits the truth has.
        right: digits right (for a bag: read and in the truth).
        false: confident wrong or extra digits.
        rejected: rejected readings (in a row, or on a line; not counted for a bag).
        rows_exact: rows read exactly (0 for a bag).
        rows_total: rows scored (0 for a bag).
        readings: every reading, in ``read_lines`` order (lines top to bottom).
        row_of: per reading, the index of its row (None: in no row).
        size: (width, height) of the photo.
        decode_ms: time to decode the file.
        read_ms: time of ``read_lines`` on it.
    """

    path: str
    scoring: Scoring
    truth: str
    read: str
    truth_digits: int
    right: int
    false: int
    rejected: int
    rows_exact: int
    rows_total: int
    readings: tuple[DigitReading, ...]
    row_of: tuple[int | None, ...]
    size: tuple[int, int]
    decode_ms: float
    read_ms: float

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready record."""
        return {
            "path": self.path,
            "scoring": self.scoring.value,
            "truth": self.truth,
            "read": self.read,
            "truth_digits": self.truth_digits,
            "right": self.right,
            "false": self.false,
            "rejected": self.rejected,
            "rows_exact": self.rows_exact,
            "rows_total": self.rows_total,
            "width": self.size[0],
            "height": self.size[1],
            "decode_ms": round(self.decode_ms, 2),
            "read_ms": round(self.read_ms, 2),
            "readings": [
                {
                    "digit": r.digit,
                    "confidence": round(r.confidence, 4),
                    "box": list(r.box),
                    "rejected": r.rejected,
                    "row": row,
                }
                for r, row in zip(self.readings, self.row_of, strict=True)
            ],
        }


def score_photo(
    item: Item,
    readings: Sequence[DigitReading],
    size: tuple[int, int] = (0, 0),
    decode_ms: float = 0.0,
    read_ms: float = 0.0,
    line_of: Sequence[int] | None = None,
) -> PhotoScore:
    """Score the readings of one multi-digit photo against its truth.

    Args:
        item: a multi-digit item of the manifest.
        readings: what ``read_digits`` returned for it.
        size: (width, height) of the photo, for the record.
        decode_ms: time spent decoding it, for the record.
        read_ms: time spent reading it, for the record.
        line_of: per reading, the line ``read_lines`` put it in. A bag's read text
            shows those lines (its score does not depend on them); without them, one
            line left to right.

    Returns:
        The score.
    """
    readings = tuple(readings)
    truth = [int(c) for c in item.digits]
    row_of: list[int | None] = [None] * len(readings)
    right = false = rejected = exact = 0
    if item.scoring is Scoring.BAG:
        read = Counter(r.digit for r in readings if not _unread((r.digit, r.rejected)))
        want = Counter(truth)
        right = sum(min(read[d], want[d]) for d in want)
        false = sum(read.values()) - right
        if line_of is not None and len(line_of) == len(readings):
            lines = [
                [k for k in range(len(readings)) if line_of[k] == n] for n in sorted(set(line_of))
            ]
        else:
            lines = [sorted(range(len(readings)), key=lambda k: _centre(readings[k])[0])]
        truth_text = " ".join(item.row_digits)
    else:
        rows = item.rows or ((item.digits, None),)
        lines = []
        for index, (digits, y_range) in enumerate(rows):
            members = [
                k
                for k, r in enumerate(readings)
                if row_of[k] is None
                and (y_range is None or y_range[0] <= _centre(r)[1] <= y_range[1])
            ]
            members.sort(key=lambda k: _centre(readings[k])[0])
            for k in members:
                row_of[k] = index
            lines.append(members)
            a = align(
                [(readings[k].digit, readings[k].rejected) for k in members],
                [int(c) for c in digits],
            )
            right, false, rejected = right + a.right, false + a.false, rejected + a.rejected
            exact += a.right == len(digits) and a.false == 0 and len(members) == len(digits)
        false += sum(
            1
            for k, r in enumerate(readings)
            if row_of[k] is None and not _unread((r.digit, r.rejected))
        )
        truth_text = " ".join(digits for digits, _ in rows)
    read_text = " ".join("".join(_char(readings[k]) for k in line) or "-" for line in lines)
    outside = "".join(_char(r) for k, r in enumerate(readings) if row_of[k] is None)
    if item.scoring is not Scoring.BAG and outside:
        read_text += f" | {outside}"
    return PhotoScore(
        path=item.path,
        scoring=item.scoring,
        truth=truth_text,
        read=read_text,
        truth_digits=len(truth),
        right=right,
        false=false,
        rejected=rejected,
        rows_exact=exact,
        rows_total=0 if item.scoring is Scoring.BAG else len(item.rows or (None,)),
        readings=readings,
        row_of=tuple(row_of),
        size=size,
        decode_ms=decode_ms,
        read_ms=read_ms,
    )


@dataclass(frozen=True)
class GroupScore:
    """A single-digit group: ``right`` of ``total`` predicted correctly."""

    name: str
    right: int
    total: int

    @property
    def accuracy(self) -> float:
        """right / total (0 for an empty group)."""
        return self.right / self.total if self.total else 0.0


@dataclass(frozen=True)
class Totals:
    """The whole set, scored.

    Attributes:
        photos: every multi-digit photo, in manifest order.
        groups: the single-digit groups, by name.
        right, truth, false, rejected: over the photos scored by rows or as a line.
        rows_exact, rows_total: rows (a line counts as one) read exactly, and scored.
        bag_right, bag_truth, bag_extra: over the photos scored as bags of digits.
    """

    photos: tuple[PhotoScore, ...]
    groups: tuple[GroupScore, ...]
    right: int
    truth: int
    false: int
    rejected: int
    rows_exact: int
    rows_total: int
    bag_right: int
    bag_truth: int
    bag_extra: int

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready record: ``photos``, ``multi``, ``bag``, ``groups``, ``read_ms``."""
        times = sorted(p.read_ms for p in self.photos)
        return {
            "photos": [p.to_dict() for p in self.photos],
            "multi": {
                "right": self.right,
                "truth": self.truth,
                "false": self.false,
                "rejected": self.rejected,
                "rows_exact": self.rows_exact,
                "rows_total": self.rows_total,
            },
            "bag": {"right": self.bag_right, "truth": self.bag_truth, "extra": self.bag_extra},
            "groups": {g.name: {"right": g.right, "total": g.total} for g in self.groups},
            "read_ms": {
                "median": round(float(np.median(times)), 2) if times else None,
                "max": round(times[-1], 2) if times else None,
            },
        }


def totals(photos: Iterable[PhotoScore], groups: Iterable[GroupScore] = ()) -> Totals:
    """Add up photo scores (lines and rows apart from bags) and sort the groups by name."""
    photos = tuple(photos)
    lined = [p for p in photos if p.scoring is not Scoring.BAG]
    bags = [p for p in photos if p.scoring is Scoring.BAG]
    return Totals(
        photos=photos,
        groups=tuple(sorted(groups, key=lambda g: g.name)),
        right=sum(p.right for p in lined),
        truth=sum(p.truth_digits for p in lined),
        false=sum(p.false for p in lined),
        rejected=sum(p.rejected for p in lined),
        rows_exact=sum(p.rows_exact for p in lined),
        rows_total=sum(p.rows_total for p in lined),
        bag_right=sum(p.right for p in bags),
        bag_truth=sum(p.truth_digits for p in bags),
        bag_extra=sum(p.false for p in bags),
    )


def summary_lines(result: Totals) -> list[str]:
    """The totals as the reference tool prints them, one line per figure."""
    lines = []
    if result.truth:
        lines.append(
            f"multi-digit photos: {result.right}/{result.truth} digits right "
            f"({result.right / result.truth:.1%}), {result.false} false, "
            f"{result.rejected} rejected; rows exact {result.rows_exact}/{result.rows_total}"
        )
    if result.bag_truth:
        lines.append(
            f"angled sheets (bag of digits): {result.bag_right}/{result.bag_truth} "
            f"({result.bag_right / result.bag_truth:.1%}), {result.bag_extra} extra"
        )
    lines += [f"{g.name}: {g.right}/{g.total} ({g.accuracy:.1%})" for g in result.groups]
    return lines


def render(ink: np.ndarray) -> np.ndarray:
    """A small grey array (ink high, 0-1) as dark ink on light paper: a 64x64 crop."""
    cv2: Any = require("cv2", "edge")
    g = cv2.resize(ink.astype(np.float32), (48, 48), interpolation=cv2.INTER_CUBIC).clip(0, 1)
    canvas = np.zeros((64, 64), np.float32)
    canvas[8:56, 8:56] = g
    return (255 - canvas * 200).astype(np.uint8)


def read_digit_dataset(path: Path) -> tuple[str, list[np.ndarray], list[int]]:
    """A gzipped text dataset of 16x16 digits, its format told by its rows' width.

    Semeion rows hold 256 binary pixels then a one-hot label (266 values); USPS rows a
    label then 256 pixels in [-1, 1] (257 values).

    Returns:
        ``("semeion" | "usps", images with ink high in 0-1, labels)``.

    Raises:
        DatasetError: unreadable, or a row of neither shape.
    """
    import gzip

    images: list[np.ndarray] = []
    labels: list[int] = []
    name = ""
    try:
        with gzip.open(path, "rt", encoding="ascii") as lines:
            for number, line in enumerate(lines, 1):
                values = line.split()
                if not values:
                    continue
                try:
                    row = np.array(values, float)
                except ValueError:
                    raise DatasetError(f"{path}: line {number} is not numbers") from None
                kind = {266: "semeion", 257: "usps"}.get(len(row))
                if kind is None or name not in ("", kind):
                    raise DatasetError(
                        f"{path}: line {number} has {len(row)} values; expected 266 "
                        "(Semeion) or 257 (USPS) on every line"
                    )
                name = kind
                if kind == "semeion":
                    images.append(row[:256].reshape(16, 16))
                    labels.append(int(np.argmax(row[256:266])))
                else:
                    labels.append(int(row[0]))
                    images.append((row[1:257].reshape(16, 16) + 1) / 2)
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path}: unreadable gzip text ({exc})") from exc
    if not images:
        raise DatasetError(f"{path}: no digits in it")
    return name, images, labels


def decode(item: Item, grey: bool = False) -> np.ndarray:
    """The item's file as BGR (or grey) uint8, as ``cv2.imread`` would give it.

    Raises:
        DatasetError: the file is not an image OpenCV can decode.
    """
    cv2: Any = require("cv2", "edge")
    data = np.fromfile(item.file, dtype=np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if image is None:
        raise DatasetError(f"{item.file}: not an image OpenCV can decode")
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if grey else image


Progress = Callable[[int, int, str], None]


def evaluate_photos(
    items: Sequence[Item],
    classifier: Any,
    progress: Progress | None = None,
    on_photo: Callable[[Item, np.ndarray, PhotoScore], None] | None = None,
) -> Totals:
    """Read every item with a classifier and score it.

    Args:
        items: from :func:`edgecnn.manifest.load_manifest`.
        classifier: an open :class:`edge_runtime.DigitClassifier`.
        progress: called with (done, total, path) after each item.
        on_photo: called with each multi-digit photo, its pixels and its score (to draw).

    Returns:
        The totals.

    Raises:
        DatasetError: a file cannot be decoded.
    """
    photos: list[PhotoScore] = []
    groups: dict[str, list[int]] = {}
    for done, item in enumerate(items, 1):
        if item.kind in MULTI_KINDS:
            start = time.perf_counter()
            image = decode(item)
            decoded = time.perf_counter()
            found = classifier.read_lines(image)
            read = time.perf_counter()
            readings = [r for line in found for r in line.readings]
            line_of = [n for n, line in enumerate(found) for _ in line.readings]
            size = (image.shape[1], image.shape[0])
            score = score_photo(
                item, readings, size, (decoded - start) * 1e3, (read - decoded) * 1e3, line_of
            )
            photos.append(score)
            if on_photo is not None:
                on_photo(item, image, score)
        elif item.kind in SINGLE_KINDS:
            image = decode(item, grey=item.kind == "mnist_style_crop")
            tally = groups.setdefault(item.kind, [0, 0])
            tally[0] += classifier.predict(image).digit == item.label
            tally[1] += 1
        else:
            name, images, labels = read_digit_dataset(item.file)
            right = sum(
                classifier.predict(render(x)).digit == y
                for x, y in zip(images, labels, strict=True)
            )
            tally = groups.setdefault(name, [0, 0])
            tally[0] += right
            tally[1] += len(labels)
        if progress is not None:
            progress(done, len(items), item.path)
    return totals(photos, (GroupScore(k, r, n) for k, (r, n) in groups.items()))


def report_lines(result: Totals) -> list[str]:
    """Per photo a line of figures, its truth and what was read; then the totals and the
    read time. Time is ``read_lines`` alone: decoding the file is not counted."""
    lines = [
        f"{'photo':48} {'size':>9} {'digits':>6} {'right':>5} {'false':>5} {'rej':>4} "
        f"{'rows':>5} {'read ms':>8}"
    ]
    for p in result.photos:
        rows = "bag" if p.scoring is Scoring.BAG else f"{p.rows_exact}/{p.rows_total}"
        size = f"{p.size[0]}x{p.size[1]}"
        lines.append(
            f"{p.path:48} {size:>9} {p.truth_digits:>6} {p.right:>5} {p.false:>5} "
            f"{p.rejected:>4} {rows:>5} {p.read_ms:>8.1f}"
        )
        lines.append(f"  truth {p.truth}")
        lines.append(f"  read  {p.read}")
    lines += summary_lines(result)
    if result.photos:
        slowest = max(result.photos, key=lambda p: p.read_ms)
        median = float(np.median([p.read_ms for p in result.photos]))
        lines.append(
            f"read time per photo: median {median:.1f} ms, max {slowest.read_ms:.1f} ms "
            f"({slowest.path}, {slowest.size[0]}x{slowest.size[1]}); decoding not included"
        )
    return lines
