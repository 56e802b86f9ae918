"""Scoring readings against the truth: correct, wrong, rejected, missed, false digits."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from camera_demo.truth import Scorer, TruthDigit, load_truth
from edge_runtime.errors import DatasetError


@dataclass(frozen=True)
class R:
    digit: int | None
    box: tuple[int, int, int, int]
    rejected: bool = False
    confidence: float = 0.9


TRUTH = {
    0: (
        TruthDigit(1, (10, 10, 20, 40)),
        TruthDigit(2, (60, 10, 30, 40)),
        TruthDigit(3, (110, 10, 30, 40)),
        TruthDigit(4, (160, 10, 30, 40)),
    ),
    1: (),
    2: (TruthDigit(7, (10, 10, 30, 40)),),
}


def test_each_true_digit_is_correct_wrong_rejected_or_missed_and_extras_are_false():
    scorer = Scorer(TRUTH)
    scorer.add(
        0,
        [
            R(1, (11, 12, 19, 38)),
            R(5, (62, 10, 28, 40)),
            R(None, (110, 10, 30, 40), rejected=True),
            R(8, (400, 10, 30, 40)),
        ],
    )
    scorer.add(1, [R(4, (5, 5, 20, 30)), R(None, (50, 5, 20, 30), rejected=True)])
    scorer.add(2, [R(7, (12, 10, 28, 40))])
    scorer.add(3, [R(1, (0, 0, 9, 9))])  # not in the truth: ignored
    score = scorer.result()
    assert (score.frames, score.digits) == (3, 5)
    assert (score.correct, score.wrong, score.rejected, score.missed) == (2, 1, 1, 1)
    assert (score.false_digits, score.empty_frames, score.false_on_empty) == (2, 1, 1)
    assert score.exact_frames == 1 and score.accuracy == pytest.approx(2 / 5)
    assert score.as_dict()["frame_accuracy"] == pytest.approx(1 / 3, abs=1e-6)


def test_a_reading_whose_centre_lies_in_the_true_box_matches_it():
    scorer = Scorer({0: (TruthDigit(3, (100, 100, 40, 80)),)})
    scorer.add(0, [R(3, (110, 120, 10, 10))])  # small IoU, centre inside
    assert scorer.result().correct == 1


def test_load_truth(tmp_path):
    path = tmp_path / "t.json"
    path.write_text(
        json.dumps(
            {
                "schema_version": 1,
                "frames": [
                    {"frame": 0, "digits": [{"digit": 3, "box": [1, 2, 3, 4]}]},
                    {"frame": 1, "digits": []},
                ],
            }
        )
    )
    assert load_truth(path) == {0: (TruthDigit(3, (1, 2, 3, 4)),), 1: ()}
    for text in (
        "not json",
        json.dumps({"schema_version": 9, "frames": []}),
        json.dumps({"schema_version": 1, "frames": [{"frame": 0}]}),
    ):
        path.write_text(text)
        with pytest.raises(DatasetError, match=str(path)):
            load_truth(path)
    with pytest.raises(DatasetError):
        load_truth(tmp_path / "missing.json")
