"""Measure the digit gate on real material: which real digits would it throw away?

Usage:
    python scripts/measure_digit_gate.py ../shared/data/real-dev
        [--gate edge_runtime/assets/digit_gate.tflite] [--model data/models/seed_int8.tflite]
        [--write]

Measuring only: nothing here feeds training or the threshold (train_digit_gate.py never
reads real photos). For each multi-digit photo, ``DigitClassifier.read_digits`` reads it
as it does today; every crop it classified is also scored by the gate, and each reading
is aligned with the truth as ``../shared/tools/score_real_photos.py`` aligns them (rows
by ``y_range``, edit distance; the angled ``raw`` sheets as bags of digits). Printed:
the right digits the gate would reject (lost) and the confident wrong or extra ones it
would reject (saved). Single digits (Semeion drawn as the scorer draws it, the drawn
digits, crops, photos, meter digits) go through ``to_mnist`` as ``predict`` takes them
and count as accepted or not. ``--write`` adds the figures to the gate's sidecar.
"""

from __future__ import annotations

import argparse
import gzip
import inspect
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from edge_runtime import DigitClassifier, touching  # noqa: E402
from edge_runtime import find as finder  # noqa: E402
from edge_runtime.gate import DigitGate, bundled_gate_path  # noqa: E402
from edge_runtime.inputs import as_mnist  # noqa: E402


def align(pred: list[tuple[int | None, bool]], truth: list[int]) -> list[str]:
    """Per reading: ``right``, ``false`` (confident, wrong or extra) or ``rejected``;
    the same edit-distance alignment as score_real_photos.py."""
    n, m = len(pred), len(truth)
    d = np.zeros((n + 1, m + 1), int)
    d[:, 0], d[0, :] = range(n + 1), range(m + 1)

    def same(i: int, j: int) -> bool:
        return pred[i][0] == truth[j] and not pred[i][1]

    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost = 0 if same(i - 1, j - 1) else 1
            d[i, j] = min(d[i - 1, j] + 1, d[i, j - 1] + 1, d[i - 1, j - 1] + cost)
    status = ["?"] * n
    i, j = n, m
    while i > 0 or j > 0:
        if i > 0 and j > 0 and d[i, j] == d[i - 1, j - 1] + (0 if same(i - 1, j - 1) else 1):
            ok = same(i - 1, j - 1)
            rejected = pred[i - 1][1] or pred[i - 1][0] is None
            status[i - 1] = "right" if ok else ("rejected" if rejected else "false")
            i, j = i - 1, j - 1
        elif i > 0 and d[i, j] == d[i - 1, j] + 1:
            rejected = pred[i - 1][1] or pred[i - 1][0] is None
            status[i - 1] = "rejected" if rejected else "false"
            i -= 1
        else:
            j -= 1
    return status


def read_with_scores(clf: DigitClassifier, gate: DigitGate, image: np.ndarray) -> list:
    """read_digits, and for each reading the gate's score of the crop it was read from.

    The crops are caught on their way to the classifier and the picks of
    ``touching.choose`` in order: read_lines builds its readings from those picks, line
    by line, in the same order.
    """
    caught: dict[str, np.ndarray] = {}
    picks: list[int] = []

    class Spy:
        def probabilities(self, images: np.ndarray) -> np.ndarray:
            caught["crops"] = np.asarray(images)
            return clf.probabilities(images)

    # find.py calls touching.choose through the module, so the spy sees every pick.
    choose = touching.choose

    def spy_choose(*args: Any, **kwargs: Any) -> Any:
        chosen = choose(*args, **kwargs)
        picks.extend(index for index, _ in chosen)
        return chosen

    touching.choose = spy_choose
    # Today's readings without any gate (once find.py applies one itself, gate=None
    # turns it off), so that this gate's effect is measured alone.
    ungated: dict[str, Any] = (
        {"gate": None} if "gate" in inspect.signature(finder.read_digits).parameters else {}
    )
    try:
        readings = finder.read_digits(Spy(), image, **ungated)
    finally:
        touching.choose = choose
    if len(picks) != len(readings):
        raise RuntimeError("readings and picks disagree: read_lines changed?")
    scores = gate.scores(caught["crops"]) if picks else np.zeros(0, np.float32)
    return [(r, float(scores[k])) for r, k in zip(readings, picks, strict=True)]


