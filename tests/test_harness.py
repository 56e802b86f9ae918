"""The test harness itself: in CI a missing test dependency fails instead of skipping,
our own DeprecationWarnings are errors, and the tiers mark what needs TensorFlow."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

ROOT_CONFTEST = Path(__file__).resolve().parents[1] / "conftest.py"
NEEDS_A_MISSING_MODULE = """
import pytest

pytest.importorskip("no_such_module_edgecnn")


def test_it():
    assert True
"""


@pytest.mark.parametrize(("ci", "outcome"), [("true", "failed"), ("", "skipped")])
def test_a_missing_test_dependency_fails_in_ci_and_skips_elsewhere(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, ci: str, outcome: str
) -> None:
    pytester.makeconftest(ROOT_CONFTEST.read_text())
    pytester.makepyfile(test_needs=NEEDS_A_MISSING_MODULE)
    monkeypatch.setenv("CI", ci)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    if outcome == "failed":
        assert result.ret != 0
        result.stdout.fnmatch_lines(["*CI: a test dependency is missing*no_such_module*"])
    else:
        assert "CI: a test dependency is missing" not in result.stdout.str()
        result.assert_outcomes(skipped=1)


def test_our_deprecation_warnings_are_errors_and_others_are_not() -> None:
    with pytest.raises(DeprecationWarning):
        warnings.warn_explicit("old", DeprecationWarning, "x.py", 1, module="edge_runtime.x")
    with pytest.warns(DeprecationWarning):
        warnings.warn_explicit("old", DeprecationWarning, "x.py", 1, module="somebody_else")


def test_train_and_export_tests_carry_the_tensorflow_marker(request: pytest.FixtureRequest):
    session_items = request.session.items
    marked = {
        Path(str(item.path)).parent.name
        for item in session_items
        if item.get_closest_marker("tensorflow") is not None
    }
    # train, export, models: by folder; the others marked test by test (a Keras model for
    # predict --kaggle in cli, the notebook that trains in notebooks).
    assert marked <= {"train", "export", "models", "edge_runtime", "cli", "notebooks"}
    if any("tests/train/" in str(item.path) for item in session_items):
        assert "train" in marked
