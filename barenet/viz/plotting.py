"""Pictures: image grids, display scaling, heat-map overlays and PNG writing (matplotlib's Agg canvas).

Every ``plot_...`` function of ``barenet.viz`` returns the PNG's bytes and, given a ``path``, also
writes them there atomically. matplotlib is imported only when a picture is drawn, and through its
Agg canvas directly, so no display and no global backend switch is needed.
"""
from __future__ import annotations

import io
import math
import os

import numpy as np

from ..train.checkpoint import atomic_write

__all__ = ["display_image", "figure", "finish", "heat_panels", "make_grid", "normalize", "overlay", "show"]


def normalize(array: np.ndarray, axes: tuple | None = None) -> np.ndarray:
    """Min-max scale to [0, 1] over ``axes`` (all by default); a constant slice becomes 0.5.

    Example:
        >>> normalize(np.array([[1.0, 3.0], [5.0, 5.0]]), axes=(1,)).tolist()
        [[0.0, 1.0], [0.5, 0.5]]
    """
    array = np.asarray(array, dtype=np.float64)
    low = array.min(axis=axes, keepdims=True)
    span = array.max(axis=axes, keepdims=True) - low
    return np.where(span > 0, (array - low) / np.where(span > 0, span, 1.0), 0.5)


def display_image(image: np.ndarray) -> np.ndarray:
    """An image ``(C, H, W)`` as something ``imshow`` draws: ``(H, W, 3)`` colour for three channels,
    else ``(H, W)`` grey from the first channel; scaled to [0, 1] whatever its normalisation."""
    image = np.asarray(image)
    if image.ndim == 4:
        image = image[0]
    if image.ndim == 2:
        return normalize(image)
    return normalize(image.transpose(1, 2, 0)) if image.shape[0] == 3 else normalize(image[0])


def make_grid(tiles: np.ndarray, ncols: int | None = None, pad: int = 1, pad_value: float = 1.0) -> np.ndarray:
    """Lay tiles out in rows of ``ncols`` (about square by default), ``pad`` pixels apart.

    Args:
        tiles: the tiles, grey ``(N, h, w)`` or colour ``(N, h, w, 3)``.
        ncols: tiles per row.
        pad: pixels between tiles and around the grid.
        pad_value: the colour of the gaps (1.0 is white for tiles in [0, 1]).

    Shape:
        - Returns: ``(rows * (h + pad) + pad, ncols * (w + pad) + pad[, 3])``.

    Example:
        >>> make_grid(np.zeros((5, 2, 2)), ncols=3).shape
        (7, 10)
    """
    tiles = np.asarray(tiles, dtype=np.float64)
    n, h, w = tiles.shape[:3]
    ncols = ncols or max(1, math.ceil(math.sqrt(n)))
    nrows = math.ceil(n / ncols)
    padded = np.full((nrows * ncols,) + tiles.shape[1:], pad_value)
    padded[:n] = tiles
    extra = tiles.shape[3:]
    # (rows, h + pad, cols, w + pad[, 3]): each tile followed by its gaps, no loop over tiles
    body = np.full((nrows, h + pad, ncols, w + pad) + extra, pad_value)
    body[:, :h, :, :w] = np.moveaxis(padded.reshape((nrows, ncols) + tiles.shape[1:]), 2, 1)
    body = body.reshape((nrows * (h + pad), ncols * (w + pad)) + extra)
    return np.pad(body, ((pad, 0), (pad, 0)) + ((0, 0),) * len(extra), constant_values=pad_value)


def figure(width: float, height: float):
    """A matplotlib ``Figure`` on an Agg canvas, ``width`` x ``height`` inches at 100 dpi."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def finish(fig, path: str | os.PathLike | None = None) -> bytes:
    """The figure as PNG bytes, also written (atomically) to ``path`` when given."""
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    png = buffer.getvalue()
    if path is not None:
        atomic_write(path, png)
    return png


def show(ax, picture: np.ndarray, title: str | None = None, **kwargs) -> None:
    """Draw a grey ``(H, W)`` or colour ``(H, W, 3)`` picture on ``ax`` without axes."""
    kwargs.setdefault("cmap", "gray")
    kwargs.setdefault("interpolation", "nearest")
    ax.imshow(picture, **kwargs)
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=9)


def overlay(ax, image: np.ndarray, heat: np.ndarray, title: str | None = None, cmap: str = "jet",
            vmin: float | None = None, vmax: float | None = None) -> None:
    """A heat map over the image in grey, with a colour bar."""
    show(ax, np.asarray(normalize(_grey(image))), title)
    mappable = ax.imshow(heat, cmap=cmap, alpha=0.5, vmin=vmin, vmax=vmax, interpolation="bilinear")
    ax.figure.colorbar(mappable, ax=ax, fraction=0.046, pad=0.04)


def heat_panels(fig, image: np.ndarray, heat: np.ndarray, title: str, cmap: str = "jet",
                vmin: float | None = None, vmax: float | None = None) -> list:
    """Two panels on ``fig``: the image, and the heat map over it; returns the axes."""
    axes = list(fig.subplots(1, 2))
    show(axes[0], display_image(image), "image")
    overlay(axes[1], image, heat, title, cmap, vmin, vmax)
    return axes


def _grey(image: np.ndarray) -> np.ndarray:
    picture = display_image(image)
    return picture.mean(axis=2) if picture.ndim == 3 else picture
