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

The backward pass shifts the other way round. With G = dL/dY on the output rows (0 on the rows
and columns not output), copy the KW column shifts of G, and the KH row shifts of the tall image:

    GJ[o, j, q] = G[o, q - j*DW + PL]   (0 where the column falls off its row)
    X3[c, i, q] = tall[c, q + i*DH*W]

Every product W[o, c, i, j] * tall[c, f + i*DH*W + j*DW - PL] of the forward pairs G[o, f] with
X3[c, i, q] at q = f + j*DW - PL, so with W_cols[i*C + c, o*KW + j] = W[o, c, i, j]:

    dL/dW:    dL/dW[(o, j), (c, i)] = GJ @ X3^T                   (C_out*KW, C*KH)
    dL/dx:    Zx = W_cols @ GJ                                   (KH*C, L)
              dL/dx[c, p] = sum_i Zx[i, c, p - i*DH*W]

GJ is what ``_fill_columns`` makes of G for the convolution that gives dL/dx (the kernel
flipped: padding (KW-1)*DW - PL on the left), so dL/dx is computed like the forward, one GEMM and
KH-1 shifted adds with no col2im, and GJ serves dL/dW as well. The one other copy is X3: whole
rows, moved at memcpy speed. Against the first backward pass (from the forward's columns, KH row
shifts of G and a col2im over the KW shifts of W_rows^T G) this one measured 1-9% faster on the
CIFAR ResNet layers and 9-20% on LeNet-5's (docs/benchmarks.md).

The GEMMs have KH*C_out, KH*C or C_out*KW rows and C*KW or C_out*KW inner terms (or the long
axis L, for dL/dW), instead of C_out and C*KH*KW, which OpenBLAS runs faster on the skinny
shapes of small layers, and the copies are KW/(KH*KW) as large: whole layers ran 1.1-2x faster
than with im2col. The price is the zero rows between images, (S - OH)/OH more GEMM columns (1/8
for 8x8 "same" layers). Groups are batched in one ``matmul``, as in im2col's path.
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
        lo = min(hw, max(0, -s))  # a shift past the whole plane (a tiny image) leaves it empty
        yield j, s, lo, max(lo, min(hw, hw - s)), w0, w1


def _zero_gaps(a, t: _Tall, h: int) -> None:
    """Zero the rows of ``a`` (..., T, W) around the h image rows of each slot of ``t``."""
    a[..., :t.pt, :] = 0
    _slots(a, t, t.pt)[..., h:, :] = 0
    a[..., t.pt + t.n * t.slot:, :] = 0


def _fill_columns(x, col, g: Geometry, t: _Tall) -> None:
    """col (C, KW, T, W) = the KW column shifts of x (n, C, H, W) stacked as ``t`` says."""
    n, c = x.shape[:2]
    planes = x.reshape(n, c, g.h * g.w).transpose(1, 0, 2)  # (C, n, H*W)
    for j, s, lo, hi, w0, w1 in _column_shifts(g):
        dst = col[:, j]  # (C, T, W)
        _zero_gaps(dst, t, g.h)
        image_rows = _slots(dst, t, t.pt)[:, :, :g.h]
        image = image_rows.reshape(c, n, g.h * g.w)  # a view: whole rows
        image[:, :, lo:hi] = planes[:, :, lo + s:hi + s]
        image[:, :, :lo] = 0
        image[:, :, hi:] = 0
        image_rows[..., :w0] = 0  # outside [w0, w1) the flat shift wrapped a row edge
        image_rows[..., w1:] = 0


def _fill_rows(x, rows, g: Geometry, t: _Tall, valid: int) -> None:
    """rows (C, KH, T, W) = the KH row shifts X3 of x (n, C, H, W) stacked as ``t`` says; of the
    shifted ones only the first ``valid`` flat positions, all the GEMM reads."""
    tall = rows[:, 0]
    _zero_gaps(tall, t, g.h)
    _slots(tall, t, t.pt)[:, :, :g.h] = x.transpose(1, 0, 2, 3)
    flat = rows.reshape(*rows.shape[:2], t.length)
    for i in range(1, g.kh):
        offset = i * g.dh * g.w
        flat[:, i, :valid] = flat[:, 0, offset:offset + valid]


