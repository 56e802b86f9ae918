"""Synthetic page photos: deterministic, truthful, in the real-dev manifest format, and
readable where they are easy.

MNIST training digits are parsed straight from the bundled IDX files (16- and 8-byte
headers), so the generator is tested without the train area.
"""

from __future__ import annotations

import dataclasses
import gzip
import itertools
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

cv2 = pytest.importorskip("cv2")

from tools.pages import (  # noqa: E402
    DigitSource,
    Ink,
    Layout,
    PageOptions,
    Paper,
    Sheet,
    page_rng,
    render_page,
    write_set,
)

REPO = Path(__file__).resolve().parents[2]
MNIST = REPO / "data" / "mnist"
MODEL = REPO / "data" / "models" / "seed_int8.tflite"
SCORER = REPO.parent / "shared" / "tools" / "score_real_photos.py"


def _idx(name: str, offset: int) -> np.ndarray:
    with gzip.open(MNIST / name) as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


@pytest.fixture(scope="module")
def source() -> DigitSource:
    images = _idx("train-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28)
    labels = _idx("train-labels-idx1-ubyte.gz", 8)
    # A slice keeps the test quick; every digit is in it many times.
    return DigitSource(images[:6000], labels[:6000])


def _decoded(page) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(page.encode(), np.uint8), cv2.IMREAD_COLOR)


def _check_truth(page) -> None:
    """Rows and boxes that a scorer can rely on."""
    h, w = page.image.shape[:2]
    assert page.image.dtype == np.uint8 and page.image.shape == (
        page.options.height,
        page.options.width,
        3,
    )
    assert page.rows and all(r.digits for r in page.rows)
    for row in page.rows:
        assert row.digits.isdigit() and len(row.boxes) == len(row.digits)
        assert "".join(row.numbers) == row.digits
        for x, y, bw, bh in row.boxes:
            assert x >= 0 and y >= 0 and bw > 0 and bh > 0 and x + bw <= w and y + bh <= h
    if page.rows_apart:
        ranges = page.y_ranges()
        for (y0, y1), row in zip(ranges, page.rows, strict=True):
            assert all(y0 <= y + bh / 2 <= y1 for _, y, _, bh in row.boxes)
        for (_, end), (start, _) in itertools.pairwise(ranges):
            assert end < start, "rows' y ranges overlap"
    else:
        with pytest.raises(ValueError):
            page.y_ranges()


def _random_page(source: DigitSource, seed: int, index: int):
    rng = page_rng(seed, index)
    return render_page(PageOptions.random(rng), source, rng)


def test_same_seed_same_bytes(source: DigitSource) -> None:
    for index in range(3):
        first, second = _random_page(source, 4, index), _random_page(source, 4, index)
        assert first.encode() == second.encode()
        assert first.rows == second.rows and first.conditions == second.conditions
    assert _random_page(source, 4, 0).encode() != _random_page(source, 5, 0).encode()
    a = render_page(PageOptions(), source, page_rng(4, 0))
    b = render_page(PageOptions(), source, page_rng(4, 1))
    assert a.encode() != b.encode()


OPTION_CASES = [
    *({"ink": ink} for ink in Ink),
    *({"paper": paper} for paper in Paper),
    *({"layout": layout, "rows": 5} for layout in Layout),
    {"sheet": Sheet.EDGE},
    {"sheet": Sheet.DESK, "angle_deg": 35.0, "perspective": 0.08, "rows": 3},
    {"sheet": Sheet.DESK, "angle_deg": -20.0, "perspective": 0.04, "layout": Layout.COLUMN},
    {"min_height": 15, "max_height": 18, "rows": 5},
    {"min_height": 380, "max_height": 400, "rows": 1, "height": 480},
    {"mixed_sizes": True, "min_height": 15, "max_height": 300, "rows": 4, "height": 960},
    {"stroke": -1.0, "min_height": 150, "max_height": 200, "rows": 1},
    {"stroke": 1.0, "slant": 0.5},
    {"letters": True, "rows": 3},
    {"touching": True},
    {"long_tails": True, "rows": 3},
    {"holes": True, "sheet": Sheet.DESK, "angle_deg": 10.0},
    {"holes": True},
    {"uneven_light": True, "hot_spot": True, "shadow": True, "dim": True},
    {"blur": 2.0, "noise": 8.0, "jpeg_quality": 40},
    {"jpeg_quality": None},
    {"width": 480, "height": 640},
    {"width": 2048, "height": 1536, "min_height": 60, "max_height": 300},
]


