"""Shape ops: ``pad`` (constant, reflect, replicate, circular) and ``flatten``."""
from __future__ import annotations

import math
from numbers import Integral

from .. import _args, backend
from ..autograd import Function

__all__ = ["pad", "flatten"]

_MODES = ("constant", "reflect", "replicate", "circular")


def _borders(mode: str, l: int, r: int, n: int):
    """``(destination, source)`` slices along one padded axis, in output coordinates (the input
    occupies ``[l, l + n)``): the forward copies source to destination, the backward adds it back."""
    before, after = slice(0, l), slice(l + n, l + n + r)
    if mode == "reflect":  # mirrored about the edge element, which is not repeated
        pairs = [(before, slice(l + 1, 2 * l + 1)), (after, slice(l + n - 1 - r, l + n - 1))]
    elif mode == "replicate":  # the edge element, repeated
        pairs = [(before, slice(l, l + 1)), (after, slice(l + n - 1, l + n))]
    else:  # circular: the opposite end, wrapped around
        pairs = [(before, slice(n, n + l)), (after, slice(l, l + r))]
    return [(d, s) for d, s in pairs if d.stop > d.start]


def _at(base: tuple, k: int, s: slice) -> tuple:
    """``base`` with its axis-k entry replaced by ``s``."""
    return base[:k] + (s,) + base[k + 1:]


class Pad(Function):
    def __init__(self, pairs, mode: str, value: float):
        self.pairs, self.mode, self.value = pairs, mode, value  # pairs: (before, after) for every dim

    def forward(self, x):
        xp = backend.get_array_module(x)
        self.in_shape = x.shape
        out_shape = tuple(n + l + r for n, (l, r) in zip(x.shape, self.pairs))
        # output position j holds input position j - l; the input range [a, b) survives cropping
        spans = [(max(-l, 0), n - max(-r, 0), l) for n, (l, r) in zip(x.shape, self.pairs)]
        self.src = tuple(slice(a, b) for a, b, _ in spans)
        self.dst = tuple(slice(a + l, b + l) for a, b, l in spans)
        if self.mode == "constant":
            y = xp.full(out_shape, self.value, dtype=x.dtype)
            y[self.dst] = x[self.src]
            return y
        y = xp.empty(out_shape, dtype=x.dtype)
        y[self.dst] = x
        for axis, borders in self._steps(x.shape):
            for d, s in borders:
                y[d] = xp.flip(y[s], axis) if self.mode == "reflect" else y[s]
        return y

    def _steps(self, shape):
        """Per padded axis k, in order: its (destination, source) border index pairs, spanning
        axes before k in full (corners are filled from already padded rows), later axes' interior."""
        for k, ((l, r), n) in enumerate(zip(self.pairs, shape)):
            if l or r:
                base = (slice(None),) * k + self.dst[k:]
                yield k, [(_at(base, k, d), _at(base, k, s)) for d, s in _borders(self.mode, l, r, n)]

    def backward(self, gy):
        xp = backend.get_array_module(gy)
        if self.mode != "constant":
            gy = gy.copy()  # borders are folded back in place, in reverse order of the forward
            for axis, borders in reversed(list(self._steps(self.in_shape))):
                for d, s in borders:
                    g = gy[d]
                    if self.mode == "reflect":
                        g = xp.flip(g, axis)
                    elif self.mode == "replicate":
                        g = g.sum(axis=axis, keepdims=True)
                    gy[s] += g  # dL/dx_src += dL/dy_dst for each copied element
        if all(s.start == 0 and s.stop == n for s, n in zip(self.src, self.in_shape)):
            return xp.ascontiguousarray(gy[self.dst])
        gx = xp.zeros(self.in_shape, dtype=gy.dtype)  # cropped elements get no gradient
        gx[self.src] = gy[self.dst]
        return gx


