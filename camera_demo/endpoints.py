"""What a camera run offers the world beyond its JSON lines: the HTTP server, the MQTT
publisher, and a clean stop on SIGTERM (how systemd stops a unit)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from camera_demo.config import CameraConfig
from camera_demo.metrics import RunMetrics
from camera_demo.outputs import Outputs


def start_server(
    config: CameraConfig,
    outputs: Outputs,
    metrics: RunMetrics,
    reading: Callable[[], dict[str, Any] | None],
    title: str,
    log: Callable[[str], None],
) -> tuple[str, int]:
    """Listen on ``--serve`` (its feed and server go into ``outputs``).

    Returns:
        The bound (host, port).

    Raises:
        SourceError: the address cannot be bound.
    """
    from camera_demo.server import LiveFeed, StreamServer, parse_address

    host, port = parse_address(config.serve or "")
    outputs.feed = LiveFeed()
    outputs.server = StreamServer(
        outputs.feed,
        host,
        port,
        title=title,
        token=config.token,
        max_clients=config.max_clients,
        metrics=metrics,
        reading=reading,
        log=log,
    )
    address: tuple[str, int] = outputs.server.start()
    shown = f"[{host}]" if ":" in host else host
    guard = " (token required)" if config.token else ""
    log(f"serving http://{shown}:{address[1]}/{guard}")
    return address


def start_mqtt(config: CameraConfig, log: Callable[[str], None]) -> Any:
    """Start publishing to ``--mqtt`` (connecting in the background).

    Raises:
        MissingDependencyError: paho-mqtt is not installed (the ``mqtt`` extra).
    """
    from camera_demo.mqtt import MqttPublisher
    from edge_runtime import __version__

    if config.mqtt_config is None:
        raise ValueError("no --mqtt given")
    return MqttPublisher(config.mqtt_config, log, version=__version__).start()


@contextmanager
def sigterm_stops(stop: Callable[[str], None]) -> Iterator[None]:
    """While inside, SIGTERM calls ``stop("SIGTERM")`` instead of killing the process:
    the run ends after the current frame, like Ctrl-C, with its summary. Only the main
    thread can handle signals; elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        stop(signal.Signals(signum).name)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
