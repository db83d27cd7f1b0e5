"""Stride-1 convolution that copies only the kernel's KW column shifts (not all KH*KW offsets).

With stride 1 and an output row as wide as the input row (every "same" convolution, and a
"valid" one computed ``widened``), each kernel offset is a shift of the flattened image. im2col
copies all KH*KW shifts and BLAS packs that matrix again. Here the batch's images are stacked
row over row into one tall image of T rows: PT zero rows, then image k's rows from row
PT + k*S on, S = max(H + max(PT, PB), OH) so that at least max(PT, PB) zero rows separate two
images, and PB zero rows at the bottom. Only the KW column shifts of the tall image are copied,
flattened into one axis of length L = T*W:

    col[c, j, f] = tall[c, f + j*DW - PL]   (0 where the column falls off its row)

A kernel row i is then the offset i*DH*W along that axis, which BLAS reads as a strided view.
The output lives on the same rows: image k's output row r is row k*S + r. With
W_rows[i*C_out + o, c*KW + j] = W[o, c, i, j]:

    forward:  Z = W_rows @ col                                  (KH*C_out, L)
              Y[o, f] = b[o] + sum_i Z[i, o, f + i*DH*W]
    dL/dW:    G3[i, o, f] = G[o, f - i*DH*W]   (G = dL/dY, 0 on the rows and columns not output)
              dL/dW_rows^T = col @ G3^T                        (C*KW, KH*C_out)
    dL/dx:    dcol = W_rows^T @ G3                               (C*KW, L)
              dL/dx[c, f] = sum_j dcol[c, j, f - j*DW + PL]    (col2im over the KW shifts)

The GEMMs have KH*C_out rows and C*KW inner terms instead of C_out and C*KH*KW, which OpenBLAS
runs faster on the skinny shapes of small layers, and the copies are KW/(KH*KW) as large: whole
layers ran 1.1-2x faster than with im2col (docs/benchmarks.md). The price is the zero rows
between images, (S - OH)/OH more GEMM columns (1/8 for 8x8 "same" layers). Groups are batched
in one ``matmul``, as in im2col's path.
"""
from __future__ import annotations

from typing import NamedTuple

from .. import backend
from .im2col import Geometry, axis_range, chunks, widened, workspace


def applies(g: Geometry) -> bool:
    """Stride 1, a kernel larger than 1x1 (for which im2col is a plain copy), no cropped rows (a
    transposed convolution's output_padding can make PB negative), and every kernel column a flat
    shift of the (possibly ``widened``) rows."""
    g = widened(g)
    return g.sh == g.sw == 1 and g.kh * g.kw > 1 and min(g.pt, g.pb) >= 0 and g.ow == g.w


class _Tall(NamedTuple):
    """How a chunk of n images is stacked: PT rows, then n slots of S rows, then PB rows."""

    n: int
    pt: int
    slot: int
    rows: int  # T = PT + n*S + PB
    width: int

    @property
    def length(self) -> int:
        return self.rows * self.width


def _tall(g: Geometry, n: int) -> _Tall:
    # PT zero rows above and PB below every image, and room for its OH output rows
    slot = max(g.h + max(g.pt, g.pb), g.oh)
    return _Tall(n, g.pt, slot, g.pt + n * slot + g.pb, g.w)


def _slots(a, t: _Tall, start: int = 0):
    """(..., T, W) -> the (..., n, S, W) view of the n image slots that begin at row ``start``."""
    return a[..., start:start + t.n * t.slot, :].reshape(*a.shape[:-2], t.n, t.slot, t.width)


def _column_shifts(g: Geometry):
    """Per kernel column j: the flat shift s = j*DW - PL from an output to an input pixel, the
    range [lo, hi) of a flattened H*W plane whose shifted pixels stay in the plane, and the
    output columns [w0, w1) whose input column stays in its row (the rest wrapped a row edge)."""
    hw = g.h * g.w
    for j in range(g.kw):
        w0, w1, iw = axis_range(j, g.dw, g.pl, 1, g.w, g.w)
        s = iw - w0
        yield j, s, max(0, -s), min(hw, hw - s), w0, w1


