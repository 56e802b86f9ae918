"""The model zoo: every architecture on the accuracy / size / speed frontier, int8.

One command measures each trained model the same way: export it to int8 behind
the accuracy gate (with the TensorFlow Lite Micro check), time a single-image
``predict`` on this machine, and read the shifted test sets that stand in for
what a camera sees. The table it prints is the one in the README.
"""

from __future__ import annotations

import importlib.util
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from edge_runtime._files import write_text
from edge_runtime.errors import ModelFormatError
from edgecnn.bundled import models_dir as bundled_models_dir

if TYPE_CHECKING:
    from edgecnn.train.data import Mnist

#: The shipped zoo (package data): ``<arch>.keras`` and its int8 export, per architecture.
ZOO_DIR = bundled_models_dir()
LATENCY_RUNS = 300
README_START = "<!-- zoo:start -->"
README_END = "<!-- zoo:end -->"


@dataclass(frozen=True)
class ZooEntry:
    """One architecture's figures, all measured by :func:`measure_entry`."""

    arch: str
    params: int
    int8_bytes: int
    float_accuracy: float
    int8_accuracy: float
    drop_pp: float
    latency_p50_us: float
    arena_bytes: int | None
    shifted: dict[str, float]

    @property
    def shifted_mean(self) -> float:
        return float(np.mean(list(self.shifted.values())))


def micro_available() -> bool:
    """Whether the TensorFlow Lite Micro interpreter (the ``micro`` extra) is installed.

    Without it the zoo still measures everything else and leaves the arena column
    "n/a", so ``edgecnn[train,edge]`` can run it; ``edgecnn export --check-micro``
    still insists.
    """
    return importlib.util.find_spec("tflite_micro") is not None


#: The zoo's entries: every architecture, then the ensemble of trained models that
#: ``edgecnn ensemble`` averages into one (``ensemble.keras``).
ENSEMBLE = "ensemble"


def keras_path(arch: str, models_dir: Path = ZOO_DIR) -> Path:
    """Where the trained float model of ``arch`` is kept (``<dir>/<arch>.keras``)."""
    return models_dir / f"{arch}.keras"


def require_model(arch: str, models_dir: Path) -> Path:
    """``arch``'s trained float model in ``models_dir``.

    Raises:
        ModelFormatError: there is none; the message says how to make one.
    """
    source = keras_path(arch, models_dir)
    if not source.is_file():
        how = (
            "average trained models with `edgecnn ensemble A.keras B.keras... --out DIR`"
            if arch == ENSEMBLE
            else f"train one with `edgecnn train --arch {arch} --out DIR`"
        )
        raise ModelFormatError(
            f"{source}: no trained '{arch}' model; {how} and copy DIR/model.keras there"
        )
    return source


def single_image_latency(tflite: Path, image: np.ndarray, runs: int = LATENCY_RUNS) -> float:
    """Median microseconds of ``DigitClassifier.predict`` on one 28x28 digit, one thread."""
    from edge_runtime import DigitClassifier

    with DigitClassifier(tflite, num_threads=1) as classifier:
        for _ in range(20):
            classifier.predict(image)
        samples = []
        for _ in range(runs):
            start = time.perf_counter_ns()
            classifier.predict(image)
            samples.append(time.perf_counter_ns() - start)
    return round(float(np.percentile(np.asarray(samples, dtype=np.float64) / 1000.0, 50)), 2)


def shifted_accuracies(
    tflite: Path, images: np.ndarray, labels: np.ndarray, seed: int = 0
) -> dict[str, float]:
    """Accuracy of the int8 model on each shifted variant of the test images."""
    from edge_runtime import DigitClassifier
    from edgecnn.train.shifts import shifted_test_sets

    with DigitClassifier(tflite) as classifier:
        return {
            name: float(np.mean(classifier.probabilities(variant).argmax(axis=1) == labels))
            for name, variant in shifted_test_sets(images, seed).items()
        }


