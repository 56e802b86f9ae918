"""A model compiled for the Edge TPU is refused in one line, naming the delegate."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from edge_runtime import DigitClassifier
from edge_runtime.errors import ModelFormatError
from edge_runtime.flatbuffer import CUSTOM, walk
from edgecnn.cli import app

TINY = Path(__file__).resolve().parents[2] / "data" / "models" / "tiny_int8.tflite"


@pytest.fixture
def edgetpu_model(tmp_path: Path) -> Path:
    """The tiny model with its first operator code made the Edge TPU's custom op, the way
    edgetpu_compiler's output names the compiled subgraph."""
    flatbuffers = pytest.importorskip("flatbuffers")
    schema = pytest.importorskip("ai_edge_litert.schema_py_generated")
    data = TINY.read_bytes()
    model = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(data, 0))
    code = model.operatorCodes[0]
    code.builtinCode = code.deprecatedBuiltinCode = CUSTOM
    code.customCode = "edgetpu-custom-op"
    builder = flatbuffers.Builder(len(data))
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    path = tmp_path / "model_edgetpu.tflite"
    path.write_bytes(bytes(builder.Output()))
    return path


def test_the_custom_op_is_found(edgetpu_model):
    assert walk(edgetpu_model.read_bytes()).custom_ops() == ["edgetpu-custom-op"]
    assert walk(TINY.read_bytes()).custom_ops() == []


def test_the_classifier_refuses_it_naming_the_edge_tpu(edgetpu_model):
    with pytest.raises(ModelFormatError) as exc:
        DigitClassifier(edgetpu_model)
    assert "Edge TPU" in str(exc.value) and "\n" not in str(exc.value)


@pytest.mark.parametrize("command", ["inspect", "predict"])
def test_the_cli_says_so_in_one_line_with_exit_4(edgetpu_model, command, mnist_test):
    image = edgetpu_model.with_name("digit.npy")
    np.save(image, mnist_test[0][0])
    args = (
        [command, str(edgetpu_model)]
        if command == "inspect"
        else [command, "--model", str(edgetpu_model), str(image)]
    )
    result = runner.invoke(app, args)
    assert result.exit_code == 4
    assert len(result.output.strip().splitlines()) == 1 and "Edge TPU" in result.output


runner = CliRunner()
