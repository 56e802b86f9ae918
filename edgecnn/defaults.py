"""Which model and which clip a command uses when none is given.

This belongs to the command line: the runtime is given a path and knows no
``artifacts/`` folder. A model that ``edgecnn export --int8`` wrote in the working
directory (``artifacts/model_int8.tflite``) comes first, so a checkout uses what it
trained; otherwise the model bundled with the package (:mod:`edgecnn.bundled`), which
works from any folder, in a checkout or from an installed wheel.
"""

from __future__ import annotations

from pathlib import Path

from edge_runtime.errors import ModelFormatError
from edgecnn import bundled

ARTIFACT_MODEL = Path("artifacts/model_int8.tflite")  # what `edgecnn export --int8` writes
ARTIFACT_KERAS = Path("artifacts/model.keras")  # what `edgecnn train` writes


def in_working_dir(relative: Path) -> Path | None:
    """``relative`` under the working directory, if it is a file there."""
    path = Path.cwd() / relative
    return path if path.is_file() else None


def bundled_model() -> Path:
    """The default int8 model shipped with the package (see ``bundled.DEFAULT_ARCH``)."""
    return bundled.default_model()


def resolve_model(model: str | Path | None) -> Path:
    """The model to load: the one given, else the exported one, else the bundled one.

    Raises:
        ModelFormatError: the given model does not exist, or neither default does.
    """
    if model is not None:
        if not Path(model).is_file():
            raise ModelFormatError(
                f"{model}: model file not found; run `edgecnn export --int8` or pass --model"
            )
        return Path(model)
    found = in_working_dir(ARTIFACT_MODEL)
    if found is not None:
        return found
    if bundled_model().is_file():
        return bundled_model()
    raise ModelFormatError(
        f"no model: neither {ARTIFACT_MODEL} nor the bundled {bundled_model()} exists; "
        "run `edgecnn export --int8` or pass --model"
    )


def sample_clip() -> Path:
    """The sample clip bundled with the package (``edgecnn data clip`` prints it)."""
    return bundled.sample_clip()
