"""DigitClassifier: load a TFLite digit model once, classify many images.

The 28x28 uint8 path is the hot one (the camera and ``predict`` call it per digit),
so everything that can be is worked out at load time: tensor indices, a 256-entry
table from pixel to quantized input (normalization and input quantization in one
lookup), a 256-entry table from quantized output to probability, the label of each
class. Per call that leaves one lookup, set_tensor, invoke, get_tensor, one lookup
and an argmax.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from edge_runtime import preprocess
from edge_runtime.backends import Backend, create_interpreter
from edge_runtime.convention import infer_info
from edge_runtime.errors import ImageError, ModelFormatError
from edge_runtime.find import read_digits as _read_digits
from edge_runtime.find import read_lines as _read_lines
from edge_runtime.inputs import (
    INK_LEVEL,
    MNIST_SHAPE,
    InputEncoder,
    looks_like_probabilities,
    mnist_form,
    stack_mnist,
)
from edge_runtime.model_file import (
    TensorSpec,
    check_description_matches,
    open_model,
    sidecar_path,
)
from edge_runtime.model_info import LOGITS, PROBABILITIES, ModelInfo
from edge_runtime.results import DigitLine, DigitReading, Prediction

# probabilities() feeds at most this many images per invoke: bounded memory on a
# 512 MB Pi Zero 2 W, and no slower than bigger batches (measured).
CHUNK = 256

_U8 = np.dtype(np.uint8)
_log = logging.getLogger("edge_runtime")
_FAINT = bytes(range(INK_LEVEL))  # pixel values that are not ink


class DigitClassifier:
    """A TFLite digit classifier: int8, uint8 or float32 models, one backend.

    Use as a context manager, or call :meth:`close`::

        with DigitClassifier("model_int8.tflite") as clf:
            print(clf.predict(image).digit)
    """

    def __init__(
        self,
        model_path: str | Path,
        num_threads: int | None = None,
        backend: Backend | str = Backend.AUTO,
    ) -> None:
        """Load a model.

        Args:
            model_path: a ``.tflite`` file; its sidecar ``.json`` is read when present.
            num_threads: interpreter CPU threads; None keeps the backend's default.
            backend: ``auto``, ``litert``, ``tflite_runtime`` or ``tensorflow``.

        Raises:
            ModelFormatError: the file is missing, not a TFLite model, damaged, not a
                28x28 digit model, or its sidecar does not match it.
            MissingDependencyError: the backend is not installed.
            ValueError: num_threads < 1 or an unknown backend.
        """
        self._interpreter: Any = None
        self._lock = threading.Lock()
        model = open_model(model_path)
        path = model.path
        for warning in model.warnings:
            _log.warning("%s", warning)
        self._backend, interpreter = create_interpreter(path, num_threads, backend, model.data)
        inputs, outputs = interpreter.get_input_details(), interpreter.get_output_details()
        if len(inputs) != 1 or len(outputs) != 1:
            raise ModelFormatError(
                f"{path}: expected one input and one output, got {len(inputs)} and {len(outputs)}"
            )
        inp, out = TensorSpec(inputs[0], path, "input"), TensorSpec(outputs[0], path, "output")
        if int(np.prod(inp.shape[1:])) != MNIST_SHAPE[0] * MNIST_SHAPE[1]:
            raise ModelFormatError(f"{path}: input {list(inp.shape)} is not one 28x28 image")
        if len(out.shape) != 2 or out.shape[0] != inp.shape[0]:
            raise ModelFormatError(f"{path}: output {list(out.shape)} is not (batch, classes)")
        # A batch dimension of -1 in the signature can be resized; any other is fixed
        # (``export --fixed-batch N``, or a third-party graph with constant reshapes).
        self._fixed = None if inp.signature[:1] == (-1,) else inp.shape[0]
        self._single = self._fixed in (None, 1)
        self._path, self._num_threads, self._model = path, num_threads, model
        self._in, self._out = inp, out
        self._sample_shape = inp.shape[1:]
        self._shape1 = (1, *inp.shape[1:])
        self._batch = inp.shape[0]
        self._in_index, self._out_index, self._in_dtype = inp.index, out.index, inp.dtype
        self._out_lut = None
        if out.dtype.kind in "iu":
            codes = np.arange(256, dtype=np.uint8).view(out.dtype)
            self._out_lut = preprocess.dequantize(codes, out.scale, out.zero_point)
        self._set, self._invoke, self._get = (
            interpreter.set_tensor,
            interpreter.invoke,
            interpreter.get_tensor,
        )
        self._interpreter = interpreter
        self._softmax = False
        self._info = self._describe(model.info, model.source)
        self._digits = tuple(int(label) for label in self._info.labels)
        scale, offset = self._info.normalization.linear()
        self._encoder = InputEncoder(inp.dtype, inp.scale, inp.zero_point, scale, offset)
        self._lut, self._table = self._encoder.lut, self._encoder.table
        kind = self._info.output.kind
        if kind is None:
            # A model that ends in logits rather than softmax gets a softmax here; the
            # probe (a blank image) also warms the interpreter up.
            probe = self._run(np.full(self._shape1, self._lut[0], dtype=self._lut.dtype))
            kind = PROBABILITIES if looks_like_probabilities(probe) else LOGITS
            self._info = self._info.replace(output=replace(self._info.output, kind=kind))
        self._softmax = kind == LOGITS

    def _describe(self, info: ModelInfo | None, source: str | None) -> ModelInfo:
        """The model's description, checked against its tensors; inferred when it has none."""
        inp, out, path = self._in, self._out, self._path
        if info is None:
            shape = self._sample_shape
            return infer_info(self._model, inp, out, lambda x: self._run(x.reshape(-1, *shape)))
        where = str(sidecar_path(path)) if source == "sidecar" else f"{path.name} (embedded)"
        check_description_matches(path, info, where, inp, out)
        _log.debug("%s: described by its %s copy", path.name, source)
        return info

    # -- public API -------------------------------------------------------------

    @property
    def info(self) -> ModelInfo:
        """What describes the model: its sidecar, else the description embedded in it,
        else what was inferred from its tensors and the bundled probe digits
        (:attr:`ModelInfo.inferred` says how)."""
        return self._info

    @property
    def metadata(self) -> dict[str, Any]:
        """:attr:`info` as JSON (a fresh dict; ``"derived": True`` when inferred)."""
        return self._info.to_json()

    @property
    def backend(self) -> Backend:
        """The interpreter backend in use."""
        return self._backend

    @property
    def model_path(self) -> Path:
        """The model file."""
        return self._path

    @property
    def num_threads(self) -> int | None:
        """The thread count given to the interpreter (None: backend default)."""
        return self._num_threads

    def predict(self, image: npt.ArrayLike) -> Prediction:
        """Classify one digit.

        Args:
            image: a 28x28 MNIST-form array (white on black; uint8 0-255 or float 0-1)
                goes straight in; any other grey/BGR/BGRA image of one digit goes
                through :func:`edge_runtime.preprocess.to_mnist` first.

        Returns:
            The prediction; ``digit`` is None for a blank image.

        Raises:
            ImageError: not an image (wrong rank, dtype, empty).
        """
        if (
            type(image) is np.ndarray
            and image.shape == MNIST_SHAPE
            and image.dtype is _U8
            and self._single
        ):
            # bytes.translate does a 256-entry table lookup in C: cheaper here than any
            # numpy call, both for the blank test and for pixel -> quantized input.
            pixels = image.tobytes()
            if not pixels.translate(None, _FAINT):
                return _blank(len(self._digits))
            if self._table is not None:
                x = np.frombuffer(pixels.translate(self._table), self._in_dtype)
                x = x.reshape(self._shape1)
            else:
                x = self._lut.take(image).reshape(self._shape1)
            with self._lock:
                if self._batch != 1:
                    self._resize(1)
                self._set(self._in_index, x)
                self._invoke()
                q = self._get(self._out_index)
            if self._out_lut is not None and not self._softmax:
                # Integer outputs index the table directly; negative int8 codes wrap
                # to the upper half, which is where _out_lut keeps them.
                probs = self._out_lut.take(q.reshape(-1))
            else:
                probs = self._decode(q)[0]
            i = int(probs.argmax())
            return Prediction(self._digits[i], probs.item(i), probs)
        return self.predict_batch([image])[0]

    def predict_batch(self, images: Iterable[npt.ArrayLike] | npt.NDArray[Any]) -> list[Prediction]:
        """Classify many digits with one interpreter invoke (chunked beyond CHUNK).

        Args:
            images: an (N, 28, 28[, 1]) MNIST-form array, or a sequence of images, each
                as :meth:`predict` takes them.

        Returns:
            One prediction per image, in order.

        Raises:
            ImageError: an item is not an image.
        """
        if isinstance(images, np.ndarray) and images.shape[1:] in (MNIST_SHAPE, (*MNIST_SHAPE, 1)):
            batch = mnist_form(images)
        else:
            batch = stack_mnist(images)
        n = len(batch)
        if n == 0:
            return []
        peak = batch.reshape(n, -1).max(axis=1)
        blank = peak < (INK_LEVEL if batch.dtype == _U8 else INK_LEVEL / 255.0)
        probs = self._probabilities(batch)
        probs[blank] = 0.0
        best = probs.argmax(axis=1)
        confidence = probs[np.arange(n), best].tolist()
        digits = self._digits
        blanks = blank.tolist()
        labels = [None if b else digits[i] for i, b in zip(best.tolist(), blanks, strict=True)]
        return _predictions(labels, confidence, probs)

    def probabilities(self, images: npt.ArrayLike) -> npt.NDArray[np.float32]:
        """Class probabilities of MNIST-form images: the fast path of evaluation.

        Args:
            images: (N, 28, 28), (N, 28, 28, 1) or (28, 28); uint8 0-255 or float 0-1.
                No blank detection and no to_mnist: the images are taken as they are.

        Returns:
            float32 (N, classes).

        Raises:
            ImageError: wrong shape or dtype.
        """
        array = np.asarray(images)
        if array.ndim == 2:
            array = array[np.newaxis]
        if (
            array.ndim not in (3, 4)
            or array.shape[1:3] != MNIST_SHAPE
            or (array.ndim == 4 and array.shape[3] != 1)
        ):
            raise ImageError(f"expected MNIST-form images (N, 28, 28[, 1]), got {array.shape}")
        return self._probabilities(mnist_form(array))

    def read_digits(self, image: Any, min_confidence: float = 0.7) -> list[DigitReading]:
        """Find and read every digit in an image, in reading order.

        Args:
            image: a grey/BGR/BGRA image holding one or more digits.
            min_confidence: readings below it come back with ``rejected=True``.

        Returns:
            One reading per digit found: lines top to bottom, each left to right.
        """
        return _read_digits(self, image, min_confidence)

    def read_lines(self, image: Any, min_confidence: float = 0.7) -> list[DigitLine]:
        """Find and read every digit in an image, as lines of numbers.

        Args:
            image: a grey/BGR/BGRA image holding one or more digits.
            min_confidence: readings below it come back with ``rejected=True``.

        Returns:
            One :class:`DigitLine` per line, top to bottom; each holds its readings
            left to right and the same grouped into numbers by their spacing
            (``line.text`` is e.g. ``"12 345"``, with ``?`` for a digit not read).
        """
        return _read_lines(self, image, min_confidence)

    def close(self) -> None:
        """Release the interpreter; the classifier cannot be used afterwards."""
        with self._lock:
            self._interpreter = None
            self._set = self._invoke = self._get = _closed

    def __enter__(self) -> DigitClassifier:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._interpreter is None else self._backend.value
        return f"DigitClassifier({str(self._path)!r}, {state})"

    # -- internals --------------------------------------------------------------

    def _encode(self, batch: np.ndarray) -> np.ndarray:
        return self._encoder.encode(batch).reshape((len(batch), *self._sample_shape))

    def _probabilities(self, batch: np.ndarray) -> np.ndarray:
        n = len(batch)
        if n <= CHUNK:
            return self._run(self._encode(batch))
        out = np.empty((n, self._out.shape[1]), dtype=np.float32)
        for start in range(0, n, CHUNK):
            out[start : start + CHUNK] = self._run(self._encode(batch[start : start + CHUNK]))
        return out

    def _run(self, x: np.ndarray) -> np.ndarray:
        if self._fixed is not None and len(x) != self._fixed:
            return self._run_fixed(x)
        with self._lock:
            if self._batch != len(x):
                self._resize(len(x))
            self._set(self._in_index, x)
            self._invoke()
            q = self._get(self._out_index)
        return self._decode(q)

    def _run_fixed(self, x: np.ndarray) -> np.ndarray:
        """A graph with a fixed batch of B: B at a time, the last slice padded."""
        size = self._fixed or 1
        out = []
        for start in range(0, len(x), size):
            part = x[start : start + size]
            if len(part) < size:
                part = np.concatenate([part, np.repeat(part[-1:], size - len(part), axis=0)])
            out.append(self._run(part)[: len(x) - start])
        return np.concatenate(out) if out else np.empty((0, self._out.shape[1]), np.float32)

    def _resize(self, n: int) -> None:
        if self._interpreter is None:
            _closed()
        self._interpreter.resize_tensor_input(self._in_index, [n, *self._sample_shape])
        self._interpreter.allocate_tensors()
        self._batch = n

    def _decode(self, q: np.ndarray) -> np.ndarray:
        probs = self._out_lut.take(q) if self._out_lut is not None else q.astype(np.float32)
        if self._softmax:
            z = np.exp(probs - probs.max(axis=1, keepdims=True))
            probs = (z / z.sum(axis=1, keepdims=True)).astype(np.float32)
        return probs


# Slot setters: a batch builds its predictions without the frozen __init__'s three
# object.__setattr__ calls each (a third of predict_batch's overhead at batch 64).
_SET_DIGIT = vars(Prediction)["digit"].__set__
_SET_CONFIDENCE = vars(Prediction)["confidence"].__set__
_SET_PROBABILITIES = vars(Prediction)["probabilities"].__set__


def _predictions(
    digits: list[int | None], confidences: list[float], probabilities: np.ndarray
) -> list[Prediction]:
    out = []
    new = object.__new__
    for digit, confidence, row in zip(digits, confidences, probabilities, strict=True):
        prediction = new(Prediction)
        _SET_DIGIT(prediction, digit)
        _SET_CONFIDENCE(prediction, confidence)
        _SET_PROBABILITIES(prediction, row)
        out.append(prediction)
    return out


def _blank(classes: int) -> Prediction:
    return Prediction(None, 0.0, np.zeros(classes, dtype=np.float32))


def _closed(*_: object) -> None:
    raise ValueError("the DigitClassifier is closed")
