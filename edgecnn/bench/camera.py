"""Camera benchmarks: processing FPS on one core, and a memory soak.

``run_camera_bench`` times find + classify + draw on the sample clip's 640x480
frames (decoded into memory first, so decoding is not timed) with one interpreter
thread and one OpenCV thread. ``run_soak`` runs the whole camera pipeline (capture
thread, find, classify, draw, JSON) over many thousands of frames of a file, looped,
and reports the process's memory at the start and the end.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from camera_demo.capture import Capture
from camera_demo.outputs import reading_dict
from camera_demo.overlay import draw_readings
from camera_demo.sources import OpenCVReader, Source, SourceKind
from edge_runtime._deps import require
from edge_runtime.errors import SourceError
from edgecnn.bench.memory import memory_source, rss_mb
from edgecnn.defaults import resolve_model, sample_clip
from edgecnn.train.provenance import describe_machine

# A Raspberry Pi 4's Cortex-A72 (1.5-1.8 GHz) does roughly a fifth to a tenth of the
# work of one core of a current x86 server per second on this kind of code
# (OpenCV + int8 XNNPACK): an assumption, not a measurement.
PI4_SLOWDOWN = (5.0, 10.0)


def load_frames(clip: Path | None = None, limit: int | None = None) -> list[np.ndarray]:
    """Decode a clip into memory.

    Raises:
        SourceError: the clip cannot be opened or holds no frame.
    """
    path = Path(clip or sample_clip())
    reader = OpenCVReader(Source(SourceKind.FILE, str(path)))
    frames: list[np.ndarray] = []
    try:
        while limit is None or len(frames) < limit:
            frame = reader.read()
            if frame is None:
                break
            frames.append(frame)
    finally:
        reader.close()
    if not frames:
        raise SourceError(f"{path}: no frames")
    return frames


def run_camera_bench(
    model: Path | None = None,
    frames: int = 2000,
    *,
    clip: Path | None = None,
    num_threads: int = 1,
    min_confidence: float = 0.7,
    warmup: int = 50,
) -> dict[str, Any]:
    """Time find + classify + draw per 640x480 frame on one thread.

    Args:
        model: the TFLite model (default: the exported one, else the bundled default).
        frames: frames to time (the clip is cycled).
        clip: the clip whose frames are used (default: the sample clip).
        num_threads: interpreter threads (OpenCV is set to the same while timing).
        min_confidence: as in the camera.
        warmup: untimed frames first.

    Returns:
        Figures: ``fps_mean`` (frames / total time), ``fps_median`` (1 / median frame
        time, steadier on a busy machine), latency percentiles, digits per frame, and
        the Pi 4 estimate under :data:`PI4_SLOWDOWN`.
    """
    from edge_runtime import DigitClassifier

    if frames < 1:
        raise ValueError(f"frames must be >= 1, got {frames}")
    cv2: Any = require("cv2", "edge")
    images = load_frames(clip)
    model_path = resolve_model(model)
    previous = cv2.getNumThreads()
    cv2.setNumThreads(num_threads)
    try:
        with DigitClassifier(model_path, num_threads=num_threads) as clf:
            for i in range(warmup):
                clf.read_digits(images[i % len(images)], min_confidence)
            times = np.empty(frames)
            digits = np.empty(frames, dtype=np.int64)
            for i in range(frames):
                frame = images[i % len(images)]
                start = time.perf_counter()
                canvas = frame.copy()  # the camera draws on its own frame; here frames repeat
                readings = clf.read_digits(canvas, min_confidence)
                draw_readings(canvas, readings, fps=0.0, latency_ms=0.0)
                times[i] = time.perf_counter() - start
                digits[i] = len(readings)
    finally:
        cv2.setNumThreads(previous)
    fps = frames / float(times.sum())
    height, width = images[0].shape[:2]
    return {
        "frames": frames,
        "resolution": f"{width}x{height}",
        "max_digits_per_frame": int(digits.max()),
        "digits_per_frame": round(float(digits.mean()), 2),
        "num_threads": num_threads,
        "fps_mean": round(fps, 1),
        "fps_median": round(1.0 / float(np.median(times)), 1),
        "latency_ms_p50": round(1000 * float(np.percentile(times, 50)), 3),
        "latency_ms_p99": round(1000 * float(np.percentile(times, 99)), 3),
        "latency_ms_p50_by_digits": {
            str(n): round(1000 * float(np.median(times[digits == n])), 3)
            for n in sorted(set(digits.tolist()))
        },
        "model": str(model_path),
        "clip": str(clip or sample_clip()),
        "cpu": describe_machine(),
        "pi4_fps_estimate": {
            "low": round(fps / PI4_SLOWDOWN[1], 1),
            "high": round(fps / PI4_SLOWDOWN[0], 1),
            "assumption": "Cortex-A72 5-10x slower per core than this CPU",
        },
    }


class _LoopingReader:
    """A video file read over and over: the soak's endless source."""

    def __init__(self, source: Source) -> None:
        self._source = source
        self._reader = OpenCVReader(source)
        self.fps = self._reader.fps

    def read(self) -> np.ndarray | None:
        frame = self._reader.read()
        if frame is None:
            self._reader.close()
            self._reader = OpenCVReader(self._source)
            frame = self._reader.read()
        return frame

    def close(self) -> None:
        self._reader.close()


