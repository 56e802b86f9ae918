"""Export: TFLite conversion, int8 quantization, the accuracy gate, reports (TensorFlow).

::

    from edgecnn.export import ExportConfig, run_export

    result = run_export(ExportConfig(model=Path("artifacts/model.keras")))
    print(result.measurement.drop_pp, result.paths.model)

Importing this package is light; TensorFlow loads when an export runs.
"""

from __future__ import annotations

from edgecnn.export.config import ExportConfig, ExportPaths, IOType, Mode
from edgecnn.export.pipeline import ExportResult, Progress, run_export

__all__ = [
    "ExportConfig",
    "ExportPaths",
    "ExportResult",
    "IOType",
    "Mode",
    "Progress",
    "run_export",
]
