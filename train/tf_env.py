"""TensorFlow, imported and run quietly.

Importing TensorFlow and converting a model print screenfuls of C++ log lines
and notices on the process's file descriptors; none of it helps a user, and the
errors that matter come back as exceptions. Everything here that needs
TensorFlow (training, evaluation, export) goes through this module.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
import warnings
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def quiet_native() -> Iterator[None]:
    """Silence what TensorFlow prints while it imports and converts.

    TensorFlow's C++ logging and the converter write to the process's file descriptors
    (not ``sys.stderr``), and Keras' export prints "Saved artifact at ...": none of it
    is useful to a user, and the errors that matter come back as exceptions. Python
    writes to ``sys.stderr`` (progress lines) still show. With ``EDGECNN_DEBUG`` set
    nothing is silenced.
    """
    if os.environ.get("EDGECNN_DEBUG"):
        yield
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    saved = [os.dup(1), os.dup(2)]
    # Our own progress lines go through sys.stderr; where that is the real fd 2, point
    # it at a copy of the terminal so that only native output is silenced.
    stderr = sys.stderr
    visible = None
    with contextlib.suppress(Exception):
        if stderr.fileno() == 2:
            visible = os.fdopen(os.dup(saved[1]), "w", buffering=1)
    try:
        with (
            tempfile.TemporaryFile() as sink,
            contextlib.redirect_stdout(io.StringIO()),
            warnings.catch_warnings(),
        ):
            warnings.simplefilter("ignore")
            os.dup2(sink.fileno(), 1)
            os.dup2(sink.fileno(), 2)
            if visible is not None:
                sys.stderr = visible
            yield
    finally:
        sys.stderr = stderr
        if visible is not None:
            visible.close()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in saved:
            os.close(fd)


def import_tensorflow() -> Any:
    """Import TensorFlow quietly (its import logs a screenful of notices)."""
    from edge_runtime._deps import require

    with quiet_native():
        return require("tensorflow", "train")
