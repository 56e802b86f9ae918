"""DigitClassifier: every input path agrees with the plain one, bad input is refused."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from edge_runtime import DigitClassifier, Prediction
from edge_runtime.errors import ImageError
from edge_runtime.preprocess import normalize, quantize

pytest.importorskip("cv2")


def _raw_probabilities(model_path, images):
    """The reference: the interpreter fed by hand, from the tensor's own quantization."""
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_path=str(model_path), num_threads=1)
    inp, out = it.get_input_details()[0], it.get_output_details()[0]
    it.resize_tensor_input(inp["index"], [len(images), 28, 28, 1])
    it.allocate_tensors()
    x = normalize(images)
    if np.dtype(inp["dtype"]).kind in "iu":
        params = inp["quantization_parameters"]
        x = quantize(x, float(params["scales"][0]), int(params["zero_points"][0]), inp["dtype"])
    it.set_tensor(inp["index"], x)
    it.invoke()
    y = it.get_tensor(out["index"]).astype(np.float32)
    if np.dtype(out["dtype"]).kind in "iu":
        params = out["quantization_parameters"]
        y = (y - params["zero_points"][0]) * params["scales"][0]
    return y


def test_probabilities_equal_the_hand_fed_interpreter(classifier, model_path, mnist_test):
    images, _ = mnist_test
    probs = classifier.probabilities(images[:300])
    assert probs.shape == (300, 10) and probs.dtype == np.float32
    np.testing.assert_allclose(probs, _raw_probabilities(model_path, images[:300]), atol=1e-6)


def test_predict_predict_batch_and_probabilities_agree(classifier, mnist_test):
    images, _ = mnist_test
    batch = images[:40]
    probs = classifier.probabilities(batch)
    predictions = classifier.predict_batch(batch)
    singles = [classifier.predict(image) for image in batch]
    assert [p.digit for p in predictions] == probs.argmax(axis=1).tolist()
    assert [p.digit for p in singles] == [p.digit for p in predictions]
    for single, batched, row in zip(singles, predictions, probs, strict=True):
        assert isinstance(single, Prediction)
        np.testing.assert_allclose(single.probabilities, row, atol=1e-6)
        assert single.confidence == pytest.approx(float(row.max()))
        assert batched.confidence == pytest.approx(float(row.max()))


def test_every_mnist_form_is_accepted_alike(classifier, mnist_test):
    images, _ = mnist_test
    expected = classifier.probabilities(images[:8])
    as_float = images[:8].astype(np.float32) / 255
    np.testing.assert_allclose(classifier.probabilities(as_float), expected, atol=1e-6)
    with_channel = classifier.probabilities(images[:8, :, :, None])
    np.testing.assert_allclose(with_channel, expected, atol=1e-6)
    np.testing.assert_allclose(classifier.probabilities(images[0]), expected[:1], atol=1e-6)
    assert classifier.predict(as_float[0]).digit == classifier.predict(images[0]).digit
    assert classifier.predict(images[0][:, :, None]).digit == classifier.predict(images[0]).digit
    # a non-contiguous view goes through the same fast path
    view = np.asfortranarray(images[0])
    assert classifier.predict(view).digit == classifier.predict(images[0]).digit


def test_batch_sizes_can_change_between_calls(classifier, mnist_test):
    images, _ = mnist_test
    reference = classifier.probabilities(images[:5])
    for n in (1, 7, 300, 2, 5):  # 300 > one chunk
        np.testing.assert_allclose(
            classifier.probabilities(images[:n])[:5], reference[:n], atol=1e-6
        )
        assert classifier.predict(images[0]).digit == reference[0].argmax()
    assert classifier.predict_batch(images[:0]) == []


def test_a_mixed_list_of_images(classifier, mnist_test, make_photo):
    images, labels = mnist_test
    rng = np.random.default_rng(3)
    items = [
        images[0],
        make_photo(images[1], rng),
        np.zeros((28, 28), np.uint8),
        make_photo(images[2], rng, bgr=True),
        images[3].astype(np.float64) / 255,
    ]
    predictions = classifier.predict_batch(items)
    assert [p.digit for p in predictions] == [labels[0], labels[1], None, labels[2], labels[3]]


