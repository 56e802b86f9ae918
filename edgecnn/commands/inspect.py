"""``edgecnn inspect MODEL``: everything known about a ``.tflite`` digit model.

Its tensors, operators and size; its description (embedded in the file, in the
sidecar beside it, or, for a model that has neither, what the runtime inferred and
how); the TensorFlow Lite Micro arena when ``tflite_micro`` is installed. With
``--write-sidecar`` the description in force (an inferred one included) is frozen into
``X.json`` beside the model, so the next load needs no probe.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

app = typer.Typer()


@dataclass(frozen=True)
class InspectConfig:
    """Options of ``edgecnn inspect``; one field per option."""

    model: Path
    json: bool = False
    write_sidecar: bool = False


@app.command("inspect")
def inspect_model(
    model: Path = typer.Argument(..., help="A .tflite model."),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON object."),
    write_sidecar: bool = typer.Option(
        False,
        "--write-sidecar",
        help="Write the description in force (inferred ones too) to <model>.json beside it.",
    ),
) -> None:
    """Print a model's tensors, operators, size and description (or what was inferred).

    A model compiled for the Edge TPU, a damaged one, or one whose bytes do not match
    its description is refused in one line (exit 4).
    """
    config = InspectConfig(model, json_output, write_sidecar)
    record = describe(config.model)
    if config.write_sidecar:
        from edge_runtime._files import write_json
        from edge_runtime.model_file import sidecar_path

        record["wrote"] = str(write_json(sidecar_path(config.model), record["frozen"]))
    record.pop("frozen")
    if config.json:
        typer.echo(json.dumps(record, indent=2))
        return
    for warning in record["warnings"]:
        typer.secho(f"warning: {warning}", err=True, fg=typer.colors.YELLOW)
    typer.echo("\n".join(text_lines(record)))


def describe(path: Path) -> dict[str, Any]:
    """Everything :func:`inspect_model` prints, as JSON-ready data (``frozen``: the
    sidecar ``--write-sidecar`` would write)."""
    from edge_runtime import DigitClassifier
    from edge_runtime.flatbuffer import op_counts
    from edge_runtime.model_file import open_model

    model = open_model(path)
    with DigitClassifier(path) as clf:
        info = clf.info
        interpreter = clf._interpreter
        tensors = {
            "inputs": [_tensor(d) for d in interpreter.get_input_details()],
            "outputs": [_tensor(d) for d in interpreter.get_output_details()],
        }
        backend = clf.backend.value
    frozen = info.replace(model_sha256=model.sha256, size_bytes=len(model.data))
    if info.inferred is not None and "frozen" not in info.inferred:
        frozen = frozen.replace(inferred=f"{info.inferred}; frozen by edgecnn inspect")
    return {
        "model": str(path),
        "size_bytes": len(model.data),
        "sha256": model.sha256,
        "described_by": model.source or "inferred",
        "embedded": model.embedded is not None,
        "sidecar": model.sidecar is not None,
        "warnings": list(model.warnings),
        "backend": backend,
        "tensors": tensors,
        "ops": op_counts(model.summary),
        "info": info.to_json(),
        "micro_arena_bytes": _arena(path),
        "frozen": frozen.to_json(),
    }


def summary_line(path: Path) -> tuple[str, dict[str, Any]]:
    """One line on what describes a model (for ``evaluate``), and the description's JSON."""
    from edge_runtime import DigitClassifier
    from edge_runtime.model_file import open_model

    model = open_model(path)
    with DigitClassifier(path) as clf:
        info = clf.info
    where = "inferred" if model.source is None else f"{model.source} (sha256 checked)"
    accuracy = (
        f", recorded {info.mode} accuracy {info.quantized_accuracy:.2%}"
        if info.quantized_accuracy is not None
        else ""
    )
    return (
        f"{where}; input {info.normalization.describe()}, output {info.output.kind}{accuracy}",
        info.to_json(),
    )


