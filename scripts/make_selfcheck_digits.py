"""Pick the digits the camera's hot model swap checks a new model on.

Usage:
    python scripts/make_selfcheck_digits.py [--out camera_demo/assets/selfcheck.npz]

Two MNIST *test* digits per class, the first ones (in test-set order) that every
shipped model (data/models/*_int8.tflite) reads right with confidence >= 0.95: a model
that gets fewer than 18 of these 20 right is refused by ``camera_demo.swap``.
"""

from __future__ import annotations

import argparse
import gzip
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
PER_CLASS = 2


def _idx(name: str, offset: int) -> np.ndarray:
    with gzip.open(REPO / "data" / "mnist" / name) as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def main(argv: list[str] | None = None) -> int:
    """Choose the digits and write them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "camera_demo/assets/selfcheck.npz")
    args = parser.parse_args(argv)
    from edge_runtime import DigitClassifier

    images = _idx("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28)
    labels = _idx("t10k-labels-idx1-ubyte.gz", 8)
    models = sorted((REPO / "data" / "models").glob("*_int8.tflite"))
    good = np.ones(len(images[:2000]), dtype=bool)
    for path in models:
        with DigitClassifier(path) as clf:
            for i, p in enumerate(clf.predict_batch(images[:2000])):
                good[i] &= p.digit == labels[i] and p.confidence >= 0.95
    picks = [
        int(i) for d in range(10) for i in np.flatnonzero(good & (labels[:2000] == d))[:PER_CLASS]
    ]
    np.savez_compressed(
        args.out, images=images[picks], labels=labels[picks], mnist_index=np.array(picks)
    )
    print(f"{args.out}: {len(picks)} digits from {len(models)} models: indices {picks}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
