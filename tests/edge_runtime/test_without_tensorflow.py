"""The runtime is light: with TensorFlow made unimportable it loads, runs and is accurate.

Each check runs in a fresh interpreter whose ``sys.modules['tensorflow']`` is None
before anything of ours is imported, so any TensorFlow import would fail loudly.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
BAR = 0.985
SAMPLE = 2000


def _run_blocked(code: str, *args: str) -> dict:
    prelude = "import sys\nsys.modules['tensorflow'] = None\nsys.modules['keras'] = None\n"
    result = subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_import_pulls_in_neither_tensorflow_nor_opencv():
    out = _run_blocked(
        """
        import json, edge_runtime
        from edge_runtime import DigitClassifier, Prediction, normalize
        print(json.dumps({"loaded": [m for m in ("cv2", "ai_edge_litert", "matplotlib")
                                     if sys.modules.get(m) is not None]}))
        """
    )
    assert out["loaded"] == []


def test_int8_model_accuracy_on_mnist_test_digits_without_tensorflow(
    tmp_path, model_path, mnist_test
):
    images, labels = mnist_test
    picks = np.random.default_rng(0).choice(len(images), SAMPLE, replace=False)
    np.save(tmp_path / "images.npy", images[picks])
    np.save(tmp_path / "labels.npy", labels[picks])
    out = _run_blocked(
        """
        import json
        import numpy as np
        from edge_runtime import DigitClassifier
        from edge_runtime.errors import MissingDependencyError

        images, labels = np.load(sys.argv[2]), np.load(sys.argv[3])
        with DigitClassifier(sys.argv[1]) as clf:
            best = clf.probabilities(images).argmax(axis=1)
            batch = (best == labels).mean()
            single = np.mean([clf.predict(im).digit == b for im, b in zip(images[:300], best)])
            backend, sidecar = clf.backend.value, not clf.metadata.get("derived", False)
        try:
            DigitClassifier(sys.argv[1], backend="tensorflow")
            forced = "loaded"
        except MissingDependencyError as exc:
            forced = str(exc)
        print(json.dumps({"batch": float(batch), "single": float(single), "backend": backend,
                          "sidecar": sidecar, "forced": forced,
                          "tf": sys.modules.get("tensorflow") is not None}))
        """,
        str(model_path),
        str(tmp_path / "images.npy"),
        str(tmp_path / "labels.npy"),
    )
    assert out["backend"] == "litert" and not out["tf"]
    assert "edgecnn[train]" in out["forced"]
    assert out["single"] == 1.0  # predict() agrees with the batched path
    assert out["sidecar"], "the bundled model lost its sidecar"
    assert out["batch"] >= BAR, f"accuracy {out['batch']:.2%} < {BAR:.1%}"
