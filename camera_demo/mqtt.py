"""Publish stable readings to an MQTT broker, without ever holding up the frame loop.

``--mqtt mqtt[s]://[USER:PASS@]HOST[:PORT][/PREFIX][?ca=FILE]`` (paho-mqtt, the
``mqtt`` extra). Topics, all retained:

``PREFIX/reading``  the latest stable reading as JSON (see :mod:`camera_demo.stable`)
``PREFIX/status``   ``online`` while connected; ``offline`` at the end, and as the
                    last will when the camera dies without a word
``homeassistant/sensor/<id>/reading/config``  with ``--ha-discovery``: a sensor
                    Home Assistant creates by itself

The frame loop only appends to a bounded queue (:meth:`MqttPublisher.offer`); a
publisher thread sends while connected. When the queue is full the oldest reading is
dropped and counted (the newest is what a retained topic should hold). paho's network
thread reconnects with exponential back-off; a broker that is down at the start is
not an error, only a log line.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from edge_runtime._deps import require

_TOPIC_LEVEL = re.compile(r"[^/#+\x00]+")


def default_prefix(hostname: str | None = None) -> str:
    """``edgecnn/<short hostname>``, with anything unusual in the name made ``_``."""
    name = (hostname or socket.gethostname()).split(".")[0]
    return "edgecnn/" + (re.sub(r"[^A-Za-z0-9_-]", "_", name) or "camera")


@dataclass(frozen=True)
class MqttConfig:
    """Where and how to publish (from :func:`parse_mqtt_url`)."""

    host: str
    port: int
    prefix: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    tls: bool = False
    ca_file: Path | None = None
    ha_discovery: bool = False
    discovery_prefix: str = "homeassistant"
    keepalive_s: int = 30
    backoff_s: tuple[float, float] = (0.5, 30.0)
    queue_size: int = 64

    def __post_init__(self) -> None:
        if not all(_TOPIC_LEVEL.fullmatch(level) for level in self.prefix.split("/")):
            raise ValueError(f"--mqtt: topic prefix {self.prefix!r} has an empty level, + or #")
        if self.backoff_s[0] <= 0 or self.backoff_s[1] < self.backoff_s[0]:
            raise ValueError(f"MQTT back-off must be 0 < first <= longest, got {self.backoff_s}")
        if self.queue_size < 1:
            raise ValueError(f"MQTT queue size must be >= 1, got {self.queue_size}")

    @property
    def reading_topic(self) -> str:
        return f"{self.prefix}/reading"

    @property
    def status_topic(self) -> str:
        return f"{self.prefix}/status"

    @property
    def node_id(self) -> str:
        """The prefix as an identifier (Home Assistant's ``unique_id`` and object id)."""
        return re.sub(r"[^A-Za-z0-9_-]", "_", self.prefix)

    @property
    def discovery_topic(self) -> str:
        return f"{self.discovery_prefix}/sensor/{self.node_id}/reading/config"

    def url(self) -> str:
        """The broker's URL without the password, for log lines."""
        user = f"{self.username}@" if self.username else ""
        return f"{'mqtts' if self.tls else 'mqtt'}://{user}{self.host}:{self.port}/{self.prefix}"


def parse_mqtt_url(text: str, *, ha_discovery: bool = False) -> MqttConfig:
    """``mqtt[s]://[USER:PASS@]HOST[:PORT][/PREFIX][?ca=FILE]`` -> MqttConfig.

    The port defaults to 1883 (8883 for ``mqtts``), the prefix to ``edgecnn/<hostname>``.

    Raises:
        ValueError: not such a URL (exit code 2 on the command line).
    """
    try:
        url = urlsplit(text.strip())
        port = url.port
    except ValueError as exc:
        raise ValueError(f"--mqtt {text!r}: {exc}") from None
    if url.scheme not in ("mqtt", "mqtts") or not url.hostname:
        raise ValueError(
            f"--mqtt {text!r}: expected mqtt[s]://[USER:PASS@]HOST[:PORT][/PREFIX], "
            "e.g. mqtt://127.0.0.1:1883/edgecnn/pi"
        )
    if "#" in text:
        raise ValueError(f"--mqtt {text!r}: a topic prefix cannot hold # or +")
    query = parse_qs(url.query, keep_blank_values=True)
    unknown = sorted(set(query) - {"ca"})
    if unknown or len(query.get("ca", [])) > 1:
        raise ValueError(f"--mqtt {text!r}: the only query parameter is ca=FILE (once)")
    tls = url.scheme == "mqtts"
    ca = Path(query["ca"][0]) if "ca" in query else None
    if ca is not None and not tls:
        raise ValueError(f"--mqtt {text!r}: ca= needs mqtts://")
    if ca is not None and not ca.is_file():
        raise ValueError(f"--mqtt {text!r}: CA file {ca} not found")
    prefix = unquote(url.path).strip("/") or default_prefix()
    return MqttConfig(
        host=url.hostname,
        port=port or (8883 if tls else 1883),
        prefix=prefix,
        username=unquote(url.username) if url.username else None,
        password=unquote(url.password) if url.password is not None else None,
        tls=tls,
        ca_file=ca,
        ha_discovery=ha_discovery,
    )


def discovery_config(config: MqttConfig, version: str) -> dict[str, Any]:
    """Home Assistant's MQTT discovery payload for the reading sensor."""
    return {
        "name": "Reading",
        "unique_id": f"{config.node_id}_reading",
        "object_id": f"{config.node_id}_reading",
        "state_topic": config.reading_topic,
        "value_template": "{{ value_json.text }}",
        "json_attributes_topic": config.reading_topic,
        "availability_topic": config.status_topic,
        "payload_available": "online",
        "payload_not_available": "offline",
        "icon": "mdi:numeric",
        "device": {
            "identifiers": [config.node_id],
            "name": f"edgecnn {config.prefix.rsplit('/', 1)[-1]}",
            "manufacturer": "edgecnn",
            "model": "digit camera",
            "sw_version": version,
        },
    }


class MqttPublisher:
    """A paho client with its own network thread, fed through a bounded queue."""

    def __init__(
        self, config: MqttConfig, log: Callable[[str], None], *, version: str = ""
    ) -> None:
        self.config = config
        self._log, self._version = log, version
        self._cond = threading.Condition()
        self._queue: deque[dict[str, Any]] = deque()
        self._closing = False
        self._client: Any = None
        self._thread: threading.Thread | None = None
        self._last: dict[str, Any] | None = None  # republished after a reconnect
        self._lost_at: float | None = None
        self._failures = 0
        self.connected = False
        self.connects = 0  # successful connections (the first one included)
        self.published = 0  # readings handed to the broker's connection (QoS 1)
        self.dropped = 0  # readings dropped because the queue was full

    def start(self) -> MqttPublisher:
        """Start connecting (in the background) and the publisher thread.

        Raises:
            MissingDependencyError: paho-mqtt is not installed.
        """
        mqtt: Any = require("paho.mqtt.client", "mqtt")
        cfg = self.config
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="", clean_session=True)
        client.will_set(cfg.status_topic, "offline", qos=1, retain=True)
        if cfg.username is not None:
            client.username_pw_set(cfg.username, cfg.password)
        if cfg.tls:
            client.tls_set(ca_certs=str(cfg.ca_file) if cfg.ca_file else None)
        client.reconnect_delay_set(*cfg.backoff_s)
        client.max_queued_messages_set(cfg.queue_size)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_connect_fail = self._on_connect_fail
        self._client = client
        self._lost_at = time.monotonic()
        client.connect_async(cfg.host, cfg.port, keepalive=cfg.keepalive_s)
        client.loop_start()
        self._thread = threading.Thread(target=self._run, name="mqtt-publish", daemon=True)
        self._thread.start()
        return self

    def offer(self, reading: dict[str, Any]) -> None:
        """Queue a reading to publish; never blocks (a full queue drops its oldest)."""
        with self._cond:
            if len(self._queue) >= self.config.queue_size:
                self._queue.popleft()
                self.dropped += 1
            self._queue.append(reading)
            self._cond.notify()

    @property
    def state(self) -> str:
        """``connected`` or ``connecting`` (reconnecting with back-off)."""
        return "connected" if self.connected else "connecting"

    def close(self, timeout: float = 3.0) -> None:
        """Send what is queued (while connected), set the status offline, disconnect."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
        client, self._client = self._client, None
        if client is None:
            return
        if self.connected:
            info = client.publish(self.config.status_topic, "offline", qos=1, retain=True)
            with contextlib.suppress(RuntimeError, ValueError):  # gone during the wait
                info.wait_for_publish(timeout)
        client.disconnect()
        client.loop_stop()
        self.connected = False

    # -- threads -----------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._closing or (self._queue and self.connected))
                if not self._queue or not self.connected:
                    return  # closing: what cannot be sent now is dropped
                reading = self._queue.popleft()
            self._send(reading)

    def _send(self, reading: dict[str, Any]) -> None:
        client = self._client
        if client is None:
            return
        info = client.publish(self.config.reading_topic, json.dumps(reading), qos=1, retain=True)
        if info.rc == 0:  # sent, or kept by paho for the reconnection
            self.published += 1
            self._last = reading
        else:
            self.dropped += 1

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        cfg = self.config
        if reason.is_failure:
            self._log(f"mqtt: {cfg.host}:{cfg.port} refused the connection ({reason})")
            return
        client.publish(cfg.status_topic, "online", qos=1, retain=True)
        if cfg.ha_discovery:
            payload = json.dumps(discovery_config(cfg, self._version))
            client.publish(cfg.discovery_topic, payload, qos=1, retain=True)
        if self._last is not None:  # a restarted broker may have lost the retained one
            client.publish(cfg.reading_topic, json.dumps(self._last), qos=1, retain=True)
        waited = time.monotonic() - (self._lost_at or time.monotonic())
        again = ""
        if self.connects or self._failures:
            again = f" after {waited:.1f} s ({self._failures} failed attempts)"
        self._log(f"mqtt: connected to {cfg.url()}{again}")
        self._failures, self._lost_at = 0, None
        self.connects += 1
        with self._cond:
            self.connected = True
            self._cond.notify_all()

    def _on_disconnect(
        self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        with self._cond:
            was, self.connected = self.connected, False
        if was and not self._closing:
            self._lost_at = time.monotonic()
            self._log(f"mqtt: lost {self.config.url()} ({reason}); reconnecting with back-off")

    def _on_connect_fail(self, client: Any, userdata: Any) -> None:
        self._failures += 1
        if self._failures == 1 and not self._closing:
            self._log(f"mqtt: cannot reach {self.config.url()}; retrying with back-off")
