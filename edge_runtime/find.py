"""Find every handwritten digit in a photo or camera frame, and read them in order.

The pipeline (numpy + OpenCV only, never TensorFlow)::

    grey, and on white or grey paper the darkest colour channel (red, blue ink)
      -> polarity: dark ink on paper, or light chalk on a board
      -> a sheet on a darker, textured desk? rectify it (perspective, rotation) and
         look only inside it                                          (page.py)
      -> ink contrast = (paper - pixel) / paper, paper = a grey closing wider than
         any stroke, taken at a quarter of the scale (shadows stay paper)  (ink.py)
      -> threshold at ``min_contrast``; where that leaves no digit, or mostly dust
         (pencil, dim light, a pale pen), again at a faint level set per part of
         the frame from its own strongest ink
      -> remove long ruled lines, connected components, merge the
         fragments of one digit (a 5's loose bar, a 9's open loop)
      -> keep what is digit-sized and digit-shaped: no specks, hairlines, solid
         blobs (holes, stains), strips far bolder than the writing (page edges),
         dashed edges, nothing cut by the frame
      -> coarse to fine: a first pass at ``detect_size``; when the digits it finds
         are small, a second at the scale that makes them ``target_height`` tall
      -> lines top to bottom, digits left to right; pieces far smaller than their
         line's digits dropped                                         (lines.py)
    read: each digit's contrast, masked to its own strokes -> ``to_mnist``; a box
    wider than one digit is also cut where digits touch (touching.py), and the way
    of reading it that the model is surest of wins; every crop of the frame goes
    through one batched ``probabilities`` call.

About 2-3 ms for a 640x480 camera frame on one core of the development machine.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from statistics import median
from typing import Any, Literal, Protocol, cast

import numpy as np
import numpy.typing as npt

from edge_runtime import ink, touching
from edge_runtime._components import components
from edge_runtime._deps import require
from edge_runtime.errors import ImageError
from edge_runtime.lines import group_lines, split_numbers
from edge_runtime.page import find_sheet, rectify
from edge_runtime.preprocess import to_grey, to_mnist
from edge_runtime.results import DigitLine, DigitReading

Box = tuple[int, int, int, int]
U8 = npt.NDArray[np.uint8]

# Marks shorter than SMALL of their line's median height are dots, commas, broken-off
# strokes or small letters (a unit after a number: "mm", "kg"), not digits; a closed
# loop down to SMALLEST is a 0 written small.
SMALL, SMALLEST = 0.5, 0.3
# Faint ink is looked for only where this share of the frame is fainter than ink at the
# usual level but above the faint floor.
FAINT_SHARE = 0.0005
# A 320 px view whose thin dark structures outweigh its thin bright ones this much holds
# dark writing, whatever the coarser polarity view says.
DARK_VIEW = 1.5
# Grey levels of thin structure that are grain, in that view of a big photo.
THIN_NOISE = 8
# A digit this many times taller than its line's median is also read squashed to it.
TALL = 1.4
# A box this much wider than its line is tall may be cut along a path (touching.path_cuts).
PATH_ASPECT = 1.0
# A box this much wider than its line is tall may hold three touching digits: a part of
# a cut that is still wider than PATH_ASPECT is cut again.
THREE = 1.5
# In a photo, a candidate shorter than this (px at its scale) is looked for again at a
# finer one; crops of the photo for that cover at most this many of its pixels.
CLOSER = 11
CLOSE_BUDGET = 2_000_000
# Found closer, a mark this many times shorter than the candidate it overlaps is a
# piece of it (pencil breaks up at full resolution).
PIECE = 1.6
# A scale this much finer than the one looked at is worth another pass.
FINER = 1.3
# Soft ink (pencil, a worn pen): the median contrast of its strokes above the ink level
# is under SOFT times that level. It is read again with hysteresis, down to HYSTERESIS
# times the level or WEAK times that median, whichever is higher.
SOFT = 1.6
HYSTERESIS = 0.6
WEAK = 0.5
# Found again with hysteresis, a ruled line is a run across gaps up to BRIDGE px long (the
# grain of pencil on lined paper breaks it at the weak level); LINE_EDGE px of its ragged
# edges go with it.
BRIDGE, LINE_EDGE = 6, 1
# Read at the faint level, writing the usual level found in pieces is found whole: its
# marks this many times taller, in median and in all.
WHOLE = 1.2
# No digit fills less of its box than this.
SPARSE = 0.06
# Two pieces in one column of a line, each shorter than this share of its height, are
# one digit broken across a gap.
STACKED = 0.75
# A bold digit whose own stroke darkens the paper estimate at its centre is on paper when
# its box's corners are and this share of its box: a big 8 in marker leaves about three
# quarters; a binding hole or a solid blob, a quarter or less.
BOLD_ON_PAPER = 0.7
# A digit this share of the frame tall or more gets the contrast of its own window (its
# strokes may be wider than the frame's paper estimate reaches).
BIG = 0.25
# At the faint level, a thin mark alone in its line and this many typical heights tall
# is a piece of a shadowed edge, not a 1.
LONE = 1.2
# A mark wider than this share of the frame is no digit nor a piece of one (a shadow's
# edge across the page): a digit held close to a camera fills up to about three quarters.
WIDEST = 0.8
# Two digits of two close lines touching one over the other: a box this many typical
# digit heights tall or more, cut where one line ends and the next begins when each part
# has this many digits beside it (sharing this share of its rows) that are apart from the
# other part (sharing less than this), the lines' middles this many heights apart, and
# each part a digit's height (this range of the typical).
STACK_TALL = 1.6
STACK_NEIGHBOURS = 2
STACK_BESIDE, STACK_APART = 0.6, 0.3
STACK_PITCH = 0.8
STACK_PART = (0.45, 1.4)
#: A hole that tells two digits side by side is this much of its line's height or more.
HOLE = 0.15
#: A light-ink verdict stands only where the frame's skew, its light flattened, is above
#: this (chalk's few bright strokes make a bright tail; a marker's bold strokes a dark one).
DARK_TAIL = -0.3
#: ... and none where the frame's median is this far (0-1) above its darkest twentieth
#: and nearer its brightest: a frame mostly bright is paper.
BRIGHT_FRAME = 0.15
# A loop a digit's ink closes: a hole of LOOP_AREA px or more, LOOP of its height across.
LOOP_AREA, LOOP = 9, 0.05
#: Digits at least HUGE of the frame's short side tall are looked for again with the
#: frame's long side HUGE_SIZE px, where a marker's strokes are thin; what was found
#: inside it at least PIECES of its height tall may be a digit of its own. Such a digit is
#: no line (at least HUGE_THIN as wide as tall) and its stroke is bold (at least
#: HUGE_BOLD of its height there: a slanted sheet's edge is under 0.05, a marker's
#: digits on cards 0.16-0.34).
HUGE, HUGE_SIZE, PIECES, HUGE_THIN, HUGE_BOLD = 0.3, 128, 0.6, 0.2, 0.1
# Two neighbours in a line are read as one digit too when they are at most JOIN_GAP of
# the line's height apart, together at most JOIN_WIDE of it wide, and one of them under
# JOIN_SHORT of it tall (a piece, not a whole digit); the one reading must be sure.
JOIN_GAP, JOIN_WIDE, JOIN_SHORT = 0.15, 1.0, 0.9


class Polarity(str, Enum):
    """Which way round the ink is."""

    AUTO = "auto"  # decided per frame
    DARK = "dark"  # dark ink on light paper
    LIGHT = "light"  # light chalk on a dark board


@dataclass(frozen=True)
class FindConfig:
    """Tunables of the digit finder (the defaults are the tuned ones).

    Attributes:
        work_size: the finest scale looked at: long side in pixels.
        detect_size: the first, coarse pass's long side in pixels.
        target_height: digits found smaller than 3/4 of this (px) at the coarse pass
            are looked for again at the scale that makes them this tall.
        polarity: ink polarity, or ``auto`` to decide per frame.
        min_contrast: ink must be this much darker than its paper (0-1, relative).
        min_height: smallest digit height, in pixels at the working scale.
        max_height: tallest digit height, as a fraction of the working height.
        max_aspect: widest box (width / height) considered at all.
        max_fill: a box filled more than this (and not thin like a 1) is a blob.
        max_stroke: a stroke wider than this fraction of its digit's height is a blob.
        margin: crop margin around a digit, as a fraction of its height.
        find_page: look for a sheet lying on a darker surface and rectify it.
        split: cut boxes wider than one digit (touching digits) where that reads better.
    """

    work_size: int = 1280
    detect_size: int = 320
    target_height: int = 32
    polarity: Polarity = Polarity.AUTO
    min_contrast: float = 0.3
    min_height: int = 8
    max_height: float = 0.9
    max_aspect: float = 4.0
    max_fill: float = 0.85
    max_stroke: float = 0.6
    margin: float = 0.15
    find_page: bool = True
    split: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.polarity, Polarity):
            object.__setattr__(self, "polarity", Polarity(self.polarity))
        if not 64 <= self.detect_size <= self.work_size:
            raise ValueError("need 64 <= detect_size <= work_size")
        if self.target_height < 12:
            raise ValueError(f"target_height must be >= 12, got {self.target_height}")
        if not 0.0 < self.min_contrast < 1.0:
            raise ValueError(f"min_contrast must be in (0, 1), got {self.min_contrast}")
        if self.min_height < 3 or not 0.0 < self.max_height <= 1.0:
            raise ValueError("need min_height >= 3 px and 0 < max_height <= 1")
        if self.max_aspect <= 0 or not 0 < self.max_fill <= 1 or self.margin < 0:
            raise ValueError("max_aspect > 0, 0 < max_fill <= 1 and margin >= 0 are required")
        if not 0 < self.max_stroke <= 1.0:
            raise ValueError(f"max_stroke must be in (0, 1], got {self.max_stroke}")


DEFAULT_CONFIG = FindConfig()


class _Gate(Protocol):
    @property
    def threshold(self) -> float: ...

    def scores(self, crops: Any) -> npt.NDArray[np.float32]: ...


@functools.lru_cache(maxsize=1)
def _bundled_gate() -> _Gate | None:
    """The digit gate shipped in the package, loaded once (None if it is not there)."""
    from edge_runtime.gate import DigitGate, bundled_gate_path

    return DigitGate(num_threads=1) if bundled_gate_path().is_file() else None


class _Classifier(Protocol):
    def probabilities(self, images: Any) -> npt.NDArray[np.float32]: ...


@dataclass(frozen=True)
class _Candidate:
    box: Box  # at the working scale
    ids: tuple[int, ...]  # its components in the label image
    stroke: float  # its widest stroke, px
    mask: U8 | None = None  # its ink over its box, when not all of its components' (a split)


@dataclass
class _Found:
    """One frame's finding, kept so the crops need no second pass."""

    candidates: list[_Candidate]
    lines: list[list[int]]  # indices into candidates, in reading order
    contrast: U8  # ink contrast at the working scale
    labels: npt.NDArray[np.int32]  # component labels at the working scale
    to_image: Callable[[Box], Box]  # a working-scale box -> the image's pixels
    small_marks: int = 0  # compact marks shorter than a digit can be read at
    faint: bool = False  # read at the faint ink level
    small_boxes: list[Box] = field(default_factory=list)  # those marks, at the working scale
    channel: U8 | None = None  # the ink channel the contrast came from
    light_ink: bool = False
    # a coarse look for digits filling the frame: per candidate, the (part, candidate,
    # tall) of the other parts it may be the whole of (see :func:`_huge`)
    covers: list[list[tuple[int, int, bool]]] | None = None


