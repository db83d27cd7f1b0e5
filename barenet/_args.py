"""Checks of the plain-number arguments of public functions and layers (any layer may use them).

Each raises naming the function or layer (``owner``), the argument and what was expected:
``TypeError`` for a value of the wrong kind (a bool is not a number here), ``ValueError`` for one
out of range, so a wrong argument never surfaces as NumPy's message from deep inside.
"""
from __future__ import annotations

import math
from numbers import Integral, Real


def integer(owner: str, name: str, value, minimum: int | None = None) -> int:
    """``value`` as an int, at least ``minimum`` when given."""
    if not isinstance(value, Integral) or isinstance(value, bool):
        raise TypeError(f"{owner}: {name} must be an int. Received: {name}={value!r}.")
    if minimum is not None and value < minimum:
        raise ValueError(f"{owner}: {name} must be an int >= {minimum}. Received: {name}={value!r}.")
    return int(value)


def sizes(owner: str, size: tuple) -> tuple:
    """A shape given as ints (``zeros(2, 3)``) or as one tuple or list of them (``zeros((2, 3))``)."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    return tuple(integer(owner, "size", n, minimum=0) for n in size)


def number(owner: str, name: str, value, minimum: float | None = None, maximum: float | None = None,
           finite: bool = True) -> float:
    """``value`` as a float (finite unless ``finite=False``), in ``[minimum, maximum]`` where given."""
    if not isinstance(value, Real) or isinstance(value, bool) or (finite and not math.isfinite(value)):
        raise TypeError(f"{owner}: {name} must be a{' finite' if finite else ''} number. "
                        f"Received: {name}={value!r}.")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        bounds = (f"in [{minimum}, {maximum}]" if minimum is not None and maximum is not None
                  else f">= {minimum}" if minimum is not None else f"<= {maximum}")
        raise ValueError(f"{owner}: {name} must be {bounds}. Received: {name}={value!r}.")
    return float(value)
