"""Model files: is this a whole TFLite flatbuffer, what describes it, and do they match?

The file is checked before an interpreter sees it (:mod:`edge_runtime.flatbuffer`).
A model is described by the sidecar JSON beside it (``X.tflite`` -> ``X.json``) and by
the copy export embeds in the file (:mod:`edge_runtime.embedded`); either records the
SHA-256 of the model's bytes, and a model whose bytes do not give it is refused
before any inference. When both descriptions exist and disagree, the sidecar wins
(it is the copy a person edits) and a warning says so.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from edge_runtime import embedded
from edge_runtime.errors import ModelFormatError
from edge_runtime.flatbuffer import Damaged, Summary, walk
from edge_runtime.model_info import READABLE_SCHEMAS, ModelInfo

TFLITE_IDENTIFIER = b"TFL3"
MIN_MODEL_BYTES = 64
MAX_MODEL_BYTES = 2**31 - 1  # flatbuffers use 32-bit offsets
SIDECAR_SCHEMA_VERSION = 2
EDGE_TPU_OP = "edgetpu-custom-op"


@dataclass(frozen=True)
class ModelFile:
    """A checked model file and what describes it.

    Attributes:
        path: the ``.tflite`` file.
        data: its bytes (what the interpreter is given: the bytes checked are the bytes run).
        summary: operator codes, operators and metadata entries.
        sha256: the model's digest (:func:`edge_runtime.embedded.model_digest`).
        embedded: the description inside the file, if any.
        sidecar: the sidecar's description, if any.
        warnings: one line each (the two descriptions disagree).
    """

    path: Path
    data: bytes
    summary: Summary
    sha256: str
    embedded: ModelInfo | None
    sidecar: ModelInfo | None
    warnings: tuple[str, ...]

    @property
    def info(self) -> ModelInfo | None:
        """The description in force: the sidecar's, else the embedded one."""
        return self.sidecar if self.sidecar is not None else self.embedded

    @property
    def source(self) -> str | None:
        """Where :attr:`info` comes from: ``sidecar``, ``embedded`` or None."""
        if self.sidecar is not None:
            return "sidecar"
        return None if self.embedded is None else "embedded"


def check_tflite_file(path: str | Path) -> Path:
    """Make sure ``path`` holds a whole TFLite flatbuffer the CPU interpreters can run.

    Raises:
        ModelFormatError: missing, not a file, implausible size, no ``TFL3`` identifier,
            offsets pointing past the end (truncated or damaged), or an Edge TPU model.
    """
    return _read(Path(path))[0]


def open_model(path: str | Path) -> ModelFile:
    """Check a model file, read its descriptions and check them against its bytes.

    Raises:
        ModelFormatError: what :func:`check_tflite_file` refuses; a damaged embedded
            description or sidecar; a description whose ``model_sha256`` is not the
            model's (the message names both digests).
    """
    path, data, summary = _read(Path(path))
    payload = embedded.locate(path, data, summary)
    digest = embedded.model_digest(data, payload)
    raw = read_sidecar(path)
    beside = None if raw is None else ModelInfo.from_json(raw, str(sidecar_path(path)))
    inside = None
    if payload is not None:
        text = embedded.read_json(path, payload)
        # The usual case, an exported pair: the same JSON twice, checked once.
        same = beside is not None and text == raw
        inside = beside if same else ModelInfo.from_json(text, embedded.where(path))
    for info, where in ((inside, f"the description embedded in {path.name}"), (beside, None)):
        if info is not None and info.model_sha256 is not None and info.model_sha256 != digest:
            where = where or str(sidecar_path(path))
            raise ModelFormatError(
                f"{path}: its bytes do not match {where}: sha256 {digest}, recorded "
                f"{info.model_sha256} (a damaged copy, or a description of another model)"
            )
    warnings = []
    if inside is not None and beside is not None:
        a, b = beside.to_json(), inside.to_json()
        keys = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
        if keys:
            warnings.append(
                f"{sidecar_path(path).name} and the description embedded in {path.name} "
                f"disagree on {', '.join(keys)}; using the sidecar"
            )
    return ModelFile(path, data, summary, digest, inside, beside, tuple(warnings))


