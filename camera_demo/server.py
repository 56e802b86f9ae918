"""Serve the annotated stream over HTTP with the standard library.

``/``             a small page: the live stream and the latest reading (polled)
``/stream.mjpg``  the annotated frames as MJPEG (``multipart/x-mixed-replace``)
``/latest.json``  the latest reading: frame, digits, confidences, FPS, latency

Frames are JPEG-encoded by the HTTP threads, once per frame however many viewers
there are, and only while someone watches: serving costs the camera loop a frame
reference per frame, nothing more. There is no authentication: bind to a loopback
address unless the network is yours.
"""

from __future__ import annotations

import ipaddress
import json
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np

from edge_runtime._deps import require
from edge_runtime.errors import SourceError

BOUNDARY = "frame"
JPEG_QUALITY = 80


def parse_address(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:8000`` for IPv6; port 0 picks a free one) -> (host, port).

    Raises:
        ValueError: not HOST:PORT with a port in 0-65535.
    """
    host, sep, port = text.strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"--serve {text!r}: expected HOST:PORT, e.g. 127.0.0.1:8000")
    return host, int(port)


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback IP addresses."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class LiveFeed:
    """The newest annotated frame and reading, shared with the HTTP threads."""

    def __init__(self, jpeg_quality: int = JPEG_QUALITY) -> None:
        self._cond = threading.Condition()
        self._image: np.ndarray | None = None
        self._info: dict[str, Any] = {
            "frame": None,
            "digits": [],
            "lines": [],
            "text": "",
            "ended": False,
        }
        self._seq = 0
        self._jpeg: tuple[int, bytes] = (0, b"")
        self._quality = jpeg_quality
        self.closed = False

    def publish(self, image: np.ndarray, info: dict[str, Any]) -> None:
        """Offer a new frame (not modified afterwards by the caller) and its reading."""
        with self._cond:
            self._image, self._info = image, info
            self._seq += 1
            self._cond.notify_all()

    def latest(self) -> dict[str, Any]:
        """The latest reading, as JSON-ready data."""
        with self._cond:
            return dict(self._info, ended=self.closed)

    def wait_jpeg(self, after: int, timeout: float) -> tuple[int, bytes] | None:
        """The first frame newer than ``after`` as JPEG, or None on timeout or close."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._seq > after or self.closed, timeout):
                return None
            if self._seq <= after or self._image is None:
                return None
            seq, image = self._seq, self._image
            if self._jpeg[0] == seq:
                return self._jpeg
        cv2: Any = require("cv2", "edge")
        ok, buffer = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, self._quality])
        if not ok:
            return None
        encoded = (seq, buffer.tobytes())
        with self._cond:
            if self._jpeg[0] < seq:
                self._jpeg = encoded
        return encoded

    def close(self) -> None:
        """No more frames: viewers' streams end."""
        with self._cond:
            self.closed = True
            self._cond.notify_all()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    feed: LiveFeed
    title: str


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path in ("/", "/index.html"):
            self._send(
                HTTPStatus.OK,
                "text/html; charset=utf-8",
                PAGE.replace("{title}", self.server.title).encode(),
            )
        elif path == "/latest.json":
            self._send(
                HTTPStatus.OK, "application/json", json.dumps(self.server.feed.latest()).encode()
            )
        elif path == "/stream.mjpg":
            self._stream()
        else:
            self._send(HTTPStatus.NOT_FOUND, "text/plain", b"not found\n")

    def _send(self, status: HTTPStatus, kind: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _stream(self) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        feed, seq = self.server.feed, 0
        try:
            while True:
                got = feed.wait_jpeg(seq, timeout=1.0)
                if got is None:
                    if feed.closed:
                        self.wfile.write(f"--{BOUNDARY}--\r\n".encode())  # the last part
                        return
                    continue
                seq, jpeg = got
                head = (
                    f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\n"
                    f"Content-Length: {len(jpeg)}\r\n\r\n"
                ).encode()
                self.wfile.write(head + jpeg + b"\r\n")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            return  # the viewer went away

    def log_message(self, format: str, *args: Any) -> None:
        return  # one line per request would drown the camera's own output


class StreamServer:
    """A ThreadingHTTPServer in a daemon thread, serving one :class:`LiveFeed`."""

    def __init__(self, feed: LiveFeed, host: str, port: int, title: str = "edgecnn camera") -> None:
        self.feed = feed
        self._host, self._port, self._title = host, port, title
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> tuple[str, int]:
        """Bind and start serving.

        Returns:
            The bound (host, port); the port is the real one when 0 was asked for.

        Raises:
            SourceError: the address cannot be bound (in use, not local, ...).
        """
        try:
            server = _Server((self._host, self._port), _Handler)
        except OSError as exc:
            raise SourceError(f"--serve {self._host}:{self._port}: cannot listen ({exc})") from exc
        server.feed, server.title = self.feed, self._title
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.2}, name="http", daemon=True
        )
        self._thread.start()
        return self.address

    @property
    def address(self) -> tuple[str, int]:
        """The bound (host, port)."""
        if self._server is None:
            return self._host, self._port
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def stop(self) -> None:
        """End every stream and stop serving."""
        self.feed.close()
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5.0)


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
 body { margin: 0; font-family: system-ui, sans-serif; background: #16181d; color: #e8e8e8; }
 header { padding: 10px 16px; background: #22252c; font-size: 18px; }
 header small { color: #9aa0aa; margin-left: 8px; }
 * { box-sizing: border-box; }
 main { display: flex; flex-wrap: wrap; gap: 16px; padding: 16px; align-items: flex-start; }
 #video { flex: 0 1 640px; max-width: 640px; min-width: 0; border-radius: 6px; background: #000; }
 #panel { flex: 1 1 160px; min-width: 160px; background: #22252c; border-radius: 6px;
          padding: 12px 16px; }
 #digits { font-size: 56px; font-weight: 600; letter-spacing: 8px; min-height: 68px; }
 .rejected { color: #ff8c00; }
 table { border-collapse: collapse; margin-top: 8px; }
 td { padding: 2px 8px 2px 0; color: #c8ccd4; vertical-align: top; }
 td:first-child { color: #9aa0aa; }
 #status { margin-top: 10px; color: #9aa0aa; font-size: 13px; }
</style></head>
<body>
<header>{title}<small>digits read live by an int8 TFLite CNN</small></header>
<main>
 <img id="video" src="/stream.mjpg" alt="annotated camera stream">
 <div id="panel">
  <div>Reading</div>
  <div id="digits">&ndash;</div>
  <table>
   <tr><td>confidence</td><td id="conf">&ndash;</td></tr>
   <tr><td>frame</td><td id="frame">&ndash;</td></tr>
   <tr><td>FPS</td><td id="fps">&ndash;</td></tr>
   <tr><td>latency</td><td id="latency">&ndash;</td></tr>
  </table>
  <div id="status">connecting&hellip;</div>
 </div>
</main>
<script>
const $ = (id) => document.getElementById(id);
function show(d) {
  const box = $("digits");
  box.textContent = "";
  if (!d.digits || d.digits.length === 0) { box.textContent = "\\u2013"; }
  // one row per line, its numbers apart, an unread digit as an orange "?"
  const all = (d.digits || []).map((_, i) => i);
  const lines = d.lines || [{ digits: all, numbers: [all.map(() => "x").join("")] }];
  for (const line of lines) {
    const row = document.createElement("div");
    let k = 0;
    line.numbers.forEach((number, n) => {
      if (n > 0) row.appendChild(document.createTextNode(" "));
      for (let j = 0; j < number.length; j++, k++) {
        const r = d.digits[line.digits[k]];
        const span = document.createElement("span");
        span.textContent = r.digit === null ? "?" : String(r.digit);
        if (r.digit === null) span.className = "rejected";
        row.appendChild(span);
      }
    });
    box.appendChild(row);
  }
  const conf = (d.digits || []).map(r => (100 * r.confidence).toFixed(0) + "%");
  $("conf").textContent = conf.join("  ") || "\\u2013";
  $("frame").textContent = d.frame === null ? "\\u2013" : d.frame;
  $("fps").textContent = d.fps ? d.fps.toFixed(1) : "\\u2013";
  $("latency").textContent = d.latency_ms ? d.latency_ms.toFixed(1) + " ms" : "\\u2013";
  $("status").textContent = d.ended ? "source ended" : "live";
}
async function poll() {
  try {
    const r = await fetch("/latest.json", { cache: "no-store" });
    show(await r.json());
  } catch (e) {
    $("status").textContent = "disconnected";
  }
  setTimeout(poll, 300);
}
poll();
</script>
</body></html>
"""
