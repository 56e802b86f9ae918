"""Synthetic camera frames: MNIST digits written on paper under uneven light.

The sample clip, the digit-finding tests and the camera benchmark all draw their
frames from here, so the digits the demo is tuned on are the ones it is tested on.
Each frame is a sheet of paper (or a dark board) seen by a camera: a lighting
gradient and vignette, a soft or hard shadow, paper blotches, sensor noise, a little
blur and rotation, and 1-4 MNIST digits scaled up to 60-120 px in a row with gaps.
Everything is drawn from one seeded generator, so a seed gives the same frames.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from edge_runtime._deps import require
from edge_runtime.errors import ImageError

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class SynthConfig:
    """How synthetic frames look.

    Attributes:
        width, height: frame size in pixels.
        min_digits, max_digits: digits per non-empty frame.
        empty_fraction: share of frames with no digit at all (paper only).
        min_height, max_height: digit ink height in pixels.
        max_rotation_deg: each digit is rotated by up to this many degrees.
        dark_ink: dark ink on light paper (True) or light chalk on a dark board.
    """

    width: int = 640
    height: int = 480
    min_digits: int = 1
    max_digits: int = 4
    empty_fraction: float = 0.1
    min_height: int = 60
    max_height: int = 120
    max_rotation_deg: float = 8.0
    dark_ink: bool = True

    def __post_init__(self) -> None:
        if self.width < 64 or self.height < 64:
            raise ValueError(f"frame must be at least 64x64, got {self.width}x{self.height}")
        if not 1 <= self.min_digits <= self.max_digits:
            raise ValueError("need 1 <= min_digits <= max_digits")
        if not 0.0 <= self.empty_fraction <= 1.0:
            raise ValueError(f"empty_fraction must be in [0, 1], got {self.empty_fraction}")
        if not 8 <= self.min_height <= self.max_height <= self.height - 8:
            raise ValueError("need 8 <= min_height <= max_height <= height - 8")
        if self.max_rotation_deg < 0:
            raise ValueError("max_rotation_deg must be >= 0")


@dataclass(frozen=True)
class SynthDigit:
    """One digit drawn in a frame: its label, ink box (x, y, w, h) and MNIST test index."""

    digit: int
    box: Box
    index: int


@dataclass(frozen=True)
class SynthFrame:
    """A BGR uint8 frame and its digits, left to right."""

    image: np.ndarray
    digits: tuple[SynthDigit, ...]


def synth_frames(
    images: np.ndarray,
    labels: np.ndarray,
    count: int,
    seed: int = 0,
    config: SynthConfig | None = None,
) -> Iterator[SynthFrame]:
    """Yield ``count`` frames drawn deterministically from ``seed``.

    Exactly ``round(count * empty_fraction)`` frames are empty, spread at random.

    Args:
        images: MNIST digits, uint8 (N, 28, 28), white on black.
        labels: their labels, (N,).
        count: how many frames.
        seed: the random seed; the same seed gives the same frames.
        config: frame appearance; defaults to :class:`SynthConfig()`.

    Returns:
        An iterator of :class:`SynthFrame`.
    """
    config = config or SynthConfig()
    images = np.asarray(images)
    if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != np.uint8:
        raise ImageError(
            f"expected uint8 MNIST images (N, 28, 28), got {images.shape} {images.dtype}"
        )
    if len(labels) != len(images):
        raise ValueError(f"{len(images)} images but {len(labels)} labels")
    if count < 0:
        raise ValueError(f"count must be >= 0, got {count}")
    rng = np.random.default_rng(seed)
    empty = set(rng.permutation(count)[: round(count * config.empty_fraction)].tolist())
    for i in range(count):
        n = 0 if i in empty else int(rng.integers(config.min_digits, config.max_digits + 1))
        picks = rng.integers(0, len(images), size=n)
        yield render_frame(
            [images[k] for k in picks],
            [int(labels[k]) for k in picks],
            [int(k) for k in picks],
            rng,
            config,
        )


def render_frame(
    digits: list[np.ndarray],
    labels: list[int],
    indices: list[int],
    rng: np.random.Generator,
    config: SynthConfig,
) -> SynthFrame:
    """Draw one frame holding ``digits`` (MNIST 28x28 each) in a row, left to right.

    Args:
        digits: MNIST images to write, in order.
        labels: their labels.
        indices: their MNIST indices (recorded in the ground truth).
        rng: the random generator (advanced by this call).
        config: frame appearance.

    Returns:
        The frame and the ink box of each digit.
    """
    cv2: Any = require("cv2", "edge")
    w, h = config.width, config.height
    alpha = np.zeros((h, w), np.float32)
    placed: list[SynthDigit] = []
    if digits:
        patches = [_digit_patch(cv2, d, rng, config) for d in digits]
        gaps = [int(rng.uniform(0.25, 0.7) * p.shape[0]) for p in patches[1:]]
        total = sum(p.shape[1] for p in patches) + sum(gaps)
        if total > w - 16:  # shrink the row to fit the frame
            factor = (w - 16) / total
            patches = [
                cv2.resize(p, (max(2, int(p.shape[1] * factor)), max(2, int(p.shape[0] * factor))))
                for p in patches
            ]
            gaps = [int(g * factor) for g in gaps]
            total = sum(p.shape[1] for p in patches) + sum(gaps)
        tallest = max(p.shape[0] for p in patches)
        x = int(rng.integers(8, max(9, w - total - 8)))
        y0 = int(rng.integers(8, max(9, h - tallest - 8)))
        for k, patch in enumerate(patches):
            ph, pw = patch.shape
            y = min(max(4, y0 + int(rng.integers(-8, 9)) + (tallest - ph) // 2), h - ph - 4)
            region = alpha[y : y + ph, x : x + pw]
            np.maximum(region, patch, out=region)
            ys, xs = np.nonzero(patch > 0.25)
            box = (x + int(xs.min()), y + int(ys.min()), int(np.ptp(xs)) + 1, int(np.ptp(ys)) + 1)
            placed.append(SynthDigit(labels[k], box, indices[k]))
            x += pw + (gaps[k] if k < len(gaps) else 0)
    table = _distractors(cv2, alpha, [d.box for d in placed], rng)
    frame = _compose(cv2, alpha, table, rng, config)
    return SynthFrame(frame, tuple(placed))


def _distractors(
    cv2: Any, alpha: np.ndarray, boxes: list[Box], rng: np.random.Generator
) -> np.ndarray:
    """Add what a finder must ignore, away from the digits: specks of dirt, a faint
    ruled line, and the page's edge with the table beyond it (returned as a mask)."""
    h, w = alpha.shape
    free = np.ones((h, w), bool)
    for x, y, bw, bh in boxes:
        free[max(0, y - 12) : y + bh + 12, max(0, x - 12) : x + bw + 12] = False
    for _ in range(int(rng.integers(0, 7))):
        cx, cy = int(rng.integers(4, w - 4)), int(rng.integers(4, h - 4))
        if free[cy, cx]:
            cv2.circle(alpha, (cx, cy), int(rng.integers(1, 4)), float(rng.uniform(0.4, 0.9)), -1)
    if rng.random() < 0.25:
        rows = np.nonzero(free.all(axis=1))[0]
        if len(rows):
            y = int(rng.choice(rows))
            cv2.line(alpha, (0, y), (w - 1, y), float(rng.uniform(0.2, 0.35)), 2)
    table = np.zeros((h, w), np.float32)
    if rng.random() < 0.2:
        depth = int(rng.integers(20, 90))
        side = int(rng.integers(4))
        strip = [
            (slice(None), slice(0, depth)),
            (slice(None), slice(w - depth, w)),
            (slice(0, depth), slice(None)),
            (slice(h - depth, h), slice(None)),
        ][side]
        if free[strip].all():
            table[strip] = 1.0
            alpha[strip] = 0.0
    return table


