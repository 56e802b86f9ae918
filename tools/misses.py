"""Where digit reading loses digits on generated pages, by kind of miss and by condition.

Usage:
    python -m tools.misses SET_DIR RESULT_JSON [RESULT_JSON ...]

``SET_DIR`` is a set written by ``scripts/make_pages.py`` (its manifest has every digit's
box and the options the page was drawn with); ``RESULT_JSON`` is what
``edgecnn evaluate --photos SET_DIR --json`` printed for it (several: the same set read
by several versions, side by side). Every truth digit is matched to the reading whose box
overlaps it most (each share of the other's area multiplied: >= MATCH) and counted as

- ``right``, ``wrong`` (read as another digit), ``rejected`` (found, not read surely);
- ``merged``: no reading of its own, but inside a reading's box (touching digits read
  as one);
- ``missed``: nothing read there at all;

and every reading matched to no digit as ``extra``. Tallies are printed in total, by
digit height and by each page option (ink, paper, sheet, touching pairs, letters...),
so a change's gains and losses show where they are, not only in one total.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

Box = Sequence[int]

#: A reading stands for a truth digit when each covers this share of the other, multiplied.
MATCH = 0.3
#: A truth digit with no reading of its own is merged when a reading covers this share of it.
INSIDE = 0.7
KINDS = ("right", "wrong", "rejected", "merged", "missed", "extra")
#: Digit heights (px, in the photo): tiny below 20, small below 35, mid below 100.
SIZES = ((20, "tiny"), (35, "small"), (100, "mid"))
#: The page options tallied one by one.
OPTIONS = ("ink", "paper", "sheet", "layout", "touching", "letters", "long_tails", "dim", "shadow")


def covered(a: Box, b: Box) -> float:
    """The share of box ``a`` (x, y, w, h) inside box ``b``."""
    ix = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    return ix * iy / max(1, a[2] * a[3])


def size_of(height: int) -> str:
    """The height class of a digit this many pixels tall."""
    return next((name for limit, name in SIZES if height < limit), "big")


def tally(
    items: Iterable[Mapping[str, Any]], photos: Iterable[Mapping[str, Any]]
) -> dict[str, Counter[str]]:
    """Counts of each kind, under ``total``, ``size=...`` and ``OPTION=value`` keys.

    ``items``: the manifest's items (``path``, ``digits``, ``boxes``, ``options``);
    ``photos``: ``evaluate --json``'s ``photos`` (``path``, ``readings``). Photos without
    truth boxes (real photos) are left out.
    """
    by_path = {item["path"]: item for item in items}
    out: dict[str, Counter[str]] = {"total": Counter()}
    for photo in photos:
        item = by_path.get(photo["path"])
        if item is None or not item.get("boxes"):
            continue
        options = item.get("options", {})
        keys = [f"{k}={options[k]}" for k in OPTIONS if k in options]
        readings = photo.get("readings", [])
        used: set[int] = set()
        for digit, box in zip(item["digits"], item["boxes"], strict=True):
            kind = _kind(digit, box, readings, used)
            for key in ("total", f"size={size_of(box[3])}", *keys):
                out.setdefault(key, Counter())[kind] += 1
        for k, reading in enumerate(readings):
            if k not in used and not reading["rejected"] and reading["digit"] is not None:
                for key in ("total", *keys):
                    out.setdefault(key, Counter())["extra"] += 1
    return out


def _kind(digit: str, box: Box, readings: Sequence[Mapping[str, Any]], used: set[int]) -> str:
    # each reading stands for one digit at most: the first (left to right) it fits
    overlaps = [
        0.0 if k in used else covered(box, r["box"]) * covered(r["box"], box)
        for k, r in enumerate(readings)
    ]
    best = max(range(len(readings)), key=overlaps.__getitem__, default=None)
    if best is None or overlaps[best] < MATCH:
        return "merged" if any(covered(box, r["box"]) >= INSIDE for r in readings) else "missed"
    used.add(best)
    reading = readings[best]
    if reading["rejected"] or reading["digit"] is None:
        return "rejected"
    return "right" if str(reading["digit"]) == str(digit) else "wrong"


def table(tallies: Sequence[Mapping[str, Counter[str]]]) -> list[str]:
    """One line per key: the digits it holds and each kind, one column per result."""
    keys = ["total", *sorted(k for k in tallies[0] if k != "total")]
    width = 5 * len(tallies) + 3
    lines = [f"{'':24} {'digits':>6} " + " ".join(f"{k:>{width}}" for k in KINDS)]
    for key in keys:
        counts = [t.get(key, Counter()) for t in tallies]
        digits = sum(counts[0][k] for k in KINDS if k != "extra")
        cells = ["/".join(str(c[k]) for c in counts) for k in KINDS]
        lines.append(f"{key:24} {digits:6} " + " ".join(f"{c:>{width}}" for c in cells))
    return lines


def main(argv: list[str] | None = None) -> int:
    """Print the tallies of one or more results of one set."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("set_dir", type=Path, help="a set written by scripts/make_pages.py")
    parser.add_argument("results", type=Path, nargs="+", help="evaluate --photos --json output")
    args = parser.parse_args(argv)
    try:
        items = json.loads((args.set_dir / "manifest.json").read_text())["items"]
        results = [json.loads(path.read_text())["photos"] for path in args.results]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"error: cannot read the set or a result: {exc}", file=sys.stderr)
        return 2
    print("\n".join(table([tally(items, photos) for photos in results])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