def _mirrored(g: Geometry) -> Geometry:
    """The convolution of dL/dY that gives dL/dx (OH x W -> H x W): the kernel flipped, so
    ``_fill_columns`` of dL/dY with it gives GJ with its kernel columns in reverse order."""
    kh, kw = (g.kh - 1) * g.dh, (g.kw - 1) * g.dw
    return g._replace(h=g.oh, pt=kh - g.pt, pb=kh - g.pb, pl=kw - g.pl, pr=kw - g.pr)


def _weight_rows(w, groups: int):
    """(C_out, Cg, KH, KW) -> W_rows (G, KH*C_out/G, Cg*KW)."""
    o, cg, kh, kw = w.shape
    by_row = w.reshape(groups, o // groups, cg, kh, kw).transpose(0, 3, 1, 2, 4)  # (G, KH, Og, Cg, KW)
    return by_row.reshape(groups, kh * o // groups, cg * kw)


def _weight_cols(w, groups: int):
    """(C_out, Cg, KH, KW) -> W_cols (G, KH*Cg, C_out/G*KW)."""
    o, cg, kh, kw = w.shape
    by_col = w.reshape(groups, o // groups, cg, kh, kw).transpose(0, 3, 2, 1, 4)  # (G, KH, Cg, Og, KW)
    return by_col.reshape(groups, kh * cg, o // groups * kw)


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
    if backward:  # "col" holds X3 and then Zx
        sizes.update(col=c * max(g.kw, g.kh) * length, gy=o * g.kw * length, gw=o * g.kw * c * g.kh // groups)
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
    dL/dw only when ``x`` is. One pass over the batch; GJ serves both, and the "col" buffer holds
    X3, then Zx."""
    xp = backend.get_array_module(gy)
    (n_all, c), (o, cg, kh, kw) = x_shape[:2], w_shape
    og = o // groups
    g = widened(g)
    row = g.dh * g.w
    if gy.shape[3] < g.w:  # computed widened: G is 0 on the output columns dropped
        wide = xp.zeros((*gy.shape[:3], g.w), dtype=gy.dtype)
        wide[..., :gy.shape[3]] = gy
        gy = wide
    mirrored = _mirrored(g)
    gx = None if w is None else xp.empty(x_shape, dtype=gy.dtype)
    gw = None if x is None else xp.zeros((groups, og * kw, cg * kh), dtype=gy.dtype)
    for n0, n1 in _chunks(n_all, c, o, g, gy.itemsize):
        t = _tall(g, n1 - n0)
        valid = t.length - (kh - 1) * row  # GJ is 0 past it
        gj = workspace(xp, "gy", (o, kw, t.rows, t.width), gy.dtype)
        _fill_columns(gy[n0:n1], gj[:, ::-1], mirrored, t._replace(pt=0))  # G's rows start at row 0
        gj = gj.reshape(groups, og * kw, t.length)
        rows = workspace(xp, "col", (c, kh, t.rows, t.width), gy.dtype)
        if x is not None:
            _fill_rows(x[n0:n1], rows, g, t, valid)
            part = workspace(xp, "gw", gw.shape, gy.dtype)
            x3 = rows.reshape(groups, cg * kh, t.length)[..., :valid]
            xp.matmul(gj[..., :valid], x3.transpose(0, 2, 1), out=part)  # dL/dW = GJ @ X3^T
            gw += part
        if w is not None:
            zx = rows.reshape(groups, kh, cg, t.length)
            xp.matmul(_weight_cols(w, groups), gj, out=zx.reshape(groups, kh * cg, t.length))
            for i in range(1, kh):  # dL/dx accumulates in Zx's first kernel row
                zx[:, 0, :, i * row:] += zx[:, i, :, :t.length - i * row]
            acc = _slots(zx[:, 0].reshape(c, t.rows, t.width), t, t.pt)[:, :, :g.h]  # (C, n, H, W)
            gx[n0:n1].transpose(1, 0, 2, 3)[...] = acc
    if gw is not None:  # (G, Og, KW, Cg, KH) -> (G, Og, Cg, KH, KW)
        gw = gw.reshape(groups, og, kw, cg, kh).transpose(0, 1, 3, 4, 2).reshape(w_shape)
    return gx, gw
