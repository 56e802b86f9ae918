"""Checks every command runs on its output paths before any work starts.

Training for minutes and then failing to write the model is the worst way to
learn that ``--out`` was a typo: these fail at once, with exit code 2.
"""

from __future__ import annotations

import tempfile
from pathlib import Path


def writable_dir(folder: Path, option: str) -> None:
    """Create ``folder`` if needed and prove a file can be written in it.

    Raises:
        ValueError: it is a file, or cannot be created or written.
    """
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"{option} {folder}: exists and is not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise ValueError(f"{option} {folder}: cannot write there ({exc.strerror})") from None


def writable_file(path: Path, option: str) -> None:
    """Prove ``path`` can be written: not a folder, and its folder is writable.

    Raises:
        ValueError: it is a folder, or its folder cannot be created or written.
    """
    if path.is_dir():
        raise ValueError(f"{option} {path}: is a folder; give a file name")
    writable_dir(path.parent, option)
