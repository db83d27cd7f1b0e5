"""Elementwise losses: MSE, L1, smooth L1, binary cross-entropy (on probabilities or logits).

Each is ``l(x, t)`` per element, then a reduction as in PyTorch: ``"none"`` keeps one loss per
element, ``"sum"`` adds them, ``"mean"`` divides by the number of elements. The backward of each
states ``dl/dx`` and ``dl/dt`` (a target that requires grad gets its gradient too).
"""
from __future__ import annotations

import numpy as np

from .. import _args, backend
from ..autograd import Function, Tensor
from .activation import _sigmoid

__all__ = ["mse_loss", "l1_loss", "smooth_l1_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits"]

_REDUCTIONS = ("none", "mean", "sum")


def _check_reduction(op: str, reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of 'none', 'mean', 'sum'. Received: reduction={reduction!r}.")


def _data(x):
    return x.data if isinstance(x, Tensor) else x


def _divide(total, count):
    """``total / count`` where 0 / 0 is NaN as in PyTorch (every target ignored), without a warning."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return total / count


def _reduce(loss, reduction: str, count):
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else _divide(loss.sum(), count)


class _Pointwise(Function):
    """An elementwise loss l(x, t), reduced; subclasses give l and g * dl/dx, g * dl/dt."""

    def __init__(self, reduction: str, weight=None):
        self.reduction, self.w = reduction, weight

    def forward(self, x, t):
        loss = self._loss(x, t)
        if self.w is not None:
            loss = loss * self.w
        self.size = loss.size
        return _reduce(loss, self.reduction, loss.size)

    def backward(self, gy):
        g = gy / gy.dtype.type(self.size) if self.reduction == "mean" else gy
        if self.w is not None:
            g = g * self.w
        return self._grads(g)


class MSE(_Pointwise):
    def _loss(self, x, t):
        self.d = x - t
        return self.d * self.d

    def _grads(self, g):
        gx = 2 * g * self.d  # dl/dx = 2 (x - t) = -dl/dt
        return gx, -gx if self.needs_input_grad[1] else None


class L1(_Pointwise):
    def _loss(self, x, t):
        d = x - t
        self.sign = backend.get_array_module(d).sign(d)
        return abs(d)

    def _grads(self, g):
        gx = g * self.sign  # dl/dx = sign(x - t) (0 at x = t) = -dl/dt
        return gx, -gx if self.needs_input_grad[1] else None


class SmoothL1(_Pointwise):
    def __init__(self, reduction: str, beta: float):
        super().__init__(reduction)
        self.beta = beta

    def _loss(self, x, t):
        xp = backend.get_array_module(x)
        self.d = x - t
        a = abs(self.d)
        return xp.where(a < self.beta, 0.5 * self.d * self.d / self.beta, a - 0.5 * self.beta)

    def _grads(self, g):
        gx = g * backend.get_array_module(g).clip(self.d / self.beta, -1, 1)  # dl/dx = clip(d / beta, -1, 1)
        return gx, -gx if self.needs_input_grad[1] else None


class BCE(_Pointwise):
    def _loss(self, x, t):
        xp = backend.get_array_module(x)
        with np.errstate(divide="ignore"):  # log(0) = -inf, clamped to -100 as PyTorch does
            self.log_x = xp.maximum(xp.log(x), -100)
            self.log_1mx = xp.maximum(xp.log1p(-x), -100)
        self.x, self.t = x, t
        return -(t * self.log_x + (1 - t) * self.log_1mx)

    def _grads(self, g):
        xp = backend.get_array_module(g)
        na, nb = self.needs_input_grad
        # dl/dx = (x - t) / (x (1 - x)), denominator clamped to 1e-12 as PyTorch; dl/dt = log(1-x) - log x
        gx = g * (self.x - self.t) / xp.maximum(self.x * (1 - self.x), 1e-12) if na else None
        gt = g * (self.log_1mx - self.log_x) if nb else None
        return gx, gt


class BCEWithLogits(_Pointwise):
    def __init__(self, reduction: str, weight, pos_weight):
        super().__init__(reduction, weight)
        self.pw = pos_weight

    def _loss(self, x, t):
        xp = backend.get_array_module(x)
        self.x, self.t = x, t
        # softplus(-x) = -log sigmoid(x), stable: max(-x, 0) + log1p(e^-|x|)
        self.sp = xp.maximum(-x, 0) + xp.log1p(xp.exp(-abs(x)))
        self.lw = 1 if self.pw is None else 1 + (self.pw - 1) * t  # weight of -log sigmoid(x)
        return (1 - t) * x + self.lw * self.sp  # = -[pw t log s(x) + (1 - t) log(1 - s(x))]

    def _grads(self, g):
        na, nb = self.needs_input_grad
        pw = 1 if self.pw is None else self.pw
        gx = g * (_sigmoid(self.x) * self.lw - pw * self.t) if na else None  # dl/dx = s(x) lw - pw t
        gt = g * ((pw - 1) * self.sp - self.x) if nb else None  # dl/dt = (pw - 1) softplus(-x) - x
        return gx, gt


def _pair(op: str, input, target, reduction: str):
    """Check an elementwise loss's arguments; the target is cast to the input's dtype."""
    _check_reduction(op, reduction)
    if not isinstance(target, Tensor):
        target = Tensor(target)
    if target.shape != input.shape:
        raise ValueError(f"{op}: target must have the input's shape. "
                         f"Received: input.shape={tuple(input.shape)}, target.shape={tuple(target.shape)}.")
    if input.dtype.kind != "f" or target.dtype.kind != "f":
        raise TypeError(f"{op}: input and target must be floating-point. "
                        f"Received: input.dtype={input.dtype}, target.dtype={target.dtype}.")
    return target.type(input.dtype)


def _broadcast_weight(op: str, name: str, weight, input):
    """A constant weight that must broadcast to the input's shape (never the other way)."""
    if weight is None:
        return None
    w = _data(weight)
    try:
        fits = np.broadcast_shapes(w.shape, input.shape) == input.shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"{op}: {name} must broadcast to the input's shape. "
                         f"Received: input.shape={tuple(input.shape)}, {name}.shape={w.shape}.")
    return w.astype(input.dtype, copy=False)


