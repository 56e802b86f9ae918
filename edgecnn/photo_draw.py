"""Draw what was read on a photo, so that a person can look: ``evaluate --photos --draw``.

Each box is green when read, red when rejected, with its digit (``?`` when rejected)
above it; the rows' y ranges are thin blue lines; a white band on top holds the truth
and what was read. Files are written whole or not at all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from edge_runtime._deps import require
from edge_runtime._files import atomic_write
from edgecnn.manifest import Item
from edgecnn.photos import PhotoScore

GREEN = (0, 170, 0)
RED = (0, 0, 230)
BLUE = (200, 120, 0)
INK = (20, 20, 20)


def draw_photo(image: np.ndarray, item: Item, score: PhotoScore) -> np.ndarray:
    """The photo (BGR) with its readings, row ranges, truth and reading drawn.

    Args:
        image: the photo as it was read.
        item: its manifest entry (for the row ranges).
        score: its score (readings, truth and read strings).

    Returns:
        A new BGR image, taller than the photo by the text band.
    """
    cv2: Any = require("cv2", "edge")
    height, width = image.shape[:2]
    scale = max(height, width) / 800  # lines and letters keep their look on a 12 MP photo
    thick = max(1, round(2 * scale))
    font = cv2.FONT_HERSHEY_SIMPLEX
    canvas = image.copy()
    for _, (y0, y1) in item.rows:
        for y in (y0, y1):
            cv2.line(canvas, (0, round(y)), (width - 1, round(y)), BLUE, max(1, thick // 2))
    for reading in score.readings:
        x, y, w, h = reading.box
        bad = reading.rejected or reading.digit is None
        colour = RED if bad else GREEN
        cv2.rectangle(canvas, (x, y), (x + w, y + h), colour, thick)
        label = "?" if bad else str(reading.digit)
        cv2.putText(canvas, label, (x, max(0, y - thick * 2)), font, 0.7 * scale, colour, thick)
    lines = [
        f"truth: {score.truth}",
        f"read:  {score.read}",
        f"{score.right}/{score.truth_digits} right, {score.false} false, "
        f"{score.rejected} rejected ({score.scoring.value}); {score.read_ms:.0f} ms",
    ]
    size = 0.55 * scale
    step = round(26 * scale)
    band = np.full((step * len(lines) + step // 2, width, 3), 255, np.uint8)
    for k, text in enumerate(lines):
        cv2.putText(band, text, (round(6 * scale), step * (k + 1)), font, size, INK, thick // 2 + 1)
    return np.vstack([band, canvas])


def write_drawing(out: Path, item: Item, image: np.ndarray, score: PhotoScore) -> Path:
    """Draw the photo and write it as ``OUT/<item path>`` (``.png`` added unless it is
    one already: ``a.jpg`` and ``a.png`` stay apart), atomically.

    Returns:
        The file written.
    """
    cv2: Any = require("cv2", "edge")
    drawn = draw_photo(image, item, score)
    target = out / (item.path if item.path.lower().endswith(".png") else item.path + ".png")

    def write(tmp: Path) -> None:
        if not cv2.imwrite(str(tmp), drawn):
            raise OSError(f"{target}: OpenCV could not write it")

    return atomic_write(target, write, suffix=".png")
