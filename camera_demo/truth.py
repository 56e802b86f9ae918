"""Ground truth for a clip, and scoring what the camera read against it.

Truth file (JSON, written by ``tools/clip.py``, make_clip)::

    {"schema_version": 1, "video": "digits_clip.avi", "width": 640, "height": 480,
     "fps": 24.0, "seed": 0, "source": "MNIST test set", "dark_ink": true,
     "frames": [{"frame": 0, "digits": [{"digit": 7, "box": [x, y, w, h],
                                         "mnist_index": 123}, ...]}, ...]}

Digits are listed left to right. A reading matches a true digit when their boxes
overlap (IoU >= 0.3, or the reading's centre lies in the true box); each true digit
is then correct, wrong, rejected (shown as ``?``) or missed, and every accepted
reading that matches nothing is a false digit.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from edge_runtime.errors import DatasetError

TRUTH_SCHEMA_VERSION = 1
MATCH_IOU = 0.3

Box = tuple[int, int, int, int]


class Reading(Protocol):
    """What the scorer needs of a reading (``edge_runtime.DigitReading`` fits)."""

    digit: int | None
    box: tuple[int, int, int, int]
    rejected: bool


@dataclass(frozen=True)
class TruthDigit:
    """A digit that is really in a frame."""

    digit: int
    box: Box


def load_truth(path: Path) -> dict[int, tuple[TruthDigit, ...]]:
    """Read a truth file.

    Args:
        path: the JSON file.

    Returns:
        Frame index -> its digits, left to right.

    Raises:
        DatasetError: missing, unreadable, or not a truth file of a known schema.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DatasetError(f"{path}: cannot read ground truth ({exc})") from exc
    if not isinstance(data, dict) or data.get("schema_version") != TRUTH_SCHEMA_VERSION:
        raise DatasetError(f"{path}: not a ground-truth file of schema {TRUTH_SCHEMA_VERSION}")
    try:
        return {
            int(frame["frame"]): tuple(
                TruthDigit(int(d["digit"]), tuple(int(v) for v in d["box"]))  # type: ignore[arg-type]
                for d in frame["digits"]
            )
            for frame in data["frames"]
        }
    except (KeyError, TypeError, ValueError) as exc:
        raise DatasetError(f"{path}: malformed ground truth ({exc!r})") from exc


@dataclass(frozen=True)
class TruthScore:
    """How the readings of a run compare with the truth.

    ``accuracy`` counts a true digit as read only when the matching reading is
    accepted and right; ``frame_accuracy`` counts frames whose accepted digits, read
    left to right, spell exactly the true sequence.
    """

    frames: int
    digits: int
    correct: int
    wrong: int
    rejected: int
    missed: int
    false_digits: int
    empty_frames: int
    false_on_empty: int
    exact_frames: int

    @property
    def accuracy(self) -> float:
        return self.correct / self.digits if self.digits else 0.0

    @property
    def frame_accuracy(self) -> float:
        return self.exact_frames / self.frames if self.frames else 0.0

    def as_dict(self) -> dict[str, float | int]:
        """Every field plus the two accuracies, for JSON."""
        out: dict[str, float | int] = dict(self.__dict__)
        out["accuracy"] = round(self.accuracy, 6)
        out["frame_accuracy"] = round(self.frame_accuracy, 6)
        return out


class Scorer:
    """Accumulates a :class:`TruthScore` frame by frame."""

    def __init__(self, truth: dict[int, tuple[TruthDigit, ...]]) -> None:
        self._truth = truth
        self._counts = dict.fromkeys(TruthScore.__dataclass_fields__, 0)

    def add(self, frame: int, readings: Sequence[Reading]) -> None:
        """Score one frame; frames the truth does not list are ignored."""
        if frame not in self._truth:
            return
        truth = self._truth[frame]
        c = self._counts
        c["frames"] += 1
        c["digits"] += len(truth)
        unmatched = list(range(len(readings)))
        for t in truth:
            best, best_score = None, 0.0
            for i in unmatched:
                score = _match(t.box, readings[i].box)
                if score > best_score:
                    best, best_score = i, score
            if best is None:
                c["missed"] += 1
                continue
            unmatched.remove(best)
            reading = readings[best]
            if reading.rejected or reading.digit is None:
                c["rejected"] += 1
            elif reading.digit == t.digit:
                c["correct"] += 1
            else:
                c["wrong"] += 1
        false = sum(
            1 for i in unmatched if not readings[i].rejected and readings[i].digit is not None
        )
        c["false_digits"] += false
        if not truth:
            c["empty_frames"] += 1
            c["false_on_empty"] += false
        spelled = [
            r.digit
            for r in sorted(readings, key=lambda r: r.box[0])
            if not r.rejected and r.digit is not None
        ]
        c["exact_frames"] += int(spelled == [t.digit for t in truth])

    def result(self) -> TruthScore:
        """The score so far."""
        return TruthScore(**self._counts)


def _match(truth: Box, box: Box) -> float:
    """IoU of two boxes, or MATCH_IOU when ``box``'s centre lies in ``truth``; 0 if neither."""
    tx, ty, tw, th = truth
    x, y, w, h = box
    ix = max(0, min(tx + tw, x + w) - max(tx, x))
    iy = max(0, min(ty + th, y + h) - max(ty, y))
    inter = ix * iy
    iou = inter / float(tw * th + w * h - inter) if inter else 0.0
    cx, cy = x + w / 2, y + h / 2
    inside = tx <= cx <= tx + tw and ty <= cy <= ty + th
    if iou >= MATCH_IOU:
        return iou
    return MATCH_IOU if inside else 0.0
