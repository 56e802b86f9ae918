"""One export, end to end: load, convert, measure, gate, then publish atomically.

Everything is first written under temporary names in the destination folder (same
file system, so ``os.replace`` is atomic); only a model the gate accepts is moved
into place, with its sidecar, report and figure. A refused model never touches
``--out``: an accepted model already there, and its sidecar and report, stay
byte-identical. The refused model is kept as ``<stem>.refused.tflite`` so it can be
inspected (the error message says so); the next refused export of the same name
replaces it, and an accepted one removes it.
Whatever fails, the temporary files are removed.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from edge_runtime._files import file_mode
from edge_runtime.model_info import ModelInfo
from edgecnn.export import gate
from edgecnn.export.config import DEFAULT_CALIBRATION_SAMPLES, ExportConfig, ExportPaths, Mode
from edgecnn.export.graph import Graph
from edgecnn.export.report import Sizes
from edgecnn.train.provenance import file_sha256

TEMP_PREFIX = "."


class Progress(Protocol):
    """Where an export reports what it is doing."""

    def stage(self, message: str) -> None:
        """A new step has started."""

    def advance(self, done: int, total: int) -> None:
        """The current step has done ``done`` of ``total`` items."""


class _Silent:
    def stage(self, message: str) -> None:
        pass

    def advance(self, done: int, total: int) -> None:
        pass


@dataclass(frozen=True)
class ExportResult:
    """What an accepted export wrote and measured.

    Attributes:
        config: what was asked.
        paths: the files written.
        measurement: float vs converted on the test split.
        sizes: file sizes (exported, float32 ``.tflite``, ``.keras``).
        micro: TensorFlow Lite Micro figures when ``check_micro`` was asked.
        elapsed_s: wall time of the whole export.
        info: the model's description, as written to the sidecar and embedded.
        graphs: the exported graph, then (with ``fixed_batch``) the dynamic one.
    """

    config: ExportConfig
    paths: ExportPaths
    measurement: gate.Measurement
    sizes: Sizes
    micro: dict[str, Any] | None
    elapsed_s: float
    info: ModelInfo = field(repr=False)
    graphs: tuple[Graph, ...] = ()

    @property
    def sidecar(self) -> dict[str, Any]:
        """The sidecar as written (the description's JSON)."""
        return self.info.to_json()


def run_export(config: ExportConfig, progress: Progress | None = None) -> ExportResult:
    """Export a Keras model to TFLite behind the accuracy gate.

    Args:
        config: the export to do.
        progress: receives stage lines and item counts (None: silent).

    Returns:
        The :class:`ExportResult` of the accepted model.

    Raises:
        ModelFormatError: the source model is missing or not a usable Keras model.
        DatasetError: the dataset is missing or malformed.
        AccuracyDropError: the converted model lost more than ``config.max_drop`` points.
        MissingDependencyError: TensorFlow, matplotlib or (with ``check_micro``)
            tflite_micro is not installed.
        ValueError: more calibration samples than training images.
    """
    from edgecnn.export import convert, embed, graph, micro, report, sidecar
    from edgecnn.train.data import load_mnist

    p: Progress = progress or _Silent()
    started = time.perf_counter()
    paths = config.paths
    mode = config.mode

    p.stage(f"loading {config.model}")
    keras_model = convert.load_source_model(config.model)  # before the slow data load
    data = load_mnist(config.data)
    if config.check_micro:
        micro.load_runtime()  # fail now, not after the conversion

    calibration = None
    if mode is Mode.INT8:
        if config.calibration_images is not None:
            calibration = np.asarray(config.calibration_images)
            p.stage(f"calibrating on {len(calibration):,} given images and converting to int8")
        else:
            calibration = convert.draw_calibration(
                data.train_images,
                calibration_count(config, len(data.train_images)),
                config.calibration_seed,
            )
            p.stage(
                f"calibrating on {len(calibration):,} training images "
                f"(seed {config.calibration_seed}) and converting to int8"
            )
    else:
        p.stage(f"converting to {mode.value}")
    flatbuffer = convert.convert(
        keras_model, mode, config.io_type, calibration, p.advance, config.fixed_batch
    )
    graphs = [graph.describe(flatbuffer, config.fixed_batch)]
    if config.fixed_batch is not None:
        p.stage("converting with a dynamic batch too, to compare the graphs")
        dynamic = convert.convert(keras_model, mode, config.io_type, calibration)
        graphs.append(graph.describe(dynamic, None))
    float32_size = (
        len(flatbuffer) if mode is Mode.FLOAT32 else len(convert.convert(keras_model, Mode.FLOAT32))
    )

    paths.model.parent.mkdir(parents=True, exist_ok=True)
    temp = _TempSet(paths)
    try:
        temp.model.write_bytes(flatbuffer)

        p.stage(f"evaluating the float model on {len(data.test_images):,} test images")
        float_predicted = gate.float_labels(keras_model, data.test_images)
        p.stage(f"evaluating the {mode.value} model through edge_runtime")
        quantized_predicted = gate.runtime_labels(temp.model, data.test_images, p.advance)
        measurement = gate.measure(float_predicted, quantized_predicted, data.test_labels)

        if not gate.accepts(measurement, config.max_drop):
            temp.model.chmod(file_mode())
            os.replace(temp.model, paths.refused)
            kept = f"kept it as {paths.refused} for inspection"
            left = (
                f"{paths.model} left unchanged"
                if paths.model.exists()
                else f"nothing written to {paths.model}"
            )
            raise gate.refuse(measurement, config.max_drop, mode.value, f"{kept}; {left}")

        micro_figures = None
        if config.check_micro:
            p.stage(
                f"running the model in TensorFlow Lite Micro on "
                f"{min(micro.MICRO_SAMPLES, len(data.test_images))} test images"
            )
            micro_figures = micro.check_micro(
                temp.model, data.test_images, measurement.quantized_labels
            ).to_json()

        p.stage("describing the model (sidecar, embedded description) and writing the report")
        drawn = config.calibration_images is None and mode is Mode.INT8
        described = sidecar.build_info(
            model_file=paths.model.name,
            mode=mode.value,
            tensors=sidecar.read_tensors(temp.model),
            output_kind=_output_kind(temp.model),
            float_accuracy=measurement.float_accuracy,
            quantized_accuracy=measurement.quantized_accuracy,
            drop_pp=measurement.drop_pp,
            max_drop_pp=config.max_drop,
            agreement=measurement.agreement,
            float_size_bytes=config.model.stat().st_size,
            float32_tflite_size_bytes=float32_size,
            source_model=sidecar.relative_to_sidecar(config.model, paths.sidecar.parent),
            source_sha256=file_sha256(config.model),
            calibration_samples=None if calibration is None else len(calibration),
            calibration_seed=config.calibration_seed if drawn else None,
            micro=micro_figures,
        )
        model_bytes, info = embed.embed(flatbuffer, described)
        temp.model.write_bytes(model_bytes)
        temp.sidecar.write_text(sidecar.dumps(info), encoding="utf-8")
        sizes = Sizes(
            model=len(model_bytes), float32_tflite=float32_size, keras=info.float_size_bytes or 0
        )
        _check_pair(temp.model)
        report.plot_per_class(temp.figure, measurement, mode.value)
        elapsed = time.perf_counter() - started
        temp.report.write_text(
            report.render_markdown(
                model_name=paths.model.name,
                mode=mode.value,
                io_type=config.io_type.value,
                source=str(config.model),
                data_source=data.source,
                measurement=measurement,
                max_drop=config.max_drop,
                sizes=sizes,
                calibration=_calibration_line(
                    config, mode, 0 if calibration is None else len(calibration)
                ),
                micro=micro_figures,
                elapsed_s=elapsed,
                figure_name=paths.figure.name,
                info=info,
                graphs=graphs,
            ),
            encoding="utf-8",
        )
        temp.publish()
        paths.refused.unlink(missing_ok=True)  # a refusal of this name is now stale
    finally:
        temp.cleanup()
    return ExportResult(
        config=config,
        paths=paths,
        measurement=measurement,
        sizes=sizes,
        micro=micro_figures,
        elapsed_s=time.perf_counter() - started,
        info=info,
        graphs=tuple(graphs),
    )


def calibration_count(config: ExportConfig, train_images: int) -> int:
    """How many training images to calibrate on: as asked, else the default or all."""
    if config.calibration_samples is not None:
        return config.calibration_samples  # asked for: too many is the user's error
    return min(DEFAULT_CALIBRATION_SAMPLES, train_images)


def _calibration_line(config: ExportConfig, mode: Mode, count: int) -> str:
    if mode is not Mode.INT8:
        return f"none ({mode.value} does not calibrate)"
    if config.calibration_images is not None:
        return f"{len(config.calibration_images):,} images given by the caller"
    return (
        f"{count:,} training images drawn with seed "
        f"{config.calibration_seed}, normalized by edge_runtime.preprocess.normalize"
    )


def _output_kind(model: Path) -> str | None:
    """Whether the converted model ends in probabilities or logits, as the runtime sees it
    (the model has no description yet, so the runtime works it out)."""
    from edge_runtime import DigitClassifier

    with DigitClassifier(model) as clf:
        return clf.info.output.kind


def _check_pair(model: Path) -> None:
    """Load the model with its sidecar the way a device will: a mismatch fails here,
    before anything is published."""
    from edge_runtime import DigitClassifier

    with DigitClassifier(model):
        pass


class _TempSet:
    """Temporary siblings of every output: ``.model_int8.<random>.tflite`` and the
    same random stem for the sidecar, report and figure (so the runtime pairs the
    temporary model with its temporary sidecar)."""

    def __init__(self, paths: ExportPaths) -> None:
        folder = paths.model.parent
        fd, name = tempfile.mkstemp(
            dir=folder, prefix=f"{TEMP_PREFIX}{paths.model.stem}.", suffix=".tflite"
        )
        os.close(fd)
        self.paths = paths
        self.model = Path(name)
        self.sidecar = self.model.with_suffix(".json")
        self.report = self.model.with_suffix(".md")
        self.figure = self.model.with_suffix(".png")
        self._pairs: list[tuple[Path, Path]] = [
            (self.model, paths.model),
            (self.sidecar, paths.sidecar),
            (self.report, paths.report),
            (self.figure, paths.figure),
        ]

    def publish(self) -> None:
        """Move every temporary file into place (model first: a crash in between
        leaves a new model with the previous, still loadable, sidecar)."""
        mode = file_mode()  # mkstemp makes 0600; give the files the usual mode
        for temp, final in self._pairs:
            temp.chmod(mode)
            os.replace(temp, final)

    def cleanup(self) -> None:
        """Remove whatever temporary file is left (all of them after a failure)."""
        for temp, _ in self._pairs:
            temp.unlink(missing_ok=True)
