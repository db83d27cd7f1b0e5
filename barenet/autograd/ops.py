"""The tensor algebra: arithmetic, reductions, reshaping and indexing, each a ``Function``.

Binary ops broadcast like NumPy; their backward sums the gradient back over the broadcast
dimensions (``unbroadcast``), so each operand receives a gradient of its own shape.
"""
from __future__ import annotations

import numpy as np

from .. import backend
from .function import Function


def unbroadcast(g, shape: tuple):
    """Sum ``g`` over the dimensions that broadcasting added or stretched, to get ``shape``."""
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1
    )
    return g.sum(axis=axes, keepdims=True).reshape(shape)


# ----- elementwise arithmetic -----------------------------------------------------------
class Add(Function):
    def forward(self, a, b):
        self.shapes = (np.shape(a), np.shape(b))
        return a + b

    def backward(self, gy):
        na, nb = self.needs_input_grad
        return (unbroadcast(gy, self.shapes[0]) if na else None,
                unbroadcast(gy, self.shapes[1]) if nb else None)


class Sub(Function):
    def forward(self, a, b):
        self.shapes = (np.shape(a), np.shape(b))
        return a - b

    def backward(self, gy):
        na, nb = self.needs_input_grad
        return (unbroadcast(gy, self.shapes[0]) if na else None,
                unbroadcast(-gy, self.shapes[1]) if nb else None)


class Mul(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, gy):
        na, nb = self.needs_input_grad
        a, b = self.a, self.b
        return (unbroadcast(gy * b, np.shape(a)) if na else None,
                unbroadcast(gy * a, np.shape(b)) if nb else None)


class Div(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a / b

    def backward(self, gy):
        na, nb = self.needs_input_grad
        a, b = self.a, self.b
        ga = unbroadcast(gy / b, np.shape(a)) if na else None
        gb = unbroadcast(-gy * a / (b * b), np.shape(b)) if nb else None  # d(a/b)/db = -a/b^2
        return ga, gb


class Neg(Function):
    def forward(self, x):
        return -x

    def backward(self, gy):
        return -gy


class Pow(Function):
    """``x ** p`` for a constant exponent ``p``: dy/dx = p x^(p-1)."""

    def __init__(self, exponent: float):
        self.p = exponent

    def forward(self, x):
        self.x = x
        return x ** self.p

    def backward(self, gy):
        return gy * self.p * self.x ** (self.p - 1)


class Exp(Function):
    def forward(self, x):
        self.y = backend.get_array_module(x).exp(x)
        return self.y

    def backward(self, gy):
        return gy * self.y


class Log(Function):
    def forward(self, x):
        self.x = x
        return backend.get_array_module(x).log(x)

    def backward(self, gy):
        return gy / self.x


class Sqrt(Function):
    def forward(self, x):
        self.y = backend.get_array_module(x).sqrt(x)
        return self.y

    def backward(self, gy):
        return gy / (2 * self.y)


class Abs(Function):
    def forward(self, x):
        xp = backend.get_array_module(x)
        self.sign = xp.sign(x)
        return xp.abs(x)

    def backward(self, gy):
        return gy * self.sign


class Clamp(Function):
    """Clip to ``[min, max]``; the gradient passes where the input was inside the range."""

    def __init__(self, min=None, max=None):
        self.lo, self.hi = min, max

    def forward(self, x):
        xp = backend.get_array_module(x)
        self.inside = xp.ones(x.shape, dtype=bool)
        if self.lo is not None:
            self.inside &= x >= self.lo
        if self.hi is not None:
            self.inside &= x <= self.hi
        return xp.clip(x, self.lo, self.hi)

    def backward(self, gy):
        return gy * self.inside


class Where(Function):
    """``where(condition, a, b)``: the gradient goes to ``a`` where true, to ``b`` elsewhere."""

    def __init__(self, condition):
        self.cond = condition

    def forward(self, a, b):
        self.shapes = (np.shape(a), np.shape(b))
        return backend.get_array_module(a, b).where(self.cond, a, b)

    def backward(self, gy):
        na, nb = self.needs_input_grad
        zero = gy.dtype.type(0)
        return (unbroadcast(gy * self.cond, self.shapes[0]) if na else None,
                unbroadcast(backend.get_array_module(gy).where(self.cond, zero, gy), self.shapes[1])
                if nb else None)


class MatMul(Function):
    """``a @ b`` with NumPy's rules (1-D operands, broadcast batch dimensions).

    Backward: dL/da = dL/dy @ b^T, dL/db = a^T @ dL/dy, summed over broadcast batch dims.
    """

    def forward(self, a, b):
        self.a, self.b = a, b
        return a @ b

    def backward(self, gy):
        a, b = self.a, self.b
        xp = backend.get_array_module(gy)
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = gy
        if a.ndim == 1:
            g2 = xp.expand_dims(g2, -2)
        if b.ndim == 1:
            g2 = xp.expand_dims(g2, -1)
        na, nb = self.needs_input_grad
        ga = gb = None
        if na:
            ga = g2 @ xp.swapaxes(b2, -1, -2)
            ga = unbroadcast(ga, a2.shape).reshape(a.shape)
        if nb:
            gb = xp.swapaxes(a2, -1, -2) @ g2
            gb = unbroadcast(gb, b2.shape).reshape(b.shape)
        return ga, gb


# ----- reductions --------------------------------------------------------------------
def _axes(dim, ndim):
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    for d in dims:
        if not -ndim <= d < max(ndim, 1):
            raise IndexError(f"dim {d} is out of range for a tensor with {ndim} dimensions.")
    return tuple(d % max(ndim, 1) for d in dims)


class Sum(Function):
    def __init__(self, dim=None, keepdim=False):
        self.dim, self.keepdim = dim, keepdim

    def forward(self, x):
        self.shape = x.shape
        self.axes = _axes(self.dim, x.ndim)
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
        self.axes = _axes(self.dim, x.ndim)
        y = x.max(axis=self.axes, keepdims=True) if self.largest else x.min(axis=self.axes, keepdims=True)
        self.mask = x == y
        return y if self.keepdim else y.squeeze(self.axes)

    def backward(self, gy):
        xp = backend.get_array_module(gy)
        if not self.keepdim:
            gy = xp.expand_dims(gy, self.axes)
        count = self.mask.sum(axis=self.axes, keepdims=True)
        return self.mask * (gy / count).astype(gy.dtype)


class TakeAlongDim(Function):
    """Values at ``index`` along ``dim`` (``max(dim)`` routes its gradient to the returned index)."""

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


# ----- shape ----------------------------------------------------------------------------
class Reshape(Function):
    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.in_shape = x.shape
        return x.reshape(self.shape)

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


def _is_basic_index(index) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return all(i is None or i is Ellipsis or isinstance(i, (int, np.integer, slice)) for i in items)


class GetItem(Function):
    """``x[index]``; backward scatters the gradient back (adding up repeated advanced indices)."""

    def __init__(self, index):
        self.index = index

    def forward(self, x):
        self.shape, self.dtype = x.shape, x.dtype
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
        xp = backend.get_array_module(gy)
        return tuple(xp.take(gy, i, axis=self.dim) for i in range(gy.shape[self.dim]))


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
