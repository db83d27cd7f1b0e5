"""Dropout (Srivastava et al. 2014), inverted: kept units are scaled by ``1 / (1 - p)`` at train
time so the expected activation is unchanged and evaluation needs no rescaling at all.

The masks are drawn from ``barenet.random.default_generator()`` (seeded by ``barenet.manual_seed``)
for NumPy arrays, and from CuPy's own generator on the GPU so no mask crosses the bus.
"""
from __future__ import annotations

import numpy as np

from .. import _args, backend, random
from ..autograd import Function

__all__ = ["dropout", "dropout2d"]


class Dropout(Function):
    """``y = x * mask``, mask = [u >= p] / (1 - p), broadcast over the dims it has size 1 in."""

    def __init__(self, mask):
        self.mask = mask

    def forward(self, x):
        return x * self.mask

    def backward(self, gy):
        return gy * self.mask  # dL/dx = dL/dy * mask


def _scaled_mask(x, shape: tuple, p: float):
    """Keep each entry with probability 1 - p, scaled by 1 / (1 - p), in ``x``'s dtype."""
    xp = backend.get_array_module(x)
    source = random.default_generator() if xp is np else xp.random  # both have random(size, dtype)
    keep = source.random(shape, dtype=np.float32) >= p
    scale = 0.0 if p == 1 else 1.0 / (1.0 - p)  # p = 1 drops everything; avoid 0 * inf
    return keep * x.dtype.type(scale)


def check_p(op: str, p: float) -> None:
    """The dropout probability: a number in [0, 1] (TypeError or ValueError naming ``op``)."""
    _args.number(op, "p", p, 0, 1)


def dropout(input, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``.

    Args:
        input: any tensor.
        p: probability of zeroing an element, in [0, 1].
        training: apply dropout; when False the input is returned as it is.
        inplace: accepted for compatibility; a new tensor is always returned.

    Shape:
        input (*), output (*).

    Returns:
        The dropped-out tensor. Backward: ``dL/dx = dL/dy * mask``, the same mask.

    Raises:
        ValueError: p is outside [0, 1].

    Example:
        >>> import barenet
        >>> x = barenet.ones(2, 3)
        >>> dropout(x, p=0.5, training=False) is x
        True
    """
    check_p("dropout", p)
    if not training or p == 0:
        return input
    return Dropout(_scaled_mask(input.data, input.shape, p))(input)


def dropout2d(input, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero whole channels (Tompson et al. 2015): each (n, c) feature map is kept or dropped as one.

    Neighbouring pixels of a feature map are strongly correlated, so dropping single pixels
    barely regularises a conv layer; dropping the whole map does. As in PyTorch, a 3-D input
    is read as (N, C, L): its channels are dim 1.

    Args:
        input: a 4-D (N, C, H, W) or 3-D (N, C, L) tensor.
        p: probability of zeroing a channel, in [0, 1].
        training: apply dropout; when False the input is returned as it is.
        inplace: accepted for compatibility; a new tensor is always returned.

    Shape:
        input (N, C, H, W), output (N, C, H, W); the mask is (N, C, 1, 1).

    Returns:
        The tensor with dropped channels zeroed and kept ones scaled by ``1 / (1 - p)``.

    Raises:
        ValueError: p is outside [0, 1], or the input is not 3-D or 4-D.

    Example:
        >>> import barenet
        >>> dropout2d(barenet.ones(1, 2, 3, 3), p=1.0).sum().item()
        0.0
    """
    check_p("dropout2d", p)
    if input.ndim not in (3, 4):
        raise ValueError(f"dropout2d: input must be 4-D (N, C, H, W) or 3-D (N, C, L); use dropout for "
                         f"other shapes. Received: input.shape={tuple(input.shape)}.")
    if not training or p == 0:
        return input
    shape = input.shape[:2] + (1,) * (input.ndim - 2)
    return Dropout(_scaled_mask(input.data, shape, p))(input)