def _read(path: Path) -> tuple[Path, bytes, Summary]:
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
        summary = walk(data)
    except (Damaged, struct.error) as exc:
        raise ModelFormatError(f"{path}: damaged or truncated TFLite model ({exc})") from exc
    if EDGE_TPU_OP in summary.custom_ops():
        raise ModelFormatError(
            f"{path}: compiled for the Edge TPU ({EDGE_TPU_OP}): it needs the Edge TPU "
            "delegate (libedgetpu and a Coral device); the CPU interpreters cannot run it"
        )
    return path, data, summary


def sidecar_path(model_path: str | Path) -> Path:
    """The sidecar JSON that export writes beside a model: ``X.tflite`` -> ``X.json``."""
    return Path(model_path).with_suffix(".json")


def read_sidecar(model_path: str | Path) -> dict[str, Any] | None:
    """Read and check the sidecar of a model, if there is one, as a plain dict.

    (:func:`open_model` turns it into a :class:`ModelInfo`; the digit gate reads its
    own keys from the dict.)

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
    version = meta.get("schema_version")
    if version not in READABLE_SCHEMAS or isinstance(version, bool):
        raise ModelFormatError(
            f"{path}: unsupported sidecar schema_version {version!r} "
            f"(this edge_runtime reads {' and '.join(map(str, READABLE_SCHEMAS))})"
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
    """What the runtime needs of an input or output tensor, read once at load time.

    An integer tensor without quantization parameters (some models take raw uint8
    pixels and cast inside) gets scale 1 and zero point 0, and ``quantized`` False.
    """

    __slots__ = ("dtype", "index", "quantized", "scale", "shape", "signature", "zero_point")

    def __init__(self, detail: dict[str, Any], path: Path, role: str) -> None:
        self.index = int(detail["index"])
        self.shape = tuple(int(d) for d in detail["shape"])
        self.signature = tuple(int(d) for d in detail.get("shape_signature", self.shape))
        self.dtype = np.dtype(detail["dtype"])
        params = detail.get("quantization_parameters") or {}
        scales = [float(s) for s in params.get("scales", [])]
        zero_points = [int(z) for z in params.get("zero_points", [])]
        self.quantized = False
        if self.dtype.kind in "iu":
            if not scales or scales == [0.0]:
                self.scale, self.zero_point = 1.0, 0
            elif len(scales) != 1 or len(zero_points) != 1 or not scales[0] > 0:
                raise ModelFormatError(
                    f"{path}: {role} tensor is {self.dtype} without one per-tensor "
                    "quantization scale and zero point"
                )
            else:
                self.scale, self.zero_point, self.quantized = scales[0], zero_points[0], True
        elif self.dtype.kind == "f":
            self.scale, self.zero_point = 0.0, 0
        else:
            raise ModelFormatError(f"{path}: unsupported {role} tensor dtype {self.dtype}")

    def describe(self) -> dict[str, Any]:
        """``{"shape", "dtype", "scale", "zero_point"}`` (None for float or raw tensors)."""
        return {
            "shape": list(self.shape),
            "dtype": self.dtype.name,
            "scale": self.scale if self.quantized else None,
            "zero_point": self.zero_point if self.quantized else None,
        }


def check_description_matches(
    path: Path, info: ModelInfo, where: str, inp: TensorSpec, out: TensorSpec
) -> None:
    """Refuse a description of another model (a stale copy, a renamed file).

    Raises:
        ModelFormatError: the dtypes or the number of labels disagree with the tensors.
    """
    for role, declared, spec in (("input", info.input, inp), ("output", info.output, out)):
        if declared.dtype != spec.dtype.name:
            raise ModelFormatError(
                f"{where}: says the {role} is {declared.dtype} but {path.name} has "
                f"{spec.dtype.name} (stale sidecar?)"
            )
    if len(info.labels) != out.shape[-1]:
        raise ModelFormatError(
            f"{where}: {len(info.labels)} labels for a model with {out.shape[-1]} outputs"
        )
