"""Write files whole or not at all: text, JSON and Keras models, atomically.

Every artifact and checkpoint is written beside its destination and moved into
place, so an interrupted run never leaves a half-written file under the final name.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any


def atomic_write(path: Path, write: Callable[[Path], None], suffix: str = ".tmp") -> Path:
    """Write a file by ``write(temp)`` beside ``path``, then move it into place.

    Args:
        path: the destination.
        write: writes the complete content to the temporary path it is given.
        suffix: the temporary file's suffix (Keras insists on ``.keras``).

    Returns:
        ``path``.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        tmp.chmod(file_mode())  # mkstemp makes 0600; give the file the usual mode
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def file_mode() -> int:
    """The mode a new file gets under this process's umask (``0o666 & ~umask``)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def write_text(path: Path, text: str) -> Path:
    """Write UTF-8 text atomically."""
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_json(path: Path, content: Any) -> Path:
    """Write JSON atomically (2-space indent, trailing newline)."""
    return write_text(path, json.dumps(content, indent=2) + "\n")


def save_model(model: Any, path: Path) -> Path:
    """Save a Keras model atomically."""
    return atomic_write(path, lambda tmp: model.save(tmp), suffix=".keras")
