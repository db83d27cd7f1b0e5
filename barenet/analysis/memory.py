"""Memory: parameter and activation bytes, barenet's im2col workspace, and training memory.

Training memory is estimated as the sum of

- the parameters and buffers;
- one gradient per trainable parameter;
- the optimizer's state per trainable parameter (``OPTIMIZER_STATE``: none for plain SGD, a
  momentum buffer for SGD with momentum and RMSprop, two moments for Adam/AdamW);
- the activations saved for the backward pass: every layer's output for the whole batch (each
  layer's backward needs its input or output, and a layer's input is the previous output);
- barenet's im2col workspace: convolution columns are built in chunks of about
  ``functional.im2col.CHUNK_BYTES`` and the buffer is reused from layer to layer, so the
  workspace is the largest chunk of any layer, not the sum.

Example:
    >>> conv_workspace_bytes(64, (3, 3), (56, 56), 64, batch_size=1, itemsize=4) > 0
    True
"""
from __future__ import annotations

from ..functional import im2col

__all__ = ["OPTIMIZER_STATE", "conv_workspace_bytes", "training_memory", "format_bytes"]

# Arrays of the parameters' size an optimizer keeps per trainable parameter.
OPTIMIZER_STATE = {"sgd": 0, "momentum": 1, "nesterov": 1, "rmsprop": 1, "adagrad": 1, "adam": 2, "adamw": 2}


def conv_workspace_bytes(in_channels: int, kernel: tuple, out_hw: tuple, out_channels: int, batch_size: int,
                         itemsize: int, depthwise: bool = False, chunked: bool = True,
                         in_width: int | None = None, stride: tuple = (1, 1)) -> int:
    """Bytes of the scratch buffers barenet's forward convolution uses for one layer.

    The columns of ``n`` samples at a time (``im2col.chunks``; the whole batch unless
    ``chunked``) plus the GEMM's output for them; a depthwise convolution works elementwise and
    needs none. Given the input width and the stride, a stride-1 convolution narrower than its
    input is costed as barenet computes it, widened to the input's width (``im2col.widened``).
    """
    if depthwise:
        return 0
    oh, ow = out_hw
    if in_width is not None and tuple(stride) == (1, 1) and ow < in_width <= im2col.WIDEN_LIMIT * ow:
        ow = in_width
    plane = oh * ow
    per_sample = in_channels * kernel[0] * kernel[1] * plane * itemsize
    start, stop = (im2col.chunks(batch_size, per_sample, plane) if chunked else [(0, batch_size)])[0]
    n = stop - start
    return n * per_sample + out_channels * n * plane * itemsize


def training_memory(param_bytes: int, buffer_bytes: int, trainable_bytes: int, activation_bytes: int,
                    workspace_bytes: int, batch_size: int, optimizer: str) -> dict:
    """The estimate above, item by item, in bytes; ``activation_bytes`` is per sample.

    Raises:
        ValueError: an optimizer not in ``OPTIMIZER_STATE``.
    """
    if optimizer not in OPTIMIZER_STATE:
        raise ValueError(f"training_memory: unknown optimizer {optimizer!r}. "
                         f"Valid names: {', '.join(OPTIMIZER_STATE)}.")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"training_memory: batch_size must be a positive int. Received: batch_size={batch_size!r}.")
    parts = {
        "parameters": param_bytes + buffer_bytes,
        "gradients": trainable_bytes,
        "optimizer_state": OPTIMIZER_STATE[optimizer] * trainable_bytes,
        "activations": activation_bytes * batch_size,
        "workspace": workspace_bytes,
    }
    parts["total"] = sum(parts.values())
    return {"batch_size": batch_size, "optimizer": optimizer, **parts}


def format_bytes(n: float) -> str:
    """``1536`` -> ``"1.5 KiB"``; binary units, one decimal.

    Example:
        >>> format_bytes(3 * 2**20)
        '3.0 MiB'
    """
    for unit in ("B", "KiB", "MiB"):
        if abs(n) < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"
