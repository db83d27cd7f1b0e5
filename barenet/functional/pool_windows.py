"""The machinery under max and average pooling: argument checks, geometry, and the phase layout.

How windows are read without a Python loop over pixels: the (padded) input is cut once into its
SH*SW stride phases, ``phase[a, b] = padded[a::SH, b::SW]``, each a stack of (Hq, Wq) planes.
Kernel offset (i, j) of every window then reads one shifted slice of one phase::

    padded[oh*SH + i*DH, ow*SW + j*DW] = phase[i*DH % SH, j*DW % SW][oh + i*DH // SH, ow + j*DW // SW]

Better still, a shift of (di, dj) in every (Hq, Wq) plane is a shift of di*Wq + dj in the phase
flattened over (N, C, Hq, Wq), so an offset of all windows is one contiguous run: a pool is a
loop over KH*KW offsets of whole-array, SIMD-wide ops (running max and argmax, or a running
sum) on the Hq*Wq positions of each plane, of which the OH*OW true windows are cropped at the
end. Backward adds each offset's share of the gradient into the same runs of a phase-shaped
buffer (overlapping windows add up) and weaves the phases back into the input's shape.

Why not reshape when the windows tile the input: measured on this project's 2-core machine,
numpy's loops over the stride-KW inner axis of the reshaped view ran 2-4x slower than one copy
into phases followed by contiguous ops (max_pool2d 2x2/2 on (128, 64, 32, 32)).

The phase buffers are scratch arrays reused across calls (``im2col.workspace``): fresh
tens-of-megabyte arrays cost a page fault per 4 KiB, about as long as the copy itself.
"""
from __future__ import annotations

import numpy as np

from .. import backend
from .im2col import workspace


def pair(op: str, name: str, value) -> tuple:
    """An int or a pair of ints as a pair of ints (TypeError otherwise)."""
    pair_ = (value, value) if isinstance(value, (int, np.integer)) else ()
    pair_ = tuple(value) if isinstance(value, (tuple, list)) else pair_
    if len(pair_) != 2 or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in pair_):
        raise TypeError(f"{op}: {name} must be an int or a pair of ints. Received: {name}={value!r}.")
    return tuple(int(v) for v in pair_)


