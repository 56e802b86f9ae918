"""The one exception tree of edgecnn, and the CLI exit code each maps to.

It lives in ``edge_runtime`` because the runtime depends on nothing else of ours,
while ``train``, ``export`` and ``camera_demo`` all may depend on the runtime.

=====================  ====  ==================================================
exception              exit  raised when
=====================  ====  ==================================================
(success)              0
EdgeCNNError           1     base class; also any unexpected failure
(usage)                2     a bad option value or command line (typer/click,
                             and ``ValueError`` from a config's validation)
DatasetError           3     a data file is missing, truncated or malformed
ModelFormatError       4     a model file is missing, not a model, or truncated
AccuracyDropError      5     the export gate refused a model: drop > tolerance
MissingDependencyError 6     an optional package (or interpreter backend) is
                             not installed; the message names the extra
ImageError             7     an image file is unreadable or an array has the
                             wrong rank or dtype
SourceError            8     a camera / video source cannot be opened, or
                             ``camera --serve`` cannot listen on its address
(interrupted)          130   Ctrl-C during train, export, evaluate or bench
                             (the camera's normal way to stop is Ctrl-C: it
                             writes its summary and exits 0)
=====================  ====  ==================================================
"""

from __future__ import annotations

from typing import Any


class EdgeCNNError(Exception):
    """Base of every error edgecnn raises on purpose."""

    exit_code: int = 1


class DatasetError(EdgeCNNError):
    """A data file is missing, truncated, or does not hold what it claims."""

    exit_code = 3


class ModelFormatError(EdgeCNNError):
    """A model file is missing, is not the expected format, or is damaged."""

    exit_code = 4


class AccuracyDropError(EdgeCNNError):
    """Quantization cost more accuracy than the tolerance allows."""

    exit_code = 5

    def __init__(
        self, message: str, *, float_accuracy: float, quantized_accuracy: float, max_drop_pp: float
    ) -> None:
        super().__init__(message)
        self.float_accuracy = float_accuracy
        self.quantized_accuracy = quantized_accuracy
        self.max_drop_pp = max_drop_pp


class MissingDependencyError(EdgeCNNError):
    """An optional dependency is not installed; the message says which extra to install."""

    exit_code = 6


class ImageError(EdgeCNNError):
    """An image could not be read, or an array is not a usable image."""

    exit_code = 7


class SourceError(EdgeCNNError):
    """A camera, video file or stream could not be opened, or a server could not listen."""

    exit_code = 8


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (its class name when it has none),
    for wrapping a library's error in one of ours without its multi-line detail."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def require(module: str, extra: str) -> Any:
    """Import an optional dependency or raise one clear line naming the extra.

    Args:
        module: the module to import, e.g. ``"cv2"``.
        extra: the edgecnn extra that provides it, e.g. ``"edge"``.

    Returns:
        The imported module.
    """
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(
            f"{module} is not installed: pip install 'edgecnn[{extra}]'"
        ) from exc
