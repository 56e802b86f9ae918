"""`edgecnn camera` through the CLI: exit codes and output."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from edgecnn.cli import app

pytest.importorskip("cv2")
runner = CliRunner()


def test_headless_run_with_truth_and_json_out(short_clip, model_path, tmp_path):
    out = tmp_path / "frames.jsonl"
    result = runner.invoke(
        app,
        [
            "camera",
            "--source",
            str(short_clip),
            "--model",
            str(model_path),
            "--headless",
            "--json-out",
            str(out),
            "--truth",
            str(short_clip.with_suffix(".json")),
            "--threads",
            "1",
            "--max-frames",
            "20",
            "--summary-out",
            str(tmp_path / "summary.json"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "digit accuracy" in result.stdout and "latency: p50" in result.stdout
    assert len([json.loads(line) for line in out.read_text().splitlines()]) == 20
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["frames"] == 20 and summary["truth"]["digits"] > 0
    assert f"{100 * summary['truth']['accuracy']:.1f}%" in result.stdout


def test_an_unopenable_source_exits_8_with_one_line(model_path, tmp_path):
    result = runner.invoke(
        app,
        [
            "camera",
            "--source",
            str(tmp_path / "none.avi"),
            "--model",
            str(model_path),
            "--headless",
        ],
    )
    assert result.exit_code == 8
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "none.avi" in lines[0]


@pytest.mark.parametrize(
    "args",
    [["--roi", "1,2,3"], ["--min-confidence", "2"], ["--max-frames", "0"], ["--serve", "nowhere"]],
)
def test_bad_options_exit_2(args, short_clip):
    result = runner.invoke(app, ["camera", "--source", str(short_clip), "--headless", *args])
    assert result.exit_code == 2
    assert "error:" in result.output


def test_a_missing_model_exits_4(short_clip, tmp_path):
    result = runner.invoke(
        app,
        [
            "camera",
            "--source",
            str(short_clip),
            "--headless",
            "--model",
            str(tmp_path / "none.tflite"),
        ],
    )
    assert result.exit_code == 4
