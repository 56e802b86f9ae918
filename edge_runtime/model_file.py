"""Model files: is this a whole TFLite flatbuffer, and what does its sidecar say?

The file is checked before an interpreter sees it: some interpreter builds crash,
rather than raise, on a damaged flatbuffer. The check walks the top of the
flatbuffer (root table, subgraphs, buffers) and makes sure every offset and length
stays inside the file, which is what a truncated download or copy breaks.
"""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path
from typing import Any

import numpy as np

from edge_runtime.errors import ModelFormatError

TFLITE_IDENTIFIER = b"TFL3"
MIN_MODEL_BYTES = 64
MAX_MODEL_BYTES = 2**31 - 1  # flatbuffers use 32-bit offsets
SIDECAR_SCHEMA_VERSION = 1

# Field numbers in the TFLite schema (schema.fbs): Model and Buffer tables.
_MODEL_SUBGRAPHS = 2
_MODEL_BUFFERS = 4
_BUFFER_DATA, _BUFFER_OFFSET, _BUFFER_SIZE = 0, 1, 2


class _Damaged(Exception):
    """An offset or length of the flatbuffer points outside the file."""


def check_tflite_file(path: str | Path) -> Path:
    """Make sure ``path`` holds a whole TFLite flatbuffer.

    Args:
        path: the model file.

    Returns:
        The path, as a Path.

    Raises:
        ModelFormatError: missing, not a file, implausible size, no ``TFL3`` identifier,
            or offsets pointing past the end (truncated or damaged).
    """
    path = Path(path)
    if not path.exists():
        raise ModelFormatError(f"{path}: model file not found")
    if not path.is_file():
        raise ModelFormatError(f"{path}: not a file")
    size = path.stat().st_size
    if not MIN_MODEL_BYTES <= size <= MAX_MODEL_BYTES:
        raise ModelFormatError(f"{path}: {size} bytes is not a plausible TFLite model size")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelFormatError(f"{path}: cannot read model ({exc.strerror})") from exc
    if data[4:8] != TFLITE_IDENTIFIER:
        raise ModelFormatError(f"{path}: not a TFLite flatbuffer (no TFL3 identifier)")
    try:
        _walk(memoryview(data))
    except (_Damaged, struct.error) as exc:
        raise ModelFormatError(f"{path}: damaged or truncated TFLite model ({exc})") from exc
    return path


def _walk(buf: memoryview) -> None:
    size = len(buf)

    def u32(pos: int) -> int:
        if not 0 <= pos <= size - 4:
            raise _Damaged(f"offset {pos} outside {size} bytes")
        return int(struct.unpack_from("<I", buf, pos)[0])

    def table(pos: int) -> tuple[int, int, int]:
        if not 0 <= pos <= size - 4:
            raise _Damaged(f"table {pos} outside {size} bytes")
        vtable = pos - struct.unpack_from("<i", buf, pos)[0]
        if not 0 <= vtable <= size - 4:
            raise _Damaged(f"vtable {vtable} outside {size} bytes")
        vt_size, obj_size = struct.unpack_from("<HH", buf, vtable)
        if vtable + vt_size > size or pos + obj_size > size:
            raise _Damaged(f"table at {pos} runs past the end")
        return pos, vtable, vt_size

    def field(t: tuple[int, int, int], number: int) -> int:
        pos, vtable, vt_size = t
        slot = 4 + 2 * number
        return pos + struct.unpack_from("<H", buf, vtable + slot)[0] if slot < vt_size else 0

    def vector(at: int, item_size: int) -> tuple[int, int]:
        start = at + u32(at)
        length = u32(start)
        if start + 4 + length * item_size > size:
            raise _Damaged(f"vector at {start} of {length} items runs past the end")
        return start + 4, length

    model = table(u32(0))
    subgraphs = field(model, _MODEL_SUBGRAPHS)
    if not subgraphs:
        raise _Damaged("no subgraphs")
    first, count = vector(subgraphs, 4)
    if count < 1:
        raise _Damaged("no subgraphs")
    for i in range(count):
        table(first + 4 * i + u32(first + 4 * i))
    buffers = field(model, _MODEL_BUFFERS)
    if not buffers:
        return
    first, count = vector(buffers, 4)
    for i in range(count):
        item = first + 4 * i
        buffer = table(item + u32(item))
        data = field(buffer, _BUFFER_DATA)
        if data:
            vector(data, 1)
        offset_at, size_at = field(buffer, _BUFFER_OFFSET), field(buffer, _BUFFER_SIZE)
        if offset_at and size_at:
            # Large models keep weights after the flatbuffer, addressed by offset/size.
            offset = struct.unpack_from("<Q", buf, offset_at)[0]
            length = struct.unpack_from("<Q", buf, size_at)[0]
            if offset > 1 and offset + length > size:
                raise _Damaged(f"buffer {i} ends at {offset + length}, past the end")