@pytest.mark.parametrize("change", OPTION_CASES, ids=lambda c: ",".join(map(str, c.values())))
def test_every_option_gives_a_valid_page(source: DigitSource, change: dict) -> None:
    options = dataclasses.replace(PageOptions(), **change)
    page = render_page(options, source, page_rng(0, 1))
    _check_truth(page)
    assert _decoded(page).shape == page.image.shape
    for value in change.values():  # the manifest says what was applied
        if isinstance(value, Ink | Paper):
            assert value.value in page.conditions


def _tails(page) -> list[tuple[tuple[int, int, int, int], float, float, int]]:
    """Each 7 and 9: its box, its row's median digit height and median top, the digit."""
    out = []
    for row in page.rows:
        height = float(np.median([b[3] for b in row.boxes]))
        top = float(np.median([b[1] for b in row.boxes]))
        out += [
            (b, height, top, int(d))
            for d, b in zip(row.digits, row.boxes, strict=True)
            if d in "79"
        ]
    return out


def test_long_tails_reach_below_the_line_with_the_head_in_it(source: DigitSource) -> None:
    options = dataclasses.replace(PageOptions(), long_tails=True, rows=4, height=960)
    tails = [t for i in range(4) for t in _tails(render_page(options, source, page_rng(8, i)))]
    long = [(b, h, top) for b, h, top, _ in tails if b[3] > 1.3 * h]
    assert len(long) >= 0.4 * len(tails) > 0, f"{len(long)} of {len(tails)} 7s and 9s long"
    for (_, y, _, bh), h, top in long:
        assert abs(y - top) < 0.35 * h  # the head sits in the line
        assert bh <= 2.3 * h  # and the tail ends before the next one
    plain = [
        t for i in range(4) for t in _tails(render_page(PageOptions(), source, page_rng(8, i)))
    ]
    assert not [b for b, h, _, _ in plain if b[3] > 1.5 * h]


def test_drawing_long_tails_leaves_every_other_page_as_it_was(source: DigitSource) -> None:
    """The choice is drawn apart from the page's generator: sets recorded before keep
    their pages, and a page with tails has its plain twin's digits in the same places."""
    seen = set()
    for index in range(40):
        options = PageOptions.random(page_rng(5, index))
        seen.add(options.long_tails)
        plain = dataclasses.replace(options, long_tails=False)
        rng = page_rng(5, index)
        PageOptions.random(rng)
        again = render_page(plain, source, rng)
        twin = _random_page(source, 5, index)
        if not options.long_tails:
            assert twin.encode() == again.encode()
        else:  # the same digits in the same places; a 7 or a 9 may reach lower
            assert [r.digits for r in twin.rows] == [r.digits for r in again.rows]
            assert [b[0] for r in twin.rows for b in r.boxes] == [
                b[0] for r in again.rows for b in r.boxes
            ]
        if seen == {True, False} and index >= 10:
            break
    assert seen == {True, False}


def test_a_first_digit_too_wide_where_its_row_starts_is_moved_to_the_margin(
    source: DigitSource,
) -> None:
    big = PageOptions(width=640, height=480, rows=1, min_height=380, max_height=420)
    page = render_page(big, source, page_rng(21, 6))  # a 2 wider than the rest of the row
    assert len(page.rows) == 1 and len(page.rows[0].digits) == 1
    narrow = dataclasses.replace(big, width=200)  # no digit that tall fits at all
    with pytest.raises(ValueError, match="fits on a 200x480 sheet"):
        render_page(narrow, source, page_rng(21, 6))


def test_held_up_cards_are_webcam_frames_of_one_to_three_big_digits(
    tmp_path: Path, source: DigitSource
) -> None:
    heights = []
    for index in range(6):
        rng = page_rng(2, index)
        page = render_page(PageOptions.held_up(rng), source, rng)
        _check_truth(page)
        assert page.image.shape[:2] == (480, 640) and 1 <= len(page.digits) <= 3
        heights += [b[3] for row in page.rows for b in row.boxes]
    assert min(heights) >= 150 and max(heights) <= 432
    manifest = json.loads(write_set(tmp_path, source, 2, seed=2, held_up=True).read_text())
    assert manifest["generator"]["held_up"] is True and len(manifest["items"]) == 2


def test_options_reject_nonsense() -> None:
    with pytest.raises(ValueError):
        PageOptions(rows=0)
    with pytest.raises(ValueError):
        PageOptions(min_height=80, max_height=40)
    with pytest.raises(ValueError):
        PageOptions(ink="black")  # type: ignore[arg-type]


