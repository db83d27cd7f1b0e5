"""Losses over classes: cross-entropy and NLL (the elementwise losses are in ``loss_pointwise``).

``cross_entropy`` fuses log-softmax and the negative log-likelihood into one ``Function`` whose
backward is the textbook ``dL/dx = (softmax(x) - onehot(t)) / N``. It never materialises the
log-probabilities: the forward keeps ``exp(x - max)`` and its row sums, and the backward is one
scaled copy of it plus an O(N) correction at the targets.

With class-index targets, ``reduction="mean"`` divides by the summed class weights of the
non-ignored targets (PyTorch's rule), not by N.
"""
from __future__ import annotations

from .. import _args, backend
from ..autograd import Function, Tensor
from ..autograd.tensor_math import expect_tensors
from . import loss_pointwise
from .loss_pointwise import *  # noqa: F401,F403  (the elementwise losses live there)
from .loss_pointwise import _check_reduction, _data, _reduce

__all__ = ["cross_entropy", "nll_loss"] + loss_pointwise.__all__


# ----- class-index targets ------------------------------------------------------------------
def _class_targets(op: str, x, target, weight, ignore_index: int):
    """Validate class indices; return ``index`` (N, 1, *) safe to gather with, ``valid`` and
    ``coef = weight[t]`` (both (N, 1, *), 0 where the target is ignored)."""
    xp = backend.get_array_module(x)
    ignore_index = _args.integer(op, "ignore_index", ignore_index)
    received = f"Received: input.shape={x.shape}, target.shape={target.shape}"
    if target.dtype.kind not in "iu":
        raise TypeError(f"{op}: class-index targets must have an integer dtype. {received}, "
                        f"target.dtype={target.dtype}.")
    if target.shape != x.shape[:1] + x.shape[2:]:
        raise ValueError(f"{op}: target must have the input's shape without the class dim 1. {received}.")
    C = x.shape[1]
    if weight is not None and weight.shape != (C,):
        raise ValueError(f"{op}: weight must have one element per class, shape ({C},). "
                         f"Received: weight.shape={weight.shape}.")
    valid = target != ignore_index
    bad = valid & ((target < 0) | (target >= C))
    if bad.any():
        raise ValueError(f"{op}: target {int(target[bad][0])} is out of range for C={C} classes "
                         f"(expected 0..{C - 1}, or ignore_index={ignore_index}). {received}.")
    index = xp.expand_dims(xp.where(valid, target, 0), 1)  # (N, 1, *)
    valid = xp.expand_dims(valid, 1).astype(x.dtype)
    coef = valid if weight is None else weight[index] * valid
    return index, valid, coef


def _class_view(w, ndim: int):
    """A per-class array (C,) shaped to broadcast against (N, C, *)."""
    return w.reshape((1, -1) + (1,) * (ndim - 2))


class _ClassLoss(Function):
    """Shared upstream handling of losses over class dim 1 with an (N, *) 'none' output."""

    def __init__(self, reduction: str):
        self.reduction = reduction

    def _finish(self, loss, count):
        """Reduce the (N, 1, *) per-element losses; ``count`` is the 'mean' divisor."""
        self.count = count
        return _reduce(loss.squeeze(1), self.reduction, count)

    def _upstream(self, gy):
        """dL/d(loss_i): (N, 1, *) for 'none', a 0-d array otherwise."""
        if self.reduction == "none":
            return backend.get_array_module(gy).expand_dims(gy, 1)
        if self.reduction == "sum":
            return gy
        # a zero count means every coefficient is 0 too: divide by 1 so the gradient is 0, not NaN
        return gy / (self.count + (self.count == 0))


def _shifted_exp(x):
    """``e = exp(x - max)`` (N, C, *), its sum ``s`` and ``lse = log sum exp x`` (N, 1, *)."""
    xp = backend.get_array_module(x)
    m = x.max(axis=1, keepdims=True)
    e = x - m
    xp.exp(e, out=e)  # in (0, 1]: never overflows, ±1e4 logits are fine
    s = e.sum(axis=1, keepdims=True)
    return e, s, m + xp.log(s)


