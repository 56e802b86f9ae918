"""Record the annotated video, atomically.

Frames go to a temporary file beside the target; :meth:`Recorder.close` renames it
into place, so an interrupted or failed run never leaves half a video under the
name asked for, nor replaces a good one. ``.mp4`` is written as MPEG-4 Part 2
(``mp4v``) and ``.avi`` as Motion-JPEG: the two codecs OpenCV's pip wheels write.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from edge_runtime._deps import require
from edge_runtime._files import PendingFile
from edge_runtime.errors import SourceError

FOURCC = {".mp4": "mp4v", ".avi": "MJPG"}
DEFAULT_FPS = 15.0


class Recorder:
    """Writes BGR frames to a video file; opened lazily at the first frame (its size)."""

    def __init__(self, path: str | Path, fps: float | None = None) -> None:
        """Prepare a recording.

        Args:
            path: the video to write, ending in ``.mp4`` or ``.avi``.
            fps: frame rate stored in the file (the source's; default 15).

        Raises:
            ValueError: an unsupported extension.
        """
        self.path = Path(path)
        suffix = self.path.suffix.lower()
        if suffix not in FOURCC:
            raise ValueError(f"--record {self.path}: use a .mp4 or .avi file name")
        self.fps = fps if fps and fps > 0 else DEFAULT_FPS
        self.frames = 0
        self._fourcc = FOURCC[suffix]
        self._writer: Any = None
        self._pending: PendingFile | None = None
        self._size: tuple[int, int] | None = None

    def write(self, frame: np.ndarray) -> None:
        """Append a frame (BGR uint8; every frame must have the first one's size).

        Raises:
            SourceError: the video cannot be written.
            ValueError: a frame of another size.
        """
        cv2: Any = require("cv2", "edge")
        size = (frame.shape[1], frame.shape[0])
        if self._writer is None:
            self._pending, self._size = PendingFile(self.path, self.path.suffix), size
            self._writer = cv2.VideoWriter(
                str(self._pending.tmp), cv2.VideoWriter_fourcc(*self._fourcc), self.fps, size
            )
            if not self._writer.isOpened():
                self.abort()
                raise SourceError(f"{self.path}: OpenCV cannot write {self._fourcc} video here")
        elif size != self._size:
            raise ValueError(f"{self.path}: frame size {size} differs from the first {self._size}")
        self._writer.write(frame)
        self.frames += 1

    def close(self) -> Path | None:
        """Finish the file and move it into place.

        Returns:
            The video's path, or None when no frame was written (nothing is created).
        """
        writer, self._writer = self._writer, None
        pending, self._pending = self._pending, None
        if writer is None or pending is None:
            return None
        writer.release()
        return pending.commit()

    def abort(self) -> None:
        """Drop the recording; the target is left untouched."""
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.release()
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.abort()
