"""Activation layers: thin modules over ``barenet.functional``'s activations (PyTorch's ``torch.nn``)."""
from __future__ import annotations

from numbers import Integral

import numpy as np

from .. import _args, functional as F
from .module import Module
from .parameter import Parameter

__all__ = ["ReLU", "LeakyReLU", "PReLU", "ELU", "Sigmoid", "Tanh", "Softplus", "Softmax", "LogSoftmax", "Maxout",
           "Hardtanh", "ReLU6"]


class ReLU(Module):
    """``max(x, 0)`` elementwise; see ``functional.relu``.

    Args:
        inplace: accepted for compatibility; barenet never overwrites its input.

    Shape:
        input (*), output (*).

    Example:
        >>> import barenet
        >>> ReLU()(barenet.tensor([-1.0, 2.0])).tolist()
        [0.0, 2.0]
    """

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.relu(input)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """``x`` for ``x > 0``, else ``negative_slope * x``; see ``functional.leaky_relu``.

    Args:
        negative_slope: slope on the negative side.
        inplace: accepted for compatibility.

    Shape:
        input (*), output (*).

    Example:
        >>> import barenet
        >>> LeakyReLU(0.1)(barenet.tensor([-10.0])).tolist()
        [-1.0]
    """

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False):
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class PReLU(Module):
    """Leaky ReLU whose negative slope is learned (He et al. 2015); see ``functional.prelu``.

    Args:
        num_parameters: 1 (one slope shared by all channels) or C (one per channel, dim 1).
        init: initial slope.

    Shape:
        input (N, C, *), output (N, C, *).

    Example:
        >>> import barenet
        >>> PReLU()(barenet.tensor([[-4.0, 1.0]])).tolist()
        [[-1.0, 1.0]]
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25):
        super().__init__()
        self.num_parameters = _args.integer("PReLU", "num_parameters", num_parameters, minimum=1)
        self.weight = Parameter(np.full(num_parameters, _args.number("PReLU", "init", init), dtype=np.float32))

    def forward(self, input):
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class ELU(Module):
    """``x`` for ``x > 0``, else ``alpha (e^x - 1)``; see ``functional.elu``.

    Args:
        alpha: the negative side saturates at ``-alpha``.
        inplace: accepted for compatibility.

    Shape:
        input (*), output (*).

    Example:
        >>> import barenet
        >>> ELU()(barenet.tensor([1.0])).tolist()
        [1.0]
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input):
        return F.elu(input, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class Sigmoid(Module):
    """``1 / (1 + e^-x)``; see ``functional.sigmoid``.

    Shape:
        input (*), output (*).

    Example:
        >>> import barenet
        >>> Sigmoid()(barenet.tensor([0.0])).tolist()
        [0.5]
    """

    def forward(self, input):
        return F.sigmoid(input)


class Tanh(Module):
    """Hyperbolic tangent; see ``functional.tanh``.

    Shape:
        input (*), output (*).

    Example:
        >>> import barenet
        >>> Tanh()(barenet.tensor([0.0])).tolist()
        [0.0]
    """

    def forward(self, input):
        return F.tanh(input)


class Softplus(Module):
    """``log(1 + e^(beta x)) / beta``, linear above ``threshold``; see ``functional.softplus``.

    Args:
        beta: sharpness.
        threshold: above ``beta x > threshold`` the layer is the identity.

    Shape:
        input (*), output (*).

    Example:
        >>> import barenet
        >>> Softplus()(barenet.tensor([30.0])).tolist()
        [30.0]
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input):
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class _OverDim(Module):
    """A layer normalising over one dim, which must be given (PyTorch's implicit dim is deprecated:
    it picks dim 0 for 0-D, 1-D and 3-D inputs, so a batch of sequences would be normalised over
    the batch)."""

    def __init__(self, dim: int | None = None):
        super().__init__()
        if dim is None:
            raise ValueError(f"{type(self).__name__}: dim is required; PyTorch's implicit dim is deprecated and "
                             f"normalises over the batch for 3-D inputs. Use dim=1 for (N, C) or (N, C, H, W) "
                             f"inputs. Received: dim=None.")
        self.dim = dim

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax(_OverDim):
    """Probabilities along ``dim``; see ``functional.softmax``.

    Args:
        dim: the dim that sums to 1 (required, see ``ValueError``).

    Shape:
        input (*), output (*).

    Raises:
        ValueError: dim is None.

    Example:
        >>> import barenet
        >>> Softmax(dim=1)(barenet.tensor([[1.0, 1.0]])).tolist()
        [[0.5, 0.5]]
    """

    def forward(self, input):
        return F.softmax(input, self.dim)


class LogSoftmax(_OverDim):
    """Log-probabilities along ``dim``; see ``functional.log_softmax``.

    Args:
        dim: the dim to normalise over (required).

    Shape:
        input (*), output (*).

    Raises:
        ValueError: dim is None.

    Example:
        >>> import barenet
        >>> LogSoftmax(dim=1)(barenet.tensor([[0.0, 0.0]])).tolist()[0][0] < 0
        True
    """

    def forward(self, input):
        return F.log_softmax(input, self.dim)


class Maxout(Module):
    """Max over groups of ``pieces`` consecutive channels (Goodfellow et al. 2013); see ``functional.maxout``.

    Not in PyTorch; the layer after a conv or linear layer with ``pieces`` times the units.

    Args:
        pieces: linear pieces per unit.
        dim: the channel dim.

    Shape:
        input (N, C, *), output (N, C / pieces, *).

    Example:
        >>> import barenet
        >>> Maxout(2)(barenet.zeros(1, 6, 4, 4)).shape
        (1, 3, 4, 4)
    """

    def __init__(self, pieces: int, dim: int = 1):
        super().__init__()
        if not isinstance(pieces, Integral) or pieces < 1:
            raise ValueError(f"Maxout: pieces must be a positive integer. Received: pieces={pieces!r}.")
        self.pieces, self.dim = pieces, dim

    def forward(self, input):
        return F.maxout(input, self.pieces, self.dim)

    def extra_repr(self) -> str:
        return f"pieces={self.pieces}, dim={self.dim}"


class Hardtanh(Module):
    """``min(max(x, min_val), max_val)`` elementwise.

    Args:
        min_val: lower bound.
        max_val: upper bound.
        inplace: accepted for compatibility.

    Shape:
        input (*), output (*).

    Returns:
        The clipped tensor (``functional.hardtanh``); its gradient is 1 strictly inside
        ``(min_val, max_val)`` and 0 elsewhere, as PyTorch's.

    Example:
        >>> import barenet
        >>> Hardtanh()(barenet.tensor([-3.0, 0.5, 3.0])).tolist()
        [-1.0, 0.5, 1.0]
    """

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
        super().__init__()
        if min_val >= max_val:
            raise ValueError(f"{type(self).__name__}: min_val must be below max_val. "
                             f"Received: min_val={min_val}, max_val={max_val}.")
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, input):
        return F.hardtanh(input, self.min_val, self.max_val)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}"


class ReLU6(Hardtanh):
    """``min(max(x, 0), 6)`` elementwise (MobileNet's activation).

    Example:
        >>> import barenet
        >>> ReLU6()(barenet.tensor([-1.0, 3.0, 8.0])).tolist()
        [0.0, 3.0, 6.0]
    """

    def __init__(self, inplace: bool = False):
        super().__init__(0.0, 6.0, inplace)
