"""Video sources: parse ``--source`` and open it as a :class:`FrameReader`.

``0`` or ``/dev/video0`` is a V4L2 camera, ``picamera`` the Raspberry Pi camera
(through picamera2, which ships with Raspberry Pi OS), a URL a network stream, and
anything else a video file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from edge_runtime._deps import require
from edge_runtime.errors import MissingDependencyError, SourceError

PICAMERA_SIZE = (640, 480)


class SourceKind(str, Enum):
    """Where frames come from."""

    DEVICE = "device"  # a V4L2 camera: an index or /dev/videoN
    FILE = "file"  # a video file
    STREAM = "stream"  # a URL: rtsp://, http://, ...
    PICAMERA = "picamera"  # the Raspberry Pi camera through picamera2


@dataclass(frozen=True)
class Source:
    """A parsed ``--source``."""

    kind: SourceKind
    target: str | int

    @property
    def live(self) -> bool:
        """True for sources that run in real time (everything but a file)."""
        return self.kind is not SourceKind.FILE

    def __str__(self) -> str:
        return str(self.target)


def parse_source(spec: str | int) -> Source:
    """Parse ``--source``: ``0`` / ``/dev/video0`` / ``FILE`` / ``URL`` / ``picamera``.

    Raises:
        ValueError: an empty source.
    """
    text = str(spec).strip()
    if not text:
        raise ValueError("--source must not be empty")
    if text == "picamera":
        return Source(SourceKind.PICAMERA, text)
    if text.isdigit():
        return Source(SourceKind.DEVICE, int(text))
    if re.fullmatch(r"/dev/video\d+", text):
        return Source(SourceKind.DEVICE, text)
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", text):
        return Source(SourceKind.STREAM, text)
    return Source(SourceKind.FILE, text)


class FrameReader(Protocol):
    """An open source: ``read`` gives a BGR frame, or None when it fails or ends."""

    fps: float | None

    def read(self) -> np.ndarray | None: ...

    def close(self) -> None: ...


class OpenCVReader:
    """A camera, file or stream through ``cv2.VideoCapture``."""

    def __init__(self, source: Source) -> None:
        cv2: Any = require("cv2", "edge")
        if source.kind is SourceKind.FILE and not Path(str(source.target)).is_file():
            raise SourceError(f"{source}: no such video file")
        capture = _quiet_open(cv2, source.target)
        if not capture.isOpened():
            capture.release()
            why = {
                SourceKind.DEVICE: f"camera {source}: cannot open it (not connected, "
                "no permission, or in use by another program)",
                SourceKind.FILE: f"{source}: cannot open this video file (not a video, "
                "or a codec this OpenCV lacks)",
                SourceKind.STREAM: f"{source}: cannot open this stream (unreachable, "
                "or a protocol this OpenCV lacks)",
            }[source.kind]
            raise SourceError(why)
        if source.kind is SourceKind.DEVICE:
            capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # fewer stale frames in the driver
        fps = float(capture.get(cv2.CAP_PROP_FPS) or 0.0)
        self.fps = fps if 0.0 < fps < 1000.0 else None
        self._capture = capture

    def read(self) -> np.ndarray | None:
        ok, frame = self._capture.read()
        return frame if ok and frame is not None else None

    def close(self) -> None:
        self._capture.release()


class PicameraReader:
    """The Raspberry Pi camera through ``picamera2`` (libcamera)."""

    def __init__(self, source: Source, size: tuple[int, int] = PICAMERA_SIZE) -> None:
        try:
            from picamera2 import Picamera2
        except ImportError as exc:
            raise MissingDependencyError(
                "picamera2 is not installed: it ships with Raspberry Pi OS "
                "(sudo apt install python3-picamera2); create the venv with "
                "--system-site-packages so Python can see it"
            ) from exc
        try:
            camera = Picamera2()
            # "RGB888" is stored B, G, R in memory: what OpenCV calls BGR.
            camera.configure(
                camera.create_video_configuration(main={"size": size, "format": "RGB888"})
            )
            camera.start()
        except Exception as exc:  # libcamera raises RuntimeError, IndexError, ...
            raise SourceError(f"{source}: cannot open the Pi camera ({exc})") from exc
        self.fps: float | None = None
        self._camera = camera

    def read(self) -> np.ndarray | None:
        try:
            return np.asarray(self._camera.capture_array())
        except Exception:  # a camera that went away: let the capture thread reopen it
            return None

    def close(self) -> None:
        try:
            self._camera.stop()
        finally:
            self._camera.close()


def _quiet_open(cv2: Any, target: str | int) -> Any:
    """``cv2.VideoCapture(target)`` without OpenCV's own warnings on stderr: a source
    that cannot be opened gets one line from us, not three from every backend."""
    logging = cv2.utils.logging
    previous = logging.getLogLevel()
    logging.setLogLevel(logging.LOG_LEVEL_ERROR)
    try:
        return cv2.VideoCapture(target)
    finally:
        logging.setLogLevel(previous)


def open_source(source: Source) -> FrameReader:
    """Open a source.

    Raises:
        SourceError: it cannot be opened.
        MissingDependencyError: OpenCV (or picamera2) is not installed.
    """
    if source.kind is SourceKind.PICAMERA:
        return PicameraReader(source)
    return OpenCVReader(source)