class CrossEntropy(_ClassLoss):
    """Log-softmax + NLL with class indices, label smoothing eps and class weights w:
    ``loss_i = (1 - eps) w_t (-log p_t) + (eps / C) sum_c w_c (-log p_c)``."""

    def __init__(self, index, valid, coef, weight, reduction: str, label_smoothing: float):
        super().__init__(reduction)
        self.index, self.valid, self.coef, self.w = index, valid, coef, weight
        self.eps = label_smoothing

    def forward(self, x):
        xp = backend.get_array_module(x)
        self.e, self.s, lse = _shifted_exp(x)
        loss = self.coef * (lse - xp.take_along_axis(x, self.index, axis=1))  # (N, 1, *) w_t * -log p_t
        if self.eps:
            C = x.shape[1]
            w = 1 if self.w is None else _class_view(self.w, x.ndim)
            self.wsum = C if self.w is None else self.w.sum()
            smooth = self.valid * (self.wsum * lse - (x * w).sum(axis=1, keepdims=True))  # -sum_c w_c log p_c
            loss = (1 - self.eps) * loss + (self.eps / C) * smooth
        return self._finish(loss, self.coef.sum())

    def backward(self, gy):
        # dL/dx = g [(1 - eps) w_t (p - onehot(t)) + (eps/C)(p sum_c w_c - w)],  p = e / s
        xp = backend.get_array_module(gy)
        g = self._upstream(gy)
        g_hot = g * (1 - self.eps) * self.coef  # (N, 1, *) weight of -onehot(t)
        g_p = g_hot
        if self.eps:
            g_smooth = g * (self.eps / self.e.shape[1]) * self.valid
            g_p = g_hot + g_smooth * self.wsum
        gx = self.e * (g_p / self.s)  # (N, C, *)
        xp.put_along_axis(gx, self.index, xp.take_along_axis(gx, self.index, axis=1) - g_hot, axis=1)
        if self.eps:
            gx -= g_smooth * (1 if self.w is None else _class_view(self.w, gx.ndim))
        return gx


