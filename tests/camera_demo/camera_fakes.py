"""Fake frame sources for the camera tests (imported by name: pytest puts this folder
on sys.path)."""

from __future__ import annotations

import threading
import time

import numpy as np


def numbered(n: int, size: tuple[int, int] = (48, 64)) -> np.ndarray:
    """A tiny frame whose every pixel holds n (mod 256), so a test can tell frames apart."""
    return np.full((*size, 3), n % 256, dtype=np.uint8)


class FakeReader:
    """A source that yields ``count`` numbered frames (then fails/ends), optionally slowly."""

    def __init__(
        self, count: int | None = None, start: int = 0, delay: float = 0.0, fps: float | None = None
    ) -> None:
        self.count, self.next, self.delay, self.fps = count, start, delay, fps
        self.start = start
        self.closed = threading.Event()

    def read(self):
        if self.count is not None and self.next - self.start >= self.count:
            return None
        if self.delay:
            time.sleep(self.delay)
        frame = numbered(self.next)
        self.next += 1
        return frame

    def close(self) -> None:
        self.closed.set()
