"""Receptive-field arithmetic: how many input pixels one unit of a layer sees, and where.

Every unit of a conv/pool stack is described, per spatial axis, by three numbers in input pixels
(Dumoulin & Visin 2016; Araujo, Norris & Sim 2019, "Computing Receptive Fields of CNNs"):

- ``size`` r: the width of the input window that can influence the unit;
- ``jump`` j: the distance between two neighbouring units' windows (the product of the strides);
- ``start``: the centre of the first unit's window (pixel centres are 0, 1, 2, ...; it is
  negative when padding puts the first window's centre outside the image).

A window of kernel K, stride S, padding P and dilation D on a layer (r, j, start) gives::

    r' = r + D*(K-1)*j        j' = j*S        start' = start + (D*(K-1)/2 - P)*j

Pointwise layers (BatchNorm, activations) keep all three; an elementwise sum or a concatenation
of branches sees the union of its inputs' windows. The figures are the theoretical fields: they
are not clipped to the image, so a deep ResNet's can exceed 224.

Example:
    >>> rf = ReceptiveField.identity()
    >>> for _ in range(3):
    ...     rf = rf.through(Window.square(3, padding=1))
    >>> rf.size
    (7, 7)
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ReceptiveField", "Window", "stack_receptive_field"]


@dataclass(frozen=True)
class Window:
    """The sliding window of a convolution or pooling layer, per axis (H, W).

    Args:
        kernel: KH, KW.
        stride: SH, SW.
        padding: the top and left padding PH, PW (the side that moves the first window).
        dilation: DH, DW.
    """

    kernel: tuple
    stride: tuple = (1, 1)
    padding: tuple = (0, 0)
    dilation: tuple = (1, 1)

    @classmethod
    def square(cls, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> "Window":
        """A window with the same settings on both axes."""
        return cls((kernel, kernel), (stride, stride), (padding, padding), (dilation, dilation))

    @property
    def span(self) -> tuple:
        """The dilated kernel's extent D*(K-1) + 1 on each axis."""
        return tuple(d * (k - 1) + 1 for k, d in zip(self.kernel, self.dilation))


@dataclass(frozen=True)
class ReceptiveField:
    """Size, jump and start of a layer's units in input pixels, per axis (H, W)."""

    size: tuple
    jump: tuple
    start: tuple

    @classmethod
    def identity(cls) -> "ReceptiveField":
        """The input itself: each pixel sees one pixel."""
        return cls((1, 1), (1, 1), (0.0, 0.0))

    def through(self, window: Window) -> "ReceptiveField":
        """The field of the units a ``window`` layer computes from units with this field."""
        size, jump, start = [], [], []
        for r, j, s0, span, st, p in zip(self.size, self.jump, self.start, window.span, window.stride,
                                         window.padding):
            size.append(r + (span - 1) * j)
            jump.append(j * st)
            start.append(s0 + ((span - 1) / 2 - p) * j)
        return ReceptiveField(tuple(size), tuple(jump), tuple(start))

    def union(self, other: "ReceptiveField") -> "ReceptiveField | None":
        """The field of a unit combining a unit of each (a residual sum, a concatenation).

        Returns None when the jumps differ: the two grids do not line up unit for unit.
        """
        if self.jump != other.jump:
            return None
        size, start = [], []
        for r1, s1, r2, s2 in zip(self.size, self.start, other.size, other.start):
            lo = min(s1 - (r1 - 1) / 2, s2 - (r2 - 1) / 2)
            hi = max(s1 + (r1 - 1) / 2, s2 + (r2 - 1) / 2)
            size.append(int(round(hi - lo + 1)))
            start.append((lo + hi) / 2)
        return ReceptiveField(tuple(size), self.jump, tuple(start))

    def describe(self) -> str:
        """``"196"`` for a square field, ``"196x150"`` otherwise."""
        h, w = self.size
        return str(h) if h == w else f"{h}x{w}"


def stack_receptive_field(windows) -> ReceptiveField:
    """The field of the last layer of a plain stack of ``windows``, from the input.

    Example:
        >>> stack_receptive_field([Window.square(3, dilation=d) for d in (1, 2, 4)]).size
        (15, 15)
    """
    rf = ReceptiveField.identity()
    for window in windows:
        rf = rf.through(window)
    return rf
