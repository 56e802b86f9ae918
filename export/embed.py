"""Put the model's description inside the ``.tflite`` (the format: edge_runtime.embedded).

As tflite_support's metadata populator does, the flatbuffer is read into the schema's
object API, a buffer holding the payload and a ``metadata`` entry naming it are
appended (or an earlier one replaced), and the model is packed again with its
``TFL3`` identifier. The description records the model's own digest, which covers
every byte but the payload: the model is packed once with a placeholder of the same
length, the digest taken, and the placeholder overwritten in place.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from edge_runtime import embedded
from edge_runtime.errors import ModelFormatError
from edge_runtime.flatbuffer import walk
from edge_runtime.model_info import ModelInfo

_PLACEHOLDER = "0" * 64


def info_text(info: ModelInfo) -> bytes:
    """The embedded JSON: compact, keys in the description's order."""
    return json.dumps(info.to_json(), separators=(",", ":")).encode("utf-8")


def embed(flatbuffer: bytes, info: ModelInfo) -> tuple[bytes, ModelInfo]:
    """The model with ``info`` inside it.

    Args:
        flatbuffer: the ``.tflite`` bytes (from the converter, or a model to describe).
        info: its description; ``model_sha256`` and ``size_bytes`` are filled in here.

    Returns:
        (the new ``.tflite`` bytes, the description exactly as embedded).
    """
    schema = _schema()
    model = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(flatbuffer, 0))
    size = len(flatbuffer)
    for _ in range(5):  # the size is part of the text, the text part of the size
        draft = info.replace(model_sha256=_PLACEHOLDER, size_bytes=size)
        text = info_text(draft)
        packed = _pack(schema, model, embedded.encode(text))
        if len(packed) == size:
            break
        size = len(packed)
    else:
        raise ModelFormatError("the model's size did not settle while embedding its description")
    payload = embedded.locate(Path("<embedding>"), packed, walk(packed))
    if payload is None:
        raise ModelFormatError("the embedded description was not found after packing")
    final = draft.replace(model_sha256=embedded.model_digest(packed, payload))
    body = embedded.encode(info_text(final))
    if len(body) != payload.end - payload.start:
        raise ModelFormatError("the description changed length when its digest was filled in")
    return packed[: payload.start] + body + packed[payload.end :], final


def _pack(schema: Any, model: Any, payload: bytes) -> bytes:
    import flatbuffers

    buffer = schema.BufferT()
    buffer.data = np.frombuffer(payload, dtype=np.uint8)
    model.metadata = list(model.metadata or [])
    model.buffers = list(model.buffers or [])
    ours = [m for m in model.metadata if _name(m) == embedded.METADATA_NAME]
    if ours:
        model.buffers[ours[0].buffer] = buffer
    else:
        entry = schema.MetadataT()
        entry.name = embedded.METADATA_NAME
        entry.buffer = len(model.buffers)
        model.buffers.append(buffer)
        model.metadata.append(entry)
    builder = flatbuffers.Builder(len(payload) + 1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def _name(entry: Any) -> str:
    name = entry.name
    return name.decode("utf-8") if isinstance(name, bytes) else str(name)


def _schema() -> Any:
    try:
        from ai_edge_litert import schema_py_generated
    except ImportError:  # LiteRT is the edge extra; TensorFlow carries the same schema
        from tensorflow.lite.python import schema_py_generated
    return schema_py_generated
