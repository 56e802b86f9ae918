"""A model with a description (embedded in the .tflite, or a sidecar beside it) is
refused, before any inference and with exit code 4, when one bit of it changes."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from edge_runtime import DigitClassifier
from edge_runtime.embedded import MAGIC, METADATA_NAME, locate
from edge_runtime.errors import ModelFormatError
from edge_runtime.flatbuffer import walk
from edge_runtime.model_file import open_model, sidecar_path
from edgecnn.cli import app

REPO = Path(__file__).resolve().parents[2]
TINY = REPO / "data" / "models" / "tiny_int8.tflite"  # 14 KB: many damaged copies are cheap
THIRD_PARTY = REPO / "tests" / "data" / "third_party" / "tf_examples_digit_classifier_mnist.tflite"
runner = CliRunner()


def _offsets(data: bytes) -> list[int]:
    """Dozens of offsets spread over the file, and every region of the payload."""
    spread = list(range(0, len(data), max(1, len(data) // 48)))
    payload = locate(Path("m"), data, walk(data))
    assert payload is not None
    name_at = data.find(METADATA_NAME.encode())
    inside = [
        payload.start,  # the magic
        payload.start + len(MAGIC) + 3,  # the length
        payload.start + len(MAGIC) + 40,  # the JSON
        payload.end - 70,  # the JSON's end
        payload.end - 10,  # the JSON's digest
    ]
    return sorted(set(spread + inside + [0, 4, 5, name_at, name_at + 5, len(data) - 1]))


@pytest.fixture
def alone(tmp_path: Path) -> Path:
    """The tiny shipped model, copied alone: its only description is the embedded one."""
    target = tmp_path / "tiny.tflite"
    shutil.copyfile(TINY, target)
    return target


def test_the_shipped_models_carry_their_description_and_digest():
    for path in sorted((REPO / "data" / "models").glob("*_int8.tflite")):
        model = open_model(path)
        assert model.embedded is not None, f"{path.name} has no embedded description"
        assert model.embedded.model_sha256 == model.sha256
        assert model.sidecar is not None and model.sidecar.model_sha256 == model.sha256
        assert not model.warnings


def test_every_flipped_bit_of_an_embedded_model_is_refused(alone):
    good = alone.read_bytes()
    offsets = _offsets(good)
    assert len(offsets) >= 40
    refused = []
    for offset in offsets:
        bad = bytearray(good)
        bad[offset] ^= 1 << (offset % 8)
        alone.write_bytes(bytes(bad))
        with pytest.raises(ModelFormatError):
            DigitClassifier(alone)
        refused.append(offset)
    assert refused == offsets


@pytest.mark.parametrize("where", [0.001, 0.02, 0.1, 0.25, 0.4, 0.55, 0.7, 0.85, 0.95, 0.99])
def test_a_zeroed_run_is_refused_with_exit_4(alone, where, mnist_test):
    data = bytearray(alone.read_bytes())
    start = int(where * (len(data) - 64))
    while not any(data[start : start + 64]):  # a run of zeros already: move on to bytes
        start += 64
    data[start : start + 64] = bytes(64)
    alone.write_bytes(bytes(data))
    image = alone.with_name("digit.npy")
    np.save(image, mnist_test[0][0])
    for args in (["predict", "--model", str(alone), str(image)], ["inspect", str(alone)]):
        result = runner.invoke(app, args)
        assert result.exit_code == 4, result.output
        assert len(result.output.strip().splitlines()) == 1


def test_a_mismatch_names_both_digests_and_exits_4(alone):
    data = bytearray(alone.read_bytes())
    data[len(data) // 2] ^= 0x10
    alone.write_bytes(bytes(data))
    recorded = open_model(TINY).sha256
    result = runner.invoke(app, ["inspect", str(alone)])
    assert result.exit_code == 4
    line = result.output.strip()
    assert "\n" not in line and recorded in line
    assert hashlib.sha256(bytes(data)).hexdigest() not in line  # the digest leaves out the payload
    assert open_model.__module__  # the check happens in open_model, before any interpreter


def test_a_flipped_bit_of_a_model_described_by_its_sidecar_only(tmp_path):
    model = tmp_path / "digits.tflite"
    shutil.copyfile(THIRD_PARTY, model)
    frozen = runner.invoke(app, ["inspect", str(model), "--write-sidecar"])
    assert frozen.exit_code == 0, frozen.output
    assert json.loads(sidecar_path(model).read_text())["model_sha256"]
    good = model.read_bytes()
    offsets = list(range(0, len(good), len(good) // 40))
    for offset in offsets:
        bad = bytearray(good)
        bad[offset] ^= 0x80
        model.write_bytes(bytes(bad))
        with pytest.raises(ModelFormatError, match=r"do not match|damaged|not a TFLite"):
            DigitClassifier(model)
    model.write_bytes(good)
    with DigitClassifier(model) as clf:
        assert clf.info.inferred and "frozen" in clf.info.inferred  # read from the sidecar
    assert len(offsets) >= 40


def test_sidecar_and_embedded_description_that_disagree_are_named(alone, caplog):
    meta = open_model(TINY).sidecar.to_json()
    meta["quantized_accuracy"] = 0.5
    sidecar_path(alone).write_text(json.dumps(meta))
    with caplog.at_level("WARNING", logger="edge_runtime"), DigitClassifier(alone) as clf:
        assert clf.info.quantized_accuracy == 0.5  # the sidecar wins
    (line,) = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert "quantized_accuracy" in line and "using the sidecar" in line
    shown = runner.invoke(app, ["inspect", str(alone)])
    assert shown.exit_code == 0 and "using the sidecar" in shown.output
