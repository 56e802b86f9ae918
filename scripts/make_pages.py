"""Write a set of synthetic page photos and their manifest, for tuning digit reading.

Usage:
    python scripts/make_pages.py OUT_DIR [--count 60] [--seed 0] [--twelve-mp 0.0]
                                         [--held-up] [--ink pencil] [--paper lined]
                                         [--mnist data/mnist]

Writes ``OUT_DIR/pages/*.jpg`` and ``OUT_DIR/manifest.json`` in the format of
``../shared/data/real-dev/manifest.json``, so the same scorer reads both::

    python ../shared/tools/score_real_photos.py OUT_DIR data/models/seed_int8.tflite

Digits come from the MNIST *training* set: the real photos are for measuring, and the
MNIST test set stays for the sample clip. The same seed writes the same bytes.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # tools/ is not installed with the package

from tools.pages import DigitSource, Ink, Paper, write_set  # noqa: E402


def arguments() -> argparse.ArgumentParser:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder to write the pages and manifest.json to")
    parser.add_argument("--count", type=int, default=60, help="number of pages")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument(
        "--twelve-mp", type=float, default=0.0, help="share of 12 MP (4000x3000) pages, 0..1"
    )
    parser.add_argument(
        "--held-up",
        action="store_true",
        help="cards of one to three big digits held up to a webcam (640x480), not pages",
    )
    parser.add_argument(
        "--ink",
        action="append",
        choices=[ink.value for ink in Ink],
        help="write every page in this ink (repeat for one of several); default: all kinds",
    )
    parser.add_argument(
        "--paper",
        action="append",
        choices=[paper.value for paper in Paper],
        help="write every page on this paper (repeat for one of several); default: all kinds",
    )
    parser.add_argument(
        "--mnist", type=Path, default=None, help="MNIST folder (default: the bundled data/mnist)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, write the set, print where it went."""
    parser = arguments()
    args = parser.parse_args(argv)
    if args.count < 1 or not 0 <= args.twelve_mp <= 1:
        parser.error("need --count >= 1 and 0 <= --twelve-mp <= 1")

    from edge_runtime.errors import EdgeCNNError
    from edgecnn.train.data import load_mnist

    try:
        data = load_mnist(args.mnist)
    except EdgeCNNError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return getattr(exc, "exit_code", 2)
    start = time.perf_counter()
    manifest = write_set(
        args.out,
        DigitSource(data.train_images, data.train_labels),
        args.count,
        seed=args.seed,
        twelve_mp=args.twelve_mp,
        held_up=args.held_up,
        inks=[Ink(name) for name in args.ink or ()],
        papers=[Paper(name) for name in args.paper or ()],
    )
    took = time.perf_counter() - start
    print(f"wrote {args.count} pages and {manifest} in {took:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
