"""edge_runtime.find: every digit in a frame found, in order, and read in one batch.

Frames come from tools/synth.py (MNIST test digits on paper under uneven light,
shadows, noise, specks, ruled lines and page edges), whose ground-truth boxes say
where each digit really is.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

cv2 = pytest.importorskip("cv2")

from edge_runtime.errors import ImageError  # noqa: E402
from edge_runtime.find import FindConfig, Polarity, find_digit_boxes, read_digits  # noqa: E402
from tools.synth import SynthConfig, synth_frames  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


def iou(a, b) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    ix = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    iy = max(0, min(ay + ah, by + bh) - max(ay, by))
    inter = ix * iy
    return inter / float(aw * ah + bw * bh - inter)


def frames(mnist_test, count, seed, **config):
    images, labels = mnist_test
    return list(synth_frames(images, labels, count, seed, SynthConfig(**config)))


def assert_boxes_match(found, truth):
    assert len(found) == len(truth), (found, truth)
    for box, true_box in zip(found, truth, strict=True):
        assert iou(box, true_box) > 0.5, (box, true_box)


@pytest.mark.parametrize("dark_ink", [True, False], ids=["dark-ink-on-paper", "chalk-on-board"])
def test_finds_every_digit_left_to_right_in_both_polarities(mnist_test, dark_ink):
    for frame in frames(mnist_test, 16, seed=21, dark_ink=dark_ink, empty_fraction=0.0):
        found = find_digit_boxes(frame.image)
        assert_boxes_match(found, [d.box for d in frame.digits])
        assert [b[0] for b in found] == sorted(b[0] for b in found)


@pytest.mark.parametrize("dark_ink", [True, False], ids=["dark", "light"])
def test_forcing_the_right_polarity_finds_what_auto_finds(mnist_test, dark_ink):
    polarity = Polarity.DARK if dark_ink else Polarity.LIGHT
    for frame in frames(mnist_test, 4, seed=4, dark_ink=dark_ink, empty_fraction=0.0):
        forced = find_digit_boxes(frame.image, FindConfig(polarity=polarity))
        assert forced == find_digit_boxes(frame.image)
        assert_boxes_match(forced, [d.box for d in frame.digits])


def test_empty_frames_with_shadows_specks_lines_and_page_edges_hold_no_digit(mnist_test):
    for dark_ink in (True, False):
        for frame in frames(mnist_test, 24, seed=8, dark_ink=dark_ink, empty_fraction=1.0):
            assert frame.digits == ()
            assert find_digit_boxes(frame.image) == []


def test_specks_long_lines_solid_blobs_and_a_page_edge_are_not_digits():
    rng = np.random.default_rng(0)
    page = np.full((480, 640), 210, np.uint8)
    page[:, 560:] = 60  # the desk beyond the page's edge
    cv2.line(page, (0, 120), (639, 122), 40, 3)  # a ruled line
    cv2.line(page, (300, 0), (302, 479), 40, 3)  # a fold
    cv2.rectangle(page, (60, 300), (160, 400), 30, -1)  # a solid blob
    for _ in range(30):  # dirt
        cv2.circle(page, (int(rng.integers(0, 540)), int(rng.integers(0, 480))), 2, 50, -1)
    page = np.clip(page + rng.normal(0, 4, page.shape), 0, 255).astype(np.uint8)
    assert find_digit_boxes(page) == []


def test_a_digit_broken_into_pieces_is_one_digit():
    page = np.full((300, 400), 220, np.uint8)
    # A 5 whose top bar never touched its body.
    cv2.line(page, (170, 80), (240, 80), 30, 9)
    cv2.line(page, (170, 95), (165, 150), 30, 9)
    cv2.ellipse(page, (195, 185), (38, 38), 0, -150, 150, 30, 9)
    found = find_digit_boxes(page)
    assert len(found) == 1
    x, y, w, h = found[0]
    assert y <= 80 and y + h >= 215 and x <= 165 and x + w >= 230


def row_of_zeros(page, xs, top=120, size=(15, 20)):
    """Rings 30 wide and 40 tall (0s) at ``xs``, their tops at ``top``."""
    for x in xs:
        cv2.ellipse(page, (x + size[0], top + size[1]), size, 0, 0, 360, 30, 4)


def test_a_sparse_mark_far_taller_than_the_digits_does_not_swallow_one():
    # The rim of a shadow, read at a low level: a thin curve running down from just
    # under a digit, far taller than the digits and too sparse for any.
    page = np.full((480, 640), 220, np.uint8)
    row_of_zeros(page, [100, 160, 220, 280, 340])
    curve = np.array([[118, 166], [100, 230], [80, 300], [60, 360], [40, 420]], np.int32)
    cv2.polylines(page, [curve], False, 60, 2)
    found = find_digit_boxes(page)
    assert len(found) == 5, found
    x, y, _, h = found[0]
    assert x >= 95 and y >= 115 and h <= 48, found[0]


def test_a_flat_mark_well_above_a_long_tailed_digit_is_no_part_of_it():
    # A dash of a sheet's edge 14 px above a 9 whose tail makes it 2.5 digits tall: a
    # 5's bar sits closer to its digit's body than a quarter of the digits' height.
    page = np.full((480, 640), 220, np.uint8)
    row_of_zeros(page, [100, 160, 220, 280])
    cv2.ellipse(page, (375, 140), (15, 20), 0, 0, 360, 30, 4)  # the 9's loop
    cv2.line(page, (390, 140), (380, 220), 30, 4)  # its long tail
    cv2.line(page, (365, 102), (395, 102), 30, 4)  # the dash
    found = find_digit_boxes(page)
    assert len(found) == 5, found
    _, y, _, h = found[-1]
    assert 116 <= y <= 120 and y + h >= 220, found[-1]


def test_a_digit_broken_across_a_gap_in_its_line_is_one_digit():
    # A 9 whose loop never met its tail: two short pieces in one column of the line.
    page = np.full((480, 640), 220, np.uint8)
    row_of_zeros(page, [100, 160, 220, 280])
    cv2.ellipse(page, (362, 133), (11, 11), 0, 0, 360, 30, 4)  # the loop
    cv2.line(page, (372, 151), (368, 177), 30, 4)  # the tail, 4 px below it
    found = find_digit_boxes(page)
    assert len(found) == 5, found
    _, y, _, h = found[-1]
    assert y <= 122 and y + h >= 177, found[-1]


def test_a_small_number_over_a_big_digit_is_no_part_of_it():
    # Too few digits to tell their usual height: "00" 40 px tall, 30 px over a digit
    # four times as tall (a fifth of its height), are two digits and it a third.
    page = np.full((480, 640), 220, np.uint8)
    row_of_zeros(page, [250, 290], top=60)
    cv2.ellipse(page, (300, 216), (55, 80), 0, 0, 360, 30, 9)
    found = find_digit_boxes(page)
    assert len(found) == 3, found
    assert max(h for _, _, _, h in found[:2]) <= 48, found
    assert found[2][1] >= 125, found


def test_the_dashes_of_a_page_edge_are_no_digit_beside_a_lone_digit():
    # Frame 57 of the sample clip: one 8, and the page's edge running down the frame
    # in dashes. With too few digits to tell their height, the dashes still join up
    # (and go as one edge): none of them is a 1.
    clip = cv2.VideoCapture(str(REPO / "data" / "samples" / "digits_clip.avi"))
    for _ in range(58):
        ok, frame = clip.read()
        assert ok
    clip.release()
    found = find_digit_boxes(frame)
    assert len(found) == 1, found
    assert iou(found[0], (318, 298, 63, 101)) > 0.8, found


def test_grey_bgr_and_bgra_frames_find_the_same_digits(mnist_test):
    frame = frames(mnist_test, 1, seed=5, empty_fraction=0.0)[0].image
    grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    bgra = cv2.cvtColor(frame, cv2.COLOR_BGR2BGRA)
    boxes = find_digit_boxes(grey)
    assert boxes
    assert find_digit_boxes(bgra) == boxes  # BGRA is read in grey
    # BGR on neutral paper is read in its darkest channel: the same digits, boxes
    # that may differ by a pixel at the strokes' soft edges
    assert_boxes_match(find_digit_boxes(frame), boxes)


def test_not_an_image_is_an_image_error():
    with pytest.raises(ImageError):
        find_digit_boxes(np.zeros(100, np.uint8))
    with pytest.raises(ImageError):
        find_digit_boxes(np.zeros((4, 4), np.uint8))


@pytest.mark.parametrize(
    "bad",
    [
        {"work_size": 10},
        {"min_contrast": 1.5},
        {"polarity": "up"},
        {"min_height": 0.5, "max_height": 0.2},
        {"max_fill": 0},
    ],
)
def test_find_config_rejects_bad_values(bad):
    with pytest.raises(ValueError):
        FindConfig(**bad)


class CountingClassifier:
    """Answers every crop with the same probabilities, and counts the calls."""

    def __init__(self, probs):
        self.probs = np.asarray(probs, np.float32)
        self.calls = []

    def probabilities(self, images):
        self.calls.append((images.shape, images.dtype))
        return np.tile(self.probs, (len(images), 1))


def test_read_digits_classifies_all_crops_in_one_batch(mnist_test):
    frame = frames(mnist_test, 1, seed=2, empty_fraction=0.0, min_digits=4, max_digits=4)[0]
    sure = CountingClassifier(np.eye(10)[3] * 0.9 + 0.01)
    readings = read_digits(sure, frame.image)
    assert sure.calls == [((4, 28, 28), np.uint8)]
    assert [r.digit for r in readings] == [3, 3, 3, 3]
    assert not any(r.rejected for r in readings)
    unsure = CountingClassifier(np.full(10, 0.1))
    readings = read_digits(unsure, frame.image, min_confidence=0.7)
    assert [(r.digit, r.rejected) for r in readings] == [(None, True)] * 4
    assert all(abs(r.confidence - 0.1) < 1e-6 for r in readings)


def test_read_digits_on_an_empty_frame_does_not_call_the_model(mnist_test):
    frame = frames(mnist_test, 1, seed=2, empty_fraction=1.0)[0]
    clf = CountingClassifier(np.eye(10)[0])
    assert read_digits(clf, frame.image) == []
    assert clf.calls == []


def test_read_digits_rejects_a_confidence_outside_0_1():
    with pytest.raises(ValueError):
        read_digits(CountingClassifier(np.eye(10)[0]), np.zeros((50, 50), np.uint8), 1.5)


def test_read_digits_end_to_end_with_the_bundled_model(mnist_test, classifier):
    from edge_runtime import DigitReading

    correct = total = 0
    for frame in frames(mnist_test, 20, seed=13, empty_fraction=0.0):
        readings = classifier.read_digits(frame.image, min_confidence=0.7)
        assert all(isinstance(r, DigitReading) for r in readings)
        assert all(r.rejected == (r.digit is None) for r in readings)
        assert all(r.rejected == (r.confidence < 0.7) for r in readings)
        assert len(readings) == len(frame.digits)
        for reading, truth in zip(readings, frame.digits, strict=True):
            assert iou(reading.box, truth.box) > 0.5
            correct += reading.digit == truth.digit
            total += 1
    assert correct / total >= 0.9, f"read {correct} of {total} digits"


def test_finding_works_with_tensorflow_unimportable():
    code = (
        "import sys; sys.modules['tensorflow'] = None; sys.modules['keras'] = None\n"
        "import numpy as np, cv2\n"
        "from edge_runtime.find import find_digit_boxes\n"
        "page = np.full((240, 320), 220, np.uint8)\n"
        "cv2.line(page, (150, 60), (160, 170), 20, 8)\n"
        "print(len(find_digit_boxes(page)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "1"


def test_long_lines_are_removed_as_by_opening_the_whole_mask():
    """Only rows and columns that can hold a long run are opened; the result must be the
    openings of the whole mask, runs off the frame's edge included."""
    from edge_runtime.find import _remove_long_lines

    rng = np.random.default_rng(4)
    for _ in range(40):
        h, w = int(rng.integers(60, 300)), int(rng.integers(60, 400))
        mask = ((rng.random((h, w)) < 0.05) * 255).astype(np.uint8)
        for _ in range(3):
            y, x = int(rng.integers(0, h)), int(rng.integers(0, w))
            mask[y : y + 2, max(0, x - w // 2) : x] = 255  # may run off the left edge
            mask[max(0, y - h // 2) : y + h // 3, x : x + 2] = 255
        across, down = max(48, w // 3), max(48, int(h * 0.95))
        lines = cv2.max(
            cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((1, across), np.uint8)),
            cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((down, 1), np.uint8)),
        )
        assert np.array_equal(_remove_long_lines(cv2, mask), cv2.subtract(mask, lines))


@pytest.mark.parametrize("connectivity", [4, 8])
def test_components_match_opencvs_default_labelling(connectivity):
    """The finder labels with Grana's algorithm (3x faster here): same components, same
    statistics, same label order as connectedComponentsWithStats."""
    from edge_runtime._components import components

    rng = np.random.default_rng(connectivity)
    for density in (0.0, 0.05, 0.3, 0.6):
        mask = (rng.uniform(0, 1, (97, 131)) < density).astype(np.uint8) * 255
        mask = cv2.dilate(mask, np.ones((2, 2), np.uint8))
        n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=connectivity)
        got_n, got_labels, got_stats = components(cv2, mask, connectivity)
        assert got_n == n
        assert np.array_equal(got_labels, labels)
        assert np.array_equal(got_stats, stats)
