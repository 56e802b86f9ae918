"""Pick the MNIST digits DigitClassifier probes a model without a description on.

Usage:
    python scripts/make_probe_digits.py [--out edge_runtime/assets/mnist_probe.npz]

Four MNIST *test* digits per class, the first ones at index 9000 or later (so that the
test split's start, which the tests score models on, stays unseen by the probe), as
``images`` (40, 28, 28) uint8 and ``labels`` (40,) uint8. MNIST: LeCun, Cortes and
Burges, CC BY-SA 3.0.
"""

from __future__ import annotations

import argparse
import gzip
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
PER_CLASS = 4
START = 9000


def _idx(name: str, offset: int) -> np.ndarray:
    with gzip.open(REPO / "data" / "mnist" / name) as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def main(argv: list[str] | None = None) -> int:
    """Choose the digits and write them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "edge_runtime/assets/mnist_probe.npz")
    args = parser.parse_args(argv)
    images = _idx("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28)
    labels = _idx("t10k-labels-idx1-ubyte.gz", 8)
    chosen = [
        i
        for digit in range(10)
        for i in (np.flatnonzero(labels[START:] == digit)[:PER_CLASS] + START).tolist()
    ]
    chosen.sort()
    np.savez_compressed(args.out, images=images[chosen], labels=labels[chosen])
    print(f"wrote {len(chosen)} digits (test indices {chosen[0]}..{chosen[-1]}) to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
