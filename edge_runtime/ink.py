"""How far ink stands out from its paper, and the level above which it is ink.

Both work on one channel at the finder's working scale and only need OpenCV and numpy.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import numpy.typing as npt

U8 = npt.NDArray[np.uint8]

# Contrast is relative to the paper, but never to less than this (0-255): below it,
# sensor noise in a dark corner would look like ink.
DARK_FLOOR = 60
# Faint ink is still this much darker than its paper (0-1), and NOISE times more than
# the paper's own texture; the faint level is set per tile of a TILES x TILES grid.
FAINT, NOISE = 0.12, 5.0
TILES = 4
# Marks wider than the frame's short side / SOLID in both directions are blobs, not strokes.
SOLID = 96


def contrast(cv2: Any, channel: U8, light_ink: bool, kernel: int | None = None) -> tuple[U8, U8]:
    """How far each pixel stands out from its background, 0-255 (ink bright), and the
    background's level.

    The background is a grey closing (dark ink) or opening (light ink) wider than any
    stroke, taken at a quarter of the scale (cheap, and strokes up to a 15th of the
    frame fit under it) and brought back up: it erases the ink but keeps gradients
    and a shadow's edge, so neither looks like ink. The difference is divided by the
    brighter of pixel and background (the paper, or the chalk), so a digit in shadow
    counts as much as one in light; the floor keeps sensor noise in dark corners out.
    ``kernel`` (px) sets the closing's width instead: wider than the strokes of one big
    digit, for a window around it.
    """
    h, w = channel.shape
    q = 4 if min(h, w) >= 64 else 1
    small = cv2.resize(channel, (max(4, w // q), max(4, h // q)), interpolation=cv2.INTER_AREA)
    k = max(5, (max(small.shape) // 15) | 1) if kernel is None else max(3, (kernel // q) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
    background = cv2.morphologyEx(small, cv2.MORPH_OPEN if light_ink else cv2.MORPH_CLOSE, kernel)
    if q > 1:
        background = cv2.resize(background, (w, h), interpolation=cv2.INTER_LINEAR)
    if light_ink:
        background = cv2.min(background, channel)
        diff, bright = cv2.subtract(channel, background), channel
    else:
        background = cv2.max(background, channel)
        diff, bright = cv2.subtract(background, channel), background
    return cv2.divide(diff, cv2.max(bright, DARK_FLOOR), scale=255), background


def ink_level(cv2: Any, contrast: U8, min_contrast: float) -> U8 | int:
    """The contrast (0-255) above which a pixel is ink: ``min_contrast``, or lower where
    the ink is faint; one level, or a level per pixel.

    Pencil on grey paper, or a felt pen on yellow in dim light, stands out from its paper
    by a quarter or less. In each of TILES x TILES parts of the frame the level drops to
    half of the strongest ink's contrast there (its 99.8th percentile), so a desk's edge
    in one corner does not set the level for the page; never under FAINT, nor under
    NOISE times the paper's own texture (the frame's 80th percentile: the edges of a
    desk beyond the sheet fill a tenth of many frames), so grain and JPEG noise stay
    paper. Solid blobs (binding holes) and long lines (ruled lines, a grid, a page's
    edge) do not count as a tile's strongest ink.
    """
    cap = int(255 * min_contrast)
    h, w = contrast.shape
    if h < 4 * TILES or w < 4 * TILES:
        return cap
    sample = contrast[::2, ::2]
    flat = sample.ravel()
    rank = int(0.8 * (flat.size - 1))
    floor = max(255 * FAINT, NOISE * float(np.partition(flat, rank)[rank]))
    if floor >= cap:
        return cap
    # Solid dark blobs (binding holes, a desk's corner) are no ink to take half of: their
    # pixels are left out, so pencil beside a hole keeps its own level. A blob is what
    # survives an opening far wider than strokes at this scale; it is widened by its rim.
    k = max(3, min(sample.shape) // SOLID)
    strong = cv2.threshold(sample, cap, 255, cv2.THRESH_BINARY)[1]
    square = cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
    solid = cv2.morphologyEx(strong, cv2.MORPH_OPEN, square)
    if cv2.countNonZero(solid):
        rim = cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3))
        solid = cv2.dilate(solid, rim, iterations=2)
        sample = np.where(solid > 0, 0, sample).astype(np.uint8)
    sh, sw = sample.shape
    # Ruled lines, a grid and a page's edge are no ink to take half of either: on lined
    # paper they are the strongest marks, and pencil between them was read at half their
    # contrast, in dust. A line is what survives an opening a quarter of the frame long,
    # across or down.
    marks = cv2.threshold(sample, int(floor), 255, cv2.THRESH_BINARY)[1]
    across = cv2.getStructuringElement(cv2.MORPH_RECT, (max(8, sw // 4), 1))
    down = cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(8, sh // 4)))
    ruled = cv2.max(
        cv2.morphologyEx(marks, cv2.MORPH_OPEN, across),
        cv2.morphologyEx(marks, cv2.MORPH_OPEN, down),
    )
    if cv2.countNonZero(ruled):
        ruled = cv2.dilate(ruled, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3)))
        sample = np.where(ruled > 0, 0, sample).astype(np.uint8)
    levels = np.empty((TILES, TILES), np.float32)
    for i, j in itertools.product(range(TILES), range(TILES)):
        tile = sample[
            i * sh // TILES : (i + 1) * sh // TILES, j * sw // TILES : (j + 1) * sw // TILES
        ]
        tile = tile.ravel()
        top = int(0.998 * (tile.size - 1))
        levels[i, j] = 0.5 * float(np.partition(tile, top)[top])
    levels = np.clip(levels, floor, cap)
    if float(levels.min()) >= cap:
        return cap
    per_pixel: U8 = cv2.resize(levels, (w, h), interpolation=cv2.INTER_LINEAR).astype(np.uint8)
    return per_pixel


def histogram_level(hist: npt.NDArray[np.generic], fraction: float) -> int:
    """The value below which ``fraction`` of a histogram's pixels lie."""
    cumulative = np.cumsum(hist)
    return int(np.searchsorted(cumulative, fraction * cumulative[-1]))
