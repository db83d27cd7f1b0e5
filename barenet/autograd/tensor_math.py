"""The operators and methods of ``Tensor`` (``+``, ``@``, ``sum``, ``reshape``, indexing...).

They are kept apart from ``tensor.py`` so that file holds only what a tensor *is*; each
method here is one line over a ``Function`` in ``ops.py``.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from .. import backend
from . import ops

min_max = namedtuple("min_max", ["values", "indices"])


def _operand(x):
    """Tensors pass as they are; NumPy scalars become Python numbers so they don't upcast."""
    return x.item() if isinstance(x, np.generic) else x


def _shape_args(shape) -> tuple:
    return tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else tuple(shape)


class TensorMath:
    """Mixin giving ``Tensor`` its PyTorch-style operators and methods."""

    __slots__ = ()

    # ----- arithmetic ---------------------------------------------------------------
    def __add__(self, other):
        return ops.Add()(self, _operand(other))

    def __radd__(self, other):
        return ops.Add()(_operand(other), self)

    def __sub__(self, other):
        return ops.Sub()(self, _operand(other))

    def __rsub__(self, other):
        return ops.Sub()(_operand(other), self)

    def __mul__(self, other):
        return ops.Mul()(self, _operand(other))

    def __rmul__(self, other):
        return ops.Mul()(_operand(other), self)

    def __truediv__(self, other):
        return ops.Div()(self, _operand(other))

    def __rtruediv__(self, other):
        return ops.Div()(_operand(other), self)

    def __neg__(self):
        return ops.Neg()(self)

    def __pos__(self):
        return self

    def __pow__(self, exponent):
        if not isinstance(exponent, (int, float, np.number)):
            raise TypeError(
                f"pow: the exponent must be a number. Received: {type(exponent).__name__}; "
                "for a tensor exponent use exp(b * log(a))."
            )
        return ops.Pow(exponent)(self)

    def __rpow__(self, base):
        return (self * float(np.log(base))).exp()

    def __matmul__(self, other):
        return ops.MatMul()(self, other)

    def __rmatmul__(self, other):
        return ops.MatMul()(other, self)

    # ----- comparisons (no gradient) -----------------------------------------------------
    def _compare(self, other, op):
        other = other.data if isinstance(other, TensorMath) else other
        return self._wrap(op(self.data, other))

    def __eq__(self, other):
        return self._compare(other, np.equal)

    def __ne__(self, other):
        return self._compare(other, np.not_equal)

    def __lt__(self, other):
        return self._compare(other, np.less)

    def __le__(self, other):
        return self._compare(other, np.less_equal)

    def __gt__(self, other):
        return self._compare(other, np.greater)

    def __ge__(self, other):
        return self._compare(other, np.greater_equal)

    __hash__ = object.__hash__

    # ----- elementwise functions -------------------------------------------------------
    def exp(self):
        return ops.Exp()(self)

    def log(self):
        return ops.Log()(self)

    def sqrt(self):
        return ops.Sqrt()(self)

    def abs(self):
        return ops.Abs()(self)

    def clamp(self, min=None, max=None):
        return ops.Clamp(min, max)(self)

    clip = clamp

    # ----- reductions ------------------------------------------------------------------
    def sum(self, dim=None, keepdim: bool = False):
        return ops.Sum(dim, keepdim)(self)

    def mean(self, dim=None, keepdim: bool = False):
        if self.dtype.kind not in "fc":
            raise TypeError(f"mean: needs a floating-point tensor. Received: dtype={self.dtype}.")
        return ops.Mean(dim, keepdim)(self)

    def var(self, dim=None, keepdim: bool = False, unbiased: bool = True):
        centred = self - self.mean(dim, keepdim=True)
        n = self.numel() // max(centred.sum(dim, keepdim=keepdim).numel(), 1)
        return (centred * centred).sum(dim, keepdim=keepdim) / max(n - int(unbiased), 1)

    def std(self, dim=None, keepdim: bool = False, unbiased: bool = True):
        return self.var(dim, keepdim, unbiased).sqrt()

    def _extreme(self, dim, keepdim, largest):
        if dim is None:
            return ops.Amax(None, False, largest)(self)
        xp = backend.get_array_module(self.data)
        arg = xp.argmax if largest else xp.argmin
        index = xp.expand_dims(arg(self.data, axis=dim), dim)
        values = ops.TakeAlongDim(index, dim)(self)
        if not keepdim:
            values, index = values.squeeze(dim), index.squeeze(dim)
        return min_max(values, self._wrap(index))

    def max(self, dim: int | None = None, keepdim: bool = False):
        """The maximum; with ``dim``, a ``(values, indices)`` pair as in PyTorch."""
        return self._extreme(dim, keepdim, True)

    def min(self, dim: int | None = None, keepdim: bool = False):
        return self._extreme(dim, keepdim, False)

    def amax(self, dim=None, keepdim: bool = False):
        return ops.Amax(dim, keepdim, True)(self)

    def amin(self, dim=None, keepdim: bool = False):
        return ops.Amax(dim, keepdim, False)(self)

    def argmax(self, dim: int | None = None, keepdim: bool = False):
        xp = backend.get_array_module(self.data)
        return self._wrap(xp.argmax(self.data, axis=dim, keepdims=keepdim))

    def argmin(self, dim: int | None = None, keepdim: bool = False):
        xp = backend.get_array_module(self.data)
        return self._wrap(xp.argmin(self.data, axis=dim, keepdims=keepdim))

    # ----- shape -----------------------------------------------------------------------
    def reshape(self, *shape):
        return ops.Reshape(_shape_args(shape))(self)

    view = reshape

    def flatten(self, start_dim: int = 0, end_dim: int = -1):
        nd = max(self.ndim, 1)
        start, end = start_dim % nd, end_dim % nd
        shape = self.shape[:start] + (-1,) + self.shape[end + 1:]
        return self.reshape(shape)

    def permute(self, *dims):
        dims = _shape_args(dims)
        if sorted(d % self.ndim for d in dims) != list(range(self.ndim)):
            raise ValueError(f"permute: dims must be a permutation of 0..{self.ndim - 1}. Received: dims={dims}.")
        return ops.Permute(tuple(d % self.ndim for d in dims))(self)

    def transpose(self, dim0: int, dim1: int):
        axes = list(range(self.ndim))
        axes[dim0], axes[dim1] = axes[dim1], axes[dim0]
        return ops.Permute(tuple(axes))(self)

    def t(self):
        if self.ndim > 2:
            raise ValueError(f"t: expects a tensor with <= 2 dimensions. Received: shape={self.shape}.")
        return self if self.ndim < 2 else self.transpose(0, 1)

    @property
    def T(self):
        return ops.Permute(tuple(reversed(range(self.ndim))))(self)

    def unsqueeze(self, dim: int):
        dim = dim % (self.ndim + 1)
        return self.reshape(self.shape[:dim] + (1,) + self.shape[dim:])

    def squeeze(self, dim: int | None = None):
        if dim is None:
            return self.reshape(tuple(n for n in self.shape if n != 1))
        dim = dim % max(self.ndim, 1)
        if self.shape[dim] != 1:
            return self
        return self.reshape(self.shape[:dim] + self.shape[dim + 1:])

    def expand(self, *sizes):
        sizes = _shape_args(sizes)
        lead = len(sizes) - self.ndim
        shape = tuple(self.shape[i - lead] if n == -1 else n for i, n in enumerate(sizes))
        return ops.Expand(shape)(self)

    def contiguous(self):
        return self

    # ----- indexing --------------------------------------------------------------------
    def __getitem__(self, index):
        return ops.GetItem(_raw_index(index))(self)

    def __setitem__(self, index, value):
        if self.requires_grad:
            raise RuntimeError(
                "setitem: in-place assignment to a tensor that requires grad would corrupt its "
                "gradient; assign to t.data or use a new tensor."
            )
        self.data[_raw_index(index)] = value.data if isinstance(value, TensorMath) else value

    # ----- in-place helpers for init and optimizers (no graph) -------------------------------
    def fill_(self, value):
        self.data[...] = value
        return self

    def copy_(self, src):
        self.data[...] = src.data if isinstance(src, TensorMath) else src
        return self


def _raw_index(index):
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, TensorMath) else i for i in index)
    return index.data if isinstance(index, TensorMath) else index
