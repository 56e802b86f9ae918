"""Print the short summary that ends `make run`, from the artifacts it wrote.

    python scripts/run_summary.py artifacts

Reads metrics.json (train), model_int8.json (export), bench.json (edgecnn bench
--json) and camera_summary.json (edgecnn camera --summary-out). Uses only the
standard library: every figure was measured by the command that wrote the file.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def _load(folder: Path, name: str) -> dict:
    path = folder / name
    if not path.is_file():
        sys.exit(f"error: {path} is missing: run `make run` from the start")
    return json.loads(path.read_text(encoding="utf-8"))


def main(argv: list[str]) -> int:
    folder = Path(argv[1] if len(argv) > 1 else "artifacts")
    metrics = _load(folder, "metrics.json")
    sidecar = _load(folder, "model_int8.json")
    bench = _load(folder, "bench.json")
    camera = _load(folder, "camera_summary.json")
    one = next(r for r in bench["results"] if r["threads"] == 1)
    truth = camera.get("truth", {})
    lines = [
        "",
        f"edgecnn run summary ({bench['machine']})",
        f"  train    {metrics['arch']}: test accuracy {metrics['test_accuracy']:.2%} "
        f"(error {metrics['test_error']:.2%}) in {metrics['train_seconds']:.0f} s",
        f"  export   int8 accuracy {sidecar['quantized_accuracy']:.2%}, drop "
        f"{sidecar['accuracy_drop_pp']:+.2f} pp (gate {sidecar['max_drop_pp']} pp); "
        f"{sidecar['size_bytes'] / 1024:.0f} KiB, "
        f"{sidecar['float32_tflite_size_bytes'] / sidecar['size_bytes']:.2f}x smaller than "
        f"the float32 .tflite",
        f"  runtime  predict p50 {one['predict']['p50_us']:.0f} us "
        f"({one['latency_ratio']:.2f}x raw interpreter), batch "
        f"{one['batch_images_per_s']:,.0f} img/s ({one['throughput_ratio']:.2f}x raw), 1 thread",
        f"  camera   sample clip: {truth.get('accuracy', float('nan')):.1%} of digits read, "
        f"{truth.get('false_on_empty', 'n/a')} false digits on "
        f"{truth.get('empty_frames', 'n/a')} empty frames, "
        f"{camera['mean_fps']:.0f} FPS (p50 {camera['latency_p50_ms']:.1f} ms/frame)",
        f"  files    {folder}/",
    ]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
