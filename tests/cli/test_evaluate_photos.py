"""`edgecnn evaluate --photos`: the alignment, the manifest, the scoring and the command.

The figures must be those of ``../shared/tools/score_real_photos.py``; where that tool is
at hand, the tests run it and compare. The photos in ``tests/data/real`` are copies of
the development set's (see the README there).
"""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import ClassVar

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from edge_runtime.errors import DatasetError
from edge_runtime.results import DigitLine, DigitReading, Prediction
from edgecnn.cli import app
from edgecnn.manifest import Item, Scoring, load_manifest
from edgecnn.photos import align, score_photo

REPO = Path(__file__).resolve().parents[2]
REAL = REPO / "tests" / "data" / "real"
MODEL = REPO / "data" / "models" / "seed_int8.tflite"
TOOL = REPO.parent / "shared" / "tools" / "score_real_photos.py"
DEV_SET = REPO.parent / "shared" / "data" / "real-dev"

runner = CliRunner()


def reading(digit, x, y, rejected=False, w=20, h=30):
    """A reading whose box centre is (x, y)."""
    return DigitReading(digit, 0.5 if rejected else 0.95, (x - w // 2, y - h // 2, w, h), rejected)


# --- align -----------------------------------------------------------------------------


def test_align_counts_every_digit_right_when_all_are_read():
    a = align([(d, False) for d in (1, 2, 3)], [1, 2, 3])
    assert (a.right, a.false, a.rejected) == (3, 0, 0)


def test_align_an_extra_reading_is_false_and_does_not_shift_the_rest():
    a = align([(1, False), (7, False), (2, False), (3, False)], [1, 2, 3])
    assert (a.right, a.false, a.rejected) == (3, 1, 0)


def test_align_a_missed_digit_counts_nowhere():
    a = align([(1, False), (3, False)], [1, 2, 3])
    assert (a.right, a.false, a.rejected) == (2, 0, 0)


def test_align_a_wrong_digit_is_false():
    a = align([(1, False), (8, False), (3, False)], [1, 2, 3])
    assert (a.right, a.false, a.rejected) == (2, 1, 0)


def test_align_a_rejected_reading_is_never_right_even_when_its_digit_is():
    a = align([(1, False), (2, True), (3, False), (None, False)], [1, 2, 3])
    assert (a.right, a.false, a.rejected) == (2, 0, 2)


def test_align_nothing_read():
    a = align([], [4, 5])
    assert (a.right, a.false, a.rejected) == (0, 0, 0)
    b = align([(4, False)], [])
    assert (b.right, b.false, b.rejected) == (0, 1, 0)


def _tool_align():
    """The reference tool's own ``align``, lifted out of its source (the script runs on
    import, so it cannot simply be imported)."""
    tree = ast.parse(TOOL.read_text())
    node = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "align")
    namespace = {"np": np}
    exec(compile(ast.Module([node], []), str(TOOL), "exec"), namespace)
    return namespace["align"]


preds = st.lists(st.tuples(st.one_of(st.none(), st.integers(0, 3)), st.booleans()), max_size=8)
truths = st.lists(st.integers(0, 3), max_size=8)


@pytest.mark.skipif(not TOOL.is_file(), reason="the reference tool is not beside this checkout")
@settings(max_examples=300, deadline=None)
@given(preds, truths)
def test_align_agrees_with_the_reference_tool_on_any_input(pred, truth):
    a = align(pred, truth)
    assert (a.right, a.false, a.rejected) == _tool_align()(pred, truth)


# --- the manifest and scoring one photo -------------------------------------------------


def test_the_scoring_follows_the_truth_not_the_file_name():
    items = {i.path: i for i in load_manifest(REAL)}
    assert items["alankrantas_test.jpg"].scoring is Scoring.ROWS
    assert items["hypjudy_raw_0.jpg"].scoring is Scoring.BAG  # row_digits, no y ranges
    renamed = Item("raw_but_one_line.png", REAL / "x", "multi_digit_photo", digits="12")
    assert renamed.scoring is Scoring.LINE


def test_a_group_gives_its_items_their_kind(tmp_path):
    shutil.copy(REAL / "Digit_3_Sample01.png", tmp_path / "d.png")
    manifest = {
        "groups": {"g": {"kind": "drawn_digit", "license": "BSD-3-Clause"}},
        "items": [{"path": "d.png", "group": "g", "label": 3}],
    }
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    (item,) = load_manifest(tmp_path)
    assert (item.kind, item.label) == ("drawn_digit", 3)


ROWS_ITEM = Item(
    "p.png",
    Path("p.png"),
    "multi_digit_photo",
    digits="0123456789",
    rows=(("01234", (100.0, 215.0)), ("56789", (250.0, 370.0))),
)


def test_score_photo_puts_each_reading_in_the_row_holding_its_centre():
    readings = [reading(d, 50 + 40 * k, 150) for k, d in enumerate((0, 1, 9, 3, 4))]
    readings += [reading(d, 50 + 40 * k, 300, rejected=d == 7) for k, d in enumerate(range(5, 10))]
    readings += [reading(8, 600, 20), reading(2, 600, 230, rejected=True)]  # in no row
    score = score_photo(ROWS_ITEM, readings[::-1])  # order of read_digits does not matter
    assert (score.right, score.false, score.rejected) == (8, 2, 1)
    assert (score.rows_exact, score.rows_total) == (0, 2)
    assert score.read == "01934 56?89 | ?8"
    assert score.truth == "01234 56789"


def test_score_photo_a_row_is_exact_only_with_nothing_extra():
    row_one = [reading(d, 50 + 40 * k, 150) for k, d in enumerate(range(5))]
    assert score_photo(ROWS_ITEM, row_one).rows_exact == 1
    extra = [*row_one, reading(3, 400, 160, rejected=True)]
    assert score_photo(ROWS_ITEM, extra).rows_exact == 0


def test_score_photo_a_bag_counts_digits_with_their_multiplicity():
    item = Item("b.jpg", Path("b.jpg"), "multi_digit_photo", digits="1124", row_digits=("11", "24"))
    readings = [reading(1, 10, 10), reading(1, 30, 90), reading(1, 50, 50), reading(4, 9, 9)]
    readings.append(reading(2, 70, 70, rejected=True))
    score = score_photo(item, readings)
    assert (score.right, score.false, score.rejected, score.rows_total) == (3, 1, 0, 0)
    assert score.read == "4111?"  # no lines given: one line, left to right


def test_score_photo_a_bag_shows_the_lines_it_was_read_in_without_scoring_them():
    item = Item("b.jpg", Path("b.jpg"), "multi_digit_photo", digits="1124", row_digits=("11", "24"))
    readings = [reading(1, 10, 10), reading(1, 50, 12), reading(2, 5, 60), reading(4, 45, 58)]
    lined = score_photo(item, readings, line_of=[0, 0, 1, 1])
    assert lined.read == "11 24"
    assert (lined.right, lined.false) == (score_photo(item, readings).right, 0)


# --- the command, with a stand-in classifier whose readings are known -------------------


class FakeClassifier:
    """Readings fixed per photo size; every single digit is read as a 3."""

    READINGS: ClassVar[dict[tuple[int, int], list[DigitReading]]] = {
        (480, 640): [reading(d, 50 + 40 * k, 150) for k, d in enumerate((0, 1, 9, 3, 4))]
        + [reading(d, 50 + 40 * k, 300, rejected=d == 7) for k, d in enumerate(range(5, 10))]
        + [reading(8, 600, 20)],
        (410, 594): [reading(int(d), 60 + 50 * k, 100) for k, d in enumerate("1247673")],
        (692, 922): [reading(4, 100 + 30 * k, 300) for k in range(4)]
        + [reading(9, 300, 300), reading(None, 400, 300, rejected=True)],
    }

    def __init__(self, path, **_):
        self.path = path

    def __enter__(self):
        return self

    def __exit__(self, *_):
        pass

    def read_digits(self, image, min_confidence=0.7):
        return self.READINGS[image.shape[:2]]

    def read_lines(self, image, min_confidence=0.7):
        rows: dict[int, list[DigitReading]] = {}
        for r in self.read_digits(image):
            rows.setdefault(r.box[1], []).append(r)
        return [DigitLine(tuple(rows[y]), (tuple(rows[y]),)) for y in sorted(rows)]

    def predict(self, image):
        return Prediction(3, 0.9, np.zeros(10, np.float32))


@pytest.fixture
def fake(monkeypatch):
    import edge_runtime

    monkeypatch.setattr(edge_runtime, "DigitClassifier", FakeClassifier)


def test_command_prints_the_figures_of_what_was_read(fake):
    result = runner.invoke(app, ["evaluate", "--photos", str(REAL), "--model", str(MODEL)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    # alankrantas: 8 right, 1 wrong + 1 outside the rows, 1 rejected; sheet 0: row one exact
    assert (
        "multi-digit photos: 15/24 digits right (62.5%), 2 false, 1 rejected; rows exact 1/4"
        in lines
    )
    assert "angled sheets (bag of digits): 3/14 (21.4%), 2 extra"  # two 4s in its truth in lines
    assert "drawn_digit: 1/1 (100.0%)" in lines
    assert "mnist_style_crop: 0/1 (0.0%)" in lines
    assert "semeion: 0/20 (0.0%)" in lines  # the first 20 Semeion digits are all 0
    assert "single_digit_photo: 1/1 (100.0%)" in lines
    assert "  read  01934 56?89 | 8" in lines
    assert any(line.startswith("read time per photo: median") for line in lines)


def test_json_output_has_the_documented_schema(fake):
    result = runner.invoke(
        app, ["evaluate", "--photos", str(REAL), "--model", str(MODEL), "--json"]
    )
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert set(record) == {"model", "photos_dir", "photos", "multi", "bag", "groups", "read_ms"}
    assert record["multi"] == {
        "right": 15,
        "truth": 24,
        "false": 2,
        "rejected": 1,
        "rows_exact": 1,
        "rows_total": 4,
    }
    assert record["bag"] == {"right": 3, "truth": 14, "extra": 2}
    assert record["groups"]["semeion"] == {"right": 0, "total": 20}
    photo = record["photos"][0]
    assert photo["path"] == "alankrantas_test.jpg"
    assert (photo["width"], photo["height"], photo["scoring"]) == (640, 480, "rows")
    assert set(photo["readings"][0]) == {"digit", "confidence", "box", "rejected", "row"}
    above = [r["row"] for r in photo["readings"] if r["box"][1] < 100]  # the 8 above both rows
    assert above == [None]
    assert record["read_ms"]["max"] >= record["read_ms"]["median"] >= 0


def test_draw_writes_each_photo_with_green_and_red_boxes(fake, tmp_path):
    out = tmp_path / "drawn"
    result = runner.invoke(
        app, ["evaluate", "--photos", str(REAL), "--model", str(MODEL), "--draw", str(out)]
    )
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in out.iterdir())
    assert files == ["alankrantas_test.jpg.png", "hypjudy_raw_0.jpg.png", "hypjudy_sheet_0.png"]
    drawn = cv2.imread(str(out / "alankrantas_test.jpg.png"))
    band = drawn.shape[0] - 480
    assert drawn.shape[1] == 640 and band > 0  # the truth and the reading are above it
    x, y, _, h = FakeClassifier.READINGS[(480, 640)][0].box  # a read 0: green edge
    assert tuple(drawn[band + y + h // 2, x]) == (0, 170, 0)
    x, y, _, h = FakeClassifier.READINGS[(480, 640)][7].box  # the rejected 7: red edge
    assert tuple(drawn[band + y + h // 2, x]) == (0, 0, 230)
    assert not [p for p in out.rglob(".*")], "a temporary file was left behind"


# --- the command on the real model --------------------------------------------------------


def test_the_bundled_model_reads_the_marker_photo_exactly():
    """A golden floor: today's reading of these two rows is perfect; losing it is a bug."""
    result = runner.invoke(app, ["evaluate", "--photos", str(REAL), "--json"])
    assert result.exit_code == 0, result.output
    photos = {p["path"]: p for p in json.loads(result.stdout)["photos"]}
    marker = photos["alankrantas_test.jpg"]
    assert (marker["right"], marker["false"], marker["rows_exact"]) == (10, 0, 2)
    assert marker["read"] == "01234 56789"


def _tool_figures(folder: Path, tmp_path: Path) -> dict:
    out = tmp_path / "tool.json"
    subprocess.run(
        [sys.executable, str(TOOL), str(folder), str(MODEL), "--json", str(out)],
        check=True,
        capture_output=True,
        cwd=REPO,
        timeout=300,
    )
    return json.loads(out.read_text())


@pytest.mark.skipif(not TOOL.is_file(), reason="the reference tool is not beside this checkout")
@pytest.mark.parametrize("folder", [REAL, DEV_SET], ids=["test-copies", "real-dev"])
def test_figures_agree_with_the_reference_tool(folder, tmp_path):
    if not (folder / "manifest.json").is_file():
        pytest.skip(f"{folder} is not here")
    tool = _tool_figures(folder, tmp_path)
    result = runner.invoke(app, ["evaluate", "--photos", str(folder), "--model", str(MODEL)])
    assert result.exit_code == 0, result.output
    ours = result.stdout.splitlines()
    for line in tool["lines"]:
        assert line in ours
    as_json = runner.invoke(
        app, ["evaluate", "--photos", str(folder), "--model", str(MODEL), "--json"]
    )
    record = json.loads(as_json.stdout)
    assert record["multi"]["rows_exact"] == tool["rows_exact"]
    for theirs, mine in zip(tool["photos"], record["photos"], strict=True):
        assert mine["path"] == theirs["path"]
        right = theirs.get("right", theirs.get("bag_right"))
        assert mine["right"] == right, mine["path"]
        if "false" in theirs:
            assert mine["false"] == theirs["false"], mine["path"]


def test_runs_with_tensorflow_made_unimportable():
    code = textwrap.dedent(
        f"""
        import sys
        sys.modules["tensorflow"] = None
        sys.modules["keras"] = None
        from edgecnn.cli import app
        app(["evaluate", "--photos", {str(REAL)!r}, "--json"], standalone_mode=False)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=300
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["multi"]["truth"] == 24


# --- errors ----------------------------------------------------------------------------


def _set(tmp_path: Path, manifest) -> Path:
    shutil.copy(REAL / "alankrantas_test.jpg", tmp_path / "a.jpg")
    text = manifest if isinstance(manifest, str) else json.dumps(manifest)
    (tmp_path / "manifest.json").write_text(text)
    return tmp_path


def _photo(**fields):
    return {"path": "a.jpg", "kind": "multi_digit_photo", "digits": "0123456789", **fields}


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        ("{not json", "unreadable JSON"),
        ({"things": []}, "items list"),
        ({"items": [_photo(path="gone.jpg")]}, "file not found"),
        ({"items": [_photo(path="../a.jpg")]}, "relative"),
        ({"items": [_photo(digits="01x")]}, "string of digits"),
        ({"items": [_photo(rows=[{"digits": "01234", "y_range": [1, 2]}])]}, "add up"),
        ({"items": [_photo(rows=[{"digits": "0123456789", "y_range": [9, 2]}])]}, "y_range"),
        ({"items": [{"path": "a.jpg", "kind": "drawn_digit", "label": 12}]}, "one digit"),
        ({"items": [{"path": "a.jpg", "group": "nope"}]}, "unknown group"),
    ],
    ids=["json", "items", "missing", "escape", "digits", "rows", "range", "label", "group"],
)
def test_a_bad_manifest_is_one_line_and_exit_3(tmp_path, manifest, message):
    folder = _set(tmp_path, manifest)
    result = runner.invoke(app, ["evaluate", "--photos", str(folder)])
    assert result.exit_code == 3, result.output
    assert message in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output
    with pytest.raises(DatasetError):
        load_manifest(folder)


def test_a_missing_folder_or_manifest_is_exit_3(tmp_path):
    for folder, message in ((tmp_path / "nope", "no such folder"), (tmp_path, "no manifest.json")):
        result = runner.invoke(app, ["evaluate", "--photos", str(folder)])
        assert result.exit_code == 3, result.output
        assert message in result.stderr


def test_an_undecodable_photo_is_exit_3(tmp_path):
    folder = _set(tmp_path, {"items": [_photo()]})
    (folder / "a.jpg").write_bytes(b"not a jpeg")
    result = runner.invoke(app, ["evaluate", "--photos", str(folder)])
    assert result.exit_code == 3, result.output
    assert "not an image" in result.stderr


def test_a_damaged_dataset_is_exit_3(tmp_path):
    import gzip

    folder = _set(tmp_path, {"items": [{"path": "d.gz", "kind": "dataset"}]})
    (folder / "d.gz").write_bytes(gzip.compress(b"1 0 1\n"))
    result = runner.invoke(app, ["evaluate", "--photos", str(folder)])
    assert result.exit_code == 3, result.output
    assert "266 (Semeion) or 257 (USPS)" in result.stderr


def test_a_keras_model_is_refused_for_photos(tmp_path):
    result = runner.invoke(
        app, ["evaluate", "--photos", str(REAL), "--model", str(REPO / "data/models/seed.keras")]
    )
    assert result.exit_code == 4, result.output
    assert ".tflite" in result.stderr and result.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--draw", "out"], "--draw needs --photos"),
        ([], "--model is required"),
        (["--photos", str(REAL), "--data", "x"], "--data"),
    ],
)
def test_options_that_do_not_go_together_are_usage_errors(args, message):
    result = runner.invoke(app, ["evaluate", *args])
    assert result.exit_code == 2, result.output
    assert message in result.stderr


def test_a_missing_model_is_exit_4(tmp_path):
    result = runner.invoke(
        app, ["evaluate", "--photos", str(REAL), "--model", str(tmp_path / "m.tflite")]
    )
    assert result.exit_code == 4, result.output
