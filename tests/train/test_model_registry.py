"""The architecture registry: exact layers of the seed model, sizes, outputs, recipes."""

from __future__ import annotations

import numpy as np
import pytest

from edgecnn.train.models import (
    ARCHITECTURES,
    Arch,
    Augmentation,
    Recipe,
    build_model,
    get_architecture,
)


def conv_params(k: int, c_in: int, c_out: int) -> int:
    return k * k * c_in * c_out + c_out


def test_seed_parameter_count_is_the_classic_592074():
    model = build_model("seed")
    expected = conv_params(5, 1, 32) + (12 * 12 * 32 * 128 + 128) + (128 * 10 + 10)
    assert expected == 592_074
    assert model.count_params() == expected


def test_seed_has_exactly_the_baseline_layers():
    import keras

    model = build_model(Arch.SEED)
    kinds = [type(layer) for layer in model.layers]
    assert kinds == [
        keras.layers.Conv2D,
        keras.layers.MaxPooling2D,
        keras.layers.Dropout,
        keras.layers.Flatten,
        keras.layers.Dense,
        keras.layers.Dense,
    ]
    conv, pool, drop, _, hidden, out = model.layers
    assert (conv.filters, conv.kernel_size, conv.activation.__name__) == (32, (5, 5), "relu")
    assert pool.pool_size == (2, 2)
    assert drop.rate == pytest.approx(0.2)
    assert (hidden.units, hidden.activation.__name__) == (128, "relu")
    assert (out.units, out.activation.__name__) == (10, "softmax")
    assert model.input_shape == (None, 28, 28, 1)


@pytest.mark.parametrize("arch", list(Arch))
def test_every_arch_maps_images_to_ten_probabilities(arch):
    model = build_model(arch, seed=1)
    images = np.random.default_rng(0).random((3, 28, 28, 1), dtype=np.float32)
    probabilities = np.asarray(model(images, training=False))
    assert probabilities.shape == (3, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert (probabilities >= 0).all()


def test_sizes_fit_their_purpose():
    tiny, large = build_model("tiny").count_params(), build_model("large").count_params()
    assert 1_000 <= tiny <= 10_000, tiny  # a few thousand: fits a microcontroller as int8
    assert large > build_model("seed").count_params() / 4  # a real model, not a toy
    import keras

    assert any(
        isinstance(layer, keras.layers.SeparableConv2D) for layer in build_model("tiny").layers
    )
    assert any(
        isinstance(layer, keras.layers.BatchNormalization) for layer in build_model("large").layers
    )


def test_wide_shrinks_by_strided_convs_not_pooling():
    import keras

    model = build_model("wide")
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    strided = [conv for conv in convs if conv.strides == (2, 2)]
    assert len(strided) == 2 and all(conv.kernel_size == (5, 5) for conv in strided)
    assert not any(isinstance(layer, keras.layers.MaxPooling2D) for layer in model.layers)


def test_same_seed_same_weights_other_seed_other_weights():
    first, again, other = (build_model("tiny", seed=s).get_weights()[0] for s in (3, 3, 4))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_registry_describes_every_arch_with_a_recipe():
    assert set(ARCHITECTURES) == set(Arch)
    for arch, entry in ARCHITECTURES.items():
        assert entry.name is arch and entry.description
        assert isinstance(entry.recipe, Recipe)
        assert entry.recipe.to_dict()["schedule"] == entry.recipe.schedule.value


def test_unknown_arch_is_a_value_error_naming_the_choices():
    with pytest.raises(ValueError, match=r"huge.*seed, tiny, large, wide"):
        get_architecture("huge")
    with pytest.raises(ValueError):
        build_model("huge")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"epochs": 0},
        {"batch_size": 0},
        {"learning_rate": 0.0},
        {"label_smoothing": 1.0},
        {"final_lr_fraction": 2.0},
    ],
)
def test_recipe_validation(kwargs):
    base = {"epochs": 1, "batch_size": 1, "learning_rate": 1e-3}
    with pytest.raises(ValueError):
        Recipe(**{**base, **kwargs})


@pytest.mark.parametrize("kwargs", [{"rotation_deg": -1}, {"shift_px": 9}, {"zoom": 0.5}])
def test_augmentation_validation(kwargs):
    with pytest.raises(ValueError):
        Augmentation(**kwargs)
    assert not Augmentation().enabled
    assert Augmentation(zoom=0.1).enabled


@pytest.mark.slow
def test_tiny_converts_to_a_small_int8_tflite_of_builtin_ops(tmp_path):
    import tensorflow as tf

    model = build_model("tiny")
    rng = np.random.default_rng(0)

    def calibration():
        for _ in range(8):
            yield [rng.random((1, 28, 28, 1), dtype=np.float32)]

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = calibration
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    flatbuffer = converter.convert()
    assert len(flatbuffer) <= 32 * 1024, len(flatbuffer)

    from ai_edge_litert.interpreter import Interpreter

    path = tmp_path / "tiny.tflite"
    path.write_bytes(flatbuffer)
    interpreter = Interpreter(model_path=str(path))
    interpreter.allocate_tensors()
    ops = {op["op_name"] for op in interpreter._get_ops_details()}
    assert "CUSTOM" not in ops and "FlexDelegate" not in ops
    assert "DEPTHWISE_CONV_2D" in ops
    assert interpreter.get_input_details()[0]["dtype"] == np.int8
