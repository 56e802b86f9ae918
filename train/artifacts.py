"""Write files whole or not at all: JSON and Keras models, atomically.

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
        tmp.chmod(0o666 & ~_umask())  # mkstemp makes 0600; give the file the usual mode
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_json(path: Path, content: Any) -> Path:
    """Write JSON atomically (2-space indent, trailing newline)."""
    text = json.dumps(content, indent=2) + "\n"

    def write(tmp: Path) -> None:
        tmp.write_text(text)

    return atomic_write(path, write)


def save_model(model: Any, path: Path) -> Path:
    """Save a Keras model atomically."""
    return atomic_write(path, lambda tmp: model.save(tmp), suffix=".keras")
