"""The newest annotated frame and reading, handed from the camera loop to HTTP.

The loop only swaps a reference (:meth:`LiveFeed.publish`); the JPEG is made by the
first HTTP thread that wants a frame, once per frame however many viewers there are.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from edge_runtime._deps import require

JPEG_QUALITY = 80


class LiveFeed:
    """The newest annotated frame and reading, shared with the HTTP threads."""

    def __init__(self, jpeg_quality: int = JPEG_QUALITY) -> None:
        self._cond = threading.Condition()
        self._image: np.ndarray | None = None
        self._info: dict[str, Any] = {
            "frame": None,
            "digits": [],
            "lines": [],
            "text": "",
            "ended": False,
        }
        self._seq = 0
        self._jpeg: tuple[int, bytes] = (0, b"")
        self._quality = jpeg_quality
        self.closed = False

    def publish(self, image: np.ndarray, info: dict[str, Any]) -> None:
        """Offer a new frame (not modified afterwards by the caller) and its reading."""
        with self._cond:
            self._image, self._info = image, info
            self._seq += 1
            self._cond.notify_all()

    def latest(self) -> dict[str, Any]:
        """The latest reading, as JSON-ready data."""
        with self._cond:
            return dict(self._info, ended=self.closed)

    def wait_jpeg(self, after: int, timeout: float) -> tuple[int, bytes] | None:
        """The first frame newer than ``after`` as JPEG, or None on timeout or close."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._seq > after or self.closed, timeout):
                return None
            if self._seq <= after or self._image is None:
                return None
            seq, image = self._seq, self._image
            if self._jpeg[0] == seq:
                return self._jpeg
        cv2: Any = require("cv2", "edge")
        ok, buffer = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, self._quality])
        if not ok:
            return None
        encoded = (seq, buffer.tobytes())
        with self._cond:
            if self._jpeg[0] < seq:
                self._jpeg = encoded
        return encoded

    def close(self) -> None:
        """No more frames: viewers' streams end."""
        with self._cond:
            self.closed = True
            self._cond.notify_all()
