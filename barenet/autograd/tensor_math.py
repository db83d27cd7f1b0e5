"""The arithmetic operators and math methods of ``Tensor`` (``+``, ``@``, ``exp``, ``sum``, ``max``...).

They are kept apart from ``tensor.py`` so that file holds only what a tensor *is*; each
method here is one line over a ``Function`` in ``ops.py``.
"""
from __future__ import annotations

from collections import namedtuple
from numbers import Number

import numpy as np

from .. import _args, backend
from . import ops, reduce_ops, select_ops

# What max/min over a dim, sort and topk return, as PyTorch's return types do.
ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])


_FOREIGN = object()


def _operand(x):
    """What arithmetic takes: tensors, numbers, arrays and nested lists pass (NumPy scalars as
    Python numbers, so they don't upcast); anything else is ``_FOREIGN``, for which an operator
    returns NotImplemented, so Python raises its TypeError naming both types (as for PyTorch)."""
    if isinstance(x, (TensorMath, float, int, np.ndarray)):  # the common cases first
        return x
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, (Number, list, tuple)) or hasattr(x, "__array__") or hasattr(x, "__cuda_array_interface__"):
        return x
    return _FOREIGN


def method_operand(op: str, other):
    """``_operand(other)`` for a method spelling (``x.mul(y)``, ``x.add_(y)``), which raises naming
    itself where the operator would return NotImplemented."""
    x = _operand(other)
    if x is _FOREIGN:
        raise TypeError(f"{op}: other must be a Tensor, a number or an array. Received: {type(other).__name__}.")
    return x


