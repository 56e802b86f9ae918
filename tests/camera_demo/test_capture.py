"""The capture thread: newest frame wins on live sources (drops counted), live sources
are reopened with back-off, files are read in full and end cleanly."""

from __future__ import annotations

import itertools
import threading
import time

import pytest
from camera_fakes import FakeReader

from camera_demo.capture import Capture
from camera_demo.sources import Source, SourceKind, open_source, parse_source
from edge_runtime.errors import SourceError

LIVE = Source(SourceKind.DEVICE, 0)
FILE = Source(SourceKind.FILE, "clip.avi")


@pytest.mark.parametrize(
    ("spec", "kind", "target"),
    [
        ("0", SourceKind.DEVICE, 0),
        ("2", SourceKind.DEVICE, 2),
        ("/dev/video1", SourceKind.DEVICE, "/dev/video1"),
        ("clip.avi", SourceKind.FILE, "clip.avi"),
        ("/data/x.mp4", SourceKind.FILE, "/data/x.mp4"),
        ("rtsp://10.0.0.2:554/stream", SourceKind.STREAM, "rtsp://10.0.0.2:554/stream"),
        ("http://127.0.0.1:8080/video", SourceKind.STREAM, "http://127.0.0.1:8080/video"),
        ("picamera", SourceKind.PICAMERA, "picamera"),
    ],
)
def test_parse_source(spec, kind, target):
    source = parse_source(spec)
    assert (source.kind, source.target) == (kind, target)
    assert source.live == (kind is not SourceKind.FILE)


def test_empty_source_is_a_value_error():
    with pytest.raises(ValueError):
        parse_source("  ")


def test_live_capture_hands_over_the_newest_frame_and_counts_drops():
    reader = FakeReader(delay=0.002)  # ~500 FPS camera
    seen = []
    with Capture(LIVE, lambda _: reader) as capture:
        for _ in range(8):
            time.sleep(0.03)  # a consumer far slower than the camera
            frame = capture.read(timeout=1.0)
            assert frame is not None
            seen.append(frame.index)
            # Newest wins: nothing newer than this was captured when it was handed over,
            # give or take the frame captured while we looked.
            assert frame.index >= capture.captured - 2
    assert seen == sorted(seen) and len(set(seen)) == len(seen)
    assert all(b - a > 1 for a, b in itertools.pairwise(seen))  # frames were skipped
    pending = 1 if capture.captured - 1 > seen[-1] else 0
    assert capture.dropped >= capture.captured - len(seen) - pending - 1
    assert capture.dropped > 0
    assert reader.closed.is_set()


def test_a_fast_consumer_of_a_live_source_drops_nothing():
    reader = FakeReader(count=20, delay=0.01)
    frames = []
    capture = Capture(LIVE, lambda _: reader, max_reopen=0, log=lambda m: None).start()
    # max_reopen=0: the capture ends when the source fails after its 20 frames.
    while (frame := capture.read(timeout=2.0)) is not None:
        frames.append(frame.index)
    capture.stop()
    assert frames == list(range(20))
    assert capture.dropped == 0


def test_a_failing_live_source_is_reopened_with_back_off():
    opened = []
    messages = []

    def opener(source):
        opened.append(time.monotonic())
        if len(opened) == 1:
            return FakeReader(count=3)  # then fails
        if len(opened) in (2, 3):
            raise SourceError("camera 0: cannot open it")
        return FakeReader(start=100, delay=0.005)

    frames = []
    with Capture(LIVE, opener, backoff_s=(0.02, 0.2), log=messages.append) as capture:
        while len(frames) < 6:
            frame = capture.read(timeout=3.0)
            assert frame is not None, messages
            frames.append(int(frame.image[0, 0, 0]))
    assert len(opened) == 4
    assert capture.reopens == 1
    waits = [b - a for a, b in itertools.pairwise(opened[1:])]
    assert waits[1] >= waits[0] * 1.5  # the wait grows
    # Frames of the first opening (newest wins: maybe only its last), then the new ones.
    old = [f for f in frames if f < 3]
    assert old and frames[: len(old)] == old and all(100 <= f < 200 for f in frames[len(old) :])
    assert any("reopening" in m for m in messages)
    assert any("retrying" in m for m in messages)
    assert any("reopened" in m for m in messages)


def test_a_live_source_that_never_comes_back_ends_after_max_reopen():
    calls = []

    def opener(source):
        calls.append(1)
        if len(calls) == 1:
            return FakeReader(count=2)
        raise SourceError("gone")

    capture = Capture(LIVE, opener, backoff_s=(0.01, 0.02), max_reopen=3, log=lambda m: None)
    with capture:
        got = []
        while (frame := capture.read(timeout=3.0)) is not None:
            got.append(frame.index)
        assert capture.ended
    assert got and set(got) <= {0, 1}
    assert len(calls) == 1 + 3


def test_a_file_is_read_in_full_in_order_even_by_a_slow_consumer():
    reader = FakeReader(count=25)
    frames = []
    with Capture(FILE, lambda _: reader, queue_size=2) as capture:
        while (frame := capture.read(timeout=2.0)) is not None:
            frames.append(frame.index)
            time.sleep(0.002)
        assert capture.ended
        assert capture.read(timeout=0.1) is None  # stays ended
    assert frames == list(range(25))
    assert capture.dropped == 0 and capture.captured == 25


def test_stopping_a_file_capture_with_a_full_queue_returns_promptly():
    reader = FakeReader(count=None)  # endless: the reader thread blocks on a full queue
    capture = Capture(FILE, lambda _: reader, queue_size=1).start()
    assert capture.read(timeout=1.0) is not None
    time.sleep(0.05)
    start = time.monotonic()
    capture.stop()
    assert time.monotonic() - start < 2.0
    assert reader.closed.is_set()
    assert not any(t.name == "capture" and t.is_alive() for t in threading.enumerate())


def test_the_sample_clip_file_is_read_to_its_last_frame(short_clip):
    from camera_demo.truth import load_truth

    with Capture(parse_source(str(short_clip))) as capture:
        count = 0
        while (frame := capture.read(timeout=5.0)) is not None:
            assert frame.image.shape == (480, 640, 3)
            count += 1
    assert count == len(load_truth(short_clip.with_suffix(".json")))
    assert capture.fps == pytest.approx(24.0)


def test_a_source_that_cannot_be_opened_is_a_source_error(tmp_path):
    with pytest.raises(SourceError, match="no such video file"):
        Capture(parse_source(str(tmp_path / "missing.avi"))).start()
    junk = tmp_path / "junk.avi"
    junk.write_bytes(b"not a video at all")
    with pytest.raises(SourceError, match="cannot open"):
        open_source(parse_source(str(junk)))


def test_picamera_without_picamera2_is_a_clear_missing_dependency(monkeypatch):
    import sys

    from edge_runtime.errors import MissingDependencyError

    monkeypatch.setitem(sys.modules, "picamera2", None)  # import fails
    with pytest.raises(MissingDependencyError, match="python3-picamera2"):
        open_source(parse_source("picamera"))
