"""What the golden photo test reads: the real photos in tests/data/real and a fixed set
of generated pages, each scored the way `edgecnn evaluate --photos` scores them."""

from __future__ import annotations

import gzip
import json
import tempfile
from pathlib import Path

import numpy as np

from edgecnn.manifest import load_manifest
from edgecnn.photos import evaluate_photos

REPO = Path(__file__).resolve().parents[2]
REAL = REPO / "tests" / "data" / "real"
FLOORS = Path(__file__).resolve().parent / "real_photos_floors.json"
PAGES_SEED, PAGES_COUNT = 5, 12


def _mnist_train() -> tuple[np.ndarray, np.ndarray]:
    def idx(name: str, offset: int) -> np.ndarray:
        with gzip.open(REPO / "data" / "mnist" / name) as f:
            return np.frombuffer(f.read(), np.uint8, offset=offset)

    images = idx("train-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28)
    return images[:6000], idx("train-labels-idx1-ubyte.gz", 8)[:6000]


def generated_pages(folder: Path) -> Path:
    """A fixed set of varied generated pages (tools/pages.py) written into ``folder``."""
    from tools.pages import DigitSource, write_set

    write_set(folder, DigitSource(*_mnist_train()), PAGES_COUNT, PAGES_SEED)
    return folder


def scores(classifier) -> dict[str, dict[str, int]]:
    """Per photo: digits right and confident false digits (bag photos: right and extra)."""
    out: dict[str, dict[str, int]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for prefix, folder in (("real/", REAL), ("pages/", generated_pages(Path(tmp)))):
            totals = evaluate_photos(load_manifest(folder), classifier)
            for photo in totals.photos:
                record = photo.to_dict()
                out[prefix + record["path"]] = {
                    "right": int(record.get("right") or record.get("bag_right") or 0),
                    "false": int(record.get("false") or record.get("extra") or 0),
                    "digits": len(str(record["truth"]).replace(" ", "")),
                }
    return out


def record(model: Path) -> None:
    from edge_runtime import DigitClassifier

    with DigitClassifier(model) as clf:
        result = scores(clf)
    FLOORS.write_text(json.dumps({"model": model.name, "photos": result}, indent=1) + "\n")
    print(f"recorded {len(result)} photos with {model.name} in {FLOORS}")
