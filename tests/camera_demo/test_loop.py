"""The camera loop end to end on a generated clip: JSON lines, summary, accuracy against
the truth, recording, Ctrl-C, ROI, and the errors a user can meet."""

from __future__ import annotations

import io
import json
import types

import pytest
from camera_fakes import FakeReader

from camera_demo.config import CameraConfig, parse_roi
from camera_demo.loop import CameraApp, run_camera
from camera_demo.outputs import Outputs, require_gui
from camera_demo.truth import load_truth
from edge_runtime.errors import MissingDependencyError, SourceError

cv2 = pytest.importorskip("cv2")


def iou(a, b) -> float:
    ix = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    return ix * iy / float(a[2] * a[3] + b[2] * b[3] - ix * iy)


def run(config, classifier, **kwargs):
    out, err = io.StringIO(), io.StringIO()
    summary = run_camera(config, classifier=classifier, stdout=out, stderr=err, **kwargs)
    return summary, out.getvalue(), err.getvalue()


def test_headless_prints_one_json_line_per_frame_and_the_summary_on_stderr(short_clip, classifier):
    truth = load_truth(short_clip.with_suffix(".json"))
    config = CameraConfig(source=str(short_clip), headless=True)
    summary, out, err = run(config, classifier)
    lines = [json.loads(line) for line in out.splitlines()]
    assert len(lines) == len(truth) == summary.frames
    assert [r["frame"] for r in lines] == list(range(len(truth)))
    for record in lines:
        assert set(record) == {"frame", "timestamp", "latency_ms", "digits", "lines", "stable"}
        assert isinstance(record["stable"], bool)
        assert record["latency_ms"] > 0 and record["timestamp"] > 1e9
        for digit in record["digits"]:
            assert set(digit) == {"digit", "confidence", "box"}
            assert digit["digit"] is None or 0 <= digit["digit"] <= 9
            assert 0.0 <= digit["confidence"] <= 1.0
            assert len(digit["box"]) == 4 and all(isinstance(v, int) for v in digit["box"])
        # every digit sits in exactly one line, in order; a line's text spells its digits
        indices = [i for line in record["lines"] for i in line["digits"]]
        assert indices == list(range(len(record["digits"])))
        for line in record["lines"]:
            spelled = "".join(
                "?" if record["digits"][i]["digit"] is None else str(record["digits"][i]["digit"])
                for i in line["digits"]
            )
            assert line["text"].replace(" ", "") == spelled
            assert " ".join(line["numbers"]) == line["text"]
    assert "frames:" in err and "latency: p50" in err and "dropped frames: 0" in err
    assert "frames:" not in out
    assert summary.dropped == 0 and summary.mean_fps > 0
    assert 0 < summary.latency_p50_ms <= summary.latency_p99_ms


def test_json_out_file_puts_the_summary_on_stdout_and_scores_the_truth(
    short_clip, classifier, tmp_path
):
    truth = load_truth(short_clip.with_suffix(".json"))
    target = tmp_path / "out" / "readings.jsonl"
    config = CameraConfig(
        source=str(short_clip),
        headless=True,
        json_out=target,
        truth=short_clip.with_suffix(".json"),
    )
    summary, out, _ = run(config, classifier)
    assert len(target.read_text().splitlines()) == len(truth)
    assert sorted(p.name for p in target.parent.iterdir()) == ["readings.jsonl"]  # no temp left
    assert "digit accuracy" in out and "false digits" in out and "frames:" in out
    score = summary.truth
    assert score.frames == len(truth)
    assert score.digits == sum(len(d) for d in truth.values())
    assert score.empty_frames == sum(1 for d in truth.values() if not d)
    assert score.correct + score.wrong + score.rejected + score.missed == score.digits
    assert score.accuracy >= 0.9, summary.lines()
    assert score.false_on_empty == 0


def test_max_frames_and_roi(short_clip, classifier):
    truth = load_truth(short_clip.with_suffix(".json"))
    roi = (320, 0, 320, 480)
    config = CameraConfig(source=str(short_clip), headless=True, max_frames=10, roi=roi)
    summary, out, _ = run(config, classifier)
    records = [json.loads(line) for line in out.splitlines()]
    assert summary.frames == len(records) == 10
    boxes = [d["box"] for r in records for d in r["digits"]]
    assert boxes, "no digit in the right half of 10 frames"
    assert all(x >= 320 and x + w <= 640 for x, _, w, _ in boxes)
    # Digits wholly in the right half are found where the truth has them.
    right = [t.box for f in range(10) for t in truth[f] if t.box[0] >= 330]
    assert right
    assert all(any(iou(b, t) > 0.5 for b in boxes) for t in right)


def test_a_roi_outside_the_frame_is_a_value_error(short_clip, classifier):
    config = CameraConfig(source=str(short_clip), headless=True, roi=(600, 0, 100, 100))
    with pytest.raises(ValueError, match="does not fit"):
        run(config, classifier)


