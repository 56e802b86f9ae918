"""`--check-micro`: TensorFlow Lite Micro runs the int8 model, in a reported arena."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from edge_runtime.errors import MissingDependencyError
from edgecnn.cli import app
from edgecnn.export import micro

runner = CliRunner()

needs_tflm = pytest.mark.skipif(
    importlib.util.find_spec("tflite_micro") is None, reason="tflite_micro is not installed"
)


@pytest.mark.slow
@needs_tflm
def test_check_micro_reports_the_arena_and_agrees_with_litert(model_dir, small_data):
    result = runner.invoke(
        app,
        [
            "export",
            "--model",
            str(model_dir / "model.keras"),
            "--data",
            str(small_data),
            "--check-micro",
        ],
    )
    assert result.exit_code == 0, result.output
    figures = json.loads((model_dir / "model_int8.json").read_text())["micro"]
    assert figures["samples"] == micro.MICRO_SAMPLES
    assert figures["match_rate"] >= 0.98
    arena = figures["arena_bytes"]
    assert arena > 0 and arena % micro.ARENA_STEP == 0
    assert f"arena {arena:,} B" in result.output
    assert f"{arena:,} bytes" in (model_dir / "model_int8_report.md").read_text()

    # It is the smallest: one step less does not allocate.
    runtime = micro.load_runtime()
    model = (model_dir / "model_int8.tflite").read_bytes()
    assert micro._interpreter(runtime, model, arena) is not None
    assert micro._interpreter(runtime, model, arena - micro.ARENA_STEP) is None


def test_smallest_arena_is_the_first_multiple_of_16_that_fits():
    asked = []

    def fits(arena: int) -> bool:
        asked.append(arena)
        return arena >= 12_345

    assert micro.smallest_arena(fits) == 12_352
    assert all(a % micro.ARENA_STEP == 0 for a in asked) and len(asked) < 20


WIDE_INT8 = Path(__file__).resolve().parents[2] / "data" / "models" / "wide_int8.tflite"


@needs_tflm
def test_a_tflm_crash_on_a_small_arena_counts_as_too_small_not_as_our_crash():
    # TFLM segfaults (instead of failing) when wide's model gets a 4 KiB arena.
    with micro.ArenaProbe(WIDE_INT8) as probe:
        assert probe.fits(4096) is False
        assert probe.crashes == 1
        assert probe.fits(256 * 1024) is True  # a new child answers the next size
        arena = micro.smallest_arena(probe.fits)
    assert 4096 < arena < 256 * 1024 and arena % micro.ARENA_STEP == 0


def _hide_tflite_micro(monkeypatch: pytest.MonkeyPatch) -> None:
    # None in sys.modules makes an import fail; submodules already imported count too.
    for name in [n for n in sys.modules if n.startswith("tflite_micro.")] + ["tflite_micro"]:
        monkeypatch.setitem(sys.modules, name, None)


def test_missing_tflite_micro_names_the_extra(monkeypatch):
    _hide_tflite_micro(monkeypatch)
    with pytest.raises(MissingDependencyError, match=r"pip install 'edgecnn\[micro\]'"):
        micro.load_runtime()


@pytest.mark.slow
def test_check_micro_without_the_package_exits_6_before_writing(model_dir, small_data, monkeypatch):
    _hide_tflite_micro(monkeypatch)
    result = runner.invoke(
        app,
        [
            "export",
            "--model",
            str(model_dir / "model.keras"),
            "--data",
            str(small_data),
            "--check-micro",
        ],
    )
    assert result.exit_code == 6, result.output
    assert "edgecnn[micro]" in result.output
    assert not (model_dir / "model_int8.tflite").exists()
