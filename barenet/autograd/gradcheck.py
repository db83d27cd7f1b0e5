"""Check a hand-written backward against central finite differences (float64)."""
from __future__ import annotations

import numpy as np

from .. import backend
from .grad_mode import no_grad
from .tensor import Tensor


class GradcheckError(AssertionError):
    """The analytic and numerical gradients disagree."""


def _outputs(out):
    outs = out if isinstance(out, (tuple, list)) else (out,)
    return [o for o in outs if isinstance(o, Tensor) and o.dtype.kind == "f"]


def _scalar_objective(fn, inputs, weights):
    """L = sum_k <out_k, w_k>: a random projection, so every output element is checked."""
    return sum(float((o.data * w).sum()) for o, w in zip(_outputs(fn(*inputs)), weights))


def _numeric_grad(fn, inputs, weights, t, eps: float) -> np.ndarray:
    """(L(x + eps e_i) - L(x - eps e_i)) / (2 eps) for every element i of ``t`` (any memory layout)."""
    numeric = np.zeros(t.shape)
    for i in np.ndindex(*t.shape):
        orig = t.data[i].item()
        t.data[i] = orig + eps
        plus = _scalar_objective(fn, inputs, weights)
        t.data[i] = orig - eps
        minus = _scalar_objective(fn, inputs, weights)
        t.data[i] = orig
        numeric[i] = (plus - minus) / (2 * eps)
    return numeric


def gradcheck(fn, inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              seed: int = 0, raise_exception: bool = True) -> bool:
    """Compare ``fn``'s backward with central differences for every input that requires grad.

    The check projects the outputs on fixed random weights ``w`` and compares, element by
    element, dL/dx from ``backward`` with ``(L(x + eps) - L(x - eps)) / (2 eps)``.

    Args:
        fn: callable taking ``inputs`` and returning a tensor (or a tuple of tensors).
        inputs: tensors (float64 for a meaningful check) and other arguments.
        eps: finite-difference step.
        atol, rtol: tolerances of ``|analytic - numeric| <= atol + rtol * |numeric|``.
        seed: seed of the projection weights.
        raise_exception: raise ``GradcheckError`` on a mismatch instead of returning False.

    Returns:
        True when every gradient matches.

    Example:
        >>> import barenet
        >>> x = barenet.tensor([[0.3, -1.2], [2.0, 0.5]], dtype=barenet.float64, requires_grad=True)
        >>> gradcheck(lambda t: (t * t).sum(dim=1), [x])
        True
    """
    checked = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: at least one input must be a tensor with requires_grad=True.")
    for t in checked:
        if t.dtype != np.float64:
            raise ValueError(f"gradcheck: inputs must be float64 for a meaningful check. Received: dtype={t.dtype}.")
        t.grad = None
    rng = np.random.default_rng(seed)
    outs = _outputs(fn(*inputs))
    weights = [backend.to_device(rng.standard_normal(o.shape), o.device) for o in outs]
    total = sum(((o * Tensor._wrap(w)).sum() for o, w in zip(outs, weights) if o.requires_grad), 0.0)
    if isinstance(total, Tensor):  # some output depends on a checked input
        total.backward()
    with no_grad():
        for k, t in enumerate(checked):
            analytic = np.zeros(t.shape) if t.grad is None else np.asarray(t.grad.numpy(), dtype=np.float64)
            numeric = _numeric_grad(fn, inputs, weights, t, eps)
            bad = np.abs(analytic - numeric) > atol + rtol * np.abs(numeric)
            if bad.any():
                if not raise_exception:
                    return False
                raise _mismatch(k, analytic, numeric, bad)
    return True


def _mismatch(k: int, analytic: np.ndarray, numeric: np.ndarray, bad: np.ndarray) -> GradcheckError:
    """The error for input ``k``: where it is worst, then both gradients in full."""
    i = np.unravel_index(np.argmax(np.abs(analytic - numeric) * bad), analytic.shape)
    return GradcheckError(
        f"gradcheck: gradient of input {k} (shape {analytic.shape}) differs at {bad.sum()} of "
        f"{bad.size} elements; worst at index {tuple(int(j) for j in i)}: "
        f"analytic={analytic[i]:.8g}, numeric={numeric[i]:.8g}.\n"
        f"analytic:\n{np.array2string(analytic, precision=5)}\n"
        f"numeric:\n{np.array2string(numeric, precision=5)}"
    )
