"""RMSprop (Tieleman & Hinton, 2012), with the centred variant of Graves (2013)."""
from __future__ import annotations

from .. import backend
from .optimizer import Optimizer, check_non_negative

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop (PyTorch's update rule).

    With ``g = grad + weight_decay * p`` (``-grad`` first when ``maximize``)::

        v = alpha * v + (1 - alpha) * g^2
        a = alpha * a + (1 - alpha) * g;  avg = sqrt(v - a^2) + eps    (centered)
        avg = sqrt(v) + eps                                           (otherwise)
        b = momentum * b + g / avg;  p = p - lr * b                    (momentum > 0)
        p = p - lr * g / avg                                          (otherwise)

    Args:
        params: parameters, or dicts of parameter groups.
        lr: learning rate.
        alpha: smoothing constant of the squared-gradient average.
        eps: added to the denominator for numerical stability.
        weight_decay: L2 penalty added to the gradient.
        momentum: momentum factor.
        centered: normalise by an estimate of the gradient's variance instead of its second moment.
        maximize: maximise the objective instead of minimising it.

    Raises:
        ValueError: a negative hyper-parameter.

    Example:
        >>> import barenet
        >>> w = barenet.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = RMSprop([w], lr=0.01, alpha=0.75, eps=0.0)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w.numpy().round(4)
        array([ 0.98, -1.98], dtype=float32)
    """

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False, *,
                 maximize: bool = False):
        check_non_negative("RMSprop", lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                           momentum=momentum)
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered, maximize=maximize))

    def _update(self, p, grad, group, state):
        xp = backend.get_array_module(p.data)
        if not state:
            state["step"] = 0
            state["square_avg"] = xp.zeros_like(p.data)
            if group["momentum"] > 0:
                state["momentum_buffer"] = xp.zeros_like(p.data)
            if group["centered"]:
                state["grad_avg"] = xp.zeros_like(p.data)
        alpha = group["alpha"]
        g = -grad if group["maximize"] else grad
        state["step"] += 1
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * p.data
        v = state["square_avg"]
        v *= alpha
        v += (1 - alpha) * g * g
        if group["centered"]:
            a = state["grad_avg"]
            a += (1 - alpha) * (g - a)  # a.lerp(g, 1 - alpha), as PyTorch computes it
            avg = xp.sqrt(v - a * a)
        else:
            avg = xp.sqrt(v)
        avg += group["eps"]
        if group["momentum"] > 0:
            buf = state["momentum_buffer"]
            buf *= group["momentum"]
            buf += g / avg
            p.data -= group["lr"] * buf
        else:
            p.data -= group["lr"] * (g / avg)
