"""--stable K/N: a reading counts once read in K of the last N frames; one-frame misreads
and unsure digits never become readings."""

from __future__ import annotations

import pytest

from camera_demo.stable import StableFilter, StableRule, frame_key, parse_stable
from edge_runtime import DigitLine, DigitReading


def line(text: str, confidence: float = 0.99) -> DigitLine:
    """A line of readings spelling ``text`` (numbers apart by spaces, ? = rejected)."""
    numbers, x = [], 0
    for word in text.split():
        number = []
        for ch in word:
            digit = None if ch == "?" else int(ch)
            number.append(DigitReading(digit, confidence, (x, 0, 10, 20), digit is None))
            x += 12
        numbers.append(tuple(number))
        x += 30
    return DigitLine(tuple(r for n in numbers for r in n), tuple(numbers))


def feed(rule: StableRule, frames: list[list[DigitLine]]) -> list[tuple[bool, bool]]:
    stable = StableFilter(rule)
    return [stable.add(lines, i, 1e9 + i) for i, lines in enumerate(frames)]


def test_parse_stable():
    assert parse_stable("3/5") == StableRule(3, 5) and str(parse_stable(" 1 / 1 ")) == "1/1"
    for bad in ("3", "3/", "a/b", "0/5", "6/5", "3/5/7", "-1/5"):
        with pytest.raises(ValueError, match="--stable"):
            parse_stable(bad)


def test_a_key_needs_every_digit_read():
    assert frame_key([line("17 3"), line("42")]) == ("17 3", "42")
    assert frame_key([line("1? 3")]) is None
    assert frame_key([]) is None


def test_stable_after_k_of_n_and_published_once():
    a, b = [line("17")], [line("18")]
    results = feed(StableRule(3, 5), [a, a, b, a, a, a, b, b, b])
    assert [s for s, _ in results] == [False, False, False, True, True, True, False, False, True]
    assert [n for _, n in results] == [False, False, False, True, False, False, False, False, True]


def test_one_frame_misreads_and_unsure_frames_never_publish():
    a, wrong, unsure = [line("42")], [line("47")], [line("4?")]
    frames = [a, a, a, wrong, a, a, unsure, a, wrong, a]
    stable = StableFilter(StableRule(3, 5))
    published = []
    for i, lines in enumerate(frames):
        _, new = stable.add(lines, i, 1e9 + i)
        if new:
            published.append(stable.latest["text"])
    assert published == ["42"]
    assert stable.count == 1


def test_the_payload_holds_lines_numbers_digits_confidence_time_frame():
    stable = StableFilter(StableRule(2, 3))
    lines = [line("17 3", 0.9), line("42", 0.8)]
    stable.add(lines, 7, 1732456800.0)
    assert stable.add(lines, 8, 1732456800.5) == (True, True)
    assert stable.latest == {
        "text": "17 3 / 42",
        "lines": [{"text": "17 3", "numbers": ["17", "3"]}, {"text": "42", "numbers": ["42"]}],
        "numbers": ["17", "3", "42"],
        "digits": [1, 7, 3, 4, 2],
        "confidence": 0.8,
        "timestamp": 1732456800.5,
        "time": "2024-11-24T14:00:00Z",
        "frame": 8,
        "stable": "2/3",
    }


def test_a_page_shown_again_after_another_is_published_again():
    a, b = [line("1")], [line("2")]
    news = [n for _, n in feed(StableRule(1, 1), [a, a, b, a, [], a])]
    assert news == [True, False, True, True, False, False]
