"""Pooling: max, average, adaptive and max-unpooling, with ``torch.nn.functional``'s semantics.

Max and average pooling read their windows through the stride-phase layout of
``pool_windows.py``: a loop over the KH*KW kernel offsets of whole-array ops, never over pixels.
Adaptive pooling, whose bins differ in size, averages with two small bin matrices and takes its
maxima over gathered bin offsets. Max pooling returns, like torch, flat indices ``h * W + w`` into
each input (H, W) plane: the first maximum of a window in row-major order (a NaN wins, and the
last NaN is kept).
"""
from __future__ import annotations

import numpy as np

from .. import _args, backend
from ..autograd.function import Function
from ..autograd.tensor import Tensor
from .pool_windows import Windows, pair, running_max

__all__ = ["max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "adaptive_max_pool2d", "max_unpool2d"]


def _check_rank(op: str, input) -> None:
    if input.ndim not in (3, 4) or 0 in input.shape[-3:]:
        raise ValueError(
            f"{op}: expected a non-empty 3-D (C, H, W) or 4-D (N, C, H, W) input. Received: "
            f"input.shape={tuple(input.shape)}."
        )


class _Pool(Function):
    """Runs the 4-D op on 3-D (C, H, W) input too, as torch does, through a batch of one."""

    indices = None

    def forward(self, x, *rest):
        self.unbatched = x.ndim == 3
        if self.unbatched:
            x, rest = x[None], tuple(r[None] for r in rest)
        y = self.forward4(x, *rest)
        if self.unbatched and self.indices is not None:
            self.indices = self.indices[0]
        return y[0] if self.unbatched else y

    def backward(self, gy):
        gx = self.backward4(gy[None] if self.unbatched else gy)
        return (gx[0] if self.unbatched else gx,) + (None,) * (len(self.needs_input_grad) - 1)


# ----- max pooling -------------------------------------------------------------------------
def _lowest(dtype):
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


class MaxPool2d(_Pool):
    def __init__(self, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
        self.args = (kernel_size, stride, padding, dilation, ceil_mode)
        self.return_indices = return_indices

    def forward4(self, x):
        xp = backend.get_array_module(x)
        w = self.w = Windows("max_pool2d", x.shape, *self.args)
        track = self.needs_input_grad[0] or self.return_indices
        y, self.arg = running_max(xp, w.views(w.to_phases(x, _lowest(x.dtype))), len(w.shifts), track)
        if self.return_indices:
            self.indices = w.flat_index(xp, w.crop(self.arg))
        return w.crop(y)

    def backward4(self, gy):
        # dL/dx[p] = sum of gy over the windows whose (first) maximum sits at p: offset k of every
        # window passes gy where k was its argmax (0 at the cropped extras, so they add nothing).
        xp, w = backend.get_array_module(gy), self.w
        gy = w.extend(gy)
        g, tmp = w.phases(xp, "pool_grad", gy.dtype, None if w.covers else 0), xp.empty_like(gy)
        for k, view in enumerate(w.views(g)):
            xp.multiply(gy, self.arg == k, out=view if w.disjoint else tmp)
            if not w.disjoint:
                view += tmp
        return w.from_phases(g)


# ----- average pooling ---------------------------------------------------------------------
def _divisor(w: Windows, count_include_pad: bool):
    """Torch's divisor of each window, (OH, OW): its size clipped to the padded input, or to the input."""
    def lengths(out, s, p, k, size):
        start = np.arange(out) * s - p
        end = np.minimum(start + k, size + p)  # a ceil-mode window past the padding counts only up to it
        return end - start if count_include_pad else np.minimum(end, size) - np.maximum(start, 0)

    return np.outer(lengths(w.OH, w.SH, w.PH, w.KH, w.H), lengths(w.OW, w.SW, w.PW, w.KW, w.W))


class AvgPool2d(_Pool):
    def __init__(self, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
        self.args = (kernel_size, stride, padding, 1, ceil_mode)
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward4(self, x):
        xp = backend.get_array_module(x)
        w = self.w = Windows("avg_pool2d", x.shape, *self.args)
        divisor = self.divisor_override or _divisor(w, self.count_include_pad)
        self.divisor = xp.asarray(divisor, dtype=x.dtype)
        views = w.views(w.to_phases(x, 0))
        y = next(views).copy()
        for v in views:
            y += v
        return w.crop(y) / self.divisor

    def backward4(self, gy):
        # dL/dx[p] = sum over the windows w that cover p of gy[w] / divisor[w]
        xp, w = backend.get_array_module(gy), self.w
        share = w.extend(gy / self.divisor)
        g = w.phases(xp, "pool_grad", gy.dtype, 0)
        for view in w.views(g):
            view += share
        return w.from_phases(g)


# ----- adaptive pooling --------------------------------------------------------------------
def _adaptive_size(op: str, shape, output_size) -> tuple:
    """(OH, OW) from an int or a pair whose None entries keep the input's size."""
    size = output_size if isinstance(output_size, (tuple, list)) else (output_size, output_size)
    size = tuple(n if v is None else v for n, v in zip(shape[-2:], size)) if len(size) == 2 else ()
    if len(size) != 2 or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in size):
        raise TypeError(f"{op}: output_size must be an int or a pair of ints (or None). "
                        f"Received: output_size={output_size!r}.")
    if min(size) < 0:
        raise ValueError(f"{op}: output_size must be non-negative. Received: output_size={output_size!r}.")
    return tuple(int(v) for v in size)


def _bins(size: int, out: int):
    """Torch's adaptive bins: start = floor(i*size/out), end = ceil((i+1)*size/out)."""
    i = np.arange(out)
    return i * size // out, -(-(i + 1) * size // out)


def _bin_matrix(xp, size: int, out: int, dtype):
    """(out, size) averaging matrix: row i holds 1/len over bin i, so pooled = M @ x along that axis."""
    start, end = _bins(size, out)
    inside = (np.arange(size) >= start[:, None]) & (np.arange(size) < end[:, None])
    return xp.asarray(inside / (end - start)[:, None], dtype=dtype)


class AdaptiveAvgPool2d(_Pool):
    def __init__(self, output_size):
        self.output_size = output_size

    def forward4(self, x):
        xp, (OH, OW) = backend.get_array_module(x), self.output_size
        self.shape = x.shape
        if (OH, OW) == (1, 1):  # global average pooling: one contiguous mean
            return x.mean(axis=(2, 3), keepdims=True)
        self.mh, self.mw = _bin_matrix(xp, x.shape[2], OH, x.dtype), _bin_matrix(xp, x.shape[3], OW, x.dtype)
        return self.mh @ x @ self.mw.T  # (OH, H) @ (N, C, H, W) @ (W, OW)

    def backward4(self, gy):
        if self.output_size == (1, 1):  # dL/dx = gy / (H*W) everywhere
            return backend.get_array_module(gy).broadcast_to(gy / (self.shape[2] * self.shape[3]), self.shape).copy()
        return self.mh.T @ gy @ self.mw  # dL/dx = Mh^T gy Mw


class AdaptiveMaxPool2d(_Pool):
    """Bins of unequal, overlapping sizes: offset k of every bin is gathered (clipped to the bin's
    last pixel, a repeat that never beats the first visit), and backward scatter-adds."""

    def __init__(self, output_size, return_indices):
        self.output_size, self.return_indices = output_size, return_indices

    def forward4(self, x):
        xp, (H, W), (OH, OW) = backend.get_array_module(x), x.shape[2:], self.output_size
        rows, cols = _bin_offsets(H, OH), _bin_offsets(W, OW)  # (KH, OH), (KW, OW)
        by_row = [x.take(xp.asarray(r), axis=2) for r in rows]  # each (N, C, OH, W); take keeps C order
        views = (z.take(xp.asarray(c), axis=3) for z in by_row for c in cols)  # each (N, C, OH, OW), row-major
        track = self.needs_input_grad[0] or self.return_indices
        y, arg = running_max(xp, views, len(rows) * len(cols), track)
        if track:
            table = (rows[:, None, :, None] * W + cols[None, :, None, :]).reshape(len(rows) * len(cols), OH, OW)
            table = xp.asarray(table)  # (KH*KW, OH, OW): flat input index of every bin offset
            self.indices = table[arg, xp.arange(OH)[:, None], xp.arange(OW)]  # (N, C, OH, OW)
            self.shape = x.shape
        return y

    def backward4(self, gy):
        # dL/dx[p] = sum of gy over the bins whose maximum sits at p (adaptive bins can overlap)
        xp, (N, C, H, W) = backend.get_array_module(gy), self.shape
        flat = self.indices + xp.arange(N * C).reshape(N, C, 1, 1) * (H * W)
        gx = xp.bincount(flat.ravel(), weights=gy.ravel(), minlength=N * C * H * W)
        return gx.reshape(self.shape).astype(gy.dtype, copy=False)


def _bin_offsets(size: int, out: int):
    """(max bin length, out): the pixel at offset k of each bin, clipped to its last pixel."""
    start, end = _bins(size, out)
    k = np.arange((end - start).max(initial=1))[:, None]
    return np.minimum(start + k, end - 1)


# ----- max unpooling -----------------------------------------------------------------------
class MaxUnpool2d(_Pool):
    def __init__(self, output_size):
        self.output_size = output_size

    def forward4(self, x, indices):
        xp, (N, C), (OH, OW) = backend.get_array_module(x), x.shape[:2], self.output_size
        lo, hi = (int(indices.min()), int(indices.max())) if indices.size else (0, 0)
        if lo < 0 or hi >= OH * OW:
            bad = lo if lo < 0 else hi
            raise ValueError(
                f"max_unpool2d: indices must lie in [0, OH*OW) of the output plane. Received: an index {bad} "
                f"for output size {(OH, OW)}."
            )
        self.flat = (indices + xp.arange(N * C).reshape(N, C, 1, 1) * (OH * OW)).ravel()
        self.shape = x.shape
        y = xp.zeros(N * C * OH * OW, x.dtype)
        y[self.flat] = x.ravel()
        return y.reshape(N, C, OH, OW)

    def backward4(self, gy):
        return gy.reshape(-1)[self.flat].reshape(self.shape)  # dL/dx = gy where x was placed


# ----- public ops ----------------------------------------------------------------------------
def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """2-D max pooling: the maximum of each (dilated) KH x KW window, windows SH, SW apart.

    Args:
        input: (N, C, H, W) or unbatched (C, H, W) tensor.
        kernel_size: KH, KW (an int or a pair).
        stride: SH, SW; defaults to ``kernel_size``.
        padding: PH, PW of implicit -inf on each side; at most half of the kernel.
        dilation: DH, DW, the spacing between a window's pixels.
        ceil_mode: round the output size up, keeping a last partial window if it starts
            inside the input or the left padding.
        return_indices: also return the flat index ``h * W + w`` of each maximum in its
            input plane (ready for ``max_unpool2d``).

    Shape:
        input (N, C, H, W) -> output (N, C, OH, OW), OH = (H + 2*PH - DH*(KH-1) - 1)//SH + 1
        (ceil instead of floor in ceil mode); OW likewise.

    Returns:
        The pooled tensor, or ``(output, indices)`` with int64 indices shaped like the output.
        Backward routes each output gradient to its window's first maximum (row-major order);
        where windows overlap, dL/dx[p] sums gy over every window whose maximum is p.

    Raises:
        ValueError: input not 3-D or 4-D; non-positive kernel_size, stride or dilation; padding
            negative or over half the kernel; a kernel larger than the padded input.
        TypeError: a size argument that is not an int or a pair of ints.

    Example:
        >>> import barenet, barenet.functional as F
        >>> x = barenet.tensor([[[[1., 5., 2.], [4., 3., 0.], [7., 8., 6.]]]])
        >>> y, i = F.max_pool2d(x, 2, stride=1, return_indices=True)
        >>> y.numpy().tolist(), i.numpy().tolist()
        ([[[[5.0, 5.0], [8.0, 8.0]]]], [[[[1, 1], [7, 7]]]])
    """
    _check_rank("max_pool2d", input)
    fn = MaxPool2d(kernel_size, stride, padding, dilation, ceil_mode, return_indices)
    y = fn(input)
    return (y, Tensor._wrap(fn.indices)) if return_indices else y


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """2-D average pooling: the mean of each KH x KW window, windows SH, SW apart.

    Args:
        input: (N, C, H, W) or unbatched (C, H, W) tensor.
        kernel_size: KH, KW (an int or a pair).
        stride: SH, SW; defaults to ``kernel_size``.
        padding: PH, PW of implicit zeros on each side; at most half of the kernel.
        ceil_mode: round the output size up (see ``max_pool2d``).
        count_include_pad: divide by the window's size within the padded input (zeros count);
            otherwise by its number of input pixels. A ceil-mode window past the padding is
            clipped to it either way.
        divisor_override: divide every window sum by this instead.

    Shape:
        input (N, C, H, W) -> output (N, C, OH, OW), OH = (H + 2*PH - KH)//SH + 1; OW likewise.

    Returns:
        The pooled tensor. Backward: dL/dx[p] = sum over the windows w covering p of gy[w] / divisor[w].

    Raises:
        ValueError: as ``max_pool2d``, or divisor_override equal to 0.
        TypeError: a size argument that is not an int or a pair of ints.

    Example:
        >>> import barenet, barenet.functional as F
        >>> x = barenet.tensor([[[[1., 2., 3.], [4., 5., 6.]]]])
        >>> F.avg_pool2d(x, 2, padding=1, count_include_pad=False).numpy().tolist()
        [[[[1.0, 2.5], [4.0, 5.5]]]]
    """
    _check_rank("avg_pool2d", input)
    if divisor_override is not None and _args.integer("avg_pool2d", "divisor_override", divisor_override) == 0:
        raise ValueError(f"avg_pool2d: divisor_override must not be zero. "
                         f"Received: divisor_override={divisor_override}.")
    return AvgPool2d(kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)(input)


def _tiled(shape, size) -> bool:
    """Whether adaptive bins of ``size`` cut the input into equal tiles (an ordinary pool)."""
    return 0 not in size and shape[-2] % size[0] == 0 and shape[-1] % size[1] == 0


def adaptive_avg_pool2d(input, output_size):
    """2-D average pooling to a fixed output size, whatever the input's.

    Output pixel (i, j) averages rows floor(i*H/OH) to ceil((i+1)*H/OH) - 1 and the columns
    alike; these bins may differ in size and overlap. Output 1 is global average pooling.

    Args:
        input: (N, C, H, W) or unbatched (C, H, W) tensor.
        output_size: OH, OW (an int or a pair; None keeps that input size).

    Shape:
        input (N, C, H, W) -> output (N, C, OH, OW).

    Returns:
        The pooled tensor. With the (OH, H) bin-averaging matrix Mh and (OW, W) matrix Mw,
        output = Mh x Mw^T, so backward is dL/dx = Mh^T gy Mw.

    Raises:
        ValueError: input not 3-D or 4-D, or a negative output size.
        TypeError: output_size not an int or a pair of ints or None.

    Example:
        >>> import barenet, barenet.functional as F
        >>> x = barenet.tensor([[[[1., 2., 3.], [4., 5., 6.]]]])
        >>> F.adaptive_avg_pool2d(x, (1, 2)).numpy().tolist()
        [[[[3.0, 4.0]]]]
    """
    _check_rank("adaptive_avg_pool2d", input)
    size = _adaptive_size("adaptive_avg_pool2d", input.shape, output_size)
    if size != (1, 1) and _tiled(input.shape, size):
        return AvgPool2d((input.shape[-2] // size[0], input.shape[-1] // size[1]), None, 0, False, True, None)(input)
    return AdaptiveAvgPool2d(size)(input)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """2-D max pooling to a fixed output size, over the bins of ``adaptive_avg_pool2d``.

    Args:
        input: (N, C, H, W) or unbatched (C, H, W) tensor.
        output_size: OH, OW (an int or a pair; None keeps that input size).
        return_indices: also return the flat index ``h * W + w`` of each maximum.

    Shape:
        input (N, C, H, W) -> output (N, C, OH, OW).

    Returns:
        The pooled tensor, or ``(output, indices)``. Backward: dL/dx[p] sums gy over the bins
        whose (first) maximum is p.

    Raises:
        ValueError: input not 3-D or 4-D, or a negative output size.
        TypeError: output_size not an int or a pair of ints or None.

    Example:
        >>> import barenet, barenet.functional as F
        >>> x = barenet.tensor([[[[1., 9., 3.], [4., 5., 6.]]]])
        >>> F.adaptive_max_pool2d(x, (1, 2)).numpy().tolist()
        [[[[9.0, 9.0]]]]
    """
    _check_rank("adaptive_max_pool2d", input)
    size = _adaptive_size("adaptive_max_pool2d", input.shape, output_size)
    if _tiled(input.shape, size):
        kernel = (input.shape[-2] // size[0], input.shape[-1] // size[1])
        fn = MaxPool2d(kernel, None, 0, 1, False, return_indices)
    else:
        fn = AdaptiveMaxPool2d(size, return_indices)
    y = fn(input)
    return (y, Tensor._wrap(fn.indices)) if return_indices else y


def _unpool_size(input, kernel_size, stride, padding, output_size) -> tuple:
    """Torch's rule: (H - 1)*SH - 2*PH + KH, or ``output_size`` if within a stride of it."""
    k, p = pair("max_unpool2d", "kernel_size", kernel_size), pair("max_unpool2d", "padding", padding)
    s = k if stride is None else pair("max_unpool2d", "stride", stride)
    if min(k) <= 0 or min(s) <= 0 or min(p) < 0:
        raise ValueError(f"max_unpool2d: kernel_size and stride must be positive, padding non-negative. "
                         f"Received: kernel_size={k}, stride={s}, padding={p}.")
    default = tuple((n - 1) * si + ki - 2 * pi for n, ki, si, pi in zip(input.shape[-2:], k, s, p))
    if output_size is None:
        size = default
    else:
        size = tuple(output_size)[-2:] if len(output_size) == 4 else tuple(output_size)
        if len(size) != 2 or not all(d - si < n < d + si for n, d, si in zip(size, default, s)):
            raise ValueError(f"max_unpool2d: output_size must hold 2 (or 4) sizes, each within a stride of the "
                             f"default {default}. Received: output_size={tuple(output_size)}, stride={s}.")
    if min(size) <= 0:
        raise ValueError(f"max_unpool2d: the output would be empty. Received: input.shape={tuple(input.shape)}, "
                         f"kernel_size={k}, stride={s}, padding={p}, output size {size}.")
    return tuple(int(n) for n in size)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of ``max_pool2d``: each value goes back to where its index says, zeros elsewhere.

    Args:
        input: (N, C, H, W) or unbatched (C, H, W) tensor, e.g. max-pooled values.
        indices: int64 tensor shaped like ``input``: flat indices ``h * W + w`` into each
            output plane, e.g. from ``max_pool2d(..., return_indices=True)``.
        kernel_size, stride, padding: those of the max pooling being inverted (stride
            defaults to kernel_size).
        output_size: (OH, OW) or (N, C, OH, OW) to resolve the sizes pooling maps to one.

    Shape:
        input (N, C, H, W) -> output (N, C, OH, OW), OH = (H - 1)*SH - 2*PH + KH by default.

    Returns:
        The unpooled tensor. Backward gathers: dL/dx = gy[indices] in each plane.

    Raises:
        ValueError: input not 3-D or 4-D, indices shaped unlike input or outside the output
            plane, a bad output_size or pooling argument.
        TypeError: indices not of an integer type.

    Example:
        >>> import barenet, barenet.functional as F
        >>> x = barenet.tensor([[[[1., 5.], [4., 3.]]]])
        >>> y, i = F.max_pool2d(x, 2, return_indices=True)
        >>> F.max_unpool2d(y, i, 2).numpy().tolist()
        [[[[0.0, 5.0], [0.0, 0.0]]]]
    """
    _check_rank("max_unpool2d", input)
    if tuple(indices.shape) != tuple(input.shape):
        raise ValueError(f"max_unpool2d: indices must have the same shape as input. Received: "
                         f"input.shape={tuple(input.shape)}, indices.shape={tuple(indices.shape)}.")
    if indices.dtype.kind not in "iu":
        raise TypeError(f"max_unpool2d: indices must be an integer tensor. Received: indices.dtype={indices.dtype}.")
    size = _unpool_size(input, kernel_size, stride, padding, output_size)
    return MaxUnpool2d(size)(input, indices)
