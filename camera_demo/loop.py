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
- ``--serve HOST:PORT``: the annotated MJPEG stream, the readings, metrics, health;
- ``--mqtt URL``: each new stable reading (``--stable K/N``) to a broker.

Every record carries ``"stable": true`` when its digits were read in K of the last N
frames. Between frames the model file is watched; a replaced one is loaded if it
passes a self-check (:mod:`camera_demo.swap`). Events (start, model loaded or
refused, source lost and back, MQTT connected or lost, published) are one line each
on stderr.

A summary follows the run, also after Ctrl-C or SIGTERM: on stderr when the JSON lines
go to stdout, else on stdout.
"""

from __future__ import annotations

import dataclasses
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from camera_demo.capture import Capture
from camera_demo.config import CameraConfig
from camera_demo.endpoints import sigterm_stops, start_mqtt, start_server
from camera_demo.metrics import RunMetrics, file_sha256
from camera_demo.outputs import JsonLines, Outputs, lines_dicts, reading_dict, require_gui
from camera_demo.roi import crop, shift_line
from camera_demo.sources import FrameReader, Source, open_source, parse_source
from camera_demo.stable import StableFilter
from camera_demo.summary import LatencyStats, RateMeter, RunSummary
from camera_demo.swap import ModelWatcher
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
        self.metrics = RunMetrics()
        self.stable = StableFilter(config.stable)
        self._stopped_by: str | None = None
        self._active: Any = None  # the classifier in use (a swap replaces it)
        self._owns_active = False

    def stop(self) -> None:
        """Ask the loop to finish after the current frame."""
        self._stop.set()

    def _signalled(self, name: str) -> None:
        self._stopped_by = name
        self.stop()

    def run(self) -> RunSummary:
        """Run until the source ends, ``--max-frames``, ``stop()``, q/Esc, Ctrl-C or SIGTERM.

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
        log = _printer(err)
        self._owns_active = self._classifier is None
        self._active = self._classifier or self._load(cfg.model)
        cv2_threads = cv2.getNumThreads()
        if cfg.threads is not None:
            cv2.setNumThreads(cfg.threads)
        outputs = Outputs()
        json_to_stdout = cfg.json_out is None and cfg.headless
        try:
            watcher = self._model_watcher(source, log)
            with sigterm_stops(self._signalled):
                capture = outputs.capture = Capture(source, self._opener, log=log).start()
                self.metrics.capture = capture
                if cfg.json_out is not None or (json_to_stdout and not cfg.quiet):
                    outputs.jsonl = JsonLines(cfg.json_out, out)
                if cfg.record is not None:
                    from camera_demo.record import Recorder

                    outputs.recorder = Recorder(cfg.record, fps=capture.fps)
                if cfg.mqtt is not None:
                    outputs.mqtt = self.metrics.mqtt = start_mqtt(cfg, log)
                if cfg.serve is not None:
                    title = f"edgecnn camera: {source}"
                    self.server_address = start_server(
                        cfg, outputs, self.metrics, lambda: self.stable.latest, title, log
                    )
                    self.serving.set()
                summary = self._loop(cv2, capture, outputs, scorer, watcher, log)
        except BaseException:
            outputs.close(cv2, commit=False)
            raise
        finally:
            cv2.setNumThreads(cv2_threads)
            if self._owns_active:
                self._active.close()
            self._active = None
        outputs.close(cv2, commit=True)
        summary = dataclasses.replace(
            summary,
            json_out=cfg.json_out,
            record=cfg.record if outputs.recorded else None,
            stopped_by=self._stopped_by,
        )
        target = err if json_to_stdout else out
        for line in summary.lines():
            print(line, file=target)
        target.flush()
        return summary

    def _model_watcher(self, source: Source, log: Callable[[str], None]) -> ModelWatcher | None:
        """Log the start; watch the model file (when the classifier says which it is)."""
        path = getattr(self._active, "model_path", None) or self.config.model
        if path is None:
            log(f"camera: start {source}")
            return None
        path = Path(path)
        self.metrics.model(path, file_sha256(path))
        log(f"camera: start {source} with {path} (sha256 {self.metrics.model_sha256[:12]})")
        return ModelWatcher(path, self._load, log) if self.config.watch_model else None

    def _load(self, model: Path | None) -> Any:
        from edge_runtime import DigitClassifier

        if model is None:
            raise ModelFormatError("no model given to the camera")
        return DigitClassifier(model, num_threads=self.config.threads)

    def _loop(
        self,
        cv2: Any,
        capture: Capture,
        res: Outputs,
        scorer: Scorer | None,
        watcher: ModelWatcher | None,
        log: Callable[[str], None],
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
                lines = self._active.read_lines(crop(image, cfg.roi), cfg.min_confidence)
                if cfg.roi is not None:
                    lines = [shift_line(line, cfg.roi) for line in lines]
                readings = [r for line in lines for r in line.readings]
                ms = (time.perf_counter() - now) * 1000.0
                latency.add(ms)
                fps = meter.tick(now) or fps
                stable, new = self.stable.add(lines, frame.index, frame.timestamp)
                self.metrics.frame(ms / 1000.0, fps, new)
                if new and res.mqtt is not None and self.stable.latest is not None:
                    res.mqtt.offer(self.stable.latest)
                    log(f"mqtt: publishing {self.stable.latest['text']} (frame {frame.index})")
                if scorer is not None:
                    scorer.add(frame.index, readings)
                record = {
                    "frame": frame.index,
                    "timestamp": round(frame.timestamp, 3),
                    "latency_ms": round(ms, 3),
                    "digits": [reading_dict(r) for r in readings],
                    "lines": lines_dicts(lines),
                    "stable": stable,
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
                if watcher is not None:
                    self._swap(watcher)
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

    def _swap(self, watcher: ModelWatcher) -> None:
        """Between frames: switch to a replaced model file that passed its self-check."""
        swapped = watcher.poll()
        self.metrics.swaps["refused"] = watcher.refused
        if swapped is None:
            return
        classifier, sha = swapped
        old, owned = self._active, self._owns_active
        self._active, self._owns_active = classifier, True
        if owned:
            old.close()
        self.metrics.model(watcher.path, sha)
        self.metrics.swaps["loaded"] = watcher.loaded

    def _window_events(self, cv2: Any) -> None:
        key = cv2.waitKey(1) & 0xFF
        if key in (ord("q"), 27):  # q or Esc
            self.stop()


def _printer(stream: IO[str]) -> Callable[[str], None]:
    def log(message: str) -> None:
        print(message, file=stream, flush=True)

    return log


def run_camera(config: CameraConfig, **kwargs: Any) -> RunSummary:
    """Run the camera demo (see :class:`CameraApp` for the keyword arguments)."""
    return CameraApp(config, **kwargs).run()
