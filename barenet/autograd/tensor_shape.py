"""The shape and indexing methods of ``Tensor``: ``reshape``, ``permute``, ``split``, ``expand``,
``flip``, ``gather``, ``x[...]``... (in-place writes, ``x[...] = v`` included, are in
``tensor_inplace.py``).
"""
from __future__ import annotations

import numpy as np

from .. import _args
from . import reduce_ops, select_ops, shape_ops
from .tensor_math import _raw


def _shape_args(shape) -> tuple:
    return tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else tuple(shape)


class TensorShape:
    """Mixin giving ``Tensor`` its PyTorch-style shape and indexing methods."""

    __slots__ = ()

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
        if len(dims) != self.ndim or sorted(reduce_ops.check_dim("permute", d, self.ndim) for d in dims) != list(range(self.ndim)):
            expected = f"a permutation of 0..{self.ndim - 1}" if self.ndim else "empty for a 0-d tensor"
            raise ValueError(f"permute: dims must be {expected}, one per dimension. "
                             f"Received: dims={dims} for shape {self.shape}.")
        return shape_ops.Permute(tuple(d % self.ndim for d in dims))(self)

    def transpose(self, dim0: int, dim1: int):
        nd = max(self.ndim, 1)  # a 0-d tensor accepts dim 0 or -1, as in PyTorch
        dim0, dim1 = reduce_ops.check_dim("transpose", dim0, nd), reduce_ops.check_dim("transpose", dim1, nd)
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
        dim = reduce_ops.check_dim("split", dim, self.ndim)
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
        n = self.shape[reduce_ops.check_dim("chunk", dim, self.ndim)]
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
        dim = reduce_ops.check_dim("unbind", dim, self.ndim)
        lead = (slice(None),) * dim
        return tuple(self[lead + (i,)] for i in range(self.shape[dim]))

    def unsqueeze(self, dim: int):
        dim = reduce_ops.check_dim("unsqueeze", dim, self.ndim + 1)
        return self.reshape(self.shape[:dim] + (1,) + self.shape[dim:])

    def squeeze(self, dim: int | None = None):
        if dim is None:
            return self.reshape(tuple(n for n in self.shape if n != 1))
        if self.ndim == 0:
            reduce_ops.check_dim("squeeze", dim, 1)
            return self
        dim = reduce_ops.check_dim("squeeze", dim, self.ndim)
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

    def flip(self, *dims):
        """Reverse the order of the elements along ``dims`` (a copy, as in PyTorch)."""
        dims = _shape_args(dims)
        axes = tuple(reduce_ops.check_dim("flip", d, max(self.ndim, 1)) for d in dims)
        if len(set(axes)) != len(axes):
            raise ValueError(f"flip: each dim may appear once. Received: dims={dims}.")
        return select_ops.Flip(axes if self.ndim else ())(self)

    def roll(self, shifts, dims=None):
        """Shift the elements by ``shifts`` along ``dims`` (one shift per dim), those pushed off
        one end coming in at the other; with no ``dims``, over the flattened tensor."""
        if dims is None:
            if not _is_integer(shifts):
                raise ValueError(f"roll: without dims, shifts must be one int. Received: shifts={shifts!r}.")
            return select_ops.Roll(int(shifts), None)(self)
        shifts, dims = _ints("roll", "shifts", shifts), _ints("roll", "dims", dims)
        if len(shifts) != len(dims):
            raise ValueError(f"roll: expects one shift per dim. Received: shifts={shifts}, dims={dims}.")
        axes = tuple(reduce_ops.check_dim("roll", d, self.ndim) for d in dims)  # none for a 0-d tensor, as torch
        return select_ops.Roll(shifts, axes)(self)

    def narrow(self, dim: int, start: int, length: int):
        """The ``length`` elements from ``start`` along ``dim`` (a view; a negative ``start``
        counts from the end)."""
        dim = reduce_ops.check_dim("narrow", dim, self.ndim)
        n = self.shape[dim]
        start = _args.integer("narrow", "start", start, minimum=-n)
        length = _args.integer("narrow", "length", length, minimum=0)
        start %= max(n, 1)
        if start + length > n:
            raise ValueError(f"narrow: start {start} + length {length} exceeds the size {n} of dim {dim}.")
        return self[(slice(None),) * dim + (slice(start, start + length),)]

    def gather(self, dim: int, index):
        """``out[i][j][k] = self[index[i][j][k]][j][k]`` for dim 0, and likewise along any dim.

        ``index`` is an integer tensor with as many dims as ``self``, no larger than it on the
        other dims; the output has its shape. Gradients add up where an index repeats.
        """
        index = _raw(index)
        dim = reduce_ops.check_dim("gather", dim, max(self.ndim, 1))
        shape = self.shape or (1,)
        if getattr(index, "dtype", None) is None or index.dtype.kind not in "iu" or index.ndim != self.ndim or any(
                m > n for d, (m, n) in enumerate(zip(index.shape, shape)) if d != dim):
            raise ValueError(f"gather: index must be an integer tensor with the input's {self.ndim} dims, no larger "
                             f"on the dims other than {dim}. Received: index of shape {getattr(index, 'shape', None)} "
                             f"and dtype {getattr(index, 'dtype', type(index).__name__)}; input of shape {self.shape}.")
        _check_indices("gather", index, shape[dim], dim)
        return shape_ops.GetItem(select_ops.along(index, dim))(self) if self.ndim else self * 1

    def index_select(self, dim: int, index):
        """The slices at ``index`` (a 1-D integer tensor) along ``dim``, in its order; gradients add
        up where an index repeats."""
        index = _raw(index)
        dim = reduce_ops.check_dim("index_select", dim, max(self.ndim, 1))
        if getattr(index, "dtype", None) is None or index.dtype.kind not in "iu" or index.ndim > 1:
            raise ValueError(f"index_select: index must be a 0-D or 1-D integer tensor. Received: "
                             f"{getattr(index, 'shape', type(index).__name__)}, dtype {getattr(index, 'dtype', None)}.")
        _check_indices("index_select", index, self.shape[dim] if self.ndim else 1, dim)
        if not self.ndim:
            return self * 1
        return shape_ops.GetItem((slice(None),) * dim + (index.reshape(-1),))(self)

    # ----- indexing --------------------------------------------------------------------
    def __getitem__(self, index):
        first, then = _integers_first(_raw_index(index))
        out = shape_ops.GetItem(first)(self)
        return out if then is None else shape_ops.GetItem(then)(out)


def _ints(op: str, name: str, value) -> tuple:
    """An int or a sequence of ints, as a tuple (TypeError naming ``op`` otherwise)."""
    return tuple(_args.integer(op, name, v) for v in (value if isinstance(value, (tuple, list)) else (value,)))


def _check_indices(op: str, index, size: int, dim: int) -> None:
    """Indices in [0, size), as PyTorch's ``gather`` and ``index_select`` require (no wrapping)."""
    if index.size and (int(index.min()) < 0 or int(index.max()) >= size):
        bad = int(index.min()) if int(index.min()) < 0 else int(index.max())
        raise IndexError(f"{op}: index {bad} is out of bounds for dim {dim} of size {size}.")


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
