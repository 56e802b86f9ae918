"""The export report: a Markdown page and a per-class bar chart, float vs converted.

Sizes are compared two ways and the report says which is which: against the float32
``.tflite`` (the fair comparison, same format, same graph) and against the ``.keras``
file (which also carries the optimizer state, so its ratio flatters).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edge_runtime._deps import require
from edge_runtime.embedded import METADATA_NAME
from edge_runtime.model_info import ModelInfo
from edgecnn.export.gate import Measurement
from edgecnn.export.graph import Graph


@dataclass(frozen=True)
class Sizes:
    """File sizes in bytes.

    Attributes:
        model: the exported ``.tflite``.
        float32_tflite: the same model converted without optimization.
        keras: the source ``.keras`` file.
    """

    model: int
    float32_tflite: int
    keras: int

    @property
    def ratio_float32(self) -> float:
        """How many times smaller than the float32 ``.tflite``."""
        return self.float32_tflite / self.model

    @property
    def ratio_keras(self) -> float:
        """How many times smaller than the ``.keras`` file."""
        return self.keras / self.model


def render_markdown(
    *,
    model_name: str,
    mode: str,
    io_type: str,
    source: str,
    data_source: str,
    measurement: Measurement,
    max_drop: float,
    sizes: Sizes,
    calibration: str,
    micro: dict[str, Any] | None,
    elapsed_s: float,
    figure_name: str,
    info: ModelInfo | None = None,
    graphs: Sequence[Graph] = (),
) -> str:
    """The report as Markdown.

    Args:
        model_name: the exported file's name.
        mode: the conversion mode.
        io_type: the input/output dtype.
        source: the source model's path.
        data_source: the dataset's description (``Mnist.source``).
        measurement: float vs converted on the test split.
        max_drop: the gate's tolerance in percentage points.
        sizes: the file sizes.
        calibration: one line on what was calibrated on.
        micro: TensorFlow Lite Micro figures, or None when not checked.
        elapsed_s: how long the export took.
        figure_name: the per-class figure's file name (linked from the page).
        info: the model's description (its digest and where it is written).
        graphs: the exported graph, then the dynamic one it is compared with.

    Returns:
        The page.
    """
    m = measurement
    lines = [
        f"# Export report: `{model_name}`",
        "",
        f"- Mode: **{mode}** (input/output {io_type}); source `{source}`",
        f"- Test set: {m.float_report.count:,} images from {data_source}",
        f"- Calibration: {calibration}",
        f"- Gate: accepted, drop {m.drop_pp:.2f} pp <= tolerance {max_drop:.2f} pp",
        f"- Export took {elapsed_s:.1f} s",
        "",
        "| | float (Keras) | " + mode + " (LiteRT, edge_runtime) |",
        "|---|---:|---:|",
        f"| accuracy | {m.float_accuracy:.2%} | {m.quantized_accuracy:.2%} |",
        f"| errors | {m.float_report.count - _correct(m.float_report)} | "
        f"{m.quantized_report.count - _correct(m.quantized_report)} |",
        "",
        f"- Accuracy drop: **{m.drop_pp:.2f} pp**",
        f"- Agreement of predicted labels: **{m.agreement:.2%}** "
        f"({round((1 - m.agreement) * m.float_report.count)} images differ)",
        "",
        "## Size",
        "",
        "| file | bytes | this model is |",
        "|---|---:|---:|",
        f"| `{model_name}` ({mode}) | {sizes.model:,} | |",
        f"| same model as float32 `.tflite` | {sizes.float32_tflite:,} | "
        f"{sizes.ratio_float32:.2f}x smaller |",
        f"| source `.keras` (may include optimizer state) | {sizes.keras:,} | "
        f"{sizes.ratio_keras:.2f}x smaller |",
        "",
    ]
    lines += _graph_lines(graphs)
    if info is not None:
        lines += [
            "## Description",
            "",
            f"- Embedded in the `.tflite` (metadata `{METADATA_NAME}`) and in the sidecar JSON",
            f"- Input: {info.normalization.describe()}; labels {''.join(info.labels)}",
            f"- Model sha256 (without the embedded description): `{info.model_sha256}`",
            "",
        ]
    if micro is not None:
        lines += [
            "## TensorFlow Lite Micro",
            "",
            f"- Smallest tensor arena that runs the model: **{micro['arena_bytes']:,} bytes**",
            f"- Predictions equal to LiteRT's on {micro['samples']} test images: "
            f"**{micro['match_rate']:.2%}**",
            "",
        ]
    lines += [
        "## Per class",
        "",
        f"![per-class accuracy]({figure_name})",
        "",
        f"| digit | float | {mode} | change (pp) |",
        "|---:|---:|---:|---:|",
    ]
    for digit, (f, q) in enumerate(
        zip(m.float_report.per_class, m.quantized_report.per_class, strict=True)
    ):
        lines.append(f"| {digit} | {f:.2%} | {q:.2%} | {100 * (q - f):+.2f} |")
    return "\n".join(lines) + "\n"


def _graph_lines(graphs: Sequence[Graph]) -> list[str]:
    if not graphs:
        return []
    names = list(dict.fromkeys(name for g in graphs for name in g.ops))
    title = ["fixed batch " + str(g.batch) if g.batch else "dynamic batch" for g in graphs]
    lines = [
        "## Graph",
        "",
        "| operator | " + " | ".join(title) + " |",
        "|---|" + "---:|" * len(graphs),
    ]
    lines += [f"| {n} | " + " | ".join(str(g.ops.get(n, 0)) for g in graphs) + " |" for n in names]
    lines += [
        "| **operators** | " + " | ".join(f"**{g.op_total}**" for g in graphs) + " |",
        "| invoke (ms, LiteRT, 1 thread) | "
        + " | ".join(f"{g.latency_ms:.3f}" for g in graphs)
        + " |",
        "",
    ]
    if len(graphs) > 1:
        lines += [
            "The exported graph is the first column; the dynamic one was converted only to "
            "compare (a dynamic batch reads its size at run time: SHAPE, STRIDED_SLICE, PACK).",
            "",
        ]
    return lines


def _correct(report: Any) -> int:
    return int(report.confusion.trace())


def plot_per_class(path: str | Path, measurement: Measurement, mode: str) -> None:
    """Grouped bars of per-digit accuracy, float vs converted, saved as a PNG.

    Args:
        path: where to save (``.png``).
        measurement: float vs converted.
        mode: the conversion mode, for the legend.
    """
    require("matplotlib", "train")
    import numpy as np
    from matplotlib.figure import Figure  # no pyplot: no global state, no GUI backend

    f = np.array(measurement.float_report.per_class) * 100
    q = np.array(measurement.quantized_report.per_class) * 100
    x = np.arange(len(f))
    fig = Figure(figsize=(8, 4), dpi=100)
    ax = fig.subplots()
    width = 0.4
    ax.bar(x - width / 2, f, width, label=f"float {measurement.float_accuracy:.2%}")
    ax.bar(x + width / 2, q, width, label=f"{mode} {measurement.quantized_accuracy:.2%}")
    ax.set_xticks(x, [str(d) for d in x])
    low = min(f.min(), q.min())
    ax.set_ylim(max(0.0, low - max(1.0, 0.2 * (100 - low))), 100.0)
    ax.set_xlabel("digit")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(f"Per-class accuracy: float vs {mode}", loc="left")
    # Above the axes, where no bar can hide it.
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=2, frameon=False)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, format="png")
