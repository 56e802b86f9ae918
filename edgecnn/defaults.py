"""Which model and which clip a command uses when none is given.

This is knowledge of a checkout's layout, and it belongs to the command line: the
runtime is given a path and knows no ``artifacts/`` folder. Each default is looked up
in the working directory first, then in the source tree, so the commands work from
anywhere in a checkout.
"""

from __future__ import annotations

from pathlib import Path

from edge_runtime.errors import ModelFormatError

ARTIFACT_MODEL = Path("artifacts/model_int8.tflite")  # what `edgecnn export --int8` writes
ARTIFACT_KERAS = Path("artifacts/model.keras")  # what `edgecnn train` writes
BUNDLED_MODEL = Path("data/models/seed_int8.tflite")
SAMPLE_CLIP = Path("data/samples/digits_clip.avi")
SOURCE_TREE = Path(__file__).resolve().parents[1]


def find_in_checkout(relative: Path) -> Path | None:
    """``relative`` under the working directory, else under the source tree, if it is a file."""
    for base in (Path.cwd(), SOURCE_TREE):
        if (base / relative).is_file():
            return base / relative
    return None


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
    found = find_in_checkout(ARTIFACT_MODEL) or find_in_checkout(BUNDLED_MODEL)
    if found is not None:
        return found
    raise ModelFormatError(
        f"no model: neither {ARTIFACT_MODEL} nor {BUNDLED_MODEL} exists; "
        "run `edgecnn export --int8` or pass --model"
    )


def sample_clip() -> Path:
    """The bundled sample clip (found as :func:`find_in_checkout` finds it, else the
    source tree's path, for the error that opening it will give)."""
    return find_in_checkout(SAMPLE_CLIP) or SOURCE_TREE / SAMPLE_CLIP