# ------------------------------------------------------------------ public functions


def find_digit_boxes(image: Any, config: FindConfig | None = None) -> list[Box]:
    """Find the digits in an image.

    Args:
        image: grey (H, W), BGR (H, W, 3) or BGRA (H, W, 4); uint8 (or float 0-1).
        config: finder tunables; the tuned defaults when None.

    Returns:
        One (x, y, w, h) box per digit, in the image's pixels, in reading order
        (lines top to bottom, left to right in a line). Touching digits are one box
        here; :func:`read_digits` cuts them apart.

    Raises:
        ImageError: not an image.
        MissingDependencyError: OpenCV is not installed.
    """
    # a digit filling the frame, found whole at a coarse look, is only told from its
    # pieces by reading it (read_digits)
    parts = [p for p in _find(image, config or DEFAULT_CONFIG) if p.covers is None]
    boxes = [p.to_image(p.candidates[i].box) for p in parts for line in p.lines for i in line]
    if len(parts) > 1:  # lines across parts are told in the image
        boxes = [boxes[i] for line in group_lines(boxes) for i in line]
    return boxes


def read_digits(
    classifier: _Classifier,
    image: Any,
    min_confidence: float = 0.7,
    config: FindConfig | None = None,
    gate: _Gate | Literal["bundled"] | None = "bundled",
) -> list[DigitReading]:
    """Find and read every digit in an image, in reading order.

    All crops are classified with one batched ``classifier.probabilities`` call.

    Args:
        classifier: a :class:`edge_runtime.DigitClassifier` (anything with
            ``probabilities((N, 28, 28) uint8) -> (N, 10)``).
        image: grey, BGR or BGRA frame or photo.
        min_confidence: readings below it are ``rejected`` with ``digit=None``.
        config: finder tunables; the tuned defaults when None.
        gate: what tells digits from other marks (letters, symbols, holes): the
            :class:`edge_runtime.gate.DigitGate` bundled with the runtime by default,
            another one, or None to report every mark the finder keeps. Marks it
            rejects are not reported.

    Returns:
        ``DigitReading(digit, confidence, box, rejected)`` per digit: lines top to
        bottom, digits left to right in each line.

    Raises:
        ImageError: not an image.
        ValueError: min_confidence outside [0, 1].
    """
    lines = read_lines(classifier, image, min_confidence, config, gate)
    return [reading for line in lines for reading in line.readings]


def read_lines(
    classifier: _Classifier,
    image: Any,
    min_confidence: float = 0.7,
    config: FindConfig | None = None,
    gate: _Gate | Literal["bundled"] | None = "bundled",
) -> list[DigitLine]:
    """Find and read every digit in an image, as lines of numbers.

    Args, errors: as :func:`read_digits`.

    Returns:
        One :class:`DigitLine` per line, top to bottom: its readings left to right,
        and the same grouped into numbers by their spacing.
    """
    if not 0.0 <= min_confidence <= 1.0:
        raise ValueError(f"min_confidence must be in [0, 1], got {min_confidence}")
    cfg = config or DEFAULT_CONFIG
    parts = _find(image, cfg)
    if not any(p.candidates for p in parts):
        return []
    cv2: Any = require("cv2", "edge")
    crops: list[U8] = []
    squash: dict[int, int] = {}  # a tall digit's crop -> the same squashed to its line
    # per candidate: its part and line, its ways of being read, its width / line height
    options: list[tuple[int, int, list[touching.Option], float, int]] = []
    # two neighbours that may be the pieces of one digit: their options' places in
    # ``options``, and the crop of the two read as one, with its box
    joins: list[tuple[int, int, int, Box]] = []
    where: dict[tuple[int, int], int] = {}  # (part, candidate) -> its place in ``options``
    # per crop of a candidate or of a part of a cut: whether its ink closes a loop, asked
    # only of crops read as 1
    loops: dict[int, Callable[[], bool]] = {}
    for part_no, found in enumerate(parts):
        for line_no, line in enumerate(found.lines):
            line_height = float(median([found.candidates[i].box[3] for i in line]))
            placed: dict[int, int] = {}
            for i in line:
                _, _, w, h = found.candidates[i].box
                aspect = w / max(1.0, min(h, line_height))
                opts, straight = _options(
                    cv2, found, found.candidates[i], line_height, aspect, cfg, crops, squash,
                    loops,
                )  # fmt: skip
                if opts:
                    placed[i] = where[part_no, i] = len(options)
                    options.append((part_no, line_no, opts, aspect, straight))
            for a, b in itertools.pairwise(line):
                if a in placed and b in placed:
                    one = _one_digit(cv2, found, a, b, line_height, cfg, crops)
                    if one is not None:
                        joins.append((placed[a], placed[b], *one))
    if not crops:
        return []
    batch = np.stack(crops)
    probs = np.asarray(classifier.probabilities(batch))
    best = probs.argmax(axis=1)
    confidence = probs[np.arange(len(best)), best].astype(np.float32)
    judge = _bundled_gate() if gate == "bundled" else gate
    gated = None
    digit_like = np.ones(len(crops), bool)
    if judge is not None:
        scores = np.asarray(judge.scores(batch), np.float32)
        for plain, short in squash.items():
            # a digit if either is: squashed, a long tail's thin stroke is the digit as
            # MNIST draws it
            scores[plain] = max(scores[plain], scores[short])
        gated = (scores, judge.threshold)
        digit_like = scores >= judge.threshold
    # What the gate takes for no digit is not reported. A whole box it takes for none
    # may be two digits touching, so then any sure cut of it wins; the gate still
    # judges each part chosen.
    for plain, short in squash.items():  # read the surer of the two
        if confidence[short] > confidence[plain]:
            best[plain], confidence[plain] = best[short], confidence[short]
    taken: set[int] = set()
    for a, b, index, box in joins:
        first, second = options[a][2][0], options[b][2][0]
        if a in taken or b in taken or len(first) != 1 or len(second) != 1:
            continue  # each piece joins once, and only where it could be read whole
        apart = float(np.sqrt(confidence[first[0][0]] * confidence[second[0][0]]))
        gate_sure = gated is None or float(gated[0][index]) >= touching.GATE_SURE
        if (
            confidence[index] >= touching.SURE
            and gate_sure
            and (confidence[index] > apart + touching.MARGIN)
        ):
            part_no, line_no, _, aspect, _ = options[a]
            options[a] = (part_no, line_no, [[(index, box)]], aspect, 1)
            options[b] = (part_no, line_no, [], aspect, 0)
            taken.update((a, b))

    # A digit filling the frame, found at a coarse look, stands for what was found inside
    # it where it reads surely and nothing inside as tall as a digit of it reads surely
    # too (a row of digits, one box at the coarse look); else it goes.
    def sure(k: int, gate_level: float = touching.GATE_SURE) -> bool:
        whole = options[k][2][0] if options[k][2] else []
        return (
            len(whole) == 1
            and confidence[whole[0][0]] >= touching.SURE
            and (gated is None or float(gated[0][whole[0][0]]) >= gate_level)
        )

    for part_no, found in enumerate(parts):
        for i, covered in enumerate(found.covers or []):
            if (part_no, i) not in where:
                continue
            k = where[part_no, i]
            _, line_no, opts, aspect, _ = options[k]
            inside = [where[n, c] for n, c, _ in covered if (n, c) in where]
            tall = [where[n, c] for n, c, big in covered if big and (n, c) in where]
            # The whole needs the gate only at its threshold: a marker's bold 1 or 0
            # is most like the blobs the gate learned to doubt.
            if not sure(k, 0.0 if gated is None else gated[1]) or any(
                sure(other) for other in tall
            ):
                options[k] = (part_no, line_no, [], aspect, 0)
                continue
            options[k] = (part_no, line_no, [opts[0]], aspect, 1)
            for other in inside:
                p, ln, _, asp, _ = options[other]
                options[other] = (p, ln, [], asp, 0)
    # each pick: its crop, its box at its part's scale, the same in the image
    chosen: dict[tuple[int, int], list[tuple[int, Box, Box]]] = {}
    for part_no, line_no, opts, aspect, straight in options:
        to_image = parts[part_no].to_image
        chosen.setdefault((part_no, line_no), []).extend(
            (index, box, to_image(box))
            for index, box in (
                touching.choose(opts, confidence, aspect, straight, gated) if opts else []
            )
            if digit_like[index]
        )
    if len(parts) == 1:
        # numbers are told apart at the working scale, where a sheet is upright
        picked = [chosen[key] for key in sorted(chosen) if chosen[key]]
    else:  # parts at several scales: lines and numbers are told in the image
        every = [pick for key in sorted(chosen) for pick in chosen[key]]
        order = group_lines([pick[2] for pick in every])
        picked = [[(i, image_box, image_box) for i, _, image_box in (every[k] for k in line)]
                  for line in order]  # fmt: skip
    lines = []
    for picks in picked:
        readings = []
        for index, _, image_box in picks:
            conf = float(confidence[index])
            # No 1 closes a loop (none of MNIST's 1,135 test 1s does): a stroke with a
            # loop on it read as a 1 is another digit, or none. Not told.
            looped = best[index] == 1 and index in loops and loops[index]()
            ok = conf >= min_confidence and not looped
            digit = int(best[index]) if ok else None
            readings.append(DigitReading(digit, conf, image_box, not ok))
        starts = [*split_numbers([box for _, box, _ in picks]), len(picks)]
        numbers = tuple(tuple(readings[a:b]) for a, b in itertools.pairwise(starts))
        lines.append(DigitLine(tuple(readings), numbers))
    return lines


