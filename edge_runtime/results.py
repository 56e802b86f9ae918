"""What the runtime returns: one classified digit, or one digit found in a larger image.

Their own module, below both the classifier and the digit finder, so neither has to
import the other to name its results.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True, slots=True)
class Prediction:
    """One classified digit.

    Attributes:
        digit: the most likely digit, or None when the image holds no digit (blank).
        confidence: its probability (0.0 for a blank).
        probabilities: float32 (10,), one per class (all zero for a blank).
    """

    digit: int | None
    confidence: float
    probabilities: npt.NDArray[np.float32] = field(compare=False)


@dataclass(frozen=True, slots=True)
class DigitReading:
    """One digit found in a larger image by :meth:`DigitClassifier.read_digits`.

    Attributes:
        digit: the digit, or None when it could not be read.
        confidence: its probability.
        box: (x, y, w, h) in the image's pixels.
        rejected: True when the confidence is below the threshold asked for.
    """

    digit: int | None
    confidence: float
    box: tuple[int, int, int, int]
    rejected: bool


@dataclass(frozen=True, slots=True)
class DigitLine:
    """One line of digits found by :meth:`DigitClassifier.read_lines`.

    Attributes:
        readings: the line's digits, left to right.
        numbers: the same readings grouped into numbers by their spacing.
    """

    readings: tuple[DigitReading, ...]
    numbers: tuple[tuple[DigitReading, ...], ...]

    @property
    def text(self) -> str:
        """The line as text: numbers separated by a space, ``?`` for a digit not read."""
        return " ".join(self.number_texts)

    @property
    def number_texts(self) -> tuple[str, ...]:
        """Each number as text, ``?`` for a digit not read."""
        return tuple(
            "".join("?" if r.digit is None else str(r.digit) for r in number)
            for number in self.numbers
        )

    @property
    def box(self) -> tuple[int, int, int, int]:
        """(x, y, w, h) around every digit of the line."""
        x0 = min(r.box[0] for r in self.readings)
        y0 = min(r.box[1] for r in self.readings)
        x1 = max(r.box[0] + r.box[2] for r in self.readings)
        y1 = max(r.box[1] + r.box[3] for r in self.readings)
        return (x0, y0, x1 - x0, y1 - y0)
