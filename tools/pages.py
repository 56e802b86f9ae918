"""Synthetic photos of handwritten pages, for tuning digit reading and for its tests.

Each page is a sheet of paper seen by a phone or Pi camera: white, grey, yellow, lined or
grid paper with a fibre texture; MNIST *training* digits turned into pen, felt-pen or pencil
strokes in black, blue, red or grey; one to five rows (close rows, or a vertical column),
letters beside the digits as bait, touching pairs, digits from about 15 to 400 px tall;
uneven light, a hot spot, a soft phone shadow; a sheet edge or the whole sheet lying at an
angle on a dark desk (perspective), binding holes; and the camera's blur, noise and JPEG.

The truth of a page (rows top to bottom, digits left to right, their boxes in the final
image) is written in the format of ``../shared/data/real-dev/manifest.json`` by
:func:`write_set`, so generated and real sets are scored by the same tool. Everything is
drawn from one ``numpy.random.Generator``: a seed gives the same bytes.

This is a development tool, not part of the wheel; it needs numpy and OpenCV only.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from enum import Enum
from pathlib import Path

import cv2
import numpy as np

Box = tuple[int, int, int, int]

# Images a phone or camera gives, (width, height); 12 MP only when asked for.
SIZES = (
    (640, 480),
    (800, 600),
    (1024, 768),
    (1280, 720),
    (1280, 960),
    (480, 640),
    (1600, 1200),
    (1920, 1080),
    (960, 1280),
    (2048, 1536),
)
SIZE_12MP = ((4000, 3000), (3000, 4000))
# Digit heights in px by size class; a page draws one class (or one per row when mixed).
HEIGHTS = {
    "tiny": (16, 24),
    "small": (24, 45),
    "medium": (45, 100),
    "large": (100, 220),
    "huge": (220, 400),
}
# Words beside digits. No letter that a careful reader would take for a digit (O, l, I,
# S, Z, B, g, q): those are ambiguous, not bait.
WORDS = (
    "abc",
    "kg",
    "cm",
    "Tel",
    "Nr",
    "x",
    "km",
    "mm",
    "No",
    "Fr",
    "eur",
    "h",
    "wk",
    "Ave",
    "Apt",
    "v",
    "Mar",
    "de",
    "rec",
    "AM",
    "PM",
    "ft",
    "KW",
    "Y",
    "A",
    "e",
)
FONTS = (
    cv2.FONT_HERSHEY_SCRIPT_SIMPLEX,
    cv2.FONT_HERSHEY_SCRIPT_COMPLEX,
    cv2.FONT_HERSHEY_SIMPLEX,
    cv2.FONT_HERSHEY_DUPLEX,
    cv2.FONT_HERSHEY_COMPLEX,
    cv2.FONT_HERSHEY_TRIPLEX,
    cv2.FONT_HERSHEY_PLAIN,
)


class Ink(str, Enum):
    """What the digits are written with."""

    BLACK = "black"
    BLUE = "blue"
    RED = "red"
    PENCIL = "pencil"


class Paper(str, Enum):
    """The sheet."""

    WHITE = "white"
    GREY = "grey"
    YELLOW = "yellow"
    LINED = "lined"
    GRID = "grid"


class Layout(str, Enum):
    """How the digits are laid out."""

    ROWS = "rows"
    CLOSE_ROWS = "close_rows"
    COLUMN = "column"


class Sheet(str, Enum):
    """How much of the sheet the camera sees."""

    FULL = "full"  # the sheet fills the frame
    EDGE = "edge"  # one or two sheet edges with the desk beyond
    DESK = "desk"  # the whole sheet lying on a dark desk, rotated and in perspective


# Reflectances (B, G, R) of the inks and papers; each page varies them a little.
INK_BGR = {
    Ink.BLACK: (0.10, 0.10, 0.11),
    Ink.BLUE: (0.62, 0.30, 0.14),
    Ink.RED: (0.22, 0.20, 0.78),
    Ink.PENCIL: (0.36, 0.36, 0.37),
}
PAPER_BGR = {
    Paper.WHITE: (0.93, 0.93, 0.92),
    Paper.GREY: (0.72, 0.72, 0.71),
    Paper.YELLOW: (0.42, 0.86, 0.97),
    Paper.LINED: (0.92, 0.92, 0.91),
    Paper.GRID: (0.92, 0.93, 0.93),
}


@dataclass(frozen=True)
class PageOptions:
    """Everything a page shows; the strokes and places of the digits are drawn at random.

    Attributes:
        width, height: image size in pixels.
        ink, paper, layout, sheet: see the enums.
        rows: rows of digits (for ``COLUMN``: numbers stacked in the column).
        min_height, max_height: digit ink height range in px.
        mixed_sizes: each row gets its own height from the range (else one per page).
        angle_deg: rotation of the sheet on the desk (``DESK`` only).
        perspective: corner jitter of the sheet, as a share of its size (``DESK`` only).
        stroke: -1 thin ballpoint .. 0 gel pen .. 1 felt pen / marker.
        slant: largest shear of a digit (0.3 is a strong italic).
        letters: words written beside the digits (not in the truth).
        touching: some neighbouring digits overlap by a few px.
        long_tails: most 7s and 9s have a tail reaching below their line, to 1.4-2.2
            times a digit's height and above the next line (``ROWS`` only: close rows
            leave no room for one).
        holes: binding holes along one sheet edge.
        uneven_light, hot_spot, shadow, dim: lighting.
        blur: camera blur sigma in px; noise: sensor noise sigma in 8-bit levels.
        jpeg_quality: 1..100 for a JPEG, None for a PNG.
    """

    width: int = 640
    height: int = 480
    ink: Ink = Ink.BLACK
    paper: Paper = Paper.WHITE
    layout: Layout = Layout.ROWS
    sheet: Sheet = Sheet.FULL
    rows: int = 2
    min_height: int = 45
    max_height: int = 70
    mixed_sizes: bool = False
    angle_deg: float = 0.0
    perspective: float = 0.0
    stroke: float = 0.0
    slant: float = 0.0
    letters: bool = False
    touching: bool = False
    long_tails: bool = False
    holes: bool = False
    uneven_light: bool = False
    hot_spot: bool = False
    shadow: bool = False
    dim: bool = False
    blur: float = 0.0
    noise: float = 1.0
    jpeg_quality: int | None = 92

    def __post_init__(self) -> None:
        for name, kind in (("ink", Ink), ("paper", Paper), ("layout", Layout), ("sheet", Sheet)):
            if not isinstance(getattr(self, name), kind):
                raise ValueError(f"{name} must be a {kind.__name__}, got {getattr(self, name)!r}")
        if not (160 <= self.width <= 8000 and 120 <= self.height <= 8000):
            raise ValueError(f"image must be 160x120 to 8000x8000, got {self.width}x{self.height}")
        if not 1 <= self.rows <= 8:
            raise ValueError(f"rows must be 1..8, got {self.rows}")
        if not 12 <= self.min_height <= self.max_height <= 0.9 * self.height:
            raise ValueError("need 12 <= min_height <= max_height <= 0.9 * height")
        if not 0 <= abs(self.angle_deg) <= 45 or not 0 <= self.perspective <= 0.15:
            raise ValueError("need |angle_deg| <= 45 and 0 <= perspective <= 0.15")
        if not -1 <= self.stroke <= 1 or not 0 <= self.slant <= 0.5:
            raise ValueError("need -1 <= stroke <= 1 and 0 <= slant <= 0.5")
        if self.blur < 0 or self.noise < 0:
            raise ValueError("blur and noise must be >= 0")
        if self.jpeg_quality is not None and not 1 <= self.jpeg_quality <= 100:
            raise ValueError(f"jpeg_quality must be 1..100 or None, got {self.jpeg_quality}")

    @classmethod
    def random(cls, rng: np.random.Generator, twelve_mp: float = 0.0) -> PageOptions:
        """Draw a varied page, as a held-out set of real photos would hold.

        Args:
            rng: the random generator (advanced by this call).
            twelve_mp: the share of pages that are 12 MP (4000x3000) photos.

        Returns:
            The options.
        """
        sizes = SIZE_12MP if rng.random() < twelve_mp else SIZES
        width, height = sizes[int(rng.integers(len(sizes)))]
        layout = _pick(rng, list(Layout), (0.6, 0.2, 0.2))
        rows = int(rng.integers(2, 8)) if layout is Layout.COLUMN else int(rng.integers(1, 6))
        mixed = bool(rng.random() < 0.25)
        if mixed:
            low, high = 15, 400
        else:
            low, high = HEIGHTS[_pick(rng, list(HEIGHTS), (0.15, 0.25, 0.35, 0.15, 0.1))]
        high = int(min(high, 0.8 * height / (1.4 * (1 if mixed else rows)) + 1))
        low = min(low, high)
        sheet = _pick(rng, list(Sheet), (0.45, 0.25, 0.3))
        # Drawn apart from ``rng`` so that adding the choice left every other page as it was.
        tails = np.random.Generator(rng.bit_generator.jumped())
        return cls(
            width=width,
            height=height,
            ink=_pick(rng, list(Ink), (0.35, 0.3, 0.15, 0.2)),
            paper=_pick(rng, list(Paper), (0.35, 0.15, 0.15, 0.2, 0.15)),
            layout=layout,
            sheet=sheet,
            rows=rows,
            min_height=max(12, low),
            max_height=max(12, high),
            mixed_sizes=mixed,
            angle_deg=float(rng.uniform(-35, 35)) if sheet is Sheet.DESK else 0.0,
            perspective=float(rng.uniform(0, 0.08)) if sheet is Sheet.DESK else 0.0,
            stroke=float(rng.uniform(-1, 1)),
            slant=float(rng.uniform(0, 0.35)),
            letters=bool(rng.random() < 0.35),
            touching=bool(rng.random() < 0.3),
            holes=bool(rng.random() < 0.2),
            uneven_light=bool(rng.random() < 0.5),
            hot_spot=bool(rng.random() < 0.2),
            shadow=bool(rng.random() < 0.35),
            dim=bool(rng.random() < 0.15),
            blur=float(rng.uniform(0, 1.4)) * math.sqrt(width / 640),
            noise=float(rng.uniform(1, 5)),
            jpeg_quality=int(rng.integers(55, 96)),
            long_tails=layout is Layout.ROWS and bool(tails.random() < 0.3),
        )

    @classmethod
    def held_up(cls, rng: np.random.Generator) -> PageOptions:
        """A card held up to a webcam: one to three digits 200-420 px tall on a
        640x480 frame, in any pen from gel to a broad marker.

        Args:
            rng: the random generator (advanced by this call).

        Returns:
            The options.
        """
        low, high = ((200, 250), (300, 350), (380, 420))[int(rng.integers(3))]
        return cls(
            width=640,
            height=480,
            ink=_pick(rng, list(Ink), (0.4, 0.3, 0.15, 0.15)),
            paper=_pick(rng, list(Paper), (0.5, 0.1, 0.15, 0.15, 0.1)),
            rows=1,
            min_height=low,
            max_height=high,
            stroke=float(rng.uniform(-0.2, 1.0)),
            slant=float(rng.uniform(0, 0.2)),
            uneven_light=bool(rng.random() < 0.5),
            shadow=bool(rng.random() < 0.3),
            dim=bool(rng.random() < 0.2),
            blur=float(rng.uniform(0, 1.5)),
            noise=float(rng.uniform(1, 4)),
            jpeg_quality=int(rng.integers(70, 96)),
        )


@dataclass(frozen=True)
class Row:
    """One written line: its digits left to right, their boxes (x, y, w, h) in the final
    image, and the digits grouped into numbers by their spacing."""

    digits: str
    boxes: tuple[Box, ...]
    numbers: tuple[str, ...]


@dataclass(frozen=True)
class Page:
    """A rendered page.

    Attributes:
        image: BGR uint8, before the JPEG encoding of :meth:`encode`.
        rows: the written lines, top to bottom (in the sheet's reading order).
        rows_apart: the rows' box centres fall in separate bands of y, so a reading can be
            given its row by its y alone (False for some sheets lying at an angle).
        conditions: what was applied, in words.
        options: what the page was drawn from.
    """

    image: np.ndarray
    rows: tuple[Row, ...]
    rows_apart: bool
    conditions: str
    options: PageOptions = field(repr=False)

    @property
    def digits(self) -> str:
        """Every digit, rows top to bottom, each left to right."""
        return "".join(r.digits for r in self.rows)

    def encode(self) -> bytes:
        """The image as the camera would save it: a JPEG at the page's quality, else PNG."""
        q = self.options.jpeg_quality
        ok, buf = (
            cv2.imencode(".png", self.image)
            if q is None
            else cv2.imencode(".jpg", self.image, [cv2.IMWRITE_JPEG_QUALITY, q])
        )
        if not ok:
            raise ValueError("OpenCV could not encode the page")
        return buf.tobytes()

    def y_ranges(self) -> list[tuple[int, int]]:
        """Per row, a band of y holding its box centres and no other row's.

        Raises:
            ValueError: the rows are not apart (see ``rows_apart``).
        """
        if not self.rows_apart:
            raise ValueError("the rows overlap in y; give row_digits instead")
        spans = [_centre_span(r.boxes) for r in self.rows]
        heights = [float(np.median([b[3] for b in r.boxes])) for r in self.rows]
        # Half a digit height beyond the centres, but never past the midpoint between
        # two rows: the boundary pixel goes to the row above.
        mids = [math.floor((a[1] + b[0]) / 2) for a, b in itertools.pairwise(spans)]
        out = []
        for i, (lo, hi) in enumerate(spans):
            y0 = math.floor(lo - 0.5 * heights[i])
            y1 = math.ceil(hi + 0.5 * heights[i])
            if i > 0:
                y0 = max(y0, mids[i - 1] + 1)
            if i < len(mids):
                y1 = min(y1, mids[i])
            out.append((max(0, y0), min(self.image.shape[0] - 1, y1)))
        return out

    def manifest_item(self, path: str, seed: int, index: int) -> dict[str, object]:
        """This page as an item of a ``real-dev``-style manifest.

        Rows that overlap in y are given as ``row_digits`` without ``rows``, like the real
        photos of sheets lying at an angle. ``boxes`` (one per digit of ``digits``) and the
        rows' ``numbers`` are additions the scorer ignores.
        """
        item: dict[str, object] = {"path": path, "kind": "multi_digit_photo"}
        if self.rows_apart:
            item["rows"] = [
                {"digits": r.digits, "y_range": list(yr), "numbers": list(r.numbers)}
                for r, yr in zip(self.rows, self.y_ranges(), strict=True)
            ]
        else:
            item["row_digits"] = [r.digits for r in self.rows]
            item["row_numbers"] = [list(r.numbers) for r in self.rows]
        item["digits"] = self.digits
        item["boxes"] = [list(b) for r in self.rows for b in r.boxes]
        item["conditions"] = self.conditions
        item["source"] = {
            "generator": "tools/pages.py",
            "seed": seed,
            "index": index,
            "digits": "MNIST training set",
        }
        item["labelled_by"] = "generator"
        item["options"] = {
            k: (v.value if isinstance(v, Enum) else v) for k, v in asdict(self.options).items()
        }
        return item


class DigitSource:
    """MNIST digits to write, drawn by label so every digit is equally common.

    Args:
        images: uint8 (N, 28, 28), white on black (the MNIST *training* set).
        labels: (N,) 0..9.
    """

    def __init__(self, images: np.ndarray, labels: np.ndarray) -> None:
        images, labels = np.asarray(images), np.asarray(labels)
        if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != np.uint8:
            raise ValueError(
                f"expected uint8 images (N, 28, 28), got {images.shape} {images.dtype}"
            )
        if labels.shape != (len(images),):
            raise ValueError(f"{len(images)} images but labels of shape {labels.shape}")
        self.images = images
        self.by_label = [np.flatnonzero(labels == d) for d in range(10)]
        if any(len(k) == 0 for k in self.by_label):
            raise ValueError("every digit 0..9 needs at least one image")

    def draw(self, rng: np.random.Generator) -> tuple[int, np.ndarray]:
        """One (label, 28x28 image) at random."""
        label = int(rng.integers(10))
        pool = self.by_label[label]
        return label, self.images[pool[int(rng.integers(len(pool)))]]


# -- rendering ---------------------------------------------------------------------------


@dataclass
class _Mark:
    """A patch of ink alpha placed on the sheet; label None for letters."""

    alpha: np.ndarray
    ink: Box  # the ink's box inside the patch
    label: int | None
    x: int = 0
    y: int = 0
    starts_number: bool = False

    @property
    def box(self) -> Box:
        bx, by, bw, bh = self.ink
        return (self.x + bx, self.y + by, bw, bh)


def render_page(options: PageOptions, source: DigitSource, rng: np.random.Generator) -> Page:
    """Draw one page.

    Args:
        options: what the page shows.
        source: the digits to write.
        rng: the random generator (advanced by this call).

    Returns:
        The page and its truth.
    """
    o = options
    width, height = o.width, o.height
    said: list[str] = []
    quad = _sheet_quad(o, rng) if o.sheet is Sheet.DESK else None
    if quad is None:
        sw, sh = width, height
    else:
        sw = round((np.linalg.norm(quad[1] - quad[0]) + np.linalg.norm(quad[2] - quad[3])) / 2)
        sh = round((np.linalg.norm(quad[3] - quad[0]) + np.linalg.norm(quad[2] - quad[1])) / 2)
    margins = [0.04 * sw, 0.05 * sh, 0.04 * sw, 0.05 * sh]  # left, top, right, bottom
    edges: list[int] = []
    if o.sheet is Sheet.EDGE:
        edges = [int(s) for s in rng.choice(4, size=int(rng.integers(1, 3)), replace=False)]
        for side in edges:
            margins[side] += (0.14 if side % 2 == 0 else 0.16) * (sw if side % 2 == 0 else sh)
    hole_side = int(rng.choice([0, 1])) if o.holes else -1
    if hole_side >= 0:
        margins[hole_side] += 0.09 * (sw if hole_side == 0 else sh)

    rows, pitch = _layout(o, source, rng, sw, sh, margins)
    if not rows:
        # A row's first mark wider than the sheet (a huge digit on a narrow sheet with
        # its edges and holes): laid out again with digits that fit across it. Only such
        # pages change, so every page that was drawn before is drawn the same.
        rows, pitch = _layout(o, source, rng, sw, sh, margins, narrow=True)
    if not rows:
        # A word at each row's start left no room for a digit as tall as asked after it
        # (a portrait phone sheet): digits alone, and the options say no letters.
        o = replace(o, letters=False)
        rows, pitch = _layout(o, source, rng, sw, sh, margins, narrow=True)
    if not rows:
        raise ValueError(
            f"no digit {o.min_height}-{o.max_height} px tall fits on a {sw}x{sh} sheet"
        )
    paper = _paper(o, rng, sw, sh, pitch, rows)
    alpha = np.zeros((sh, sw), np.float32)
    for row in rows:
        for m in row:
            _paste(alpha, m)
    sheet = _ink(o, rng, paper, alpha)
    behind = np.array(_desk_colour(rng), np.float32)
    if hole_side >= 0:
        _holes(sheet, rng, hole_side, behind if o.sheet is not Sheet.FULL else behind * 0.6)

    boxes = [[m.box for m in row if m.label is not None] for row in rows]
    if quad is None:
        image = sheet
        if edges:
            image = _edges(sheet, rng, edges, behind)
    else:
        image, boxes = _on_desk(sheet, rng, quad, behind, width, height, boxes)
    image = _light(o, rng, image, said)
    image = _camera(o, rng, image)

    out_rows = []
    for row, bx in zip(rows, boxes, strict=True):
        numbers: list[str] = []
        for m in row:
            if m.label is not None:
                if m.starts_number or not numbers:
                    numbers.append("")
                numbers[-1] += str(m.label)
            elif numbers and numbers[-1]:
                numbers.append("")
        numbers = [n for n in numbers if n]
        out_rows.append(Row("".join(numbers), tuple(bx), tuple(numbers)))
    # Rows are apart when a band of y lies between their box centres (>= 3 px so that
    # the integer y ranges can split it).
    apart = all(
        _centre_span(a.boxes)[1] + max(3.0, 0.25 * min(b[3] for b in a.boxes))
        < _centre_span(b.boxes)[0]
        for a, b in itertools.pairwise(out_rows)
    )
    conditions = _describe(o, rows, edges, hole_side, apart) + said
    return Page(image, tuple(out_rows), apart, ", ".join(conditions), o)


def _layout(
    o: PageOptions,
    source: DigitSource,
    rng: np.random.Generator,
    sw: int,
    sh: int,
    margins: list[float],
    narrow: bool = False,
) -> tuple[list[list[_Mark]], float]:
    """Rows of marks (digits and words) placed on a sheet of sw x sh; and the row pitch
    as a share of the digit height (ruled paper is drawn at it). ``narrow``: digits at
    most 0.6 of the usable width tall (none, if that is under ``min_height``), and a word
    too wide to start a row left out."""
    left, top, right, bottom = margins
    usable_h, usable_w = sh - top - bottom, sw - left - right
    pitch = {
        Layout.ROWS: rng.uniform(1.5, 2.3),
        Layout.CLOSE_ROWS: rng.uniform(1.15, 1.3),
        Layout.COLUMN: rng.uniform(1.3, 1.8),
    }[o.layout]
    lo, hi = o.min_height, o.max_height
    n = o.rows
    if o.mixed_sizes:
        heights = np.exp(rng.uniform(math.log(lo), math.log(hi), n))
    else:
        heights = np.exp(rng.uniform(math.log(lo), math.log(hi))) * rng.uniform(0.93, 1.07, n)
    heights = np.minimum(heights, 0.85 * usable_h)
    if narrow:
        if 0.6 * usable_w < lo:
            return [], pitch  # nothing as tall as asked fits across this sheet
        heights = np.minimum(heights, 0.6 * usable_w)
    # Drop rows until they fit; then shrink what is left only if it must.
    while n > 1 and (heights[:n].sum() * pitch - (pitch - 1) * heights[n - 1]) > usable_h:
        n -= 1
    heights = heights[:n]
    need = heights.sum() * pitch - (pitch - 1) * heights[-1]
    if need > usable_h:
        heights *= usable_h / need
        need = usable_h
    heights = np.maximum(heights, 12)
    y = top + rng.uniform(0, max(0.0, usable_h - need))
    slant = rng.uniform(-o.slant, o.slant) * 0.4 + rng.uniform(0, o.slant) * 0.6
    thick = o.stroke
    rows: list[list[_Mark]] = []
    column_x = left + rng.uniform(0, 0.5) * usable_w
    # Tails are drawn apart from ``rng``: a page without them is the page it always was.
    tails = np.random.Generator(rng.bit_generator.jumped()) if o.long_tails else None
    for h in heights:
        baseline = y + h
        y += h * pitch
        marks: list[_Mark] = []
        if o.layout is Layout.COLUMN:
            x = column_x + rng.uniform(-0.1, 0.1) * h
            limit = int(rng.integers(1, 4))
        else:
            x = left + rng.uniform(0, 0.2) * usable_w
            limit = int(rng.integers(3, 15))
        x = max(x, left)
        tilt = rng.uniform(-0.02, 0.02)
        start_x = x
        digits = 0
        words = 0
        new_number = True
        while digits < limit:
            word = o.letters and words < 2 and rng.random() < 0.2 and o.layout is not Layout.COLUMN
            if word:
                m = _word_patch(rng, WORDS[int(rng.integers(len(WORDS)))], h, thick, slant)
            else:
                label, img = source.draw(rng)
                size = h * rng.uniform(0.92, 1.08)
                tail = 1.0
                if tails is not None and label in (7, 9) and tails.random() < 0.7:
                    # ending above the next line's digits (a tail into them is a touch)
                    tail = float(tails.uniform(1.4, max(1.4, min(2.2, pitch - 0.2))))
                    img = _long_tail(img, label, tail)
                m = _digit_patch(img, label, size * tail, thick, slant, rng)
            gap = 0.0
            if marks:
                if word or new_number or marks[-1].label is None:
                    gap = rng.uniform(0.6, 1.4) * h
                elif o.touching and rng.random() < 0.35:
                    gap = -rng.uniform(1, max(2.0, 0.07 * h))
                else:
                    gap = rng.uniform(0.12, 0.45) * h
            bx, by, bw, bh = m.ink
            if not marks and x + bw > sw - right and left + bw <= sw - right:
                x = left  # a row's first digit, too wide where it was to start: at the margin
            if x + gap + bw > sw - right:
                if narrow and word and not marks:
                    words += 1
                    continue
                break
            x += gap
            m.x = round(x - bx)
            base = baseline + tilt * (x - start_x) + rng.normal(0, 0.035 * h)
            m.y = round(base - (by + bh))
            if not word and tail > 1:  # its top in the line, its tail below it
                m.y += round(bh - bh / tail)
            m.y = int(np.clip(m.y, -by, sh - by - bh))  # keep the ink on the sheet
            m.starts_number = new_number and not word
            marks.append(m)
            x += bw
            if not word:
                digits += 1
                new_number = rng.random() < 0.25
            else:
                words += 1
                new_number = True
        if digits:
            rows.append(marks)
    return rows, pitch


def _digit_patch(
    img: np.ndarray,
    label: int,
    height: float,
    stroke: float,
    slant: float,
    rng: np.random.Generator,
) -> _Mark:
    """An MNIST digit as pen ink: upscaled smoothly, slanted, cut at a threshold that
    sets the stroke width, with soft anti-aliased edges."""
    ys, xs = np.nonzero(img > 40)
    x0, x1, y0, y1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
    scale = height / (y1 - y0)
    shear = rng.uniform(-0.5, 1.0) * slant
    angle = math.radians(rng.normal(0, 3))
    c, s = math.cos(angle), math.sin(angle)
    lin = np.array([[c, -s], [s, c]]) @ np.array([[1, -shear], [0, 1]]) * scale
    pad = 3.0
    corners = (
        np.array(
            [[x0 - pad, y0 - pad], [x1 + pad, y0 - pad], [x1 + pad, y1 + pad], [x0 - pad, y1 + pad]]
        )
        @ lin.T
    )
    origin = corners.min(axis=0)
    size = np.ceil(corners.max(axis=0) - origin).astype(int) + 1
    matrix = np.hstack([lin, -origin[:, None]])
    interp = cv2.INTER_CUBIC if scale > 1.5 else cv2.INTER_LINEAR
    g = cv2.warpAffine(
        img.astype(np.float32) / 255.0, matrix, (int(size[0]), int(size[1])), flags=interp
    )
    if scale > 3:  # smooth away the 28-px grid's bumps before cutting the stroke out
        g = cv2.GaussianBlur(g, (0, 0), 0.3 * scale)
    # The threshold sets the stroke width (low: felt pen); the edge is ~1.5 px wide at
    # any scale, soft for tiny digits where the pen is narrower than a pixel.
    t = 0.5 - 0.22 * stroke * min(1.0, scale / 2) + rng.normal(0, 0.04)
    w = float(np.clip(0.45 / scale, 0.05, 0.35))
    alpha = np.clip((g - (t - w)) / (2 * w), 0, 1)
    top = float(alpha.max())
    if 0 < top < 0.9:  # a tiny digit keeps its contrast: people write small ones legibly
        alpha *= 0.9 / top
    if height > 100 and abs(stroke) > 0.5:
        # Past what the threshold can do: a marker's stroke grows, a ballpoint's shrinks
        # (by 1-2% of the height each side; more would break MNIST's thin joins).
        k = max(1, round(height * 0.015 * (abs(stroke) - 0.3)))
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * k + 1, 2 * k + 1))
        alpha = (cv2.dilate if stroke > 0 else cv2.erode)(alpha, kernel)
    return _Mark(alpha.astype(np.float32), _ink_box(alpha), label)