class TensorMath:
    """Mixin giving ``Tensor`` its PyTorch-style operators and methods."""

    __slots__ = ()

    # ----- arithmetic ---------------------------------------------------------------
    def __add__(self, other):
        other = _operand(other)
        return NotImplemented if other is _FOREIGN else ops.Add()(self, other)

    def __radd__(self, other):
        other = _operand(other)
        return NotImplemented if other is _FOREIGN else ops.Add()(other, self)

    def __sub__(self, other):
        other = _operand(other)
        return NotImplemented if other is _FOREIGN else ops.Sub()(self, other)

    def __rsub__(self, other):
        other = _operand(other)
        return NotImplemented if other is _FOREIGN else ops.Sub()(other, self)

    def __mul__(self, other):
        other = _operand(other)
        return NotImplemented if other is _FOREIGN else ops.Mul()(self, other)

    def __rmul__(self, other):
        other = _operand(other)
        return NotImplemented if other is _FOREIGN else ops.Mul()(other, self)

    def __truediv__(self, other):
        other = _operand(other)
        return NotImplemented if other is _FOREIGN else ops.Div()(self, other)

    def __rtruediv__(self, other):
        other = _operand(other)
        return NotImplemented if other is _FOREIGN else ops.Div()(other, self)

    def __neg__(self):
        return ops.Neg()(self)

    def __pos__(self):
        return self

    def __pow__(self, exponent):
        if isinstance(exponent, TensorMath):
            return ops.Power()(self, exponent)
        if not isinstance(exponent, (int, float, np.number)):
            raise TypeError(f"pow: the exponent must be a number or a tensor. Received: {type(exponent).__name__}.")
        return ops.Pow(exponent)(self)

    def __rpow__(self, base):
        base = _operand(base)
        return NotImplemented if base is _FOREIGN else ops.Power()(base, self)

    pow = __pow__

    def __matmul__(self, other):
        other = _operand(other)
        return NotImplemented if other is _FOREIGN else ops.MatMul()(self, other)

    def __rmatmul__(self, other):
        other = _operand(other)
        return NotImplemented if other is _FOREIGN else ops.MatMul()(other, self)

    # PyTorch's method spellings of the operators
    neg = __neg__

    def mul(self, other):
        return self * method_operand("mul", other)

    def div(self, other):
        return self / method_operand("div", other)

    def matmul(self, other):
        return self @ method_operand("matmul", other)

    def add(self, other, *, alpha=1):
        """``self + alpha * other``."""
        other = method_operand("add", other)
        return self + (other if alpha == 1 else other * alpha)

    def sub(self, other, *, alpha=1):
        """``self - alpha * other``."""
        other = method_operand("sub", other)
        return self - (other if alpha == 1 else other * alpha)

    def dot(self, other):
        """The inner product of two 1-D tensors of the same size (a 0-d tensor)."""
        expect_tensors("dot", other=other)
        _expect_ranks("dot", 1, self, other)
        if self.shape != _raw(other).shape:
            raise ValueError(f"dot: the sizes differ. Received: shapes {self.shape} and {_raw(other).shape}.")
        return self @ other

    def outer(self, other):
        """``out[i, j] = self[i] * other[j]`` for two 1-D tensors."""
        expect_tensors("outer", other=other)
        _expect_ranks("outer", 1, self, other)
        return self.reshape(-1, 1) * other

    def mm(self, other):
        """``self @ other`` for two 2-D tensors (``matmul`` broadcasts; this checks, as torch.mm)."""
        _expect_ranks("mm", 2, self, other)
        return self @ other

    def bmm(self, other):
        """Batched ``self @ other`` for two 3-D tensors with the same batch size."""
        _expect_ranks("bmm", 3, self, other)
        if self.shape[0] != _raw(other).shape[0]:
            raise ValueError(f"bmm: the batch sizes differ. Received: shapes {self.shape} and {_raw(other).shape}.")
        return self @ other

    # ----- masking -------------------------------------------------------------------------
    def masked_fill(self, mask, value):
        """``value`` where ``mask`` is true, ``self`` elsewhere; the gradient flows to ``self``'s
        unmasked elements."""
        return ops.Where(_raw(mask))(value, self)

    # ----- elementwise functions -------------------------------------------------------
    def exp(self):
        return ops.Unary("exp")(self)

    def log(self):
        return ops.Unary("log")(self)

    def sqrt(self):
        return ops.Sqrt()(self)

    def expm1(self):
        return ops.Unary("expm1")(self)

    def log1p(self):
        return ops.Unary("log1p")(self)

    def reciprocal(self):
        return ops.Unary("reciprocal")(self)

    def rsqrt(self):
        return ops.Unary("rsqrt")(self)

    def sin(self):
        return ops.Unary("sin")(self)

    def cos(self):
        return ops.Unary("cos")(self)

    def square(self):
        return self * self

    def maximum(self, other):
        """Elementwise maximum (broadcasting); a tie sends half the gradient to each, as PyTorch."""
        expect_tensors("maximum", other=other)
        return ops.Maximum()(self, other)

    def minimum(self, other):
        expect_tensors("minimum", other=other)
        return ops.Minimum()(self, other)

    def where(self, condition, other):
        """``self`` where ``condition`` holds, ``other`` elsewhere (``barenet.where(condition, self, other)``)."""
        return ops.Where(_raw(condition))(self, _operand(other))

    def abs(self):
        return ops.Abs()(self)

    def clamp(self, min=None, max=None):
        """Clip to ``[min, max]`` (numbers, or tensors that broadcast to this one's shape and get no
        gradient); the gradient passes where the input lies inside."""
        return ops.Clamp(*clamp_bounds("clamp", self, min, max))(self)

    def prod(self, dim: int | None = None, keepdim: bool = False):
        """The product of all elements, or over one ``dim``."""
        if dim is not None:
            dim = reduce_ops.check_dim("prod", dim, max(self.ndim, 1)) if self.ndim else None
        return reduce_ops.Prod(dim, keepdim)(self)

    def norm(self, p=2, dim=None, keepdim: bool = False):
        """The p-norm (``p`` > 0, or ``inf``: the largest magnitude) over ``dim`` (all by default)."""
        if p == np.inf:
            return self.abs().amax(dim, keepdim)
        if not isinstance(p, (int, float, np.number)) or isinstance(p, bool) or not p > 0:
            raise ValueError(f"norm: p must be a positive number or inf. Received: p={p!r}.")
        return reduce_ops.Norm(float(p), dim, keepdim)(self)

    def round(self):
        return ops.Step("round")(self)

    def floor(self):
        return ops.Step("floor")(self)

    def ceil(self):
        return ops.Step("ceil")(self)

    def trunc(self):
        return ops.Step("trunc")(self)

    def sign(self):
        return ops.Step("sign")(self)

    def cumsum(self, dim: int):
        dim = reduce_ops.check_dim("cumsum", dim, max(self.ndim, 1))
        return reduce_ops.CumSum(dim)(self) if self.ndim else self * 1  # a 0-d tensor is its own running sum

    clip = clamp

    # ----- reductions ------------------------------------------------------------------
    def sum(self, dim=None, keepdim: bool = False):
        return reduce_ops.Sum(dim, keepdim)(self)

    def mean(self, dim=None, keepdim: bool = False):
        if self.dtype.kind not in "fc":
            raise TypeError(f"mean: needs a floating-point tensor. Received: dtype={self.dtype}.")
        return reduce_ops.Mean(dim, keepdim)(self)

    def var(self, dim=None, keepdim: bool = False, unbiased: bool = True):
        """Variance over ``dim``; divides by n - 1 when ``unbiased`` (NaN for n = 1, as in PyTorch)."""
        centred = self - self.mean(dim, keepdim=True)
        n = int(np.prod([self.shape[d] for d in reduce_ops.reduction_axes("var", dim, self.ndim)]))
        denominator = n - int(unbiased)
        squares = (centred * centred).sum(dim, keepdim=keepdim)
        return squares / denominator if denominator > 0 else squares * float("nan")

    def std(self, dim=None, keepdim: bool = False, unbiased: bool = True):
        """Standard deviation over ``dim``; its gradient is 0 where it is 0, as in PyTorch."""
        return ops.Sqrt(zero_at_zero=True)(self.var(dim, keepdim, unbiased))

    def _scalar_at_index_zero(self, op: str, dim: int):
        """What ``op`` over ``dim`` (0 or -1, as in PyTorch) gives for a 0-d tensor: the value
        itself, at index 0."""
        reduce_ops.check_dim(op, dim, 1)
        xp = backend.get_array_module(self.data)
        return ValuesIndices(self.reshape(()), self._wrap(xp.zeros((), dtype=np.int64)))

    def _extreme(self, dim, keepdim, largest):
        if dim is None:
            return reduce_ops.Amax(None, False, largest)(self)
        if self.ndim == 0:
            return self._scalar_at_index_zero("max" if largest else "min", dim)
        dim = reduce_ops.check_dim("max" if largest else "min", dim, self.ndim)
        xp = backend.get_array_module(self.data)
        arg = xp.argmax if largest else xp.argmin  # the first of tied extremes, as PyTorch on CPU
        index = xp.expand_dims(arg(self.data, axis=dim), dim)
        values = select_ops.TakeAlongDim(index, dim)(self)
        if not keepdim:
            values, index = values.squeeze(dim), index.squeeze(dim)
        return ValuesIndices(values, self._wrap(index))

    def max(self, dim: int | None = None, keepdim: bool = False):
        """The maximum; with ``dim``, a ``(values, indices)`` pair as in PyTorch."""
        return self._extreme(dim, keepdim, True)

    def min(self, dim: int | None = None, keepdim: bool = False):
        return self._extreme(dim, keepdim, False)

    def sort(self, dim: int = -1, descending: bool = False):
        """``(values, indices)`` sorted along ``dim``, ties in their order; the gradient of
        ``values`` goes back to the elements they came from."""
        if self.ndim == 0:
            return self._scalar_at_index_zero("sort", dim)
        dim = reduce_ops.check_dim("sort", dim, self.ndim)
        xp = backend.get_array_module(self.data)
        key = self.data if self.data.dtype.kind == "f" else self.data.astype(np.int64)
        index = xp.argsort(-key if descending else key, axis=dim, kind="stable")
        return ValuesIndices(select_ops.TakeAlongDim(index, dim)(self), self._wrap(index))

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
        """The ``k`` largest (or smallest) values along ``dim`` and their indices, largest (or
        smallest) first; ``sorted`` is accepted for PyTorch compatibility (the result is sorted)."""
        n = self.shape[reduce_ops.check_dim("topk", dim, self.ndim)] if self.ndim else 1
        k = _args.integer("topk", "k", k, minimum=0)
        if k > n:
            raise ValueError(f"topk: k must be at most the size {n} of dim {dim}. Received: k={k}.")
        values, index = self.sort(dim, descending=largest)
        if self.ndim == 0:
            return ValuesIndices(values, index)
        window = (slice(None),) * (dim % self.ndim) + (slice(0, k),)
        return ValuesIndices(values[window], index[window])

    def amax(self, dim=None, keepdim: bool = False):
        return reduce_ops.Amax(dim, keepdim, True)(self)

    def amin(self, dim=None, keepdim: bool = False):
        return reduce_ops.Amax(dim, keepdim, False)(self)

    def argmax(self, dim: int | None = None, keepdim: bool = False):
        xp = backend.get_array_module(self.data)
        return self._wrap(xp.argmax(self.data, axis=dim, keepdims=keepdim))

    def argmin(self, dim: int | None = None, keepdim: bool = False):
        xp = backend.get_array_module(self.data)
        return self._wrap(xp.argmin(self.data, axis=dim, keepdims=keepdim))


