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
