"""The options of ``edgecnn camera``, validated."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from camera_demo.stable import StableRule

if TYPE_CHECKING:
    from camera_demo.mqtt import MqttConfig

Box = tuple[int, int, int, int]


def parse_roi(text: str) -> Box:
    """``"x,y,w,h"`` -> (x, y, w, h).

    Raises:
        ValueError: not four integers with w, h > 0 and x, y >= 0.
    """
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 4 or not all(re.fullmatch(r"\d+", p) for p in parts):
        raise ValueError(f"--roi {text!r}: expected x,y,w,h as four non-negative integers")
    x, y, w, h = (int(p) for p in parts)
    if w <= 0 or h <= 0:
        raise ValueError(f"--roi {text!r}: width and height must be > 0")
    return x, y, w, h


@dataclass(frozen=True)
class CameraConfig:
    """Options of ``edgecnn camera``; one field per option."""

    source: str = "0"
    model: Path | None = None
    headless: bool = False
    json_out: Path | None = None
    record: Path | None = None
    serve: str | None = None
    roi: Box | None = None
    min_confidence: float = 0.7
    max_frames: int | None = None
    threads: int | None = None
    truth: Path | None = None
    mqtt: str | None = None
    ha_discovery: bool = False
    stable: StableRule = field(default_factory=StableRule)
    token: str | None = field(default=None, repr=False)
    max_clients: int = 4
    quiet: bool = False
    watch_model: bool = True

    def __post_init__(self) -> None:
        if not str(self.source).strip():
            raise ValueError("--source must not be empty")
        if not 0.0 <= self.min_confidence <= 1.0:
            raise ValueError(f"--min-confidence must be in [0, 1], got {self.min_confidence}")
        if self.max_frames is not None and self.max_frames < 1:
            raise ValueError(f"--max-frames must be >= 1, got {self.max_frames}")
        if self.threads is not None and self.threads < 1:
            raise ValueError(f"--threads must be >= 1, got {self.threads}")
        if self.roi is not None and (
            len(self.roi) != 4 or min(self.roi[:2]) < 0 or min(self.roi[2:]) <= 0
        ):
            raise ValueError(f"--roi {self.roi}: expected x, y >= 0 and w, h > 0")
        if self.record is not None and Path(self.record).suffix.lower() not in (".mp4", ".avi"):
            raise ValueError(f"--record {self.record}: use a .mp4 or .avi file name")
        if self.max_clients < 1:
            raise ValueError(f"--max-clients must be >= 1, got {self.max_clients}")
        if self.token is not None and not self.token.strip():
            raise ValueError("--token (or EDGECNN_TOKEN) must not be empty")
        if self.serve is not None:
            from camera_demo.server import is_loopback, parse_address

            host, _ = parse_address(self.serve)
            if not is_loopback(host) and self.token is None:
                raise ValueError(
                    f"--serve {self.serve}: listening beyond this machine needs a token: "
                    "give --token or set EDGECNN_TOKEN"
                )
        if self.ha_discovery and self.mqtt is None:
            raise ValueError("--ha-discovery needs --mqtt")
        if self.mqtt is not None:
            self.mqtt_config  # noqa: B018  (parse now: a bad URL is a usage error)

    @property
    def mqtt_config(self) -> MqttConfig | None:
        """``--mqtt`` parsed, with ``--ha-discovery``."""
        if self.mqtt is None:
            return None
        from camera_demo.mqtt import parse_mqtt_url

        return parse_mqtt_url(self.mqtt, ha_discovery=self.ha_discovery)

    @property
    def show_window(self) -> bool:
        """An on-screen window: neither ``--headless`` nor ``--serve``."""
        return not self.headless and self.serve is None