def _check_pad(input, pad, mode: str, value):
    received = f"Received: input.shape={tuple(input.shape)}, pad={tuple(pad)}, mode={mode!r}"
    if mode not in _MODES:
        raise ValueError(f"pad: mode must be one of {', '.join(map(repr, _MODES))}. {received}.")
    if len(pad) % 2 or len(pad) > 2 * input.ndim or not all(isinstance(p, Integral) for p in pad):
        raise ValueError(f"pad: pad must hold an even number of integers, at most 2 per input dim. {received}.")
    pairs = [(0, 0)] * input.ndim
    for i in range(len(pad) // 2):  # (last_before, last_after, second_last_before, ...)
        pairs[input.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    for (l, r), n in zip(pairs, input.shape):
        if max(-l, 0) + max(-r, 0) > n:
            raise ValueError(f"pad: negative padding crops more than a dimension's size {n}. {received}.")
        if mode == "constant":
            continue
        if value is not None:
            raise ValueError(f"pad: mode {mode!r} takes no value argument. {received}.")
        if l < 0 or r < 0:
            raise ValueError(f"pad: negative padding (cropping) needs mode='constant'. {received}.")
        limit = n - 1 if mode == "reflect" else (n if mode == "circular" else (math.inf if n else 0))
        if max(l, r) > limit:
            raise ValueError(f"pad: {mode} padding must be at most {limit} for a dimension of size {n}. {received}.")
    return pairs


def pad(input, pad, mode: str = "constant", value: float | None = None):
    """Pad (or, with negative amounts, crop) the trailing dims, PyTorch's ``F.pad``.

    Args:
        input: any tensor.
        pad: ``(left, right)`` for the last dim, then ``(top, bottom)`` for the one before, and so
            on -- last dim first. Negative amounts crop (mode "constant" only).
        mode: "constant" (``value``), "reflect" (mirror, edge not repeated; each amount < size),
            "replicate" (repeat the edge) or "circular" (wrap around; each amount <= size).
        value: fill value of "constant" (None means 0).

    Shape:
        input (*, H, W), output (*, H + PH_top + PH_bottom, W + PW_left + PW_right) for a 4-tuple.

    Returns:
        The padded tensor. Backward: each output element's gradient is added to the input
        element it was copied from (reflected, replicated and wrapped borders add up).

    Raises:
        ValueError: unknown mode, odd or too long ``pad``, amounts too large for the mode, a
            negative amount outside "constant", or ``value`` given to another mode.

    Example:
        >>> import barenet
        >>> pad(barenet.tensor([[1.0, 2.0, 3.0]]), (2, 1), mode="reflect").tolist()
        [[3.0, 2.0, 1.0, 2.0, 3.0, 2.0]]
    """
    if not isinstance(pad, (tuple, list)):
        raise TypeError(f"pad: pad must be a tuple or list of ints, last dim first. Received: pad={pad!r}.")
    if value is not None:
        value = _args.number("pad", "value", value, finite=False)  # -inf pads a max, as in torch
    pairs = _check_pad(input, tuple(pad), mode, value)
    return Pad(pairs, mode, 0.0 if value is None else value)(input)


def flatten(input, start_dim: int = 0, end_dim: int = -1):
    """Merge dims ``start_dim..end_dim`` into one (a reshape: its backward reshapes back).

    Args:
        input: any tensor.
        start_dim: first dim to merge.
        end_dim: last dim to merge (inclusive).

    Shape:
        input (N, C, H, W), output (N, C*H*W) for start_dim=1; a 0-D input becomes (1,).

    Returns:
        The flattened tensor.

    Raises:
        IndexError: a dim is out of range. ValueError: start_dim comes after end_dim.

    Example:
        >>> import barenet
        >>> flatten(barenet.zeros(2, 3, 4, 5), start_dim=1).shape
        (2, 60)
    """
    n = max(input.ndim, 1)
    for dim in (start_dim, end_dim):
        if not isinstance(dim, Integral) or not -n <= dim < n:
            raise IndexError(f"flatten: dims must be integers in [{-n}, {n - 1}] for a {input.ndim}-D input. "
                             f"Received: start_dim={start_dim}, end_dim={end_dim}.")
    start, end = start_dim % n, end_dim % n
    if start > end:
        raise ValueError(f"flatten: start_dim must not come after end_dim. Received: start_dim={start_dim}, "
                         f"end_dim={end_dim} for a {input.ndim}-D input.")
    shape = input.shape[:start] + (math.prod(input.shape[start:end + 1]),) + input.shape[end + 1:]
    return input.reshape(shape)
