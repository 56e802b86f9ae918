"""Draw what was read onto the frame: boxes, digits, confidences, FPS and latency.

Accepted digits are green with their confidence; rejected ones are orange ``?``
(the finder saw a digit but the model was not sure enough). Drawing costs a few
tens of microseconds per frame: rectangles and Hershey text, no alpha blending.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from edge_runtime._deps import require

ACCEPTED = (60, 200, 60)  # BGR
REJECTED = (0, 140, 255)
ROI = (255, 160, 0)
TEXT = (255, 255, 255)
PANEL = (0, 0, 0)
FONT_SCALE = 0.6


def label(reading: Any) -> str:
    """The text shown for a reading: ``"7 98%"``, or ``"? 41%"`` when rejected."""
    digit = "?" if reading.rejected or reading.digit is None else str(reading.digit)
    return f"{digit} {reading.confidence * 100:.0f}%"


def draw_readings(
    image: np.ndarray,
    readings: Sequence[Any],
    *,
    fps: float | None = None,
    latency_ms: float | None = None,
    roi: tuple[int, int, int, int] | None = None,
) -> np.ndarray:
    """Annotate a BGR frame in place.

    Args:
        image: the frame (BGR uint8); drawn on and returned.
        readings: ``DigitReading``s with boxes in the frame's pixels.
        fps: frames per second to show, if known.
        latency_ms: this frame's processing time to show, if known.
        roi: the region digits were looked for in, drawn as a thin box.

    Returns:
        ``image``.
    """
    cv2: Any = require("cv2", "edge")
    font = cv2.FONT_HERSHEY_SIMPLEX
    if roi is not None:
        x, y, w, h = roi
        cv2.rectangle(image, (x, y), (x + w - 1, y + h - 1), ROI, 1)
    for reading in readings:
        x, y, w, h = reading.box
        colour = REJECTED if reading.rejected or reading.digit is None else ACCEPTED
        cv2.rectangle(image, (x, y), (x + w, y + h), colour, 2)
        text = label(reading)
        (tw, th), base = cv2.getTextSize(text, font, FONT_SCALE, 2)
        ty = y - 6 if y - th - base - 6 >= 0 else y + h + th + 6  # below when no room above
        cv2.rectangle(image, (x, ty - th - 4), (x + tw + 4, ty + base - 2), colour, -1)
        cv2.putText(image, text, (x + 2, ty - 2), font, FONT_SCALE, PANEL, 2, cv2.LINE_AA)
    status = [
        " ".join("?" if r.rejected or r.digit is None else str(r.digit) for r in readings) or "-"
    ]
    if fps is not None:
        status.append(f"{fps:.0f} FPS")
    if latency_ms is not None:
        status.append(f"{latency_ms:.1f} ms")
    text = "  ".join(status)
    (tw, th), base = cv2.getTextSize(text, font, FONT_SCALE, 1)
    cv2.rectangle(image, (0, 0), (tw + 12, th + base + 10), PANEL, -1)
    cv2.putText(image, text, (6, th + 6), font, FONT_SCALE, TEXT, 1, cv2.LINE_AA)
    return image
