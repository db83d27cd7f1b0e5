"""Training pictures as PNGs (matplotlib Agg): loss and accuracy curves, the confusion matrix."""
from __future__ import annotations

import io
import os

import numpy as np

from .checkpoint import atomic_write

__all__ = ["plot_confusion_matrix", "plot_curves"]


def _figure(size: tuple[float, float]):
    """A figure on matplotlib's Agg canvas, so no display and no global backend switch is needed."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=100)
    FigureCanvasAgg(fig)
    return fig


def _save(fig, path: str | os.PathLike) -> None:
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    atomic_write(path, buffer.getvalue())


def plot_curves(history: list[dict], path: str | os.PathLike, val_name: str = "val") -> None:
    """Draw ``history`` (rows with ``train_loss``, ``train_acc1`` and ``<val_name>_*``) to ``path``."""
    epochs = [row["epoch"] for row in history]
    fig = _figure((9, 3.6))
    for ax, (metric, label, scale) in zip(fig.subplots(1, 2), (("loss", "loss", 1), ("acc1", "accuracy (%)", 100))):
        for split in ("train", val_name):
            values = [row.get(f"{split}_{metric}") for row in history]
            if any(v is not None for v in values):
                scaled = [v * scale if v is not None else None for v in values]
                ax.plot(epochs, scaled, marker="o", ms=3, label=split)
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend()
    _save(fig, path)


def plot_confusion_matrix(matrix: np.ndarray, path: str | os.PathLike, classes=None, title: str = "") -> None:
    """Draw a confusion matrix (rows: true class, columns: predicted) to ``path``, each cell
    shaded by the fraction of its true class and, for up to 20 classes, labelled with its count."""
    matrix = np.asarray(matrix)
    n = len(matrix)
    names = [str(c) for c in classes] if classes is not None else [str(i) for i in range(n)]
    side = min(4 + 0.35 * n, 16)
    fig = _figure((side + 1, side))
    ax = fig.subplots()
    rates = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)  # (C, C) per true class
    image = ax.imshow(rates, cmap="Blues", vmin=0, vmax=1)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="fraction of the true class")
    if n <= 20:
        ticks = np.arange(n)
        ax.set_xticks(ticks, names, rotation=90 if max(map(len, names)) > 3 else 0)
        ax.set_yticks(ticks, names)
        for (i, j), count in np.ndenumerate(matrix):
            if count:
                ax.text(j, i, str(count), ha="center", va="center", fontsize=8,
                        color="white" if rates[i, j] > 0.5 else "black")
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title)
    _save(fig, path)