def mse_loss(input, target, *, reduction: str = "mean"):
    """Mean squared error ``(x - t)^2``.

    Args:
        input: predictions.
        target: values of the same shape (it gets a gradient too if it requires one).
        reduction: ``"none"``, ``"mean"`` or ``"sum"``.

    Shape:
        input (*), target (*), output () or (*) for "none".

    Returns:
        The loss. Backward: ``dL/dx = 2 (x - t) / n`` for "mean" (n elements), ``dL/dt = -dL/dx``.

    Raises:
        ValueError: bad reduction or shapes differ. TypeError: non-float input or target.

    Example:
        >>> import barenet
        >>> mse_loss(barenet.tensor([1.0, 3.0]), barenet.tensor([0.0, 0.0])).item()
        5.0
    """
    return MSE(reduction)(input, _pair("mse_loss", input, target, reduction))


def l1_loss(input, target, *, reduction: str = "mean"):
    """Mean absolute error ``|x - t|``; backward ``dL/dx = sign(x - t) / n`` ("mean").

    Args:
        input: predictions.
        target: values of the same shape.
        reduction: ``"none"``, ``"mean"`` or ``"sum"``.

    Shape:
        input (*), target (*), output () or (*) for "none".

    Returns:
        The loss.

    Raises:
        ValueError: bad reduction or shapes differ. TypeError: non-float input or target.

    Example:
        >>> import barenet
        >>> l1_loss(barenet.tensor([1.0, -3.0]), barenet.tensor([0.0, 0.0])).item()
        2.0
    """
    return L1(reduction)(input, _pair("l1_loss", input, target, reduction))


