"""Real services for the camera tests: a mosquitto broker on a free loopback port, a
paho subscriber, the Debian packages they need, and a camera run in a thread
(imported by name: pytest puts this folder on sys.path).

The packages are installed by ``scripts/test_packages.sh`` (apt-get, as root), as the
Pi emulation test installs qemu. Without them a test skips only where they cannot be
installed (not root) and this is not CI; in CI a missing broker fails.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SBIN = ":/usr/local/sbin:/usr/sbin:/sbin"
# The held clip (conftest.py): 36 pages, each in view for 8 frames, at 24 FPS (12 s).
FPS = 24.0
HOLD = 8
PAGES = 36


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def need_commands(**commands: str) -> dict[str, str]:
    """Paths of the commands (name=Debian package), installing what is missing.

    Skips when they are missing and cannot be installed outside CI; fails in CI.
    """
    found = {c: shutil.which(c, path=os.environ.get("PATH", "") + SBIN) for c in commands}
    if all(found.values()):
        return {c: str(p) for c, p in found.items()}
    missing = " ".join(commands[c] for c, p in found.items() if not p)
    if os.geteuid() != 0 and not in_ci():
        pytest.skip(f"{missing} not installed, and installing needs root")
    pairs = [f"{c}={p}" for c, p in commands.items()]
    result = subprocess.run(
        ["bash", str(REPO / "scripts" / "test_packages.sh"), *pairs],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"cannot install {missing}: {result.stdout}{result.stderr}".strip())
    found = {c: shutil.which(c, path=os.environ.get("PATH", "") + SBIN) for c in commands}
    return {c: str(p) for c, p in found.items() if p}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, up: bool = True, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                if up:
                    return
        except OSError:
            if not up:
                return
        time.sleep(0.05)
    raise AssertionError(f"port {port} did not go {'up' if up else 'down'} in {timeout} s")


class Running:
    """A CameraApp in a thread (its stderr kept), stopped at the end."""

    def __init__(self, config, **kwargs) -> None:
        from camera_demo.loop import CameraApp

        self.err = io.StringIO()
        self.app = CameraApp(config, stdout=io.StringIO(), stderr=self.err, **kwargs)
        self.result: dict = {}
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        assert self.app.serving.wait(15), self.err.getvalue()
        self.base = f"http://127.0.0.1:{self.app.server_address[1]}"

    def _run(self) -> None:
        try:
            self.result["summary"] = self.app.run()
        except BaseException as exc:  # surfaced by stop()
            self.result["error"] = exc

    def get(self, path: str, headers: dict | None = None) -> tuple[int, bytes]:
        request = urllib.request.Request(self.base + path, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def metrics(self, headers: dict | None = None) -> dict:
        """/metrics parsed by prometheus_client: (name, labels) -> value."""
        from prometheus_client.parser import text_string_to_metric_families

        status, body = self.get("/metrics", headers)
        assert status == 200, body
        return {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(body.decode())
            for s in family.samples
        }

    def stop(self):
        self.app.stop()
        self.thread.join(15)
        assert not self.thread.is_alive()
        if "error" in self.result:
            raise self.result["error"]
        return self.result["summary"]


def wait_until(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def edgecnn(*args: str) -> list[str]:
    script = Path(sys.executable).with_name("edgecnn")
    if script.is_file():
        return [str(script), *args]
    return [sys.executable, "-c", "from edgecnn.cli import main; main()", *args]


class Camera:
    """``edgecnn camera`` in its own process, its stderr in a file."""

    def __init__(self, tmp: Path, clip: Path, *extra: str) -> None:
        self.stderr_path = tmp / "camera.stderr"
        self.jsonl, self.summary = tmp / "frames.jsonl", tmp / "summary.json"
        command = edgecnn(
            "camera",
            "--source",
            str(clip),
            "--headless",
            "--quiet",
            "--json-out",
            str(self.jsonl),
            "--summary-out",
            str(self.summary),
            "--serve",
            "127.0.0.1:0",  # also paces the file at its frame rate, as a camera would
            *extra,
        )
        with open(self.stderr_path, "wb") as err:
            self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err)
        self.base = self._wait_serving()

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text()

    def _wait_serving(self) -> str:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            found = re.search(r"serving (http://127\.0\.0\.1:\d+)/", self.stderr)
            if found:
                return found.group(1)
            assert self.process.poll() is None, self.stderr
            time.sleep(0.05)
        raise AssertionError(f"the camera did not start serving:\n{self.stderr}")

    def metrics(self) -> dict[str, float]:
        """/metrics parsed by prometheus_client: name -> value (unlabelled samples)."""
        from prometheus_client.parser import text_string_to_metric_families

        text = urllib.request.urlopen(self.base + "/metrics", timeout=5).read().decode()
        return {
            sample.name: sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if not sample.labels
        }

    def wait(self, timeout: float = 60) -> int:
        return self.process.wait(timeout=timeout)


class Broker:
    """mosquitto on 127.0.0.1:PORT, anonymous, no persistence; stop() and start() again."""

    def __init__(self, binary: str, folder: Path) -> None:
        self.binary, self.port = binary, free_port()
        self.config = folder / "mosquitto.conf"
        self.log = folder / "mosquitto.log"
        self.config.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
        )
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        with open(self.log, "ab") as log:
            self._process = subprocess.Popen(
                [self.binary, "-c", str(self.config)], stdout=log, stderr=subprocess.STDOUT
            )
        wait_port(self.port)

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            process.terminate()
            process.wait(timeout=10)
        wait_port(self.port, up=False)


class Subscriber:
    """A real paho client on ``topic`` (``#`` wildcards allowed), reconnecting like any
    client; every message is kept with the time it arrived."""

    def __init__(self, port: int, topic: str) -> None:
        import paho.mqtt.client as mqtt

        self.messages: list[tuple[float, str, bytes, bool]] = []
        self.connected = threading.Event()
        self._lock = threading.Lock()
        self._topic = topic
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
        client.reconnect_delay_set(0.2, 1.0)
        client.on_connect = self._on_connect
        client.on_message = self._on_message
        client.on_disconnect = lambda *a: self.connected.clear()
        client.connect_async("127.0.0.1", port, keepalive=10)
        client.loop_start()
        self._client = client

    def _on_connect(self, client, userdata, flags, reason, props) -> None:
        client.subscribe(self._topic, qos=1)
        self.connected.set()

    def _on_message(self, client, userdata, message) -> None:
        with self._lock:
            self.messages.append(
                (time.monotonic(), message.topic, message.payload, bool(message.retain))
            )

    def on(self, topic: str) -> list[tuple[float, bytes]]:
        with self._lock:
            return [(t, p) for t, top, p, _ in self.messages if top == topic]

    def readings(self, topic: str) -> list[tuple[float, dict]]:
        return [(t, json.loads(p)) for t, p in self.on(topic)]

    def wait_for(self, predicate, timeout: float = 20.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.05)
        return predicate()

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()
