"""What ``/metrics`` and ``/healthz`` report: the run's counters, in Prometheus text.

The frame loop calls :meth:`RunMetrics.frame` once per frame (a lock and a few
additions); everything else (the capture's drops, MQTT's state, the temperature) is
read when a scraper asks, on the HTTP thread. The exposition format is written by
hand: the running camera needs no Prometheus library (the tests parse it with one).
"""

from __future__ import annotations

import bisect
import hashlib
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Upper bounds of the frame-latency histogram, in seconds.
LATENCY_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0)
THERMAL = Path("/sys/class/thermal")


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def cpu_temperature(root: Path = THERMAL) -> float | None:
    """The CPU's temperature in degrees Celsius, from the first thermal zone that has one
    (a zone whose type names the CPU first), or None where there is none."""
    zones = sorted(root.glob("thermal_zone*"))
    typed = [(z, _read(z / "type") or "") for z in zones]
    typed.sort(key=lambda zt: not any(w in zt[1].lower() for w in ("cpu", "soc", "pkg")))
    for zone, _ in typed:
        text = _read(zone / "temp")
        if text is not None and text.lstrip("-").isdigit():
            return int(text) / 1000.0
    return None


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None


@dataclass(frozen=True)
class Health:
    """``/healthz``'s answer: ok (200) or not (503), and why."""

    ok: bool
    reason: str


class RunMetrics:
    """Counters of one camera run, shared by the loop (writes) and HTTP (reads)."""

    def __init__(self, *, stale_s: float = 3.0, thermal: Path = THERMAL) -> None:
        self._lock = threading.Lock()
        self._stale_s, self._thermal = stale_s, thermal
        self._buckets = [0] * (len(LATENCY_BUCKETS) + 1)
        self._latency_sum = 0.0
        self.frames = 0
        self.fps = 0.0
        self.stable = 0  # new stable readings
        self.last_frame: float | None = None  # time.monotonic() of the last frame
        self.model_path = ""
        self.model_sha256 = ""
        self.swaps = {"loaded": 0, "refused": 0}
        self.capture: Any = None  # camera_demo.capture.Capture, for drops and source state
        self.mqtt: Any = None  # camera_demo.mqtt.MqttPublisher
        self.stream_clients = 0

    def frame(self, latency_s: float, fps: float | None, stable_new: bool) -> None:
        """Count one processed frame."""
        with self._lock:
            self.frames += 1
            self.fps = fps or self.fps
            self._latency_sum += latency_s
            self._buckets[bisect.bisect_left(LATENCY_BUCKETS, latency_s)] += 1
            self.stable += stable_new
            self.last_frame = time.monotonic()

    def model(self, path: Path, sha256: str) -> None:
        """The model now in use."""
        with self._lock:
            self.model_path, self.model_sha256 = str(path), sha256

    def health(self) -> Health:
        """200 while frames flow; 503 before the first, when the source is lost or frames
        stopped coming for ``stale_s`` seconds."""
        capture = self.capture
        if capture is not None and getattr(capture, "lost", False):
            return Health(False, "source lost")
        last = self.last_frame
        if last is None:
            return Health(False, "no frame yet")
        age = time.monotonic() - last
        if age > self._stale_s:
            return Health(False, f"no frame for {age:.1f} s")
        return Health(True, "ok")

    def render(self) -> str:
        """The metrics in Prometheus text format 0.0.4."""
        with self._lock:
            buckets, total, frames = list(self._buckets), self._latency_sum, self.frames
            fps, stable, swaps = self.fps, self.stable, dict(self.swaps)
            path, sha = self.model_path, self.model_sha256
        out: list[str] = []

        def metric(name: str, kind: str, help_: str, value: float, labels: str = "") -> None:
            out.append(f"# HELP {name} {help_}\n# TYPE {name} {kind}\n{name}{labels} {value}")

        metric("edgecnn_frames_total", "counter", "Frames processed.", frames)
        metric("edgecnn_fps", "gauge", "Frames per second over the last 30 frames.", fps)
        out.append(
            "# HELP edgecnn_frame_latency_seconds Time to find and read a frame's digits.\n"
            "# TYPE edgecnn_frame_latency_seconds histogram"
        )
        running = 0
        for bound, count in zip((*LATENCY_BUCKETS, float("inf")), buckets, strict=True):
            running += count
            le = "+Inf" if bound == float("inf") else repr(bound)
            out.append(f'edgecnn_frame_latency_seconds_bucket{{le="{le}"}} {running}')
        out.append(f"edgecnn_frame_latency_seconds_sum {total}")
        out.append(f"edgecnn_frame_latency_seconds_count {frames}")
        capture = self.capture
        dropped = capture.dropped if capture is not None else 0
        metric("edgecnn_dropped_frames_total", "counter", "Live frames never processed.", dropped)
        metric("edgecnn_source_up", "gauge", "1 while frames flow.", int(self.health().ok))
        metric("edgecnn_stable_readings_total", "counter", "New stable readings.", stable)
        mqtt = self.mqtt
        if mqtt is not None:
            metric(
                "edgecnn_readings_published_total",
                "counter",
                "Stable readings sent to the MQTT broker.",
                mqtt.published,
            )
            metric(
                "edgecnn_mqtt_dropped_total",
                "counter",
                "Readings dropped: the queue to the broker was full.",
                mqtt.dropped,
            )
            metric("edgecnn_mqtt_connected", "gauge", "1 while connected.", int(mqtt.connected))
            metric("edgecnn_mqtt_connects_total", "counter", "Connections made.", mqtt.connects)
        out.append(
            "# HELP edgecnn_model_swaps_total Model files picked up while running.\n"
            "# TYPE edgecnn_model_swaps_total counter"
        )
        for result, count in swaps.items():
            out.append(f'edgecnn_model_swaps_total{{result="{result}"}} {count}')
        metric(
            "edgecnn_model_info",
            "gauge",
            "The model in use.",
            1,
            f'{{path="{_escape(path)}",sha256="{sha}"}}',
        )
        metric("edgecnn_stream_clients", "gauge", "MJPEG viewers now.", self.stream_clients)
        celsius = cpu_temperature(self._thermal)
        if celsius is not None:
            metric("edgecnn_cpu_temperature_celsius", "gauge", "CPU temperature.", celsius)
        return "\n".join(out) + "\n"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
