"""Save Keras models whole or not at all (every other file goes through
``edge_runtime._files``, the one atomic-write helper of all layers)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from edge_runtime._files import atomic_write


def save_model(model: Any, path: Path) -> Path:
    """Save a Keras model atomically (Keras insists on the ``.keras`` suffix)."""
    return atomic_write(path, lambda tmp: model.save(tmp), suffix=".keras")
