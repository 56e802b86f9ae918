"""Serve the annotated stream, the readings and the run's health over HTTP (stdlib).

``/``               a small page: the live stream and the latest reading (polled)
``/stream.mjpg``    the annotated frames as MJPEG (``multipart/x-mixed-replace``);
                    at most ``max_clients`` at once, the rest get 503
``/latest.json``    the latest frame's reading: frame, digits, confidences, FPS, latency
``/reading.json``   the latest *stable* reading (what MQTT publishes)
``/metrics``        Prometheus text (:mod:`camera_demo.metrics`)
``/healthz``        200 while frames flow, 503 when the source is lost

Frames are JPEG-encoded by the HTTP threads, once per frame however many viewers
there are, and only while someone watches: serving costs the camera loop a frame
reference per frame, nothing more, and a slow or stuck client only ever holds its
own thread (sockets time out after ``client_timeout_s``). A client that goes away is
one log line, never a traceback.

With a token every request needs it (``Authorization: Bearer TOKEN`` or
``?token=TOKEN``), else 401; a non-loopback address without one is refused by
:class:`camera_demo.config.CameraConfig`.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import socket
import sys
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from camera_demo.feed import LiveFeed
from camera_demo.webpage import PAGE
from edge_runtime.errors import SourceError

BOUNDARY = "frame"
MAX_CONNECTIONS = 256  # open connections of every kind; more are closed at once


def parse_address(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:8000`` for IPv6; port 0 picks a free one) -> (host, port);
    ``PORT`` or ``:PORT`` alone listens on 127.0.0.1.

    Raises:
        ValueError: not HOST:PORT with a port in 0-65535.
    """
    host, _, port = text.strip().rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    if not port.isdigit() or not 0 <= int(port) <= 65535:
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


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64  # listen backlog: dozens of pollers connecting at once
    feed: LiveFeed
    title: str
    token: bytes | None
    max_clients: int
    client_timeout_s: float
    metrics: Any
    reading: Callable[[], dict[str, Any] | None]
    log: Callable[[str], None]

    def __init__(self, address: tuple[str, int]) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)
        self.lock = threading.Lock()
        self.connections = 0
        self.streams = 0

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.lock:
            full = self.connections >= MAX_CONNECTIONS
            if not full:
                self.connections += 1
        if full:
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:  # no thread started: nobody else will count it down
            self._done()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._done()

    def _done(self) -> None:
        with self.lock:
            self.connections -= 1

    def handle_error(self, request: Any, client_address: Any) -> None:
        # The default prints a traceback; a client that goes away is a normal event.
        exc = sys.exc_info()[1]
        self.log(f"http: {_peer(client_address)}: {type(exc).__name__}: {exc}")


