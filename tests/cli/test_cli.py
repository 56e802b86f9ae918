"""The composition root: every area's commands are mounted, --help stays light,
and the error boundary turns each error class into its documented exit code."""

from __future__ import annotations

import subprocess
import sys

import pytest
import typer
from typer.testing import CliRunner

from edge_runtime import errors
from edgecnn.cli import app, guarded

runner = CliRunner()

EXPECTED_COMMANDS = ("train", "evaluate", "export", "predict", "bench", "camera", "zoo")


def test_help_lists_every_stage():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for name in EXPECTED_COMMANDS:
        assert name in result.output, f"`edgecnn {name}` is not mounted"


def test_help_imports_nothing_heavy():
    code = (
        "import sys, edgecnn.cli; "
        "heavy = [m for m in ('tensorflow', 'keras', 'cv2', 'matplotlib') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"importing the CLI pulled in: {out.stdout.strip()}"


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (errors.DatasetError("data/x.gz: wrong magic"), 3),
        (errors.ModelFormatError("m.tflite: not a TFLite flatbuffer"), 4),
        (errors.AccuracyDropError("drop", float_accuracy=0.99, quantized_accuracy=0.9,
                                  max_drop_pp=0.5), 5),
        (errors.MissingDependencyError("cv2 is not installed"), 6),
        (errors.ImageError("img.png: unreadable"), 7),
        (errors.SourceError("camera 0: cannot open"), 8),
        (ValueError("--epochs must be >= 1"), 2),
        (RuntimeError("boom"), 1),
    ],
)
def test_error_boundary_maps_each_error_to_its_exit_code(exc, code):
    def failing() -> None:
        raise exc

    probe = typer.Typer()
    probe.command()(guarded(failing))
    result = runner.invoke(probe, [])
    assert result.exit_code == code
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert "Traceback" not in result.output
