"""Softmax and log-softmax over one dim, shifted by the max so extreme logits are exact."""
from __future__ import annotations

from numbers import Integral

from .. import backend
from ..autograd import Function

__all__ = ["softmax", "log_softmax"]


def required_dim(op: str, dim, ndim: int) -> int:
    """Normalise ``dim`` (negative counts from the end) or raise naming ``op``."""
    if dim is None:
        raise ValueError(f"{op}: dim is required. PyTorch's implicit choice (dim=0 for 0-D, 1-D and 3-D inputs, "
                         f"else 1) is deprecated: it silently normalises over the batch for some shapes. "
                         f"Pass dim=1 for (N, C) logits. Received: dim=None.")
    n = max(ndim, 1)
    if not isinstance(dim, Integral) or not -n <= dim < n:
        raise IndexError(f"{op}: dim must be an integer in [{-n}, {n - 1}] for a {ndim}-D input. "
                         f"Received: dim={dim!r}.")
    return dim % n


def _shifted(xp, x, dim: int):
    """``x - max(x, dim)``, whose exp never overflows, as an array (also for a 0-d ``x``); an
    empty ``dim`` has no max, and nothing to shift."""
    if x.ndim and x.shape[dim] == 0:
        return x.copy()
    return xp.asarray(x - x.max(axis=dim, keepdims=True))


class Softmax(Function):
    def __init__(self, dim: int):
        self.dim = dim

    def forward(self, x):
        xp = backend.get_array_module(x)
        y = _shifted(xp, x, self.dim)
        xp.exp(y, out=y)
        y /= y.sum(axis=self.dim, keepdims=True)
        self.y = y
        return y

    def backward(self, gy):
        # dL/dx = y * (gy - sum(gy * y, dim))
        gx = gy * self.y
        gx -= self.y * gx.sum(axis=self.dim, keepdims=True)
        return gx


def softmax(input, dim: int | None = None, *, dtype=None):
    """``exp(x_i) / sum_j exp(x_j)`` along ``dim`` (shifted by the max, so ±1e4 logits are fine).

    Args:
        input: any tensor.
        dim: the dim that sums to 1; required (see Raises).
        dtype: cast the input to this dtype first.

    Shape:
        input (*), output (*).

    Returns:
        Probabilities along ``dim``. Backward: ``dL/dx = y (dL/dy - sum(dL/dy * y, dim))``.

    Raises:
        ValueError: dim is None (PyTorch's implicit dim is deprecated and error-prone).
        IndexError: dim is out of range.

    Example:
        >>> import barenet
        >>> softmax(barenet.tensor([[0.0, 0.0]]), dim=1).tolist()
        [[0.5, 0.5]]
    """
    if dtype is not None:
        input = input.type(dtype)
    return Softmax(required_dim("softmax", dim, input.ndim))(input)


class LogSoftmax(Softmax):
    def forward(self, x):
        xp = backend.get_array_module(x)
        y = _shifted(xp, x, self.dim)
        self.e = xp.exp(y)  # exp(x - max): kept so backward needs no exp
        self.s = self.e.sum(axis=self.dim, keepdims=True)
        if y.size:  # (an empty tensor has nothing to normalise, and an empty dim sums to 0)
            y -= xp.log(self.s)  # log-sum-exp of the shifted logits, >= 0: never log of 0
        return y

    def backward(self, gy):
        if not gy.size:
            return gy.copy()
        # dL/dx = gy - softmax(x) * sum(gy, dim),  softmax(x) = e / s
        gx = self.e * (-gy.sum(axis=self.dim, keepdims=True) / self.s)
        gx += gy
        return gx


def log_softmax(input, dim: int | None = None, *, dtype=None):
    """``x_i - log sum_j exp(x_j)`` along ``dim``, computed stably (never log of a rounded 0).

    Args:
        input: any tensor.
        dim: the dim to normalise over; required.
        dtype: cast the input to this dtype first.

    Shape:
        input (*), output (*).

    Returns:
        Log-probabilities. Backward: ``dL/dx = dL/dy - softmax(x) * sum(dL/dy, dim)``.
        A +inf logit gives NaN and a row of -inf gives NaN, as in PyTorch.

    Raises:
        ValueError: dim is None.
        IndexError: dim is out of range.

    Example:
        >>> import barenet
        >>> log_softmax(barenet.tensor([[1e4, 0.0]]), dim=1).tolist()
        [[0.0, -10000.0]]
    """
    if dtype is not None:
        input = input.type(dtype)
    return LogSoftmax(required_dim("log_softmax", dim, input.ndim))(input)
