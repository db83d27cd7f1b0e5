"""Dropout layers: active in ``train()`` mode, the identity in ``eval()`` mode."""
from __future__ import annotations

from .. import functional as F
from ..functional.dropout import check_p
from .module import Module

__all__ = ["Dropout", "Dropout2d"]


class _DropoutNd(Module):
    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        check_p(type(self).__name__, p)
        self.p, self.inplace = p, inplace

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Zeroes each element with probability ``p`` in training, scaling the rest by ``1 / (1 - p)``.

    Args:
        p: probability of zeroing an element.
        inplace: accepted for compatibility; a new tensor is always returned.

    Shape:
        input (*), output (*).

    Raises:
        ValueError: p is outside [0, 1].

    Example:
        >>> import barenet
        >>> layer = Dropout(0.5).eval()
        >>> layer(barenet.ones(3)).tolist()
        [1.0, 1.0, 1.0]
    """

    def forward(self, input):
        return F.dropout(input, self.p, self.training)


class Dropout2d(_DropoutNd):
    """Zeroes whole channels (feature maps) with probability ``p`` in training; see ``functional.dropout2d``.

    Args:
        p: probability of zeroing a channel.
        inplace: accepted for compatibility.

    Shape:
        input (N, C, H, W) or (N, C, L), output the same.

    Raises:
        ValueError: p is outside [0, 1].

    Example:
        >>> import barenet
        >>> Dropout2d(1.0)(barenet.ones(1, 2, 2, 2)).sum().item()
        0.0
    """

    def forward(self, input):
        return F.dropout2d(input, self.p, self.training)
