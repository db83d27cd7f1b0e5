"""Activations: elementwise nonlinearities and maxout (softmax over a dim is in ``softmax_ops.py``).

Why ReLU replaced the sigmoid (Glorot, Bordes & Bengio 2011; Krizhevsky et al. 2012). Backprop
through L layers multiplies the upstream gradient by one activation derivative per layer:
``dL/dx_0 = dL/dx_L * prod_l f'(z_l) * W_l``. The sigmoid's derivative is
``s'(z) = s(z) (1 - s(z)) <= 1/4`` (equality only at z = 0), so the product shrinks at least
like ``4^-L`` -- and far faster once units saturate, where ``s'(z) ~ e^-|z|``: the early
layers of a deep sigmoid net barely learn (the vanishing gradient). ReLU's derivative is
exactly 1 on the active side (``relu'(z) = [z > 0]``), so the gradient of every active path
passes through unshrunk, while the inactive units give sparse activations for free.
"""
from __future__ import annotations

from .. import _args, backend
from ..autograd import Function
from ..autograd.tensor_math import expect_tensors
from .softmax_ops import required_dim

__all__ = ["relu", "relu6", "hardtanh", "leaky_relu", "prelu", "elu", "sigmoid", "tanh", "softplus", "maxout"]


def _sigmoid(x):
    """Logistic function without overflow: exp(-|x|) is always in (0, 1]."""
    xp = backend.get_array_module(x)
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1, e) / (1 + e)


class ReLU(Function):
    def forward(self, x):
        self.y = backend.get_array_module(x).maximum(x, 0)
        return self.y

    def backward(self, gy):
        return gy * (self.y > 0)  # dL/dx = dL/dy * [x > 0]


def relu(input, inplace: bool = False):
    """Rectified linear unit: ``max(x, 0)``.

    Args:
        input: any tensor.
        inplace: accepted for PyTorch compatibility; barenet never overwrites an input, so a
            new tensor is returned either way (the graph stays correct).

    Shape:
        input (*), output (*), same shape.

    Returns:
        The rectified tensor; its gradient is ``[x > 0]`` (0 at x = 0, as PyTorch).

    Example:
        >>> import barenet
        >>> relu(barenet.tensor([-1.0, 0.0, 2.0])).tolist()
        [0.0, 0.0, 2.0]
    """
    return ReLU()(input)


class Hardtanh(Function):
    def __init__(self, lo: float, hi: float):
        self.lo, self.hi = lo, hi

    def forward(self, x):
        self.inside = (x > self.lo) & (x < self.hi)
        return backend.get_array_module(x).clip(x, self.lo, self.hi)

    def backward(self, gy):
        return gy * self.inside  # dL/dx = dL/dy * [min_val < x < max_val]


