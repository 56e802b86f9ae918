"""The one exception tree of edgecnn.

It lives in ``edge_runtime`` because the runtime depends on nothing else of ours,
while every other part of edgecnn may depend on the runtime. The classes say what
went wrong; what to do about it is the caller's business::

    EdgeCNNError                 base of every error edgecnn raises on purpose
    +-- DatasetError             a data file is missing, truncated or malformed
    +-- ModelFormatError         a model file is missing, not a model, or damaged
    +-- AccuracyDropError        quantization cost more accuracy than the tolerance
    +-- MissingDependencyError   an optional package (or interpreter backend) is not
    |                            installed; the message names the extra to install
    +-- ImageError               an image is unreadable, or an array has the wrong
    |                            rank or dtype
    +-- SourceError              a camera, video or stream cannot be opened, or a
                                 server cannot listen on its address
"""

from __future__ import annotations


class EdgeCNNError(Exception):
    """Base of every error edgecnn raises on purpose."""


class DatasetError(EdgeCNNError):
    """A data file is missing, truncated, or does not hold what it claims."""


class ModelFormatError(EdgeCNNError):
    """A model file is missing, is not the expected format, or is damaged."""


class AccuracyDropError(EdgeCNNError):
    """Quantization cost more accuracy than the tolerance allows."""

    def __init__(
        self,
        message: str,
        *,
        float_accuracy: float,
        quantized_accuracy: float,
        max_drop_pp: float,
    ) -> None:
        super().__init__(message)
        self.float_accuracy = float_accuracy
        self.quantized_accuracy = quantized_accuracy
        self.max_drop_pp = max_drop_pp


class MissingDependencyError(EdgeCNNError):
    """An optional dependency is not installed; the message says which extra to install."""


class ImageError(EdgeCNNError):
    """An image could not be read, or an array is not a usable image."""


class SourceError(EdgeCNNError):
    """A camera, video file or stream could not be opened, or a server could not listen."""