class InterruptingClassifier:
    """Reads digits like the real one, then raises KeyboardInterrupt on frame ``at``."""

    def __init__(self, real, at):
        self.real, self.at, self.calls = real, at, 0

    def read_lines(self, image, min_confidence=0.7):
        self.calls += 1
        if self.calls > self.at:
            raise KeyboardInterrupt
        return self.real.read_lines(image, min_confidence)


def test_ctrl_c_still_writes_the_summary_and_finishes_the_recording(
    short_clip, classifier, tmp_path
):
    video, lines = tmp_path / "annotated.mp4", tmp_path / "frames.jsonl"
    config = CameraConfig(source=str(short_clip), headless=True, record=video, json_out=lines)
    summary, out, _ = run(config, InterruptingClassifier(classifier, at=5))
    assert summary.interrupted and summary.frames == 5
    assert "stopped by Ctrl-C" in out and f"recorded: {video}" in out
    assert len(lines.read_text().splitlines()) == 5
    capture = cv2.VideoCapture(str(video))
    count = 0
    while capture.read()[0]:
        count += 1
    assert count == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["annotated.mp4", "frames.jsonl"]


def test_a_failure_mid_run_leaves_no_half_recording(short_clip, tmp_path):
    class Broken:
        def read_lines(self, image, min_confidence=0.7):
            raise RuntimeError("boom")

    video = tmp_path / "annotated.mp4"
    config = CameraConfig(
        source=str(short_clip), headless=True, record=video, json_out=tmp_path / "x.jsonl"
    )
    with pytest.raises(RuntimeError):
        run(config, Broken())
    assert list(tmp_path.iterdir()) == []


def test_the_recording_holds_every_annotated_frame(short_clip, classifier, tmp_path):
    video = tmp_path / "annotated.avi"
    summary, _, _ = run(
        CameraConfig(source=str(short_clip), headless=True, record=video, max_frames=12), classifier
    )
    capture = cv2.VideoCapture(str(video))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    assert len(frames) == summary.frames == 12
    original = cv2.VideoCapture(str(short_clip)).read()[1]
    assert frames[0].shape == original.shape
    # The status panel is drawn in the top-left corner: black behind white text.
    assert frames[0][2:18, 2:40].mean() < original[2:18, 2:40].mean() - 40


def test_a_live_source_is_processed_until_stopped(classifier):
    reader = FakeReader(delay=0.001, fps=30.0)
    app = CameraApp(
        CameraConfig(source="0", headless=True, max_frames=25),
        classifier=classifier,
        opener=lambda _: reader,
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    summary = app.run()
    assert summary.frames == 25
    assert summary.captured >= 25 and summary.dropped >= 0
    assert reader.closed.is_set()


def test_an_unopenable_source_is_a_source_error(classifier, tmp_path):
    with pytest.raises(SourceError):
        run(CameraConfig(source=str(tmp_path / "nope.avi"), headless=True), classifier)


def test_a_window_without_opencvs_gui_build_is_a_clear_missing_dependency(short_clip, classifier):
    fake_headless = types.SimpleNamespace(getBuildInformation=lambda: "  GUI:  NONE\n")
    with pytest.raises(MissingDependencyError, match="--headless"):
        require_gui(fake_headless)
    require_gui(types.SimpleNamespace(getBuildInformation=lambda: "  GUI:   GTK3\n"))
    try:
        require_gui(cv2)
    except MissingDependencyError as exc:  # this machine has the headless build
        with pytest.raises(MissingDependencyError) as raised:
            run(CameraConfig(source=str(short_clip)), classifier)
        assert str(raised.value) == str(exc)
        assert "edge-gui" in str(exc) and "--serve" in str(exc)
        assert "\n" not in str(exc)


def test_a_gui_build_that_cannot_open_a_window_is_also_one_clear_line():
    class Cv2Error(Exception):
        pass

    def imshow(name, image):
        raise Cv2Error(
            "OpenCV(5.0) error: (-2:Unspecified error)\nThe function is not "
            "implemented. Rebuild the library with GTK+ support"
        )

    fake = types.SimpleNamespace(
        error=Cv2Error, WINDOW_AUTOSIZE=1, namedWindow=lambda *a: None, imshow=imshow
    )
    with pytest.raises(MissingDependencyError, match="cannot open a window") as raised:
        Outputs().show(fake, None)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"min_confidence": 1.5}, "min-confidence"),
        ({"max_frames": 0}, "max-frames"),
        ({"threads": 0}, "threads"),
        ({"record": "out.gif"}, "record"),
        ({"serve": "localhost"}, "HOST:PORT"),
        ({"roi": (0, 0, 0, 10)}, "roi"),
    ],
)
def test_config_rejects_bad_options(kwargs, match):
    with pytest.raises(ValueError, match=match):
        CameraConfig(**kwargs)


def test_parse_roi():
    assert parse_roi("10, 20,300,200") == (10, 20, 300, 200)
    for bad in ("1,2,3", "a,b,c,d", "0,0,0,5", "-1,0,5,5"):
        with pytest.raises(ValueError):
            parse_roi(bad)
