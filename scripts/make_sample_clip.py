"""Make the sample camera clip: MNIST test digits on paper under uneven light.

Usage:
    python scripts/make_sample_clip.py [--out data/samples/digits_clip.avi]
                                       [--frames 240] [--seed 0] [--fps 24]

Writes the MJPG clip and its ground truth (``digits_clip.json`` beside it). The same
seed writes the same clip. Digits come only from the MNIST *test* set, never from
the training set, so the clip measures the model on digits it has not seen.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

DEFAULT_OUT = Path("data/samples/digits_clip.avi")
# The clip generator lives in tools/, which is not installed: import it from the checkout.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, render the clip, print where it went."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="clip path (.avi)")
    parser.add_argument("--frames", type=int, default=240, help="number of frames")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument("--fps", type=float, default=24.0, help="frame rate stored in the file")
    parser.add_argument(
        "--mnist", type=Path, default=None, help="MNIST folder (default: the bundled data/mnist)"
    )
    args = parser.parse_args(argv)

    from edge_runtime.errors import EdgeCNNError
    from edgecnn.cli import exit_code
    from edgecnn.train.data import load_mnist
    from tools.clip import make_clip

    try:
        data = load_mnist(args.mnist)
        truth = make_clip(
            data.test_images,
            data.test_labels,
            args.out,
            frames=args.frames,
            seed=args.seed,
            fps=args.fps,
            source="MNIST test set (t10k)",
        )
    except (EdgeCNNError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exit_code(exc) if isinstance(exc, EdgeCNNError) else 2
    size = args.out.stat().st_size / 1e6
    print(f"wrote {args.out} ({args.frames} frames, {size:.1f} MB) and {truth}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
