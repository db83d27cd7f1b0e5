"""``grad``: the gradients of outputs with respect to chosen tensors, returned rather than
accumulated (PyTorch's ``torch.autograd.grad``)."""
from __future__ import annotations

from .. import backend as _backend
from .function import run_backward
from .tensor import Tensor

__all__ = ["grad"]


def _tensors(op: str, name: str, value) -> list:
    items = [value] if isinstance(value, Tensor) else list(value) if isinstance(value, (list, tuple)) else None
    if not items or not all(isinstance(t, Tensor) for t in items):
        raise TypeError(f"{op}: {name} must be a Tensor or a non-empty sequence of Tensors. "
                        f"Received: {type(value).__name__}.")
    return items


def grad(outputs, inputs, grad_outputs=None, retain_graph: bool | None = None, create_graph: bool = False,
         allow_unused: bool = False) -> tuple:
    """d(outputs)/d(inputs), as a tuple of new tensors, one per input; no ``.grad`` changes.

    Args:
        outputs: a tensor, or a sequence of them, computed from ``inputs``.
        inputs: the tensors (leaves or not) to differentiate with respect to; each requires grad.
        grad_outputs: d(loss)/d(output) per output, shaped like it (a vector-Jacobian product);
            may be None, or hold None, for a one-element output (then 1).
        retain_graph: keep the graph for another backward pass (default: free it, as
            ``backward`` does).
        create_graph: unsupported (barenet computes first derivatives only); must be False.
        allow_unused: give None for an input the outputs do not depend on, instead of raising.

    Returns:
        A tuple with one gradient per input, shaped like it (None where unused, if allowed).

    Raises:
        RuntimeError: an input does not require grad or is not used (without ``allow_unused``),
            an output has no graph, or ``create_graph=True``.
        ValueError: a ``grad_outputs`` entry has another shape than its output.

    Example:
        >>> import barenet
        >>> x = barenet.tensor([1.0, 2.0, 3.0], requires_grad=True)
        >>> grad((x * x).sum(), x)[0].tolist(), x.grad
        ([2.0, 4.0, 6.0], None)
    """
    if create_graph:
        raise RuntimeError("grad: create_graph=True needs higher-order gradients, which barenet does not "
                           "compute (backward works on raw arrays; see docs/design.md).")
    outputs, inputs = _tensors("grad", "outputs", outputs), _tensors("grad", "inputs", inputs)
    if grad_outputs is None or isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs] * len(outputs) if grad_outputs is None else [grad_outputs]
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"grad: expected one grad_outputs entry per output ({len(outputs)}). "
                         f"Received: {len(grad_outputs)}.")
    for t in inputs:
        if not t.requires_grad:
            raise RuntimeError(f"grad: an input of shape {t.shape} does not require grad.")
    gradients = [_output_gradient(out, g) for out, g in zip(outputs, grad_outputs)]
    capture = dict.fromkeys(id(t) for t in inputs)
    run_backward(outputs, gradients, retain_graph=bool(retain_graph), capture=capture)
    results = []
    for t in inputs:
        g = capture[id(t)]
        if g is None and not allow_unused:
            raise RuntimeError(f"grad: an input of shape {t.shape} was not used to compute the outputs; "
                               "pass allow_unused=True to get None for it.")
        results.append(None if g is None else Tensor._wrap(g.astype(t.dtype)))  # astype copies
    return tuple(results)


def _output_gradient(output: Tensor, g):
    if not output.requires_grad:
        raise RuntimeError(f"grad: an output of shape {output.shape} does not require grad and has no grad_fn.")
    xp = _backend.get_array_module(output.data)
    if g is None:
        if output.data.size != 1:
            raise RuntimeError(f"grad: grad_outputs can be omitted only for one-element outputs. "
                               f"Received: an output of shape {output.shape}.")
        return xp.ones_like(output.data)
    g = xp.asarray(g.data if isinstance(g, Tensor) else g, dtype=output.dtype)
    if g.shape != output.shape:
        raise ValueError(f"grad: a grad_outputs entry has shape {g.shape}, its output {output.shape}.")
    return g
