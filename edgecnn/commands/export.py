"""``edgecnn export``: convert a trained model to TFLite behind the accuracy gate."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import typer

from edgecnn.commands.checks import writable_file
from edgecnn.export.config import IOType, Mode  # the real choices; light (no TensorFlow)

app = typer.Typer()

BAR_WIDTH = 30


class StageConsole:
    """Stage lines on stderr; a progress bar on top when stderr is a terminal."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.tty = sys.stderr.isatty()
        self.label = ""
        self.drawn: tuple[int, str] = (-1, "")

    def stage(self, message: str) -> None:
        self.label = message.split(" ", 1)[0]
        typer.echo(f"[{time.perf_counter() - self.started:5.1f}s] {message}", err=True)

    def advance(self, done: int, total: int) -> None:
        if not self.tty or total <= 0:
            return
        filled = BAR_WIDTH * done // total
        if (filled, self.label) == self.drawn and done < total:
            return  # redraw only when the bar moves
        self.drawn = (filled, self.label)
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        end = "\n" if done >= total else ""
        sys.stderr.write(f"\r        {self.label} [{bar}] {done:,}/{total:,}{end}")
        sys.stderr.flush()


@app.command()
def export(
    int8: bool = typer.Option(False, "--int8", help="Full-integer int8 quantization (default)."),
    float16: bool = typer.Option(False, "--float16", help="float16 weights."),
    dynamic: bool = typer.Option(False, "--dynamic", help="int8 weights, float activations."),
    float32: bool = typer.Option(False, "--float32", help="Plain float32 conversion."),
    model: Path = typer.Option(
        Path("artifacts/model.keras"), "--model", help="The trained .keras model."
    ),
    out: Path | None = typer.Option(
        None, "--out", help="The .tflite to write (default: model_<mode>.tflite beside --model)."
    ),
    max_drop: float = typer.Option(
        0.5, "--max-drop", help="Refuse the model if test accuracy drops more (pp)."
    ),
    calibration_samples: int | None = typer.Option(
        None,
        "--calibration-samples",
        help="Training images to calibrate int8 on (default: 1000, or all if fewer).",
    ),
    calibration_seed: int = typer.Option(
        0, "--calibration-seed", help="Seed of the calibration draw."
    ),
    data: Path | None = typer.Option(
        None, "--data", help="MNIST to use (default: the bundled data/mnist)."
    ),
    io: IOType | None = typer.Option(
        None, "--io", help="Input/output dtype (default: int8 for --int8, else float)."
    ),
    check_micro: bool = typer.Option(
        False,
        "--check-micro",
        help="Also run the int8 model in TensorFlow Lite Micro: arena size, agreement.",
    ),
    fixed_batch: int | None = typer.Option(
        None,
        "--fixed-batch",
        metavar="N",
        help="Convert with the batch fixed at N (a static graph for accelerators); the "
        "report compares its operators and latency with the dynamic-batch graph.",
    ),
) -> None:
    """Convert a trained model to TFLite (int8 by default), gated on test accuracy.

    The converted model is scored on the full test split through edge_runtime; if it
    loses more than --max-drop percentage points against the float model it is
    refused (exit 5), kept as <stem>.refused.tflite, and nothing at --out changes.
    Writes <out>, <stem>.json (sidecar), <stem>_report.md and <stem>_per_class.png.
    """
    chosen = [
        name
        for name, on in (
            ("int8", int8),
            ("float16", float16),
            ("dynamic", dynamic),
            ("float32", float32),
        )
        if on
    ]
    if len(chosen) > 1:
        raise ValueError(f"give at most one mode, got --{' and --'.join(chosen)}")
    from edgecnn.export import ExportConfig, run_export

    config = ExportConfig(
        model=model,
        out=out,
        mode=Mode(chosen[0]) if chosen else Mode.INT8,
        max_drop=max_drop,
        calibration_samples=calibration_samples,
        calibration_seed=calibration_seed,
        data=data,
        io=io,
        check_micro=check_micro,
        fixed_batch=fixed_batch,
    )
    writable_file(config.out_path, "--out")
    result = run_export(config, StageConsole())
    _summary(result)


def _summary(result: Any) -> None:
    m, sizes, paths = result.measurement, result.sizes, result.paths
    mode = result.config.mode.value
    lines = [
        f"exported {paths.model} ({mode}, input/output {result.config.io_type.value})",
        f"  float accuracy   {m.float_accuracy:.2%}  (Keras, {m.float_report.count:,} test images)",
        f"  {mode + ' accuracy':<16} {m.quantized_accuracy:.2%}  (through edge_runtime)",
        f"  drop             {m.drop_pp:.2f} pp  (tolerance {result.config.max_drop:.2f} pp)",
        f"  agreement        {m.agreement:.2%}",
        f"  size             {sizes.model:,} B; "
        + (
            "it is the float32 .tflite"
            if mode == "float32"
            else f"float32 .tflite {sizes.float32_tflite:,} B ({sizes.ratio_float32:.2f}x smaller)"
        )
        + f"; .keras {sizes.keras:,} B ({sizes.ratio_keras:.2f}x smaller)",
    ]
    if result.micro is not None:
        lines.append(
            f"  micro            arena {result.micro['arena_bytes']:,} B, "
            f"{result.micro['match_rate']:.2%} match LiteRT on "
            f"{result.micro['samples']} images"
        )
    for g in result.graphs:
        name = f"batch {g.batch}" if g.batch else "dynamic batch"
        lines.append(
            f"  graph            {name}: {g.op_total} operators, invoke {g.latency_ms:.3f} ms"
            + ("" if g is result.graphs[0] else "  (not written; for comparison)")
        )
    lines += [
        f"  time             {result.elapsed_s:.1f} s",
        f"  wrote            {paths.model}, {paths.sidecar.name}, {paths.report.name}, "
        f"{paths.figure.name}",
    ]
    typer.echo("\n".join(lines))
