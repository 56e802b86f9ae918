"""Hot model swap: pick up a replaced model file between frames, or refuse it.

``edgecnn export`` writes a model to a temporary name and renames it into place (then
its sidecar). The camera notices a new file by its inode, mtime and size (the model's
and the sidecar's), waits until both have stood still for a moment, loads the new
model, and runs it on a few bundled digits (``assets/selfcheck.npz``: MNIST test
digits every shipped model reads right). A model that fails to load or to read at
least :data:`MIN_CORRECT` of them is refused with one log line, and the old one keeps
running; a file that changes again is tried again.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from camera_demo.metrics import file_sha256
from edge_runtime.errors import EdgeCNNError

SELFCHECK = Path(__file__).resolve().parent / "assets" / "selfcheck.npz"
MIN_CORRECT = 18  # of the 20 bundled digits

Signature = tuple[tuple[int, int, int] | None, ...]


@lru_cache(maxsize=1)
def selfcheck_digits() -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 (20, 28, 28), labels (20,)) of the bundled self-check digits."""
    with np.load(SELFCHECK, allow_pickle=False) as data:
        return data["images"], data["labels"]


def self_check(classifier: Any) -> str | None:
    """Why a loaded model is not fit to run (None when it is)."""
    images, labels = selfcheck_digits()
    predictions = classifier.predict_batch(images)
    correct = sum(int(p.digit == label) for p, label in zip(predictions, labels, strict=True))
    if correct < MIN_CORRECT:
        return f"self-check read {correct} of {len(labels)} digits right (needs {MIN_CORRECT})"
    return None


def signature(path: Path) -> Signature:
    """(inode, mtime_ns, size) of the model and of its sidecar; None for a missing one."""
    out: list[tuple[int, int, int] | None] = []
    for p in (path, path.with_suffix(".json")):
        try:
            st = os.stat(p)
        except OSError:
            out.append(None)
            continue
        out.append((st.st_ino, st.st_mtime_ns, st.st_size))
    return tuple(out)


class ModelWatcher:
    """Watches one model path; :meth:`poll` between frames returns a new classifier."""

    def __init__(
        self,
        path: Path,
        load: Callable[[Path], Any],
        log: Callable[[str], None],
        *,
        interval_s: float = 0.5,
        settle_s: float = 0.3,
        check: Callable[[Any], str | None] = self_check,
    ) -> None:
        """Args:
        path: the model file the run loaded.
        load: opens a classifier on a path (raises EdgeCNNError for a bad model).
        log: where the one-line events go.
        interval_s: least time between two looks at the file.
        settle_s: how long a changed file must stand still before it is loaded.
        check: the self-check of a freshly loaded classifier.
        """
        self.path = Path(path)
        self._load, self._log, self._check = load, log, check
        self._interval, self._settle = interval_s, settle_s
        self._current = signature(self.path)
        self._pending: tuple[Signature, float] | None = None
        self._next = 0.0
        self.loaded = 0
        self.refused = 0

    def poll(self) -> tuple[Any, str] | None:
        """Look at the file (at most every ``interval_s``).

        Returns:
            (classifier, sha256) of a new model that passed, else None. The caller
            switches to it and closes the old one.
        """
        now = time.monotonic()
        if now < self._next:
            return None
        self._next = now + self._interval
        seen = signature(self.path)
        if seen == self._current or seen[0] is None:
            self._pending = None
            return None
        if self._pending is None or self._pending[0] != seen:
            self._pending = (seen, now)
            return None
        if now - self._pending[1] < self._settle:
            return None
        self._pending, self._current = None, seen
        return self._try()

    def _try(self) -> tuple[Any, str] | None:
        try:
            sha = file_sha256(self.path)
            classifier = self._load(self.path)
        except (EdgeCNNError, OSError, ValueError) as exc:
            self._refuse(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
            return None
        try:
            reason = self._check(classifier)
        except Exception as exc:  # a model that crashes on digits is as bad as a wrong one
            reason = f"self-check failed ({type(exc).__name__}: {exc})"
        if reason is not None:
            classifier.close()
            self._refuse(reason)
            return None
        self.loaded += 1
        self._log(f"model: loaded {self.path} (sha256 {sha[:12]}), self-check passed")
        return classifier, sha

    def _refuse(self, reason: str) -> None:
        self.refused += 1
        self._log(f"model: refused the new {self.path}: {reason}; keeping the running model")
        return None
