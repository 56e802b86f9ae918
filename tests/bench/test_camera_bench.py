"""The camera benchmark and the soak report figures (small runs; the real figures come
from `edgecnn bench --camera`)."""

from __future__ import annotations

import pytest

from edgecnn.bench.camera import format_camera_report, run_camera_bench, run_soak

pytest.importorskip("cv2")


def test_bench_reports_fps_and_latency_on_the_clip(short_clip, model_path):
    result = run_camera_bench(model_path, frames=40, clip=short_clip, warmup=2)
    assert result["frames"] == 40 and result["resolution"] == "640x480"
    assert result["num_threads"] == 1
    assert 1 <= result["max_digits_per_frame"] <= 4
    assert result["fps_mean"] > 0 and result["latency_ms_p50"] <= result["latency_ms_p99"]
    low, high = result["pi4_fps_estimate"]["low"], result["pi4_fps_estimate"]["high"]
    assert low == pytest.approx(result["fps_mean"] / 10, rel=0.02)
    assert high == pytest.approx(result["fps_mean"] / 5, rel=0.02)
    assert set(result["latency_ms_p50_by_digits"]) <= {"0", "1", "2", "3", "4"}


def test_soak_loops_the_file_and_reports_memory(short_clip, model_path):
    result = run_soak(model_path, frames=70, clip=short_clip, sample_every=20)  # > 2 loops
    assert result["frames"] == 70
    assert [n for n, _ in result["samples"]] == [0, 20, 40, 60]
    assert result["rss_start_mb"] > 0 and result["rss_end_mb"] > 0
    assert result["growth_mb"] == pytest.approx(
        result["rss_end_mb"] - result["rss_start_mb"], abs=0.11
    )


def test_the_report_prints_the_figures(short_clip, model_path):
    result = {"bench": run_camera_bench(model_path, frames=10, clip=short_clip, warmup=1)}
    out = format_camera_report(result)
    assert out.startswith("camera bench: 640x480, 10 frames, up to ")
    assert "FPS mean" in out and "Raspberry Pi 4 estimate" in out and "soak" not in out


def test_edgecnn_bench_camera_prints_fps_and_soak_memory(model_path):
    import json

    from typer.testing import CliRunner

    from edgecnn.cli import app

    result = CliRunner().invoke(
        app,
        [
            "bench",
            "--camera",
            "--model",
            str(model_path),
            "--frames",
            "20",
            "--soak",
            "60",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["bench"]["frames"] == 20 and figures["bench"]["fps_mean"] > 0
    assert figures["soak"]["frames"] == 60 and figures["soak"]["rss_end_mb"] > 0
