"""The tensor algebra: arithmetic, elementwise functions and reductions, each a ``Function``.

Binary ops broadcast like NumPy; their backward sums the gradient back over the broadcast
dimensions (``unbroadcast``), so each operand receives a gradient of its own shape.
"""
from __future__ import annotations

import numpy as np

from .. import backend
from .function import Function

_F64 = np.dtype(np.float64)


def unbroadcast(g, shape: tuple):
    """Sum ``g`` over the dimensions that broadcasting added or stretched, to get ``shape``."""
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1
    )
    return g.sum(axis=axes, keepdims=True).reshape(shape)


def torch_promote(y, a, b):
    """Give ``y = a (op) b`` PyTorch's result dtype where NumPy's differs.

    NumPy makes float64 from an int tensor with a Python float, from int / int, and from a
    float32 tensor with a 0-d float64 one; PyTorch keeps its default float32 in all three (a
    0-d tensor or a Python number never promotes a dimensioned tensor of the same kind).
    Only float64 results need a look, so the float32 hot path pays one comparison.
    """
    if y.dtype is not _F64:
        return y
    arrays = [x for x in (a, b) if hasattr(x, "dtype")]
    dimensioned = [x for x in arrays if x.ndim and x.dtype.kind == "f"]
    if any(x.dtype == _F64 for x in dimensioned or arrays):
        return y
    return y.astype(np.float32)


# ----- elementwise arithmetic -----------------------------------------------------------
# The binary ops keep references to their operands (not copies: the graph holds the input
# tensors anyway) and read shapes in backward, only of operands that need a gradient (always
# arrays): np.shape on a Python number in every forward would cost a microsecond.
class Add(Function):
    broadcasts = "add"

    def forward(self, a, b):
        self.a, self.b = a, b
        return torch_promote(a + b, a, b)

    def backward(self, gy):
        na, nb = self.needs_input_grad
        return (unbroadcast(gy, self.a.shape) if na else None,
                unbroadcast(gy, self.b.shape) if nb else None)


class Sub(Function):
    broadcasts = "sub"

    def forward(self, a, b):
        self.a, self.b = a, b
        return torch_promote(a - b, a, b)

    def backward(self, gy):
        na, nb = self.needs_input_grad
        return (unbroadcast(gy, self.a.shape) if na else None,
                unbroadcast(-gy, self.b.shape) if nb else None)


class Mul(Function):
    broadcasts = "mul"

    def forward(self, a, b):
        self.a, self.b = a, b
        return torch_promote(a * b, a, b)

    def backward(self, gy):
        na, nb = self.needs_input_grad
        a, b = self.a, self.b
        return (unbroadcast(gy * b, a.shape) if na else None,
                unbroadcast(gy * a, b.shape) if nb else None)


class Div(Function):
    broadcasts = "div"

    def forward(self, a, b):
        self.a, self.b = a, b
        return torch_promote(a / b, a, b)

    def backward(self, gy):
        na, nb = self.needs_input_grad
        a, b = self.a, self.b
        ga = unbroadcast(gy / b, a.shape) if na else None
        gb = unbroadcast(-gy * a / (b * b), b.shape) if nb else None  # d(a/b)/db = -a/b^2
        return ga, gb


class Neg(Function):
    def forward(self, x):
        return -x

    def backward(self, gy):
        return -gy


class Pow(Function):
    """``x ** p`` for a constant exponent ``p``: dy/dx = p x^(p-1) (0 for p = 0, as in PyTorch)."""

    def __init__(self, exponent: float):
        self.p = exponent.item() if isinstance(exponent, np.generic) else exponent

    def forward(self, x):
        self.x = x
        return torch_promote(x ** self.p, x, self.p)

    def backward(self, gy):
        if self.p == 0:
            return backend.get_array_module(gy).zeros_like(gy)
        return gy * self.p * self.x ** (self.p - 1)


class Power(Function):
    """``a ** b`` with a tensor exponent: dy/da = b a^(b-1), dy/db = y log(a)."""

    broadcasts = "pow"

    def forward(self, a, b):
        self.a, self.b = a, b
        self.y = torch_promote(a ** b, a, b)
        return self.y

    def backward(self, gy):
        na, nb = self.needs_input_grad
        a, b, y = self.a, self.b, self.y
        ga = unbroadcast(gy * b * a ** (b - 1), a.shape) if na else None
        gb = None
        if nb:
            xp = backend.get_array_module(gy)
            # log of a Python-number base in the gradient's dtype, so float32 stays float32
            log_a = xp.log(a if hasattr(a, "dtype") else xp.asarray(a, dtype=gy.dtype))
            gb = unbroadcast(gy * y * log_a, b.shape)
        return ga, gb


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
    """``sqrt(x)``: dy/dx = 1 / (2 y), infinite at 0; ``zero_at_zero`` makes it 0 there instead,
    as PyTorch's ``std`` does for a constant sample."""

    def __init__(self, zero_at_zero: bool = False):
        self.zero_at_zero = zero_at_zero

    def forward(self, x):
        self.y = backend.get_array_module(x).sqrt(x)
        return self.y

    def backward(self, gy):
        if not self.zero_at_zero:
            return gy / (2 * self.y)
        xp = backend.get_array_module(gy)
        positive = self.y > 0
        return xp.where(positive, gy, 0) / (2 * xp.where(positive, self.y, 1))


class Abs(Function):
    def forward(self, x):
        xp = backend.get_array_module(x)
        self.sign = xp.sign(x)
        return xp.abs(x)

    def backward(self, gy):
        return gy * self.sign


class Step(Function):
    """A piecewise-constant function (``round``, ``floor``, ``ceil``, ``trunc``, ``sign``): its
    gradient is 0 wherever it is defined, and PyTorch gives 0 at the steps too."""

    def __init__(self, name: str):
        self.name = name

    def forward(self, x):
        return getattr(backend.get_array_module(x), self.name)(x)

    def backward(self, gy):
        return backend.get_array_module(gy).zeros_like(gy)


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

    broadcasts = "where"

    def __init__(self, condition):
        self.cond = condition

    def forward(self, a, b):
        self.a, self.b = a, b
        return backend.get_array_module(a, b).where(self.cond, a, b)

    def backward(self, gy):
        na, nb = self.needs_input_grad
        zero = gy.dtype.type(0)
        return (unbroadcast(gy * self.cond, self.a.shape) if na else None,
                unbroadcast(backend.get_array_module(gy).where(self.cond, zero, gy), self.b.shape)
                if nb else None)


class MatMul(Function):
    """``a @ b`` with NumPy's rules (1-D operands, broadcast batch dimensions).

    Backward: dL/da = dL/dy @ b^T, dL/db = a^T @ dL/dy, summed over broadcast batch dims.
    """

    broadcasts = "matmul"
    shape_rule = "the first's last dimension must equal the second's next-to-last; the others broadcast"

    def forward(self, a, b):
        self.a, self.b = a, b
        return a @ b

    def backward(self, gy):
        a, b = self.a, self.b
        xp = backend.get_array_module(gy)
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = gy  # restore the dims the 1-D promotion dropped, N's first (vector @ vector gives a 0-d gy)
        if b.ndim == 1:
            g2 = xp.expand_dims(g2, -1)
        if a.ndim == 1:
            g2 = xp.expand_dims(g2, -2)
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
def check_dim(name: str, dim: int, ndim: int) -> int:
    """``dim`` in ``[-ndim, ndim)`` made non-negative, or an IndexError naming the op."""
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
