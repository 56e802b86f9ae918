"""Cut touching digits apart.

Handwritten digits in a row often touch: a 2's tail runs into the next 0, a 7's bar
into its neighbour. Their ink is then one component, wider than one digit. The box is
cut where digits touch, into 2-4 parts, and the model decides: the way of reading it
(whole, or one of the cuts) whose parts it reads most surely wins, with a margin that
shrinks as the box gets wider than one digit can be.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations, pairwise

import numpy as np
import numpy.typing as npt

Box = tuple[int, int, int, int]
Option = list[tuple[int, Box]]  # a way of reading a box: (crop index, box) per digit

#: A cut goes through a join no longer than this many stroke widths.
JOIN = 0.8
#: Boxes narrower than this (width / line height) are never cut.
MIN_ASPECT = 0.75
#: A path is searched on at most this many bands of rows.
PATH_ROWS = 24
#: A cut along a path wins only with every part read this surely, by this margin.
SURE, MARGIN = 0.9, 0.05
#: Where the digit gate takes a whole box for no digit, a cut wins with each part, to
#: the gate, GATE_SURE likely a digit (letters' parts score far less) and read at
#: GATED_READ or more: three digits touching, cut, leave bits of their neighbours.
GATE_SURE = 0.5
GATED_READ = 0.75


def most_parts(aspect: float) -> int:
    """How many digits a box this wide (width / line height) may hold: 1 to 4."""
    if aspect < MIN_ASPECT:
        return 1
    return 2 if aspect < 1.2 else (3 if aspect < 1.9 else 4)


def cut_sets(ink: npt.NDArray[np.bool_], most: int, between: Sequence[int] = ()) -> list[list[int]]:
    """Ways to cut a box into 2..``most`` parts where digits touch.

    A cut goes through a column that crosses at most one stroke, and a short one
    (two touching digits share one join; a 0, a 5 or an 8 is crossed twice or more
    anywhere inside), at a valley of the column profile, with every part at least an
    eighth of the box wide; or through a column of ``between``.

    Args:
        ink: the box's ink mask.
        most: the most parts.
        between: columns that may be cut whatever crosses them: between two holes
            side by side (:func:`between_holes`), where two 0s share a wall.

    Returns:
        Lists of cut columns, fewest cuts first.
    """
    w = ink.shape[1]
    column = ink.astype(np.int16)
    runs = np.count_nonzero(np.diff(column, axis=0, prepend=0) == 1, axis=0)
    count = column.sum(axis=0)
    edge = np.count_nonzero(np.diff(column, axis=0)) + np.count_nonzero(np.diff(column, axis=1))
    stroke = 2.0 * float(column.sum()) / max(1, edge)  # area / half-perimeter
    profile = np.convolve(count.astype(np.float64), np.ones(3) / 3, mode="same")
    lo, hi = max(1, int(0.12 * w)), min(w - 1, int(0.88 * w) + 1)
    valleys = [
        c
        for c in range(lo, hi)
        if count[c] == 0  # a gap between pieces grouped as one
        or (
            runs[c] <= 1
            and count[c] <= JOIN * stroke + 1
            and profile[c] <= profile[c - 1]
            and profile[c] <= profile[c + 1]
        )
    ]
    valleys = sorted(sorted(valleys, key=lambda c: profile[c])[:7])
    valleys = sorted({*valleys, *(c for c in between if lo <= c < hi)})
    sets = []
    for k in range(2, most + 1):
        for cuts in combinations(valleys, k - 1):
            edges = [0, *cuts, w]
            if min(b - a for a, b in pairwise(edges)) >= 0.12 * w + 1:
                sets.append(list(cuts))
    return sets


def between_holes(holes: Sequence[Box]) -> list[int]:
    """Columns between holes side by side: no digit has two holes beside each other (an
    8's are stacked), so two 0s, or a 0 and a 6, share the ink between them.

    Args:
        holes: the boxes of the holes in a box's ink (background enclosed by ink).

    Returns:
        Per pair of neighbouring holes that overlap in height by half the lower one and
        not at all in width, the column halfway between them.
    """
    out = []
    ordered = sorted(holes)
    for (ax, ay, aw, ah), (bx, by, _, bh) in pairwise(ordered):
        overlap = min(ay + ah, by + bh) - max(ay, by)
        if bx >= ax + aw and overlap >= 0.5 * min(ah, bh):
            out.append((ax + aw + bx) // 2)
    return out


def cheapest_path(
    cost: npt.NDArray[np.float32], step: np.float32
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int8]]:
    """The cheapest way through ``cost`` (steps x positions), one step at a time, moving
    at most one position per step at ``step`` each: the total cost of the best path
    ending at each position, and per step where each position's best path came from
    (-1, 0, +1). :func:`trace_path` follows one back."""
    total = cost[0].copy()
    came = np.zeros(cost.shape, np.int8)
    big = np.float32(1e9)
    positions = np.arange(cost.shape[1])
    for r in range(1, len(cost)):
        stacked = np.stack(
            [
                np.concatenate([[big], total[:-1]]) + step,
                total,
                np.concatenate([total[1:], [big]]) + step,
            ]
        )
        pick = np.argmin(stacked, axis=0)
        total = stacked[pick, positions] + cost[r]
        came[r] = pick.astype(np.int8) - 1
    return total, came


def trace_path(came: npt.NDArray[np.int8], end: int) -> npt.NDArray[np.int64]:
    """The path of :func:`cheapest_path` that ends at position ``end``: its position at
    each step."""
    path = np.empty(len(came), np.int64)
    c = end
    for r in range(len(came) - 1, -1, -1):
        path[r] = c
        c += int(came[r, c])
    return path


def path_cuts(ink: npt.NDArray[np.bool_], ends: int = 2) -> list[npt.NDArray[np.int32]]:
    """Ways to cut a box in two along a path, top to bottom, for digits that overlap.

    A 6 leaning into a 0 leaves no column that crosses one stroke. The path may step a
    column sideways per row (at a small cost) and goes where it crosses the least ink:
    through the one short join, around the digits' overlapping curves. Only paths that
    cross at most one and a half stroke widths of ink (the join, often smudged where
    one digit was written into the other) are kept.

    Args:
        ink: the box's ink mask.
        ends: how many paths, at most (the cheapest of distinct ends).

    Returns:
        Per path, its column in each row: the left part is the ink left of it.
    """
    h, w = ink.shape
    lo, hi = max(1, int(0.15 * w)), min(w - 1, int(0.85 * w) + 1)
    if hi - lo < 3 or h < 3:
        return []
    column = ink.astype(np.int16)
    edge = np.count_nonzero(np.diff(column, axis=0)) + np.count_nonzero(np.diff(column, axis=1))
    stroke = 2.0 * float(column.sum()) / max(1, edge)
    # The path is found on bands of k rows (costing their share of ink), at most 24 of
    # them: a step per band is still gentle, and the search stays cheap in a camera loop.
    k = max(1, -(-h // PATH_ROWS))
    bands = np.add.reduceat(ink[:, lo:hi].astype(np.float32), np.arange(0, h, k), axis=0)
    cost = bands / np.float32(k)
    # a sideways step costs a twentieth of a band of ink
    total, came = cheapest_path(cost, np.float32(0.05))
    paths: list[npt.NDArray[np.int32]] = []
    tried: list[int] = []  # distinct ends looked at, cheapest first
    for end in np.argsort(total, kind="stable"):
        if len(paths) >= ends or len(tried) >= 2 * ends + 2:
            break
        if any(abs(t - (lo + int(end))) < 0.15 * w for t in tried):
            continue
        tried.append(lo + int(end))
        band_path = (lo + trace_path(came, int(end))).astype(np.int32)
        path = np.repeat(band_path, k)[:h]
        if int(ink[np.arange(h), path].sum()) <= 1.5 * stroke + 1:  # crosses only the join
            paths.append(path)
    return paths


def path_parts(
    ink: npt.NDArray[np.bool_], box: Box, path: npt.NDArray[np.int32], line_height: float
) -> list[tuple[Box, npt.NDArray[np.uint8]]] | None:
    """The two parts of a box cut along ``path``; None as for :func:`parts`."""
    w = box[2]
    left = np.arange(w)[None, :] < path[:, None]
    total = int(ink.sum())
    out = []
    for side in (left, ~left):
        part = ink & side
        cols = np.nonzero(part.any(axis=0))[0]
        span = (int(cols[0]), int(cols[-1]) + 1) if len(cols) else (0, w)
        one = _part(part, total, box, span, line_height)
        if one is None:
            return None
        out.append(one)
    return out


def _part(
    part: npt.NDArray[np.bool_],
    total: int,
    box: Box,
    span: tuple[int, int],
    line_height: float,
) -> tuple[Box, npt.NDArray[np.uint8]] | None:
    """One part of a cut box: its box (columns ``span`` of ``box``, rows of its ink) and
    its ink as a 0/1 mask over the whole box; None when it holds under 5% of the box's
    ``total`` ink or is too short to be a digit (a third of the line, or of the box)."""
    x, y, _, h = box
    rows = np.nonzero(part.any(axis=1))[0]
    if len(rows) == 0 or int(part.sum()) < 0.05 * total:
        return None
    top, bottom = int(rows[0]), int(rows[-1]) + 1
    if bottom - top < 0.35 * min(h, line_height):
        return None
    a, b = span
    return (x + a, y + top, b - a, bottom - top), part.astype(np.uint8)


def parts(
    ink: npt.NDArray[np.bool_], box: Box, cuts: list[int], line_height: float
) -> list[tuple[Box, npt.NDArray[np.uint8]]] | None:
    """The parts of a box cut at ``cuts``.

    ``line_height`` is the height of the box's line: beside a 7 whose tail reaches far
    below it, a digit is as tall as its line, not as the box.

    Returns:
        Per part, its box (in the box's frame of reference, offset by ``box``) and its
        ink as a 0/1 mask over the whole box; None when a part holds too little ink or
        is too short to be a digit (a third of the line, or of the box if lower).
    """
    edges = [0, *cuts, box[2]]
    total = int(ink.sum())
    out = []
    for a, b in pairwise(edges):
        part = np.zeros(ink.shape, bool)
        part[:, a:b] = ink[:, a:b]
        one = _part(part, total, box, (a, b), line_height)
        if one is None:
            return None
        out.append(one)
    return out


def choose(
    options: list[Option],
    confidence: npt.NDArray[np.float32],
    aspect: float,
    curved: int | None = None,
    gate: tuple[npt.NDArray[np.float32], float] | None = None,
) -> Option:
    """The reading of a box: whole, or the cut whose parts are read most surely.

    The wider the box (against its line's height), the less a cut must beat the whole
    by: a box wider than tall is rarely one digit, and the model is often sure of
    something even on two touching digits. Scores are geometric means of the parts'
    confidences; a cut must score at least 0.5.

    Args:
        options: the whole box first (when it could be cropped), then the cuts.
        confidence: every crop's top probability.
        aspect: the box's width / its line's height.
        curved: options from this index on are cuts along a path (:func:`path_cuts`):
            one wins only when every part is read surely and better than the rest;
            the best-read one, or else the best-read of those whose every part the
            gate takes for a sure digit.
        gate: every crop's digit-gate score, and the gate's threshold. Where the gate
            takes the whole box for no digit (two digits touching often look like
            none), a cut whose parts are all gated as sure digits and read at
            GATED_READ or more wins too.
    """
    scores = [
        float(np.exp(np.mean([np.log(max(float(confidence[i]), 1e-6)) for i, _ in opt])))
        for opt in options
    ]
    doubted = gate is not None and len(options[0]) == 1 and gate[0][options[0][0][0]] < gate[1]
    if len(options) == 1:
        return options[0]
    if curved is not None and curved < len(options):
        # The best-read path cut, or failing that a lesser one whose every part the
        # gate is sure of: three digits, two touching, give many paths, and the
        # best-read may leave a bit of a neighbour that the next does not.
        order = sorted(range(curved, len(options)), key=lambda k: -scores[k])
        for best in order:
            if best != order[0] and not _gated_sure(options[best], gate):
                continue
            ahead = curved == 0 or scores[best] > max(scores[:curved]) + MARGIN
            sure = _read_surely(options[best], confidence)
            if doubted and _gated_sure(options[best], gate):
                # the whole, which the gate rejects, is no rival
                ahead = ahead or scores[best] > max([0.0, *scores[1:curved]]) + MARGIN
                sure = _read_surely(options[best], confidence, GATED_READ)
            if ahead and sure:
                return options[best]
        options, scores = options[:curved], scores[:curved]
        if not options:
            return []
        if len(options) == 1:
            return options[0]
    cut = 1 + int(np.argmax(scores[1:]))
    if len(options[0]) > 1:  # the whole could not be cropped
        return options[cut]
    if (
        doubted
        and _read_surely(options[cut], confidence, GATED_READ)
        and _gated_sure(options[cut], gate)
    ):
        return options[cut]
    allowance = min(0.4, max(-0.1, 0.5 * (aspect - 1.0)))
    if scores[cut] >= 0.5 and scores[cut] >= scores[0] - allowance:
        return options[cut]
    return options[0]


def _read_surely(option: Option, confidence: npt.NDArray[np.float32], sure: float = SURE) -> bool:
    return all(float(confidence[i]) >= sure for i, _ in option)


def _gated_sure(option: Option, gate: tuple[npt.NDArray[np.float32], float] | None) -> bool:
    return gate is not None and all(float(gate[0][i]) >= GATE_SURE for i, _ in option)
