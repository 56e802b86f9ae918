"""Stable readings: publish what was read in K of the last N frames, nothing else.

A camera looking at a page reads it again every frame; one frame in a hundred a
shadow or a blur makes a digit come out wrong or unsure. Meter readers solve this by
plausibility: they wait until they have seen the same value more than once. Here a
frame's *key* is its lines' texts (numbers apart, top to bottom); a key is stable
once it was read in at least K of the last N frames, and only a frame with every
digit accepted has a key (a ``?`` or an empty frame never becomes a reading).

A stable key that differs from the last one published is a new reading: it goes to
MQTT and ``/reading.json``; the JSON lines mark every frame whose key is stable.
"""

from __future__ import annotations

import re
import time
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

Key = tuple[str, ...]


@dataclass(frozen=True)
class StableRule:
    """``--stable K/N``: a reading counts once seen in ``k`` of the last ``n`` frames."""

    k: int = 3
    n: int = 5

    def __post_init__(self) -> None:
        if not 1 <= self.k <= self.n <= 1000:
            raise ValueError(f"--stable {self.k}/{self.n}: need 1 <= K <= N <= 1000")

    def __str__(self) -> str:
        return f"{self.k}/{self.n}"


def parse_stable(text: str) -> StableRule:
    """``"3/5"`` -> StableRule(3, 5).

    Raises:
        ValueError: not two integers K/N with 1 <= K <= N.
    """
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if match is None:
        raise ValueError(f"--stable {text!r}: expected K/N, e.g. 3/5")
    return StableRule(int(match.group(1)), int(match.group(2)))


def frame_key(lines: Sequence[Any]) -> Key | None:
    """The key of a frame's lines, or None when it has no digit or an unsure one."""
    if not lines or any(r.rejected or r.digit is None for line in lines for r in line.readings):
        return None
    return tuple(line.text for line in lines)


def reading_payload(
    lines: Sequence[Any], frame: int, timestamp: float, rule: StableRule
) -> dict[str, Any]:
    """The JSON of a stable reading (what MQTT and ``/reading.json`` carry)."""
    readings = [r for line in lines for r in line.readings]
    return {
        "text": " / ".join(line.text for line in lines),
        "lines": [{"text": line.text, "numbers": list(line.number_texts)} for line in lines],
        "numbers": [n for line in lines for n in line.number_texts],
        "digits": [int(r.digit) for r in readings],
        "confidence": round(min(float(r.confidence) for r in readings), 4),
        "timestamp": round(timestamp, 3),
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp)),
        "frame": frame,
        "stable": str(rule),
    }


class StableFilter:
    """Counts keys over a sliding window of frames and reports new stable readings."""

    def __init__(self, rule: StableRule) -> None:
        self.rule = rule
        self._window: deque[Key | None] = deque(maxlen=rule.n)
        self._counts: Counter[Key] = Counter()
        self._published: Key | None = None
        self.latest: dict[str, Any] | None = None  # the last stable reading's payload
        self.count = 0  # new stable readings so far

    def add(self, lines: Sequence[Any], frame: int, timestamp: float) -> tuple[bool, bool]:
        """Count one frame.

        Args:
            lines: the frame's ``DigitLine``s.
            frame, timestamp: where it came from (for the payload).

        Returns:
            (stable, new): the frame's key is stable; it is a reading not published before
            (then :attr:`latest` holds its payload).
        """
        key = frame_key(lines)
        if len(self._window) == self._window.maxlen:
            old = self._window[0]
            if old is not None:
                self._counts[old] -= 1
                if not self._counts[old]:
                    del self._counts[old]
        self._window.append(key)
        if key is None:
            return False, False
        self._counts[key] += 1
        if self._counts[key] < self.rule.k:
            return False, False
        if key == self._published:
            return True, False
        self._published = key
        self.latest = reading_payload(lines, frame, timestamp, self.rule)
        self.count += 1
        return True, True
