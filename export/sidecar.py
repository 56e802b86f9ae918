"""The description of an exported model (:class:`edge_runtime.ModelInfo`), built once.

Export writes it as the sidecar JSON beside the model (``X.tflite`` -> ``X.json``) and
inside the model (:mod:`edgecnn.export.embed`); the report reads its figures. It
describes the model so the runtime does not hard-code anything: tensor shapes, dtypes
and quantization (read from the converted model itself), the normalization
(:data:`edge_runtime.preprocess.NORMALIZATION`, the one the model was trained and
calibrated with), the labels, what the gate measured, and where the model came from.
Float tensors have no quantization: their ``scale`` and ``zero_point`` are ``null``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from edge_runtime.model_info import PIXELS, InputConvention, MicroInfo, ModelInfo, TensorInfo
from edgecnn.train.provenance import utc_now, versions

LABELS = [str(d) for d in range(10)]
__all__ = ["LABELS", "PIXELS", "build_info", "dumps", "read_tensors", "tensor_description"]


def tensor_description(detail: dict[str, Any]) -> dict[str, Any]:
    """The sidecar's ``input`` / ``output`` entry from an interpreter tensor detail.

    Args:
        detail: one item of ``get_input_details()`` / ``get_output_details()``.

    Returns:
        ``{"shape", "dtype", "scale", "zero_point"}``; scale and zero point are the
        tensor's own (per-tensor) quantization, ``None`` for a float tensor.
    """
    dtype = np.dtype(detail["dtype"])
    params = detail.get("quantization_parameters") or {}
    scales, zero_points = list(params.get("scales", [])), list(params.get("zero_points", []))
    quantized = dtype.kind in "iu" and len(scales) == 1 and len(zero_points) == 1
    return {
        "shape": [int(d) for d in detail["shape"]],
        "dtype": dtype.name,
        "scale": float(scales[0]) if quantized else None,
        "zero_point": int(zero_points[0]) if quantized else None,
    }


def read_tensors(tflite_path: str | Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Describe the input and output tensors of a converted model.

    Args:
        tflite_path: the ``.tflite`` file.

    Returns:
        (input description, output description), see :func:`tensor_description`.
    """
    from edge_runtime.backends import create_interpreter

    _, interpreter = create_interpreter(tflite_path)
    return (
        tensor_description(interpreter.get_input_details()[0]),
        tensor_description(interpreter.get_output_details()[0]),
    )


def relative_to_sidecar(source: Path, sidecar_dir: Path) -> str:
    """The source model's path relative to the sidecar's folder when it lies inside it
    (``model.keras`` when beside it), else its absolute path: a chain of ``../`` that
    only holds on one machine's layout helps nobody."""
    source, folder = source.resolve(), sidecar_dir.resolve()
    if source.is_relative_to(folder):
        return source.relative_to(folder).as_posix()
    return str(source)


def build_info(
    *,
    model_file: str,
    mode: str,
    tensors: tuple[dict[str, Any], dict[str, Any]],
    output_kind: str | None,
    float_accuracy: float,
    quantized_accuracy: float,
    drop_pp: float,
    max_drop_pp: float,
    agreement: float,
    float_size_bytes: int,
    float32_tflite_size_bytes: int,
    source_model: str,
    source_sha256: str,
    calibration_samples: int | None,
    calibration_seed: int | None,
    micro: dict[str, Any] | None = None,
) -> ModelInfo:
    """The one description of an exported model: what the sidecar, the copy embedded in
    the ``.tflite`` and the report are all made from.

    ``model_sha256`` and ``size_bytes`` are left for :func:`edgecnn.export.embed.embed`,
    which knows the final bytes.

    Args:
        model_file: the model's file name (``model_int8.tflite``).
        mode: ``int8``, ``float16``, ``dynamic`` or ``float32``.
        tensors: (input, output) from :func:`read_tensors`.
        output_kind: ``probabilities`` or ``logits`` (None: let the runtime find out).
        float_accuracy: the Keras model's test accuracy (0-1).
        quantized_accuracy: the converted model's test accuracy (0-1).
        drop_pp: float minus converted accuracy, in percentage points.
        max_drop_pp: the gate's tolerance.
        agreement: fraction of test images both models label alike.
        float_size_bytes: size of the source ``.keras`` file.
        float32_tflite_size_bytes: size of the same model converted to float32 ``.tflite``
            (the fair comparison for the int8 file: no optimizer state, same format).
        source_model: the source model's path, relative to the sidecar when possible.
        source_sha256: its SHA-256.
        calibration_samples: images calibrated on (``None`` when the mode does not calibrate).
        calibration_seed: the draw's seed (``None`` when not drawn from the training split).
        micro: TensorFlow Lite Micro figures (``arena_bytes``, ``match_rate``, ``samples``).

    Returns:
        The description.
    """
    from edge_runtime.preprocess import NORMALIZATION

    inp, out = tensors
    return ModelInfo(
        model_file=model_file,
        mode=mode,
        input=_tensor(inp),
        output=_tensor(out, output_kind),
        normalization=InputConvention(
            float(NORMALIZATION["scale"]), float(NORMALIZATION["offset"])
        ),
        labels=tuple(LABELS),
        float_accuracy=round(float(float_accuracy), 6),
        quantized_accuracy=round(float(quantized_accuracy), 6),
        accuracy_drop_pp=round(float(drop_pp), 4),
        max_drop_pp=float(max_drop_pp),
        agreement=round(float(agreement), 6),
        float_size_bytes=int(float_size_bytes),
        float32_tflite_size_bytes=int(float32_tflite_size_bytes),
        source_model=source_model,
        source_sha256=source_sha256,
        calibration_samples=calibration_samples,
        calibration_seed=calibration_seed,
        versions=versions(),
        created=utc_now(),
        micro=None if micro is None else MicroInfo(**micro),
    )


def _tensor(described: dict[str, Any], kind: str | None = None) -> TensorInfo:
    return TensorInfo(
        shape=tuple(described["shape"]),
        dtype=described["dtype"],
        scale=described["scale"],
        zero_point=described["zero_point"],
        kind=kind,
    )


def dumps(info: ModelInfo) -> str:
    """The sidecar as text: 2-space JSON and a trailing newline."""
    return json.dumps(info.to_json(), indent=2) + "\n"
