"""Write a synthetic digit clip and its ground truth, atomically.

The video is Motion-JPEG in an AVI container: OpenCV's headless wheels write and
read it back everywhere (FFmpeg's MJPEG encoder), and every frame is a key frame,
so a reader sees each frame exactly as scored. The ground truth is a JSON file
beside it (see :mod:`camera_demo.truth` for the schema).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from camera_demo.truth import TRUTH_SCHEMA_VERSION
from edge_runtime._deps import require
from edge_runtime._files import PendingFile, write_json
from edge_runtime.errors import SourceError
from tools.synth import SynthConfig, synth_frames

DEFAULT_FPS = 24.0
FOURCC = "MJPG"
JPEG_QUALITY = 80  # keeps a 240-frame clip to a few MB without visible blocking


def make_clip(
    images: np.ndarray,
    labels: np.ndarray,
    video: Path,
    *,
    frames: int = 240,
    seed: int = 0,
    fps: float = DEFAULT_FPS,
    config: SynthConfig | None = None,
    source: str = "MNIST test set",
    hold: int = 1,
) -> Path:
    """Render ``frames`` synthetic frames to ``video`` and the truth to ``video`` .json.

    Both files are written to temporary names in the same folder and renamed at the
    end, so an interrupted run leaves no half clip and never replaces a good one.

    Args:
        images: MNIST digits, uint8 (N, 28, 28), white on black (use the test set).
        labels: their labels.
        video: output path ending in ``.avi``.
        frames: how many frames.
        seed: random seed; the same seed writes the same clip.
        fps: frame rate stored in the file.
        config: frame appearance.
        source: what the digits came from, recorded in the truth file.
        hold: frames each page stays in view, as a camera looking at a page sees it:
            the same page again with fresh sensor noise (1: a new page every frame).
            Each truth frame then names its ``page``.

    Returns:
        The path of the ground-truth JSON file.
    """
    cv2: Any = require("cv2", "edge")
    video = Path(video)
    if video.suffix.lower() != ".avi":
        raise ValueError(f"{video}: the clip is MJPG and must end in .avi")
    if frames < 1:
        raise ValueError(f"frames must be >= 1, got {frames}")
    if hold < 1:
        raise ValueError(f"hold must be >= 1, got {hold}")
    config = config or SynthConfig()
    truth_path = video.with_suffix(".json")
    pending = PendingFile(video, ".avi")
    writer = cv2.VideoWriter(
        str(pending.tmp),
        cv2.VideoWriter_fourcc(*FOURCC),
        fps,
        (config.width, config.height),
    )
    try:
        if not writer.isOpened():
            raise SourceError(f"{video}: OpenCV cannot write {FOURCC} video here")
        writer.set(cv2.VIDEOWRITER_PROP_QUALITY, JPEG_QUALITY)
        records: list[dict[str, Any]] = []
        pages = -(-frames // hold)
        noise = np.random.default_rng([seed, hold])  # apart: hold=1 writes the clip it did
        for page, frame in enumerate(synth_frames(images, labels, pages, seed, config)):
            digits = [
                {"digit": d.digit, "box": list(d.box), "mnist_index": d.index} for d in frame.digits
            ]
            for again in range(min(hold, frames - len(records))):
                image = frame.image if again == 0 else _sensor_noise(frame.image, noise)
                writer.write(image)
                record = {"frame": len(records), "digits": digits}
                records.append(record if hold == 1 else {**record, "page": page})
        writer.release()
        truth = {
            "schema_version": TRUTH_SCHEMA_VERSION,
            "video": video.name,
            "width": config.width,
            "height": config.height,
            "fps": fps,
            "seed": seed,
            "source": source,
            "dark_ink": config.dark_ink,
            **({"hold": hold} if hold > 1 else {}),
            "frames": records,
        }
        write_json(truth_path, truth, compact=True)
        pending.commit()
    finally:
        writer.release()
        pending.abort()
    return truth_path


def _sensor_noise(image: np.ndarray, rng: np.random.Generator, spread: int = 3) -> np.ndarray:
    """The same page seen again: a new draw of the sensor's noise (uniform, +-spread:
    integers, seven times cheaper than Gaussian, and the camera cannot tell)."""
    noise = rng.integers(-spread, spread + 1, size=image.shape, dtype=np.int16)
    return np.clip(image.astype(np.int16) + noise, 0, 255).astype(np.uint8)
