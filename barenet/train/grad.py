"""Gradient utilities used by the fit loop (PyTorch's ``torch.nn.utils.clip_grad_norm_``)."""
from __future__ import annotations

import math

from .. import backend
from ..autograd import Tensor

__all__ = ["clip_grad_norm_"]


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0) -> float:
    """Scale the gradients so that their global norm is at most ``max_norm``.

    The global norm is the ``norm_type``-norm of the vector of all gradient entries; when it
    exceeds ``max_norm`` every gradient is multiplied by ``max_norm / (norm + 1e-6)``, as PyTorch
    does. Gradients are replaced, not scaled in place, because a gradient array may be shared.

    Args:
        parameters: tensors (or one tensor) whose ``.grad`` to clip; those without one are skipped.
        max_norm: the largest allowed norm.
        norm_type: the p of the p-norm, or ``math.inf`` for the largest absolute entry.

    Returns:
        The global norm before clipping.

    Raises:
        ValueError: ``max_norm`` is negative or ``norm_type`` is not positive.

    Example:
        >>> import barenet
        >>> w = barenet.tensor([3.0, 4.0], requires_grad=True)
        >>> (w * w).sum().backward()
        >>> round(clip_grad_norm_([w], 5.0), 3), [round(g, 3) for g in w.grad.tolist()]
        (10.0, [3.0, 4.0])
    """
    if max_norm < 0 or not norm_type > 0:
        raise ValueError(f"clip_grad_norm_: max_norm must be >= 0 and norm_type > 0. "
                         f"Received: max_norm={max_norm!r}, norm_type={norm_type!r}.")
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    grads = [p for p in params if p.grad is not None]
    if not grads:
        return 0.0
    xp = backend.get_array_module(grads[0].grad.data)
    if math.isinf(norm_type):
        total = max(float(xp.abs(p.grad.data).max()) for p in grads)
    else:
        total = sum(float((xp.abs(p.grad.data) ** norm_type).sum()) for p in grads) ** (1.0 / norm_type)
    coef = max_norm / (total + 1e-6)
    if coef < 1:
        for p in grads:
            p.grad.data *= p.grad.data.dtype.type(coef)
    return total
