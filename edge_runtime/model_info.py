"""ModelInfo: everything known about a digit model, in one typed, versioned record.

Export writes it twice, as the sidecar JSON beside the model (``X.tflite`` ->
``X.json``, the human-readable copy) and inside the ``.tflite`` itself (see
:mod:`edge_runtime.embedded`). The classifier reads it; for a model that carries none
(a third-party one) the classifier infers one from the tensors and a probe of bundled
digits, and says how in :attr:`ModelInfo.inferred`.

The JSON form is schema_version 2. Version 1 (sidecars written before the model's own
digest and the input polarity were recorded) is still read; anything else is one
:class:`~edge_runtime.errors.ModelFormatError`. Top-level keys this version does not
know are kept in :attr:`ModelInfo.extra` and written back unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Final

from edge_runtime.errors import ModelFormatError

SCHEMA_VERSION: Final = 2
READABLE_SCHEMAS: Final = (1, 2)
PIXELS: Final = "28x28 uint8, white digit on black (MNIST)"
WHITE_ON_BLACK: Final = "white_on_black"
BLACK_ON_WHITE: Final = "black_on_white"
PROBABILITIES: Final = "probabilities"
LOGITS: Final = "logits"


@dataclass(frozen=True)
class TensorInfo:
    """An input or output tensor: shape, dtype and per-tensor quantization.

    ``scale`` and ``zero_point`` are None for a float tensor, and for an integer one
    that carries no quantization (raw values). ``kind`` is set on outputs only:
    ``probabilities`` or ``logits`` (the classifier applies a softmax to logits).
    """

    shape: tuple[int, ...]
    dtype: str
    scale: float | None = None
    zero_point: int | None = None
    kind: str | None = None

    def to_json(self) -> dict[str, object]:
        """The JSON form (``kind`` only when known)."""
        out: dict[str, object] = {
            "shape": list(self.shape),
            "dtype": self.dtype,
            "scale": self.scale,
            "zero_point": self.zero_point,
        }
        if self.kind is not None:
            out["kind"] = self.kind
        return out


@dataclass(frozen=True)
class InputConvention:
    """How an MNIST-form pixel ``p`` (0-255, white digit on black) becomes the real
    value the model was trained on: ``(255 - p if inverted else p) * scale + offset``.

    Attributes:
        scale: > 0; 1/255 for inputs 0..1, 1.0 for raw pixels, 2/255 for -1..1.
        offset: the real value of a black (or, inverted, a white) pixel.
        inverted: the model wants dark ink on light paper.
    """

    scale: float
    offset: float = 0.0
    inverted: bool = False

    def __post_init__(self) -> None:
        if not (math.isfinite(self.scale) and self.scale > 0 and math.isfinite(self.offset)):
            raise ValueError(f"a convention needs a finite scale > 0, got {self.scale}")

    @property
    def pixel_range(self) -> tuple[float, float]:
        """The real values of pixels 0 and 255, in the model's polarity."""
        return (self.offset, round(255 * self.scale + self.offset, 6))

    @property
    def polarity(self) -> str:
        """``white_on_black`` (MNIST) or ``black_on_white``."""
        return BLACK_ON_WHITE if self.inverted else WHITE_ON_BLACK

    def linear(self) -> tuple[float, float]:
        """(scale, offset) applied to the MNIST-form pixel itself (inversion folded in)."""
        if self.inverted:
            return -self.scale, 255 * self.scale + self.offset
        return self.scale, self.offset

    def describe(self) -> str:
        """``0..1, white on black``."""
        low, high = self.pixel_range
        return f"{_num(low)}..{_num(high)}, {self.polarity.replace('_', ' ')}"

    def to_json(self) -> dict[str, object]:
        """The ``normalization`` entry."""
        return {
            "scale": self.scale,
            "offset": self.offset,
            "polarity": self.polarity,
            "range": list(self.pixel_range),
            "pixels": PIXELS,
        }


@dataclass(frozen=True)
class MicroInfo:
    """What TensorFlow Lite Micro made of the model (``export --check-micro``)."""

    arena_bytes: int
    match_rate: float
    samples: int


@dataclass(frozen=True)
class ModelInfo:
    """Everything known about a digit model; see the module docstring.

    ``model_sha256`` is the SHA-256 of the model file without its embedded description
    (:func:`edge_runtime.embedded.model_digest`): the classifier refuses a model whose
    bytes do not give it. ``inferred`` is None for a description written by export (or
    frozen by ``edgecnn inspect --write-sidecar``), else how it was worked out.
    """

    input: TensorInfo
    output: TensorInfo
    normalization: InputConvention
    labels: tuple[str, ...]
    mode: str
    model_file: str = ""
    model_sha256: str | None = None
    float_accuracy: float | None = None
    quantized_accuracy: float | None = None
    accuracy_drop_pp: float | None = None
    max_drop_pp: float | None = None
    agreement: float | None = None
    float_size_bytes: int | None = None
    float32_tflite_size_bytes: int | None = None
    size_bytes: int | None = None
    source_model: str | None = None
    source_sha256: str | None = None
    calibration_samples: int | None = None
    calibration_seed: int | None = None
    versions: Mapping[str, str] = field(default_factory=dict)
    created: str | None = None
    micro: MicroInfo | None = None
    inferred: str | None = None
    extra: Mapping[str, object] = field(default_factory=dict, compare=False)
    schema_version: int = SCHEMA_VERSION

    def replace(self, **changes: object) -> ModelInfo:
        """A copy with some fields changed."""
        return replace(self, **changes)  # type: ignore[arg-type]

    def to_json(self) -> dict[str, object]:
        """The JSON form, in the current schema (unknown keys read in come back out)."""
        out: dict[str, object] = {
            "schema_version": SCHEMA_VERSION,
            "model_file": self.model_file,
            "mode": self.mode,
            "model_sha256": self.model_sha256,
            "input": self.input.to_json(),
            "output": self.output.to_json(),
            "normalization": self.normalization.to_json(),
            "labels": list(self.labels),
        }
        for f in fields(self):
            if f.name in out or f.name in ("extra", "micro", "versions", "inferred"):
                continue
            out[f.name] = getattr(self, f.name)
        out["versions"] = dict(self.versions)
        if self.micro is not None:
            out["micro"] = {
                "arena_bytes": self.micro.arena_bytes,
                "match_rate": self.micro.match_rate,
                "samples": self.micro.samples,
            }
        if self.inferred is not None:
            out["derived"] = True
            out["inferred"] = self.inferred
        for key, value in self.extra.items():
            out.setdefault(key, value)
        return out

    @classmethod
    def from_json(cls, data: object, where: str) -> ModelInfo:
        """Read and check a description.

        Args:
            data: the parsed JSON.
            where: names the source in error messages (``model.json``).

        Returns:
            The description.

        Raises:
            ModelFormatError: not an object, an unknown schema_version, or a field of
                the wrong type or value.
        """
        from edge_runtime._info_json import parse

        if not isinstance(data, Mapping):
            raise ModelFormatError(f"{where}: a model description must be a JSON object")
        version = data.get("schema_version")
        if version not in READABLE_SCHEMAS or isinstance(version, bool):
            raise ModelFormatError(
                f"{where}: unsupported schema_version {version!r} (this edge_runtime "
                f"reads {' and '.join(map(str, READABLE_SCHEMAS))}; written by a newer edgecnn?)"
            )
        return parse(data, where)


def _num(x: float) -> str:
    return f"{x:g}"
