"""--serve: the page, /latest.json and the MJPEG stream, served while the clip plays."""

from __future__ import annotations

import io
import json
import threading
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from camera_demo.config import CameraConfig
from camera_demo.loop import CameraApp
from camera_demo.server import LiveFeed, StreamServer, is_loopback, parse_address

cv2 = pytest.importorskip("cv2")

SAMPLE_CLIP = Path(__file__).resolve().parents[2] / "data" / "samples" / "digits_clip.avi"


def read_parts(response, count):
    """Read ``count`` JPEG parts of a multipart/x-mixed-replace response."""
    boundary = response.headers.get_content_type(), response.headers.get_param("boundary")
    assert boundary == ("multipart/x-mixed-replace", "frame")
    parts = []
    while len(parts) < count:
        line = response.readline()
        if line.strip() != b"--frame":
            continue
        headers = {}
        while line := response.readline().strip():
            key, _, value = line.decode().partition(":")
            headers[key.lower()] = value.strip()
        assert headers["content-type"] == "image/jpeg"
        parts.append(response.read(int(headers["content-length"])))
    return parts


@pytest.fixture
def served(short_clip, classifier):
    """The camera serving the clip on an ephemeral loopback port, in a thread."""
    clip = SAMPLE_CLIP if SAMPLE_CLIP.is_file() else short_clip  # paced: 10 s vs 1.25 s
    app = CameraApp(
        CameraConfig(source=str(clip), serve="127.0.0.1:0"),
        classifier=classifier,
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    result = {}
    thread = threading.Thread(target=lambda: result.setdefault("summary", app.run()))
    thread.start()
    assert app.serving.wait(10.0), "the server did not start"
    yield app, f"http://127.0.0.1:{app.server_address[1]}"
    app.stop()
    thread.join(10.0)
    assert not thread.is_alive()
    assert result["summary"].frames >= 1


def test_the_page_the_latest_reading_and_the_stream(served):
    _, base = served
    page = urllib.request.urlopen(base + "/", timeout=5).read().decode()
    assert "/stream.mjpg" in page and "/latest.json" in page and "<img" in page

    with urllib.request.urlopen(base + "/stream.mjpg", timeout=5) as response:
        parts = read_parts(response, 3)
    images = [cv2.imdecode(np.frombuffer(p, np.uint8), cv2.IMREAD_COLOR) for p in parts]
    assert all(img is not None and img.shape == (480, 640, 3) for img in images)
    assert len({p for p in parts}) == 3  # three different frames

    latest = json.loads(urllib.request.urlopen(base + "/latest.json", timeout=5).read())
    assert latest["frame"] is not None and latest["frame"] >= 2
    assert {"frame", "timestamp", "latency_ms", "digits", "fps", "ended"} <= set(latest)
    for digit in latest["digits"]:
        assert set(digit) == {"digit", "confidence", "box"}

    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(base + "/nothing", timeout=5)
    assert missing.value.code == 404


def test_streams_end_when_the_feed_closes():
    feed = LiveFeed()
    server = StreamServer(feed, "127.0.0.1", 0)
    host, port = server.start()
    try:
        feed.publish(np.zeros((48, 64, 3), np.uint8), {"frame": 0, "digits": []})
        with urllib.request.urlopen(f"http://{host}:{port}/stream.mjpg", timeout=5) as response:
            assert len(read_parts(response, 1)[0]) > 100
            feed.close()
            assert response.read() == b"\r\n--frame--\r\n"  # it ends instead of hanging
        latest = json.loads(
            urllib.request.urlopen(f"http://{host}:{port}/latest.json", timeout=5).read()
        )
        assert latest["ended"] is True and latest["frame"] == 0
    finally:
        server.stop()


def test_parse_address_and_loopback():
    assert parse_address("127.0.0.1:8000") == ("127.0.0.1", 8000)
    assert parse_address("[::1]:0") == ("::1", 0)
    # a port alone listens on loopback: --serve never opens to the network by default
    assert parse_address("8000") == parse_address(":8000") == ("127.0.0.1", 8000)
    for bad in ("", "host:", "h:70000", "h:x", "0.0.0.0"):
        with pytest.raises(ValueError):
            parse_address(bad)
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")
