"""Where a camera run's results go: a window, JSON lines, a recording, a stream.

:class:`Outputs` holds what a run opened and closes it whatever happens: committed
(files renamed into place) after a normal end or Ctrl-C, dropped after a failure.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from edge_runtime._files import PendingFile
from edge_runtime.errors import MissingDependencyError

if TYPE_CHECKING:
    from camera_demo.capture import Capture

WINDOW = "edgecnn camera"
GUI_HINT = (
    "use --headless or --serve HOST:PORT, or install OpenCV's GUI build: "
    "pip uninstall opencv-python-headless && pip install 'edgecnn[edge-gui]'"
)


def require_gui(cv2: Any) -> None:
    """Raise MissingDependencyError unless this OpenCV can open windows."""
    match = re.search(r"^\s*GUI:\s*(\S+)", cv2.getBuildInformation(), re.MULTILINE)
    if match is None or match.group(1).upper() == "NONE":
        raise MissingDependencyError(f"this OpenCV has no GUI (headless build): {GUI_HINT}")


class JsonLines:
    """Per-frame JSON lines to stdout (flushed per line) or to a file (atomic)."""

    def __init__(self, path: Path | None, stream: IO[str]) -> None:
        self.path = path
        self._pending: PendingFile | None = None
        if path is None:
            self._out = stream
            return
        self._pending = PendingFile(path)
        self._out = open(self._pending.tmp, "w", encoding="utf-8")  # noqa: SIM115

    def write(self, record: dict[str, Any]) -> None:
        self._out.write(json.dumps(record, separators=(", ", ": ")) + "\n")
        if self._pending is None:
            self._out.flush()

    def close(self, commit: bool) -> None:
        pending, self._pending = self._pending, None
        if pending is None:
            return
        self._out.close()
        if commit:
            pending.commit()
        else:
            pending.abort()


def lines_dicts(lines: Any) -> list[dict[str, Any]]:
    """Lines of readings as JSON-ready data: each line's text (numbers separated by a
    space, ``?`` for a digit not read), its numbers, and the indices of its digits in
    the frame's ``digits`` list (which holds every line's digits in reading order)."""
    out, start = [], 0
    for line in lines:
        count = len(line.readings)
        out.append(
            {
                "text": line.text,
                "numbers": list(line.number_texts),
                "digits": list(range(start, start + count)),
            }
        )
        start += count
    return out


def reading_dict(reading: Any) -> dict[str, Any]:
    """One reading as JSON-ready data: digit (None when rejected), confidence, box."""
    return {
        "digit": None if reading.rejected else reading.digit,
        "confidence": round(float(reading.confidence), 4),
        "box": list(reading.box),
    }


class Outputs:
    """What a run opened (capture included), closed in reverse order whatever happens."""

    def __init__(self) -> None:
        self.capture: Capture | None = None
        self.jsonl: JsonLines | None = None
        self.recorder: Any = None
        self.feed: Any = None
        self.server: Any = None
        self.mqtt: Any = None
        self.recorded = False
        self._window = False

    def show(self, cv2: Any, image: Any) -> None:
        """Show a frame in the window, turning a GUI-less OpenCV into one clear line."""
        try:
            if not self._window:
                cv2.namedWindow(WINDOW, cv2.WINDOW_AUTOSIZE)
                self._window = True
            cv2.imshow(WINDOW, image)
        except cv2.error as exc:
            lines = str(exc).strip().splitlines()
            raise MissingDependencyError(
                f"cannot open a window ({lines[-1] if lines else 'cv2.error'}): {GUI_HINT}"
            ) from exc

    def close(self, cv2: Any, commit: bool) -> None:
        if self.capture is not None:
            self.capture.stop()
            self.capture = None
        if self.server is not None:
            self.server.stop()
            self.server = None
        if self.mqtt is not None:  # after a failure too: the status says offline
            self.mqtt.close()
            self.mqtt = None
        if self.recorder is not None:
            if commit:
                self.recorded = self.recorder.close() is not None
            else:
                self.recorder.abort()
            self.recorder = None
        if self.jsonl is not None:
            self.jsonl.close(commit)
            self.jsonl = None
        if self._window:
            cv2.destroyWindow(WINDOW)
            cv2.waitKey(1)
            self._window = False
