"""The sample clip: generated deterministically from MNIST test digits, readable back
by this OpenCV, with a ground truth that matches it."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from camera_demo.truth import load_truth
from tools.clip import make_clip

cv2 = pytest.importorskip("cv2")

REPO = Path(__file__).resolve().parents[2]
SAMPLE_CLIP = REPO / "data" / "samples" / "digits_clip.avi"


def count_frames(path: Path) -> int:
    capture = cv2.VideoCapture(str(path))
    count = 0
    while True:
        ok, frame = capture.read()
        if not ok:
            return count
        assert frame.shape == (480, 640, 3)
        count += 1


def test_the_clip_reads_back_with_a_truth_entry_per_frame(short_clip):
    truth = json.loads(short_clip.with_suffix(".json").read_text())
    assert truth["schema_version"] == 1 and truth["video"] == short_clip.name
    assert count_frames(short_clip) == len(truth["frames"]) == 30
    assert [f["frame"] for f in truth["frames"]] == list(range(30))
    counts = [len(f["digits"]) for f in truth["frames"]]
    assert counts.count(0) == 3  # 10 % empty
    assert all(0 <= n <= 4 for n in counts)
    for frame in truth["frames"]:
        xs = [d["box"][0] for d in frame["digits"]]
        assert xs == sorted(xs)  # left to right
        for d in frame["digits"]:
            x, y, w, h = d["box"]
            assert x >= 0 and y >= 0 and x + w <= 640 and y + h <= 480
            assert 8 < h <= 125  # 60-120 px tall digits (a rotated one a little more)


def test_the_same_seed_makes_the_same_clip(tmp_path, mnist_test):
    a, b, c = tmp_path / "a.avi", tmp_path / "b.avi", tmp_path / "c.avi"
    for path, seed in ((a, 3), (b, 3), (c, 4)):
        make_clip(*mnist_test, path, frames=6, seed=seed)
    truth = [json.loads(p.with_suffix(".json").read_text())["frames"] for p in (a, b, c)]
    assert truth[0] == truth[1] != truth[2]
    assert a.read_bytes() == b.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "a.avi",
        "a.json",
        "b.avi",
        "b.json",
        "c.avi",
        "c.json",
    ]


def test_only_avi_is_accepted(tmp_path, mnist_test):
    with pytest.raises(ValueError, match="avi"):
        make_clip(*mnist_test, tmp_path / "x.mp4", frames=2)


def test_the_script_writes_a_clip(tmp_path):
    out = tmp_path / "clip.avi"
    result = subprocess.run(
        [
            sys.executable,
            str(REPO / "scripts" / "make_sample_clip.py"),
            "--out",
            str(out),
            "--frames",
            "5",
            "--seed",
            "1",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert count_frames(out) == 5 and len(load_truth(out.with_suffix(".json"))) == 5
    assert "wrote" in result.stdout


def test_the_committed_sample_clip_matches_its_truth():
    truth = json.loads(SAMPLE_CLIP.with_suffix(".json").read_text())
    assert count_frames(SAMPLE_CLIP) == len(truth["frames"])
    assert SAMPLE_CLIP.stat().st_size < 8_000_000
    assert "test" in truth["source"].lower()  # never training digits


def test_hold_keeps_each_page_in_view_for_several_frames(tmp_path, mnist_test):
    video = tmp_path / "held.avi"
    truth = json.loads(make_clip(*mnist_test, video, frames=10, seed=3, hold=4).read_text())
    assert truth["hold"] == 4
    assert [f["page"] for f in truth["frames"]] == [0, 0, 0, 0, 1, 1, 1, 1, 2, 2]
    for a, b in itertools.pairwise(truth["frames"]):
        if a["page"] == b["page"]:
            assert a["digits"] == b["digits"]
    capture = cv2.VideoCapture(str(video))
    images = [capture.read()[1] for _ in range(10)]
    same_page = np.abs(images[0].astype(int) - images[1].astype(int)).mean()
    next_page = np.abs(images[3].astype(int) - images[4].astype(int)).mean()
    assert 0 < same_page < 5 < next_page  # fresh noise on the same page, not a new page
