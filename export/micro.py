"""Does the int8 model run in TensorFlow Lite Micro, in how much memory, and alike?

A microcontroller gives the interpreter one fixed buffer, the tensor arena, for every
activation and bookkeeping structure (weights stay in flash). The smallest arena that
works is found by trying sizes (doubling, then bisecting): the interpreter fails to
allocate its tensors when the arena is too small. The model then runs in exactly
that arena on a few hundred test images, and its predictions are compared with
LiteRT's on the same images.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from edge_runtime.errors import EdgeCNNError, MissingDependencyError
from edgecnn.train.tf_env import quiet_native

MICRO_SAMPLES = 300
ARENA_START = 4 * 1024
ARENA_LIMIT = 256 * 1024 * 1024
ARENA_STEP = 16  # TFLM aligns arena allocations to 16 bytes


@dataclass(frozen=True)
class MicroCheck:
    """What TensorFlow Lite Micro made of the model.

    Attributes:
        arena_bytes: the smallest tensor arena that runs it.
        match_rate: fraction of images on which TFLM and LiteRT predict the same label.
        samples: how many images were compared.
    """

    arena_bytes: int
    match_rate: float
    samples: int

    def to_json(self) -> dict[str, Any]:
        """The sidecar's ``micro`` entry."""
        return asdict(self)


def load_runtime() -> Any:
    """The ``tflite_micro`` Python interpreter module, or a one-line install hint."""
    try:
        from tflite_micro.python.tflite_micro import runtime
    except ImportError as exc:
        raise MissingDependencyError(
            "tflite_micro is not installed (needed by --check-micro): pip install 'edgecnn[micro]'"
        ) from exc
    return runtime


def _interpreter(runtime: Any, model: bytes, arena: int) -> Any | None:
    try:
        # Every failed allocation makes TFLM print "Failed to resize buffer" from C++.
        with quiet_native():
            return runtime.Interpreter.from_bytes(model, arena_size=arena)
    except RuntimeError:  # "TFLM failed to allocate tensors": the arena is too small
        return None


def smallest_arena(runtime: Any, model: bytes) -> int:
    """The smallest tensor arena (bytes, a multiple of 16) the model allocates in.

    Args:
        runtime: the ``tflite_micro`` runtime module.
        model: the ``.tflite`` bytes.

    Returns:
        The arena size.

    Raises:
        EdgeCNNError: the model does not allocate even in :data:`ARENA_LIMIT` bytes
            (an operator TFLM lacks, or a model far too large for a microcontroller).
    """
    high = ARENA_START
    while _interpreter(runtime, model, high) is None:
        if high >= ARENA_LIMIT:
            raise EdgeCNNError(
                f"TensorFlow Lite Micro cannot run the model even with a "
                f"{ARENA_LIMIT:,}-byte arena (unsupported operator?)"
            )
        high *= 2
    low = 0  # invariant: low fails (or is zero), high works
    while high - low > ARENA_STEP:
        middle = (low + high) // 2 // ARENA_STEP * ARENA_STEP
        if middle <= low:
            break
        if _interpreter(runtime, model, middle) is None:
            low = middle
        else:
            high = middle
    return high


def check_micro(
    tflite_path: str | Path,
    images: np.ndarray,
    reference_labels: np.ndarray,
    samples: int = MICRO_SAMPLES,
) -> MicroCheck:
    """Run a model in TensorFlow Lite Micro and compare it with LiteRT.

    Args:
        tflite_path: the ``.tflite`` model (integer or float input).
        images: uint8 (N, 28, 28) test images.
        reference_labels: LiteRT's labels for the same images.
        samples: how many of the first images to run.

    Returns:
        The :class:`MicroCheck`.

    Raises:
        MissingDependencyError: ``tflite_micro`` is not installed.
        EdgeCNNError: TFLM cannot run the model.
    """
    from edge_runtime.preprocess import normalize, quantize

    runtime = load_runtime()
    model = Path(tflite_path).read_bytes()
    arena = smallest_arena(runtime, model)
    interpreter = _interpreter(runtime, model, arena)
    if interpreter is None:  # allocation is deterministic; this would be a TFLM bug
        raise EdgeCNNError(f"TensorFlow Lite Micro could not allocate {arena:,} bytes twice")
    detail = interpreter.get_input_details(0)
    dtype = np.dtype(detail["dtype"])
    shape = tuple(int(d) for d in detail["shape"])
    params = detail["quantization_parameters"]
    n = min(samples, len(images))
    x = normalize(images[:n])
    if dtype.kind in "iu":
        x = quantize(x, float(params["scales"][0]), int(params["zero_points"][0]), dtype)
    else:
        x = x.astype(dtype)
    labels = np.empty(n, dtype=np.int64)
    for i in range(n):
        interpreter.set_input(x[i].reshape(shape), 0)
        interpreter.invoke()
        # Integer outputs are monotonic in the real value (scale > 0): argmax as is.
        labels[i] = int(np.asarray(interpreter.get_output(0)).reshape(-1).argmax())
    match = float(np.mean(labels == np.asarray(reference_labels[:n])))
    return MicroCheck(arena_bytes=arena, match_rate=match, samples=n)
