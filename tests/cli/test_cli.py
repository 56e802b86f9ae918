"""The composition root: every area's commands are mounted, --help stays light,
and the error boundary turns each error class into its documented exit code."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import typer
from typer.testing import CliRunner

from edge_runtime import errors
from edgecnn.cli import app, guarded

runner = CliRunner()

EXPECTED_COMMANDS = (
    "train",
    "evaluate",
    "export",
    "inspect",
    "predict",
    "bench",
    "camera",
    "zoo",
)


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
        (
            errors.AccuracyDropError(
                "drop", float_accuracy=0.99, quantized_accuracy=0.9, max_drop_pp=0.5
            ),
            5,
        ),
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


def test_a_subclass_gets_its_nearest_ancestors_code_and_the_readme_lists_every_code():
    from pathlib import Path

    from edgecnn.cli import EXIT_CODES, exit_code

    class DeeperModelError(errors.ModelFormatError):
        pass

    assert exit_code(DeeperModelError("x")) == 4
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    documented = {int(code) for code in re.findall(r"^\| (\d+) \|", readme, re.MULTILINE)}
    assert set(EXIT_CODES.values()) <= documented


def test_version():
    from edgecnn import __version__

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"edgecnn {__version__}"


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["train", "--limit", "200", "--epochs", "1", "--out", "{file}"], "--out"),
        (["export", "--model", "{keras}", "--out", "{file}/m.tflite"], "--out"),
        (["camera", "--source", "{clip}", "--headless", "--json-out", "{dir}"], "--json-out"),
        (["camera", "--source", "{clip}", "--headless", "--record", "{file}/x.mp4"], "--record"),
        (["zoo", "--arch", "tiny", "--out", "{file}"], "--out"),
    ],
)
def test_unwritable_outputs_fail_at_once_with_exit_2(tmp_path, args, option):
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    a_file = tmp_path / "a_file.txt"
    a_file.write_text("not a folder")
    values = {
        "file": str(a_file),
        "dir": str(tmp_path),
        "keras": str(repo / "data" / "models" / "tiny.keras"),
        "clip": str(repo / "data" / "samples" / "digits_clip.avi"),
    }
    result = runner.invoke(app, [arg.format(**values) for arg in args])
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"error: {option} ")
    assert "epoch" not in result.output  # refused before any work
    assert a_file.read_text() == "not a folder"


def test_zoo_checks_arch_names_and_readme_markers_before_working(tmp_path):
    result = runner.invoke(app, ["zoo", "--arch", "huge", "--out", str(tmp_path / "z")])
    assert result.exit_code == 2 and "huge" in result.output
    readme = tmp_path / "README.md"
    readme.write_text("no markers\n")
    result = runner.invoke(
        app, ["zoo", "--arch", "tiny", "--out", str(tmp_path / "z"), "--readme", str(readme)]
    )
    assert result.exit_code == 2 and "markers" in result.output
    assert not (tmp_path / "z" / "zoo.md").exists()


def test_a_reader_closing_the_pipe_stops_the_command_quietly_with_141(tmp_path):
    """`edgecnn predict *.png | head -1`: once head has its line, the rest of the output
    has nowhere to go. The command stops with 141 (128 + SIGPIPE) and no error line."""
    import numpy as np

    image = tmp_path / "d.npy"
    np.save(image, np.zeros((28, 28), np.uint8))
    # far more output than a pipe buffers, so writing blocks until head is gone
    args = [sys.executable, "-m", "edgecnn.cli", "predict", *[str(image)] * 4000]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141, stderr
    assert first.startswith(str(image).encode())
    assert "error" not in stderr and "Traceback" not in stderr, stderr
