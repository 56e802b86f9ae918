"""Does the int8 model run in TensorFlow Lite Micro, in how much memory, and alike?

A microcontroller gives the interpreter one fixed buffer, the tensor arena, for every
activation and bookkeeping structure (weights stay in flash). The smallest arena that
works is found by trying sizes (doubling, then bisecting): the interpreter fails to
allocate its tensors when the arena is too small. The model then runs in exactly
that arena on a few hundred test images, and its predictions are compared with
LiteRT's on the same images.

The sizes are tried in a child process (``python -m edgecnn.export.micro MODEL``, one
size per line on stdin, ``1`` or ``0`` back): for some models TFLM does not fail but
crashes the process (SIGSEGV) when the arena is too small (seen with the strided 5x5
convolutions of ``wide``: "All temp buffers must be freed" and then a segfault at 4 KiB).
A crashed probe counts as "does not allocate" and the next size starts a new child.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

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


class ArenaProbe:
    """Whether a model allocates in an arena, asked of a child process that may crash.

    Use as a context manager; :meth:`fits` answers one size, ``crashes`` counts the
    sizes at which the child died instead of answering.
    """

    def __init__(self, tflite_path: str | Path) -> None:
        self._path = str(tflite_path)
        self._child: subprocess.Popen[str] | None = None
        self.crashes = 0

    def __enter__(self) -> ArenaProbe:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _pipes(self) -> tuple[IO[str], IO[str]]:
        if self._child is None or self._child.poll() is not None:
            self._child = subprocess.Popen(
                [sys.executable, "-m", "edgecnn.export.micro", self._path],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,  # TFLM's "Failed to resize buffer" lines
                text=True,
            )
        assert self._child.stdin is not None and self._child.stdout is not None
        return self._child.stdin, self._child.stdout

    def fits(self, arena: int) -> bool:
        """Whether the model allocates its tensors in ``arena`` bytes."""
        stdin, stdout = self._pipes()
        try:
            stdin.write(f"{arena}\n")
            stdin.flush()
            answer = stdout.readline()
        except BrokenPipeError:
            answer = ""
        if answer == "":  # the child died: TFLM crashed on a too-small arena
            self.close()
            self.crashes += 1
            return False
        return answer.strip() == "1"

    def close(self) -> None:
        """Stop the child, if one runs."""
        child, self._child = self._child, None
        if child is None:
            return
        if child.poll() is None:
            assert child.stdin is not None
            child.stdin.close()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        for pipe in (child.stdin, child.stdout):
            if pipe is not None and not pipe.closed:
                pipe.close()


def smallest_arena(fits: Callable[[int], bool]) -> int:
    """The smallest tensor arena (bytes, a multiple of 16) the model allocates in.

    Args:
        fits: whether the model allocates in a given number of bytes (an
            :meth:`ArenaProbe.fits`); larger arenas are assumed to fit if a smaller does.

    Returns:
        The arena size.

    Raises:
        EdgeCNNError: the model does not allocate even in :data:`ARENA_LIMIT` bytes
            (an operator TFLM lacks, or a model far too large for a microcontroller).
    """
    high = ARENA_START
    while not fits(high):
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
        if fits(middle):
            high = middle
        else:
            low = middle
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
    with ArenaProbe(tflite_path) as probe:
        arena = smallest_arena(probe.fits)
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


def _serve(tflite_path: str) -> None:
    # The child of ArenaProbe: one arena size per line in, "1" (allocates) or "0" out.
    runtime = load_runtime()
    model = Path(tflite_path).read_bytes()
    for line in sys.stdin:
        fits = _interpreter(runtime, model, int(line)) is not None
        print("1" if fits else "0", flush=True)


if __name__ == "__main__":
    _serve(sys.argv[1])
