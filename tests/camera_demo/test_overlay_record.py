"""Drawing the readings, recording atomically, and the run's figures."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from camera_demo.overlay import draw_readings, label
from camera_demo.record import Recorder
from camera_demo.summary import LatencyStats, RateMeter

cv2 = pytest.importorskip("cv2")


@dataclass(frozen=True)
class R:
    digit: int | None
    confidence: float
    box: tuple[int, int, int, int]
    rejected: bool


def test_labels_show_the_digit_or_a_question_mark():
    assert label(R(7, 0.984, (0, 0, 1, 1), False)) == "7 98%"
    assert label(R(None, 0.41, (0, 0, 1, 1), True)) == "? 41%"


def test_draw_readings_marks_boxes_in_their_colours():
    image = np.full((240, 320, 3), 255, np.uint8)
    out = draw_readings(
        image,
        [R(3, 0.99, (40, 80, 40, 60), False), R(None, 0.3, (200, 80, 40, 60), True)],
        fps=123.0,
        latency_ms=1.5,
        roi=(10, 10, 300, 220),
    )
    assert out is image
    accepted, rejected = image[80:140, 40], image[80:140, 200]  # left edges of the boxes
    assert (accepted == (60, 200, 60)).all(axis=1).any()
    assert (rejected == (0, 140, 255)).all(axis=1).any()
    assert image[2:15, 2:60].mean() < 200  # the status panel


def test_the_recording_appears_only_when_closed_and_abort_leaves_nothing(tmp_path):
    target = tmp_path / "out.mp4"
    target.write_bytes(b"a good old recording")
    recorder = Recorder(target, fps=10)
    for k in range(5):
        recorder.write(np.full((64, 96, 3), 40 * k, np.uint8))
    assert target.read_bytes() == b"a good old recording"  # not replaced yet
    recorder.abort()
    assert target.read_bytes() == b"a good old recording"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.mp4"]

    recorder = Recorder(target, fps=10)
    for k in range(5):
        recorder.write(np.full((64, 96, 3), 40 * k, np.uint8))
    with pytest.raises(ValueError, match="size"):
        recorder.write(np.zeros((10, 10, 3), np.uint8))
    assert recorder.close() == target
    capture = cv2.VideoCapture(str(target))
    assert capture.get(cv2.CAP_PROP_FRAME_COUNT) == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.mp4"]


def test_a_recording_without_frames_creates_nothing(tmp_path):
    assert Recorder(tmp_path / "x.avi").close() is None
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError):
        Recorder(tmp_path / "x.gif")


def test_latency_percentiles_in_fixed_memory_match_numpy():
    rng = np.random.default_rng(0)
    values = rng.lognormal(0.5, 0.6, 5000)
    stats = LatencyStats()
    for v in values:
        stats.add(float(v))
    for q in (50, 90, 99):
        assert stats.percentile(q) == pytest.approx(np.percentile(values, q), rel=0.01)
    assert stats.count == 5000 and LatencyStats().percentile(50) == 0.0


def test_rate_meter():
    meter = RateMeter(window=5)
    assert meter.tick(0.0) is None
    rates = [meter.tick(t / 10) for t in range(1, 10)]
    assert rates[-1] == pytest.approx(10.0)
