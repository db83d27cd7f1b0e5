"""The operators and methods of ``Tensor`` (``+``, ``@``, ``sum``, ``reshape``, indexing...).

They are kept apart from ``tensor.py`` so that file holds only what a tensor *is*; each
method here is one line over a ``Function`` in ``ops.py``.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from .. import _args, backend
from . import ops, shape_ops
from .grad_mode import is_grad_enabled

# What max/min over a dim, sort and topk return, as PyTorch's return types do.
ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])


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
        if isinstance(exponent, TensorMath):
            return ops.Power()(self, exponent)
        if not isinstance(exponent, (int, float, np.number)):
            raise TypeError(f"pow: the exponent must be a number or a tensor. Received: {type(exponent).__name__}.")
        return ops.Pow(exponent)(self)

    def __rpow__(self, base):
        return ops.Power()(_operand(base), self)

    pow = __pow__

    def __matmul__(self, other):
        return ops.MatMul()(self, other)

    def __rmatmul__(self, other):
        return ops.MatMul()(other, self)

    # PyTorch's method spellings of the operators
    add, sub, mul, div, neg, matmul = __add__, __sub__, __mul__, __truediv__, __neg__, __matmul__

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

    # ----- comparisons (no gradient) -----------------------------------------------------
    def __eq__(self, other):
        return self._wrap(self.data == _raw(other))

    def __ne__(self, other):
        return self._wrap(self.data != _raw(other))

    def __lt__(self, other):
        return self._wrap(self.data < _raw(other))

    def __le__(self, other):
        return self._wrap(self.data <= _raw(other))

    def __gt__(self, other):
        return self._wrap(self.data > _raw(other))

    def __ge__(self, other):
        return self._wrap(self.data >= _raw(other))

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

    # ----- predicates (no gradient) --------------------------------------------------------
    def all(self, dim=None, keepdim: bool = False):
        return self._wrap(backend.get_array_module(self.data).all(self.data, axis=dim, keepdims=keepdim))

    def any(self, dim=None, keepdim: bool = False):
        return self._wrap(backend.get_array_module(self.data).any(self.data, axis=dim, keepdims=keepdim))

    def isnan(self):
        return self._wrap(backend.get_array_module(self.data).isnan(self.data))

    def isfinite(self):
        return self._wrap(backend.get_array_module(self.data).isfinite(self.data))

    def masked_fill(self, mask, value):
        """``value`` where ``mask`` is true, ``self`` elsewhere; the gradient flows to ``self``'s
        unmasked elements."""
        return ops.Where(_raw(mask))(value, self)

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

    def prod(self, dim: int | None = None, keepdim: bool = False):
        """The product of all elements, or over one ``dim``."""
        if dim is not None:
            dim = ops.check_dim("prod", dim, max(self.ndim, 1)) if self.ndim else None
        return ops.Prod(dim, keepdim)(self)

    def norm(self, p=2, dim=None, keepdim: bool = False):
        """The p-norm (``p`` > 0, or ``inf``: the largest magnitude) over ``dim`` (all by default)."""
        if p == np.inf:
            return self.abs().amax(dim, keepdim)
        if not isinstance(p, (int, float, np.number)) or isinstance(p, bool) or not p > 0:
            raise ValueError(f"norm: p must be a positive number or inf. Received: p={p!r}.")
        return ops.Norm(float(p), dim, keepdim)(self)

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
        dim = ops.check_dim("cumsum", dim, max(self.ndim, 1))
        return ops.CumSum(dim)(self) if self.ndim else self * 1  # a 0-d tensor is its own running sum

    clip = clamp

    # ----- reductions ------------------------------------------------------------------
    def sum(self, dim=None, keepdim: bool = False):
        return ops.Sum(dim, keepdim)(self)

    def mean(self, dim=None, keepdim: bool = False):
        if self.dtype.kind not in "fc":
            raise TypeError(f"mean: needs a floating-point tensor. Received: dtype={self.dtype}.")
        return ops.Mean(dim, keepdim)(self)

    def var(self, dim=None, keepdim: bool = False, unbiased: bool = True):
        """Variance over ``dim``; divides by n - 1 when ``unbiased`` (NaN for n = 1, as in PyTorch)."""
        centred = self - self.mean(dim, keepdim=True)
        n = int(np.prod([self.shape[d] for d in ops.reduction_axes("var", dim, self.ndim)]))
        denominator = n - int(unbiased)
        squares = (centred * centred).sum(dim, keepdim=keepdim)
        return squares / denominator if denominator > 0 else squares * float("nan")

    def std(self, dim=None, keepdim: bool = False, unbiased: bool = True):
        """Standard deviation over ``dim``; its gradient is 0 where it is 0, as in PyTorch."""
        return ops.Sqrt(zero_at_zero=True)(self.var(dim, keepdim, unbiased))

    def _scalar_at_index_zero(self, op: str, dim: int):
        """What ``op`` over ``dim`` (0 or -1, as in PyTorch) gives for a 0-d tensor: the value
        itself, at index 0."""
        ops.check_dim(op, dim, 1)
        xp = backend.get_array_module(self.data)
        return ValuesIndices(self.reshape(()), self._wrap(xp.zeros((), dtype=np.int64)))

    def _extreme(self, dim, keepdim, largest):
        if dim is None:
            return ops.Amax(None, False, largest)(self)
        if self.ndim == 0:
            return self._scalar_at_index_zero("max" if largest else "min", dim)
        dim = ops.check_dim("max" if largest else "min", dim, self.ndim)
        xp = backend.get_array_module(self.data)
        arg = xp.argmax if largest else xp.argmin  # the first of tied extremes, as PyTorch on CPU
        index = xp.expand_dims(arg(self.data, axis=dim), dim)
        values = ops.TakeAlongDim(index, dim)(self)
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
        dim = ops.check_dim("sort", dim, self.ndim)
        xp = backend.get_array_module(self.data)
        key = self.data if self.data.dtype.kind == "f" else self.data.astype(np.int64)
        index = xp.argsort(-key if descending else key, axis=dim, kind="stable")
        return ValuesIndices(ops.TakeAlongDim(index, dim)(self), self._wrap(index))

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
        """The ``k`` largest (or smallest) values along ``dim`` and their indices, largest (or
        smallest) first; ``sorted`` is accepted for PyTorch compatibility (the result is sorted)."""
        n = self.shape[ops.check_dim("topk", dim, self.ndim)] if self.ndim else 1
        k = _args.integer("topk", "k", k, minimum=0)
        if k > n:
            raise ValueError(f"topk: k must be at most the size {n} of dim {dim}. Received: k={k}.")
        values, index = self.sort(dim, descending=largest)
        if self.ndim == 0:
            return ValuesIndices(values, index)
        window = (slice(None),) * (dim % self.ndim) + (slice(0, k),)
        return ValuesIndices(values[window], index[window])

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
        return shape_ops.Reshape(_shape_args(shape))(self)

    view = reshape

    def flatten(self, start_dim: int = 0, end_dim: int = -1):
        nd = max(self.ndim, 1)
        start, end = start_dim % nd, end_dim % nd
        shape = self.shape[:start] + (-1,) + self.shape[end + 1:]
        return self.reshape(shape)

    def permute(self, *dims):
        dims = _shape_args(dims)
        if len(dims) != self.ndim or sorted(ops.check_dim("permute", d, self.ndim) for d in dims) != list(range(self.ndim)):
            expected = f"a permutation of 0..{self.ndim - 1}" if self.ndim else "empty for a 0-d tensor"
            raise ValueError(f"permute: dims must be {expected}, one per dimension. "
                             f"Received: dims={dims} for shape {self.shape}.")
        return shape_ops.Permute(tuple(d % self.ndim for d in dims))(self)

    def transpose(self, dim0: int, dim1: int):
        nd = max(self.ndim, 1)  # a 0-d tensor accepts dim 0 or -1, as in PyTorch
        dim0, dim1 = ops.check_dim("transpose", dim0, nd), ops.check_dim("transpose", dim1, nd)
        if self.ndim == 0:
            return self
        axes = list(range(self.ndim))
        axes[dim0], axes[dim1] = axes[dim1], axes[dim0]
        return shape_ops.Permute(tuple(axes))(self)

    def t(self):
        if self.ndim > 2:
            raise ValueError(f"t: expects a tensor with <= 2 dimensions. Received: shape={self.shape}.")
        return self if self.ndim < 2 else self.transpose(0, 1)

    @property
    def T(self):
        return shape_ops.Permute(tuple(reversed(range(self.ndim))))(self)

    def split(self, split_size_or_sections, dim: int = 0) -> tuple:
        """Pieces of ``split_size`` along ``dim`` (the last may be shorter), or of the given sizes."""
        dim = ops.check_dim("split", dim, self.ndim)
        n = self.shape[dim]
        if isinstance(split_size_or_sections, (list, tuple)):
            sizes = [int(s) for s in split_size_or_sections]
            if sum(sizes) != n or min(sizes, default=0) < 0:
                raise ValueError(f"split: the sizes {sizes} must be non-negative and add up to {n}, the size "
                                 f"of dim {dim}. Received: shape={self.shape}.")
        else:
            size = int(split_size_or_sections)
            if size <= 0:
                raise ValueError(f"split: split_size must be positive. Received: split_size={split_size_or_sections!r}.")
            sizes = [min(size, n - start) for start in range(0, n, size)] or [0]
        bounds = np.cumsum([0] + sizes)
        lead = (slice(None),) * dim
        return tuple(self[lead + (slice(int(a), int(b)),)] for a, b in zip(bounds[:-1], bounds[1:]))

    def chunk(self, chunks: int, dim: int = 0) -> tuple:
        """At most ``chunks`` pieces of equal size along ``dim`` (the last may be smaller), as torch."""
        if int(chunks) < 1:
            raise ValueError(f"chunk: chunks must be positive. Received: chunks={chunks!r}.")
        n = self.shape[ops.check_dim("chunk", dim, self.ndim)]
        return self.split(max(1, -(-n // int(chunks))), dim)

    def repeat(self, *repeats):
        """Tile along each dim (``repeats`` has at least ``ndim`` entries; extra ones add leading dims)."""
        repeats = _shape_args(repeats)
        if len(repeats) < self.ndim or any(not _is_integer(r) or r < 0 for r in repeats):
            raise ValueError(f"repeat: expects one non-negative int per dim (at least {self.ndim}). "
                             f"Received: repeats={repeats} for shape {self.shape}.")
        return shape_ops.Repeat(tuple(int(r) for r in repeats))(self)

    def unbind(self, dim: int = 0) -> tuple:
        """The slices along ``dim``, that dim removed."""
        dim = ops.check_dim("unbind", dim, self.ndim)
        lead = (slice(None),) * dim
        return tuple(self[lead + (i,)] for i in range(self.shape[dim]))

    def unsqueeze(self, dim: int):
        dim = ops.check_dim("unsqueeze", dim, self.ndim + 1)
        return self.reshape(self.shape[:dim] + (1,) + self.shape[dim:])

    def squeeze(self, dim: int | None = None):
        if dim is None:
            return self.reshape(tuple(n for n in self.shape if n != 1))
        if self.ndim == 0:
            ops.check_dim("squeeze", dim, 1)
            return self
        dim = ops.check_dim("squeeze", dim, self.ndim)
        if self.shape[dim] != 1:
            return self
        return self.reshape(self.shape[:dim] + self.shape[dim + 1:])

    def expand(self, *sizes):
        """Broadcast to ``sizes`` without copying; -1 keeps a dimension's size.

        Raises:
            ValueError: a size is incompatible with the tensor's shape.
        """
        sizes = _shape_args(sizes)
        lead = len(sizes) - self.ndim
        shape = tuple(self.shape[i - lead] if n == -1 and i >= lead else n for i, n in enumerate(sizes))
        if lead < 0 or any(n < 0 for n in shape) or any(
                old not in (1, new) for old, new in zip(self.shape, shape[lead:])):
            raise ValueError(f"expand: cannot expand a tensor of shape {self.shape} to {sizes}; "
                             "only size-1 dimensions can grow, and new ones go in front.")
        return shape_ops.Expand(shape)(self)

    def expand_as(self, other):
        return self.expand(other.shape)

    def reshape_as(self, other):
        return self.reshape(other.shape)

    view_as = reshape_as

    def contiguous(self):
        return self

    # ----- indexing --------------------------------------------------------------------
    def __getitem__(self, index):
        first, then = _integers_first(_raw_index(index))
        out = shape_ops.GetItem(first)(self)
        return out if then is None else shape_ops.GetItem(then)(out)

    def __setitem__(self, index, value):
        """In-place assignment, without a graph: allowed on tensors that don't require grad, and on
        leaves under ``no_grad()`` (initialisation), as in PyTorch."""
        if self.requires_grad and (self._ctx is not None or is_grad_enabled()):
            raise RuntimeError(
                "setitem: in-place assignment to a tensor that requires grad would corrupt its "
                "gradient; assign under barenet.no_grad() (leaves only) or build a new tensor."
            )
        first, then = _integers_first(_raw_index(index))
        if then is None:
            self.data[first] = _raw(value)
        else:  # the integers' basic index is a view, so the array index writes through it
            self.data[first][then] = _raw(value)

    # ----- in-place helpers for init and optimizers (no graph) -------------------------------
    def fill_(self, value):
        self.data[...] = value
        return self

    def copy_(self, src):
        self.data[...] = backend.to_device(_raw(src), self.device)
        return self


def _raw(x):
    return x.data if isinstance(x, TensorMath) else x


def _expect_ranks(op: str, ndim: int, *tensors) -> None:
    shapes = [tuple(_raw(t).shape) for t in tensors]
    if any(len(s) != ndim for s in shapes):
        raise ValueError(f"{op}: expects {ndim}-D tensors. Received: shapes {' and '.join(map(str, shapes))}.")


def _raw_index(index):
    if isinstance(index, tuple):
        return tuple(_raw(i) for i in index)
    return _raw(index)


def _is_integer(i) -> bool:
    return isinstance(i, (int, np.integer)) and not isinstance(i, bool)


def _is_array(i) -> bool:
    return isinstance(i, list) or getattr(i, "ndim", 0) > 0


def _integers_first(index):
    """PyTorch applies integer indices before array (advanced) ones, where NumPy would broadcast
    an integer with the arrays and, when a slice separates them, put the result's dims first
    (``x[0, :, [1, 2]]`` of a (2, 3, 4) tensor is (3, 2) in PyTorch, (2, 3) in NumPy). So such an
    index is split in two: ``(index, None)`` when there is nothing to split."""
    if not (isinstance(index, tuple) and any(map(_is_integer, index)) and any(map(_is_array, index))):
        return index, None
    first = tuple(slice(None) if _is_array(i) else i for i in index)
    then = tuple(i if _is_array(i) or i is Ellipsis else slice(None) for i in index if not _is_integer(i))
    return first, then
