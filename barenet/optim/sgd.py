"""Stochastic gradient descent with momentum, dampening, weight decay and Nesterov momentum."""
from __future__ import annotations

from .optimizer import Optimizer, check_non_negative

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent (PyTorch's update rule, step by step).

    With ``g = grad + weight_decay * p`` (``-grad`` first when ``maximize``)::

        b = g                                    on the first step (no dampening yet)
        b = momentum * b + (1 - dampening) * g   afterwards
        g = g + momentum * b  if nesterov  else  b          (when momentum != 0)
        p = p - lr * g

    Args:
        params: parameters, or dicts of parameter groups.
        lr: learning rate.
        momentum: momentum factor.
        dampening: dampening of the momentum.
        weight_decay: L2 penalty added to the gradient.
        nesterov: use Nesterov momentum (Sutskever et al., 2013).
        maximize: maximise the objective instead of minimising it.

    Raises:
        ValueError: a negative hyper-parameter, or nesterov without momentum or with dampening.

    Example:
        >>> import barenet
        >>> w = barenet.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = SGD([w], lr=0.5)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w.numpy()
        array([0., 0.], dtype=float32)
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False, *, maximize: bool = False):
        check_non_negative("SGD", lr=lr, momentum=momentum, weight_decay=weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(f"SGD: nesterov momentum requires momentum > 0 and dampening = 0. "
                             f"Received: momentum={momentum}, dampening={dampening}.")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov, maximize=maximize))

    def _update(self, p, grad, group, state):
        g = -grad if group["maximize"] else grad
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * p.data
        momentum = group["momentum"]
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = g.copy()  # a copy: g may be p.grad's own array
            else:
                buf *= momentum
                buf += (1 - group["dampening"]) * g
            g = g + momentum * buf if group["nesterov"] else buf
        p.data -= group["lr"] * g
