"""``edgecnn bench``: the runtime against the raw interpreter.

For each backend and thread count the same model is loaded twice: once as a
:class:`DigitClassifier`, once as a bare interpreter. "Raw" is the least any caller
can do: set_tensor / invoke / get_tensor on an input that is already quantized. The
two are timed interleaved (alternating which goes first) after a warm-up, so drift
and noise from the rest of the machine fall on both alike; medians are compared.
Targets: ``predict`` latency within 1.3x of raw, ``predict_batch`` throughput at
least 0.9x of raw. Figures under emulation or on a busy machine say little; the
ratios are what this is for.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from edge_runtime import preprocess
from edge_runtime.backends import (
    Backend,
    available_backends,
    backend_version,
    create_interpreter,
    interpreter_class,
)
from edge_runtime.classifier import DigitClassifier
from edge_runtime.model_file import check_tflite_file
from edgecnn.bench.config import BackendSet, BenchConfig
from edgecnn.bench.memory import memory_source, rss_bytes
from edgecnn.train.provenance import describe_machine

LATENCY_RATIO_MAX = 1.3
THROUGHPUT_RATIO_MIN = 0.9
WARMUP = 50


@dataclass(frozen=True)
class Latency:
    """Single-call latency percentiles, in microseconds."""

    p50_us: float
    p90_us: float
    p99_us: float
    mean_us: float

    @classmethod
    def of(cls, samples_ns: list[int]) -> Latency:
        """Percentiles of samples taken with ``time.perf_counter_ns``."""
        us = np.asarray(samples_ns, dtype=np.float64) / 1000.0
        p50, p90, p99 = np.percentile(us, [50, 90, 99])
        return cls(
            round(float(p50), 2),
            round(float(p90), 2),
            round(float(p99), 2),
            round(float(us.mean()), 2),
        )


@dataclass(frozen=True)
class BackendResult:
    """One backend at one thread count: the runtime and the raw interpreter side by side."""

    backend: str
    version: str
    threads: int
    load_ms: float
    raw_load_ms: float
    rss_delta_mb: float  # the classifier's: loaded, tensors allocated (batch 1 and batch)
    predict: Latency
    raw: Latency
    batch_images_per_s: float
    raw_batch_images_per_s: float
    latency_ratio: float
    throughput_ratio: float
    meets_targets: bool


@dataclass(frozen=True)
class FloatModelResult:
    """The Keras float model, for scale (TensorFlow, eager calls)."""

    path: str
    tensorflow: str
    load_ms: float
    single: Latency
    batch_images_per_s: float


@dataclass(frozen=True)
class BenchReport:
    """Everything ``edgecnn bench`` prints."""

    model: str
    model_bytes: int
    mode: str
    runs: int
    batch: int
    machine: str
    python: str
    numpy: str
    memory_source: str
    results: tuple[BackendResult, ...]
    keras: FloatModelResult | None = None
    keras_note: str = ""
    targets: dict[str, float] = field(
        default_factory=lambda: {
            "latency_ratio_max": LATENCY_RATIO_MAX,
            "throughput_ratio_min": THROUGHPUT_RATIO_MIN,
        }
    )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)


def sample_digit() -> np.ndarray:
    """A fixed 28x28 uint8 ring: ink, so no blank shortcut, and no data files needed."""
    yy, xx = np.mgrid[:28, :28]
    r = np.hypot(yy - 14, xx - 14)
    return np.clip((3.0 - np.abs(r - 7.0)) * 85.0, 0, 255).astype(np.uint8)


def run_bench(config: BenchConfig) -> BenchReport:
    """Time the runtime and the raw interpreter for every backend and thread count.

    Args:
        config: what to measure.

    Returns:
        The report (without the Keras figures; see :func:`measure_float_model`).
    """
    path = check_tflite_file(config.model)
    if config.backends is BackendSet.ALL:
        backends = available_backends()
    else:
        backends = [interpreter_class(Backend.AUTO)[0]]
    results = []
    mode = "unknown"
    for backend in backends:
        for threads in config.threads:
            result, mode = _bench_one(path, backend, threads, config)
            results.append(result)
    return BenchReport(
        model=str(path),
        model_bytes=path.stat().st_size,
        mode=mode,
        runs=config.runs,
        batch=config.batch,
        machine=describe_machine(),
        python=platform.python_version(),
        numpy=np.__version__,
        memory_source=memory_source(),
        results=tuple(results),
    )


def _bench_one(
    path: Path, backend: Backend, threads: int, config: BenchConfig
) -> tuple[BackendResult, str]:
    image = sample_digit()
    images = np.stack([np.roll(image, (i % 5) - 2, axis=i % 2) for i in range(config.batch)])

    rss_before = rss_bytes()
    start = time.perf_counter_ns()
    clf = DigitClassifier(path, num_threads=threads, backend=backend)
    load_ms = (time.perf_counter_ns() - start) / 1e6
    # The classifier's own footprint: loaded, and its tensors allocated at both sizes,
    # measured before the raw interpreter adds its own.
    clf.predict_batch(images)
    clf.predict(image)
    rss_delta = rss_bytes() - rss_before
    start = time.perf_counter_ns()
    _, raw = create_interpreter(path, threads, backend)
    raw_load_ms = (time.perf_counter_ns() - start) / 1e6
    try:
        inp, out = raw.get_input_details()[0], raw.get_output_details()[0]
        x1 = _quantize_input(image[np.newaxis], inp, clf.metadata)
        xb = _quantize_input(images, inp, clf.metadata)
        in_index, out_index = inp["index"], out["index"]

        def raw_single() -> None:
            raw.set_tensor(in_index, x1)
            raw.invoke()
            raw.get_tensor(out_index)

        predict_ns, raw_ns = _interleaved(lambda: clf.predict(image), raw_single, config.runs)

        raw.resize_tensor_input(in_index, list(xb.shape))
        raw.allocate_tensors()

        def raw_batch() -> None:
            raw.set_tensor(in_index, xb)
            raw.invoke()
            raw.get_tensor(out_index)

        reps = max(20, config.runs // 5)
        batch_ns, raw_batch_ns = _interleaved(
            lambda: clf.predict_batch(images), raw_batch, reps, warmup=3
        )
        mode = str(clf.metadata.get("mode", "unknown"))
    finally:
        clf.close()
    predict, raw_latency = Latency.of(predict_ns), Latency.of(raw_ns)
    throughput = config.batch / (float(np.median(batch_ns)) / 1e9)
    raw_throughput = config.batch / (float(np.median(raw_batch_ns)) / 1e9)
    latency_ratio = predict.p50_us / raw_latency.p50_us
    throughput_ratio = throughput / raw_throughput
    return BackendResult(
        backend=backend.value,
        version=backend_version(backend),
        threads=threads,
        load_ms=round(load_ms, 2),
        raw_load_ms=round(raw_load_ms, 2),
        rss_delta_mb=round(max(0, rss_delta) / 2**20, 2),
        predict=predict,
        raw=raw_latency,
        batch_images_per_s=round(throughput, 1),
        raw_batch_images_per_s=round(raw_throughput, 1),
        latency_ratio=round(latency_ratio, 3),
        throughput_ratio=round(throughput_ratio, 3),
        meets_targets=bool(
            latency_ratio <= LATENCY_RATIO_MAX and throughput_ratio >= THROUGHPUT_RATIO_MIN
        ),
    ), mode


def _quantize_input(images: np.ndarray, detail: dict[str, Any], meta: dict[str, Any]) -> np.ndarray:
    """What a caller of the raw interpreter would feed: normalized, then quantized."""
    norm = meta["normalization"]
    real = images.astype(np.float64) * norm["scale"] + norm.get("offset", 0.0)
    shape = (len(images), *(int(d) for d in detail["shape"][1:]))
    dtype = np.dtype(detail["dtype"])
    if dtype.kind in "iu":
        params = detail["quantization_parameters"]
        real = preprocess.quantize(
            real, float(params["scales"][0]), int(params["zero_points"][0]), dtype
        )
    return np.ascontiguousarray(real.astype(dtype).reshape(shape))


def _interleaved(
    a: Callable[[], Any], b: Callable[[], Any], runs: int, warmup: int = WARMUP
) -> tuple[list[int], list[int]]:
    """Time a and b alternately (swapping the order each round) after a warm-up."""
    for _ in range(warmup):
        a()
        b()
    clock = time.perf_counter_ns
    ta: list[int] = []
    tb: list[int] = []
    for i in range(runs):
        first, second = ((a, ta), (b, tb)) if i % 2 == 0 else ((b, tb), (a, ta))
        for fn, samples in (first, second):
            start = clock()
            fn()
            samples.append(clock() - start)
    return ta, tb


def measure_float_model(
    predict: Callable[[np.ndarray], Any],
    path: str,
    tensorflow: str,
    load_ms: float,
    runs: int,
    batch: int,
) -> FloatModelResult:
    """Time a float model's single and batched calls on normalized input.

    Args:
        predict: calls the model on a float32 (N, 28, 28, 1) batch.
        path: the model file, for the report.
        tensorflow: the TensorFlow version, for the report.
        load_ms: how long loading took.
        runs: single calls to time (after a warm-up of 5).
        batch: images per batched call.

    Returns:
        The figures.
    """
    x1 = preprocess.normalize(sample_digit())
    xb = np.repeat(x1, batch, axis=0)
    for _ in range(5):
        predict(x1)
        predict(xb)
    clock = time.perf_counter_ns
    single = []
    for _ in range(runs):
        start = clock()
        predict(x1)
        single.append(clock() - start)
    batched = []
    for _ in range(max(5, runs // 10)):
        start = clock()
        predict(xb)
        batched.append(clock() - start)
    return FloatModelResult(
        path=path,
        tensorflow=tensorflow,
        load_ms=round(load_ms, 1),
        single=Latency.of(single),
        batch_images_per_s=round(batch / (float(np.median(batched)) / 1e9), 1),
    )


def format_report(report: BenchReport) -> str:
    """The report as a readable table, ratios last."""
    lines = [
        f"model   {report.model} ({report.model_bytes:,} bytes, {report.mode})",
        f"machine {report.machine}, Python {report.python}, numpy {report.numpy}; "
        f"{report.runs} single runs, batch {report.batch}; memory: {report.memory_source}",
        "",
    ]
    header = (
        f"{'backend':<22}{'thr':>4}{'load ms':>9}{'RSS MB':>8}"
        f"{'predict us p50/p90/p99':>25}{'raw us p50/p90/p99':>23}{'ratio':>8}"
        f"{'batch img/s':>13}{'raw img/s':>11}{'ratio':>8}"
    )
    lines += [header, "-" * len(header)]
    for r in report.results:
        p, w = r.predict, r.raw
        lat_ok = "ok" if r.latency_ratio <= LATENCY_RATIO_MAX else "!!"
        thr_ok = "ok" if r.throughput_ratio >= THROUGHPUT_RATIO_MIN else "!!"
        lines.append(
            f"{r.backend + ' ' + r.version:<22}{r.threads:>4}{r.load_ms:>9.1f}"
            f"{r.rss_delta_mb:>+8.1f}"
            f"{f'{p.p50_us:.1f}/{p.p90_us:.1f}/{p.p99_us:.1f}':>25}"
            f"{f'{w.p50_us:.1f}/{w.p90_us:.1f}/{w.p99_us:.1f}':>23}"
            f"{r.latency_ratio:>5.2f}{lat_ok:>3}"
            f"{r.batch_images_per_s:>13,.0f}{r.raw_batch_images_per_s:>11,.0f}"
            f"{r.throughput_ratio:>5.2f}{thr_ok:>3}"
        )
    lines.append("")
    if report.keras is not None:
        k = report.keras
        lines.append(
            f"keras float ({k.path}, TF {k.tensorflow}): load {k.load_ms:,.0f} ms, single "
            f"p50/p90/p99 {k.single.p50_us:,.0f}/{k.single.p90_us:,.0f}/{k.single.p99_us:,.0f} us, "
            f"batch {report.batch}: {k.batch_images_per_s:,.0f} img/s"
        )
    elif report.keras_note:
        lines.append(f"keras float: {report.keras_note}")
    lines.append(
        f"targets: predict/raw latency <= {LATENCY_RATIO_MAX}, batch/raw throughput >= "
        f"{THROUGHPUT_RATIO_MIN} (!! = missed; rerun on an idle machine before trusting a miss)"
    )
    return "\n".join(lines)
