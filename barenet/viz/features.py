"""Feature maps: what one layer computes for one image, channel by channel."""
from __future__ import annotations

import os

import numpy as np

from .. import nn
from ..autograd import no_grad
from .hooks import first_conv, inspecting, prepare_image, record, resolve_layer, run_model
from .plotting import figure, finish, make_grid, normalize, show

__all__ = ["feature_maps", "plot_feature_maps"]


def feature_maps(model: nn.Module, image, layer=None) -> np.ndarray:
    """The activations of ``layer`` for ``image``: one map per channel.

    Args:
        model: the network (run in eval mode; its mode is restored after).
        image: an array or tensor ``(C, H, W)`` (or a batch of one).
        layer: a qualified module name (``"features.3"``) or a module; the first ``Conv2d`` by default.

    Shape:
        - image: ``(C, H, W)`` or ``(1, C, H, W)``
        - Returns: ``(C_layer, h, w)``, the layer's output for the image.

    Returns:
        The maps as a NumPy array.

    Raises:
        ValueError: an unknown layer (the valid names are listed), a layer whose output is not
            ``(N, C, h, w)`` maps, an image of the wrong shape or channel count.
        TypeError: an image that is not an array or tensor.

    Example:
        >>> import numpy as np
        >>> from barenet import nn
        >>> net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU())
        >>> feature_maps(net, np.zeros((1, 8, 8), np.float32), "1").shape
        (4, 6, 6)
    """
    nn.module.expect_module("feature_maps", model)
    op = "feature_maps"
    name, module = first_conv(op, model) if layer is None else resolve_layer(op, model, layer)
    with inspecting(model), no_grad(), record({name: module}) as rec:
        run_model(op, model, prepare_image(op, model, image))
    maps = rec.output(name, op).numpy()[0]
    if maps.ndim != 3:
        raise ValueError(f"feature_maps: layer {name!r} gives an output of shape {(1,) + maps.shape}, not "
                         f"feature maps (N, C, h, w); choose a convolution or pooling layer.")
    return maps


def plot_feature_maps(maps: np.ndarray, path: str | os.PathLike | None = None, title: str = "feature maps",
                      max_maps: int = 64) -> bytes:
    """Draw the first ``max_maps`` maps side by side, each scaled to its own range (viridis)."""
    from matplotlib import colormaps

    maps = np.asarray(maps)[:max_maps]
    grid = make_grid(normalize(maps, axes=(1, 2)), pad_value=np.nan)
    height, width = grid.shape
    scale = 7.0 / max(height, width)
    fig = figure(max(2.5, width * scale), max(2.5, height * scale) + 0.4)
    show(fig.add_subplot(1, 1, 1), grid, title, cmap=colormaps["viridis"].with_extremes(bad="white"))
    return finish(fig, path)
