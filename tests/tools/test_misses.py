"""tools.misses: every truth digit of a generated page lands in exactly one kind of miss."""

from __future__ import annotations

import json

from tools.misses import main, size_of, tally

ITEMS = [
    {
        "path": "pages/a.jpg",
        "digits": "123456",
        "boxes": [
            [0, 0, 10, 30],  # read right
            [20, 0, 10, 30],  # read as a 7
            [40, 0, 10, 30],  # found, not read surely
            [60, 0, 10, 30],  # one reading over this digit and the next
            [72, 0, 10, 30],
            [100, 0, 10, 12],  # nothing there
        ],
        "options": {"ink": "pencil", "touching": True},
    },
    {"path": "real.jpg", "digits": "9", "rows": []},  # no boxes: a real photo, left out
]


def reading(digit, box, rejected=False):
    return {"digit": digit, "confidence": 0.9, "box": box, "rejected": rejected, "row": 0}


PHOTOS = [
    {
        "path": "pages/a.jpg",
        "readings": [
            reading(1, [1, 1, 9, 28]),
            reading(7, [20, 0, 10, 30]),
            reading(None, [40, 0, 10, 30], rejected=True),
            reading(4, [58, 0, 26, 31]),
            reading(8, [200, 0, 10, 30]),  # on no digit: a false one
        ],
    },
    {"path": "real.jpg", "readings": [reading(9, [0, 0, 5, 5])]},
]


def test_each_truth_digit_is_one_kind_and_stray_readings_are_extra():
    out = tally(ITEMS, PHOTOS)
    total = out["total"]
    assert total == {"right": 2, "wrong": 1, "rejected": 1, "merged": 1, "missed": 1, "extra": 1}
    assert out["ink=pencil"] == total and out["touching=True"] == total
    assert out["size=tiny"] == {"missed": 1}
    assert sum(out["size=small"].values()) == 5


def test_the_merged_digit_is_the_one_whose_reading_went_to_its_neighbour():
    # the wide reading stands for the 4, so the 5 beside it is merged, not also a 4
    out = tally(ITEMS[:1], PHOTOS[:1])
    assert out["total"]["right"] == 2 and out["total"]["merged"] == 1
    assert out["total"]["wrong"] == 1
    moved = [dict(PHOTOS[0], readings=PHOTOS[0]["readings"][:3])]
    assert tally(ITEMS[:1], moved)["total"]["missed"] == 3


def test_sizes():
    assert [size_of(h) for h in (15, 20, 34, 35, 99, 100)] == [
        "tiny", "small", "small", "mid", "mid", "big",
    ]  # fmt: skip


def test_main_prints_one_column_per_result_and_fails_cleanly(tmp_path, capsys):
    (tmp_path / "manifest.json").write_text(json.dumps({"items": ITEMS}))
    result = tmp_path / "r.json"
    result.write_text(json.dumps({"photos": PHOTOS}))
    assert main([str(tmp_path), str(result), str(result)]) == 0
    lines = capsys.readouterr().out.splitlines()
    total = next(line for line in lines if line.startswith("total"))
    assert total.split()[1:] == ["6", "2/2", "1/1", "1/1", "1/1", "1/1", "1/1"]
    assert main([str(tmp_path), str(tmp_path / "none.json")]) == 2
    assert capsys.readouterr().err.startswith("error: cannot read")