class CrossEntropyProbs(_ClassLoss):
    """Log-softmax + cross-entropy with class-probability targets q: ``loss_i = -sum_c w_c q'_c log p_c``,
    ``q' = (1 - eps) q + eps / C``."""

    def __init__(self, weight, reduction: str, label_smoothing: float):
        super().__init__(reduction)
        self.w, self.eps = weight, label_smoothing

    def forward(self, x, q):
        self.e, self.s, lse = _shifted_exp(x)
        C = x.shape[1]
        wq = q * (1 - self.eps) + self.eps / C if self.eps else q
        if self.w is not None:
            wq = wq * _class_view(self.w, x.ndim)
        self.wq, self.wq_sum = wq, wq.sum(axis=1, keepdims=True)  # (N, C, *), (N, 1, *)
        if self.needs_input_grad[1]:
            self.x, self.lse = x, lse
        loss = lse * self.wq_sum - (wq * x).sum(axis=1, keepdims=True)
        return self._finish(loss, x.size // C)

    def backward(self, gy):
        g = self._upstream(gy)
        # dL/dx = g (p sum_c w_c q'_c - w q'),  p = e / s
        gx = self.e * (g * self.wq_sum / self.s) - g * self.wq if self.needs_input_grad[0] else None
        gq = None
        if self.needs_input_grad[1]:  # dL/dq = -g (1 - eps) w log p
            w = 1 if self.w is None else _class_view(self.w, self.x.ndim)
            gq = (g * (self.eps - 1)) * w * (self.x - self.lse)
        return gx, gq


class NLL(_ClassLoss):
    def __init__(self, index, coef, reduction: str):
        super().__init__(reduction)
        self.index, self.coef = index, coef

    def forward(self, x):
        self.shape = x.shape
        loss = -self.coef * backend.get_array_module(x).take_along_axis(x, self.index, axis=1)
        return self._finish(loss, self.coef.sum())

    def backward(self, gy):
        # dL/dx[i, t_i] = -w_t g_i, zero elsewhere
        xp = backend.get_array_module(gy)
        gx = xp.zeros(self.shape, dtype=gy.dtype)
        xp.put_along_axis(gx, self.index, -self._upstream(gy) * self.coef, axis=1)
        return gx


def _batched(op: str, input, target):
    """Give an unbatched (C,) input and () target a batch dim of 1."""
    expect_tensors(op, input=input)
    if input.ndim == 0 or input.dtype.kind != "f":
        raise ValueError(f"{op}: input must be a floating-point tensor of shape (C,), (N, C) or (N, C, *). "
                         f"Received: input.shape={tuple(input.shape)}, input.dtype={input.dtype}.")
    t = _data(target)
    return (input.reshape(1, -1), t.reshape((1,) + t.shape)) if input.ndim == 1 else (input, t)


def _class_weight(weight, dtype):
    """The per-class weight as a constant array in the input's dtype (so gradients keep it)."""
    return None if weight is None else _data(weight).astype(dtype, copy=False)


def _unbatch(loss, input, reduction: str):
    return loss.reshape(()) if input.ndim == 1 and reduction == "none" else loss


def cross_entropy(input, target, weight=None, *, ignore_index: int = -100, reduction: str = "mean",
                  label_smoothing: float = 0.0):
    """Cross-entropy of logits against class indices (or class probabilities): log-softmax + NLL, fused.

    Args:
        input: unnormalised logits, class dim 1.
        target: class indices (integer dtype), or class probabilities (float, input's shape;
            they get a gradient ``-(1 - eps) w log p`` if they require one).
        weight: per-class rescaling weights (not differentiated).
        ignore_index: targets equal to it add no loss and no gradient (class indices only).
        reduction: ``"none"``, ``"mean"`` or ``"sum"``.
        label_smoothing: eps in [0, 1]; the target becomes ``(1 - eps) onehot + eps / C``.

    Shape:
        input (N, C), (N, C, *) or (C,); target (N,), (N, *) or () for indices, input's shape for
        probabilities; output () or, with reduction="none", (N,), (N, *) or ().

    Returns:
        The loss. Backward: ``dL/dx = (softmax(x) - onehot(t)) / N`` for the plain mean, with
        ``w_t`` and ``sum w_t`` in place of 1 and N under weights, and the smoothed target.

    Raises:
        ValueError: bad reduction or label_smoothing, target shape or class index out of range.
        TypeError: class-index targets are not integers.

    Example:
        >>> import barenet
        >>> x = barenet.tensor([[0.0, 0.0]])
        >>> round(cross_entropy(x, barenet.tensor([1])).item(), 4)
        0.6931
    """
    _check_reduction("cross_entropy", reduction)
    label_smoothing = _args.number("cross_entropy", "label_smoothing", label_smoothing, 0, 1)
    x, t = _batched("cross_entropy", input, target)
    w = _class_weight(weight, x.dtype)
    if t.dtype.kind == "f" and t.shape == x.shape:
        q = target.reshape(x.shape).type(x.dtype) if isinstance(target, Tensor) else t.astype(x.dtype)
        return _unbatch(CrossEntropyProbs(w, reduction, label_smoothing)(x, q), input, reduction)
    index, valid, coef = _class_targets("cross_entropy", x.data, t, w, ignore_index)
    return _unbatch(CrossEntropy(index, valid, coef, w, reduction, label_smoothing)(x), input, reduction)


def nll_loss(input, target, weight=None, *, ignore_index: int = -100, reduction: str = "mean"):
    """Negative log-likelihood of log-probabilities (e.g. ``log_softmax`` output) at class indices.

    Args:
        input: log-probabilities, class dim 1.
        target: class indices (integer dtype).
        weight: per-class rescaling weights (not differentiated).
        ignore_index: targets equal to it add no loss and no gradient.
        reduction: ``"none"``, ``"mean"`` (divides by the summed weights ``sum w_t``) or ``"sum"``.

    Shape:
        input (N, C), (N, C, *) or (C,); target (N,), (N, *) or (); output () or, with
        reduction="none", the target's shape.

    Returns:
        ``-w_t x[i, t_i]`` reduced. Backward: ``dL/dx[i, t_i] = -w_t / sum w_t`` (mean), 0 elsewhere.

    Raises:
        ValueError: bad reduction, target shape or class index out of range.
        TypeError: the target is not integer.

    Example:
        >>> import barenet
        >>> nll_loss(barenet.tensor([[-1.0, -2.0]]), barenet.tensor([1])).item()
        2.0
    """
    _check_reduction("nll_loss", reduction)
    x, t = _batched("nll_loss", input, target)
    index, _, coef = _class_targets("nll_loss", x.data, t, _class_weight(weight, x.dtype), ignore_index)
    return _unbatch(NLL(index, coef, reduction)(x), input, reduction)