def _digit_patch(
    cv2: Any, digit: np.ndarray, rng: np.random.Generator, config: SynthConfig
) -> np.ndarray:
    """The digit's ink as alpha in [0, 1], scaled to the target height and rotated."""
    ys, xs = np.nonzero(digit > 30)
    ink = digit[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1].astype(np.float32) / 255.0
    target = float(rng.uniform(config.min_height, config.max_height))
    scale = target / ink.shape[0]
    size = (max(2, round(ink.shape[1] * scale)), max(2, round(ink.shape[0] * scale)))
    patch = cv2.resize(ink, size, interpolation=cv2.INTER_CUBIC)
    pad = int(0.15 * target) + 2
    patch = cv2.copyMakeBorder(np.clip(patch, 0, 1), pad, pad, pad, pad, cv2.BORDER_CONSTANT, 0)
    angle = float(rng.uniform(-config.max_rotation_deg, config.max_rotation_deg))
    ph, pw = patch.shape
    matrix = cv2.getRotationMatrix2D((pw / 2, ph / 2), angle, 1.0)
    patch = cv2.warpAffine(patch, matrix, (pw, ph), flags=cv2.INTER_LINEAR)
    ys, xs = np.nonzero(patch > 0.02)
    patch = patch[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    return np.ascontiguousarray(patch * float(rng.uniform(0.85, 1.0)))


def _compose(
    cv2: Any, alpha: np.ndarray, table: np.ndarray, rng: np.random.Generator, config: SynthConfig
) -> np.ndarray:
    """Paper, ink, lighting, shadow, blur and noise: the camera's view of the page."""
    h, w = alpha.shape
    if config.dark_ink:
        tint = [rng.uniform(0.9, 1.0), rng.uniform(0.95, 1.0), 1.0]
        paper = rng.uniform(190, 240) * np.array(tint)
        ink = rng.uniform(15, 70) * np.array([rng.uniform(1.0, 2.2), rng.uniform(0.9, 1.3), 1.0])
    else:  # chalk on a blackboard
        paper = rng.uniform(25, 70) * np.array([rng.uniform(0.9, 1.2), rng.uniform(1.0, 1.3), 1.0])
        ink = rng.uniform(180, 240) * np.ones(3)
    # Paper blotches: low-frequency texture of +-6 %.
    blotch = cv2.resize(
        rng.uniform(0.94, 1.06, (6, 8)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC
    )
    a = alpha[..., None]
    base = ((1.0 - a) * (paper * blotch[..., None]) + a * ink).astype(np.float32)
    if table.any():  # the desk beyond the page's edge: brown wood, or pale on a dark board
        wood = np.array([40.0, 70.0, 110.0]) if config.dark_ink else np.array([150.0, 160.0, 170.0])
        base = np.where(table[..., None] > 0, wood.astype(np.float32), base)
    light = _lighting(cv2, h, w, rng)
    frame = base * light[..., None]
    sigma = float(rng.uniform(0.3, 1.3))
    frame = cv2.GaussianBlur(frame, (0, 0), sigma)
    frame += rng.normal(0.0, rng.uniform(2.0, 7.0), frame.shape).astype(np.float32)
    return np.clip(frame, 0, 255).astype(np.uint8)


def _lighting(cv2: Any, h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """Multiplicative light: a linear gradient, a vignette, and usually one shadow."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    theta = rng.uniform(0, 2 * math.pi)
    ramp = (xx - w / 2) * math.cos(theta) + (yy - h / 2) * math.sin(theta)
    ramp = (ramp - ramp.min()) / max(float(ramp.max() - ramp.min()), 1.0)
    low = rng.uniform(0.55, 0.9)
    light = low + (1.0 - low) * ramp
    r2 = ((xx - w / 2) / (w / 2)) ** 2 + ((yy - h / 2) / (h / 2)) ** 2
    light *= 1.0 - rng.uniform(0.0, 0.2) * r2 / 2.0
    if rng.random() < 0.7:
        # A shadow cast by a hand or a phone: a big polygon from one edge.
        mask = np.zeros((h, w), np.float32)
        side = int(rng.integers(4))
        depth = rng.uniform(0.2, 0.6)
        corners = {
            0: [(0, 0), (w * depth, 0), (w * rng.uniform(0.1, depth), h), (0, h)],
            1: [(w, 0), (w * (1 - depth), 0), (w * (1 - rng.uniform(0.1, depth)), h), (w, h)],
            2: [(0, 0), (w, 0), (w, h * depth), (0, h * rng.uniform(0.1, depth))],
            3: [(0, h), (w, h), (w, h * (1 - depth)), (0, h * (1 - rng.uniform(0.1, depth)))],
        }[side]
        cv2.fillPoly(mask, [np.array(corners, np.int32)], 1.0)
        mask = cv2.GaussianBlur(mask, (0, 0), float(rng.uniform(2.0, 20.0)))
        light *= 1.0 - rng.uniform(0.3, 0.6) * mask
    return light
