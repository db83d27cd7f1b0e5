"""Shape, indexing, joining, type and device ops: each a ``Function`` whose backward routes the
gradient back to where each element came from."""
from __future__ import annotations

import numpy as np

from .. import backend
from .function import Function
from .ops import unbroadcast


# ----- shape ----------------------------------------------------------------------------
class Reshape(Function):
    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.in_shape = x.shape
        try:
            return x.reshape(self.shape)
        except ValueError:
            raise ValueError(f"reshape: shape {tuple(self.shape)} is invalid for a tensor of shape "
                             f"{x.shape} ({x.size} elements).") from None

    def backward(self, gy):
        return gy.reshape(self.in_shape)


class Permute(Function):
    def __init__(self, axes):
        self.axes = axes

    def forward(self, x):
        return x.transpose(self.axes)

    def backward(self, gy):
        return gy.transpose(np.argsort(self.axes))


class Expand(Function):
    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.in_shape = x.shape
        return backend.get_array_module(x).broadcast_to(x, self.shape)

    def backward(self, gy):
        return unbroadcast(gy, self.in_shape)


class Repeat(Function):
    """Tile ``x`` ``repeats[i]`` times along each dim (new leading dims first), as
    ``torch.Tensor.repeat``; backward sums the gradient over the copies."""

    def __init__(self, repeats: tuple):
        self.repeats = repeats

    def forward(self, x):
        self.x_shape = x.shape
        self.padded = (1,) * (len(self.repeats) - x.ndim) + x.shape
        return backend.get_array_module(x).tile(x.reshape(self.padded), self.repeats)

    def backward(self, gy):
        split = [n for r, s in zip(self.repeats, self.padded) for n in (r, s)]  # (r0, s0, r1, s1...)
        copies = tuple(range(0, 2 * len(self.repeats), 2))
        return gy.reshape(split).sum(axis=copies).reshape(self.x_shape)


def _is_basic_index(index) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return all(i is None or i is Ellipsis or isinstance(i, (int, np.integer, slice)) for i in items)


class GetItem(Function):
    """``x[index]``; backward scatters the gradient back (adding up repeated advanced indices)."""

    def __init__(self, index):
        self.index = index

    def forward(self, x):
        self.shape = x.shape
        return x[self.index]

    def backward(self, gy):
        xp = backend.get_array_module(gy)
        gx = xp.zeros(self.shape, dtype=gy.dtype)
        if _is_basic_index(self.index):
            gx[self.index] = gy
        else:
            xp.add.at(gx, self.index, gy)
        return gx


class Cat(Function):
    """Concatenate along ``dim``; backward splits the gradient at the same boundaries."""

    def __init__(self, dim=0):
        self.dim = dim

    def forward(self, *xs):
        self.bounds = np.cumsum([x.shape[self.dim] for x in xs])[:-1]
        return backend.get_array_module(*xs).concatenate(xs, axis=self.dim)

    def backward(self, gy):
        return tuple(backend.get_array_module(gy).split(gy, self.bounds, axis=self.dim))


class Stack(Function):
    def __init__(self, dim=0):
        self.dim = dim

    def forward(self, *xs):
        return backend.get_array_module(*xs).stack(xs, axis=self.dim)

    def backward(self, gy):
        return tuple(backend.get_array_module(gy).moveaxis(gy, self.dim, 0))  # views, no copies


# ----- type and device ------------------------------------------------------------------
class Cast(Function):
    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, x):
        self.in_dtype = x.dtype
        return x.astype(self.dtype)

    def backward(self, gy):
        return gy.astype(self.in_dtype)


class ToDevice(Function):
    def __init__(self, device):
        self.device = device

    def forward(self, x):
        self.in_device = backend.device_of(x)
        return backend.to_device(x, self.device)

    def backward(self, gy):
        return backend.to_device(gy, self.in_device)


class Clone(Function):
    def forward(self, x):
        return x.copy()

    def backward(self, gy):
        return gy
