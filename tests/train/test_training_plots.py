"""The training-curve and confusion-matrix pictures are written, whole, where asked."""

from __future__ import annotations

import numpy as np

from edgecnn.train.plots import plot_confusion, plot_history

PNG = b"\x89PNG\r\n\x1a\n"


def png_size(path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_history_plot(tmp_path):
    history = {
        "loss": [0.5, 0.3, 0.2],
        "accuracy": [0.9, 0.95, 0.97],
        "val_loss": [0.4, 0.3, 0.25],
        "val_accuracy": [0.92, 0.95, 0.96],
    }
    path = plot_history(history, tmp_path / "sub" / "curves.png", "seed: 97%")
    width, height = png_size(path)
    assert width > 2 * height > 0  # two panels side by side
    assert [p.name for p in path.parent.iterdir()] == ["curves.png"]


def test_history_plot_tolerates_missing_validation(tmp_path):
    path = plot_history({"loss": [1.0], "accuracy": [0.5]}, tmp_path / "c.png")
    assert png_size(path)[0] > 0


def test_confusion_plot_is_readable(tmp_path):
    rng = np.random.default_rng(0)
    confusion = np.diag(rng.integers(900, 1200, 10)) + rng.integers(0, 4, (10, 10))
    path = plot_confusion(confusion, tmp_path / "cm.png")
    width, height = png_size(path)
    assert width >= 600 and height >= 500  # room for 100 printed counts
    # Overwriting leaves one file, no temporaries.
    plot_confusion(np.zeros((10, 10), int), path)
    assert [p.name for p in tmp_path.iterdir()] == ["cm.png"]


def test_plots_leave_pyplot_alone(tmp_path):
    """A notebook that trains keeps its inline plots: no backend switch, no open figure."""
    import subprocess
    import sys

    code = (
        "import sys; from pathlib import Path; import numpy as np\n"
        "import matplotlib; matplotlib.use('svg'); import matplotlib.pyplot as plt\n"
        "from edgecnn.train.plots import plot_confusion, plot_history\n"
        "out = Path(sys.argv[1])\n"
        "plot_history({'loss': [1.0, 0.5]}, out / 'h.png')\n"
        "plot_confusion(np.eye(10, dtype=int), out / 'c.png')\n"
        "print(matplotlib.get_backend(), len(plt.get_fignums()))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["svg", "0"]
