"""Frame capture in its own thread.

A live source (a camera, a stream, the Pi camera) is read as fast as it delivers and
only the newest frame is handed over: a slow consumer sees fresh frames, never a
queue of stale ones, and every frame it never saw is counted as dropped. A live
source that stops delivering is closed and reopened with exponential back-off.

A file is not real time, so nothing is dropped: a small queue hands over every
frame in order (decoding overlaps with processing) and the capture ends cleanly at
the end of the file.
"""

from __future__ import annotations

import queue
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from camera_demo.sources import FrameReader, Source, open_source
from edge_runtime.errors import MissingDependencyError, SourceError


@dataclass(frozen=True)
class Frame:
    """A captured frame: its number in the source, when it was captured, the pixels."""

    index: int
    timestamp: float
    image: np.ndarray


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Capture:
    """Reads a source in a background thread and hands over frames.

    Use as a context manager::

        with Capture(parse_source("0")) as capture:
            while (frame := capture.read()) is not None:
                ...
    """

    def __init__(
        self,
        source: Source,
        opener: Callable[[Source], FrameReader] = open_source,
        *,
        live: bool | None = None,
        backoff_s: tuple[float, float] = (0.5, 8.0),
        max_reopen: int | None = None,
        queue_size: int = 4,
        log: Callable[[str], None] = _stderr,
    ) -> None:
        """Prepare a capture (nothing is opened until :meth:`start`).

        Args:
            source: what to read.
            opener: opens the source (replaced by fakes in tests).
            live: newest-frame-wins with reopening (True) or every frame in order (False);
                default: ``source.live``.
            backoff_s: first and longest wait between reopening attempts.
            max_reopen: give up after this many failed reopening attempts (None: never;
                0: end as soon as the source fails).
            queue_size: frames read ahead from a file.
            log: where reopening messages go.
        """
        if backoff_s[0] <= 0 or backoff_s[1] < backoff_s[0]:
            raise ValueError(f"backoff_s must be 0 < first <= longest, got {backoff_s}")
        if queue_size < 1:
            raise ValueError(f"queue_size must be >= 1, got {queue_size}")
        self.source = source
        self.live = source.live if live is None else live
        self._opener, self._backoff, self._log = opener, backoff_s, log
        self._max_reopen = max_reopen
        self._reader: FrameReader | None = None
        self._stop = threading.Event()
        self._cond = threading.Condition()
        self._latest: Frame | None = None
        self._ended = False
        self._queue: queue.Queue[Frame | None] = queue.Queue(maxsize=queue_size)
        self._thread: threading.Thread | None = None
        self.captured = 0  # frames read from the source
        self.dropped = 0  # live frames replaced by a newer one before anyone took them
        self.reopens = 0  # successful reopenings of a live source
        self.lost = False  # a live source is being reopened (no frames meanwhile)
        self.fps: float | None = None  # the source's nominal frame rate, when it says
        self.error: BaseException | None = None  # what ended the thread, if not the source

    def start(self) -> Capture:
        """Open the source (in the caller's thread, so errors surface here) and start reading.

        Raises:
            SourceError: the source cannot be opened.
        """
        self._reader = self._opener(self.source)
        self.fps = self._reader.fps
        target = self._run_live if self.live else self._run_file
        self._thread = threading.Thread(target=target, name="capture", daemon=True)
        self._thread.start()
        return self

    def read(self, timeout: float | None = None) -> Frame | None:
        """The next frame: the newest one (live) or the next in order (file).

        Args:
            timeout: seconds to wait; None waits until a frame comes or the source ends.

        Returns:
            A frame, or None when the source has ended, the capture was stopped, or the
            timeout passed (tell these apart with :attr:`ended`).
        """
        if not self.live:
            if self._ended:
                return None
            try:
                item = self._queue.get(timeout=timeout)
            except queue.Empty:
                return None
            if item is None:
                self._ended = True
            return item
        with self._cond:
            deadline = None if timeout is None else time.monotonic() + timeout
            while self._latest is None and not self._ended:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return None
                self._cond.wait(left)
            frame, self._latest = self._latest, None
            return frame

    @property
    def ended(self) -> bool:
        """True once the source has ended (or failed for good) or the capture was stopped,
        and no frame is left to read."""
        with self._cond:
            return self._ended and self._latest is None

    def stop(self) -> None:
        """Stop reading and close the source; safe to call more than once."""
        self._stop.set()
        with self._cond:
            self._ended = True
            self._cond.notify_all()
        while not self.live:  # unblock a reader thread waiting on a full queue
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5.0)
        self._close_reader()

    def __enter__(self) -> Capture:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- the thread -------------------------------------------------------------

    def _run_live(self) -> None:
        try:
            while not self._stop.is_set():
                image = self._safe_read()
                if image is None:
                    if not self._reopen():
                        break
                    continue
                frame = Frame(self.captured, time.time(), image)
                self.captured += 1
                with self._cond:
                    if self._latest is not None:
                        self.dropped += 1
                    self._latest = frame
                    self._cond.notify_all()
        except BaseException as exc:  # surface to the consumer instead of dying silently
            self.error = exc
        finally:
            with self._cond:
                self._ended = True
                self._cond.notify_all()

    def _run_file(self) -> None:
        try:
            while not self._stop.is_set():
                image = self._safe_read()
                if image is None:
                    break
                frame = Frame(self.captured, time.time(), image)
                self.captured += 1
                while not self._stop.is_set():
                    try:
                        self._queue.put(frame, timeout=0.1)
                        break
                    except queue.Full:
                        continue
        except BaseException as exc:
            self.error = exc
        finally:
            self._put_end()

    def _put_end(self) -> None:
        while True:
            try:
                self._queue.put(None, timeout=0.1)
                return
            except queue.Full:
                if self._stop.is_set():
                    return

    def _safe_read(self) -> np.ndarray | None:
        reader = self._reader
        if reader is None:
            return None
        try:
            return reader.read()
        except Exception:  # a driver error is a failed read: reopen (live) or end (file)
            return None

    def _reopen(self) -> bool:
        """Close and reopen a live source, waiting longer after each failure."""
        self._close_reader()
        self.lost = True
        delay, longest = self._backoff
        failures = 0
        self._log(f"camera: {self.source} stopped delivering frames; reopening in {delay:g} s")
        while self._max_reopen is None or failures < self._max_reopen:
            if self._stop.wait(delay):
                return False
            try:
                self._reader = self._opener(self.source)
            except (SourceError, MissingDependencyError) as exc:
                failures += 1
                delay = min(delay * 2, longest)
                self._log(f"camera: {exc}; retrying in {delay:g} s")
                continue
            self.reopens += 1
            self.lost = False
            self._log(f"camera: {self.source} reopened")
            return True
        self._log(f"camera: giving up on {self.source} after {failures} failed attempts")
        return False

    def _close_reader(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None:
            try:
                reader.close()
            except Exception as exc:  # closing a dead camera may fail; nothing to recover
                self._log(f"camera: closing {self.source} failed: {exc}")
