"""The wheel works outside the checkout: built, installed with ``[edge]`` into a fresh
venv (no TensorFlow), and run from an empty folder on the bundled model and clip.

Installing is offline after the first run: the dependencies' wheels are kept in
``.cache/wheels`` (filled once with ``pip download``, through pip's own cache), pinned to
this venv's versions so both sides run the same numpy, LiteRT and OpenCV and must give
the same answers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

from edgecnn.defaults import bundled_model

REPO = Path(__file__).resolve().parents[2]
WHEELHOUSE = REPO / ".cache" / "wheels"
#: Pinned to this venv's versions: the installed package must answer as the checkout does.
PINNED = ("numpy", "ai-edge-litert", "opencv-python-headless", "typer")
SHIPPED = {"edgecnn", "edge_runtime", "camera_demo"}

pytestmark = pytest.mark.slow


def run(args: list[str], cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, f"{result.args}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    ok(
        run(
            [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out)],
            cwd=REPO,
        )
    )
    (found,) = out.glob("edgecnn-*-py3-none-any.whl")
    return found


@pytest.fixture(scope="module")
def edge_venv(tmp_path_factory, wheel: Path) -> Path:
    """A fresh venv holding the wheel with [edge]; returns its bin folder."""
    where = tmp_path_factory.mktemp("venv")
    venv = where / "venv"
    ok(run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=where))
    constraints = where / "constraints.txt"
    constraints.write_text("".join(f"{name}=={metadata.version(name)}\n" for name in PINNED))
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    common = ["-c", str(constraints), f"{wheel}[edge]"]
    install = [*pip, "--python", str(venv / "bin" / "python"), "install", "--no-compile"]
    install += ["--no-index", "--find-links", str(WHEELHOUSE), *common]
    result = run(install, cwd=where)
    if result.returncode != 0:  # first run, or new pins: fetch the wheels once
        ok(run([*pip, "download", "--dest", str(WHEELHOUSE), *common], cwd=where))
        for copy in WHEELHOUSE.glob("edgecnn-*.whl"):
            copy.unlink()  # pip download copies the wheel itself too; it is rebuilt each run
        result = run(install, cwd=where)
    ok(result)
    assert "DEPRECAT" not in (result.stdout + result.stderr).upper()
    return venv / "bin"


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """An empty working folder, far from any checkout."""
    folder = tmp_path / "work"
    folder.mkdir()
    return folder


def checkout(*args: str) -> list[str]:
    return [sys.executable, "-m", "edgecnn.cli", *args]


def test_the_wheel_installs_only_our_three_top_level_names(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
    tops = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert tops == SHIPPED
    assert any(n.startswith("edgecnn/train/") for n in names)
    assert any(n.startswith("edgecnn/export/") for n in names)
    default = f"models/{bundled_model().name}"
    for data in (default, default.replace(".tflite", ".json"), "samples/digits_clip.avi"):
        assert f"edgecnn/data/{data}" in names
    assert "edgecnn/data/mnist/SHA256SUMS" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)


def test_no_train_export_or_tensorflow_in_the_edge_venv(edge_venv: Path, elsewhere: Path) -> None:
    probe = (
        "import importlib.util as u, edgecnn.train.data, edgecnn.export;"
        "print([n for n in ('train', 'export', 'tensorflow') if u.find_spec(n)])"
    )
    assert ok(run([str(edge_venv / "python"), "-c", probe], cwd=elsewhere)).strip() == "[]"


def test_predict_from_the_wheel_answers_as_the_checkout(
    edge_venv: Path, elsewhere: Path, mnist_test
) -> None:
    import cv2

    images, labels = mnist_test
    paths = []
    for i in range(0, 1000, 100):
        paths.append(str(elsewhere / f"digit{i}.png"))
        cv2.imwrite(paths[-1], images[i])
    installed = json.loads(
        ok(run([str(edge_venv / "edgecnn"), "predict", "--json", *paths], cwd=elsewhere))
    )
    assert Path(installed["model"]).is_relative_to(edge_venv.parent)  # the bundled one
    assert installed["model"].endswith(f"edgecnn/data/models/{bundled_model().name}")
    ours = json.loads(ok(run(checkout("predict", "--json", *paths), cwd=elsewhere)))
    assert installed["results"] == ours["results"]
    digits = [r["digit"] for r in installed["results"]]
    assert sum(d == label for d, label in zip(digits, labels[0:1000:100], strict=True)) >= 9


def readings(jsonl: Path) -> list[list[int]]:
    frames = [json.loads(line) for line in jsonl.read_text().splitlines()]
    return [[d["digit"] for d in frame["digits"]] for frame in frames]


def test_camera_headless_from_the_wheel_reads_the_sample_clip_as_the_checkout(
    edge_venv: Path, elsewhere: Path
) -> None:
    edgecnn = str(edge_venv / "edgecnn")
    clip = ok(run([edgecnn, "data", "clip"], cwd=elsewhere)).strip()
    truth = ok(run([edgecnn, "data", "truth"], cwd=elsewhere)).strip()
    assert Path(clip).is_relative_to(edge_venv.parent) and Path(clip).is_file()
    summaries = {}
    for side, command in (("wheel", [edgecnn]), ("checkout", checkout())):
        ok(
            run(
                [
                    *command,
                    "camera",
                    "--headless",
                    "--source",
                    clip,
                    "--truth",
                    truth,
                    "--json-out",
                    f"{side}.jsonl",
                    "--summary-out",
                    f"{side}.json",
                ],
                cwd=elsewhere,
            )
        )
        summaries[side] = json.loads((elsewhere / f"{side}.json").read_text())
    assert summaries["wheel"]["truth"] == summaries["checkout"]["truth"]
    assert summaries["wheel"]["truth"]["accuracy"] > 0.95
    assert readings(elsewhere / "wheel.jsonl") == readings(elsewhere / "checkout.jsonl")


def test_evaluate_and_bench_run_from_the_wheel_without_tensorflow(
    edge_venv: Path, elsewhere: Path
) -> None:
    edgecnn = str(edge_venv / "edgecnn")
    model = ok(run([edgecnn, "data", "model"], cwd=elsewhere)).strip()
    sidecar = json.loads(Path(model).with_suffix(".json").read_text())
    report = json.loads(ok(run([edgecnn, "evaluate", "--model", model, "--json"], cwd=elsewhere)))
    assert report["data"].startswith("bundled MNIST") and "SHA256SUMS verified" in report["data"]
    assert report["accuracy"] == pytest.approx(sidecar["quantized_accuracy"], abs=1e-4)
    bench = ok(run([edgecnn, "bench", "--runs", "20", "--threads", "1", "--json"], cwd=elsewhere))
    assert json.loads(bench)["model"] == model
