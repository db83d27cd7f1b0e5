"""Memory: parameter and activation bytes, barenet's convolution workspace, and training memory.

Training memory is estimated as the sum of

- the parameters and buffers;
- one gradient per trainable parameter;
- the optimizer's state per trainable parameter (``OPTIMIZER_STATE``: none for plain SGD, a
  momentum buffer for SGD with momentum and RMSprop, two moments for Adam/AdamW);
- the activations saved for the backward pass: every layer's output for the whole batch (each
  layer's backward needs its input or output, and a layer's input is the previous output);
- barenet's convolution workspace: columns (and the GEMM's output, and in the backward pass the
  rearranged dL/dy) are built in chunks of the batch of about ``functional.im2col.CHUNK_BYTES``,
  and each buffer is reused from layer to layer, so the workspace is, buffer by buffer, the
  largest any layer needs, not the sum over layers.

Example:
    >>> conv_workspace_bytes((1, 64, 56, 56), (64, 64, 3, 3), padding=1, backward=False)
    5074944
"""
from __future__ import annotations

from ..functional import conv_kernels, im2col
from ..functional.conv import conv2d_geometry

__all__ = ["OPTIMIZER_STATE", "conv_workspace_bytes", "conv_workspace_sizes", "network_workspace_bytes",
           "training_memory", "format_bytes"]

# Arrays of the parameters' size an optimizer keeps per trainable parameter.
OPTIMIZER_STATE = {"sgd": 0, "momentum": 1, "nesterov": 1, "rmsprop": 1, "adagrad": 1, "adam": 2, "adamw": 2}


def conv_workspace_bytes(input_shape: tuple, weight_shape: tuple, stride=1, padding=0, dilation=1,
                         groups: int = 1, itemsize: int = 4, chunked: bool = True, backward: bool = True) -> int:
    """Bytes of the scratch buffers barenet's ``conv2d`` keeps for one layer after a forward
    (and, when ``backward``, a backward) pass.

    Whatever the strategy the layer takes (row shifts, im2col, depthwise; see
    ``functional.conv_kernels``), the buffers of its largest chunk of the batch (the whole batch
    unless ``chunked``). Arguments as ``conv2d``'s, with shapes (N, C_in, H, W) and
    (C_out, C_in/groups, KH, KW). A network's workspace is not the largest layer's: see
    ``network_workspace_bytes``.
    """
    return sum(conv_workspace_sizes(input_shape, weight_shape, stride, padding, dilation, groups, itemsize,
                                    chunked, backward).values())


def conv_workspace_sizes(input_shape: tuple, weight_shape: tuple, stride=1, padding=0, dilation=1,
                         groups: int = 1, itemsize: int = 4, chunked: bool = True, backward: bool = True) -> dict:
    """``conv_workspace_bytes`` buffer by buffer: {workspace name: bytes}."""
    g = conv2d_geometry(input_shape, weight_shape, stride, padding, dilation)
    return conv_kernels.workspace_sizes(tuple(input_shape), tuple(weight_shape), g, groups, itemsize, backward,
                                        chunked)


def network_workspace_bytes(layer_sizes) -> int:
    """The workspace of a network whose convolutions have the buffers ``layer_sizes`` (one
    ``conv_workspace_sizes`` dict per layer): buffers are reused from layer to layer by name, so
    each name holds its largest size."""
    return sum(im2col.largest_workspaces(layer_sizes).values())


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
