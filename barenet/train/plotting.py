"""Training curves: loss and accuracy per epoch, train vs held-out, as a PNG (matplotlib Agg)."""
from __future__ import annotations

import io
import os

from .checkpoint import atomic_write

__all__ = ["plot_curves"]


def plot_curves(history: list[dict], path: str | os.PathLike, val_name: str = "val") -> None:
    """Draw ``history`` (rows with ``train_loss``, ``train_acc1`` and ``<val_name>_*``) to ``path``.

    Uses matplotlib's Agg canvas directly, so no display and no global backend switch is needed.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    epochs = [row["epoch"] for row in history]
    fig = Figure(figsize=(9, 3.6), dpi=100)
    FigureCanvasAgg(fig)
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
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    atomic_write(path, buffer.getvalue())