def pool_size(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """Torch's output length; in ceil mode the last window must start inside the input or left padding."""
    out = (size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _checked_args(op, kernel_size, stride, padding, dilation):
    k, p, d = pair(op, "kernel_size", kernel_size), pair(op, "padding", padding), pair(op, "dilation", dilation)
    s = k if stride is None or (isinstance(stride, (tuple, list)) and not stride) else pair(op, "stride", stride)
    for name, v in (("kernel_size", k), ("stride", s), ("dilation", d)):
        if min(v) <= 0:
            raise ValueError(f"{op}: {name} must be positive. Received: {name}={v}.")
    if min(p) < 0 or p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise ValueError(f"{op}: padding must be between 0 and half of kernel_size. Received: padding={p}, "
                         f"kernel_size={k}.")
    return k, s, p, d


class Windows:
    """The geometry of one pooling call on an (N, C, H, W) input, and its phase layout."""

    def __init__(self, op, shape, kernel_size, stride, padding, dilation=1, ceil_mode=False):
        k, s, p, d = _checked_args(op, kernel_size, stride, padding, dilation)
        out = tuple(pool_size(n, *a, ceil_mode) for n, *a in zip(shape[2:], k, s, p, d))
        if min(out) < 1:
            raise ValueError(
                f"{op}: the (dilated) kernel is larger than the padded input, so the output would be empty. "
                f"Received: input.shape={tuple(shape)}, kernel_size={k}, stride={s}, padding={p}, dilation={d} "
                f"(output size {out})."
            )
        (self.N, self.C, self.H, self.W), (self.OH, self.OW) = shape, out
        (self.KH, self.KW), (self.SH, self.SW), (self.PH, self.PW), (self.DH, self.DW) = k, s, p, d
        self.Hq, self.Wq = self.OH + (k[0] - 1) * d[0] // s[0], self.OW + (k[1] - 1) * d[1] // s[1]
        # Per offset, in row-major kernel order: (phase row a, shift di, phase column b, shift dj).
        self.shifts = [divmod(i * d[0], s[0])[::-1] + divmod(j * d[1], s[1])[::-1]
                       for i in range(k[0]) for j in range(k[1])]
        # Flat runs compute all Hq*Wq plane positions; where most are not windows (a large
        # kernel at stride 1), (N, C, OH, OW) slices of the planes waste less.
        self.flat = self.Hq * self.Wq <= 2 * self.OH * self.OW
        self.size = self.N * self.C * self.Hq * self.Wq
        self.tail = (self.Hq - self.OH) * self.Wq + self.Wq - self.OW  # the largest flat shift
        # No padding and no margin: the input fills every phase plane, nothing to pre-fill.
        self.exact = p == (0, 0) and self.Hq * s[0] <= self.H and self.Wq * s[1] <= self.W
        # No phase is read by two offsets (backward may assign), and if moreover all offsets are
        # unshifted and every phase is read, their runs cover the phase planes exactly once.
        read = [(a, b) for a, _, b, _ in self.shifts]
        self.disjoint = len(set(read)) == len(read)
        self.covers = self.disjoint and len(read) == s[0] * s[1] and not any(di or dj for _, di, _, dj in self.shifts)

    def phases(self, xp, name: str, dtype, fill=None):
        """A scratch phase buffer (SH, SW, N*C*Hq*Wq + tail), set to ``fill`` unless None; the
        tail gives the flat runs room to shift into and only feeds outputs that crop drops."""
        buf = workspace(xp, name, (self.SH, self.SW, self.size + self.tail), dtype)
        if fill is not None:
            buf.fill(fill)
        return buf

    def _plane(self, buf, a, b):
        return buf[a, b, : self.size].reshape(self.N, self.C, self.Hq, self.Wq)

    def _phase_pairs(self):
        """(a, b, input index, plane index) of every phase that holds input pixels."""
        for a, (hx, hq) in enumerate(_phase_slices(self.H, self.SH, self.PH, self.Hq)):
            for b, (wx, wq) in enumerate(_phase_slices(self.W, self.SW, self.PW, self.Wq)):
                if hx is not None and wx is not None:
                    yield a, b, (Ellipsis, hx, wx), (Ellipsis, hq, wq)

    def to_phases(self, x, fill):
        """(N, C, H, W) -> phase buffer; padding and the margin past the input hold ``fill``."""
        buf = self.phases(backend.get_array_module(x), "pool_phases", x.dtype, None if self.exact else fill)
        for a, b, src, dst in self._phase_pairs():
            self._plane(buf, a, b)[dst] = x[src]
        return buf

    def from_phases(self, buf):
        """The adjoint of ``to_phases``: phase buffer -> (N, C, H, W), padding dropped."""
        gx = backend.get_array_module(buf).zeros((self.N, self.C, self.H, self.W), buf.dtype)
        for a, b, src, dst in self._phase_pairs():
            gx[src] = self._plane(buf, a, b)[dst]
        return gx

    def views(self, buf):
        """The KH*KW offset views of a phase buffer in row-major kernel order: flat
        (N*C*Hq*Wq,) runs, or (N, C, OH, OW) slices."""
        for a, di, b, dj in self.shifts:
            if self.flat:
                start = di * self.Wq + dj
                yield buf[a, b, start : start + self.size]
            else:
                yield self._plane(buf, a, b)[:, :, di : di + self.OH, dj : dj + self.OW]

    def crop(self, y):
        """The views' domain -> (N, C, OH, OW), a new array."""
        return y.reshape(self.N, self.C, self.Hq, self.Wq)[:, :, : self.OH, : self.OW].copy() if self.flat else y

    def extend(self, gy):
        """The adjoint of ``crop``: (N, C, OH, OW) -> the views' domain, zero where crop drops."""
        if not self.flat:
            return gy
        g = workspace(backend.get_array_module(gy), "pool_extend", (self.size,), gy.dtype)
        g.fill(0)
        g.reshape(self.N, self.C, self.Hq, self.Wq)[:, :, : self.OH, : self.OW] = gy
        return g

    def flat_index(self, xp, arg):
        """Torch's flat input index h*W + w of the window offsets ``arg`` (N, C, OH, OW)."""
        oh, ow = np.arange(self.OH) * self.SH - self.PH, np.arange(self.OW) * self.SW - self.PW
        corner = oh[:, None] * self.W + ow[None, :]  # (OH, OW): each window's top-left pixel
        offset = (np.arange(self.KH)[:, None] * self.DH * self.W + np.arange(self.KW) * self.DW).ravel()
        return xp.asarray(corner) + xp.asarray(offset)[arg]


def _phase_slices(size: int, s: int, p: int, q: int):
    """Per phase a: (input slice, plane slice) of the padded rows a, a+s, ... that are input rows,
    or (None, None) if there are none."""
    for a in range(s):
        q0 = max(0, -((a - p) // s))  # first q with q*s + a - p >= 0
        rows = range(q0 * s + a - p, min(size, q * s - p), s)
        yield (slice(rows.start, rows.stop, s), slice(q0, q0 + len(rows))) if len(rows) else (None, None)


def running_max(xp, views, n: int, track: bool):
    """Max over the ``n`` arrays ``views`` yields and, if ``track``, the number of the first one
    holding it (a NaN wins, and the last NaN is kept, as in torch)."""
    views = iter(views)
    y = next(views).copy()
    if not track:
        for v in views:
            xp.maximum(y, v, out=y)
        return y, None
    arg = xp.zeros(y.shape, np.min_scalar_type(-n))  # int8 for kernels up to 127 offsets
    better = xp.empty(y.shape, bool)
    for k, v in enumerate(views, 1):
        xp.greater(v, y, out=better)
        if v.dtype.kind == "f":
            better |= xp.isnan(v)
        xp.maximum(y, v, out=y)  # propagates NaN, like torch
        xp.maximum(arg, better * arg.dtype.type(k), out=arg)  # k exceeds every earlier offset number
    return y, arg