def _zero_outside_columns(a, w0: int, w1: int) -> None:
    """Zero the columns of ``a`` (..., W) outside [w0, w1): there a flat shift wrapped a row edge."""
    a[..., :w0] = 0
    a[..., w1:] = 0


def _fill_columns(x, col, g: Geometry, t: _Tall) -> None:
    """col (C, KW, T, W) = the KW column shifts of x (n, C, H, W) stacked as ``t`` says."""
    n, c = x.shape[:2]
    planes = x.reshape(n, c, g.h * g.w).transpose(1, 0, 2)  # (C, n, H*W)
    for j, s, lo, hi, w0, w1 in _column_shifts(g):
        dst = col[:, j]  # (C, T, W)
        slots = _slots(dst, t, t.pt)
        dst[:, :t.pt] = 0
        slots[:, :, g.h:] = 0
        dst[:, t.pt + n * t.slot:] = 0
        image = slots[:, :, :g.h].reshape(c, n, g.h * g.w)  # a view: whole rows
        image[:, :, lo:hi] = planes[:, :, lo + s:hi + s]
        image[:, :, :lo] = 0
        image[:, :, hi:] = 0
        _zero_outside_columns(slots[:, :, :g.h], w0, w1)


def _add_columns(dcol, gx, g: Geometry, t: _Tall) -> None:
    """gx (n, C, H, W) += the adjoint of ``_fill_columns`` applied to dcol (C, KW, T, W);
    dcol's wrapped columns are zeroed (it is scratch)."""
    n, c = gx.shape[:2]
    planes = gx.reshape(n, c, g.h * g.w).transpose(1, 0, 2)  # (C, n, H*W), a view
    for j, s, lo, hi, w0, w1 in _column_shifts(g):
        src = _slots(dcol[:, j], t, t.pt)[:, :, :g.h]  # (C, n, H, W): the padding gets no gradient
        _zero_outside_columns(src, w0, w1)
        planes[:, :, lo + s:hi + s] += src.reshape(c, n, g.h * g.w)[:, :, lo:hi]


