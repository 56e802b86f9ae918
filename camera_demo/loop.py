"""The camera loop: capture -> read digits -> draw -> show / stream / record / log.

One frame at a time on the caller's thread (capture has its own thread). Outputs:

- a window (OpenCV's GUI build), unless ``--headless`` or ``--serve``;
- JSON lines, one per frame, to ``--json-out`` or (``--headless``) stdout::

      {"frame": 12, "timestamp": 1732456800.123, "latency_ms": 1.41,
       "digits": [{"digit": 7, "confidence": 0.98, "box": [x, y, w, h]}, ...],
       "lines": [{"text": "17 3", "numbers": ["17", "3"], "digits": [0, 1, 2]}, ...]}

  (``digit`` is null for a rejected reading, ``?`` in the text; ``digits`` holds every
  line's digits in reading order, lines top to bottom);
- ``--record OUT.mp4``: the annotated video, renamed into place at the end;
- ``--serve HOST:PORT``: the annotated MJPEG stream and the latest reading.

A summary follows the run, also after Ctrl-C: on stderr when the JSON lines go to
stdout, else on stdout.
"""

from __future__ import annotations

import dataclasses
import sys
import threading
import time
from collections.abc import Callable
from typing import IO, Any

from camera_demo.capture import Capture
from camera_demo.config import Box, CameraConfig
from camera_demo.outputs import JsonLines, Outputs, lines_dicts, reading_dict, require_gui
from camera_demo.sources import FrameReader, Source, open_source, parse_source
from camera_demo.summary import LatencyStats, RateMeter, RunSummary
from camera_demo.truth import Scorer, load_truth
from edge_runtime._deps import require
from edge_runtime.errors import ModelFormatError