def smooth_l1_loss(input, target, *, reduction: str = "mean", beta: float = 1.0):
    """Huber-like loss (Girshick 2015): ``0.5 d^2 / beta`` if ``|d| < beta`` else ``|d| - 0.5 beta``.

    Args:
        input: predictions.
        target: values of the same shape.
        reduction: ``"none"``, ``"mean"`` or ``"sum"``.
        beta: where the quadratic part ends; 0 gives the L1 loss.

    Shape:
        input (*), target (*), output () or (*) for "none".

    Returns:
        The loss. Backward: ``dl/dx = clip(d / beta, -1, 1)``, d = x - t.

    Raises:
        ValueError: bad reduction, shapes differ or beta < 0. TypeError: non-float input or target.

    Example:
        >>> import barenet
        >>> smooth_l1_loss(barenet.tensor([0.5, 3.0]), barenet.tensor([0.0, 0.0]), reduction="sum").item()
        2.625
    """
    target = _pair("smooth_l1_loss", input, target, reduction)
    beta = _args.number("smooth_l1_loss", "beta", beta, minimum=0)
    fn = L1(reduction) if beta == 0 else SmoothL1(reduction, beta)
    return fn(input, target)


def binary_cross_entropy(input, target, weight=None, *, reduction: str = "mean"):
    """Binary cross-entropy of probabilities: ``-w [t log x + (1 - t) log(1 - x)]``, logs clamped >= -100.

    Args:
        input: probabilities in [0, 1] (e.g. a sigmoid's output).
        target: values in [0, 1] of the same shape.
        weight: rescaling weight broadcast to the input's shape (not differentiated).
        reduction: ``"none"``, ``"mean"`` or ``"sum"``.

    Shape:
        input (*), target (*), weight broadcastable to (*), output () or (*) for "none".

    Returns:
        The loss. Backward: ``dl/dx = w (x - t) / max(x (1 - x), 1e-12)``,
        ``dl/dt = w (log(1 - x) - log x)``.

    Raises:
        ValueError: bad reduction, shapes differ or input outside [0, 1].
        TypeError: non-float input or target.

    Example:
        >>> import barenet
        >>> round(binary_cross_entropy(barenet.tensor([0.5]), barenet.tensor([1.0])).item(), 4)
        0.6931
    """
    target = _pair("binary_cross_entropy", input, target, reduction)
    w = _broadcast_weight("binary_cross_entropy", "weight", weight, input)
    x = input.data
    if ((x < 0) | (x > 1)).any():
        raise ValueError(f"binary_cross_entropy: input must hold probabilities in [0, 1]. Received: values in "
                         f"[{float(x.min()):g}, {float(x.max()):g}]; use binary_cross_entropy_with_logits for logits.")
    return BCE(reduction, w)(input, target)


def binary_cross_entropy_with_logits(input, target, weight=None, *, reduction: str = "mean", pos_weight=None):
    """Sigmoid + binary cross-entropy in one stable formula (no log of a rounded 0 or 1).

    ``l = w [pw t softplus(-x) + (1 - t) softplus(x)]``, computed as
    ``w [(1 - t) x + (1 + (pw - 1) t) softplus(-x)]``.

    Args:
        input: logits.
        target: values in [0, 1] of the same shape.
        weight: rescaling weight broadcast to the input's shape (not differentiated).
        reduction: ``"none"``, ``"mean"`` or ``"sum"``.
        pos_weight: weight of the positive term, broadcast to the input's shape (typically (C,)).

    Shape:
        input (*), target (*), output () or (*) for "none".

    Returns:
        The loss. Backward: ``dl/dx = w [sigmoid(x) (1 + (pw - 1) t) - pw t]`` (``sigmoid(x) - t``
        without weights), ``dl/dt = w [(pw - 1) softplus(-x) - x]``.

    Raises:
        ValueError: bad reduction, shapes differ, or a weight does not broadcast.
        TypeError: non-float input or target.

    Example:
        >>> import barenet
        >>> round(binary_cross_entropy_with_logits(barenet.tensor([0.0]), barenet.tensor([1.0])).item(), 4)
        0.6931
    """
    op = "binary_cross_entropy_with_logits"
    target = _pair(op, input, target, reduction)
    w = _broadcast_weight(op, "weight", weight, input)
    pw = _broadcast_weight(op, "pos_weight", pos_weight, input)
    return BCEWithLogits(reduction, w, pw)(input, target)