def measure_entry(
    arch: str,
    models_dir: Path,
    out_dir: Path,
    data_path: Path | None,
    data: Mnist,
    max_drop: float,
    progress: Any = None,
) -> ZooEntry:
    """Export ``arch``'s trained model to int8 and measure it.

    ``data`` is ``load_mnist(data_path)``, loaded once for every architecture.

    Raises:
        ModelFormatError: no trained model of that architecture in ``models_dir``.
        AccuracyDropError: the int8 model fails the gate (the zoo applies it too).
    """
    from edgecnn.export.config import ExportConfig
    from edgecnn.export.pipeline import run_export
    from edgecnn.train.evaluate import load_keras_model

    source = require_model(arch, models_dir)
    result = run_export(
        ExportConfig(
            model=source,
            out=out_dir / f"{arch}_int8.tflite",
            max_drop=max_drop,
            data=data_path,
            check_micro=micro_available(),
        ),
        progress,
    )
    tflite = result.paths.model
    micro = result.micro or {}
    return ZooEntry(
        arch=arch,
        params=int(load_keras_model(source).count_params()),
        int8_bytes=result.sizes.model,
        float_accuracy=result.measurement.float_accuracy,
        int8_accuracy=result.measurement.quantized_accuracy,
        drop_pp=result.measurement.drop_pp,
        latency_p50_us=single_image_latency(tflite, data.test_images[0]),
        arena_bytes=micro.get("arena_bytes"),
        shifted=shifted_accuracies(tflite, data.test_images, data.test_labels),
    )


def _pct(value: float) -> str:
    return f"{100 * value:.2f}%"


def render_markdown(entries: Sequence[ZooEntry]) -> str:
    """The zoo table and the robustness table, as Markdown."""
    from edgecnn.train.provenance import describe_machine

    lines = [
        "| arch | params | int8 size | float acc | int8 acc | drop (pp) | "
        "predict p50, 1 thread | TFLM arena |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for e in entries:
        arena = f"{e.arena_bytes / 1024:.1f} KiB" if e.arena_bytes else "n/a"
        lines.append(
            f"| {e.arch} | {e.params:,} | {e.int8_bytes / 1024:.1f} KiB | "
            f"{_pct(e.float_accuracy)} | {_pct(e.int8_accuracy)} | {e.drop_pp:+.2f} | "
            f"{e.latency_p50_us:.0f} µs | {arena} |"
        )
    variants = list(entries[0].shifted) if entries else []
    lines += [
        "",
        "int8 accuracy on the clean and shifted test sets (10,000 images each):",
        "",
        "| arch | clean | " + " | ".join(variants) + " | shifted mean |",
        "|---|---:|" + "---:|" * (len(variants) + 1),
    ]
    for e in entries:
        cells = " | ".join(_pct(e.shifted[v]) for v in variants)
        lines.append(f"| {e.arch} | {_pct(e.int8_accuracy)} | {cells} | {_pct(e.shifted_mean)} |")
    lines += ["", f"Measured by `edgecnn zoo` on {describe_machine()}."]
    return "\n".join(lines) + "\n"


def check_readme(readme: Path) -> tuple[str, int, int]:
    """Read ``readme`` and find its zoo markers.

    Returns:
        The text, and the offsets of the start and end markers.

    Raises:
        ValueError: unreadable, or no ``README_START`` ... ``README_END`` markers.
    """
    try:
        text = readme.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"--readme {readme}: cannot read it ({exc.strerror})") from None
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        raise ValueError(f"--readme {readme} has no '{README_START}' ... '{README_END}' markers")
    return text, start, end


def update_readme(readme: Path, table: str) -> None:
    """Replace the text between the zoo markers of ``readme`` with ``table``."""
    text, start, end = check_readme(readme)
    new = text[: start + len(README_START)] + "\n" + table + text[end:]
    write_text(readme, new)


def run_zoo(
    archs: Sequence[str],
    models_dir: Path,
    out_dir: Path,
    data_path: Path | None,
    max_drop: float,
    echo: Callable[[str], None] = print,
    progress: Any = None,
) -> list[ZooEntry]:
    """Measure every architecture in ``archs`` and write ``zoo.md`` / ``zoo.json`` to ``out_dir``.

    Returns:
        One :class:`ZooEntry` per architecture, in the order asked.

    Raises:
        ModelFormatError: one of them has no trained model (told before any is measured).
    """
    from edgecnn.train.data import load_mnist

    for arch in archs:  # every model there before minutes of work, not after
        require_model(arch, models_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    data = load_mnist(data_path)
    if not micro_available():
        echo("zoo: tflite_micro is not installed, TFLM arena n/a: pip install 'edgecnn[micro]'")
    entries = []
    for arch in archs:
        echo(f"zoo: {arch}")
        entries.append(
            measure_entry(arch, models_dir, out_dir, data_path, data, max_drop, progress)
        )
    table = render_markdown(entries)
    for name, content in (
        ("zoo.md", table),
        ("zoo.json", json.dumps([asdict(e) for e in entries], indent=2)),
    ):
        write_text(out_dir / name, content)
    return entries
