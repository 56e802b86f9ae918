"""JSON -> ModelInfo, field by field, each wrong value one clear error."""

from __future__ import annotations

import math
from collections.abc import Mapping

from edge_runtime.errors import ModelFormatError
from edge_runtime.model_info import (
    BLACK_ON_WHITE,
    LOGITS,
    PROBABILITIES,
    WHITE_ON_BLACK,
    InputConvention,
    MicroInfo,
    ModelInfo,
    TensorInfo,
)

_OWN = {
    "float_accuracy",
    "quantized_accuracy",
    "accuracy_drop_pp",
    "max_drop_pp",
    "agreement",
    "float_size_bytes",
    "float32_tflite_size_bytes",
    "size_bytes",
    "calibration_samples",
    "calibration_seed",
    "source_model",
    "source_sha256",
    "created",
    "model_sha256",
    "schema_version",
    "model_file",
    "mode",
    "input",
    "output",
    "normalization",
    "labels",
    "versions",
    "micro",
    "derived",
    "inferred",
}


class _Bad(Exception):
    pass


def parse(data: Mapping[str, object], where: str) -> ModelInfo:
    """See :meth:`ModelInfo.from_json` (the schema version is already checked)."""
    try:
        return _parse(data, where)
    except _Bad as exc:
        raise ModelFormatError(f"{where}: {exc}") from None


def _parse(data: Mapping[str, object], where: str) -> ModelInfo:
    inp, out = _tensor(data.get("input"), "input"), _tensor(data.get("output"), "output")
    labels = data.get("labels")
    if labels is None:
        labels = [str(i) for i in range(out.shape[-1] if out.shape else 10)]
    if not (isinstance(labels, list) and all(_is_digit(x) for x in labels)):
        raise _Bad("labels must be a list of digit strings")
    versions = data.get("versions") or {}
    if not (isinstance(versions, Mapping) and all(isinstance(v, str) for v in versions.values())):
        raise _Bad("versions must map package names to version strings")
    inferred = data.get("inferred")
    if inferred is None and data.get("derived") is True:
        inferred = "derived from the tensors"
    return ModelInfo(
        input=inp,
        output=out,
        normalization=_convention(data.get("normalization")),
        labels=tuple(str(x) for x in labels),
        mode=_string(data, "mode") or inp.dtype,
        model_file=_string(data, "model_file") or "",
        versions={str(k): str(v) for k, v in versions.items()},
        micro=_micro(data.get("micro")),
        inferred=None if inferred is None else str(inferred),
        extra={k: v for k, v in data.items() if k not in _OWN},
        float_accuracy=_float(data, "float_accuracy"),
        quantized_accuracy=_float(data, "quantized_accuracy"),
        accuracy_drop_pp=_float(data, "accuracy_drop_pp"),
        max_drop_pp=_float(data, "max_drop_pp"),
        agreement=_float(data, "agreement"),
        float_size_bytes=_int(data, "float_size_bytes"),
        float32_tflite_size_bytes=_int(data, "float32_tflite_size_bytes"),
        size_bytes=_int(data, "size_bytes"),
        calibration_samples=_int(data, "calibration_samples"),
        calibration_seed=_int(data, "calibration_seed"),
        source_model=_string(data, "source_model"),
        source_sha256=_string(data, "source_sha256"),
        created=_string(data, "created"),
        model_sha256=_sha256(data.get("model_sha256")),
    )


def _tensor(value: object, role: str) -> TensorInfo:
    if not isinstance(value, Mapping):
        raise _Bad(f"{role} must be an object with shape and dtype")
    shape, dtype = value.get("shape", []), value.get("dtype")
    if not (isinstance(shape, list) and all(_is_int(d) for d in shape)):
        raise _Bad(f"{role}.shape must be a list of integers")
    if not isinstance(dtype, str):
        raise _Bad(f"{role}.dtype must be a string")
    kind = value.get("kind")
    if kind not in (None, PROBABILITIES, LOGITS):
        raise _Bad(f"{role}.kind must be {PROBABILITIES!r} or {LOGITS!r}, got {kind!r}")
    return TensorInfo(
        shape=tuple(d for d in shape if isinstance(d, int)),
        dtype=dtype,
        scale=_float(value, "scale", f"{role}."),
        zero_point=_int(value, "zero_point", f"{role}."),
        kind=None if kind is None else str(kind),
    )


def _convention(value: object) -> InputConvention:
    if not isinstance(value, Mapping):
        raise _Bad("normalization needs a scale > 0 and a numeric offset")
    try:
        scale, offset = _float(value, "scale"), _float(value, "offset") or 0.0
    except _Bad:
        scale = None
    if scale is None or not scale > 0:
        raise _Bad("normalization needs a scale > 0 and a numeric offset")
    polarity = value.get("polarity", WHITE_ON_BLACK)
    if polarity not in (WHITE_ON_BLACK, BLACK_ON_WHITE):
        raise _Bad(f"normalization.polarity must be {WHITE_ON_BLACK} or {BLACK_ON_WHITE}")
    return InputConvention(scale, offset, polarity == BLACK_ON_WHITE)


def _micro(value: object) -> MicroInfo | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise _Bad("micro must be an object")
    arena, rate = _int(value, "arena_bytes", "micro."), _float(value, "match_rate", "micro.")
    samples = _int(value, "samples", "micro.")
    if arena is None or rate is None or samples is None:
        raise _Bad("micro needs arena_bytes, match_rate and samples")
    return MicroInfo(arena, rate, samples)


def _float(data: Mapping[str, object], key: str, prefix: str = "") -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        raise _Bad(f"{prefix}{key} must be a number")
    return float(value)


def _int(data: Mapping[str, object], key: str, prefix: str = "") -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise _Bad(f"{prefix}{key} must be an integer")
    return value


def _string(data: Mapping[str, object], key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise _Bad(f"{key} must be a string")
    return value


def _sha256(value: object) -> str | None:
    if value is None:
        return None
    if not (
        isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)
    ):
        raise _Bad("model_sha256 must be 64 lowercase hex digits")
    return value


def _is_int(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _is_digit(x: object) -> bool:
    return x.isdigit() if isinstance(x, str) else _is_int(x)
