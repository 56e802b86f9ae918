"""The two pictures a training run leaves behind: learning curves and the confusion matrix.

Matplotlib is imported inside each function and used without pyplot (a bare
``Figure``, as in ``export/report.py``): no global backend switch, so a notebook that
trains keeps its inline plots. Each PNG is written to a temporary file beside its
destination and moved into place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from edge_runtime._files import atomic_write


def _figure(figsize: tuple[float, float]) -> Any:
    """A figure of its own (no pyplot: no global state, no GUI backend)."""
    from edge_runtime._deps import require

    require("matplotlib", "train")
    from matplotlib.figure import Figure

    return Figure(figsize=figsize)


def _save(figure: Any, path: Path) -> Path:
    """Lay out and write atomically as PNG (the figure is freed with its last reference)."""
    figure.tight_layout()
    return atomic_write(
        path,
        lambda tmp: figure.savefig(tmp, format="png", dpi=120, bbox_inches="tight"),
        suffix=".png",
    )


def plot_history(history: Mapping[str, Sequence[float]], path: Path, title: str = "") -> Path:
    """Draw loss and accuracy per epoch, training against validation.

    Args:
        history: Keras-style lists per metric: ``loss``, ``accuracy``, ``val_loss``,
            ``val_accuracy`` (any may be missing).
        path: the PNG to write.
        title: a heading, e.g. the architecture and test accuracy.

    Returns:
        ``path``.
    """
    figure = _figure((10, 4))
    loss_ax, acc_ax = figure.subplots(1, 2)
    for ax, metric, label in ((loss_ax, "loss", "loss"), (acc_ax, "accuracy", "accuracy")):
        for prefix, style, name in (("", "o-", "train"), ("val_", "s--", "validation")):
            values = list(history.get(prefix + metric, []))
            if values:
                ax.plot(range(1, len(values) + 1), values, style, label=name, markersize=3)
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        figure.suptitle(title)
    return _save(figure, path)


def plot_confusion(confusion: np.ndarray, path: Path, title: str = "") -> Path:
    """Draw a 10x10 confusion matrix with the count in every cell.

    Args:
        confusion: (10, 10) counts, rows = true digit, columns = predicted digit.
        path: the PNG to write.
        title: a heading.

    Returns:
        ``path``.
    """
    counts = np.asarray(confusion)
    figure = _figure((7.5, 6.5))
    ax = figure.subplots()
    # A log-like colour scale, so the few mistakes are visible next to ~1,000 hits.
    image = ax.imshow(np.log1p(counts), cmap="Blues")
    top = np.log1p(counts).max() or 1.0
    for (row, col), value in np.ndenumerate(counts):
        if value:
            dark = np.log1p(value) > 0.6 * top
            ax.text(
                col,
                row,
                str(value),
                ha="center",
                va="center",
                fontsize=8,
                color="white" if dark else ("black" if row == col else "firebrick"),
            )
    ticks = range(counts.shape[0])
    ax.set_xticks(ticks)
    ax.set_yticks(ticks)
    ax.set_xlabel("predicted digit")
    ax.set_ylabel("true digit")
    ax.set_title(title or "confusion matrix (counts)")
    figure.colorbar(image, ax=ax, label="log(1 + count)")
    return _save(figure, path)
