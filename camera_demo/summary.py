"""What a camera run did: frames, FPS, latency percentiles, drops, and accuracy."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from camera_demo.truth import TruthScore


@dataclass(frozen=True)
class RunSummary:
    """The end-of-run figures of :func:`camera_demo.loop.run_camera`.

    Attributes:
        frames: frames processed.
        elapsed_s: wall time from the first frame to the last.
        mean_fps: ``frames / elapsed_s`` (a live source caps it at its own rate).
        latency_p50_ms, latency_p99_ms: time to find and read the digits of a frame.
        dropped: live frames never processed because a newer one had arrived.
        captured: frames read from the source.
        interrupted: the run ended with Ctrl-C.
        stopped_by: the signal that ended the run (``"SIGTERM"``), when one did.
        truth: the score against ``--truth``, when given.
        record: the video written, when asked for.
        json_out: the JSON-lines file written, when asked for.
    """

    frames: int
    elapsed_s: float
    mean_fps: float
    latency_p50_ms: float
    latency_p99_ms: float
    dropped: int
    captured: int
    interrupted: bool = False
    stopped_by: str | None = None
    truth: TruthScore | None = None
    record: Path | None = None
    json_out: Path | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready figures."""
        out: dict[str, Any] = {
            "frames": self.frames,
            "elapsed_s": round(self.elapsed_s, 3),
            "mean_fps": round(self.mean_fps, 1),
            "latency_p50_ms": round(self.latency_p50_ms, 3),
            "latency_p99_ms": round(self.latency_p99_ms, 3),
            "dropped": self.dropped,
            "captured": self.captured,
            "interrupted": self.interrupted,
        }
        if self.stopped_by is not None:
            out["stopped_by"] = self.stopped_by
        if self.truth is not None:
            out["truth"] = self.truth.as_dict()
        if self.record is not None:
            out["record"] = str(self.record)
        if self.json_out is not None:
            out["json_out"] = str(self.json_out)
        return out

    def lines(self) -> list[str]:
        """The summary as short human-readable lines."""
        lines = [
            f"frames: {self.frames} in {self.elapsed_s:.2f} s, mean {self.mean_fps:.1f} FPS"
            + (" (stopped by Ctrl-C)" if self.interrupted else "")
            + (f" (stopped by {self.stopped_by})" if self.stopped_by else ""),
            f"latency: p50 {self.latency_p50_ms:.2f} ms, p99 {self.latency_p99_ms:.2f} ms",
            f"dropped frames: {self.dropped} of {self.captured} captured",
        ]
        t = self.truth
        if t is not None:
            lines.append(
                f"digit accuracy: {100 * t.accuracy:.1f}% ({t.correct}/{t.digits}; "
                f"{t.wrong} wrong, {t.rejected} rejected, {t.missed} missed); "
                f"frames read exactly: {100 * t.frame_accuracy:.1f}%"
            )
            lines.append(
                f"false digits: {t.false_digits} "
                f"({t.false_on_empty} on {t.empty_frames} empty frames)"
            )
        if self.record is not None:
            lines.append(f"recorded: {self.record}")
        if self.json_out is not None:
            lines.append(f"readings: {self.json_out}")
        return lines


class LatencyStats:
    """Latency percentiles in fixed memory, however long the run.

    Latencies are counted in log-spaced bins (1 us to 100 s, 0.5 % wide), so a camera
    left running for days keeps a few kilobytes, and a percentile is exact to 0.5 %.
    """

    LOW_MS = 1e-3
    HIGH_MS = 1e5
    STEP = 1.005

    def __init__(self) -> None:
        self._bins = int(np.ceil(np.log(self.HIGH_MS / self.LOW_MS) / np.log(self.STEP))) + 1
        self._counts = np.zeros(self._bins, dtype=np.int64)
        self.count = 0

    def add(self, ms: float) -> None:
        """Count one latency in milliseconds."""
        ratio = max(ms, self.LOW_MS) / self.LOW_MS
        index = min(int(math.log(ratio) / math.log(self.STEP)), self._bins - 1)
        self._counts[index] += 1
        self.count += 1

    def percentile(self, q: float) -> float:
        """The q-th percentile in milliseconds (the bin's centre; 0.0 when empty)."""
        if not self.count:
            return 0.0
        rank = max(1, int(np.ceil(q / 100.0 * self.count)))
        index = int(np.searchsorted(np.cumsum(self._counts), rank))
        return float(self.LOW_MS * self.STEP ** (index + 0.5))


class RateMeter:
    """Frames per second over the last ``window`` frames (for the on-screen FPS)."""

    def __init__(self, window: int = 30) -> None:
        self._times: deque[float] = deque(maxlen=window)

    def tick(self, now: float) -> float | None:
        """Record a frame at ``now`` (seconds); the current rate, once there are two."""
        self._times.append(now)
        if len(self._times) < 2 or self._times[-1] <= self._times[0]:
            return None
        return (len(self._times) - 1) / (self._times[-1] - self._times[0])
