"""The tensor algebra: arithmetic, elementwise functions and matrix products, each a ``Function``
(reductions are in ``reduce_ops.py``, index selections in ``select_ops.py``).

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
# The binary ops keep references to the operands their gradients read (not copies: the graph
# holds the input tensors anyway). Those whose gradients need only the operands' shapes (add,
# sub, where) save nothing and read the shapes of the recorded input tensors in backward (only
# operands that need a gradient, always tensors), so changing an operand in place later is
# harmless to them, as in PyTorch.
class Add(Function):
    broadcasts = "add"

    def forward(self, a, b):
        return torch_promote(a + b, a, b)

    def backward(self, gy):
        (na, nb), (a, b) = self.needs_input_grad, self.inputs
        return (unbroadcast(gy, a.shape) if na else None,
                unbroadcast(gy, b.shape) if nb else None)


class Sub(Function):
    broadcasts = "sub"

    def forward(self, a, b):
        return torch_promote(a - b, a, b)

    def backward(self, gy):
        (na, nb), (a, b) = self.needs_input_grad, self.inputs
        return (unbroadcast(gy, a.shape) if na else None,
                unbroadcast(-gy, b.shape) if nb else None)


class Mul(Function):
    broadcasts = "mul"

    def forward(self, a, b):
        na, nb = self.needs_input_grad
        self.a, self.b = (a if nb else None), (b if na else None)  # each gradient reads the other operand
        return torch_promote(a * b, a, b)

    def backward(self, gy):
        (na, nb), (a, b) = self.needs_input_grad, self.inputs
        return (unbroadcast(gy * self.b, a.shape) if na else None,
                unbroadcast(gy * self.a, b.shape) if nb else None)


class Div(Function):
    broadcasts = "div"

    def forward(self, a, b):
        na, nb = self.needs_input_grad
        self.a, self.b = (a if nb else None), (b if na or nb else None)
        return torch_promote(a / b, a, b)

    def backward(self, gy):
        (na, nb), (a, b) = self.needs_input_grad, self.inputs
        ga = unbroadcast(gy / self.b, a.shape) if na else None
        gb = unbroadcast(-gy * self.a / (self.b * self.b), b.shape) if nb else None  # d(a/b)/db = -a/b^2
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
        na, nb = self.needs_input_grad
        y = torch_promote(a ** b, a, b)
        self.a, self.b, self.y = a, (b if na else None), (y if nb else None)
        return y

    def backward(self, gy):
        (na, nb), (ta, tb) = self.needs_input_grad, self.inputs
        a, b, y = self.a, self.b, self.y
        ga = unbroadcast(gy * b * a ** (b - 1), ta.shape) if na else None
        gb = None
        if nb:
            xp = backend.get_array_module(gy)
            # log of a Python-number base in the gradient's dtype, so float32 stays float32
            log_a = xp.log(a if hasattr(a, "dtype") else xp.asarray(a, dtype=gy.dtype))
            gb = unbroadcast(gy * y * log_a, tb.shape)
        return ga, gb


def floating(x):
    """Integer and bool arrays as float32 (PyTorch's default dtype), as its float functions take them."""
    return x if x.dtype.kind in "fc" else x.astype(np.float32)


#  name: (y = f(x), whether f' reads x or y, f')
_UNARY = {
    "exp": (lambda xp, x: xp.exp(x), "y", lambda xp, y: y),
    "expm1": (lambda xp, x: xp.expm1(x), "y", lambda xp, y: y + 1),
    "log": (lambda xp, x: xp.log(x), "x", lambda xp, x: 1 / x),
    "log1p": (lambda xp, x: xp.log1p(x), "x", lambda xp, x: 1 / (1 + x)),
    "reciprocal": (lambda xp, x: 1 / x, "y", lambda xp, y: -(y * y)),
    "rsqrt": (lambda xp, x: 1 / xp.sqrt(x), "y", lambda xp, y: -0.5 * y * y * y),
    "sin": (lambda xp, x: xp.sin(x), "x", lambda xp, x: xp.cos(x)),
    "cos": (lambda xp, x: xp.cos(x), "x", lambda xp, x: -xp.sin(x)),
}


class Unary(Function):
    """An elementwise function of ``_UNARY``: y = f(x), dL/dx = dL/dy * f'(x), with f' written in
    whichever of x or y it needs (exp: f' = y; log: 1/x; expm1: y + 1; log1p: 1/(1 + x);
    reciprocal: -y^2; rsqrt, y = x^(-1/2): -y^3/2; sin: cos x; cos: -sin x), and only that kept."""

    def __init__(self, name: str):
        self.name = name
        self.f, self.reads, self.df = _UNARY[name]

    def forward(self, x):
        x = floating(x)
        y = self.f(backend.get_array_module(x), x)
        self.saved = x if self.reads == "x" else y
        return y

    def backward(self, gy):
        return gy * self.df(backend.get_array_module(gy), self.saved)

    def __repr__(self) -> str:
        return f"<{self.name.capitalize()}Backward>"


class Sqrt(Function):
    """``sqrt(x)``: dy/dx = 1 / (2 y), infinite at 0; ``zero_at_zero`` makes it 0 there instead,
    as PyTorch's ``std`` does for a constant sample."""

    def __init__(self, zero_at_zero: bool = False):
        self.zero_at_zero = zero_at_zero

    def forward(self, x):
        self.y = backend.get_array_module(x).sqrt(floating(x))
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
        return backend.get_array_module(a, b).where(self.cond, a, b)

    def backward(self, gy):
        (na, nb), (a, b) = self.needs_input_grad, self.inputs
        zero = gy.dtype.type(0)
        return (unbroadcast(gy * self.cond, a.shape) if na else None,
                unbroadcast(backend.get_array_module(gy).where(self.cond, zero, gy), b.shape)
                if nb else None)


class Maximum(Function):
    """Elementwise ``max(a, b)``: the gradient goes to the larger operand, half to each where
    they tie (PyTorch's rule), summed back over broadcast dims."""

    broadcasts = "maximum"
    larger = True

    def forward(self, a, b):
        self.a, self.b = a, b
        xp = backend.get_array_module(a, b)
        return torch_promote(xp.maximum(a, b) if self.larger else xp.minimum(a, b), a, b)

    def backward(self, gy):
        na, nb = self.needs_input_grad
        xp = backend.get_array_module(gy)
        wins = self.a > self.b if self.larger else self.a < self.b
        share = xp.where(wins, gy.dtype.type(1), xp.where(self.a == self.b, gy.dtype.type(0.5), gy.dtype.type(0)))
        return (unbroadcast(gy * share, self.a.shape) if na else None,
                unbroadcast(gy * (1 - share), self.b.shape) if nb else None)


class Minimum(Maximum):
    """Elementwise ``min(a, b)``, the gradient routed as ``Maximum``'s to the smaller operand."""

    broadcasts = "minimum"
    larger = False


def shape_of(x) -> tuple:
    """The shape of a recorded input that need not be a tensor (an array or a nested list):
    matmul's backward needs both operands' shapes; the other ops read only those of operands
    that need a gradient, which are tensors."""
    return x.shape if hasattr(x, "shape") else np.shape(x)


class MatMul(Function):
    """``a @ b`` with NumPy's rules (1-D operands, broadcast batch dimensions).

    Backward: dL/da = dL/dy @ b^T, dL/db = a^T @ dL/dy, summed over broadcast batch dims.
    """

    broadcasts = "matmul"
    shape_rule = "the first's last dimension must equal the second's next-to-last; the others broadcast"

    def forward(self, a, b):
        na, nb = self.needs_input_grad
        self.a, self.b = (a if nb else None), (b if na else None)  # dL/da reads b, dL/db reads a
        return a @ b

    def backward(self, gy):
        xp = backend.get_array_module(gy)
        (na, nb), (a, b) = self.needs_input_grad, self.inputs
        a_shape, b_shape = shape_of(a), shape_of(b)
        a2_shape = (1,) + a_shape if len(a_shape) == 1 else a_shape
        b2_shape = b_shape + (1,) if len(b_shape) == 1 else b_shape
        g2 = gy  # restore the dims the 1-D promotion dropped, N's first (vector @ vector gives a 0-d gy)
        if len(b_shape) == 1:
            g2 = xp.expand_dims(g2, -1)
        if len(a_shape) == 1:
            g2 = xp.expand_dims(g2, -2)
        ga = gb = None
        if na:
            ga = g2 @ xp.swapaxes(self.b.reshape(b2_shape), -1, -2)
            ga = unbroadcast(ga, a2_shape).reshape(a_shape)
        if nb:
            gb = xp.swapaxes(self.a.reshape(a2_shape), -1, -2) @ g2
            gb = unbroadcast(gb, b2_shape).reshape(b_shape)
        return ga, gb
