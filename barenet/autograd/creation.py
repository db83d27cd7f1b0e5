"""Making tensors: ``zeros``, ``ones``, ``randn``..., and joining them: ``cat``, ``stack``, ``where``."""
from __future__ import annotations

import numpy as np

from .. import _args, backend, random
from . import ops, reduce_ops, shape_ops
from .tensor import Tensor, float32


def _new(array, requires_grad, device):
    if device is not None:
        array = backend.to_device(array, device)
    return Tensor(array, requires_grad=requires_grad)


def _float(dtype):
    """PyTorch's default dtype (float32) when none is given; note ``dtype or x`` would be wrong,
    since a NumPy dtype without fields is falsy."""
    return float32 if dtype is None else dtype


def zeros(*size, dtype=None, requires_grad=False, device=None) -> Tensor:
    return _new(np.zeros(_args.sizes("zeros", size), dtype=_float(dtype)), requires_grad, device)


def ones(*size, dtype=None, requires_grad=False, device=None) -> Tensor:
    return _new(np.ones(_args.sizes("ones", size), dtype=_float(dtype)), requires_grad, device)


def full(size, fill_value, dtype=None, requires_grad=False, device=None) -> Tensor:
    """A tensor of ``fill_value``; its dtype follows the value (float32, int64 or bool) unless given."""
    if dtype is None:
        dtype = np.asarray(fill_value).dtype
        dtype = float32 if dtype.kind == "f" else dtype
    return _new(np.full(_args.sizes("full", (size,)), fill_value, dtype=dtype), requires_grad, device)


def empty(*size, dtype=None, requires_grad=False, device=None) -> Tensor:
    return _new(np.empty(_args.sizes("empty", size), dtype=_float(dtype)), requires_grad, device)


def zeros_like(t: Tensor, dtype=None, requires_grad=False) -> Tensor:
    xp = backend.get_array_module(t.data)
    return Tensor(xp.zeros_like(t.data, dtype=dtype), requires_grad=requires_grad)


def ones_like(t: Tensor, dtype=None, requires_grad=False) -> Tensor:
    xp = backend.get_array_module(t.data)
    return Tensor(xp.ones_like(t.data, dtype=dtype), requires_grad=requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None) -> Tensor:
    values = np.arange(start, end, step) if end is not None else np.arange(start)
    if dtype is None and values.dtype.kind == "f":
        dtype = float32
    return _new(values.astype(dtype) if dtype is not None else values, False, device)


def randn(*size, dtype=None, requires_grad=False, generator=None, device=None) -> Tensor:
    """Standard normal samples from barenet's seeded generator (``barenet.manual_seed``)."""
    rng = generator or random.default_generator()
    return _new(rng.standard_normal(_args.sizes("randn", size)).astype(_float(dtype)), requires_grad, device)


def rand(*size, dtype=None, requires_grad=False, generator=None, device=None) -> Tensor:
    """Uniform samples in [0, 1) from barenet's seeded generator."""
    rng = generator or random.default_generator()
    return _new(rng.random(_args.sizes("rand", size)).astype(_float(dtype)), requires_grad, device)


def randint(low, high=None, size=None, generator=None, device=None) -> Tensor:
    """Integers in ``[low, high)`` (int64); ``randint(high, size)`` draws from ``[0, high)``, as in PyTorch."""
    if size is None:
        low, high, size = 0, low, high
    rng = generator or random.default_generator()
    return _new(rng.integers(low, high, size=_args.sizes("randint", (size,))), False, device)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array`` (no copy), as ``torch.from_numpy``."""
    return Tensor._wrap(np.asarray(array))


def _tensors(name, tensors):
    tensors = list(tensors)
    if not tensors:
        raise ValueError(f"{name}: expected a non-empty sequence of tensors.")
    return [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]


def cat(tensors, dim: int = 0) -> Tensor:
    """Concatenate along an existing dimension (PyTorch's ``torch.cat``).

    Raises:
        ValueError: empty input, 0-d tensors, or shapes that differ outside ``dim``.
        IndexError: ``dim`` out of range.
    """
    tensors = _tensors("cat", tensors)
    ref = tensors[0].shape
    if not ref:
        raise ValueError("cat: zero-dimensional tensors cannot be concatenated; use stack.")
    d = reduce_ops.check_dim("cat", dim, len(ref))
    if any(t.ndim != len(ref) or t.shape[:d] + t.shape[d + 1:] != ref[:d] + ref[d + 1:] for t in tensors):
        raise ValueError(
            f"cat: tensors must match in every dimension but dim={dim}. "
            f"Received: shapes {[x.shape for x in tensors]}."
        )
    return shape_ops.Cat(d)(*tensors)


def stack(tensors, dim: int = 0) -> Tensor:
    """Join equally shaped tensors along a new dimension.

    Raises:
        ValueError: empty input or unequal shapes.
        IndexError: ``dim`` out of range.
    """
    tensors = _tensors("stack", tensors)
    if len({t.shape for t in tensors}) != 1:
        raise ValueError(f"stack: tensors must have equal shapes. Received: {[t.shape for t in tensors]}.")
    return shape_ops.Stack(reduce_ops.check_dim("stack", dim, tensors[0].ndim + 1))(*tensors)


def where(condition, input, other) -> Tensor:
    """Elementwise ``input if condition else other``."""
    cond = condition.data if isinstance(condition, Tensor) else condition
    return ops.Where(cond)(input, other)
