"""What ``edgecnn bench`` measures: one frozen config per mode, one field per option.

Standard library only, so that ``edgecnn --help`` can name the choices without
loading numpy or an interpreter.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path

CAMERA_FRAMES = 2000
THREADS_HINT = "--threads must list thread counts >= 1, e.g. 1,2"


class BackendSet(str, Enum):
    """Which backends to bench: the one ``auto`` picks, or every one installed."""

    AUTO = "auto"
    ALL = "all"


@dataclass(frozen=True)
class BenchConfig:
    """What ``edgecnn bench`` measures; one field per command-line option."""

    model: Path
    keras: Path | None = None
    threads: tuple[int, ...] = (1, 2)
    backends: BackendSet = BackendSet.AUTO
    runs: int = 500
    batch: int = 64

    def __post_init__(self) -> None:
        if self.runs < 10:
            raise ValueError(f"--runs must be >= 10, got {self.runs}")
        if self.batch < 1:
            raise ValueError(f"--batch must be >= 1, got {self.batch}")
        if not self.threads or any(t < 1 for t in self.threads):
            raise ValueError(THREADS_HINT)
        choices = [b.value for b in BackendSet]
        if self.backends not in choices:
            raise ValueError(
                f"--backends must be one of {', '.join(choices)}, got {self.backends!r}"
            )
        object.__setattr__(self, "backends", BackendSet(self.backends))


@dataclass(frozen=True)
class CameraBenchConfig:
    """Options of ``edgecnn bench --camera``; one field per option."""

    model: Path | None = None
    threads: int = 1
    frames: int = CAMERA_FRAMES
    soak: int = 0
    json: bool = False

    def __post_init__(self) -> None:
        if self.threads < 1:
            raise ValueError(THREADS_HINT)
        if self.frames < 1:
            raise ValueError(f"--frames must be >= 1, got {self.frames}")
        if self.soak and self.soak < 2:  # the soak compares memory after 1 frame and at the end
            raise ValueError(f"--soak must be 0 (off) or >= 2 frames, got {self.soak}")
