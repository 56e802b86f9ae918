"""`edgecnn camera`: read handwritten digits live from a camera, file or stream.

Only typer and the standard library are imported here; OpenCV, numpy and LiteRT
load inside the command.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from edgecnn.commands.checks import writable_file

if TYPE_CHECKING:
    from camera_demo.config import CameraConfig

app = typer.Typer()


@app.command()
def camera(
    source: str = typer.Option(
        "0",
        help="Camera index, /dev/videoN, a video file, a URL (rtsp://, http://), "
        "or 'picamera' (Raspberry Pi camera via picamera2).",
    ),
    model: Path | None = typer.Option(
        None, help="TFLite model (default: artifacts/model_int8.tflite, else the bundled one)."
    ),
    headless: bool = typer.Option(
        False, "--headless", help="No window: print one JSON line per frame (or to --json-out)."
    ),
    json_out: Path | None = typer.Option(None, help="Write the per-frame JSON lines to this file."),
    record: Path | None = typer.Option(
        None, help="Record the annotated video to this .mp4 (or .avi) file."
    ),
    serve: str | None = typer.Option(
        None,
        help="Serve the annotated MJPEG stream, a web page, /reading.json, /metrics and "
        "/healthz at [HOST:]PORT (HOST defaults to 127.0.0.1; any non-loopback HOST "
        "needs --token).",
    ),
    token: str | None = typer.Option(
        None,
        envvar="EDGECNN_TOKEN",
        show_envvar=True,
        help="Required of every --serve request: 'Authorization: Bearer TOKEN' or ?token=TOKEN.",
    ),
    max_clients: int = typer.Option(4, help="MJPEG viewers at once with --serve; more get 503."),
    mqtt: str | None = typer.Option(
        None,
        help="Publish stable readings to mqtt[s]://[USER:PASS@]HOST[:PORT][/PREFIX] "
        "(PREFIX/reading, PREFIX/status; default prefix edgecnn/<hostname>).",
    ),
    ha_discovery: bool = typer.Option(
        False, "--ha-discovery", help="Announce a Home Assistant sensor (MQTT discovery)."
    ),
    stable: str = typer.Option(
        "3/5", help="A reading is stable once read in K of the last N frames (K/N)."
    ),
    quiet: bool = typer.Option(
        False, "--quiet", help="With --headless: no JSON line per frame on stdout (a service)."
    ),
    watch_model: bool = typer.Option(
        True, help="Load a replaced model file between frames, if it passes a self-check."
    ),
    roi: str | None = typer.Option(
        None, help="Only look for digits in this region: x,y,w,h in frame pixels."
    ),
    min_confidence: float = typer.Option(
        0.7, help="Readings below this confidence are shown as '?'."
    ),
    max_frames: int | None = typer.Option(None, help="Stop after this many frames."),
    threads: int | None = typer.Option(
        None, help="Interpreter (and OpenCV) threads (default: the backend's)."
    ),
    truth: Path | None = typer.Option(
        None, help="Ground-truth JSON of the clip: print digit accuracy at the end."
    ),
    summary_out: Path | None = typer.Option(
        None, help="Also write the end-of-run summary as JSON to this file."
    ),
) -> None:
    """Find and read every digit in each frame; show, stream, record or log it.

    Ends at the end of a file, after --max-frames, or with Ctrl-C or SIGTERM (q/Esc
    in the window); a summary (FPS, latency, dropped frames, accuracy with --truth)
    follows.
    """
    from camera_demo.loop import run_camera

    config = camera_config(
        source=source,
        model=model,
        headless=headless,
        json_out=json_out,
        record=record,
        serve=serve,
        roi=roi,
        min_confidence=min_confidence,
        max_frames=max_frames,
        threads=threads,
        truth=truth,
        mqtt=mqtt,
        ha_discovery=ha_discovery,
        stable=stable,
        token=token,
        max_clients=max_clients,
        quiet=quiet,
        watch_model=watch_model,
    )
    for path, option in (
        (json_out, "--json-out"),
        (record, "--record"),
        (summary_out, "--summary-out"),
    ):
        if path is not None:
            writable_file(path, option)
    from edgecnn.defaults import resolve_model

    summary = run_camera(dataclasses.replace(config, model=resolve_model(config.model)))
    if summary_out is not None:
        from edge_runtime._files import write_json

        write_json(summary_out, summary.as_dict())


def camera_config(*, roi: str | None, stable: str, **options: Any) -> CameraConfig:
    """The camera command's options (as typed) as a validated config.

    Raises:
        ValueError: a bad option value (exit code 2).
    """
    from camera_demo.config import CameraConfig, parse_roi
    from camera_demo.stable import parse_stable

    return CameraConfig(
        roi=parse_roi(roi) if roi is not None else None, stable=parse_stable(stable), **options
    )