def _long_tail(img: np.ndarray, label: int, tail: float) -> np.ndarray:
    """A 7 or a 9 with its lower part stretched, so that the whole is ``tail`` times as
    tall and its head (a 7's bar, a 9's loop) is as it was: the long tail many people
    write, reaching below the line."""
    rows = np.flatnonzero(img.max(axis=1) > 40)
    y0, y1 = int(rows[0]), int(rows[-1]) + 1
    split = y0 + round((0.4 if label == 7 else 0.55) * (y1 - y0))
    grow = (tail * (y1 - y0) - (split - y0)) / (y1 - split)
    lower = cv2.resize(img[split:], (img.shape[1], round((img.shape[0] - split) * grow)))
    return np.vstack([img[:split], lower])


def _word_patch(
    rng: np.random.Generator, text: str, height: float, stroke: float, slant: float
) -> _Mark:
    """Letters drawn with a Hershey font at about the digits' size: bait, not truth."""
    # Half the words in the script faces, which look most like handwriting.
    script = rng.random() < 0.5
    font = FONTS[int(rng.integers(2))] if script else FONTS[int(rng.integers(2, len(FONTS)))]
    target = height * rng.uniform(0.55, 0.95)
    (tw, th), base = cv2.getTextSize(text, font, 1.0, 1)
    scale = target / max(th, 1)
    thickness = max(1, round(height * (0.08 + 0.04 * stroke)))
    (tw, th), base = cv2.getTextSize(text, font, scale, thickness)
    pad = thickness + 4
    canvas = np.zeros((th + base + 2 * pad, tw + 2 * pad), np.uint8)
    cv2.putText(canvas, text, (pad, pad + th), font, scale, 255, thickness, cv2.LINE_AA)
    shear = rng.uniform(0, 1) * slant
    h, w = canvas.shape
    matrix = np.array([[1, -shear, shear * h], [0, 1, 0]], np.float32)
    canvas = cv2.warpAffine(canvas, matrix, (int(w + shear * h), h), flags=cv2.INTER_LINEAR)
    alpha = canvas.astype(np.float32) / 255.0
    return _Mark(alpha, _ink_box(alpha), None)


