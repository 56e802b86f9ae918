"""summarize(): accuracy, error, per-class accuracy and confusion from labels alone."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from edgecnn.train.evaluate import summarize


def test_hand_worked_example():
    true = np.array([0, 0, 1, 1, 1, 2])
    predicted = np.array([0, 1, 1, 1, 2, 2])
    report = summarize(predicted, true)
    assert report.count == 6
    assert report.accuracy == pytest.approx(4 / 6)
    assert report.error == pytest.approx(2 / 6)
    assert report.per_class[:3] == pytest.approx((1 / 2, 2 / 3, 1.0))
    assert all(math.isnan(v) for v in report.per_class[3:])  # digits 3-9 never appear
    assert report.confusion[0, 1] == 1 and report.confusion[1, 2] == 1
    assert report.confusion[1, 1] == 2
    as_dict = report.to_dict()
    assert as_dict["per_class_accuracy"][3] is None
    assert as_dict["confusion"][1][1] == 2


def test_perfect_predictions():
    labels = np.arange(10).repeat(3)
    report = summarize(labels, labels)
    assert report.accuracy == 1.0 and report.error == 0.0
    assert report.per_class == (1.0,) * 10
    np.testing.assert_array_equal(report.confusion, np.diag([3] * 10))


@pytest.mark.parametrize(
    ("predicted", "true", "match"),
    [
        (np.array([1, 2]), np.array([1]), "same length"),
        (np.array([], int), np.array([], int), "no labels"),
        (np.array([1.0, 2.0]), np.array([1, 2]), "integers"),
        (np.array([1, 10]), np.array([1, 2]), "0-9"),
        (np.array([1, 2]), np.array([-1, 2]), "0-9"),
        (np.zeros((2, 2), int), np.zeros((2, 2), int), "1-D"),
    ],
)
def test_bad_input(predicted, true, match):
    with pytest.raises(ValueError, match=match):
        summarize(predicted, true)


labels = arrays(np.int64, st.integers(1, 200), elements=st.integers(0, 9))


@given(st.data())
def test_figures_agree_with_each_other(data):
    true = data.draw(labels)
    predicted = data.draw(arrays(np.int64, true.shape, elements=st.integers(0, 9)))
    report = summarize(predicted, true)
    assert report.confusion.sum() == report.count == len(true)
    assert report.accuracy == pytest.approx(np.mean(predicted == true))
    assert report.accuracy + report.error == pytest.approx(1.0)
    np.testing.assert_array_equal(report.confusion.sum(axis=1), np.bincount(true, minlength=10))
    np.testing.assert_array_equal(
        report.confusion.sum(axis=0), np.bincount(predicted, minlength=10)
    )
    for digit, value in enumerate(report.per_class):
        mask = true == digit
        if mask.any():
            assert value == pytest.approx(np.mean(predicted[mask] == digit))
        else:
            assert math.isnan(value)
