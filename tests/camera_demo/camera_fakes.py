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


class ClipCamera:
    """A live camera that shows a real clip's frames at ``fps``, looping, until
    ``unplug()``; then reads fail and reopening raises SourceError (as a camera pulled
    from its socket does). Use :meth:`opener` as CameraApp's opener."""

    def __init__(self, clip, fps: float = 30.0) -> None:
        import cv2

        capture = cv2.VideoCapture(str(clip))
        self.frames = []
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            self.frames.append(frame)
        capture.release()
        assert self.frames, f"no frames in {clip}"
        self.fps, self.period = fps, 1.0 / fps
        self.plugged = threading.Event()
        self.plugged.set()
        self.opened = 0
        self._next = 0
        self._due = 0.0

    def opener(self, source):
        from edge_runtime.errors import SourceError

        if not self.plugged.is_set():
            raise SourceError(f"{source}: no such camera")
        self.opened += 1
        return self

    def read(self):
        if not self.plugged.is_set():
            return None
        now = time.monotonic()
        self._due = max(self._due + self.period, now)
        time.sleep(max(0.0, self._due - now))
        frame = self.frames[self._next % len(self.frames)].copy()
        self._next += 1
        return frame

    def unplug(self) -> None:
        self.plugged.clear()

    def close(self) -> None:
        pass