def test_random_pages_are_valid_and_varied(source: DigitSource) -> None:
    seen = set()
    for index in range(40):
        rng = page_rng(9, index)
        options = PageOptions.random(rng)
        options = dataclasses.replace(
            options, width=min(options.width, 1024), height=min(options.height, 768)
        )
        options = dataclasses.replace(
            options,
            max_height=min(options.max_height, int(0.6 * options.height)),
            min_height=min(options.min_height, int(0.6 * options.height)),
        )
        page = render_page(options, source, rng)
        _check_truth(page)
        seen |= {options.ink, options.paper, options.layout, options.sheet}
    assert len(seen) == len(Ink) + len(Paper) + len(Layout) + len(Sheet)


def test_a_sheet_turned_35_degrees_gives_row_digits(source: DigitSource) -> None:
    options = PageOptions(
        sheet=Sheet.DESK, angle_deg=35.0, rows=4, layout=Layout.CLOSE_ROWS, height=720, width=960
    )
    page = render_page(options, source, page_rng(0, 0))
    assert not page.rows_apart
    item = page.manifest_item("pages/x_raw.jpg", 0, 0)
    assert "rows" not in item and item["row_digits"] == [r.digits for r in page.rows]


def _manifest_item_schema(item: dict) -> None:
    assert item["kind"] == "multi_digit_photo"
    assert isinstance(item["path"], str) and isinstance(item["conditions"], str)
    assert item["digits"].isdigit() and len(item["boxes"]) == len(item["digits"])
    if "rows" in item:
        assert "".join(r["digits"] for r in item["rows"]) == item["digits"]
        for r in item["rows"]:
            y0, y1 = r["y_range"]
            assert isinstance(y0, int) and isinstance(y1, int) and y0 < y1
    else:
        assert "raw" in item["path"], "the shared scorer scores rowless photos as bags by name"
        assert "".join(item["row_digits"]) == item["digits"]


def test_write_set_writes_a_real_dev_manifest(tmp_path: Path, source: DigitSource) -> None:
    manifest = json.loads(write_set(tmp_path, source, count=6, seed=3).read_text())
    assert len(manifest["items"]) == 6
    real = REPO.parent / "shared" / "data" / "real-dev" / "manifest.json"
    if real.is_file():  # our keys are the real ones, plus boxes, numbers and options
        real_keys = set().union(
            *(
                it
                for it in json.loads(real.read_text())["items"]
                if it["kind"] == "multi_digit_photo"
            )
        )
        for item in manifest["items"]:
            assert {"path", "kind", "digits", "conditions"} <= real_keys & set(item)
    for item in manifest["items"]:
        _manifest_item_schema(item)
        image = cv2.imread(str(tmp_path / item["path"]), cv2.IMREAD_COLOR)
        assert image is not None
        h, w = image.shape[:2]
        assert all(x + bw <= w and y + bh <= h for x, y, bw, bh in item["boxes"])
    again = tmp_path / "again"
    write_set(again, source, count=2, seed=3)
    first = manifest["items"][1]["path"]
    assert (again / first).read_bytes() == (tmp_path / first).read_bytes()


def test_a_set_of_one_ink_and_paper_keeps_the_other_options_of_its_seed(
    tmp_path: Path, source: DigitSource
) -> None:
    plain = json.loads(write_set(tmp_path / "plain", source, count=4, seed=3).read_text())
    forced = json.loads(
        write_set(
            tmp_path / "forced",
            source,
            count=4,
            seed=3,
            inks=[Ink.PENCIL],
            papers=[Paper.LINED, Paper.GRID],
        ).read_text()
    )
    assert forced["generator"]["inks"] == ["pencil"]
    assert forced["generator"]["papers"] == ["lined", "grid"]
    assert "inks" not in plain["generator"]
    for a, b in zip(plain["items"], forced["items"], strict=True):
        assert b["options"]["ink"] == "pencil" and b["options"]["paper"] in ("lined", "grid")
        rest = {k: v for k, v in a["options"].items() if k not in ("ink", "paper")}
        assert rest == {k: v for k, v in b["options"].items() if k not in ("ink", "paper")}