def _weight_rows(w, groups: int):
    """(C_out, Cg, KH, KW) -> W_rows (G, KH*C_out/G, Cg*KW)."""
    o, cg, kh, kw = w.shape
    by_row = w.reshape(groups, o // groups, cg, kh, kw).transpose(0, 3, 1, 2, 4)  # (G, KH, Og, Cg, KW)
    return by_row.reshape(groups, kh * o // groups, cg * kw)


def _chunks(n_all: int, c: int, o: int, g: Geometry, itemsize: int):
    """Chunks of the batch for ``g`` (``widened``): about CHUNK_BYTES of columns and Z together
    (with at least MIN_COLUMNS output pixels; on the CIFAR-sized layers, budgets from 2 to 16 MiB
    and minimums from 2048 to 16384 columns measured alike)."""
    return chunks(n_all, (c * g.kw + g.kh * o) * _tall(g, 1).slot * g.w * itemsize, g.oh * g.w)


def workspace_sizes(c: int, o: int, g: Geometry, groups: int, n_all: int, itemsize: int, backward: bool = True,
                    chunked: bool = True) -> dict:
    """Elements of each buffer ``forward`` (and ``backward``) keeps, by workspace name: those of
    the largest chunk."""
    g = widened(g)
    n = _chunks(n_all, c, o, g, itemsize)[0][1] if chunked else n_all
    length = _tall(g, n).length
    sizes = {"col": c * g.kw * length, "out": g.kh * o * length}
    if backward:
        sizes.update(gy=g.kh * o * length, gw=c * g.kw * g.kh * o // groups)
    return sizes


def forward(x, w, b, g: Geometry, groups: int):
    """y = x (*) w + b for a convolution that ``applies``: (N, C, H, W) -> (N, C_out, OH, OW)."""
    xp = backend.get_array_module(x, w)
    n_all, c = x.shape[:2]
    o, kh, kw = w.shape[0], w.shape[2], w.shape[3]
    og, oh, kept = o // groups, g.oh, g.ow
    g = widened(g)
    row = g.dh * g.w  # the flat offset of one kernel row
    y = xp.empty((n_all, o, oh, kept), dtype=x.dtype)
    w_rows = _weight_rows(w, groups)
    for n0, n1 in _chunks(n_all, c, o, g, x.itemsize):
        t = _tall(g, n1 - n0)
        col = workspace(xp, "col", (c, kw, t.rows, t.width), x.dtype)
        _fill_columns(x[n0:n1], col, g, t)
        z = workspace(xp, "out", (groups, kh, og, t.length), x.dtype)
        xp.matmul(w_rows, col.reshape(groups, -1, t.length), out=z.reshape(groups, kh * og, t.length))
        valid = t.length - (kh - 1) * row
        for i in range(1, kh):  # Y accumulates in Z's first kernel row
            z[:, 0, :, :valid] += z[:, i, :, i * row:i * row + valid]
        acc = _slots(z[:, 0].reshape(groups, og, t.rows, t.width), t)[..., :oh, :kept]  # (G, Og, n, OH, OW)
        out = y[n0:n1].reshape(t.n, groups, og, oh, kept).transpose(1, 2, 0, 3, 4)
        if b is None:
            out[...] = acc
        else:  # the bias rides along with the copy
            xp.add(acc, b.reshape(groups, og, 1, 1, 1), out=out)
    return y


def backward(gy, g: Geometry, groups: int, x_shape: tuple, w_shape: tuple, x=None, w=None):
    """``(dL/dx, dL/dw)`` for a convolution that ``applies``; dL/dx only when ``w`` is given,
    dL/dw only when ``x`` is. One pass over the batch; the column buffer holds x's columns, then
    dcol = W_rows^T G3."""
    xp = backend.get_array_module(gy)
    (n_all, c), (o, cg, kh, kw) = x_shape[:2], w_shape
    og, oh, kept = o // groups, g.oh, g.ow
    g = widened(g)
    row = g.dh * g.w
    gx = None if w is None else xp.zeros(x_shape, dtype=gy.dtype)
    gw_t = None if x is None else xp.zeros((groups, cg * kw, kh * og), dtype=gy.dtype)
    for n0, n1 in _chunks(n_all, c, o, g, gy.itemsize):
        t = _tall(g, n1 - n0)
        g3 = workspace(xp, "gy", (groups, kh, og, t.length), gy.dtype)
        _spread_gradient(gy[n0:n1], g3, t, oh, kept, row)
        g3_2d = g3.reshape(groups, kh * og, t.length)
        col = workspace(xp, "col", (groups, cg * kw, t.length), gy.dtype)
        if x is not None:
            _fill_columns(x[n0:n1], col.reshape(c, kw, t.rows, t.width), g, t)
            part = workspace(xp, "gw", gw_t.shape, gy.dtype)
            xp.matmul(col, g3_2d.transpose(0, 2, 1), out=part)  # dL/dW_rows^T = col @ G3^T
            gw_t += part
        if w is not None:
            xp.matmul(_weight_rows(w, groups).transpose(0, 2, 1), g3_2d, out=col)  # dcol = W_rows^T G3
            _add_columns(col.reshape(c, kw, t.rows, t.width), gx[n0:n1], g, t)
    gw = None
    if x is not None:  # (G, Cg, KW, KH, Og) -> (G, Og, Cg, KH, KW)
        gw = gw_t.reshape(groups, cg, kw, kh, og).transpose(0, 4, 1, 3, 2).reshape(w_shape)
    return gx, gw


def _spread_gradient(gy, g3, t: _Tall, oh: int, kept: int, row: int) -> None:
    """g3[:, 0] = dL/dy (n, C_out, OH, kept) on the output rows of ``t`` (G, Og, T, W), zero
    elsewhere; g3[:, i] = g3[:, 0] shifted by i kernel rows (``row`` each)."""
    groups, kh, og, length = g3.shape
    src = gy.reshape(t.n, groups, og, oh, kept).transpose(1, 2, 0, 3, 4)  # (G, Og, n, OH, kept)
    plane = g3[:, 0].reshape(groups, og, t.rows, t.width)
    slots = _slots(plane, t)
    slots[..., :oh, :kept] = src
    slots[..., :oh, kept:] = 0
    slots[..., oh:, :] = 0
    plane[..., t.n * t.slot:, :] = 0
    for i in range(1, kh):
        g3[:, i, :, :i * row] = 0
        g3[:, i, :, i * row:] = g3[:, 0, :, :length - i * row]