def _peer(address: Any) -> str:
    try:
        return f"{address[0]}:{address[1]}"
    except (TypeError, IndexError):
        return str(address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.client_timeout_s)  # a stuck client times out

    def do_GET(self) -> None:
        path, _, query = self.path.partition("?")
        if not self._authorized(query):
            self._send(HTTPStatus.UNAUTHORIZED, "text/plain", b"unauthorized\n", bearer=True)
            return
        server = self.server
        if path in ("/", "/index.html"):
            page = PAGE.replace("{title}", server.title).encode()
            self._send(HTTPStatus.OK, "text/html; charset=utf-8", page)
        elif path == "/latest.json":
            self._json(server.feed.latest())
        elif path == "/reading.json":
            self._json(server.reading() or EMPTY_READING)
        elif path == "/metrics" and server.metrics is not None:
            self._send(HTTPStatus.OK, METRICS_TYPE, server.metrics.render().encode())
        elif path == "/healthz" and server.metrics is not None:
            health = server.metrics.health()
            status = HTTPStatus.OK if health.ok else HTTPStatus.SERVICE_UNAVAILABLE
            self._send(status, "text/plain", f"{health.reason}\n".encode())
        elif path == "/stream.mjpg":
            self._stream()
        else:
            self._send(HTTPStatus.NOT_FOUND, "text/plain", b"not found\n")

    def _authorized(self, query: str) -> bool:
        token = self.server.token
        if token is None:
            return True
        given = self.headers.get("Authorization", "")
        offered = given[7:].strip() if given[:7].lower() == "bearer " else None
        if offered is None:
            offered = next(iter(parse_qs(query).get("token", [])), None)
        return offered is not None and hmac.compare_digest(offered.encode(), token)

    def _json(self, data: dict[str, Any]) -> None:
        self._send(HTTPStatus.OK, "application/json", json.dumps(data).encode())

    def _send(self, status: HTTPStatus, kind: str, body: bytes, bearer: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        if bearer:
            self.send_header("WWW-Authenticate", 'Bearer realm="edgecnn"')
        self.end_headers()
        self.wfile.write(body)

    def _stream(self) -> None:
        server = self.server
        with server.lock:
            full = server.streams >= server.max_clients
            if not full:
                server.streams += 1
                self._count_streams(server.streams)
        if full:
            body = f"too many viewers (at most {server.max_clients})\n".encode()
            self._send(HTTPStatus.SERVICE_UNAVAILABLE, "text/plain", body)
            return
        try:
            self._frames()
        except OSError as exc:  # gone, reset, or stuck past the timeout
            server.log(f"http: viewer {_peer(self.client_address)} left ({type(exc).__name__})")
        finally:
            with server.lock:
                server.streams -= 1
                self._count_streams(server.streams)

    def _count_streams(self, count: int) -> None:
        if self.server.metrics is not None:
            self.server.metrics.stream_clients = count

    def _frames(self) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        feed, seq = self.server.feed, 0
        while True:
            got = feed.wait_jpeg(seq, timeout=1.0)
            if got is None:
                if feed.closed:
                    self.wfile.write(f"--{BOUNDARY}--\r\n".encode())  # the last part
                    return
                continue
            seq, jpeg = got
            head = (
                f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n"
            ).encode()
            self.wfile.write(head + jpeg + b"\r\n")
            self.wfile.flush()

    def log_message(self, format: str, *args: Any) -> None:
        return  # one line per request would drown the camera's own output


class StreamServer:
    """A ThreadingHTTPServer in a daemon thread, serving one :class:`LiveFeed`."""

    def __init__(
        self,
        feed: LiveFeed,
        host: str,
        port: int,
        title: str = "edgecnn camera",
        *,
        token: str | None = None,
        max_clients: int = 4,
        client_timeout_s: float = 10.0,
        metrics: Any = None,
        reading: Callable[[], dict[str, Any] | None] | None = None,
        log: Callable[[str], None] = _stderr,
    ) -> None:
        """Args:
        feed: the frames and readings to serve.
        host, port: where to listen (port 0: a free one).
        title: the page's title.
        token: required of every request when given.
        max_clients: MJPEG viewers at once.
        client_timeout_s: a socket that neither sends nor takes data this long is closed.
        metrics: a :class:`camera_demo.metrics.RunMetrics` (``/metrics``, ``/healthz``).
        reading: the latest stable reading (``/reading.json``).
        log: where one-line events go.
        """
        if max_clients < 1:
            raise ValueError(f"--max-clients must be >= 1, got {max_clients}")
        self.feed = feed
        self._host, self._port, self._title = host, port, title
        self._token = token.encode() if token else None
        self._max_clients, self._timeout = max_clients, client_timeout_s
        self._metrics, self._reading, self._log = metrics, reading or (lambda: None), log
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
            server = _Server((self._host, self._port))
        except OSError as exc:
            raise SourceError(f"--serve {self._host}:{self._port}: cannot listen ({exc})") from exc
        server.feed, server.title, server.token = self.feed, self._title, self._token
        server.max_clients, server.client_timeout_s = self._max_clients, self._timeout
        server.metrics, server.reading, server.log = self._metrics, self._reading, self._log
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


METRICS_TYPE = "text/plain; version=0.0.4; charset=utf-8"
EMPTY_READING: dict[str, Any] = {"text": None, "lines": [], "numbers": [], "digits": []}