def _options(
    cv2: Any,
    found: _Found,
    cand: _Candidate,
    line_height: float,
    aspect: float,
    cfg: FindConfig,
    crops: list[U8],
    squash: dict[int, int],
    loops: dict[int, Callable[[], bool]],
) -> tuple[list[touching.Option], int]:
    """The ways of reading one candidate (whole, or cut into touching digits), each
    crop queued in ``crops``; and how many of them come first that are not cut along a
    path. ``aspect``: the candidate's width / its line's height."""
    x, y, w, h = cand.box
    opts: list[touching.Option] = []
    crop = _crop(cv2, found, cand, cand.mask, cand.box, cfg.margin)
    whole = _queue(cv2, crops, squash, crop, h, line_height)
    ink = _members(found.labels[y : y + h, x : x + w], cand.ids)
    if whole is not None:
        opts.append([(whole, cand.box)])
        loops[whole] = functools.partial(_closes_loop, cv2, found, ink, h)
    most = touching.most_parts(aspect) if cfg.split else 1
    if most <= 1:
        return opts, len(opts)
    between = touching.between_holes(_holes(cv2, ink, min(h, line_height)))
    cuts = [
        touching.parts(ink, cand.box, c, line_height) for c in touching.cut_sets(ink, most, between)
    ]
    straight_sets = [c for c in cuts if c]
    curved_sets: list[list[tuple[Box, U8]]] = []
    three = aspect >= THREE  # wide enough for three touching digits
    for parts in straight_sets if three else []:
        curved_sets += _cut_wide_parts(parts, cand.box, line_height)
    for parts in straight_sets:
        opt = _queue_parts(cv2, found, cand, parts, line_height, cfg, crops, squash, loops)
        if opt:
            opts.append(opt)
    # Only where no straight cut was found, in a box wider than tall: a path finds its
    # way through a single 0 or 2 too. Cuts along a path come last, after the straight.
    straight = len(opts)
    if straight <= 1 and aspect >= PATH_ASPECT:
        for path in touching.path_cuts(ink):
            halves = touching.path_parts(ink, cand.box, path, line_height)
            if halves:
                more = _cut_wide_parts(halves, cand.box, line_height) if three else []
                curved_sets += [halves, *more]
    for parts in curved_sets:
        opt = _queue_parts(cv2, found, cand, parts, line_height, cfg, crops, squash, loops)
        if opt:
            opts.append(opt)
    return opts, straight


def _one_digit(
    cv2: Any,
    found: _Found,
    a: int,
    b: int,
    line_height: float,
    cfg: FindConfig,
    crops: list[U8],
) -> tuple[int, Box] | None:
    """Neighbours ``a`` and ``b`` of a line read as one digit, when they may be the pieces
    of one: an open 4 whose arm stops short of its stem, a 9 whose tail broke off its
    loop. They (almost) touch, together are no wider than a digit, and one of them is
    short of the line's height: two whole digits side by side stay two. Returns the
    crop's index in ``crops`` and the box; None when they cannot be one digit."""
    ca, cb = found.candidates[a], found.candidates[b]
    if ca.mask is not None or cb.mask is not None:
        return None  # pieces of a cut already
    ax, ay, aw, ah = ca.box
    bx, by, bw, bh = cb.box
    x0, y0 = min(ax, bx), min(ay, by)
    box = (x0, y0, max(ax + aw, bx + bw) - x0, max(ay + ah, by + bh) - y0)
    gap = max(ax, bx) - min(ax + aw, bx + bw)
    if (
        gap > JOIN_GAP * line_height
        or box[2] > JOIN_WIDE * line_height
        or box[3] > TALL * line_height
        or min(ah, bh) >= JOIN_SHORT * line_height
    ):
        return None
    joined = _Candidate(box, tuple(sorted(ca.ids + cb.ids)), max(ca.stroke, cb.stroke))
    crop = _crop(cv2, found, joined, None, box, cfg.margin)
    index = _queue(cv2, crops, {}, crop, box[3], line_height)  # no taller than TALL: no squash
    return None if index is None else (index, box)


def _cut_wide_parts(
    parts: list[tuple[Box, U8]], box: Box, line_height: float
) -> list[list[tuple[Box, U8]]]:
    """Three digits touching, two of them overlapping: a cut of ``box`` in two whose
    wider part is still wider than its line is tall, with that part cut again along a
    path (straight cuts into three are among :func:`touching.cut_sets` already)."""
    if len(parts) != 2:
        return []
    k = 0 if parts[0][0][2] >= parts[1][0][2] else 1
    part_box, mask = parts[k]
    if part_box[2] < PATH_ASPECT * line_height:
        return []
    a = part_box[0] - box[0]
    b = a + part_box[2]
    ink = mask[:, a:b] > 0
    inner = (part_box[0], box[1], part_box[2], box[3])
    out = []
    for path in touching.path_cuts(ink):
        cut = touching.path_parts(ink, inner, path, line_height)
        if cut:
            subs = []
            for sub_box, sub in cut:
                full = np.zeros(mask.shape, np.uint8)
                full[:, a:b] = sub
                subs.append((sub_box, full))
            out.append([*parts[:k], *subs, *parts[k + 1 :]])
    return out


def _queue_parts(
    cv2: Any,
    found: _Found,
    cand: _Candidate,
    parts: list[tuple[Box, U8]] | None,
    line_height: float,
    cfg: FindConfig,
    crops: list[U8],
    squash: dict[int, int],
    loops: dict[int, Callable[[], bool]],
) -> touching.Option | None:
    """One cut of a candidate as a way of reading it, each part's crop queued (and in
    ``loops``, how to tell whether its ink closes a loop); None when the cut gave no parts
    or a part holds no digit."""
    opt: touching.Option = []
    cx, cy = cand.box[:2]
    for box, selected in parts or []:
        crop = _crop(cv2, found, cand, selected, box, cfg.margin)
        piece = _queue(cv2, crops, squash, crop, box[3], line_height)
        if piece is None:
            return None
        opt.append((piece, box))
        x, y, w, h = box
        part = selected[y - cy : y - cy + h, x - cx : x - cx + w]
        loops[piece] = functools.partial(_closes_loop, cv2, found, part, h)
    return opt or None


def _queue(
    cv2: Any, crops: list[U8], squash: dict[int, int], crop: U8, height: int, line_height: float
) -> int | None:
    """Queue a crop for reading: its index in ``crops``, or None if it holds no digit.

    A 7 or a 9 whose tail reaches far below its line is thinner, once fitted, than any
    MNIST digit: it is also read squashed to the line (``squash`` maps the one to the
    other).
    """
    fitted = to_mnist(crop)
    if fitted is None:
        return None
    crops.append(fitted)
    index = len(crops) - 1
    if height > TALL * line_height:
        rows = max(3, round(crop.shape[0] * TALL * line_height / height))
        squashed = to_mnist(cv2.resize(crop, (crop.shape[1], rows), interpolation=cv2.INTER_AREA))
        if squashed is not None:
            crops.append(squashed)
            squash[index] = len(crops) - 1
    return index


# ------------------------------------------------------------------ finding


@dataclass(frozen=True)
class _View:
    """A big photo shrunk once to the finest working scale (the image itself if small).

    Shrinking a 12 MP photo with an area filter costs 50 ms a channel; every coarser
    view is made from this one instead of from the photo.
    """

    grey: U8
    colour: U8 | None
    scale: float  # its size / the image's
    image_grey: U8  # the image itself, for a closer look at small writing
    image_colour: U8 | None

    @staticmethod
    def of(cv2: Any, grey: U8, colour: U8 | None, work_size: int) -> _View:
        height, width = grey.shape
        scale = min(1.0, work_size / max(height, width))
        if scale == 1.0:
            return _View(grey, colour, 1.0, grey, colour)
        size = (max(8, round(width * scale)), max(8, round(height * scale)))
        small = None if colour is None else _shrink(cv2, colour, size)
        return _View(_shrink(cv2, grey, size), small, scale, grey, colour)


def _shrink(cv2: Any, image: Any, size: tuple[int, int]) -> Any:
    """``cv2.resize(image, size, INTER_AREA)``, halving first while it is twice as big.

    OpenCV's area filter has a fast path for exact integer factors: 12 MP to 1280 px
    takes 41 ms in grey (87 in colour) in one step, 11 (30) by way of a halving.
    """
    while image.shape[1] >= 2 * size[0] and image.shape[0] >= 2 * size[1]:
        h, w = image.shape[0] // 2, image.shape[1] // 2
        image = cv2.resize(image[: 2 * h, : 2 * w], (w, h), interpolation=cv2.INTER_AREA)
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def _find(image: Any, cfg: FindConfig) -> list[_Found]:
    """The image's digit candidates: one part per scale they were found at (usually one)."""
    cv2: Any = require("cv2", "edge")
    grey, colour = _channels(cv2, image)
    height, width = grey.shape
    if height < 8 or width < 8:
        raise ImageError(f"image too small to hold digits: {width}x{height}")
    view = _View.of(cv2, grey, colour, cfg.work_size)
    sheet = (
        find_sheet(cv2, view.grey) if cfg.find_page and cfg.polarity is not Polarity.LIGHT else None
    )
    if sheet is not None:
        # Polarity is told on the sheet alone: a desk's glints would look like chalk. A
        # "sheet" holding light ink is the lit part of a board.
        ys, xs = np.nonzero(sheet.region)
        f = view.grey.shape[1] / sheet.region.shape[1]
        inside = view.grey[
            int(ys.min() * f) : int((ys.max() + 1) * f), int(xs.min() * f) : int((xs.max() + 1) * f)
        ]
        if inside.size and _is_light_ink(cv2, inside, cfg.polarity):
            sheet = None
    light_ink = _is_light_ink(cv2, view.grey, cfg.polarity) if sheet is None else False
    if light_ink:
        colour = None  # chalk is read in grey
        view = replace(view, colour=None, image_colour=None)
    if sheet is not None and sheet.corners is not None:
        corners = sheet.corners / np.float32(view.scale)
        warped, back = rectify(
            cv2, [grey] if colour is None else [grey, colour], corners, cfg.work_size
        )
        sheet_colour = warped[1] if colour is not None else None
        parts = _find_scaled(
            cv2,
            _View(warped[0], sheet_colour, 1.0, warped[0], sheet_colour),
            light_ink,
            None,
            cfg,
            warped[0].shape,
        )
        for part in parts:
            part.to_image = _through(cv2, back, part.to_image)
        return parts
    region = None if sheet is None else sheet.region
    return _find_scaled(cv2, view, light_ink, region, cfg, grey.shape)


