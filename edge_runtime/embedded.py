"""The model description carried inside the ``.tflite`` file, and the model's own digest.

Export stores the :class:`~edge_runtime.model_info.ModelInfo` JSON in a flatbuffer
buffer named by a ``metadata`` entry (``edgecnn_model_info``), the place TFLite keeps
``min_runtime_version`` and tflite_support keeps ``TFLITE_METADATA``: interpreters
and viewers skip metadata they do not know, so LiteRT, tflite-micro and Netron load
the file as before. The buffer holds one self-checking payload::

    MAGIC | 8 hex digits: n | n bytes of JSON | 64 hex digits: sha256 of the JSON

The description records ``model_sha256``, the SHA-256 of the file *without* that
payload (:func:`model_digest`), so it can describe the bytes around it; a flip inside
the payload breaks the payload's own digest instead. The payload is found through
the metadata entry and, should that entry itself be damaged, by its magic bytes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from edge_runtime.errors import ModelFormatError
from edge_runtime.flatbuffer import Summary
from edge_runtime.model_info import ModelInfo

METADATA_NAME = "edgecnn_model_info"
MAGIC = b"\x00edgecnn-model-info\x00"
_LENGTH_DIGITS = 8
_DIGEST_DIGITS = 64


@dataclass(frozen=True)
class Payload:
    """Where the payload lies in the file, and its JSON text."""

    start: int
    end: int
    text: bytes


def encode(text: bytes) -> bytes:
    """The payload for a JSON text (see the module docstring)."""
    digest = hashlib.sha256(text).hexdigest().encode("ascii")
    return MAGIC + b"%08x" % len(text) + text + digest


def payload_size(text_length: int) -> int:
    """How many bytes the payload of a JSON text of this length takes."""
    return len(MAGIC) + _LENGTH_DIGITS + text_length + _DIGEST_DIGITS


def locate(path: Path, data: bytes, summary: Summary) -> Payload | None:
    """Find and check the embedded payload.

    Returns:
        The payload, or None when the model carries none.

    Raises:
        ModelFormatError: a payload (or a metadata entry naming one) is there but damaged.
    """
    named = [(start, length) for name, start, length in summary.metadata if name == METADATA_NAME]
    start = named[0][0] if named else data.find(MAGIC)
    if named and data[start : start + len(MAGIC)] != MAGIC:
        raise ModelFormatError(f"{path}: the embedded model description is damaged (no header)")
    if start < 0:
        return None
    head = start + len(MAGIC)
    try:
        length = int(data[head : head + _LENGTH_DIGITS].decode("ascii"), 16)
    except (UnicodeDecodeError, ValueError):
        raise ModelFormatError(
            f"{path}: the embedded model description is damaged (bad length)"
        ) from None
    text_at = head + _LENGTH_DIGITS
    end = text_at + length + _DIGEST_DIGITS
    if end > len(data) or (named and end > named[0][0] + named[0][1]):
        raise ModelFormatError(f"{path}: the embedded model description runs past its buffer")
    text = data[text_at : text_at + length]
    recorded = data[end - _DIGEST_DIGITS : end]
    if hashlib.sha256(text).hexdigest().encode("ascii") != recorded:
        raise ModelFormatError(
            f"{path}: the embedded model description is damaged (its checksum does not match)"
        )
    return Payload(start, end, text)


def read(path: Path, payload: Payload) -> ModelInfo:
    """The description in a payload found by :func:`locate`.

    Raises:
        ModelFormatError: not JSON, or not a description this runtime reads.
    """
    return ModelInfo.from_json(read_json(path, payload), where(path))


def read_json(path: Path, payload: Payload) -> object:
    """The payload's JSON, parsed but not yet checked.

    Raises:
        ModelFormatError: not JSON.
    """
    try:
        return json.loads(payload.text.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFormatError(f"{where(path)}: not JSON ({exc})") from exc


def where(path: Path) -> str:
    """How messages name the embedded description."""
    return f"{path.name} (embedded description)"


def model_digest(data: bytes, payload: Payload | None) -> str:
    """SHA-256 (hex) of the model bytes, leaving out the embedded payload if any."""
    if payload is None:
        return hashlib.sha256(data).hexdigest()
    view = memoryview(data)
    digest = hashlib.sha256(view[: payload.start])
    digest.update(view[payload.end :])
    return digest.hexdigest()