def test_a_word_then_a_broad_digit_too_wide_for_a_portrait_sheet_still_make_a_page() -> None:
    """Page 23 of ``make_pages.py --seed 32``: one row of digits 220-366 px tall with
    letters, on a 480x640 sheet. Every layout began with a word that left no room for a
    digit after it, and the script died with a traceback. Now its digits are drawn alone,
    as tall as asked, and the options say no letters."""
    images = _idx("train-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28)
    full = DigitSource(images, _idx("train-labels-idx1-ubyte.gz", 8))  # page for page
    rng = page_rng(32, 23)
    options = PageOptions.random(rng)
    assert (options.width, options.height, options.min_height, options.letters) == (
        480,
        640,
        220,
        True,
    )
    page = render_page(options, full, rng)
    assert page.options.letters is False and "letters" not in page.conditions
    heights = [box[3] for row in page.rows for box in row.boxes]
    assert heights and min(heights) >= 0.9 * options.min_height  # as tall as asked


def test_make_pages_offers_every_ink_and_paper() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_pages", REPO / "scripts" / "make_pages.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    for ink in Ink:
        assert script.arguments().parse_args(["out", "--ink", ink.value]).ink == [ink.value]
    for paper in Paper:
        assert script.arguments().parse_args(["out", "--paper", paper.value]).paper == [paper.value]


def _rows_read(page, readings) -> tuple[int, int]:
    """Digits read right in the page's rows, by position after sorting by x."""
    right = total = 0
    for row, (y0, y1) in zip(page.rows, page.y_ranges(), strict=True):
        inrow = sorted(
            (r for r in readings if y0 <= r.box[1] + r.box[3] / 2 <= y1 and not r.rejected),
            key=lambda r: r.box[0],
        )
        got = "".join(str(r.digit) for r in inrow)
        if len(got) == len(row.digits):
            right += sum(a == b for a, b in zip(got, row.digits, strict=True))
        total += len(row.digits)
    return right, total


def test_the_bundled_model_reads_a_clean_page(source: DigitSource) -> None:
    """Clean pages are easy: if these fail, either the pages or the reader broke."""
    from edge_runtime import DigitClassifier

    right = total = 0
    with DigitClassifier(MODEL) as clf:
        for index in range(4):
            page = render_page(PageOptions(), source, page_rng(0, index))
            got, n = _rows_read(page, clf.read_digits(_decoded(page)))
            right, total = right + got, total + n
    assert total > 20
    assert right >= 0.85 * total, f"read {right} of {total} digits on clean pages"


def test_the_bundled_model_reads_long_tailed_7s_and_9s(source: DigitSource) -> None:
    """A tail far below the line makes a digit thinner, once fitted, than any in MNIST:
    the reader also reads it squashed to its line (without that, 15 of these 18)."""
    from edge_runtime import DigitClassifier

    options = dataclasses.replace(PageOptions(), long_tails=True, rows=4, height=960)
    right = total = 0
    with DigitClassifier(MODEL) as clf:
        for index in range(6):
            page = render_page(options, source, page_rng(9, index))
            readings = clf.read_digits(_decoded(page))
            for (x, y, w, h), line_height, _, digit in _tails(page):
                if h <= 1.3 * line_height:
                    continue
                total += 1
                right += any(
                    not r.rejected
                    and r.digit == digit
                    and x <= r.box[0] + r.box[2] / 2 <= x + w
                    and y <= r.box[1] + r.box[3] / 2 <= y + h
                    for r in readings
                )
    assert total >= 12
    assert right >= 0.9 * total, f"read {right} of {total} long-tailed 7s and 9s"


@pytest.mark.skipif(not SCORER.is_file(), reason="../shared/tools/score_real_photos.py is absent")
def test_the_shared_scorer_scores_a_generated_set(tmp_path: Path, source: DigitSource) -> None:
    write_set(tmp_path, source, count=5, seed=0)
    done = subprocess.run(
        [
            sys.executable,
            str(SCORER),
            str(tmp_path),
            str(MODEL),
            "--json",
            str(tmp_path / "s.json"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    score = json.loads((tmp_path / "s.json").read_text())
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    truth = sum(len(it["digits"]) for it in manifest["items"])
    assert score["multi"]["truth"] + score["bag"]["truth"] == truth


def test_a_huge_digit_on_a_narrow_sheet_is_laid_out_again_smaller(source: DigitSource) -> None:
    """make_pages.py --seed 7 crashed at its page 13: a 480 px sheet with an edge and
    binding holes, one row of mixed sizes up to 366 px, whose first digit was wider than
    the sheet. Such a page is laid out again with digits that fit across it."""
    rng = page_rng(7, 13)
    options = PageOptions.random(rng)
    assert (options.width, options.max_height, options.mixed_sizes) == (480, 366, True)
    page = render_page(options, source, rng)
    assert page.digits
    width = page.image.shape[1]
    assert all(x >= 0 and x + w <= width for row in page.rows for x, _, w, _ in row.boxes)
