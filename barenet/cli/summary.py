"""A model summary for the command line: each leaf layer's output shape and parameter count."""
from __future__ import annotations

import numpy as np

from ..autograd import Tensor, no_grad

__all__ = ["model_summary"]


def model_summary(model, input_shape: tuple[int, ...]) -> str:
    """A table of the leaf layers met by one forward pass on zeros of ``input_shape``.

    Runs in eval mode (so batch-norm statistics are untouched) and restores the mode after.

    Example:
        >>> from barenet import nn
        >>> print(model_summary(nn.Sequential(nn.Linear(4, 3), nn.ReLU()), (1, 4)))  # doctest: +NORMALIZE_WHITESPACE
        layer  type    output shape  params
        0      Linear  (1, 3)        15
        1      ReLU    (1, 3)        0
        total 15 parameters (15 trainable)
    """
    rows, handles = [], []
    for name, module in model.named_modules():
        if name and not module._modules:
            def record(m, inputs, output, name=name):
                shape = tuple(output.shape) if isinstance(output, Tensor) else "?"
                rows.append((name, type(m).__name__, str(shape), sum(p.numel() for p in m.parameters())))
            handles.append(module.register_forward_hook(record))
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            model(Tensor(np.zeros(input_shape, dtype=np.float32)))
    finally:
        for handle in handles:
            handle.remove()
        model.train(was_training)
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    header = ("layer", "type", "output shape", "params")
    table = [header] + [(n, t, s, f"{p:,}") for n, t, s, p in rows]
    widths = [max(len(str(r[i])) for r in table) for i in range(4)]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip() for r in table]
    return "\n".join(lines + [f"total {total:,} parameters ({trainable:,} trainable)"])
