"""edgecnn.kaggle: Kaggle's Digit Recognizer CSVs read and checked, submissions written."""

from __future__ import annotations

import numpy as np
import pytest

from edge_runtime.errors import DatasetError
from edgecnn.kaggle import (
    PIXEL_COLUMNS,
    SUBMISSION_HEADER,
    read_kaggle_csv,
    submission_text,
    write_submission,
)
from tools.kaggle_csv import kaggle_csv_text, write_kaggle_csv


@pytest.fixture(scope="module")
def digits(mnist_test):
    images, labels = mnist_test
    return images[:6], labels[:6]


def one_line(info: pytest.ExceptionInfo, *words: str) -> str:
    message = str(info.value)
    assert "\n" not in message, message
    for word in words:
        assert word in message, message
    return message


def test_test_csv_round_trip(tmp_path, digits):
    images, _ = digits
    path = write_kaggle_csv(tmp_path / "test.csv", images)
    assert path.read_text().splitlines()[0] == ",".join(PIXEL_COLUMNS)
    read = read_kaggle_csv(path)
    assert read.labels is None and read.path == path
    assert read.images.dtype == np.uint8 and read.images.shape == images.shape
    np.testing.assert_array_equal(read.images, images)


def test_train_csv_round_trip(tmp_path, digits):
    images, labels = digits
    path = write_kaggle_csv(tmp_path / "train.csv", images, labels)
    read = read_kaggle_csv(path, labelled=True)
    np.testing.assert_array_equal(read.images, images)
    np.testing.assert_array_equal(read.labels, labels)
    assert read.labels.dtype == np.uint8


def test_columns_in_another_order_quotes_bom_and_crlf(tmp_path, digits):
    images, labels = digits
    table = np.concatenate([images.reshape(len(images), -1), labels[:, None]], axis=1)
    order = np.random.default_rng(3).permutation(table.shape[1])
    names = [*PIXEL_COLUMNS, "label"]
    header = ",".join(f'"{names[i]}"' for i in order)
    rows = [",".join(str(v) for v in row[order]) for row in table]
    path = tmp_path / "train.csv"
    path.write_bytes(("\ufeff" + header + "\r\n" + "\r\n".join(rows) + "\r\n").encode())
    read = read_kaggle_csv(path)
    np.testing.assert_array_equal(read.images, images)
    np.testing.assert_array_equal(read.labels, labels)


def test_a_train_csv_is_not_a_test_csv_and_back(tmp_path, digits):
    images, labels = digits
    train = write_kaggle_csv(tmp_path / "train.csv", images, labels)
    test = write_kaggle_csv(tmp_path / "test.csv", images)
    with pytest.raises(DatasetError) as info:
        read_kaggle_csv(train, labelled=False)
    one_line(info, "train.csv", "'label' column")
    with pytest.raises(DatasetError) as info:
        read_kaggle_csv(test, labelled=True)
    one_line(info, "test.csv", "no 'label' column")


def _lines(images, labels=None):
    return kaggle_csv_text(images, labels).splitlines()


@pytest.mark.parametrize(
    ("mutate", "words"),
    [
        (lambda lines: [lines[0].rsplit(",", 1)[0], *lines[1:]], ("missing column pixel783",)),
        (
            lambda lines: [lines[0].replace("pixel5,pixel6,", ""), *lines[1:]],
            ("missing columns pixel5, pixel6",),
        ),
        (lambda lines: ["Id," + lines[0], *lines[1:]], ("unexpected column 'Id'",)),
        (lambda lines: [lines[0], lines[1].rsplit(",", 1)[0], *lines[2:]], ("line 2", "783")),
        (lambda lines: [lines[0], lines[1], lines[2] + ",0", *lines[3:]], ("line 3", "785")),
        (
            lambda lines: [lines[0], lines[1], "abc," + lines[2].split(",", 1)[1], *lines[3:]],
            ("line 3", "pixel0", "'abc'", "not an integer"),
        ),
        (
            lambda lines: [lines[0], lines[1].rsplit(",", 1)[0] + ",12.5", *lines[2:]],
            ("line 2", "pixel783", "'12.5'", "not an integer"),
        ),
        (
            lambda lines: [lines[0], *lines[1:3], lines[3].rsplit(",", 1)[0] + ",256"],
            ("line 4", "pixel783", "256", "0-255"),
        ),
        (lambda lines: [lines[0], "-1," + lines[1].split(",", 1)[1]], ("pixel0", "-1", "0-255")),
        (lambda lines: [lines[0], "70000," + lines[1].split(",", 1)[1]], ("pixel0", "0-255")),
        (lambda lines: [lines[0]], ("no data rows",)),
        (lambda lines: [], ("empty file",)),
    ],
    ids=[
        "no-pixel783",
        "no-pixel5-6",
        "extra-column",
        "short-row",
        "long-row",
        "word",
        "float",
        "pixel-256",
        "pixel-negative",
        "pixel-huge",
        "header-only",
        "empty",
    ],
)
def test_a_malformed_test_csv_is_one_line_naming_what_and_where(tmp_path, digits, mutate, words):
    path = tmp_path / "test.csv"
    lines = mutate(_lines(digits[0][:3]))
    path.write_text("\n".join(lines) + ("\n" if lines else ""))
    with pytest.raises(DatasetError) as info:
        read_kaggle_csv(path)
    one_line(info, "test.csv", *words)


def test_labels_outside_0_9_are_named(tmp_path, digits):
    images, labels = digits
    lines = _lines(images, labels)
    lines[2] = "10" + lines[2][1:]
    path = tmp_path / "train.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DatasetError) as info:
        read_kaggle_csv(path)
    one_line(info, "line 3", "label 10", "0-9")


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(DatasetError) as info:
        read_kaggle_csv(tmp_path / "nope.csv")
    one_line(info, "nope.csv", "missing")
    with pytest.raises(DatasetError) as info:
        read_kaggle_csv(tmp_path)
    one_line(info, "folder")


def test_submission_format():
    text = submission_text(np.array([7, 2, 1, 0], np.uint8))
    assert text == "ImageId,Label\n1,7\n2,2\n3,1\n4,0\n"
    assert submission_text([]) == SUBMISSION_HEADER + "\n"
    with pytest.raises(ValueError, match="0-9"):
        submission_text([3, 10])


def test_write_submission_is_atomic(tmp_path, monkeypatch):
    path = write_submission(tmp_path / "submission.csv", [1, 2, 3])
    assert path.read_text().splitlines() == ["ImageId,Label", "1,1", "2,2", "3,3"]
    with pytest.raises(ValueError):
        write_submission(path, [1, 99])
    assert path.read_text().splitlines()[-1] == "3,3"  # the old file is untouched
    assert [p.name for p in tmp_path.iterdir()] == ["submission.csv"]  # no temp left
