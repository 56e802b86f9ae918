"""Which TFLite interpreter runs the model.

``auto`` takes the first one installed, in this order:

1. ``ai_edge_litert`` (LiteRT, the ``edge`` extra): the maintained interpreter, with
   wheels for 64-bit Raspberry Pi OS (aarch64) and x86-64.
2. ``tflite_runtime`` (the ``legacy`` extra): its last release (2.14) is built against
   numpy 1.x and does not import under numpy 2.
3. ``tensorflow.lite`` (the ``train`` extra): only on a workstation that has neither.

A backend asked for by name that is not installed raises MissingDependencyError naming
the extra that provides it.
"""

from __future__ import annotations

import importlib
import warnings
from enum import Enum
from pathlib import Path
from typing import Any

from edge_runtime._deps import first_line
from edge_runtime.errors import MissingDependencyError, ModelFormatError


class Backend(str, Enum):
    """An interpreter backend; ``auto`` picks the first installed."""

    AUTO = "auto"
    LITERT = "litert"
    TFLITE_RUNTIME = "tflite_runtime"
    TENSORFLOW = "tensorflow"


AUTO_ORDER = (Backend.LITERT, Backend.TFLITE_RUNTIME, Backend.TENSORFLOW)

# backend -> (module to import, extra that installs it)
_SOURCES = {
    Backend.LITERT: ("ai_edge_litert.interpreter", "edge"),
    Backend.TFLITE_RUNTIME: ("tflite_runtime.interpreter", "legacy"),
    Backend.TENSORFLOW: ("tensorflow", "train"),
}


def interpreter_class(backend: Backend | str) -> tuple[Backend, Any]:
    """The Interpreter class of a backend.

    Args:
        backend: a :class:`Backend` or its value; ``auto`` tries :data:`AUTO_ORDER`.

    Returns:
        (the backend actually used, its Interpreter class).

    Raises:
        MissingDependencyError: the backend (for ``auto``: every backend) is missing.
        ValueError: an unknown backend name.
    """
    backend = Backend(backend)
    if backend is not Backend.AUTO:
        return backend, _load(backend)
    for candidate in AUTO_ORDER:
        try:
            return candidate, _load(candidate)
        except MissingDependencyError:
            continue
    raise MissingDependencyError(
        "no TFLite interpreter is installed: pip install 'edgecnn[edge]' (ai-edge-litert)"
    )


def available_backends() -> list[Backend]:
    """Every backend that imports here, in :data:`AUTO_ORDER` (imports each one)."""
    found = []
    for backend in AUTO_ORDER:
        try:
            _load(backend)
        except MissingDependencyError:
            continue
        found.append(backend)
    return found


def _load(backend: Backend) -> Any:
    module_name, extra = _SOURCES[backend]
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise MissingDependencyError(
            f"interpreter backend {backend.value} is not available ({first_line(exc)}): "
            f"pip install 'edgecnn[{extra}]'"
        ) from exc
    if backend is Backend.TENSORFLOW:
        return module.lite.Interpreter
    return module.Interpreter


def create_interpreter(
    path: str | Path,
    num_threads: int | None = None,
    backend: Backend | str = Backend.AUTO,
    content: bytes | None = None,
) -> tuple[Backend, Any]:
    """Load a model into an interpreter and allocate its tensors.

    Args:
        path: a ``.tflite`` file (checked beforehand with ``model_file.check_tflite_file``).
        num_threads: CPU threads for the interpreter; None leaves the backend's default.
        backend: which interpreter; see :class:`Backend`.
        content: the file's bytes, already read and checked: the interpreter runs these
            (not a second read of ``path``, which could differ), and ``path`` only
            names the model in messages.

    Returns:
        (the backend used, the ready interpreter).

    Raises:
        MissingDependencyError: the backend is not installed.
        ModelFormatError: the interpreter refused the model.
        ValueError: num_threads < 1 or an unknown backend.
    """
    if num_threads is not None and (
        isinstance(num_threads, bool) or not isinstance(num_threads, int) or num_threads < 1
    ):
        raise ValueError(f"num_threads must be an int >= 1, got {num_threads!r}")
    used, interpreter_cls = interpreter_class(backend)
    try:
        with warnings.catch_warnings():
            # tf.lite.Interpreter warns that it is deprecated; we know, it is the last resort.
            warnings.simplefilter("ignore")
            source = {"model_path": str(path)} if content is None else {"model_content": content}
            interpreter = interpreter_cls(**source, num_threads=num_threads)
        interpreter.allocate_tensors()
    except (ValueError, RuntimeError) as exc:
        raise ModelFormatError(
            f"{path}: the {used.value} interpreter cannot load it ({first_line(exc)})"
        ) from exc
    return used, interpreter


def backend_version(backend: Backend) -> str:
    """The installed version of a backend's package, or "unknown"."""
    from importlib.metadata import PackageNotFoundError, version

    package = {
        Backend.LITERT: "ai-edge-litert",
        Backend.TFLITE_RUNTIME: "tflite-runtime",
        Backend.TENSORFLOW: "tensorflow",
    }.get(backend)
    names = [package] if package else []
    if backend is Backend.TENSORFLOW:
        names.append("tensorflow-cpu")
    for name in names:
        try:
            return version(name)
        except PackageNotFoundError:
            continue
    return "unknown"