@pytest.mark.parametrize(
    "blank",
    [
        np.zeros((28, 28), np.uint8),
        np.full((28, 28), 20, np.uint8),
        np.zeros((28, 28)),
        np.full((90, 60), 210, np.uint8),
        np.full((50, 50, 3), 255, np.uint8),
    ],
)
def test_blank_images_have_no_digit(classifier, blank):
    prediction = classifier.predict(blank)
    assert prediction.digit is None and prediction.confidence == 0.0
    assert prediction.probabilities.shape == (10,) and not prediction.probabilities.any()
    assert classifier.predict_batch([blank, blank])[1].digit is None


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros((2, 28, 28, 1), np.uint8),
        np.zeros((28, 28), bool),
        np.zeros((28, 28), complex),
        np.array(["7"]),
        np.zeros((0, 0), np.uint8),
        np.zeros(784, np.uint8),
        "digit.png",
        np.full((28, 28), 300, np.int32),
        np.full((28, 28), np.inf),
    ],
)
def test_wrong_rank_or_dtype_is_an_image_error(classifier, bad):
    with pytest.raises(ImageError):
        classifier.predict(bad)


def test_probabilities_refuses_non_mnist_shapes(classifier):
    with pytest.raises(ImageError):
        classifier.probabilities(np.zeros((3, 32, 32), np.uint8))
    with pytest.raises(ImageError):
        classifier.probabilities(np.zeros((3, 28, 28, 3), np.uint8))


def test_photos_of_digits_are_read(classifier, mnist_test, make_photo):
    # MNIST digits as dark ink, 3-5x bigger, off-centre on noisy, unevenly lit paper.
    images, labels = mnist_test
    rng = np.random.default_rng(7)
    picks = rng.choice(len(images), 50, replace=False)
    photos = [make_photo(images[i], rng, bgr=bool(k % 2)) for k, i in enumerate(picks)]
    right = sum(
        classifier.predict(p).digit == labels[i] for p, i in zip(photos, picks, strict=True)
    )
    assert right >= 45, f"{right}/50 photos read right"


def test_prediction_is_frozen_and_comparable(classifier, mnist_test):
    images, _ = mnist_test
    a, b = classifier.predict(images[0]), classifier.predict(images[0])
    assert a == b
    with pytest.raises(AttributeError):
        a.digit = 3  # type: ignore[misc]


def test_close_and_context_manager(model_path, mnist_test):
    images, _ = mnist_test
    with DigitClassifier(model_path) as clf:
        assert clf.predict(images[0]).digit is not None
    with pytest.raises(ValueError, match="closed"):
        clf.predict(images[0])
    with pytest.raises(ValueError, match="closed"):
        clf.probabilities(images[:3])


def test_num_threads_and_backend_are_checked(model_path):
    with pytest.raises(ValueError):
        DigitClassifier(model_path, num_threads=0)
    with pytest.raises(ValueError):
        DigitClassifier(model_path, backend="gpu")
    with DigitClassifier(model_path, num_threads=2, backend="litert") as clf:
        assert clf.num_threads == 2 and clf.backend.value == "litert"


def test_threads_can_share_one_classifier(classifier, mnist_test):
    images, _ = mnist_test
    expected = classifier.probabilities(images[:64]).argmax(axis=1).tolist()
    errors: list[BaseException] = []

    def work(offset: int) -> None:
        try:
            for _ in range(20):
                if offset % 2:
                    got = [p.digit for p in classifier.predict_batch(images[:64])]
                else:
                    got = [classifier.predict(image).digit for image in images[:64]]
                assert got == expected
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[0]


def test_a_logits_model_gets_a_softmax(model_path, mnist_test):
    # The bundled model ends in softmax; pretend it did not and check the decode path.
    images, _ = mnist_test
    with DigitClassifier(model_path) as clf:
        plain = clf.probabilities(images[:20])
        clf._softmax = True
        soft = clf.probabilities(images[:20])
        single = clf.predict(images[0])
    np.testing.assert_allclose(soft.sum(axis=1), 1.0, atol=1e-5)
    assert (soft.argmax(axis=1) == plain.argmax(axis=1)).all()
    np.testing.assert_allclose(single.probabilities, soft[0], atol=1e-6)
