"""DigitGate: is this 28x28 crop a digit at all?

The digit classifier has ten classes and no "none of these": a letter, a symbol, a
binding hole or a sliver of a page edge comes back as some digit, often confidently.
The gate is a second, much smaller int8 model that sees the same ``to_mnist`` crops and
answers one question, P(it is a digit). It ships in the package
(``edge_runtime/assets/digit_gate.tflite``) with a sidecar JSON that records how it
was trained, what it measured, and the threshold chosen to keep real digits.

    with DigitGate() as gate:
        keep = gate.scores(crops) >= gate.threshold

Every crop of a frame goes through one invoke, on the same interpreter backends as
:class:`edge_runtime.DigitClassifier`; never TensorFlow.
"""

from __future__ import annotations

import threading
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from edge_runtime import preprocess
from edge_runtime.backends import Backend, create_interpreter
from edge_runtime.errors import ImageError, ModelFormatError
from edge_runtime.inputs import MNIST_SHAPE, InputEncoder
from edge_runtime.model_file import TensorSpec, check_tflite_file, read_sidecar

#: The bundled gate, inside the installed package.
ASSET = "assets/digit_gate.tflite"
#: Used when a gate model has no sidecar (or its sidecar names no threshold).
DEFAULT_THRESHOLD = 0.5
# At most this many crops per invoke: bounded memory on a small Pi.
CHUNK = 256


def bundled_gate_path() -> Path:
    """The path of the gate model shipped in the ``edge_runtime`` package."""
    return Path(str(resources.files("edge_runtime") / ASSET))


class DigitGate:
    """A binary int8 TFLite model: P(a 28x28 MNIST-form crop is a digit).

    Use as a context manager, or call :meth:`close`.
    """

    def __init__(
        self,
        model_path: str | Path | None = None,
        num_threads: int | None = None,
        backend: Backend | str = Backend.AUTO,
    ) -> None:
        """Load the gate.

        Args:
            model_path: a gate ``.tflite`` file; None loads the bundled one. Its sidecar
                ``.json`` (same name) gives the normalization and the threshold.
            num_threads: interpreter CPU threads; None keeps the backend's default.
            backend: ``auto``, ``litert``, ``tflite_runtime`` or ``tensorflow``.

        Raises:
            ModelFormatError: the file is missing, not a TFLite model, damaged, not a
                one-output 28x28 model, or its sidecar is unusable.
            MissingDependencyError: the backend is not installed.
            ValueError: num_threads < 1 or an unknown backend.
        """
        self._interpreter: Any = None
        self._lock = threading.Lock()
        path = check_tflite_file(bundled_gate_path() if model_path is None else model_path)
        self._backend, interpreter = create_interpreter(path, num_threads, backend)
        inputs, outputs = interpreter.get_input_details(), interpreter.get_output_details()
        if len(inputs) != 1 or len(outputs) != 1:
            raise ModelFormatError(
                f"{path}: expected one input and one output, got {len(inputs)} and {len(outputs)}"
            )
        inp, out = TensorSpec(inputs[0], path, "input"), TensorSpec(outputs[0], path, "output")
        if inp.shape[0] != 1 or int(np.prod(inp.shape[1:])) != MNIST_SHAPE[0] * MNIST_SHAPE[1]:
            raise ModelFormatError(f"{path}: input {list(inp.shape)} is not one 28x28 image")
        if int(np.prod(out.shape)) != 1:
            raise ModelFormatError(f"{path}: output {list(out.shape)} is not one score")
        meta = read_sidecar(path) or {}
        norm = meta.get("normalization") or preprocess.NORMALIZATION
        threshold = meta.get("threshold", DEFAULT_THRESHOLD)
        if not isinstance(threshold, (int, float)) or not 0.0 <= threshold <= 1.0:
            raise ModelFormatError(f"{path}: sidecar threshold {threshold!r} is not in [0, 1]")
        self._path, self._meta, self._threshold = path, meta, float(threshold)
        self._encoder = InputEncoder(
            inp.dtype, inp.scale, inp.zero_point, float(norm["scale"]), float(norm.get("offset", 0))
        )
        self._in, self._out = inp, out
        self._sample_shape = inp.shape[1:]
        self._batch = 1
        self._interpreter = interpreter

    @property
    def threshold(self) -> float:
        """The score at or above which a crop counts as a digit (from the sidecar)."""
        return self._threshold

    @property
    def metadata(self) -> dict[str, Any]:
        """The sidecar JSON ({} when the model has none)."""
        import copy

        return copy.deepcopy(self._meta)

    @property
    def model_path(self) -> Path:
        """The model file."""
        return self._path

    @property
    def backend(self) -> Backend:
        """The interpreter backend in use."""
        return self._backend

    def scores(self, crops: npt.ArrayLike) -> npt.NDArray[np.float32]:
        """P(digit) of each crop, all of them in one invoke (chunked beyond CHUNK).

        Args:
            crops: (N, 28, 28) or (N, 28, 28, 1) MNIST-form crops as ``to_mnist`` makes
                them (uint8, white ink on black; float 0-1 also taken), or one (28, 28).

        Returns:
            float32 (N,), each in [0, 1] (empty for N = 0, without an invoke).

        Raises:
            ImageError: wrong shape or dtype.
        """
        batch = _as_batch(crops)
        n = len(batch)
        out = np.empty(n, dtype=np.float32)
        for start in range(0, n, CHUNK):
            out[start : start + CHUNK] = self._run(batch[start : start + CHUNK])
        return out

    def accepts(self, crops: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        """Whether each crop's score reaches :attr:`threshold`; (N,) bool."""
        accepted: npt.NDArray[np.bool_] = self.scores(crops) >= np.float32(self._threshold)
        return accepted

    def close(self) -> None:
        """Release the interpreter; the gate cannot be used afterwards."""
        with self._lock:
            self._interpreter = None

    def __enter__(self) -> DigitGate:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._interpreter is None else self._backend.value
        return f"DigitGate({str(self._path)!r}, {state})"

    def _run(self, batch: npt.NDArray[Any]) -> npt.NDArray[np.float32]:
        x = self._encoder.encode(batch).reshape((len(batch), *self._sample_shape))
        with self._lock:
            interpreter = self._interpreter
            if interpreter is None:
                raise ValueError("the DigitGate is closed")
            if self._batch != len(batch):
                interpreter.resize_tensor_input(self._in.index, [len(batch), *self._sample_shape])
                interpreter.allocate_tensors()
                self._batch = len(batch)
            interpreter.set_tensor(self._in.index, x)
            interpreter.invoke()
            q = interpreter.get_tensor(self._out.index).reshape(-1)
        if self._out.dtype.kind in "iu":
            return preprocess.dequantize(q, self._out.scale, self._out.zero_point)
        return np.asarray(q, dtype=np.float32)


def _as_batch(crops: npt.ArrayLike) -> npt.NDArray[Any]:
    array = np.asarray(crops)
    if array.ndim == 2:
        array = array[np.newaxis]
    if array.ndim == 4 and array.shape[3] == 1:
        array = array[..., 0]
    if array.ndim != 3 or array.shape[1:] != MNIST_SHAPE:
        raise ImageError(f"expected MNIST-form crops (N, 28, 28[, 1]), got {array.shape}")
    if array.dtype == np.uint8:
        return array
    if array.dtype.kind == "f":
        preprocess.check_unit_range(array)
        return array.astype(np.float32, copy=False)
    raise ImageError(f"expected uint8 (0-255) or float (0-1) crops, got dtype {array.dtype}")
