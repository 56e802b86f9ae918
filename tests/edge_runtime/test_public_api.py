"""The public API is explicit and honest."""

from __future__ import annotations

import re
from pathlib import Path

import edge_runtime


def test_all_names_exist():
    missing = [name for name in edge_runtime.__all__ if not hasattr(edge_runtime, name)]
    assert not missing, missing


def test_no_public_name_is_missing_from_all():
    public = {
        name
        for name, value in vars(edge_runtime).items()
        if not name.startswith("_")
        and not (
            # submodules imported as a side effect of importing the package's own modules
            type(value).__name__ == "module" and name not in edge_runtime.__all__
        )
    }
    public.discard("annotations")  # from __future__
    assert public <= set(edge_runtime.__all__), public - set(edge_runtime.__all__)
    assert len(edge_runtime.__all__) == len(set(edge_runtime.__all__))


def test_all_is_a_handful_and_typed():
    assert 5 <= len(edge_runtime.__all__) <= 12
    assert (Path(edge_runtime.__file__).parent / "py.typed").is_file()
    assert re.fullmatch(r"\d+\.\d+\.\d+.*|0\+unknown", edge_runtime.__version__)


def test_public_classes_and_functions_have_docstrings():
    for name in edge_runtime.__all__:
        value = getattr(edge_runtime, name)
        if callable(value):
            assert (value.__doc__ or "").strip(), f"{name} has no docstring"


def test_the_version_has_one_source():
    from edgecnn import __version__

    # edge_runtime reads the installed distribution, whose version pyproject takes from
    # edgecnn.__version__: a mismatch means a stale install (pip install -e . again).
    assert edge_runtime.__version__ == __version__
