"""The region of interest (``--roi``): cut it out of a frame, move readings back."""

from __future__ import annotations

from typing import Any

from camera_demo.config import Box


def crop(image: Any, roi: Box | None) -> Any:
    """The region of interest of a frame (the frame itself without one).

    Raises:
        ValueError: the region does not fit in the frame.
    """
    if roi is None:
        return image
    x, y, w, h = roi
    height, width = image.shape[:2]
    if x + w > width or y + h > height:
        raise ValueError(f"--roi {x},{y},{w},{h} does not fit in the {width}x{height} frame")
    return image[y : y + h, x : x + w]


def _shift(reading: Any, roi: Box) -> Any:
    x, y, w, h = reading.box
    return type(reading)(
        reading.digit, reading.confidence, (x + roi[0], y + roi[1], w, h), reading.rejected
    )


def shift_line(line: Any, roi: Box) -> Any:
    """A line read in the region of interest, in the frame's pixels."""
    return type(line)(
        tuple(_shift(r, roi) for r in line.readings),
        tuple(tuple(_shift(r, roi) for r in number) for number in line.numbers),
    )
