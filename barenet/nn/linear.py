"""``Linear`` (fully connected), ``Identity`` and ``Flatten``."""
from __future__ import annotations

import numpy as np

from .. import _args, functional as F
from . import init
from .module import Module
from .parameter import Parameter

__all__ = ["Identity", "Linear", "Flatten"]


class Identity(Module):
    """Returns its input; accepts and ignores any arguments (a placeholder, e.g. a removed head).

    Shape:
        input (*), output (*).

    Example:
        >>> import barenet
        >>> x = barenet.zeros(2)
        >>> Identity(54, unused="x")(x) is x
        True
    """

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """Fully connected layer ``y = x W^T + b``; see ``functional.linear``.

    Weight and bias start as PyTorch's: ``U(-1/sqrt(in_features), 1/sqrt(in_features))``.

    Args:
        in_features: size of each input's last dim.
        out_features: size of each output's last dim.
        bias: learn an additive bias.

    Shape:
        input (*, in_features), output (*, out_features); weight (out_features, in_features).

    Raises:
        ValueError: the input's last dim is not ``in_features`` (the message names the layer).

    Example:
        >>> import barenet
        >>> Linear(4, 3)(barenet.zeros(2, 4)).shape
        (2, 3)
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True):
        super().__init__()
        self.in_features = _args.integer("Linear", "in_features", in_features, minimum=0)
        self.out_features = _args.integer("Linear", "out_features", out_features, minimum=0)
        self.weight = Parameter(np.empty((out_features, in_features), dtype=np.float32))
        self.bias = Parameter(np.empty(out_features, dtype=np.float32)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.default_layer_init_(self.weight, self.bias)

    def forward(self, input):
        if input.ndim == 0 or input.shape[-1] != self.in_features:
            raise ValueError(f"{self!r}: expected an input whose last dim is in_features={self.in_features}. "
                             f"Received: input.shape={tuple(input.shape)}.")
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Flatten(Module):
    """Merges dims ``start_dim..end_dim``: by default all but the batch dim; see ``functional.flatten``.

    Args:
        start_dim: first dim to merge.
        end_dim: last dim to merge (inclusive).

    Shape:
        input (N, C, H, W), output (N, C*H*W).

    Example:
        >>> import barenet
        >>> Flatten()(barenet.zeros(2, 3, 4, 4)).shape
        (2, 48)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input):
        return F.flatten(input, self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
