"""How to feed a model that carries no description: its input convention, inferred.

Where the tensors tell it, they decide: a quantized input's scale and zero point give
the real range the model was calibrated on (int8 with scale 1/255 and zero point -128
is 0..1; scale 1 and zero point -128 is 0..255), and a ``uint8`` input without
quantization parameters takes raw pixels 0..255 (the model casts and scales inside).
The choice is then checked on a few dozen bundled MNIST test digits
(``assets/mnist_probe.npz``); if it reads fewer than :data:`TRUSTED` of them, or the
tensors say nothing (float inputs), every candidate convention (0..1, 0..255, -1..1,
each also inverted) is tried on them and the one that reads them best is taken; of
candidates that read them about as well, the first in that order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources

import numpy as np
import numpy.typing as npt

from edge_runtime.inputs import InputEncoder, looks_like_probabilities
from edge_runtime.model_file import ModelFile, TensorSpec
from edge_runtime.model_info import LOGITS, PROBABILITIES, InputConvention, ModelInfo, TensorInfo

_log = logging.getLogger("edge_runtime")
PROBE_ASSET = "assets/mnist_probe.npz"
#: A convention the tensors tell is kept when it reads at least this share of the probe.
TRUSTED = 0.9
#: Candidates reading this many probe digits fewer than the best still count as tied.
TIE = 1
CANDIDATES = tuple(
    InputConvention(scale, offset, inverted)
    for inverted in (False, True)
    for scale, offset in ((1 / 255, 0.0), (1.0, 0.0), (2 / 255, -1.0))
)

#: Runs a batch of encoded inputs, returns the raw (dequantized) outputs (N, classes).
Run = Callable[[npt.NDArray[np.generic]], npt.NDArray[np.float32]]


@dataclass(frozen=True)
class Decision:
    """What was decided for a model without a description, and how."""

    convention: InputConvention
    output_kind: str
    how: str


@lru_cache(maxsize=1)
def probe_digits() -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64]]:
    """The bundled probe: (40, 28, 28) uint8 MNIST test digits and their labels."""
    with resources.files("edge_runtime").joinpath(PROBE_ASSET).open("rb") as f, np.load(f) as z:
        return z["images"].astype(np.uint8), z["labels"].astype(np.int64)


def from_tensor(inp: TensorSpec) -> tuple[InputConvention, str] | None:
    """The convention an integer input tensor tells, and why; None for a float input."""
    if inp.dtype.kind not in "iu":
        return None
    if not inp.quantized:
        if inp.dtype != np.uint8:
            return None
        return InputConvention(1.0), "uint8 input without quantization: raw pixels 0..255"
    limits = np.iinfo(inp.dtype)
    low = (limits.min - inp.zero_point) * inp.scale
    high = (limits.max - inp.zero_point) * inp.scale
    if not high > low:
        return None
    told = InputConvention((high - low) / 255, low)
    return told, (
        f"input quantization (scale {inp.scale:.6g}, zero point {inp.zero_point}) "
        f"spans {low:.4g}..{high:.4g}"
    )


def decide(inp: TensorSpec, run: Run) -> Decision:
    """Infer the input convention and the output kind of a model (see the module docstring).

    Args:
        inp: the model's input tensor.
        run: runs encoded inputs through the model.

    Returns:
        The decision, with a one-line account of how it was reached.
    """
    images, labels = probe_digits()
    n = len(labels)

    def score(convention: InputConvention) -> tuple[int, float, npt.NDArray[np.float32]]:
        scale, offset = convention.linear()
        encoder = InputEncoder(inp.dtype, inp.scale, inp.zero_point, scale, offset)
        outputs = run(encoder.encode(images))
        log_p = _log_probabilities(outputs)
        correct = int((log_p.argmax(axis=1) == labels).sum())
        return correct, float(log_p[np.arange(n), labels].mean()), outputs

    told = from_tensor(inp)
    if told is not None:
        convention, reason = told
        correct, _, outputs = score(convention)
        if correct >= TRUSTED * n:
            how = f"{reason}; it reads {correct}/{n} bundled MNIST digits"
            return Decision(convention, _kind(outputs), how)
    tried = list(dict.fromkeys(((told[0],) if told else ()) + CANDIDATES))
    results = [(score(c), c) for c in tried]
    # Within one digit of the best count, the more usual convention wins: a robust model
    # also reads inputs of doubled contrast (0..1 fed as -1..1), often more confidently.
    best_count = max(r[0][0] for r in results)
    (correct, _, outputs), best = next(r for r in results if r[0][0] >= best_count - TIE)
    (runner_up, _, _), second = max(
        (r for r in results if r[1] != best), key=lambda r: (r[0][0], r[0][1])
    )
    how = (
        f"probe: {best.describe()} reads {correct}/{n} bundled MNIST digits "
        f"(next best {second.describe()}: {runner_up}/{n})"
    )
    if told is not None:
        how = f"{told[1]}, but that reads too few digits; {how}"
    return Decision(best, _kind(outputs), how)


def infer_info(model: ModelFile, inp: TensorSpec, out: TensorSpec, run: Run) -> ModelInfo:
    """A description for a model that carries none: :func:`decide`, logged in one line.

    Args:
        model: the checked model file.
        inp: its input tensor.
        out: its output tensor.
        run: runs encoded inputs (N, 28, 28) through the model.

    Returns:
        The description, with :attr:`ModelInfo.inferred` saying how it was reached.
    """
    decision = decide(inp, run)
    _log.info(
        "%s: no description; input %s, output %s (%s)",
        model.path.name,
        decision.convention.describe(),
        decision.output_kind,
        decision.how,
    )
    return ModelInfo(
        input=_tensor(inp),
        output=replace(_tensor(out), kind=decision.output_kind),
        normalization=decision.convention,
        labels=tuple(str(i) for i in range(out.shape[-1])),
        mode=inp.dtype.name,
        model_file=model.path.name,
        model_sha256=model.sha256,
        size_bytes=len(model.data),
        inferred=decision.how,
    )


def _tensor(spec: TensorSpec) -> TensorInfo:
    if not spec.quantized:
        return TensorInfo(spec.shape, spec.dtype.name)
    return TensorInfo(spec.shape, spec.dtype.name, spec.scale, spec.zero_point)


def _kind(outputs: npt.NDArray[np.float32]) -> str:
    rows = np.asarray(outputs, dtype=np.float64)
    return PROBABILITIES if all(looks_like_probabilities(row) for row in rows) else LOGITS


def _log_probabilities(outputs: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
    z = np.asarray(outputs, dtype=np.float64)
    if all(looks_like_probabilities(row) for row in z):
        return np.log(np.clip(z, 1e-9, None))
    z = z - z.max(axis=1, keepdims=True)
    out: npt.NDArray[np.float64] = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return out
