"""Reading order: digits into lines, lines into numbers.

Sorting by x alone interleaves the lines of a two-row photo. Here a box joins the
line whose vertical span it overlaps most closely; lines run top to bottom, digits
left to right in each, and a gap wider than about half a digit's height starts a new
number.
"""

from __future__ import annotations

import numpy as np

Box = tuple[int, int, int, int]

#: A gap wider than this fraction of the line's digit height separates two numbers.
NUMBER_GAP = 0.6


def group_lines(boxes: list[Box]) -> list[list[int]]:
    """Indices of the boxes per line: lines top to bottom, left to right in each.

    A box joins the line whose span (the median top and bottom of its boxes) it
    overlaps by at least 40% of the smaller height and whose middle it is closest to;
    a long-tailed 7 or a 9 reaching below the line still overlaps it.

    Args:
        boxes: (x, y, w, h) boxes.

    Returns:
        Lists of indices into ``boxes``.
    """
    order = sorted(range(len(boxes)), key=lambda i: boxes[i][1] + boxes[i][3] / 2)
    lines: list[list[int]] = []
    spans: list[tuple[float, float]] = []
    for i in order:
        _, y, _, h = boxes[i]
        centre = y + h / 2
        best, best_distance = -1, 0.0
        for k, (top, bottom) in enumerate(spans):
            height = bottom - top
            overlap = min(y + h, bottom) - max(y, top)
            near = top - 0.25 * height <= centre <= bottom + 0.25 * height
            if overlap >= 0.4 * min(h, height) and near:
                distance = abs(centre - (top + bottom) / 2)
                if best < 0 or distance < best_distance:
                    best, best_distance = k, distance
        if best < 0:
            lines.append([i])
            spans.append((float(y), float(y + h)))
        else:
            lines[best].append(i)
            members = lines[best]
            spans[best] = (
                float(np.median([boxes[j][1] for j in members])),
                float(np.median([boxes[j][1] + boxes[j][3] for j in members])),
            )
    for line in lines:
        line.sort(key=lambda j: boxes[j][0])
    lines.sort(key=lambda line: float(np.median([boxes[j][1] + boxes[j][3] / 2 for j in line])))
    return lines


def split_numbers(boxes: list[Box]) -> list[int]:
    """Where the numbers of one line start: indices (0 first) into its boxes.

    Args:
        boxes: one line's boxes, left to right.

    Returns:
        The index of each number's first box.
    """
    if not boxes:
        return []
    height = float(np.median([b[3] for b in boxes]))
    starts = [0]
    for k in range(1, len(boxes)):
        gap = boxes[k][0] - (boxes[k - 1][0] + boxes[k - 1][2])
        if gap > NUMBER_GAP * height:
            starts.append(k)
    return starts
