"""A convolution layer's kernels as a picture: what the first layer of a trained CNN looks for."""
from __future__ import annotations

import os

import numpy as np

from .. import nn
from .hooks import conv_layers, first_conv, resolve_layer
from .plotting import figure, finish, make_grid, normalize, show

__all__ = ["filters", "plot_filters"]


def _kernels(model: nn.Module, layer) -> np.ndarray:
    if layer is None:
        name, module = first_conv("filters", model)
    else:
        name, module = resolve_layer("filters", model, layer)
    weight = getattr(module, "weight", None)
    if weight is None or weight.ndim != 4:
        convs = ", ".join(n for n, _ in conv_layers(model)) or "none"
        raise ValueError(f"filters: layer {name!r} ({type(module).__name__}) has no convolution kernels "
                         f"(a 4-D weight). Convolution layers of {type(model).__name__}: {convs}.")
    return weight.numpy()


def filters(model: nn.Module, layer=None, max_filters: int = 64, max_channels: int = 8) -> np.ndarray:
    """The kernels of a convolution layer as one image grid, each kernel scaled to [0, 1] on its own.

    Kernels over three input channels (a first layer on RGB images) are drawn in colour, one tile
    per filter; others in grey, one row per filter with a tile per input channel.

    Args:
        model: the network.
        layer: a qualified module name or a module with a 4-D ``weight``; the first ``Conv2d``
            by default.
        max_filters: show at most this many output filters.
        max_channels: show at most this many input channels of each grey filter.

    Shape:
        - weight: ``(C_out, C_in/G, KH, KW)``
        - Returns: ``(GH, GW, 3)`` for colour kernels, ``(GH, GW)`` otherwise (see ``make_grid``).

    Returns:
        The grid, float64 in [0, 1], white between the tiles.

    Raises:
        ValueError: a model without convolutions, an unknown layer (the valid names are listed),
            or a layer without kernels.

    Example:
        >>> from barenet import nn
        >>> filters(nn.Sequential(nn.Conv2d(3, 4, 5))).shape
        (13, 13, 3)
    """
    nn.module.expect_module("filters", model)
    weight = _kernels(model, layer)
    weight = weight[:max_filters]
    if weight.shape[1] == 3:
        tiles = normalize(weight, axes=(1, 2, 3)).transpose(0, 2, 3, 1)  # (C_out, KH, KW, 3)
        return make_grid(tiles)
    weight = weight[:, :max_channels]
    tiles = normalize(weight, axes=(1, 2, 3))  # one scale per filter, shared by its channels
    ncols = weight.shape[1] if weight.shape[1] > 1 else None
    return make_grid(tiles.reshape((-1,) + weight.shape[2:]), ncols=ncols)


def plot_filters(grid: np.ndarray, path: str | os.PathLike | None = None, title: str = "filters") -> bytes:
    """Draw a grid from ``filters``; returns the PNG bytes and writes them to ``path`` when given."""
    height, width = grid.shape[:2]
    scale = 6.0 / max(height, width)
    fig = figure(max(2.5, width * scale), max(2.5, height * scale) + 0.4)
    show(fig.add_subplot(1, 1, 1), grid, title)
    return finish(fig, path)