def _grey3(m: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(np.ascontiguousarray(m, np.float32), cv2.COLOR_GRAY2BGR)


def _times(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a * b for a (h, w, 3) or (h, w) image and b one (h, w) map or one BGR colour.

    In place on a when it is (h, w, 3): OpenCV without new full-size arrays is ten times
    faster here than numpy's broadcasting, and fresh arrays cost page faults.
    """
    if a.ndim == 2:
        a = _grey3(a)
    if b.ndim == 1:
        return cv2.multiply(a, (float(b[0]), float(b[1]), float(b[2]), 0.0), dst=a)
    return cv2.multiply(a, _grey3(b), dst=a)


def _tint(image: np.ndarray, alpha: np.ndarray, colour: np.ndarray) -> np.ndarray:
    """Cover image (in place) with a transparent colour (a reflectance) of opacity alpha."""
    cover = _times(alpha, 1 - colour)
    return cv2.subtract(image, cv2.multiply(image, cover, dst=cover), dst=image)


def _mix(under: np.ndarray, over: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """over where alpha is 1, under where it is 0 (in place on under)."""
    return cv2.add(under, _times(cv2.subtract(over, under), alpha), dst=under)


def _noise(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Unit Gaussian noise, float32, by OpenCV's generator seeded from rng (numpy's
    is five times slower here); deterministic since the seed comes from rng."""
    cv2.setRNGSeed(int(rng.integers(2**31 - 1)))
    out = np.empty(shape, np.float32)
    cv2.randn(out, 0.0, 1.0)
    return out


def _ink_box(alpha: np.ndarray) -> Box:
    ys, xs = np.nonzero(alpha > 0.35)
    if len(xs) == 0:
        return (0, 0, alpha.shape[1], alpha.shape[0])
    return (int(xs.min()), int(ys.min()), int(np.ptp(xs)) + 1, int(np.ptp(ys)) + 1)


def _paste(canvas: np.ndarray, m: _Mark) -> None:
    ph, pw = m.alpha.shape
    x0, y0 = max(0, m.x), max(0, m.y)
    x1, y1 = min(canvas.shape[1], m.x + pw), min(canvas.shape[0], m.y + ph)
    if x1 > x0 and y1 > y0:
        region = canvas[y0:y1, x0:x1]
        np.maximum(region, m.alpha[y0 - m.y : y1 - m.y, x0 - m.x : x1 - m.x], out=region)


def _field(rng: np.random.Generator, w: int, h: int, cells: tuple[int, int]) -> np.ndarray:
    """Smooth noise of about unit variance: a coarse random grid upscaled."""
    small = rng.standard_normal((cells[1], cells[0]), dtype=np.float32)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)


def _paper(
    o: PageOptions,
    rng: np.random.Generator,
    w: int,
    h: int,
    pitch: float,
    rows: list[list[_Mark]],
) -> np.ndarray:
    """The sheet's reflectance (h, w, 3): colour, blotches, fibres, and ruled lines."""
    base = np.array(PAPER_BGR[o.paper], np.float32) * rng.uniform(0.96, 1.03)
    base *= 1 + rng.normal(0, 0.005, 3).astype(np.float32)
    tex = 0.025 * _field(rng, w, h, (6, 5))
    tex += 0.012 * _field(rng, w, h, (max(2, w // 6), max(2, h // 6)))
    paper = _times(1 + tex, base)
    if o.paper in (Paper.LINED, Paper.GRID):
        lines = np.zeros((h, w), np.float32)
        blue = np.array((0.95, 0.78, 0.62), np.float32)
        heights = [np.median([m.ink[3] for m in r if m.label is not None]) for r in rows]
        h_med = float(np.median(heights)) if heights else 40.0
        # Ruled lines at the rows' pitch when the digits sit between them; big digits
        # cross the lines of an ordinary ruled or 5 mm grid sheet.
        if o.paper is Paper.LINED:
            step = h_med * pitch if h_med * pitch < h / 7 else h / rng.uniform(20, 32)
        else:
            step = float(np.clip(h_med * rng.uniform(0.5, 0.9), h / 60, h / 18))
        step = max(step, 8.0)
        # Put a line under the first row's digits, the rest at the same pitch.
        first = rows[0][0].y + rows[0][0].ink[1] + rows[0][0].ink[3] if rows else 0
        offset = (first + rng.uniform(0, 0.06) * h_med) % step
        lw = max(1, round(min(step / 40, w / 600)))
        for k in range(int(h / step) + 2):
            yy = round(offset + k * step)
            cv2.line(lines, (0, yy), (w - 1, yy), 1.0, lw, cv2.LINE_AA)
        if o.paper is Paper.GRID:
            xoff = rng.uniform(0, step)
            for k in range(int(w / step) + 2):
                xx = round(xoff + k * step)
                cv2.line(lines, (xx, 0), (xx, h - 1), 1.0, lw, cv2.LINE_AA)
            lines *= rng.uniform(0.35, 0.6)
        else:
            lines *= rng.uniform(0.5, 0.8)
            if rng.random() < 0.5:  # a red margin line
                xm = int(0.08 * w)
                red = np.zeros((h, w), np.float32)
                cv2.line(red, (xm, 0), (xm, h - 1), 0.6, lw, cv2.LINE_AA)
                paper = _tint(paper, red, np.array((0.55, 0.55, 0.95), np.float32))
        paper = _tint(paper, lines, blue)
    return paper


def _ink(
    o: PageOptions, rng: np.random.Generator, paper: np.ndarray, alpha: np.ndarray
) -> np.ndarray:
    """Ink over paper: multiplied, with the pressure varying along the strokes."""
    h, w = alpha.shape
    colour = np.array(INK_BGR[o.ink], np.float32) + rng.normal(0, 0.025, 3).astype(np.float32)
    pressure = 1 - 0.12 * np.abs(_field(rng, w, h, (max(2, w // 40), max(2, h // 40))))
    a = alpha * pressure
    if o.ink is Ink.PENCIL:
        grain = _noise(rng, (h, w))  # graphite catches on the paper's tooth
        a *= rng.uniform(0.55, 0.8) * np.clip(0.8 + 0.2 * grain, 0.4, 1)
        a = cv2.GaussianBlur(a, (0, 0), 0.6)
    return _tint(paper, a, np.clip(colour, 0, 1))


def _desk_colour(rng: np.random.Generator) -> tuple[float, float, float]:
    return [
        (0.10, 0.15, 0.22),
        (0.07, 0.07, 0.08),
        (0.20, 0.20, 0.21),
        (0.22, 0.13, 0.09),
        (0.16, 0.25, 0.33),
    ][int(rng.integers(5))]


def _desk(rng: np.random.Generator, w: int, h: int, colour: np.ndarray) -> np.ndarray:
    """A dark desk: wood grain or leather, streaks along one direction."""
    tex = 0.1 * _field(rng, w, h, (6, 5))
    if rng.random() < 0.6:  # wood: fine and coarse grain along one direction
        along = rng.random() < 0.5
        for share, amp in ((10, 0.06), (40, 0.04)):
            cells = (max(2, w // share), 2) if along else (2, max(2, h // share))
            tex += amp * _field(rng, w, h, cells)
    else:  # leather or cloth: mottled
        tex += 0.08 * _field(rng, w, h, (max(2, w // 25), max(2, h // 25)))
    tex += _noise(rng, (h, w)) * 0.03
    return _times(np.clip(1 + tex, 0.3, 2), colour)


def _holes(sheet: np.ndarray, rng: np.random.Generator, side: int, colour: np.ndarray) -> None:
    """Punched or spiral-binding holes along the left (0) or top (1) edge, in place."""
    h, w = sheet.shape[:2]
    length = h if side == 0 else w
    mask = np.zeros((h, w), np.float32)
    spiral = rng.random() < 0.5
    n = int(rng.integers(10, 22)) if spiral else int(rng.integers(2, 5))
    r = max(2, int(length * (rng.uniform(0.008, 0.014) if spiral else rng.uniform(0.015, 0.025))))
    inset = int(rng.uniform(0.025, 0.05) * (w if side == 0 else h))
    for k in range(n):
        pos = int(length * (0.08 + 0.84 * (k + 0.5) / n))
        centre = (inset, pos) if side == 0 else (pos, inset)
        if spiral:
            a, b = (int(r * 1.6), r) if side == 0 else (r, int(r * 1.6))
            cv2.ellipse(mask, centre, (a, b), 0, 0, 360, 1.0, -1, cv2.LINE_AA)
        else:
            cv2.circle(mask, centre, r, 1.0, -1, cv2.LINE_AA)
    shade = colour * (0.7 + 0.6 * rng.random())
    ys, xs = np.nonzero(mask.any(axis=1))[0], np.nonzero(mask.any(axis=0))[0]
    part = (slice(ys.min(), ys.max() + 1), slice(xs.min(), xs.max() + 1))
    m = mask[part][..., None]
    sheet[part] = sheet[part] * (1 - m) + m * shade


def _edges(
    sheet: np.ndarray, rng: np.random.Generator, sides: list[int], colour: np.ndarray
) -> np.ndarray:
    """The desk beyond one or two sheet edges (0 left, 1 top, 2 right, 3 bottom)."""
    h, w = sheet.shape[:2]
    yy, xx = np.ogrid[0:h, 0:w]
    yy, xx = yy.astype(np.float32), xx.astype(np.float32)
    inside = np.ones((h, w), np.float32)
    for side in sides:
        depth = rng.uniform(0.03, 0.11) * (w if side % 2 == 0 else h)
        tilt = rng.uniform(-0.06, 0.06)
        if side == 0:
            d = xx - (depth + tilt * (yy - h / 2))
        elif side == 2:
            d = (w - depth + tilt * (yy - h / 2)) - xx
        elif side == 1:
            d = yy - (depth + tilt * (xx - w / 2))
        else:
            d = (h - depth + tilt * (xx - w / 2)) - yy
        inside = np.minimum(inside, np.clip(d + 0.5, 0, 1).astype(np.float32))
    desk = _desk(rng, w, h, colour)
    shadow = cv2.GaussianBlur(inside, (0, 0), max(2.0, 0.006 * (w + h)))
    return _mix(_times(desk, 1 - 0.5 * shadow), sheet, inside)


def _sheet_quad(o: PageOptions, rng: np.random.Generator) -> np.ndarray:
    """Where the sheet's corners (tl, tr, br, bl) land in the image: rotated, in
    perspective, inside the frame."""
    width, height = o.width, o.height
    aspect = [1.414, 1 / 1.414, 1.0, 1.3][int(rng.integers(4))]  # w / h of the sheet
    theta = math.radians(o.angle_deg)
    base = np.array(
        [[-aspect / 2, -0.5], [aspect / 2, -0.5], [aspect / 2, 0.5], [-aspect / 2, 0.5]]
    )
    c, s = math.cos(theta), math.sin(theta)
    quad = base @ np.array([[c, s], [-s, c]])
    span = np.ptp(quad, axis=0)
    fill = rng.uniform(0.72, 0.92)
    quad *= min(width * fill / span[0], height * fill / span[1])
    size = min(np.ptp(quad, axis=0))
    quad += rng.uniform(-1, 1, (4, 2)) * o.perspective * size
    span = np.ptp(quad, axis=0)
    quad *= min(1.0, 0.95 * width / span[0], 0.95 * height / span[1])
    span = np.ptp(quad, axis=0)
    centre = np.array([width / 2, height / 2]) + rng.uniform(-0.5, 0.5, 2) * (
        np.array([width, height]) * 0.97 - span
    )
    quad += centre - (quad.min(axis=0) + quad.max(axis=0)) / 2
    return quad.astype(np.float32)


def _on_desk(
    sheet: np.ndarray,
    rng: np.random.Generator,
    quad: np.ndarray,
    colour: np.ndarray,
    width: int,
    height: int,
    boxes: list[list[Box]],
) -> tuple[np.ndarray, list[list[Box]]]:
    """The sheet warped onto its quad over a desk, and the boxes carried with it."""
    sh, sw = sheet.shape[:2]
    src = np.array([[0, 0], [sw, 0], [sw, sh], [0, sh]], np.float32)
    hom = cv2.getPerspectiveTransform(src, quad)
    warped = cv2.warpPerspective(sheet, hom, (width, height), flags=cv2.INTER_LINEAR)
    mask = np.zeros((height, width), np.float32)
    cv2.fillConvexPoly(mask, np.round(quad * 16).astype(np.int32), 1.0, cv2.LINE_AA, 4)
    desk = _desk(rng, width, height, colour)
    shift = rng.uniform(-0.006, 0.006, 2) * (width + height)
    drop = cv2.warpAffine(mask, np.float32([[1, 0, shift[0]], [0, 1, shift[1]]]), (width, height))
    drop = cv2.GaussianBlur(drop, (0, 0), max(2.0, 0.008 * (width + height)))
    image = _mix(_times(desk, 1 - 0.55 * drop), warped, mask)
    moved = []
    for row in boxes:
        out = []
        for x, y, w, h in row:
            pts = np.array([[[x, y], [x + w, y], [x + w, y + h], [x, y + h]]], np.float32)
            p = cv2.perspectiveTransform(pts, hom)[0]
            x0, y0 = np.floor(p.min(axis=0)).astype(int)
            x1, y1 = np.ceil(p.max(axis=0)).astype(int)
            x0, y0 = max(0, int(x0)), max(0, int(y0))
            x1, y1 = min(width, int(x1)), min(height, int(y1))
            out.append((x0, y0, x1 - x0, y1 - y0))
        moved.append(out)
    return image, moved


def _light(
    o: PageOptions, rng: np.random.Generator, image: np.ndarray, said: list[str]
) -> np.ndarray:
    """Light falling on the scene, computed at low resolution: a gradient, a phone's
    soft shadow, a vignette, and a glossy hot spot that washes the ink out."""
    h, w = image.shape[:2]
    lw, lh = max(16, w // 8), max(12, h // 8)
    yy, xx = np.mgrid[0:lh, 0:lw].astype(np.float32)
    xx, yy = xx / lw - 0.5, yy / lh - 0.5
    light = np.ones((lh, lw), np.float32)
    if o.uneven_light:
        a = rng.uniform(0, 2 * math.pi)
        proj = (xx * math.cos(a) + yy * math.sin(a)) / 0.7
        light *= 1 - rng.uniform(0.2, 0.5) * (0.5 + 0.5 * np.clip(proj, -1, 1))
        said.append("uneven light")
    if o.shadow:
        mask = np.zeros((lh, lw), np.float32)
        a = rng.uniform(0, 2 * math.pi)
        d = np.array([math.cos(a), math.sin(a)])
        normal = np.array([-d[1], d[0]])
        tip = np.array([lw / 2, lh / 2]) + d * rng.uniform(-0.1, 0.35) * max(lw, lh)
        half = rng.uniform(0.2, 0.4) * max(lw, lh)
        far = tip + d * 2 * max(lw, lh)
        poly = np.array(
            [tip - normal * half, tip + normal * half, far + normal * half, far - normal * half]
        )
        cv2.fillConvexPoly(mask, np.round(poly).astype(np.int32), 1.0)
        mask = cv2.GaussianBlur(mask, (0, 0), rng.uniform(0.02, 0.07) * (lw + lh))
        light *= 1 - rng.uniform(0.3, 0.55) * mask
        said.append("phone shadow")
    r2 = xx**2 + yy**2
    light *= 1 - rng.uniform(0.05, 0.3) * r2 / 0.5
    gain = rng.uniform(0.45, 0.65) if o.dim else rng.uniform(0.9, 1.12)
    if o.dim:
        said.append("dim")
    light *= gain
    light_full = cv2.resize(light, (w, h), interpolation=cv2.INTER_LINEAR)
    image = _times(image, light_full)
    if o.hot_spot:
        cx, cy = rng.uniform(-0.35, 0.35, 2)
        s = rng.uniform(0.08, 0.2)
        glare = rng.uniform(0.25, 0.55) * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * s * s))
        cv2.add(image, _grey3(cv2.resize(glare.astype(np.float32), (w, h))), dst=image)
        said.append("hot spot")
    return image


def _camera(o: PageOptions, rng: np.random.Generator, image: np.ndarray) -> np.ndarray:
    """White balance, blur, sensor noise, 8 bits."""
    h, w = image.shape[:2]
    # White balance: warm (tungsten) to cool (shade), with a little green-magenta tint.
    warm, tint = rng.normal(0, 0.04), abs(rng.normal(0, 0.006))
    image = _times(image, np.array((1 - warm, 1 + tint, 1 + warm)))
    if o.blur > 0.25:
        cv2.GaussianBlur(image, (0, 0), o.blur, dst=image)
    noise = o.noise * (2.0 if o.dim else 1.0) / 255.0
    if noise > 0:
        # Mostly luminance noise per pixel, and coarser colour noise as demosaicing leaves.
        cv2.add(image, _grey3(_noise(rng, (h, w)) * noise), dst=image)
        chroma = _noise(rng, (max(2, h // 3), max(2, w // 3), 3)) * (0.6 * noise)
        cv2.add(image, cv2.resize(chroma, (w, h), interpolation=cv2.INTER_LINEAR), dst=image)
    return cv2.convertScaleAbs(cv2.max(image, 0.0), alpha=255.0)


def _describe(
    o: PageOptions, rows: list[list[_Mark]], edges: list[int], hole_side: int, apart: bool
) -> list[str]:
    ink = {Ink.BLACK: "black pen", Ink.BLUE: "blue pen", Ink.RED: "red pen", Ink.PENCIL: "pencil"}[
        o.ink
    ]
    if o.ink is not Ink.PENCIL:
        ink = ("felt-tip " if o.stroke > 0.5 else "fine " if o.stroke < -0.5 else "") + ink
    out = [f"synthetic: {ink} on {o.paper.value} paper", f"{o.width}x{o.height}"]
    heights = [m.ink[3] for r in rows for m in r if m.label is not None]
    out.append(
        f"{len(rows)} {'numbers in a column' if o.layout is Layout.COLUMN else 'rows'}"
        + (" close together" if o.layout is Layout.CLOSE_ROWS else "")
    )
    out.append(
        f"digits {min(heights)}-{max(heights)} px tall" + (" (mixed)" if o.mixed_sizes else "")
    )
    if o.sheet is Sheet.DESK:
        out.append(
            f"sheet on a dark desk rotated {o.angle_deg:.0f} deg, perspective {o.perspective:.2f}"
        )
        if not apart:
            out.append("rows overlap in y")
    if edges:
        out.append("sheet edge with the desk beyond")
    if hole_side >= 0:
        out.append(f"binding holes along the {'left' if hole_side == 0 else 'top'} edge")
    if o.slant > 0.15:
        out.append("slanted")
    if any(m.label is None for r in rows for m in r):
        out.append("letters beside digits")
    if o.touching:
        out.append("touching pairs")
    if any(m.ink[3] > 1.3 * h for r in rows for m in r for h in [_row_height(r)]):
        out.append("long-tailed 7s and 9s")
    if o.blur > 0.25:
        out.append(f"blur {o.blur:.1f} px")
    if o.jpeg_quality is not None:
        out.append(f"JPEG q{o.jpeg_quality}")
    return out


def _row_height(row: list[_Mark]) -> float:
    """The median ink height of a row's digits."""
    return float(np.median([m.ink[3] for m in row if m.label is not None] or [0]))


def _centre_span(boxes: tuple[Box, ...] | list[Box]) -> tuple[float, float]:
    centres = [y + h / 2 for _, y, _, h in boxes]
    return min(centres), max(centres)


def _pick(rng: np.random.Generator, choices: list, weights: tuple[float, ...]):  # type: ignore[no-untyped-def]
    p = np.asarray(weights, float)
    return choices[int(rng.choice(len(choices), p=p / p.sum()))]


def page_rng(seed: int, index: int) -> np.random.Generator:
    """The generator of page ``index`` of a set: the same page whatever the set's size."""
    return np.random.default_rng([seed, index])


def forced(
    options: PageOptions, seed: int, index: int, inks: Sequence[Ink], papers: Sequence[Paper]
) -> PageOptions:
    """Page ``index`` of set ``seed``'s options in one of ``inks`` and on one of ``papers``
    (either left as it was when empty), as :func:`write_set` draws them: apart from the
    page's generator, so that its other options are those of the unforced set."""
    if not inks and not papers:
        return options
    pick = np.random.default_rng([seed, index, 1])
    return replace(
        options,
        ink=inks[int(pick.integers(len(inks)))] if inks else options.ink,
        paper=papers[int(pick.integers(len(papers)))] if papers else options.paper,
    )


def write_set(
    folder: Path,
    source: DigitSource,
    count: int,
    seed: int = 0,
    twelve_mp: float = 0.0,
    held_up: bool = False,
    inks: Sequence[Ink] = (),
    papers: Sequence[Paper] = (),
) -> Path:
    """Write ``count`` varied pages and their ``manifest.json`` to ``folder``.

    Pages whose rows overlap in y (a sheet at a steep angle) have ``row_digits`` and no
    ``rows``; their names end in ``_raw`` because the shared scorer scores a photo without
    rows as a bag of digits only when its path says ``raw`` (as the real raw phone photos'
    do), and as one row otherwise.

    Args:
        folder: where to write (created; files of the same names are replaced).
        source: the digits (MNIST training set).
        count: how many pages.
        seed: the set's seed.
        twelve_mp: the share of 12 MP pages.
        held_up: cards of big digits held up to a webcam (:meth:`PageOptions.held_up`)
            instead of varied pages.
        inks: when given, every page is written in one of these (each equally likely),
            the rest of its options drawn as usual: a set of one condition to tune for.
        papers: the same for the paper.

    Returns:
        The manifest's path.
    """
    folder = Path(folder)
    (folder / "pages").mkdir(parents=True, exist_ok=True)
    items = []
    for i in range(count):
        rng = page_rng(seed, i)
        options = PageOptions.held_up(rng) if held_up else PageOptions.random(rng, twelve_mp)
        options = forced(options, seed, i, inks, papers)
        page = render_page(options, source, rng)
        ext = ".png" if page.options.jpeg_quality is None else ".jpg"
        rel = f"pages/page_{i:03d}{'' if page.rows_apart else '_raw'}{ext}"
        (folder / rel).write_bytes(page.encode())
        items.append(page.manifest_item(rel, seed, i))
    manifest = {
        "description": (
            "Synthetic photos of handwritten pages made by tools/pages.py from MNIST "
            "training digits, in the format of real-dev/manifest.json. Extra fields: "
            "boxes (x, y, w, h per digit of digits), numbers, options."
        ),
        "generator": {
            "tool": "tools/pages.py",
            "seed": seed,
            "count": count,
            "twelve_mp": twelve_mp,
            "held_up": held_up,
            **({"inks": [i.value for i in inks]} if inks else {}),
            **({"papers": [p.value for p in papers]} if papers else {}),
        },
        "items": items,
    }
    path = folder / "manifest.json"
    path.write_text(json.dumps(manifest, indent=1) + "\n")
    return path
