"""Adam (Kingma & Ba, 2015) and AdamW (Loshchilov & Hutter, 2019)."""
from __future__ import annotations

import math

from .. import _args, backend
from .optimizer import Optimizer, check_non_negative

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """Adam, with optional AMSGrad and decoupled weight decay (PyTorch's update rule).

    At step t, with ``g = grad`` (``-grad`` when ``maximize``; ``+ weight_decay * p`` unless
    the decay is decoupled, which instead scales ``p *= 1 - lr * weight_decay`` first)::

        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g^2
        v_max = max(v_max, v)                            (amsgrad; v_max replaces v below)
        p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    Args:
        params: parameters, or dicts of parameter groups.
        lr: learning rate.
        betas: decay rates of the first and second moment averages.
        eps: added to the denominator for numerical stability.
        weight_decay: L2 penalty (or decoupled decay rate).
        amsgrad: use the maximum of past second moments (Reddi et al., 2018).
        maximize: maximise the objective instead of minimising it.
        decoupled_weight_decay: decay the weights directly, as AdamW.

    Raises:
        ValueError: a negative lr, eps or weight_decay, or a beta outside [0, 1).

    Example:
        >>> import barenet
        >>> w = barenet.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = Adam([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w.numpy().round(4)
        array([ 0.9, -1.9], dtype=float32)
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False, *, maximize: bool = False,
                 decoupled_weight_decay: bool = False):
        name = type(self).__name__
        check_non_negative(name, lr=lr, eps=eps, weight_decay=weight_decay)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"{name}: betas must be a pair of numbers. Received: betas={betas!r}.")
        for i, beta in enumerate(betas):
            if not 0.0 <= _args.number(name, f"betas[{i}]", beta) < 1.0:
                raise ValueError(f"{name}: invalid beta parameter at index {i}. Expected 0 <= beta < 1. "
                                 f"Received: betas={tuple(betas)}.")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def _update(self, p, grad, group, state):
        xp = backend.get_array_module(p.data)
        if not state:
            state["step"] = 0
            state["exp_avg"] = xp.zeros_like(p.data)
            state["exp_avg_sq"] = xp.zeros_like(p.data)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = xp.zeros_like(p.data)
        lr, (beta1, beta2), wd = group["lr"], group["betas"], group["weight_decay"]
        g = -grad if group["maximize"] else grad
        state["step"] += 1
        t = state["step"]
        if wd != 0 and group["decoupled_weight_decay"]:
            p.data *= 1 - lr * wd
        elif wd != 0:
            g = g + wd * p.data
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m += (1 - beta1) * (g - m)  # m.lerp(g, 1 - beta1), as PyTorch computes it
        v *= beta2
        v += (1 - beta2) * g * g
        if group["amsgrad"]:
            v = xp.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
        denom = xp.sqrt(v)
        denom /= math.sqrt(1 - beta2 ** t)
        denom += group["eps"]
        p.data -= (lr / (1 - beta1 ** t)) * (m / denom)


class AdamW(Adam):
    """Adam with decoupled weight decay: ``p *= 1 - lr * weight_decay`` before the Adam step.

    Args:
        params: parameters, or dicts of parameter groups.
        lr: learning rate.
        betas: decay rates of the first and second moment averages.
        eps: added to the denominator for numerical stability.
        weight_decay: decoupled weight-decay rate.
        amsgrad: use the maximum of past second moments.
        maximize: maximise the objective instead of minimising it.

    Raises:
        ValueError: a negative lr, eps or weight_decay, or a beta outside [0, 1).

    Example:
        >>> import barenet
        >>> w = barenet.tensor([1.0], requires_grad=True)
        >>> opt = AdamW([w], lr=0.1, weight_decay=0.5)
        >>> w.sum().backward()
        >>> opt.step()
        >>> w.numpy().round(4)
        array([0.85], dtype=float32)
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)