class CameraApp:
    """One run of the camera demo. ``run()`` blocks; ``stop()`` may come from any thread."""

    def __init__(
        self,
        config: CameraConfig,
        *,
        classifier: Any = None,
        opener: Callable[[Source], FrameReader] = open_source,
        stdout: IO[str] | None = None,
        stderr: IO[str] | None = None,
    ) -> None:
        """Prepare a run.

        Args:
            config: the options.
            classifier: an open ``DigitClassifier`` to use (not closed at the end);
                default: load ``config.model``.
            opener: opens the source (tests pass fakes).
            stdout, stderr: where JSON lines and the summary go (default: sys's).
        """
        self.config = config
        self._classifier = classifier
        self._opener = opener
        self._stdout = stdout
        self._stderr = stderr
        self._stop = threading.Event()
        self.serving = threading.Event()  # set once --serve is listening
        self.server_address: tuple[str, int] | None = None

    def stop(self) -> None:
        """Ask the loop to finish after the current frame."""
        self._stop.set()

    def run(self) -> RunSummary:
        """Run until the source ends, ``--max-frames``, ``stop()``, q/Esc, or Ctrl-C.

        Returns:
            The summary (also printed).

        Raises:
            SourceError: the source cannot be opened (exit code 8).
            MissingDependencyError: a window without OpenCV's GUI build; picamera2 absent.
            ModelFormatError: the model cannot be loaded.
            DatasetError: the truth file cannot be read.
        """
        cfg = self.config
        out = self._stdout or sys.stdout
        err = self._stderr or sys.stderr
        cv2: Any = require("cv2", "edge")
        if cfg.show_window:
            require_gui(cv2)
        scorer = Scorer(load_truth(cfg.truth)) if cfg.truth is not None else None
        source = parse_source(cfg.source)
        owned = self._classifier is None
        classifier = self._classifier
        if classifier is None:
            from edge_runtime import DigitClassifier

            if cfg.model is None:
                raise ModelFormatError("no model given to the camera")
            classifier = DigitClassifier(cfg.model, num_threads=cfg.threads)
        cv2_threads = cv2.getNumThreads()
        if cfg.threads is not None:
            cv2.setNumThreads(cfg.threads)
        outputs = Outputs()
        json_to_stdout = cfg.json_out is None and cfg.headless
        try:
            capture = outputs.capture = Capture(source, self._opener, log=_printer(err)).start()
            if cfg.json_out is not None or cfg.headless:
                outputs.jsonl = JsonLines(cfg.json_out, out)
            if cfg.record is not None:
                from camera_demo.record import Recorder

                outputs.recorder = Recorder(cfg.record, fps=capture.fps)
            if cfg.serve is not None:
                self._start_server(outputs, source, err)
            summary = self._loop(cv2, classifier, capture, outputs, scorer)
        except BaseException:
            outputs.close(cv2, commit=False)
            raise
        finally:
            cv2.setNumThreads(cv2_threads)
            if owned:
                classifier.close()
        outputs.close(cv2, commit=True)
        summary = dataclasses.replace(
            summary, json_out=cfg.json_out, record=cfg.record if outputs.recorded else None
        )
        target = err if json_to_stdout else out
        for line in summary.lines():
            print(line, file=target)
        target.flush()
        return summary

    def _start_server(self, outputs: Outputs, source: Source, err: IO[str]) -> None:
        from camera_demo.server import LiveFeed, StreamServer, is_loopback, parse_address

        host, port = parse_address(self.config.serve or "")
        outputs.feed = LiveFeed()
        outputs.server = StreamServer(outputs.feed, host, port, title=f"edgecnn camera: {source}")
        self.server_address = outputs.server.start()
        shown = f"[{host}]" if ":" in host else host
        print(f"serving http://{shown}:{self.server_address[1]}/", file=err, flush=True)
        if not is_loopback(host):
            print(
                "warning: the stream has no authentication; anyone who can reach "
                f"{host} can watch it",
                file=err,
                flush=True,
            )
        self.serving.set()

    def _loop(
        self, cv2: Any, classifier: Any, capture: Capture, res: Outputs, scorer: Scorer | None
    ) -> RunSummary:
        cfg = self.config
        latency, meter = LatencyStats(), RateMeter()
        draw = cfg.show_window or res.recorder is not None or res.feed is not None
        # A file watched by a person plays at its own rate; otherwise as fast as it goes.
        pace = (capture.fps or 0.0) if not capture.live and (cfg.show_window or cfg.serve) else 0.0
        frames, first, last, interrupted = 0, None, None, False
        fps: float | None = None
        if draw:
            from camera_demo.overlay import draw_readings
        try:
            while not self._stop.is_set():
                frame = capture.read(timeout=0.2)
                if frame is None:
                    if capture.error is not None:
                        raise capture.error
                    if capture.ended:
                        break
                    if cfg.show_window:
                        self._window_events(cv2)
                    continue
                now = time.perf_counter()
                first = now if first is None else first
                image = frame.image
                region = _roi(image, cfg.roi)
                lines = classifier.read_lines(region, cfg.min_confidence)
                if cfg.roi is not None:
                    lines = [_shift_line(line, cfg.roi) for line in lines]
                readings = [r for line in lines for r in line.readings]
                ms = (time.perf_counter() - now) * 1000.0
                latency.add(ms)
                fps = meter.tick(now) or fps
                if scorer is not None:
                    scorer.add(frame.index, readings)
                record = {
                    "frame": frame.index,
                    "timestamp": round(frame.timestamp, 3),
                    "latency_ms": round(ms, 3),
                    "digits": [reading_dict(r) for r in readings],
                    "lines": lines_dicts(lines),
                }
                if draw:
                    draw_readings(image, readings, fps=fps, latency_ms=ms, roi=cfg.roi)
                if res.recorder is not None:
                    res.recorder.write(image)
                if res.feed is not None:
                    res.feed.publish(image, {**record, "fps": fps})
                if res.jsonl is not None:
                    res.jsonl.write(record)
                if cfg.show_window:
                    res.show(cv2, image)
                    self._window_events(cv2)
                frames += 1
                last = time.perf_counter()
                if cfg.max_frames is not None and frames >= cfg.max_frames:
                    break
                if pace and first is not None:
                    delay = first + frames / pace - time.perf_counter()
                    if delay > 0 and self._stop.wait(delay):
                        break
        except KeyboardInterrupt:
            interrupted = True
        elapsed = (last - first) if first is not None and last is not None else 0.0
        return RunSummary(
            frames=frames,
            elapsed_s=elapsed,
            mean_fps=(frames / elapsed) if elapsed > 0 else 0.0,
            latency_p50_ms=latency.percentile(50),
            latency_p99_ms=latency.percentile(99),
            dropped=capture.dropped,
            captured=capture.captured,
            interrupted=interrupted,
            truth=scorer.result() if scorer is not None else None,
        )

    def _window_events(self, cv2: Any) -> None:
        key = cv2.waitKey(1) & 0xFF
        if key in (ord("q"), 27):  # q or Esc
            self.stop()


def _roi(image: Any, roi: Box | None) -> Any:
    if roi is None:
        return image
    x, y, w, h = roi
    height, width = image.shape[:2]
    if x + w > width or y + h > height:
        raise ValueError(f"--roi {x},{y},{w},{h} does not fit in the {width}x{height} frame")
    return image[y : y + h, x : x + w]


def _shift(reading: Any, roi: Box) -> Any:
    x, y, w, h = reading.box
    return type(reading)(
        reading.digit, reading.confidence, (x + roi[0], y + roi[1], w, h), reading.rejected
    )


def _shift_line(line: Any, roi: Box) -> Any:
    """A line read in the region of interest, in the frame's pixels."""
    return type(line)(
        tuple(_shift(r, roi) for r in line.readings),
        tuple(tuple(_shift(r, roi) for r in number) for number in line.numbers),
    )


def _printer(stream: IO[str]) -> Callable[[str], None]:
    def log(message: str) -> None:
        print(message, file=stream, flush=True)

    return log


def run_camera(config: CameraConfig, **kwargs: Any) -> RunSummary:
    """Run the camera demo (see :class:`CameraApp` for the keyword arguments)."""
    return CameraApp(config, **kwargs).run()
