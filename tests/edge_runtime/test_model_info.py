"""ModelInfo: one typed description, read from JSON strictly, written back whole."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edge_runtime import ModelInfo
from edge_runtime.errors import ModelFormatError
from edge_runtime.model_info import InputConvention

REPO = Path(__file__).resolve().parents[2]
SIDECAR = REPO / "data" / "models" / "seed_int8.json"


def _shipped() -> dict:
    return json.loads(SIDECAR.read_text())


def test_a_shipped_sidecar_round_trips():
    data = _shipped()
    info = ModelInfo.from_json(data, "seed_int8.json")
    assert info.schema_version == 2
    assert info.labels == tuple("0123456789")
    assert info.normalization.pixel_range == (0.0, 1.0)
    assert info.quantized_accuracy and info.quantized_accuracy > 0.99
    assert info.micro is not None and info.micro.arena_bytes > 0
    assert info.to_json() == data


def test_unknown_future_fields_are_kept():
    data = {**_shipped(), "npu": {"vendor": "x", "compiled": True}}
    again = ModelInfo.from_json(data, "m.json").to_json()
    assert again["npu"] == {"vendor": "x", "compiled": True}


def test_a_schema_1_sidecar_is_still_read():
    data = _shipped()
    data["schema_version"] = 1
    for key in ("model_sha256",):
        data.pop(key, None)
    data["normalization"] = {"scale": 1 / 255, "offset": 0.0, "pixels": "28x28"}
    info = ModelInfo.from_json(data, "old.json")
    assert info.model_sha256 is None and info.normalization.polarity == "white_on_black"


@pytest.mark.parametrize("version", [0, 3, "2", None, True])
def test_a_wrong_schema_is_one_clear_error(version):
    with pytest.raises(ModelFormatError) as exc:
        ModelInfo.from_json({**_shipped(), "schema_version": version}, "m.json")
    message = str(exc.value)
    assert "\n" not in message and "schema_version" in message and "m.json" in message


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"labels": "0123"}, "labels"),
        ({"quantized_accuracy": "high"}, "quantized_accuracy"),
        ({"size_bytes": 1.5}, "size_bytes"),
        ({"model_sha256": "abc"}, "model_sha256"),
        ({"normalization": {"scale": -1}}, "normalization"),
        ({"input": {"shape": "x", "dtype": "int8"}}, "input.shape"),
        ({"output": {"shape": [1, 10], "dtype": "int8", "kind": "odds"}}, "output.kind"),
        ({"micro": {"arena_bytes": 1}}, "micro"),
    ],
)
def test_a_field_of_the_wrong_type_is_named(change, words):
    with pytest.raises(ModelFormatError, match=words):
        ModelInfo.from_json({**_shipped(), **change}, "m.json")


def test_an_inverted_convention_folds_into_the_linear_map():
    c = InputConvention(2 / 255, -1.0, inverted=True)
    scale, offset = c.linear()
    assert 0 * scale + offset == pytest.approx(1.0)  # a black MNIST pixel is paper: +1
    assert 255 * scale + offset == pytest.approx(-1.0)
    assert c.describe() == "-1..1, black on white"
    with pytest.raises(ValueError):
        InputConvention(0.0)
