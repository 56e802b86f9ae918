"""What ``edgecnn export`` is asked to do: the mode, the I/O type, the gate, the paths.

Every field of :class:`ExportConfig` is one command-line option (the mode is the one of
``--int8 / --float16 / --dynamic / --float32`` given), except ``calibration_images``,
which lets a caller (a test, a notebook) calibrate on its own images instead of a
seeded draw from the training split.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

import numpy as np

DEFAULT_MODEL = Path("artifacts/model.keras")
DEFAULT_CALIBRATION_SAMPLES = 1000
MNIST_SHAPE = (28, 28)


class Mode(str, Enum):
    """How the model is converted.

    ``int8``: full-integer post-training quantization (weights and activations).
    ``float16``: float16 weights, float32 compute.
    ``dynamic``: int8 weights, float activations (dynamic-range quantization).
    ``float32``: plain conversion, the float reference.
    """

    INT8 = "int8"
    FLOAT16 = "float16"
    DYNAMIC = "dynamic"
    FLOAT32 = "float32"


class IOType(str, Enum):
    """The dtype of the converted model's input and output tensors."""

    INT8 = "int8"
    UINT8 = "uint8"
    FLOAT = "float"


@dataclass(frozen=True)
class ExportPaths:
    """Every file an export writes, named after the model's stem.

    Attributes:
        model: the ``.tflite`` file.
        sidecar: its JSON description (``X.tflite`` -> ``X.json``, what the runtime reads).
        report: the Markdown report (``X_report.md``).
        figure: per-class accuracy, float vs converted (``X_per_class.png``).
        refused: where a model refused by the gate is kept (``X.refused.tflite``).
    """

    model: Path
    sidecar: Path
    report: Path
    figure: Path
    refused: Path

    @classmethod
    def for_model(cls, model: Path) -> ExportPaths:
        """Derive every path from the model's path."""
        stem = model.stem
        return cls(
            model=model,
            sidecar=model.with_suffix(".json"),
            report=model.with_name(f"{stem}_report.md"),
            figure=model.with_name(f"{stem}_per_class.png"),
            refused=model.with_name(f"{stem}.refused.tflite"),
        )


@dataclass(frozen=True)
class ExportConfig:
    """Everything ``edgecnn export`` takes.

    Attributes:
        model: the trained ``.keras`` model.
        out: the ``.tflite`` to write; ``None`` -> ``model_<mode>.tflite`` in the
            model's folder (``artifacts/model_int8.tflite`` for the default model).
        mode: the conversion (see :class:`Mode`).
        max_drop: the gate's tolerance, in percentage points of test accuracy.
        calibration_samples: training images drawn for int8 calibration; ``None`` ->
            :data:`DEFAULT_CALIBRATION_SAMPLES`, or every training image when there
            are fewer (a small dataset of your own).
        calibration_seed: seeds that draw.
        data: dataset path for :func:`edgecnn.train.data.load_mnist`; ``None``: bundled MNIST.
        io: input/output dtype; ``None`` -> int8 for ``int8`` mode, float otherwise.
            ``uint8`` and ``int8`` need ``int8`` mode (only it has integer tensors).
        check_micro: also run the int8 model in TensorFlow Lite Micro (arena size,
            agreement with LiteRT).
        fixed_batch: convert with the batch fixed at this size (a static graph, as
            accelerators want); ``None``: a dynamic batch. The report then compares
            the two graphs' operators and latency.
        calibration_images: calibrate on these MNIST-form images instead of drawing
            ``calibration_samples`` from the training split (int8 only; not a CLI option).
    """

    model: Path = DEFAULT_MODEL
    out: Path | None = None
    mode: Mode = Mode.INT8
    max_drop: float = 0.5
    calibration_samples: int | None = None
    calibration_seed: int = 0
    data: Path | None = None
    io: IOType | None = None
    check_micro: bool = False
    fixed_batch: int | None = None
    calibration_images: np.ndarray | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        # Typer hands over enums and Paths already; plain strings from Python callers
        # are parsed here (an unknown name raises ValueError).
        object.__setattr__(self, "mode", Mode(self.mode))
        object.__setattr__(self, "model", Path(self.model))
        if self.io is not None:
            object.__setattr__(self, "io", IOType(self.io))
        if self.out is not None:
            object.__setattr__(self, "out", Path(self.out))
            if self.out.suffix != ".tflite":
                raise ValueError(f"--out must name a .tflite file, got {self.out}")
        if self.data is not None:
            object.__setattr__(self, "data", Path(self.data))
        if isinstance(self.max_drop, bool) or not (
            isinstance(self.max_drop, (int, float))
            and math.isfinite(self.max_drop)
            and self.max_drop >= 0
        ):
            raise ValueError(
                f"--max-drop must be a number >= 0 (percentage points), got {self.max_drop}"
            )
        if self.calibration_samples is not None and (
            isinstance(self.calibration_samples, bool) or self.calibration_samples < 1
        ):
            raise ValueError(f"--calibration-samples must be >= 1, got {self.calibration_samples}")
        if self.calibration_seed < 0:
            raise ValueError(f"--calibration-seed must be >= 0, got {self.calibration_seed}")
        if self.fixed_batch is not None and (
            isinstance(self.fixed_batch, bool) or not 1 <= self.fixed_batch <= 4096
        ):
            raise ValueError(f"--fixed-batch must be 1 to 4096, got {self.fixed_batch}")
        if self.io in (IOType.INT8, IOType.UINT8) and self.mode is not Mode.INT8:
            raise ValueError(
                f"--io {self.io.value} needs --int8: a {self.mode.value} model "
                "has float input and output"
            )
        if self.check_micro and self.mode is not Mode.INT8:
            raise ValueError(
                "--check-micro needs --int8: TensorFlow Lite Micro runs integer models"
            )
        if self.calibration_images is not None:
            if self.mode is not Mode.INT8:
                raise ValueError(f"calibration images are for int8 mode, not {self.mode.value}")
            images = np.asarray(self.calibration_images)
            if images.ndim not in (3, 4) or images.shape[1:3] != MNIST_SHAPE or len(images) < 1:
                raise ValueError(
                    "calibration images must be MNIST-form (N, 28, 28[, 1]) with "
                    f"N >= 1, got {images.shape}"
                )

    @property
    def out_path(self) -> Path:
        """The ``.tflite`` to write (``out``, or the mode's default name)."""
        if self.out is not None:
            return self.out
        return self.model.parent / f"model_{self.mode.value}.tflite"

    @property
    def paths(self) -> ExportPaths:
        """Every file this export writes."""
        return ExportPaths.for_model(self.out_path)

    @property
    def io_type(self) -> IOType:
        """The I/O dtype actually used: ``io``, or the mode's natural one."""
        if self.io is not None:
            return self.io
        return IOType.INT8 if self.mode is Mode.INT8 else IOType.FLOAT
