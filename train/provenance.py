"""What produced an artifact: tool versions, machine, when, and checksums of its inputs.

``metrics.json`` (training) and the export sidecar both record these, from here.
"""

from __future__ import annotations

import hashlib
import os
import platform
import shlex
import sys
from datetime import datetime, timezone
from pathlib import Path


def versions() -> dict[str, str]:
    """Versions of edgecnn, Python, numpy, TensorFlow and Keras (imports TensorFlow)."""
    import keras
    import numpy as np
    import tensorflow as tf

    # The installed distribution's version, which pyproject takes from edgecnn.__version__
    # (the one source); read through the runtime, so train never imports the CLI.
    from edge_runtime import __version__

    return {
        "edgecnn": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
    }


def command_line() -> str:
    """The command this process runs, as a shell would take it back."""
    return shlex.join([Path(sys.argv[0]).name, *sys.argv[1:]])


def utc_now() -> str:
    """The current time as ``2026-11-24T13:00:00Z``."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def describe_machine() -> str:
    """Architecture, CPU model and core count: what every printed figure was measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith(("model name", "Model")):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{platform.machine()} {platform.system()}, {cpu}, {os.cpu_count()} cores"
