"""--serve for a service: /metrics (parsed as Prometheus text), /healthz (503 once the
source dies), /reading.json, the token on a non-loopback bind, --max-clients, and
viewers that vanish without a traceback. All on loopback."""

from __future__ import annotations

import json
import socket
import struct
import time
from pathlib import Path

import pytest
from camera_fakes import ClipCamera
from services import Running, wait_until
from typer.testing import CliRunner

from camera_demo.config import CameraConfig
from camera_demo.metrics import cpu_temperature, file_sha256
from edgecnn.cli import app as cli

pytest.importorskip("prometheus_client.parser")

SAMPLE_CLIP = Path(__file__).resolve().parents[2] / "data" / "samples" / "digits_clip.avi"
TOKEN = "s3cret-token"


@pytest.fixture
def camera_clip(short_clip) -> Path:
    return SAMPLE_CLIP if SAMPLE_CLIP.is_file() else short_clip


def test_metrics_move_and_healthz_turns_503_when_the_source_dies(held_clip, model_path):
    camera = ClipCamera(held_clip, fps=30)
    run = Running(
        CameraConfig(source="0", model=model_path, serve="127.0.0.1:0"), opener=camera.opener
    )
    try:
        assert wait_until(lambda: run.get("/healthz")[0] == 200), run.err.getvalue()
        first = run.metrics()
        time.sleep(1.0)
        second = run.metrics()
        frames = ("edgecnn_frames_total", ())
        assert second[frames] > first[frames] > 0
        assert second[("edgecnn_frame_latency_seconds_count", ())] == second[frames]
        inf = ("edgecnn_frame_latency_seconds_bucket", (("le", "+Inf"),))
        assert second[inf] == second[frames]
        assert second[("edgecnn_frame_latency_seconds_sum", ())] > 0
        assert second[("edgecnn_fps", ())] > 5
        assert second[("edgecnn_source_up", ())] == 1
        assert ("edgecnn_dropped_frames_total", ()) in second
        assert second[("edgecnn_stable_readings_total", ())] >= 1
        info = [k for k in second if k[0] == "edgecnn_model_info"]
        assert dict(info[0][1])["sha256"] == file_sha256(model_path)
        has_thermal = cpu_temperature() is not None
        assert (("edgecnn_cpu_temperature_celsius", ()) in second) == has_thermal

        status, body = run.get("/reading.json")
        reading = json.loads(body)
        assert status == 200 and reading["stable"] == "3/5" and reading["digits"]

        camera.unplug()
        assert wait_until(lambda: run.get("/healthz")[0] == 503), run.err.getvalue()
        assert run.get("/healthz")[1] == b"source lost\n"
        assert run.metrics()[("edgecnn_source_up", ())] == 0
    finally:
        summary = run.stop()
    assert summary.frames >= second[frames]
    assert "stopped delivering frames" in run.err.getvalue()


def test_cpu_temperature_reads_the_cpu_zone(tmp_path):
    assert cpu_temperature(tmp_path) is None
    for n, (kind, milli) in enumerate([("acpitz", "30000"), ("cpu-thermal", "48312")]):
        zone = tmp_path / f"thermal_zone{n}"
        zone.mkdir()
        (zone / "type").write_text(kind + "\n")
        (zone / "temp").write_text(milli + "\n")
    assert cpu_temperature(tmp_path) == pytest.approx(48.312)


def test_a_token_guards_a_non_loopback_bind(camera_clip, classifier):
    # bound to every address, spoken to only on loopback
    config = CameraConfig(source=str(camera_clip), serve="0.0.0.0:0", token=TOKEN)
    run = Running(config, classifier=classifier)
    try:
        for path in ("/metrics", "/healthz", "/reading.json", "/latest.json", "/", "/stream.mjpg"):
            status, _ = run.get(path)
            assert status == 401, path
            assert run.get(path, {"Authorization": "Bearer wrong"})[0] == 401
            assert run.get(f"{path}?token=wrong")[0] == 401
        assert run.get("/metrics", {"Authorization": f"Bearer {TOKEN}"})[0] == 200
        assert run.get(f"/reading.json?token={TOKEN}")[0] == 200
        page = run.get(f"/?token={TOKEN}")[1].decode()
        assert "?token=" in page  # the page passes it on to the stream and the readings
    finally:
        run.stop()
    assert "(token required)" in run.err.getvalue()


def test_no_token_no_network_bind(monkeypatch):
    with pytest.raises(ValueError, match="token"):
        CameraConfig(serve="0.0.0.0:8000")
    CameraConfig(serve="127.0.0.1:8000")  # loopback needs none
    CameraConfig(serve="8000")
    runner = CliRunner()
    result = runner.invoke(cli, ["camera", "--serve", "0.0.0.0:0"])
    assert result.exit_code == 2 and "EDGECNN_TOKEN" in result.stderr
    assert result.stderr.count("\n") == 1
    config = CameraConfig(serve="0.0.0.0:0", token="from-env")
    assert config.token == "from-env" and "from-env" not in repr(config)


def open_stream(base: str) -> socket.socket:
    port = int(base.rsplit(":", 1)[1])
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(b"GET /stream.mjpg HTTP/1.0\r\n\r\n")
    return sock


def status_of(sock: socket.socket) -> int:
    head = b""
    while b"\r\n" not in head:
        chunk = sock.recv(64)
        if not chunk:
            break
        head += chunk
    return int(head.split()[1])


def test_max_clients_caps_the_streams(camera_clip, classifier):
    run = Running(
        CameraConfig(source=str(camera_clip), serve="127.0.0.1:0", max_clients=2),
        classifier=classifier,
    )
    try:
        a, b = open_stream(run.base), open_stream(run.base)
        assert status_of(a) == 200 and status_of(b) == 200
        assert wait_until(lambda: run.app.metrics.stream_clients == 2)
        c = open_stream(run.base)
        assert status_of(c) == 503
        a.close()
        assert wait_until(lambda: run.app.metrics.stream_clients == 1, 15)
        d = open_stream(run.base)
        assert status_of(d) == 200
        for s in (b, c, d):
            s.close()
    finally:
        run.stop()


def test_viewers_that_vanish_leave_one_line_each_and_no_traceback(camera_clip, classifier):
    run = Running(
        CameraConfig(source=str(camera_clip), serve="127.0.0.1:0", max_clients=20),
        classifier=classifier,
    )
    try:
        before = run.err.getvalue().count("\n")
        viewers = [open_stream(run.base) for _ in range(20)]
        for sock in viewers:
            assert status_of(sock) == 200
            sock.recv(20000)  # a part or two of the stream
        for sock in viewers:  # reset, not a polite close: as a browser tab killed
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
        assert wait_until(lambda: run.app.metrics.stream_clients == 0, 15)
        time.sleep(0.3)
    finally:
        run.stop()
    lines = run.err.getvalue().splitlines()[before:]
    assert "Traceback" not in run.err.getvalue()
    assert sum("http:" in line for line in lines) <= 20, lines
