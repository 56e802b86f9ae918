"""What graph the converter made: its operators, and how fast LiteRT runs it.

A Keras ``Flatten`` on a model with a dynamic batch becomes ``SHAPE -> STRIDED_SLICE
-> PACK -> RESHAPE`` (the batch size is read at run time to build the new shape);
``export --fixed-batch N`` converts with the batch fixed, so the reshape takes a
constant shape and those three operators go. Accelerators that compile a static graph
(NPU delegates, the Edge TPU compiler) need the fixed form.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

import numpy as np

from edge_runtime.flatbuffer import op_counts, walk

LATENCY_RUNS = 300
DYNAMIC_BATCH_OPS = ("SHAPE", "STRIDED_SLICE", "PACK")


@dataclass(frozen=True)
class Graph:
    """One converted graph.

    Attributes:
        batch: the fixed batch size, or None for a dynamic batch.
        ops: operator name -> count, in order of first use.
        latency_ms: median time of one invoke at batch ``batch or 1``, LiteRT, 1 thread.
    """

    batch: int | None
    ops: dict[str, int]
    latency_ms: float

    @property
    def op_total(self) -> int:
        """How many operators the graph runs."""
        return sum(self.ops.values())

    def to_json(self) -> dict[str, object]:
        """For the export result."""
        return {"batch": self.batch, "ops": self.ops, "latency_ms": round(self.latency_ms, 4)}


def describe(flatbuffer: bytes, batch: int | None, runs: int = LATENCY_RUNS) -> Graph:
    """Count a graph's operators and time one invoke of it.

    Args:
        flatbuffer: the ``.tflite`` bytes.
        batch: its fixed batch size (None: dynamic, timed at batch 1).
        runs: timed invokes (after a few to warm up).

    Returns:
        The :class:`Graph`.
    """
    from edge_runtime.backends import create_interpreter

    _, interpreter = create_interpreter("<graph>", num_threads=1, content=flatbuffer)
    detail = interpreter.get_input_details()[0]
    x = np.zeros(detail["shape"], dtype=detail["dtype"])
    index = detail["index"]
    times = []
    for i in range(runs + 10):
        start = time.perf_counter_ns()
        interpreter.set_tensor(index, x)
        interpreter.invoke()
        if i >= 10:
            times.append((time.perf_counter_ns() - start) / 1e6)
    return Graph(batch, op_counts(walk(flatbuffer)), statistics.median(times))