def sidecar_path(model_path: str | Path) -> Path:
    """The sidecar JSON that export writes beside a model: ``X.tflite`` -> ``X.json``."""
    return Path(model_path).with_suffix(".json")


def read_sidecar(model_path: str | Path) -> dict[str, Any] | None:
    """Read and check the sidecar of a model, if there is one.

    Args:
        model_path: the ``.tflite`` file.

    Returns:
        The sidecar as a dict, or None when there is no sidecar.

    Raises:
        ModelFormatError: the sidecar is unreadable, not JSON, of an unknown schema
            version, or holds unusable normalization or labels.
    """
    path = sidecar_path(model_path)
    if not path.is_file():
        return None
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFormatError(f"{path}: unreadable sidecar JSON ({exc})") from exc
    if not isinstance(meta, dict):
        raise ModelFormatError(f"{path}: sidecar is not a JSON object")
    if meta.get("schema_version") != SIDECAR_SCHEMA_VERSION:
        raise ModelFormatError(
            f"{path}: unsupported sidecar schema_version {meta.get('schema_version')!r} "
            f"(expected {SIDECAR_SCHEMA_VERSION})"
        )
    norm = meta.get("normalization", {})
    scale, offset = norm.get("scale"), norm.get("offset", 0.0)
    if not (_is_number(scale) and scale > 0 and _is_number(offset)):
        raise ModelFormatError(f"{path}: normalization needs a scale > 0 and a numeric offset")
    labels = meta.get("labels")
    if labels is not None and not (isinstance(labels, list) and all(_is_digit(x) for x in labels)):
        raise ModelFormatError(f"{path}: labels must be a list of digit strings")
    return meta


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _is_digit(x: Any) -> bool:
    if isinstance(x, str):
        return x.isdigit()
    return isinstance(x, int) and not isinstance(x, bool)


class TensorSpec:
    """What the runtime needs of an input or output tensor, read once at load time."""

    __slots__ = ("dtype", "index", "scale", "shape", "zero_point")

    def __init__(self, detail: dict[str, Any], path: Path, role: str) -> None:
        self.index = int(detail["index"])
        self.shape = tuple(int(d) for d in detail["shape"])
        self.dtype = np.dtype(detail["dtype"])
        params = detail.get("quantization_parameters") or {}
        scales = list(params.get("scales", []))
        zero_points = list(params.get("zero_points", []))
        if self.dtype.kind in "iu":
            if len(scales) != 1 or len(zero_points) != 1 or not float(scales[0]) > 0:
                raise ModelFormatError(
                    f"{path}: {role} tensor is {self.dtype} without one per-tensor "
                    "quantization scale and zero point"
                )
            self.scale, self.zero_point = float(scales[0]), int(zero_points[0])
        elif self.dtype.kind == "f":
            self.scale, self.zero_point = 0.0, 0
        else:
            raise ModelFormatError(f"{path}: unsupported {role} tensor dtype {self.dtype}")

    def describe(self) -> dict[str, Any]:
        """The sidecar's ``input`` / ``output`` entry for this tensor."""
        out: dict[str, Any] = {"shape": list(self.shape), "dtype": self.dtype.name}
        if self.dtype.kind in "iu":
            out.update(scale=self.scale, zero_point=self.zero_point)
        return out


def derive_metadata(path: Path, inp: TensorSpec, out: TensorSpec) -> dict[str, Any]:
    """Metadata for a model without a sidecar, from its tensors and the defaults.

    Args:
        path: the model file.
        inp: its input tensor.
        out: its output tensor.

    Returns:
        A dict shaped like the sidecar, with ``"derived": True``.
    """
    from edge_runtime.preprocess import NORMALIZATION

    classes = out.shape[-1]
    return {
        "schema_version": SIDECAR_SCHEMA_VERSION,
        "model_file": path.name,
        "mode": "int8" if inp.dtype.kind in "iu" else "float32",
        "input": inp.describe(),
        "output": out.describe(),
        "normalization": {**NORMALIZATION, "pixels": "28x28 uint8, white digit on black (MNIST)"},
        "labels": [str(i) for i in range(classes)],
        "derived": True,
    }


def check_sidecar_matches(
    path: Path, meta: dict[str, Any], inp: TensorSpec, out: TensorSpec
) -> None:
    """Refuse a sidecar that describes another model (a stale copy, a renamed file).

    Raises:
        ModelFormatError: the dtypes or the number of labels disagree with the tensors.
    """
    side = sidecar_path(path)
    for role, spec in (("input", inp), ("output", out)):
        declared = (meta.get(role) or {}).get("dtype")
        if declared is not None and declared != spec.dtype.name:
            raise ModelFormatError(
                f"{side}: says the {role} is {declared} but {path.name} has {spec.dtype.name} "
                "(stale sidecar?)"
            )
    labels = meta.get("labels")
    if labels is not None and len(labels) != out.shape[-1]:
        raise ModelFormatError(
            f"{side}: {len(labels)} labels for a model with {out.shape[-1]} outputs"
        )