def hardtanh(input, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
    """``min(max(x, min_val), max_val)`` elementwise.

    Args:
        input: any tensor.
        min_val, max_val: the bounds, ``min_val < max_val``.
        inplace: accepted for PyTorch compatibility; a new tensor is returned.

    Shape:
        input (*), output (*).

    Returns:
        The clipped tensor; its gradient is 1 strictly inside ``(min_val, max_val)`` and 0
        elsewhere, at the bounds too, as PyTorch's (``Tensor.clamp`` passes it at the bounds).

    Example:
        >>> import barenet
        >>> hardtanh(barenet.tensor([-3.0, 0.5, 2.0])).tolist()
        [-1.0, 0.5, 1.0]
    """
    lo, hi = _args.number("hardtanh", "min_val", min_val), _args.number("hardtanh", "max_val", max_val)
    if lo >= hi:
        raise ValueError(f"hardtanh: min_val must be below max_val. Received: min_val={min_val}, max_val={max_val}.")
    return Hardtanh(lo, hi)(input)


def relu6(input, inplace: bool = False):
    """``min(max(x, 0), 6)`` elementwise, MobileNet's activation: ``hardtanh(x, 0, 6)``.

    Example:
        >>> import barenet
        >>> relu6(barenet.tensor([-1.0, 3.0, 8.0])).tolist()
        [0.0, 3.0, 6.0]
    """
    return hardtanh(input, 0.0, 6.0)


class LeakyReLU(Function):
    def __init__(self, negative_slope: float):
        self.slope = negative_slope

    def forward(self, x):
        self.pos = x > 0
        return backend.get_array_module(x).where(self.pos, x, x * self.slope)

    def backward(self, gy):
        return backend.get_array_module(gy).where(self.pos, gy, gy * self.slope)  # dy/dx = 1 or slope


def leaky_relu(input, negative_slope: float = 0.01, inplace: bool = False):
    """``x`` where ``x > 0``, else ``negative_slope * x`` (Maas et al. 2013).

    Args:
        input: any tensor.
        negative_slope: slope on the negative side.
        inplace: accepted for compatibility; a new tensor is always returned.

    Shape:
        input (*), output (*).

    Returns:
        The activated tensor; the gradient is 1 for ``x > 0`` and ``negative_slope`` elsewhere.

    Example:
        >>> import barenet
        >>> leaky_relu(barenet.tensor([-2.0, 3.0]), 0.5).tolist()
        [-1.0, 3.0]
    """
    return LeakyReLU(_args.number("leaky_relu", "negative_slope", negative_slope))(input)


class PReLU(Function):
    def forward(self, x, weight):
        shape = [1] * x.ndim
        if x.ndim >= 2:
            shape[1] = weight.size
        self.w = weight.reshape(shape)  # broadcasts over channel dim 1
        self.w_shape = weight.shape
        self.x, self.pos = x, x > 0
        return backend.get_array_module(x).where(self.pos, x, self.w * x)

    def backward(self, gy):
        xp = backend.get_array_module(gy)
        gx = xp.where(self.pos, gy, gy * self.w) if self.needs_input_grad[0] else None  # dy/dx = 1 or w
        gw = None
        if self.needs_input_grad[1]:
            axes = tuple(i for i in range(gy.ndim) if i != 1 or self.w.size == 1)
            gw = xp.where(self.pos, 0, gy * self.x).sum(axis=axes)  # dy/dw = min(x, 0)
            gw = gw.reshape(self.w_shape)
        return gx, gw


def prelu(input, weight):
    """Parametric ReLU (He et al. 2015): ``max(0, x) + weight * min(0, x)``, weight learned.

    Args:
        input: tensor whose channel dim is dim 1 (an input with < 2 dims has one channel).
        weight: 1 element (shared) or C elements (one per channel).

    Shape:
        input (N, C, *), weight (1,) or (C,), output (N, C, *).

    Returns:
        The activated tensor. Gradients: dy/dx = 1 for x > 0 else w; dy/dw = min(x, 0),
        summed over every dim but the channel's.

    Raises:
        ValueError: weight has neither 1 nor C elements.

    Example:
        >>> import barenet
        >>> prelu(barenet.tensor([[-2.0, 3.0]]), barenet.tensor([0.25])).tolist()
        [[-0.5, 3.0]]
    """
    expect_tensors("prelu", input=input, weight=weight)
    channels = input.shape[1] if input.ndim >= 2 else 1
    if weight.ndim > 1 or weight.numel() not in (1, channels):
        raise ValueError(
            f"prelu: weight must have 1 element or one per channel (input.shape[1]={channels}). "
            f"Received: input.shape={tuple(input.shape)}, weight.shape={tuple(weight.shape)}."
        )
    return PReLU()(input, weight)


class ELU(Function):
    def __init__(self, alpha: float):
        self.alpha = alpha

    def forward(self, x):
        xp = backend.get_array_module(x)
        self.pos = x > 0
        # expm1 of min(x, 0): the unused branch never overflows for large positive x
        self.y = xp.where(self.pos, x, self.alpha * xp.expm1(xp.minimum(x, 0)))
        return self.y

    def backward(self, gy):
        # dy/dx = 1 for x > 0, alpha * exp(x) = y + alpha otherwise
        return backend.get_array_module(gy).where(self.pos, gy, gy * (self.y + self.alpha))


def elu(input, alpha: float = 1.0, inplace: bool = False):
    """Exponential linear unit (Clevert et al. 2016): ``x`` if ``x > 0`` else ``alpha (e^x - 1)``.

    Args:
        input: any tensor.
        alpha: the value the negative side saturates to is ``-alpha``.
        inplace: accepted for compatibility; a new tensor is always returned.

    Shape:
        input (*), output (*).

    Returns:
        The activated tensor; the gradient is 1 for ``x > 0`` and ``alpha e^x`` elsewhere.

    Example:
        >>> import barenet
        >>> elu(barenet.tensor([0.0, 2.0])).tolist()
        [0.0, 2.0]
    """
    return ELU(_args.number("elu", "alpha", alpha))(input)


class Sigmoid(Function):
    def forward(self, x):
        self.y = _sigmoid(x)
        return self.y

    def backward(self, gy):
        return gy * self.y * (1 - self.y)  # s'(x) = s (1 - s) <= 1/4


def sigmoid(input):
    """Logistic function ``1 / (1 + e^-x)``, computed without overflow for any x.

    Shape:
        input (*), output (*).

    Returns:
        Values in (0, 1); the gradient is ``s (1 - s)``.

    Example:
        >>> import barenet
        >>> sigmoid(barenet.tensor([0.0])).tolist()
        [0.5]
    """
    return Sigmoid()(input)


class Tanh(Function):
    def forward(self, x):
        self.y = backend.get_array_module(x).tanh(x)
        return self.y

    def backward(self, gy):
        return gy * (1 - self.y * self.y)  # tanh'(x) = 1 - tanh(x)^2


def tanh(input):
    """Hyperbolic tangent.

    Shape:
        input (*), output (*).

    Returns:
        Values in (-1, 1); the gradient is ``1 - tanh(x)^2``.

    Example:
        >>> import barenet
        >>> tanh(barenet.tensor([0.0])).tolist()
        [0.0]
    """
    return Tanh()(input)


class Softplus(Function):
    def __init__(self, beta: float, threshold: float):
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        xp = backend.get_array_module(x)
        self.z = x * self.beta
        self.linear = self.z > self.threshold
        # log(1 + e^z) = max(z, 0) + log1p(e^-|z|): no overflow for any z
        soft = (xp.maximum(self.z, 0) + xp.log1p(xp.exp(-xp.abs(self.z)))) / self.beta
        return xp.where(self.linear, x, soft)

    def backward(self, gy):
        # dy/dx = sigmoid(beta x), or 1 where the op is linear (beta x > threshold)
        return backend.get_array_module(gy).where(self.linear, gy, gy * _sigmoid(self.z))


def softplus(input, beta: float = 1.0, threshold: float = 20.0):
    """Smooth ReLU: ``log(1 + e^(beta x)) / beta``, and ``x`` where ``beta x > threshold``.

    Args:
        input: any tensor.
        beta: sharpness; larger is closer to ReLU.
        threshold: above it (in units of ``beta x``) the op is the identity, as in PyTorch.

    Shape:
        input (*), output (*).

    Returns:
        The activated tensor; the gradient is ``sigmoid(beta x)`` (1 on the linear part).

    Example:
        >>> import barenet
        >>> round(softplus(barenet.tensor([0.0])).item(), 4)
        0.6931
    """
    return Softplus(_args.number("softplus", "beta", beta), _args.number("softplus", "threshold", threshold))(input)


class Maxout(Function):
    def __init__(self, pieces: int, dim: int):
        self.pieces, self.dim = pieces, dim

    def forward(self, x):
        xp = backend.get_array_module(x)
        d = self.dim
        z = x.reshape(x.shape[:d] + (x.shape[d] // self.pieces, self.pieces) + x.shape[d + 1:])  # (.., C/k, k, ..)
        self.z_shape = z.shape
        if not self.needs_input_grad[0]:
            return z.max(axis=d + 1)
        self.idx = xp.expand_dims(z.argmax(axis=d + 1), d + 1)  # winning piece of each group
        return xp.take_along_axis(z, self.idx, axis=d + 1).squeeze(d + 1)

    def backward(self, gy):
        # dL/dz_ij = dL/dy_i where piece j won group i, else 0
        xp = backend.get_array_module(gy)
        gz = xp.zeros(self.z_shape, dtype=gy.dtype)
        xp.put_along_axis(gz, self.idx, xp.expand_dims(gy, self.dim + 1), axis=self.dim + 1)
        return gz.reshape(self.z_shape[:self.dim] + (-1,) + self.z_shape[self.dim + 2:])


def maxout(input, pieces: int, dim: int = 1):
    """Maxout (Goodfellow et al. 2013): the max over groups of ``pieces`` consecutive channels.

    Grouping: output channel ``i`` is ``max(x[i*pieces], ..., x[i*pieces + pieces - 1])`` along
    ``dim`` -- the ``(C/pieces, pieces)`` reshape of the channel dim, as in the paper's
    ``h_i = max_j z_ij`` with ``z`` laid out piece-fastest.

    Args:
        input: any tensor.
        pieces: linear pieces per unit (k in the paper), a positive integer.
        dim: the channel dim to group.

    Shape:
        input (N, C, *), output (N, C / pieces, *) (for dim=1).

    Returns:
        The group maxima. The gradient goes to the winning piece of each group only (the
        first one on a tie).

    Raises:
        ValueError: pieces is not a positive integer, or does not divide the size of ``dim``.
        IndexError: dim is out of range.

    Example:
        >>> import barenet
        >>> maxout(barenet.tensor([[1.0, 5.0, 4.0, 2.0]]), pieces=2).tolist()
        [[5.0, 4.0]]
    """
    d = required_dim("maxout", dim, input.ndim)
    pieces = _args.integer("maxout", "pieces", pieces, minimum=1)
    if input.ndim == 0 or input.shape[d] % pieces:
        raise ValueError(
            f"maxout: pieces must be a positive integer dividing input.shape[{d}]. "
            f"Received: input.shape={tuple(input.shape)}, pieces={pieces!r}, dim={dim}."
        )
    return Maxout(pieces, d)(input)