def _raw(x):
    return x.data if isinstance(x, TensorMath) else x


def _expect_ranks(op: str, ndim: int, *tensors) -> None:
    shapes = [tuple(_raw(t).shape) for t in tensors]
    if any(len(s) != ndim for s in shapes):
        raise ValueError(f"{op}: expects {ndim}-D tensors. Received: shapes {' and '.join(map(str, shapes))}.")


def expect_tensors(op: str, optional: tuple = (), **arguments) -> None:
    """A ``TypeError`` naming ``op`` and the argument for each value that is not a Tensor (the
    names in ``optional`` may also be None), as PyTorch refuses arrays and numbers there."""
    for name, value in arguments.items():
        if not isinstance(value, TensorMath) and not (value is None and name in optional):
            expected = "a Tensor or None" if name in optional else "a Tensor"
            raise TypeError(f"{op}: {name} must be {expected}. Received: {type(value).__name__}.")


def clamp_bounds(op: str, t, lo, hi) -> tuple:
    """``clamp``'s bounds as numbers or arrays (from tensors) that broadcast to ``t``'s shape."""
    if lo is None and hi is None:
        raise ValueError(f"{op}: at least one of min and max must be given.")
    bounds = []
    for name, value in (("min", lo), ("max", hi)):
        v = None if value is None else _raw(_operand(value))
        if v is not None and not isinstance(v, Number):
            if getattr(v, "dtype", np.dtype(object)).kind not in "biuf":
                raise TypeError(f"{op}: {name} must be a number, a Tensor or None. Received: {type(value).__name__}.")
            if not broadcasts_to(v.shape, t.shape):
                raise ValueError(f"{op}: {name} of shape {v.shape} does not broadcast to the input's {t.shape}.")
        bounds.append(v)
    return tuple(bounds)


def broadcasts_to(shape: tuple, target: tuple) -> bool:
    try:
        return np.broadcast_shapes(tuple(shape), tuple(target)) == tuple(target)
    except ValueError:
        return False
