"""Bad model files and sidecars end in one ModelFormatError line naming the file."""

from __future__ import annotations

import json

import numpy as np
import pytest

from edge_runtime import DigitClassifier
from edge_runtime.errors import ModelFormatError
from edge_runtime.model_file import check_tflite_file, read_sidecar, sidecar_path


def _one_line_naming(exc: pytest.ExceptionInfo, name: str) -> None:
    message = str(exc.value)
    assert "\n" not in message and name in message, message


def test_a_whole_model_passes_the_check(model_path):
    assert check_tflite_file(model_path) == model_path


def test_missing_model(tmp_path):
    with pytest.raises(ModelFormatError) as exc:
        DigitClassifier(tmp_path / "absent.tflite")
    _one_line_naming(exc, "absent.tflite")


def test_a_folder_is_not_a_model(tmp_path):
    with pytest.raises(ModelFormatError) as exc:
        DigitClassifier(tmp_path)
    _one_line_naming(exc, tmp_path.name)


@pytest.mark.parametrize(
    "content", [b"", b"TFL3", b"hello world, not a model" * 100, b"\x00" * 4096]
)
def test_files_that_are_not_flatbuffers(tmp_path, content):
    path = tmp_path / "junk.tflite"
    path.write_bytes(content)
    with pytest.raises(ModelFormatError) as exc:
        DigitClassifier(path)
    _one_line_naming(exc, "junk.tflite")


@pytest.mark.parametrize("fraction", [0.999, 0.9, 0.5, 0.1, 0.01])
def test_truncated_models(model_copy, fraction):
    data = model_copy.read_bytes()
    model_copy.write_bytes(data[: int(len(data) * fraction)])
    with pytest.raises(ModelFormatError) as exc:
        check_tflite_file(model_copy)
    _one_line_naming(exc, model_copy.name)
    with pytest.raises(ModelFormatError):
        DigitClassifier(model_copy)


def test_a_corrupted_root_offset(model_copy):
    data = bytearray(model_copy.read_bytes())
    data[0:4] = (len(data) + 100).to_bytes(4, "little")
    model_copy.write_bytes(bytes(data))
    with pytest.raises(ModelFormatError):
        DigitClassifier(model_copy)


def _sidecar(model, **changes):
    meta = {
        "schema_version": 1,
        "model_file": model.name,
        "mode": "int8",
        "input": {"shape": [1, 28, 28, 1], "dtype": "int8"},
        "output": {"shape": [1, 10], "dtype": "int8"},
        "normalization": {"scale": 1 / 255, "offset": 0.0, "pixels": "28x28 uint8"},
        "labels": [str(i) for i in range(10)],
        "quantized_accuracy": 0.99,
    }
    meta.update(changes)
    sidecar_path(model).write_text(json.dumps(meta))
    return meta


def test_without_sidecar_the_embedded_description_is_read(model_copy):
    assert read_sidecar(model_copy) is None
    with DigitClassifier(model_copy) as clf:
        meta = clf.metadata
    assert "derived" not in meta and meta["quantized_accuracy"] > 0.99
    assert meta["labels"] == [str(i) for i in range(10)]
    assert meta["input"]["dtype"] in ("int8", "uint8", "float32")
    assert meta["normalization"]["scale"] == pytest.approx(1 / 255)


def test_the_sidecar_is_read_and_its_labels_used(model_copy, mnist_test):
    images, _ = mnist_test
    _sidecar(model_copy)
    with DigitClassifier(model_copy) as clf:
        assert clf.metadata["quantized_accuracy"] == 0.99
        plain = clf.predict(images[0]).digit
    # labels map class index -> digit: reversed labels give 9 - index
    _sidecar(model_copy, labels=[str(9 - i) for i in range(10)])
    with DigitClassifier(model_copy) as clf:
        assert clf.predict(images[0]).digit == 9 - plain


def test_metadata_is_a_copy(model_copy):
    with DigitClassifier(model_copy) as clf:
        clf.metadata["labels"].clear()
        assert len(clf.metadata["labels"]) == 10


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"schema_version": 3}, "schema_version"),
        ({"normalization": {"scale": 0}}, "normalization"),
        ({"labels": ["a"] * 10}, "labels"),
        ({"labels": ["0", "1"]}, "2 labels"),
        ({"input": {"dtype": "float32"}}, "stale sidecar"),
    ],
)
def test_a_sidecar_that_does_not_fit_is_refused(model_copy, changes, words):
    _sidecar(model_copy, **changes)
    with pytest.raises(ModelFormatError) as exc:
        DigitClassifier(model_copy)
    _one_line_naming(exc, "model.json")
    assert words in str(exc.value)


def test_a_sidecar_that_is_not_json(model_copy):
    sidecar_path(model_copy).write_text("{not json")
    with pytest.raises(ModelFormatError) as exc:
        DigitClassifier(model_copy)
    _one_line_naming(exc, "model.json")


def test_normalization_of_the_sidecar_reaches_the_input(model_copy, mnist_test):
    # A sidecar that halves the scale darkens every input: the answers change.
    images, _ = mnist_test
    with DigitClassifier(model_copy) as clf:
        plain = clf.probabilities(images[:50])
    _sidecar(model_copy, normalization={"scale": 0.25 / 255, "offset": 0.0})
    with DigitClassifier(model_copy) as clf:
        dim = clf.probabilities(images[:50])
    assert not np.allclose(plain, dim, atol=0.05)
