"""Ops that pick elements by an index along a dim (the values of ``max(dim)`` and ``sort``) or
reorder them (``flip``, ``roll``), each a ``Function``; and ``along``, the NumPy index that
makes ``gather`` a ``GetItem`` (whose backward adds up the gradients of repeated indices, as
``gather``'s and ``index_select``'s need).
"""
from __future__ import annotations

from .. import backend
from .function import Function


def along(index, dim: int) -> tuple:
    """The NumPy index that takes ``index`` (an array of the output's shape) along ``dim`` and
    the output's own position on every other dim: ``x[along(index, dim)]`` is ``gather``."""
    xp = backend.get_array_module(index)
    last = index.ndim - 1
    return tuple(index if d == dim else xp.arange(n).reshape((n,) + (1,) * (last - d))
                 for d, n in enumerate(index.shape))


class TakeAlongDim(Function):
    """Values at ``index`` along ``dim``, ``index`` holding each position once along it (what
    ``argmax`` and ``argsort`` give), so the gradient is put back without adding up."""

    def __init__(self, index, dim):
        self.index, self.dim = index, dim

    def forward(self, x):
        self.shape = x.shape
        return backend.get_array_module(x).take_along_axis(x, self.index, axis=self.dim)

    def backward(self, gy):
        xp = backend.get_array_module(gy)
        gx = xp.zeros(self.shape, dtype=gy.dtype)
        xp.put_along_axis(gx, self.index, gy, axis=self.dim)
        return gx


class Flip(Function):
    """Reverse the order along ``dims`` (a copy, as in PyTorch); the gradient flips back."""

    def __init__(self, dims: tuple):
        self.dims = dims

    def forward(self, x):
        return backend.get_array_module(x).flip(x, self.dims).copy()

    def backward(self, gy):
        return backend.get_array_module(gy).flip(gy, self.dims)


class Roll(Function):
    """Shift the elements along ``dims`` by ``shifts``, those pushed off one end coming in at the
    other (over the flattened tensor when ``dims`` is None); the gradient rolls back."""

    def __init__(self, shifts, dims):
        self.shifts, self.dims = shifts, dims

    def forward(self, x):
        return backend.get_array_module(x).roll(x, self.shifts, self.dims)

    def backward(self, gy):
        back = tuple(-s for s in self.shifts) if isinstance(self.shifts, tuple) else -self.shifts
        return backend.get_array_module(gy).roll(gy, back, self.dims)