def _through(
    cv2: Any, matrix: npt.NDArray[np.float64], inner: Callable[[Box], Box]
) -> Callable[[Box], Box]:
    """``inner``, then the rectified sheet's box as the box around it in the image."""
    return lambda box: _map_box(cv2, matrix, inner(box))


def _map_box(cv2: Any, matrix: npt.NDArray[np.float64], box: Box) -> Box:
    """A rectified sheet's box, as the box around it in the image."""
    x, y, w, h = box
    pts = np.array([[[x, y]], [[x + w, y]], [[x + w, y + h]], [[x, y + h]]], np.float32)
    mapped = cv2.perspectiveTransform(pts, matrix).reshape(4, 2)
    (x0, y0), (x1, y1) = mapped.min(axis=0), mapped.max(axis=0)
    return (int(x0), int(y0), max(1, round(float(x1 - x0))), max(1, round(float(y1 - y0))))


def _find_scaled(
    cv2: Any,
    view: _View,
    light_ink: bool,
    region: U8 | None,
    cfg: FindConfig,
    shape: tuple[int, ...],
) -> list[_Found]:
    """Coarse to fine: small digits are looked for again at a finer scale.

    ``shape`` is the image's (height, width); ``view`` is it at the finest scale.
    """
    height, width = shape[:2]
    finest = view.scale
    scale = min(finest, cfg.detect_size / max(height, width))
    photo = finest >= 3 * scale  # not a camera frame: far bigger than the coarse scale
    found = _find_at(cv2, view, shape, light_ink, region, scale, cfg, None, photo)
    faint: bool | None = found.faint
    if scale < finest:
        if found.small_marks >= max(3, len(found.candidates) // 2):
            # many marks too small to be read here beside the digits: look closer
            finer = scale * cfg.target_height / cfg.min_height
            if not found.candidates:
                # the coarse level was chosen on marks alone (holes, grain): the finer
                # pass, where the writing shows, decides afresh whether it is faint
                faint = None
        elif found.candidates:
            typical = float(median([c.box[3] for c in found.candidates]))
            finer = scale * cfg.target_height / max(typical, 1.0)
        elif photo:
            # Nothing at all in a photo: small writing in pencil is dust at the coarse
            # scale, so look once at the finest (camera frames are too small for this),
            # deciding there whether the ink is faint.
            finer, faint = finest, None
        else:
            # nothing at the usual scale: a digit filling the frame may be there, its
            # strokes too wide for the paper estimate (a marker, soft pencil)
            return _huge(cv2, view, shape, light_ink, region, cfg, [found], scale)
        finer = min(finest, finer)
        if finer > FINER * scale:
            found = _find_at(cv2, view, shape, light_ink, region, finer, cfg, faint, photo)
            scale = finer
    parts = [found]
    if photo:
        parts = _closer(cv2, view, shape, light_ink, region, cfg, found, scale)
    return _huge(cv2, view, shape, light_ink, region, cfg, parts, scale)


def _huge(
    cv2: Any,
    view: _View,
    shape: tuple[int, ...],
    light_ink: bool,
    region: U8 | None,
    cfg: FindConfig,
    parts: list[_Found],
    scale: float,
) -> list[_Found]:
    """Digits filling much of the frame, looked for at a coarse scale.

    A marker's strokes on a card held up to a webcam are wider than the paper estimate
    reaches at the usual scale: what is found there is pieces of them (read as 1s) or
    nothing. At HUGE_SIZE px they are thin. Such a digit is a part of its own, each
    candidate with the candidates of ``parts`` it covers (``_Found.covers``); reading
    decides (:func:`read_lines`): it stands for them only where it reads surely.
    """
    height, width = shape[:2]
    coarse = HUGE_SIZE / max(height, width)
    if coarse * FINER > scale:
        return parts
    # one faint mark alone may be a digit here: reading decides, with the gate
    probe = _find_at(cv2, view, shape, light_ink, region, coarse, cfg, None, False, True)
    short = HUGE * min(height, width)
    keep: list[int] = []
    covers: list[list[tuple[int, int, bool]]] = []
    for j, cand in enumerate(probe.candidates):
        box = probe.to_image(cand.box)
        if box[3] < short or box[2] < HUGE_THIN * box[3] or cand.stroke < HUGE_BOLD * cand.box[3]:
            continue  # small; a line (a sheet's edge; a thin 1 is read whole anyway); fine ink
        keep.append(j)
        covers.append(
            [
                (n, i, part.to_image(c.box)[3] >= PIECES * box[3])
                for n, part in enumerate(parts)
                for i, c in enumerate(part.candidates)
                if _within(part.to_image(c.box), box)
            ]
        )
    if not keep:
        return parts
    return [*parts, replace(_subset(probe, keep), covers=covers)]


def _within(inner: Box, outer: Box) -> bool:
    """Half or more of ``inner`` lies in ``outer``."""
    w = min(inner[0] + inner[2], outer[0] + outer[2]) - max(inner[0], outer[0])
    h = min(inner[1] + inner[3], outer[1] + outer[3]) - max(inner[1], outer[1])
    return w > 0 and h > 0 and w * h >= 0.5 * inner[2] * inner[3]


def _closer(
    cv2: Any,
    view: _View,
    shape: tuple[int, ...],
    light_ink: bool,
    region: U8 | None,
    cfg: FindConfig,
    found: _Found,
    scale: float,
) -> list[_Found]:
    """A photo's writing too small to read at ``scale``, looked for closer.

    One photo may hold digits 15 px and 500 px tall. The scale chosen for the most of
    them leaves the smallest a few pixels tall, or dust. They are looked for in the
    finest view, and marks still too small there in crops of the image itself around
    them; what a closer look finds replaces only what was too small to read before.
    """
    parts = [found]
    finest = view.scale
    if scale * FINER < finest:
        probe = _find_at(cv2, view, shape, light_ink, region, finest, cfg, found.faint, True)
        parts = [*_merge(found, probe, scale / finest)]
        found, scale = probe, finest
    at = len(parts) - 1  # the part at ``scale``
    if scale * FINER >= 1.0:
        return [p for p in parts if p.candidates]
    height, width = shape[:2]
    marks = found.small_boxes + [c.box for c in found.candidates if c.box[3] < CLOSER]
    spent = 0
    for x0, y0, x1, y1 in _writing(cv2, marks, scale, width, height):
        if spent + (x1 - x0) * (y1 - y0) > CLOSE_BUDGET:
            break
        spent += (x1 - x0) * (y1 - y0)
        grey = view.image_grey[y0:y1, x0:x1]
        colour = None if view.image_colour is None else view.image_colour[y0:y1, x0:x1]
        part_region = None
        if region is not None:
            fy, fx = region.shape[0] / height, region.shape[1] / width
            part_region = region[
                int(y0 * fy) : max(int(y0 * fy) + 1, int(y1 * fy)),
                int(x0 * fx) : max(int(x0 * fx) + 1, int(x1 * fx)),
            ]
        close = _find_at(
            cv2, _View(grey, colour, 1.0, grey, colour), grey.shape, light_ink, part_region,
            1.0, cfg, found.faint, True,
        )  # fmt: skip
        close.to_image = _offset(close.to_image, x0, y0)
        parts[at], fine = _merge(parts[at], close, scale)
        parts.append(fine)
    return [p for p in parts if p.candidates]


def _writing(cv2: Any, marks: list[Box], scale: float, width: int, height: int) -> list[Box]:
    """Where small marks lie side by side, as writing does: (x0, y0, x1, y1) in the
    image's pixels, the most marks first."""
    if len(marks) < 3:
        return []
    w, h = max(1, round(width * scale)), max(1, round(height * scale))
    mask = np.zeros((h, w), np.uint8)
    for x, y, bw, bh in marks:  # a mark reaches its neighbours a height away
        mask[max(0, y - bh // 2) : y + bh + bh // 2, max(0, x - bh) : x + bw + bh] = 1
    n, labels, stats = components(cv2, mask, 8)
    counts = np.bincount(
        [int(labels[y + bh // 2, x + bw // 2]) for x, y, bw, bh in marks], minlength=n
    )
    found = []
    for k in range(1, n):
        if counts[k] < 2:
            continue
        x, y, bw, bh = (int(v) for v in stats[k, :4])
        pad = max(4, bh // 2)
        box = (
            max(0, int((x - pad) / scale)),
            max(0, int((y - pad) / scale)),
            min(width, int((x + bw + pad) / scale) + 1),
            min(height, int((y + bh + pad) / scale) + 1),
        )
        found.append((int(counts[k]), box))
    # padded, neighbouring regions may overlap: one crop for both, or a digit is read twice
    merged = True
    while merged:
        merged = False
        for a, b in itertools.combinations(range(len(found)), 2):
            (na, ba), (nb, bb) = found[a], found[b]
            if _overlap(_corners_box(ba), _corners_box(bb)):
                union = (min(ba[0], bb[0]), min(ba[1], bb[1]), max(ba[2], bb[2]), max(ba[3], bb[3]))
                found[a] = (na + nb, union)
                del found[b]
                merged = True
                break
    found.sort(key=lambda t: -t[0])
    return [box for _, box in found]


def _corners_box(corners: Box) -> Box:
    """(x0, y0, x1, y1) as (x, y, w, h)."""
    x0, y0, x1, y1 = corners
    return (x0, y0, x1 - x0, y1 - y0)


def _offset(inner: Callable[[Box], Box], dx: int, dy: int) -> Callable[[Box], Box]:
    def moved(box: Box) -> Box:
        x, y, w, h = inner(box)
        return (x + dx, y + dy, w, h)

    return moved


def _merge(coarse: _Found, fine: _Found, ratio: float) -> tuple[_Found, _Found]:
    """The coarse part without what the fine one reads better, and the fine part with
    only that: its candidates too small at the coarse scale (``ratio`` = coarse scale /
    fine scale) that are not a piece of a bigger digit found there."""
    boxes = [coarse.to_image(c.box) for c in coarse.candidates]
    small = [c.box[3] < CLOSER for c in coarse.candidates]
    keep: list[int] = []
    replaced: set[int] = set()
    for j, cand in enumerate(fine.candidates):
        if cand.box[3] * ratio >= CLOSER:
            continue  # read at the coarse scale, or not a digit there
        box = fine.to_image(cand.box)
        hits = [i for i, other in enumerate(boxes) if _overlap(box, other)]
        if any(not small[i] or boxes[i][3] > PIECE * box[3] for i in hits):
            continue  # a piece of a digit the coarse scale reads whole
        keep.append(j)
        replaced.update(hits)
    coarse_keep = [i for i in range(len(coarse.candidates)) if i not in replaced]
    return _subset(coarse, coarse_keep), _subset(fine, keep)


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def _subset(found: _Found, keep: list[int]) -> _Found:
    """``found`` with only the candidates ``keep``, its lines kept in order."""
    if len(keep) == len(found.candidates):
        return found
    new = {old: k for k, old in enumerate(keep)}
    lines = [[new[i] for i in line if i in new] for line in found.lines]
    return replace(
        found,
        candidates=[found.candidates[i] for i in keep],
        lines=[line for line in lines if line],
    )


def _find_at(
    cv2: Any,
    view: _View,
    shape: tuple[int, ...],
    light_ink: bool,
    region: U8 | None,
    scale: float,
    cfg: FindConfig,
    faint: bool | None = None,
    photo: bool = False,
    lone: bool = False,
) -> _Found:
    height, width = shape[:2]
    grey, colour = view.grey, view.colour
    size = (max(8, round(width * scale)), max(8, round(height * scale)))
    if size != grey.shape[::-1]:
        grey = cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
        if colour is not None:
            colour = cv2.resize(colour, size, interpolation=cv2.INTER_AREA)
    ink = grey
    if colour is not None:
        b, g, r = cv2.split(colour)
        ink = cv2.min(cv2.min(b, g), r)
    sy, sx = grey.shape[0] / height, grey.shape[1] / width
    paper_region = None
    if region is not None:
        paper_region = cv2.resize(region, grey.shape[::-1], interpolation=cv2.INTER_NEAREST) > 0

    def to_image(box: Box) -> Box:
        x, y, w, h = box
        return (int(x / sx), int(y / sy), max(1, round(w / sx)), max(1, round(h / sy)))

    return _analyse(cv2, ink, light_ink, paper_region, to_image, cfg, faint, photo, lone)


def _channels(cv2: Any, image: Any) -> tuple[U8, U8 | None]:
    """Grey, and the colour image when its darkest channel should be read instead.

    On white or grey paper the darkest of B, G and R shows coloured ink (red felt pen,
    blue ballpoint) far darker than grey does, and black ink as dark; on coloured paper
    (yellow) that channel is dark on the paper too, so grey it is.
    """
    if (
        isinstance(image, np.ndarray)
        and image.dtype == np.uint8
        and image.ndim == 3
        and image.shape[2] == 3
        and image.size
    ):
        grey: U8 = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        thumb = image[:: max(1, image.shape[0] // 48), :: max(1, image.shape[1] // 64)]
        pixels = thumb.reshape(-1, 3).astype(np.int32)
        total = pixels.sum(axis=1)
        rank = int(0.9 * (len(total) - 1))
        paper = pixels[total >= np.partition(total, rank)[rank]].mean(axis=0)
        return grey, (image if paper.min() >= 0.85 * paper.max() else None)
    return to_grey(image), None  # validates; handles BGRA, float and odd dtypes


def _is_light_ink(cv2: Any, grey: U8, polarity: Polarity) -> bool:
    """Light ink when the thin bright structures outweigh the thin dark ones.

    Measured at a quarter of a 320 px view with a 3x3 kernel: there strokes are a pixel or
    two wide while the gaps between them are wider, so the black-hat (thin dark
    things) and the top-hat (thin bright things) tell ink from paper. On 2,700
    synthetic frames with digits of each polarity it never chose wrong. Small writing
    in a big photo is gone at that view (the two are near even on paper grain), so a
    "light" verdict stands only if the 320 px view itself is not clearly dark-inked.
    """
    if polarity is not Polarity.AUTO:
        return polarity is Polarity.LIGHT
    h, w = grey.shape
    f = min(1.0, 320 / max(h, w))
    view = cv2.resize(
        grey, (max(8, round(w * f)), max(8, round(h * f))), interpolation=cv2.INTER_AREA
    )
    vh, vw = view.shape
    small = cv2.resize(view, (max(8, vw // 4), max(8, vh // 4)), interpolation=cv2.INTER_AREA)

    def thin(image: U8, noise: int = 0) -> tuple[float, float]:
        kernel = np.ones((3, 3), np.uint8)
        dark = cv2.morphologyEx(image, cv2.MORPH_BLACKHAT, kernel)
        light = cv2.morphologyEx(image, cv2.MORPH_TOPHAT, kernel)
        if noise:
            dark = cv2.threshold(dark, noise, 0, cv2.THRESH_TOZERO)[1]
            light = cv2.threshold(light, noise, 0, cv2.THRESH_TOZERO)[1]
        return float(cv2.sumElems(dark)[0]), float(cv2.sumElems(light)[0])

    dark, light = thin(small)
    if light <= dark:
        return False
    # Chalk is a few bright strokes on a board: the frame's tail is bright. Marker strokes
    # too bold to be thin here leave thin bright gaps between them, but the tail of the
    # frame, its light flattened, is dark.
    flat = small.astype(np.float32)
    k = max(3, (max(flat.shape) // 3) | 1)
    flat -= cv2.GaussianBlur(flat, (k, k), 0)
    flat -= float(flat.mean())
    spread = float(np.sqrt((flat * flat).mean()))
    if spread > 0 and float((flat**3).mean()) / spread**3 < DARK_TAIL:
        return False
    # And a board is mostly board, its median near its dark end. A frame whose median is
    # far above its darkest twentieth (ink far darker than most of the frame) and near its
    # bright end is paper, whatever thin bright gaps its bold strokes leave (a marker's 8
    # or 9 filling half a card).
    lo, mid, hi = np.percentile(small, (5, 50, 95))
    if mid - lo >= BRIGHT_FRAME * 255 and mid - lo > 2 * (hi - mid):
        return False
    # In a photo far bigger than the view, grain and JPEG blocks are thin both ways and
    # can outweigh small writing: there only what stands above the grain counts.
    dark, light = thin(view, THIN_NOISE if max(h, w) >= 3 * 320 else 0)
    return not dark > DARK_VIEW * light


def _analyse(
    cv2: Any,
    channel: U8,
    light_ink: bool,
    region: npt.NDArray[np.bool_] | None,
    to_image: Callable[[Box], Box],
    cfg: FindConfig,
    faint: bool | None = None,
    photo: bool = False,
    lone: bool = False,
) -> _Found:
    """The digit candidates at one scale, by line.

    ``lone``: a faint mark alone counts too (else faint ink must be writing, two marks
    side by side). ``faint`` says whether the ink is read at the faint level (see
    :func:`edge_runtime.ink.ink_level`); None decides it here, and a finer pass follows
    the coarse pass's choice. ``photo``: the image is far bigger than this scale.
    """
    contrast, paper = ink.contrast(cv2, channel, light_ink)
    if light_ink:
        on_paper = np.ones(paper.shape, bool)
    else:
        # Ink lies on paper: where the "paper" is far darker than the frame's, it is a
        # desk, a hole or a dark border.
        sample = paper[::4, ::4].ravel()
        rank = int(0.9 * (sample.size - 1))
        on_paper = paper >= 0.25 * float(np.partition(sample, rank)[rank])
    if region is not None:
        on_paper &= region
    usual = int(255 * cfg.min_contrast)
    found = _candidates(cv2, contrast, usual, on_paper, cfg)
    used_faint = False
    tried = faint is None and (not found.candidates or found.loose > found.held)
    if tried and not photo:
        # Cheap first: faint ink is pixels between the faint floor and the usual level;
        # a camera frame with almost none (most empty ones) has nothing faint to read.
        band = cv2.inRange(contrast, int(255 * ink.FAINT) + 1, usual)
        tried = cv2.countNonZero(band) >= FAINT_SHARE * contrast.size
    if faint or tried:
        # No digit, or most of the ink in marks too small to be digits: faint ink is
        # missed or broken into dust at the usual level. Read again at the faint level
        # (a finer pass does whenever the coarse one did); keep what finds more digits,
        # or more marks too small to read at this scale, or the same writing whole.
        level = ink.ink_level(cv2, contrast, cfg.min_contrast)
        if not isinstance(level, int):
            again = _candidates(cv2, contrast, level, on_paper, cfg)
            # Faint ink is writing: at least two marks side by side in a line. Alone, a
            # faint mark is more often a shadowed page edge than a digit.
            writing = any(len(line) >= 2 for line in group_lines([c.box for c in again.candidates]))
            more = (len(again.candidates), again.small_marks) > (
                len(found.candidates),
                found.small_marks,
            ) or _whole(again.candidates, found.candidates)
            # Marks alone only count in a photo, where small writing is dust here; in a
            # camera frame they are grain in a shadow.
            if more and (writing or lone or (photo and not again.candidates)):
                found, used_faint = again, True
            else:
                used_faint = bool(faint)
    if not used_faint and found.candidates:
        # Soft ink (pencil, a worn pen) is grainy: its strokes are barely above the level
        # and break into dust there. Read it again with hysteresis.
        stroke = _typical_contrast(cv2, contrast, usual, found)
        if stroke < SOFT * usual:
            weak = max(int(HYSTERESIS * usual), int(WEAK * stroke))
            completed = _completed(cv2, contrast, usual, weak, on_paper, cfg, found)
            found = found if completed is None else completed
    candidates = _drop_dashed_edges(found.candidates)
    labels, small_marks = found.labels, found.small_marks
    candidates = _split_across_lines(candidates, labels)
    kept: list[_Candidate] = []
    kept_lines: list[list[int]] = []
    grouped = group_lines([c.box for c in candidates])
    typical_h = float(median([c.box[3] for c in candidates])) if candidates else 0.0
    for line in grouped:
        if (
            used_faint
            and len(line) == 1
            and len(grouped) > 1
            and candidates[line[0]].box[2] < 0.25 * candidates[line[0]].box[3]
            and candidates[line[0]].box[3] > LONE * typical_h
        ):
            continue  # alone, thin and taller than the writing: a shadowed edge's piece
        height = float(median([candidates[i].box[3] for i in line]))
        line = _join_stacked(candidates, line, height)
        keep = [
            i
            for i in line
            if len(line) == 1
            or candidates[i].box[3] >= SMALL * height
            or (
                candidates[i].box[3] >= SMALLEST * height
                and _has_hole(cv2, labels, list(candidates[i].ids), candidates[i].box)
            )
        ]
        kept_lines.append(list(range(len(kept), len(kept) + len(keep))))
        kept.extend(candidates[i] for i in keep)
    small_boxes = found.small_boxes
    return _Found(
        kept,
        kept_lines,
        contrast,
        labels,
        to_image,
        small_marks,
        used_faint,
        small_boxes,
        channel,
        light_ink,
    )


def _whole(faint: list[_Candidate], usual: list[_Candidate]) -> bool:
    """Whether the faint level finds whole what the usual level finds in pieces (pencil
    fainter than the level but at its darkest points): fewer marks, but WHOLE times
    taller in median and in all."""
    if not faint or not usual:
        return False
    tall, short = [c.box[3] for c in faint], [c.box[3] for c in usual]
    return median(tall) >= WHOLE * median(short) and sum(tall) >= WHOLE * sum(short)


def _split_across_lines(
    candidates: list[_Candidate], labels: npt.NDArray[np.int32]
) -> list[_Candidate]:
    """Candidates with each pair of digits of two close lines, touching one over the
    other, cut apart where one line ends and the next begins.

    Such a pair is one box about two lines tall: read whole it is no digit, and grouped
    by boxes it joins its two lines into one. Its upper part stands beside digits of one
    line, its lower part beside digits of the next (STACK_* above). A long-tailed 7 or 9
    is not cut: its tail hangs between the lines, or beside digits of its own line, and
    a small mark or a broken-off tail beside it is no line.
    """
    if len(candidates) < 3:
        return candidates
    boxes = [c.box for c in candidates]
    typical = float(median([b[3] for b in boxes]))
    out: list[_Candidate] = []
    for i, cand in enumerate(candidates):
        x, y, w, h = cand.box
        if h < STACK_TALL * typical:
            out.append(cand)
            continue
        ink = _members(labels[y : y + h, x : x + w], cand.ids)
        if cand.mask is not None:
            ink &= cand.mask > 0
        count = ink.sum(axis=1)
        lo, hi = round(0.3 * h), round(0.7 * h)
        if hi <= lo:
            out.append(cand)
            continue

        def beside(box: Box, other: Box, _i: int = i) -> list[Box]:
            """The digits in the line of ``box``: beside it, and not beside ``other``
            (a long-tailed digit of the same line is beside both)."""
            return [
                o
                for j, o in enumerate(boxes)
                if j != _i
                and STACK_PART[0] * typical <= o[3] < STACK_TALL * typical
                and _shared(box, o) >= STACK_BESIDE * min(box[3], o[3])
                and _shared(other, o) < STACK_APART * min(other[3], o[3])
            ]

        # First where the pair is narrowest; then, told by the digits beside each part,
        # where one line ends and the next begins.
        parts = _halves(ink, x, y, _least_row(count, lo, hi, h / 2))
        if parts is None:
            out.append(cand)
            continue
        above, below = beside(parts[0][0], parts[1][0]), beside(parts[1][0], parts[0][0])
        if above and below:
            end = float(median([o[1] + o[3] for o in above])) - y
            start = float(median([o[1] for o in below])) - y
            first = max(round(min(end, start) - 0.1 * typical), round(0.2 * h))
            last = min(round(max(end, start) + 0.1 * typical), round(0.8 * h))
            if last > first:
                path = _row_path(ink, first, last)
                parts = _halves(ink, x, y, path) or parts
                above = beside(parts[0][0], parts[1][0])
                below = beside(parts[1][0], parts[0][0])
        # two lines, a digit's height apart or more: not one line's uneven baseline
        apart = (
            min(len(above), len(below)) >= STACK_NEIGHBOURS
            and float(median([o[1] + o[3] / 2 for o in below]))
            - float(median([o[1] + o[3] / 2 for o in above]))
            >= STACK_PITCH * typical
        )
        if not (
            apart
            and all(STACK_PART[0] * typical <= p[3] <= STACK_PART[1] * typical for p, _ in parts)
        ):
            out.append(cand)
            continue
        for part_box, (r0, r1, c0, c1) in parts:
            mask = ink[r0:r1, c0:c1].astype(np.uint8)
            out.append(_Candidate(part_box, cand.ids, cand.stroke, mask))
    return out


def _shared(a: Box, b: Box) -> int:
    """How many rows two boxes share."""
    return min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])


def _least_row(count: npt.NDArray[np.int64], lo: int, hi: int, centre: float) -> int:
    """The row in [lo, hi) holding the least ink, the one nearest ``centre`` of ties."""
    band = count[lo:hi]
    least = np.flatnonzero(band == band.min()) + lo
    return int(least[np.argmin(np.abs(least - centre))])


def _halves(
    ink: npt.NDArray[np.bool_], x: int, y: int, cut: int | npt.NDArray[np.int64]
) -> list[tuple[Box, tuple[int, int, int, int]]] | None:
    """The ink above and below ``cut`` (a row, or a row per column): per part its box in
    the image and its rows and columns in ``ink``; None when either is empty."""
    above = np.arange(ink.shape[0])[:, None] < np.broadcast_to(cut, (ink.shape[1],))[None, :]
    out = []
    for side in (above, ~above):
        part = ink & side
        rows, cols = np.nonzero(part.any(axis=1))[0], np.nonzero(part.any(axis=0))[0]
        if len(rows) == 0:
            return None
        r0, r1, c0, c1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
        out.append(((x + c0, y + r0, c1 - c0, r1 - r0), (r0, r1, c0, c1)))
    return out


def _row_path(ink: npt.NDArray[np.bool_], first: int, last: int) -> npt.NDArray[np.int64]:
    """A path left to right between rows ``first`` and ``last`` crossing the least ink,
    its row per column: two digits that overlap where they touch leave no empty row,
    and a path goes around the one's lowest curve and the other's bar. A step of a row
    up or down costs a twentieth of an ink pixel."""
    cost = ink[first:last].T.astype(np.float32)  # (columns, rows of the band)
    total, came = touching.cheapest_path(cost, np.float32(0.05))
    rows = np.arange(cost.shape[1])
    end = int(np.argmin(np.abs(rows - len(rows) / 2) * 1e-3 + total))
    return first + touching.trace_path(came, end)


def _join_stacked(candidates: list[_Candidate], line: list[int], height: float) -> list[int]:
    """A line's candidates (indices, left to right) with each pair stacked one over the
    other joined into one: digits in a line stand side by side, so two short pieces in
    one column are the halves of a digit broken across a gap (a 9's loop over its
    tail). Joined candidates are appended to ``candidates``."""
    out = list(line)
    k = 0
    while k + 1 < len(out):
        a, b = candidates[out[k]], candidates[out[k + 1]]
        (ax, ay, aw, ah), (bx, by, bw, bh) = a.box, b.box
        x_overlap = min(ax + aw, bx + bw) - max(ax, bx)
        gap = max(ay, by) - min(ay + ah, by + bh)
        top, bottom = min(ay, by), max(ay + ah, by + bh)
        if (
            max(ah, bh) < STACKED * height
            and x_overlap >= 0.5 * min(aw, bw)
            and 0 <= gap <= 0.3 * height
            and bottom - top <= 1.6 * height
        ):
            left = min(ax, bx)
            box = (left, top, max(ax + aw, bx + bw) - left, bottom - top)
            candidates.append(_Candidate(box, a.ids + b.ids, max(a.stroke, b.stroke)))
            out[k : k + 2] = [len(candidates) - 1]
        else:
            k += 1
    return out


def _typical_contrast(cv2: Any, contrast: U8, level: int, found: _Level) -> int:
    """The median contrast of the ink above ``level`` in the candidates' boxes (never
    empty: each candidate's own ink is above the level)."""
    hist = np.zeros(256, np.float64)
    for cand in found.candidates:
        x, y, w, h = cand.box
        part = contrast[y : y + h, x : x + w]
        hist += cv2.calcHist([part], [0], None, [256], [0, 256]).ravel()
    hist[: level + 1] = 0
    return ink.histogram_level(hist, 0.5)


@dataclass
class _Level:
    """The digit candidates at one contrast level."""

    candidates: list[_Candidate]
    mask: U8  # the ink the components were labelled in
    labels: npt.NDArray[np.int32]
    small_marks: int
    small_boxes: list[Box]
    held: int  # ink pixels in candidates
    loose: int  # ink pixels elsewhere


def _candidates(
    cv2: Any, contrast: U8, level: U8 | int, on_paper: npt.NDArray[np.bool_], cfg: FindConfig
) -> _Level:
    if isinstance(level, int):
        mask = cv2.threshold(contrast, level, 255, cv2.THRESH_BINARY)[1]
    else:
        mask = cv2.compare(contrast, level, cv2.CMP_GT)
    mask = _remove_long_lines(cv2, mask)
    n, labels, stats = components(cv2, mask, 8)
    return _read_components(cv2, mask, n, labels, stats, on_paper, cfg, contrast)


def _completed(
    cv2: Any,
    contrast: U8,
    level: int,
    weak: int,
    on_paper: npt.NDArray[np.bool_],
    cfg: FindConfig,
    found: _Level,
) -> _Level | None:
    """``found`` (read at ``level``) again with hysteresis: ink down to ``weak`` counts
    where it joins ink above ``level``, never alone. None when that leaves more marks
    too small to read than before: joined-up grain leaves as many or fewer, while
    texture at that level (a desk, rough paper) is more dust, not whole strokes."""
    low = cv2.threshold(contrast, weak, 255, cv2.THRESH_BINARY)[1]
    # Ruled lines show whole at the weak level, broken by grain: bridged, they are found
    # and go, from the ink at the level too (the line there is the same line in pieces).
    mask = _remove_long_lines(cv2, cv2.max(low, found.mask), BRIDGE)
    strong = cv2.bitwise_and(found.mask, mask)
    n, labels, stats = components(cv2, mask, 8)
    alive = np.zeros(n, bool)
    alive[np.unique(labels[strong > 0])] = True
    stats[~alive, 2:] = 0
    if np.count_nonzero(_small(cv2, stats, cfg)) > found.small_marks:
        return None  # before grouping: dust by the thousand is slow to group
    again = _read_components(cv2, mask, n, labels, stats, on_paper, cfg, contrast)
    # Completed, not made up: each digit holds a piece found at the level; a stroke as
    # thin as a 1, one of a quarter of its height (an edge's dashes make no 1).
    pieces = [c.box for c in found.candidates] + found.small_boxes
    again.candidates = [
        c
        for c in again.candidates
        if any(
            _overlap(c.box, p) and (c.box[2] >= 0.25 * c.box[3] or 4 * p[3] >= c.box[3])
            for p in pieces
        )
    ]
    return again


def _small(cv2: Any, stats: npt.NDArray[np.int32], cfg: FindConfig) -> npt.NDArray[np.bool_]:
    """Which components (after the background) are marks too small to read as digits."""
    heights, widths = stats[1:, cv2.CC_STAT_HEIGHT], stats[1:, cv2.CC_STAT_WIDTH]
    small: npt.NDArray[np.bool_] = (
        (heights >= 3) & (heights < cfg.min_height) & (widths <= 2 * heights)
    )
    return small


def _read_components(
    cv2: Any,
    mask: U8,
    n: int,
    labels: npt.NDArray[np.int32],
    stats: npt.NDArray[np.int32],
    on_paper: npt.NDArray[np.bool_],
    cfg: FindConfig,
    contrast: U8,
) -> _Level:
    """The digit candidates among the components of ``mask`` (labelled in ``labels``,
    thresholded from ``contrast``)."""
    wh, ww = labels.shape
    small = _small(cv2, stats, cfg)
    small_marks = int(np.count_nonzero(small))
    small_boxes: list[Box] = [
        (int(x), int(y), int(w), int(h)) for x, y, w, h in stats[1:][small][:, :4]
    ]
    candidates = []
    for group in _group(cv2, stats, labels, n, wh, ww, cfg):
        box, area = _extent(stats, group)
        _, _, w, h = box
        if not _digit_like(box, area, wh, ww, cfg) or not _on_paper(on_paper, box):
            continue
        stroke = _stroke(cv2, labels, group, box)
        hairline = w < 3 or stroke < max(1.5, 0.025 * h)  # a crease, the sliver of an edge
        if not hairline and w >= 0.35 * h and stroke > cfg.max_stroke * h:
            stroke = _core_stroke(cv2, contrast, labels, group, box)
        if not hairline and (w < 0.35 * h or stroke <= cfg.max_stroke * h):
            candidates.append(_Candidate(box, tuple(sorted(group)), stroke))
    # A strip or a stain is far bolder, for its height, than the writing around it;
    # a big digit written with a bigger pen is not. The writing is told by its pieces
    # wider than a 1: a sheet's edge broken into hairline dashes is no pen.
    pens = [c for c in candidates if c.box[2] >= 0.35 * c.box[3]]
    if len(pens) >= 3:
        typical = float(median([c.stroke / c.box[3] for c in pens]))
        candidates = [c for c in candidates if c.stroke <= (2.5 * typical) * c.box[3] + 1]
    held = int(sum(stats[i, cv2.CC_STAT_AREA] for c in candidates for i in c.ids))
    total = int(stats[1:, cv2.CC_STAT_AREA].sum())
    return _Level(candidates, mask, labels, small_marks, small_boxes, held, total - held)


def _drop_dashed_edges(candidates: list[_Candidate]) -> list[_Candidate]:
    """Drop thin pieces in a line, upright or slanted by up to about 25 degrees: an edge,
    a fold or the rim of a sheet seen at an angle, broken into dashes.

    Three hairline pieces (a quarter as wide as tall) in a line are dashes; pieces up to
    0.4 as wide (a slanted dash's box) need four, exactly in line: 1s written in rows
    one above the other are in line only roughly.
    """
    slim = [c for c in candidates if c.box[2] < 0.4 * c.box[3]][:60]
    thin = [c.box[2] < 0.25 * c.box[3] for c in slim]
    centres = [(c.box[0] + c.box[2] / 2, c.box[1] + c.box[3] / 2) for c in slim]
    tolerance = [
        max(2.0, c.box[2]) if t else max(1.5, 0.5 * c.box[2])
        for c, t in zip(slim, thin, strict=True)
    ]
    dashed: set[int] = set()
    for i, (xi, yi) in enumerate(centres):
        for j, (xj, yj) in enumerate(centres):
            dy, dx = yj - yi, xj - xi
            if j == i or dy <= 0 or abs(dx) > 0.5 * dy or dy > 4 * slim[i].box[3]:
                continue
            norm = float(np.hypot(dx, dy))
            line = [
                k
                for k, (xk, yk) in enumerate(centres)
                if abs((xk - xi) * dy - (yk - yi) * dx) / norm <= tolerance[k]
            ]
            if len(line) >= 4 or (len(line) == 3 and all(thin[k] for k in line)):
                dashed.update(id(slim[k]) for k in line)
    return [c for c in candidates if id(c) not in dashed]


def _remove_long_lines(cv2: Any, mask: U8, bridge: int = 0) -> U8:
    """Drop ruled lines and long edges: straight runs longer than any digit.

    ``bridge``: a line's run counts across gaps this many pixels long (grain breaks it
    at a weak level), and what lies within LINE_EDGE pixels of it goes with it.
    """
    h, w = mask.shape
    across, down = max(48, w // 3), max(48, int(h * 0.95))
    # A row (column) with fewer ink pixels than a line is long holds no such line, unless
    # its ink reaches the frame's edge (the opening counts beyond the edge as ink): most
    # frames have neither, and the openings below are the finder's dearest step.
    rows = cv2.reduce(mask, 1, cv2.REDUCE_SUM, dtype=cv2.CV_32S).ravel() // 255
    cols = cv2.reduce(mask, 0, cv2.REDUCE_SUM, dtype=cv2.CV_32S).ravel() // 255
    # The openings work row by row (column by column), so only the rows (columns) that
    # could hold such a run are opened: half a line of ink, if it runs off the edge.
    lines = np.zeros_like(mask)
    held = np.nonzero(rows >= (across - 1) // 2)[0]
    if len(held):
        band = np.ascontiguousarray(mask[held])
        lines[held] = _runs(cv2, band, (1, across), (1, bridge + 1))
    held = np.nonzero(cols >= (down - 1) // 2)[0]
    if len(held):
        band = np.ascontiguousarray(mask[:, held])
        vertical = _runs(cv2, band, (down, 1), (bridge + 1, 1))
        lines[:, held] = cv2.max(lines[:, held], vertical)
    if bridge and cv2.countNonZero(lines):
        edge = np.ones((2 * LINE_EDGE + 1, 2 * LINE_EDGE + 1), np.uint8)
        lines = cv2.bitwise_and(cv2.dilate(lines, edge), mask)
    result: U8 = cv2.subtract(mask, lines)
    return result


def _runs(cv2: Any, band: U8, length: tuple[int, int], gap: tuple[int, int]) -> U8:
    """The pixels of ``band`` on straight runs at least ``length`` (rows, columns) long,
    counted across gaps shorter than ``gap``."""
    run = np.ones(length, np.uint8)
    if gap == (1, 1):
        return cast(U8, cv2.morphologyEx(band, cv2.MORPH_OPEN, run))
    closed = cv2.morphologyEx(band, cv2.MORPH_CLOSE, np.ones(gap, np.uint8))
    return cast(U8, cv2.bitwise_and(cv2.morphologyEx(closed, cv2.MORPH_OPEN, run), band))


def _group(
    cv2: Any,
    stats: npt.NDArray[np.int32],
    labels: npt.NDArray[np.int32],
    n: int,
    wh: int,
    ww: int,
    cfg: FindConfig,
) -> list[list[int]]:
    """Merge the components that are fragments of one digit.

    Fragments of a digit overlap or nearly touch: a small piece beside a big one, or
    one above the other (a 5's bar, a 9's loop over its tail). Digits of a row stand
    apart; digits of two rows stand apart vertically and both look like digits.
    """
    x, y = stats[:, 0], stats[:, 1]
    inside = (x > 0) & (y > 0) & (x + stats[:, 2] < ww) & (y + stats[:, 3] < wh)
    # What touches the frame's edge is no digit (see _digit_like), and must not swallow
    # the digits it comes near either.
    ids = [
        i
        for i in range(1, n)
        if stats[i, 4] >= 6
        and stats[i, 3] <= cfg.max_height * wh
        and stats[i, 2] <= WIDEST * ww
        and inside[i]
    ]
    boxes = {i: tuple(int(v) for v in stats[i, :4]) for i in ids}
    # The frame's digit height, from its pieces that are neither specks nor strokes (a
    # crease's dashes, 1s); with too few of them, unknown.
    sized = [h for _, _, w, h in boxes.values() if h >= cfg.min_height and w >= 0.4 * h]
    typical = float(median(sized)) if len(sized) >= 4 else float("inf")
    # A mark far taller than the digits and too sparse for any digit (the rim of a
    # shadow read at the faint level) is neither one nor a piece of one: it must not
    # swallow the digit it comes near.
    ids = [
        i
        for i in ids
        if boxes[i][3] <= 2 * typical or stats[i, 4] >= SPARSE * boxes[i][2] * boxes[i][3]
    ]
    parent = {i: i for i in ids}

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    order = sorted(ids, key=lambda i: boxes[i][0])
    reach = max((boxes[i][3] for i in ids), default=0)
    for pos, a in enumerate(order):
        ax, ay, aw, ah = boxes[a]
        for b in order[pos + 1 :]:
            bx, by, bw, bh = boxes[b]
            if bx > ax + aw + reach:
                break  # sorted by x: nothing further can be near
            x_overlap = min(ax + aw, bx + bw) - max(ax, bx)
            y_overlap = min(ay + ah, by + bh) - max(ay, by)
            tall, small = max(ah, bh), min(ah, bh)
            # Two pieces each about as tall as the frame's digits, one just under the
            # other, are digits of two rows written close, not the halves of one digit.
            rows = small >= 0.75 * typical and y_overlap < 0.5 * small
            a_thin, b_thin = aw < 0.4 * ah, bw < 0.4 * bh
            # A thin piece under a digit is its tail, unless it is as tall as a digit:
            # then it is the 1 of the next row. Thin pieces in a column are a dashed
            # edge or a crease (dropped as one).
            thin = (a_thin and b_thin) or ((a_thin or b_thin) and small <= 0.75 * tall)
            # Two pieces, each well under the frame's digit height, that together make
            # one: a 9's loop over its tail, a 4's arms over its stem.
            halves = tall < 0.75 * typical and max(ay + ah, by + bh) - min(ay, by) <= 1.25 * typical
            # Pieces one over the other are at most half the smaller one's height apart:
            # the frame's digit height may be unknown (a small number over a big digit).
            # Not so the dashes of an edge in a column, joined to be dropped as one.
            apart = min(tall, typical) if a_thin and b_thin else min(tall, typical, 2 * small)
            stacked = (
                x_overlap >= 0.5 * min(aw, bw)
                and -y_overlap <= 0.25 * apart
                and (thin or halves or ((y_overlap > 0 or small <= 0.6 * tall) and not rows))
            )
            beside = (
                y_overlap >= 0.5 * small
                and -x_overlap <= max(1.0, 0.04 * tall)
                and small <= 0.5 * tall
            )
            if stacked or beside:
                parent[root(a)] = root(b)
    groups: dict[int, list[int]] = {}
    for i in ids:
        groups.setdefault(root(i), []).append(i)
    return _attach_fragments(cv2, list(groups.values()), stats, labels, wh, ww, typical, cfg)


def _attach_fragments(
    cv2: Any,
    groups: list[list[int]],
    stats: npt.NDArray[np.int32],
    labels: npt.NDArray[np.int32],
    wh: int,
    ww: int,
    typical: float,
    cfg: FindConfig,
) -> list[list[int]]:
    """Join each fragment (a flat bar, or a piece under a third of a digit's height) to
    the nearest digit it (almost) touches, when that digit, alone and with it, is
    digit-shaped: a 5's bar off to the side, a 7's loose stroke. A small digit beside
    a big one (not flat, over a third of its height) stays itself, and so does a small
    closed loop (a 0 written small beside a long-tailed 7): fragments have no holes."""
    extents = [_extent(stats, g) for g in groups]
    order = sorted(range(len(groups)), key=lambda k: extents[k][0][3])
    merged_into: set[int] = set()
    for s in order:  # smallest first
        (sx, sy, sw, sh), s_area = extents[s]
        flat = sw >= 1.5 * sh  # a bar (a 5's, a 7's) rather than a piece of a stroke
        best, best_gap = -1, 0.0
        for g in range(len(groups)):
            if g == s or g in merged_into:
                continue
            (gx, gy, gw, gh), g_area = extents[g]
            fragment = sh < 0.5 * gh and (flat or sh < 0.3 * gh)
            if not fragment or not _digit_like((gx, gy, gw, gh), g_area, wh, ww, cfg):
                continue
            gap = max(0, max(gx, sx) - min(gx + gw, sx + sw), max(gy, sy) - min(gy + gh, sy + sh))
            # A piece that is not flat reaches only as far as its own height allows: with
            # the frame's digit height unknown, a small number over a big digit is no
            # piece of it. Flat bars, and a dash beside a dash of the same edge, reach on.
            dashes = sw < 0.4 * sh and gw < 0.4 * gh
            reach = min(gh, typical) if flat or dashes else min(gh, typical, 2 * sh)
            if gap <= 0.2 * reach and (best < 0 or gap < best_gap):
                best, best_gap = g, gap
        if best < 0 or _has_hole(cv2, labels, groups[s], extents[s][0]):
            continue
        (x, y, w, h), area = extents[best]
        x0, y0 = min(x, sx), min(y, sy)
        union = (x0, y0, max(x + w, sx + sw) - x0, max(y + h, sy + sh) - y0)
        if _digit_like(union, area + s_area, wh, ww, cfg):
            groups[best] = groups[best] + groups[s]
            extents[best] = (union, area + s_area)
            merged_into.add(s)
    return [g for k, g in enumerate(groups) if k not in merged_into]


def _hole_areas(cv2: Any, ink: npt.NDArray[Any]) -> list[float]:
    """The area (px) of each hole the ink (nonzero) encloses."""
    contours, hierarchy = cv2.findContours(
        ink.astype(np.uint8), cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE
    )
    if hierarchy is None:
        return []
    return [
        float(cv2.contourArea(c))
        for c, parent in zip(contours, hierarchy[0][:, 3], strict=True)
        if parent >= 0
    ]


def _closes_loop(cv2: Any, found: _Found, ink: npt.NDArray[Any], h: int) -> bool:
    """Whether a digit's ink (nonzero, over its box, ``h`` px tall) closes a loop: a hole
    of LOOP_AREA px or more, as wide across (as a disc of its area) as LOOP of the height;
    a speck of paper left inside a blurred or grainy stroke is smaller. Never for a big
    digit (BIG of the frame or more): its bold strokes may be read at their rims, hollow."""
    if h >= BIG * found.contrast.shape[0]:
        return False
    least = max(LOOP_AREA, np.pi / 4 * (LOOP * h) ** 2)
    return any(area >= least for area in _hole_areas(cv2, ink))


def _has_hole(cv2: Any, labels: npt.NDArray[np.int32], group: list[int], box: Box) -> bool:
    """Whether a group's ink encloses a hole (a closed loop, as in 0, 6, 8, 9)."""
    x, y, w, h = box
    return bool(_hole_areas(cv2, _members(labels[y : y + h, x : x + w], group)))


def _holes(cv2: Any, ink: npt.NDArray[np.bool_], height: float) -> list[Box]:
    """The boxes of the holes in a mask at least HOLE of ``height`` tall (a pinhole in
    a thick stroke is none)."""
    contours, hierarchy = cv2.findContours(
        ink.astype(np.uint8), cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE
    )
    if hierarchy is None:
        return []
    boxes = [cv2.boundingRect(c) for c, h in zip(contours, hierarchy[0], strict=True) if h[3] >= 0]
    return [b for b in boxes if b[2] >= 2 and b[3] >= max(2.0, HOLE * height)]


def _extent(stats: npt.NDArray[np.int32], group: list[int]) -> tuple[Box, int]:
    """The bounding box (x, y, w, h) and ink area of a group of components."""
    x0 = min(int(stats[i, 0]) for i in group)
    y0 = min(int(stats[i, 1]) for i in group)
    x1 = max(int(stats[i, 0] + stats[i, 2]) for i in group)
    y1 = max(int(stats[i, 1] + stats[i, 3]) for i in group)
    return (x0, y0, x1 - x0, y1 - y0), sum(int(stats[i, 4]) for i in group)


def _on_paper(on_paper: npt.NDArray[np.bool_], box: Box) -> bool:
    """A mark lies on the paper: at its centre, or, for a bold digit whose own stroke
    darkens the paper estimate there, at all four corners of its box with only a small
    part of the box off the paper (a hole or a solid blob darkens most of its box)."""
    x, y, w, h = box
    if on_paper[y + h // 2, x + w // 2]:
        return True
    corners = on_paper[[y, y, y + h - 1, y + h - 1], [x, x + w - 1, x, x + w - 1]]
    return bool(corners.all()) and float(on_paper[y : y + h, x : x + w].mean()) >= BOLD_ON_PAPER


def _digit_like(box: Box, area: int, wh: int, ww: int, cfg: FindConfig) -> bool:
    x, y, w, h = box
    if not cfg.min_height <= h <= cfg.max_height * wh or w > cfg.max_aspect * h:
        return False
    if x <= 0 or y <= 0 or x + w >= ww or y + h >= wh:  # cut by the frame's edge
        return False
    fill = area / float(w * h)
    thin = w < 0.35 * h  # a 1 may fill its box
    return fill >= SPARSE and (thin or fill <= cfg.max_fill)


def _stroke(cv2: Any, labels: npt.NDArray[np.int32], group: list[int], box: Box) -> float:
    """The widest stroke of a group: twice its largest inscribed radius, in px."""
    x, y, w, h = box
    return _widest(cv2, _members(labels[y : y + h, x : x + w], group))


def _widest(cv2: Any, ink: npt.NDArray[np.bool_]) -> float:
    """Twice the largest radius inscribed in a mask, in px (the mask's edge is no ink)."""
    ink8 = cv2.copyMakeBorder(ink.astype(np.uint8), 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    return 2.0 * float(cv2.distanceTransform(ink8, cv2.DIST_L2, 3).max())


def _core_stroke(
    cv2: Any, contrast: U8, labels: npt.NDArray[np.int32], group: list[int], box: Box
) -> float:
    """The widest stroke of a group where its ink is at least half its peak contrast.

    A blurred pen's stroke is a ridge: read at a low level it swells until a small
    digit's loops fill in and it looks as bold as a stain. At half its peak it is as
    wide as the pen drew it. A stain or a strip is dark right across, so its core is
    as wide as the whole.
    """
    x, y, w, h = box
    inside = _members(labels[y : y + h, x : x + w], group)
    values = contrast[y : y + h, x : x + w]
    peak = int(values[inside].max())
    return _widest(cv2, inside & (values >= (peak + 1) // 2))


def _members(labels: npt.NDArray[np.int32], ids: Sequence[int]) -> npt.NDArray[np.bool_]:
    """Where a label image holds one of ``ids`` (most groups are one component)."""
    if len(ids) == 1:
        return np.asarray(labels == ids[0])
    return np.isin(labels, ids)


# ------------------------------------------------------------------ reading


def _crop(
    cv2: Any, found: _Found, cand: _Candidate, selected: U8 | None, box: Box, margin: float
) -> U8:
    """The contrast around ``box`` with a margin, zero outside the digit's own (slightly
    grown) strokes: all of the candidate's, or ``selected`` (a mask over its box)."""
    x, y, w, h = box
    pad = int(margin * h) + 2
    hh, ww = found.contrast.shape
    x0, y0 = max(0, x - pad), max(0, y - pad)
    x1, y1 = min(ww, x + w + pad), min(hh, y + h + pad)
    if selected is None:
        keep = _members(found.labels[y0:y1, x0:x1], cand.ids).astype(np.uint8)
    else:
        cx, cy, cw, ch = cand.box
        keep = np.zeros((y1 - y0, x1 - x0), np.uint8)
        sx0, sy0, sx1, sy1 = max(x0, cx), max(y0, cy), min(x1, cx + cw), min(y1, cy + ch)
        keep[sy0 - y0 : sy1 - y0, sx0 - x0 : sx1 - x0] = selected[
            sy0 - cy : sy1 - cy, sx0 - cx : sx1 - cx
        ]
    k = max(3, (h // 12) | 1)  # the strokes' soft edges
    source = found.contrast[y0:y1, x0:x1]
    if found.channel is not None and h >= BIG * hh:
        # A big digit's strokes may be wider than the frame's paper estimate reaches:
        # read hollow, a bold 1 is a thin 0. Its own window, with a closing wider than
        # its strokes, fills them.
        reach = max(w, h) // 2
        bx0, by0 = max(0, x - reach), max(0, y - reach)
        bx1, by1 = min(ww, x + w + reach), min(hh, y + h + reach)
        local = ink.contrast(cv2, found.channel[by0:by1, bx0:bx1], found.light_ink, reach)[0]
        local = local[y0 - by0 : y1 - by0, x0 - bx0 : x1 - bx0]
        level = int(cv2.threshold(local, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)[0])
        inside = np.zeros_like(keep)
        inside[y - y0 : y - y0 + h, x - x0 : x - x0 + w] = 1
        solid = ((local > level) & (inside > 0)).astype(np.uint8)
        near = cv2.dilate(keep, np.ones((k, k), np.uint8), iterations=3)
        keep = cv2.bitwise_or(keep, cv2.bitwise_and(solid, near))
        source = cv2.max(source, local)
    keep = cv2.dilate(keep, np.ones((k, k), np.uint8))
    crop: U8 = source * keep
    return crop