def photos(set_dir: Path, items: list, clf: DigitClassifier, gate: DigitGate) -> dict:
    t = gate.threshold
    tally: Counter = Counter()
    per_photo = []
    for it in items:
        if not it["kind"].startswith("multi_digit_photo"):
            continue
        image = np.asarray(cv2.imread(str(set_dir / it["path"]), cv2.IMREAD_COLOR))
        scored = read_with_scores(clf, gate, image)
        status: list[str] = ["?"] * len(scored)
        centre = [(r.box[0] + r.box[2] / 2, r.box[1] + r.box[3] / 2) for r, _ in scored]
        if it.get("rows"):
            used: set[int] = set()
            for row in it["rows"]:
                y0, y1 = row["y_range"]
                ks = [k for k in range(len(scored)) if y0 <= centre[k][1] <= y1 and k not in used]
                ks.sort(key=lambda k: centre[k][0])
                used |= set(ks)
                pred = [(scored[k][0].digit, scored[k][0].rejected) for k in ks]
                for k, s in zip(ks, align(pred, [int(c) for c in row["digits"]]), strict=True):
                    status[k] = s
            for k in range(len(scored)):
                if k not in used:
                    status[k] = "rejected" if scored[k][0].rejected else "false"
        elif "raw" in it["path"]:
            left = Counter(int(c) for c in it["digits"])
            for k, (r, _) in enumerate(scored):
                if r.rejected or r.digit is None:
                    status[k] = "rejected"
                elif left[r.digit] > 0:
                    left[r.digit] -= 1
                    status[k] = "right"
                else:
                    status[k] = "false"
        else:
            ks = sorted(range(len(scored)), key=lambda k: centre[k][0])
            pred = [(scored[k][0].digit, scored[k][0].rejected) for k in ks]
            for k, s in zip(ks, align(pred, [int(c) for c in it["digits"]]), strict=True):
                status[k] = s
        counts: Counter[str] = Counter()
        for (_, score), s in zip(scored, status, strict=True):
            counts[s] += 1
            counts[f"{s}_gated"] += score < t
        lost = [
            round(score, 3)
            for (_, score), s in zip(scored, status, strict=True)
            if s == "right" and score < t
        ]
        per_photo.append(
            {"path": it["path"], "truth": len(it["digits"]), **counts, "lost_scores": lost}
        )
        tally.update(counts)
        tally["truth"] += len(it["digits"])
    return {
        "truth_digits": tally["truth"],
        "read_right": tally["right"],
        "right_the_gate_rejects": tally["right_gated"],
        "confident_false": tally["false"],
        "false_the_gate_rejects": tally["false_gated"],
        "per_photo": per_photo,
    }


def render(g: np.ndarray) -> np.ndarray:
    """score_real_photos.py's render(): a 16x16 Semeion digit as a 64x64 dark-on-light crop."""
    g = cv2.resize(g.astype(np.float32), (48, 48), interpolation=cv2.INTER_CUBIC).clip(0, 1)
    c = np.zeros((64, 64), np.float32)
    c[8:56, 8:56] = g
    return (255 - c * 200).astype(np.uint8)


def singles(set_dir: Path, items: list, gate: DigitGate) -> dict:
    groups: dict[str, list[np.ndarray | None]] = {}
    for it in items:
        kind = it["kind"]
        if kind in ("single_digit_photo", "mnist_style_crop", "drawn_digit", "meter_digit_crop"):
            img = np.asarray(cv2.imread(str(set_dir / it["path"]), cv2.IMREAD_COLOR))
            if kind == "mnist_style_crop":
                img = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
            groups.setdefault(kind, []).append(as_mnist(img))
        elif kind == "dataset" and "semeion" in it["path"]:
            with gzip.open(set_dir / it["path"], "rt") as lines:
                for line in lines:
                    v = line.split()
                    if v:
                        g = np.array(v, float)[:256].reshape(16, 16)
                        groups.setdefault("semeion", []).append(as_mnist(render(g)))
    out = {}
    for name, crops in sorted(groups.items()):
        batch = np.stack([c if c is not None else np.zeros((28, 28), np.uint8) for c in crops])
        accepted = gate.accepts(batch)
        out[name] = {"count": len(batch), "accepted": round(float(accepted.mean()), 4)}
    return out


def main(argv: list[str] | None = None) -> int:
    """Measure, print, and with --write record in the sidecar."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("set_dir", type=Path)
    parser.add_argument("--gate", type=Path, default=bundled_gate_path())
    parser.add_argument("--model", type=Path, default=REPO / "data/models/seed_int8.tflite")
    parser.add_argument("--write", action="store_true", help="record in the gate's sidecar")
    args = parser.parse_args(argv)
    items = json.loads((args.set_dir / "manifest.json").read_text())["items"]
    with DigitClassifier(args.model) as clf, DigitGate(args.gate) as gate:
        result = {
            "threshold": gate.threshold,
            "classifier": args.model.name,
            "photos": photos(args.set_dir, items, clf, gate),
            "singles": singles(args.set_dir, items, gate),
        }
    p = result["photos"]
    print(
        f"threshold {gate.threshold:.4f}; multi-digit photos: {p['read_right']}/"
        f"{p['truth_digits']} read right, the gate would reject {p['right_the_gate_rejects']} "
        f"of them; {p['confident_false']} confident false, the gate rejects "
        f"{p['false_the_gate_rejects']}"
    )
    for row in p["per_photo"]:
        print(f"  {row['path']}: {json.dumps({k: v for k, v in row.items() if k != 'path'})}")
    for name, g in result["singles"].items():
        print(f"{name}: {g['accepted']:.1%} of {g['count']} accepted")
    if args.write:
        sidecar = args.gate.with_suffix(".json")
        meta = json.loads(sidecar.read_text())
        result["set"] = "../shared/data/real-dev (measured only; never trained or tuned on)"
        result["command"] = "python scripts/measure_digit_gate.py " + " ".join(sys.argv[1:])
        meta.setdefault("measured", {})["real_dev"] = result
        sidecar.write_text(json.dumps(meta, indent=1) + "\n")
        print(f"recorded in {sidecar}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