def _tensor(detail: dict[str, Any]) -> dict[str, Any]:
    params = detail.get("quantization_parameters") or {}
    return {
        "name": detail.get("name", ""),
        "shape": [int(d) for d in detail["shape"]],
        "shape_signature": [int(d) for d in detail.get("shape_signature", detail["shape"])],
        "dtype": detail["dtype"].__name__,
        "scales": [float(s) for s in params.get("scales", [])][:4],
        "zero_points": [int(z) for z in params.get("zero_points", [])][:4],
    }


def _arena(path: Path) -> int | str:
    if importlib.util.find_spec("tflite_micro") is None:
        return "not measured: pip install 'edgecnn[micro]'"
    from edge_runtime.errors import EdgeCNNError
    from edgecnn.export.micro import ArenaProbe, load_runtime, smallest_arena

    try:
        load_runtime()
        with ArenaProbe(path) as probe:
            return smallest_arena(probe.fits)
    except EdgeCNNError as exc:
        return f"TensorFlow Lite Micro cannot run it ({exc})"


def text_lines(record: dict[str, Any]) -> list[str]:
    """The human-readable form of :func:`describe`'s record."""
    info = record["info"]
    norm = info["normalization"]
    low, high = norm["range"]
    lines = [
        f"model        {record['model']}  ({record['size_bytes']:,} bytes)",
        f"sha256       {record['sha256']}  (without the embedded description)",
        f"described by {_source(record)}",
    ]
    if info.get("inferred"):
        lines.append(f"  inferred   {info['inferred']}")
    for role in ("inputs", "outputs"):
        for t in record["tensors"][role]:
            quant = " (no quantization)"
            if t["scales"] and t["zero_points"]:
                quant = f" scale {t['scales'][0]:.6g} zero point {t['zero_points'][0]}"
            lines.append(f"{role[:-1]:<12} {t['dtype']} {t['shape_signature']}{quant}")
    lines += [
        f"pixels       {low:g}..{high:g}, {norm['polarity'].replace('_', ' ')} "
        f"(real = pixel * {norm['scale']:.6g} + {norm['offset']:g})",
        f"output kind  {info['output'].get('kind') or 'unknown'}",
        f"labels       {' '.join(info['labels'])}",
    ]
    if info.get("quantized_accuracy") is not None:
        lines.append(
            f"accuracy     float {info['float_accuracy']:.2%}, {info['mode']} "
            f"{info['quantized_accuracy']:.2%} (drop {info['accuracy_drop_pp']:+.2f} pp, "
            f"tolerance {info['max_drop_pp']:.2f} pp), agreement {info['agreement']:.2%}"
        )
    if info.get("calibration_samples") is not None:
        lines.append(
            f"calibration  {info['calibration_samples']:,} images, seed {info['calibration_seed']}"
        )
    if info.get("source_model"):
        lines.append(
            f"provenance   {info['source_model']} (sha256 {str(info['source_sha256'])[:16]}...), "
            f"created {info.get('created')}"
        )
    if info.get("versions"):
        lines.append("versions     " + ", ".join(f"{k} {v}" for k, v in info["versions"].items()))
    ops = record["ops"]
    lines.append(
        f"operators    {sum(ops.values())}: " + ", ".join(f"{k} {v}" for k, v in ops.items())
    )
    arena = record["micro_arena_bytes"]
    lines.append(
        f"TFLM arena   {arena:,} bytes" if isinstance(arena, int) else f"TFLM arena   {arena}"
    )
    if "wrote" in record:
        lines.append(f"wrote        {record['wrote']}")
    return lines


def _source(record: dict[str, Any]) -> str:
    if record["described_by"] == "inferred":
        return "nothing: inferred from its tensors and the bundled probe digits"
    both = record["embedded"] and record["sidecar"]
    return "its sidecar and the embedded copy" if both else f"its {record['described_by']} copy"
