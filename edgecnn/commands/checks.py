"""Checks every command runs on its output paths before any work starts.

Training for minutes and then failing to write the model is the worst way to
learn that ``--out`` was a typo: these fail at once, with exit code 2.
"""

from __future__ import annotations

import tempfile
from pathlib import Path


def writable_dir(folder: Path, option: str) -> None:
    """Prove that ``folder`` can be created (if missing) and written, leaving no trace.

    Raises:
        ValueError: it, or the nearest thing above it that exists, is not a writable folder.
    """
    existing = folder.absolute()
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise ValueError(f"{option} {folder}: {existing} exists and is not a folder")
    try:
        if existing == folder.absolute():
            with tempfile.TemporaryFile(dir=existing):
                pass
        else:  # creating a folder here is what the command will do
            with tempfile.TemporaryDirectory(dir=existing):
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
