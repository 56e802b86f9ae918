"""The options of ``edgecnn camera``, validated."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

Box = tuple[int, int, int, int]


def parse_roi(text: str) -> Box:
    """``"x,y,w,h"`` -> (x, y, w, h).

    Raises:
        ValueError: not four integers with w, h > 0 and x, y >= 0.
    """
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 4 or not all(re.fullmatch(r"\d+", p) for p in parts):
        raise ValueError(f"--roi {text!r}: expected x,y,w,h as four non-negative integers")
    x, y, w, h = (int(p) for p in parts)
    if w <= 0 or h <= 0:
        raise ValueError(f"--roi {text!r}: width and height must be > 0")
    return x, y, w, h


@dataclass(frozen=True)
class CameraConfig:
    """Options of ``edgecnn camera``; one field per option."""

    source: str = "0"
    model: Path | None = None
    headless: bool = False
    json_out: Path | None = None
    record: Path | None = None
    serve: str | None = None
    roi: Box | None = None
    min_confidence: float = 0.7
    max_frames: int | None = None
    threads: int | None = None
    truth: Path | None = None

    def __post_init__(self) -> None:
        if not str(self.source).strip():
            raise ValueError("--source must not be empty")
        if not 0.0 <= self.min_confidence <= 1.0:
            raise ValueError(f"--min-confidence must be in [0, 1], got {self.min_confidence}")
        if self.max_frames is not None and self.max_frames < 1:
            raise ValueError(f"--max-frames must be >= 1, got {self.max_frames}")
        if self.threads is not None and self.threads < 1:
            raise ValueError(f"--threads must be >= 1, got {self.threads}")
        if self.roi is not None and (
            len(self.roi) != 4 or min(self.roi[:2]) < 0 or min(self.roi[2:]) <= 0
        ):
            raise ValueError(f"--roi {self.roi}: expected x, y >= 0 and w, h > 0")
        if self.record is not None and Path(self.record).suffix.lower() not in (".mp4", ".avi"):
            raise ValueError(f"--record {self.record}: use a .mp4 or .avi file name")
        if self.serve is not None:
            from camera_demo.server import parse_address

            parse_address(self.serve)

    @property
    def show_window(self) -> bool:
        """An on-screen window: neither ``--headless`` nor ``--serve``."""
        return not self.headless and self.serve is None