def run_soak(
    model: Path | None = None,
    frames: int = 20000,
    *,
    clip: Path | None = None,
    num_threads: int = 1,
    sample_every: int = 1000,
) -> dict[str, Any]:
    """Run the camera pipeline over ``frames`` frames of a looped file; watch memory.

    Args:
        model: the TFLite model (default: the exported one, else the bundled default).
        frames: frames to process.
        clip: the file to loop (default: the sample clip).
        num_threads: interpreter threads.
        sample_every: take a memory sample every this many frames.

    Returns:
        Frames, seconds, RSS (MB) before the run, after the first ``sample_every``
        frames (``rss_start_mb``: warmed up) and at the end, the growth between them,
        and every sample.
    """
    from edge_runtime import DigitClassifier

    if frames < 2 * sample_every or sample_every < 1:
        raise ValueError("need frames >= 2 * sample_every >= 2")
    source = Source(SourceKind.FILE, str(clip or sample_clip()))
    model_path = resolve_model(model)
    samples: list[tuple[int, float]] = [(0, rss_mb())]
    start = time.perf_counter()
    with (
        DigitClassifier(model_path, num_threads=num_threads) as clf,
        Capture(source, _LoopingReader, live=False) as capture,
    ):
        for done in range(1, frames + 1):
            frame = capture.read()
            if frame is None:
                raise SourceError(f"{source}: ended during the soak")
            readings = clf.read_digits(frame.image)
            draw_readings(frame.image, readings, fps=0.0, latency_ms=0.0)
            json.dumps({"frame": frame.index, "digits": [reading_dict(r) for r in readings]})
            if done % sample_every == 0:
                samples.append((done, rss_mb()))
    seconds = time.perf_counter() - start
    warm, end = samples[1][1], samples[-1][1]
    return {
        "frames": frames,
        "seconds": round(seconds, 1),
        "fps": round(frames / seconds, 1),
        "rss_before_mb": round(samples[0][1], 1),
        "rss_start_mb": round(warm, 1),
        "rss_end_mb": round(end, 1),
        "rss_max_mb": round(max(v for _, v in samples), 1),
        "growth_mb": round(end - warm, 1),
        "samples": [[n, round(v, 1)] for n, v in samples],
        "memory_probe": memory_source(),
    }


def format_camera_report(result: dict[str, Any]) -> str:
    """The camera benchmark (and soak, if run) as readable lines."""
    b = result["bench"]
    by = ", ".join(f"{n}: {ms} ms" for n, ms in b["latency_ms_p50_by_digits"].items())
    pi = b["pi4_fps_estimate"]
    lines = [
        f"camera bench: {b['resolution']}, {b['frames']} frames, up to "
        f"{b['max_digits_per_frame']} digits ({b['digits_per_frame']} per frame), "
        f"{b['num_threads']} thread{'s' * (b['num_threads'] != 1)}, on {b['cpu']}",
        f"  find + classify + draw: {b['fps_mean']} FPS mean, {b['fps_median']} FPS median; "
        f"latency p50 {b['latency_ms_p50']} ms, p99 {b['latency_ms_p99']} ms",
        f"  median latency by digits in the frame: {by}",
        f"  Raspberry Pi 4 estimate: {pi['low']}-{pi['high']} FPS ({pi['assumption']})",
    ]
    if "soak" in result:
        s = result["soak"]
        lines.append(
            f"soak: {s['frames']} frames in {s['seconds']} s ({s['fps']} FPS); RSS "
            f"{s['rss_start_mb']} MB after {s['samples'][1][0]} frames -> {s['rss_end_mb']} MB "
            f"at the end (growth {s['growth_mb']} MB, max {s['rss_max_mb']} MB, "
            f"{s['memory_probe']})"
        )
    return "\n".join(lines)
