"""Write files whole or not at all: the one atomic-write helper of every layer.

A file is written to a temporary sibling (``.<name>.<random><suffix>``) and renamed
into place, so an interrupted run never leaves half a file under the final name, nor
replaces a good one. :class:`PendingFile` is the long-lived form (a recording, JSON
lines written frame by frame); :func:`atomic_write` the one-call form.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any


def file_mode() -> int:
    """The mode a new file gets under this process's umask (``0o666 & ~umask``)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


class PendingFile:
    """A temporary sibling of ``path``: :meth:`commit` moves it into place, :meth:`abort`
    removes it (and is a no-op after a commit)."""

    def __init__(self, path: Path, suffix: str = ".tmp") -> None:
        """Create the (empty) temporary file, and ``path``'s folder if needed.

        Args:
            path: the destination.
            suffix: the temporary file's suffix (Keras and OpenCV pick formats by it).
        """
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(
            dir=self.path.parent, prefix=f".{self.path.name}.", suffix=suffix
        )
        os.close(fd)
        self.tmp = Path(name)
        self._done = False

    def commit(self) -> Path:
        """Give the file the usual mode (mkstemp makes 0600) and move it into place."""
        if self._done:
            raise ValueError(f"{self.path}: already committed or aborted")
        self.tmp.chmod(file_mode())
        os.replace(self.tmp, self.path)
        self._done = True
        return self.path

    def abort(self) -> None:
        """Remove the temporary file; the destination is left untouched."""
        if not self._done:
            self.tmp.unlink(missing_ok=True)
            self._done = True


def atomic_write(path: Path, write: Callable[[Path], object], suffix: str = ".tmp") -> Path:
    """Write a file by ``write(temp)`` beside ``path``, then move it into place.

    Args:
        path: the destination.
        write: writes the complete content to the temporary path it is given.
        suffix: the temporary file's suffix.

    Returns:
        ``path``.
    """
    pending = PendingFile(path, suffix)
    try:
        write(pending.tmp)
        return pending.commit()
    finally:
        pending.abort()


def write_text(path: Path, text: str) -> Path:
    """Write UTF-8 text atomically."""
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_json(path: Path, content: Any, *, compact: bool = False) -> Path:
    """Write JSON atomically (2-space indent, or ``compact`` separators; trailing newline)."""
    if compact:
        return write_text(path, json.dumps(content, separators=(",", ":")) + "\n")
    return write_text(path, json.dumps(content, indent=2) + "\n")
