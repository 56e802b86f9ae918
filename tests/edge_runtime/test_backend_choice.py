"""Backend choice: auto prefers LiteRT; a missing backend names the extra to install."""

from __future__ import annotations

import sys

import pytest

from edge_runtime import DigitClassifier
from edge_runtime.backends import (
    AUTO_ORDER,
    Backend,
    available_backends,
    create_interpreter,
    interpreter_class,
)
from edge_runtime.errors import MissingDependencyError


def test_auto_prefers_litert_and_the_order_is_documented():
    pytest.importorskip("ai_edge_litert")
    assert AUTO_ORDER == (Backend.LITERT, Backend.TFLITE_RUNTIME, Backend.TENSORFLOW)
    assert interpreter_class("auto")[0] is Backend.LITERT


@pytest.mark.parametrize(
    ("backend", "module", "extra"),
    [
        ("litert", "ai_edge_litert.interpreter", "edge"),
        ("tflite_runtime", "tflite_runtime.interpreter", "legacy"),
        ("tensorflow", "tensorflow", "train"),
    ],
)
def test_a_forced_backend_that_is_missing_names_its_extra(
    monkeypatch, model_path, backend, module, extra
):
    monkeypatch.setitem(sys.modules, module, None)  # None in sys.modules: ImportError
    with pytest.raises(MissingDependencyError) as exc:
        DigitClassifier(model_path, backend=backend)
    message = str(exc.value)
    assert f"edgecnn[{extra}]" in message and backend in message and "\n" not in message


def test_auto_falls_back_and_finally_names_the_edge_extra(monkeypatch, model_path):
    for module in ("ai_edge_litert.interpreter", "tflite_runtime.interpreter", "tensorflow"):
        monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(MissingDependencyError, match=r"edgecnn\[edge\]"):
        DigitClassifier(model_path)
    assert available_backends() == []


@pytest.mark.tensorflow
def test_auto_skips_a_missing_litert(monkeypatch, model_path):
    pytest.importorskip("tensorflow")
    monkeypatch.setitem(sys.modules, "ai_edge_litert.interpreter", None)
    monkeypatch.setitem(sys.modules, "tflite_runtime.interpreter", None)
    used, _ = create_interpreter(model_path, 1, "auto")
    assert used is Backend.TENSORFLOW


def test_unknown_backend_is_a_value_error():
    with pytest.raises(ValueError):
        interpreter_class("tpu")
