"""Reductions and scans of the tensor algebra (``sum``, ``mean``, ``amax``, ``prod``, ``norm``,
``cumsum``), each a ``Function``, and the checks of the ``dim`` arguments every op shares."""
from __future__ import annotations

import numpy as np

from .. import _args, backend
from .function import Function


def check_dim(name: str, dim: int, ndim: int) -> int:
    """``dim`` in ``[-ndim, ndim)`` made non-negative, or an IndexError naming the op (a
    TypeError for a dim that is not an int)."""
    dim = _args.integer(name, "dim", dim)
    if not -ndim <= dim < ndim:
        raise IndexError(f"{name}: dim {dim} is out of range; expected a dim in [{-ndim}, {ndim - 1}].")
    return int(dim) % ndim


def reduction_axes(name: str, dim, ndim: int) -> tuple:
    """Normalise ``dim`` (None, an int or a tuple, negatives allowed) to a tuple of axes.

    A 0-d tensor accepts dim 0 or -1, as in PyTorch, and reduces over no axis.
    """
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    axes = tuple(check_dim(name, d, max(ndim, 1)) for d in dims)
    if len(set(axes)) != len(axes):
        raise ValueError(f"{name}: each dim may appear once. Received: dim={dim}.")
    return axes if ndim else ()


class Sum(Function):
    def __init__(self, dim=None, keepdim=False):
        self.dim, self.keepdim = dim, keepdim

    def forward(self, x):
        self.shape = x.shape
        self.axes = reduction_axes(type(self).__name__.lower(), self.dim, x.ndim)
        return x.sum(axis=self.axes, keepdims=self.keepdim)

    def backward(self, gy):
        xp = backend.get_array_module(gy)
        if not self.keepdim:
            gy = xp.expand_dims(gy, self.axes)
        return xp.broadcast_to(gy, self.shape)


class Mean(Sum):
    def forward(self, x):
        y = super().forward(x)
        self.count = x.size // max(y.size, 1)
        return y / x.dtype.type(self.count) if x.dtype.kind == "f" else y / self.count

    def backward(self, gy):
        return super().backward(gy / gy.dtype.type(self.count))


class Amax(Function):
    """Maximum (or minimum) over dims; the gradient is shared evenly among tied maxima."""

    def __init__(self, dim=None, keepdim=False, largest=True):
        self.dim, self.keepdim, self.largest = dim, keepdim, largest

    def forward(self, x):
        self.axes = reduction_axes("amax" if self.largest else "amin", self.dim, x.ndim)
        y = x.max(axis=self.axes, keepdims=True) if self.largest else x.min(axis=self.axes, keepdims=True)
        self.mask = x == y
        return y if self.keepdim else y.squeeze(self.axes)

    def backward(self, gy):
        xp = backend.get_array_module(gy)
        if not self.keepdim:
            gy = xp.expand_dims(gy, self.axes)
        count = self.mask.sum(axis=self.axes, keepdims=True)
        return self.mask * (gy / count).astype(gy.dtype)


class Prod(Function):
    """The product over one dim (or all): dL/dx_i = dL/dy * prod_{j != i} x_j, computed as the
    product of the prefix before i and the suffix after it, so zeros are exact (no y / x_i)."""

    def __init__(self, dim=None, keepdim=False):
        self.dim, self.keepdim = dim, keepdim

    def forward(self, x):
        self.x = x
        return x.prod(axis=self.dim, keepdims=self.keepdim)

    def backward(self, gy):
        xp = backend.get_array_module(gy)
        x = self.x.reshape(-1) if self.dim is None else xp.moveaxis(self.x, self.dim, -1)
        ones = xp.ones(x.shape[:-1] + (1,), dtype=x.dtype)
        before = xp.concatenate([ones, xp.cumprod(x[..., :-1], axis=-1)], axis=-1)
        after = xp.flip(xp.concatenate([ones, xp.cumprod(xp.flip(x, -1)[..., :-1], axis=-1)], axis=-1), -1)
        if self.dim is None:
            return (gy * (before * after)).reshape(self.x.shape)
        g = gy if self.keepdim else xp.expand_dims(gy, self.dim)
        return xp.moveaxis(before * after, -1, self.dim) * g


class Norm(Function):
    """The p-norm over dims, ``y = (sum |x|^p)^(1/p)`` for a finite ``p > 0``.

    Backward: dL/dx = dL/dy * sign(x) (|x| / y)^(p-1), and 0 where y = 0 (a zero vector has no
    gradient direction) or x = 0 (for p < 1 the power is infinite there), as PyTorch gives.
    """

    def __init__(self, p: float, dim=None, keepdim=False):
        self.p, self.dim, self.keepdim = p, dim, keepdim

    def forward(self, x):
        xp = backend.get_array_module(x)
        self.axes = reduction_axes("norm", self.dim, x.ndim)
        self.x = x
        y = (xp.abs(x) ** self.p).sum(axis=self.axes, keepdims=True) ** (1 / self.p)
        self.y = y
        return y if self.keepdim else y.squeeze(self.axes)

    def backward(self, gy):
        xp = backend.get_array_module(gy)
        if not self.keepdim:
            gy = xp.expand_dims(gy, self.axes)
        positive = self.y > 0
        ratio = xp.abs(self.x) / xp.where(positive, self.y, 1)
        ratio = xp.where(ratio > 0, ratio, 1)  # sign(x) = 0 zeroes those entries anyway
        return (xp.sign(self.x) * ratio ** (self.p - 1) * xp.where(positive, gy, 0)).astype(gy.dtype, copy=False)


class CumSum(Function):
    """Running sum along ``dim``: dL/dx_i = sum_{j >= i} dL/dy_j, the running sum of the reversed
    gradient, reversed back."""

    def __init__(self, dim: int):
        self.dim = dim

    def forward(self, x):
        return backend.get_array_module(x).cumsum(x, axis=self.dim)

    def backward(self, gy):
        xp = backend.get_array_module(gy)
        return xp.flip(xp.cumsum(xp.flip(gy, self.dim), axis=self.dim), self.dim)
