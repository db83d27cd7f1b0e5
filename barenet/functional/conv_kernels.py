"""The array-level halves of every 2-D convolution, each picking a strategy per shape.

``forward(x, w, b)`` and ``backward(gy, x=..., w=...)`` (giving dL/dx when ``w`` is passed, dL/dw
when ``x`` is) are all that ``conv2d`` and ``conv_transpose2d`` need: a transposed convolution's
forward is a convolution's dL/dx, and its backward is a convolution's forward and dL/dw.

Strategies (the rule and the measurements behind it are in docs/benchmarks.md):

* depthwise (groups = C_in > 1, one input channel per group): an elementwise
  shift-multiply-accumulate over the KH*KW offsets, on flattened planes (one contiguous pass per
  offset, 2x faster than strided windows) when the offsets are flat shifts; a batch of G GEMMs
  with inner dimension KH*KW would waste most of the BLAS kernel. (With groups = 1 and C_in = 1,
  LeNet c1, the GEMM path measured 8x faster than the elementwise one: it has all C_out rows.)
* stride 1 with every kernel offset a flat shift (the "same" convolutions, and "valid" ones
  computed widened), kernels larger than 1x1: ``conv_rows.py``, which copies only the KW column
  shifts and reads the kernel's rows as strided views; 1.1-2x faster than im2col on these.
* otherwise im2col + one GEMM per chunk of the batch (``im2col.py``), groups batched in one
  ``matmul``; dL/dx is col2im of W^T dL/dy, fused with dL/dW in one pass over the batch.
"""
from __future__ import annotations

from .. import backend
from . import conv_rows
from .im2col import (Geometry, as_shifted, band, chunks, col2im, im2col, largest_workspaces, row_bands,
                     shift_indices, widened, workspace, zero_wrapped)


# ----- im2col + GEMM --------------------------------------------------------------------
def _gemm_chunks(n_all: int, c: int, g: Geometry, itemsize: int):
    """Chunks of the batch for ``g`` (``widened``): about CHUNK_BYTES of columns each."""
    p = g.oh * g.ow
    return chunks(n_all, c * g.kh * g.kw * p * itemsize, p)


def _gemm_forward(x, w, b, g: Geometry, groups: int):
    xp = backend.get_array_module(x, w)
    n_all, c = x.shape[:2]
    y = xp.empty((n_all, w.shape[0], g.oh, g.ow), dtype=x.dtype)
    g = widened(g)  # its extra output columns are dropped when copying out
    o, p = w.shape[0], g.oh * g.ow
    w3 = w.reshape(groups, o // groups, -1)  # (G, C_out/G, Cg*KH*KW)
    for n0, n1 in _gemm_chunks(n_all, c, g, x.itemsize):
        n = n1 - n0
        col = workspace(xp, "col", (c, g.kh, g.kw, n, g.oh, g.ow), x.dtype)
        im2col(x[n0:n1], col, g)
        out = workspace(xp, "out", (groups, o // groups, n * p), x.dtype)
        xp.matmul(w3, col.reshape(groups, -1, n * p), out=out)  # y = W @ col
        if b is not None:
            out += b.reshape(groups, -1, 1)
        y[n0:n1] = out.reshape(o, n, g.oh, g.ow)[..., :g.kept].transpose(1, 0, 2, 3)
    return y


def _gemm_backward(gy, g: Geometry, groups: int, x_shape: tuple, w_shape: tuple, x=None, w=None):
    """One pass over the batch computing dL/dW (when ``x`` is given) and, by col2im, dL/dx
    (when ``w`` is given); the column buffer holds x's columns, then W^T dL/dy."""
    xp = backend.get_array_module(gy)
    (n_all, c), (o, cg, kh, kw) = x_shape[:2], w_shape
    g = widened(g)  # dL/dy gets zero extra columns, which add nothing to dL/dW or dL/dx
    og, p = o // groups, g.oh * g.ow
    gx = None if w is None else xp.zeros(x_shape, dtype=gy.dtype)
    gw_t = None if x is None else xp.zeros((groups, cg * kh * kw, og), dtype=gy.dtype)
    for n0, n1 in _gemm_chunks(n_all, c, g, gy.itemsize):
        n = n1 - n0
        gyc = workspace(xp, "gy", (o, n, g.oh, g.ow), gy.dtype)
        gyc[..., :g.kept] = gy[n0:n1].transpose(1, 0, 2, 3)
        gyc[..., g.kept:] = 0
        gy3 = gyc.reshape(groups, og, n * p)  # (G, C_out/G, n*OH*OW)
        col = workspace(xp, "col", (c, kh, kw, n, g.oh, g.ow), gy.dtype)
        col3 = col.reshape(groups, cg * kh * kw, n * p)
        if x is not None:
            im2col(x[n0:n1], col, g)
            part = workspace(xp, "gw", gw_t.shape, gy.dtype)
            xp.matmul(col3, gy3.transpose(0, 2, 1), out=part)  # dL/dW^T += col @ dL/dy^T
            gw_t += part
        if w is not None:
            xp.matmul(w.reshape(groups, og, -1).transpose(0, 2, 1), gy3, out=col3)  # W^T dL/dy
            col2im(col, gx[n0:n1], g)
    gw = None if x is None else gw_t.transpose(0, 2, 1).reshape(w_shape)
    return gx, gw


# ----- depthwise: one input channel per group ----------------------------------------------
def _dw_chunks(n_all: int, o: int, g: Geometry, itemsize: int):
    return chunks(n_all, o * (g.h * g.w + g.oh * g.ow) * itemsize)


def _repeat_channels(xp, x, m: int):
    """Input channel c feeds output channels c*m ... c*m + m-1."""
    return x if m == 1 else xp.repeat(x, m, axis=1)


def _tap(w, i: int, j: int, ndim: int):
    """w[:, 0, i, j] shaped to broadcast over the channel axis of an ``ndim``-d array."""
    return w[:, 0, i, j].reshape((w.shape[0],) + (1,) * (ndim - 2))


def _dw_forward(x, w, b, g: Geometry):
    xp = backend.get_array_module(x, w)
    n_all, o = x.shape[0], w.shape[0]
    m = o // x.shape[1]
    y = xp.empty((n_all, o, g.oh, g.ow), dtype=x.dtype)
    for n0, n1 in _dw_chunks(n_all, o, g, x.itemsize):
        yc = y[n0:n1]
        yc[...] = 0 if b is None else b.reshape(o, 1, 1)
        tmp = workspace(xp, "dw", yc.shape, x.dtype)
        xs, ys, ts = (as_shifted(a, g) for a in (_repeat_channels(xp, x[n0:n1], m), yc, tmp))
        for i, j, src, dst, wrapped in shift_indices(g):
            t = ts[dst]
            xp.multiply(xs[src], _tap(w, i, j, t.ndim), out=t)
            zero_wrapped(tmp, wrapped, g)
            ys[dst] += t  # y += w[:, i, j] * shifted x
    return y


def _dw_backward(gy, g: Geometry, x_shape: tuple, w_shape: tuple, x=None, w=None):
    """dL/dx[n, c] = sum_k w_k * dL/dy shifted back (when ``w`` is given);
    dL/dw_k = sum over (n, pixels) of dL/dy * x shifted by k (when ``x`` is given)."""
    xp = backend.get_array_module(gy)
    (n_all, c), o = x_shape[:2], w_shape[0]
    m = o // c
    gx = None if w is None else xp.empty(x_shape, dtype=gy.dtype)
    gw = None if x is None else xp.zeros(w_shape, dtype=gy.dtype)
    for n0, n1 in _dw_chunks(n_all, o, g, gy.itemsize):
        n = n1 - n0
        tmp = workspace(xp, "dw", (n, o, g.oh, g.ow), gy.dtype)
        gys, ts = as_shifted(gy[n0:n1], g), as_shifted(tmp, g)
        xs = None if x is None else as_shifted(_repeat_channels(xp, x[n0:n1], m), g)
        if w is not None:  # accumulate into (n, C_out, H, W); fold the multiplier m at the end
            gxc = gx[n0:n1] if m == 1 else workspace(xp, "dwx", (n, o, g.h, g.w), gy.dtype)
            gxc[...] = 0
            gxs = as_shifted(gxc, g)
        for i, j, src, dst, wrapped in shift_indices(g):
            t = ts[dst]
            if w is not None:  # dL/dx: w_k * dL/dy, added back to the pixels it came from
                xp.multiply(gys[dst], _tap(w, i, j, t.ndim), out=t)
                zero_wrapped(tmp, wrapped, g)
                gxs[src] += t
            if x is not None:  # dL/dw_k: dL/dy against the input shifted by k
                xp.multiply(gys[dst], xs[src], out=t)
                zero_wrapped(tmp, wrapped, g)
                gw[:, 0, i, j] += t.sum(axis=tuple(range(2, t.ndim))).sum(axis=0)  # inner axes first
        if w is not None and m > 1:
            gx[n0:n1] = gxc.reshape(n, c, m, g.h, g.w).sum(axis=2)
    return gx, gw


# ----- the entry points ---------------------------------------------------------------------
def _path(w_shape: tuple, groups: int, g: Geometry) -> str:
    """The strategy a convolution takes (the module docstring says why): "depthwise", "rows"
    (``conv_rows``) or "im2col". The one place that decides, for the ops and their workspace
    estimate alike."""
    if groups > 1 and w_shape[1] == 1:
        return "depthwise"
    return "rows" if conv_rows.applies(g) else "im2col"


def workspace_sizes(x_shape: tuple, w_shape: tuple, g: Geometry, groups: int, itemsize: int,
                    backward: bool = True, chunked: bool = True) -> dict:
    """Bytes of each scratch buffer (by workspace name) that ``forward`` and, when ``backward``,
    ``backward`` for both gradients keep after running on ``x_shape``: the buffers of the largest
    chunk of the batch (the whole batch at once when not ``chunked``), or of the largest band of
    rows of a large image. Buffers are shared by name across layers, so a network holds, per
    name, the largest of its layers'."""
    if not chunked:
        return _workspace_sizes(x_shape, w_shape, g, groups, itemsize, backward, chunked)
    return largest_workspaces(_workspace_sizes((*x_shape[:2], b - a, x_shape[3]), w_shape, geometry, groups,
                                               itemsize, backward)
                              for _, _, geometry, a, b in _bands(x_shape, w_shape, g, groups, itemsize) if b > a)


def _workspace_sizes(x_shape: tuple, w_shape: tuple, g: Geometry, groups: int, itemsize: int,
                     backward: bool = True, chunked: bool = True) -> dict:
    n_all, c = x_shape[:2]
    o = w_shape[0]
    path = _path(w_shape, groups, g)
    if path == "depthwise":
        n = _dw_chunks(n_all, o, g, itemsize)[0][1] if chunked else n_all
        sizes = {"dw": n * o * g.oh * g.ow}  # the product buffer
        if backward and o > c:  # dL/dx of a channel multiplier is summed from all outputs
            sizes["dwx"] = n * o * g.h * g.w
    elif path == "rows":
        sizes = conv_rows.workspace_sizes(c, o, g, groups, n_all, itemsize, backward, chunked)
    else:
        g = widened(g)
        n = _gemm_chunks(n_all, c, g, itemsize)[0][1] if chunked else n_all
        columns, p = c * g.kh * g.kw, n * g.oh * g.ow
        sizes = {"col": columns * p, "out": o * p}
        if backward:
            sizes.update(gy=o * p, gw=columns * o // groups)
    return {name: count * itemsize for name, count in sizes.items()}


def _bands(x_shape: tuple, w_shape: tuple, g: Geometry, groups: int, itemsize: int):
    """``(r0, r1, geometry, a, b)`` per band of output rows [r0, r1) (``im2col.row_bands``, whose
    input rows [a, b) ``im2col.band`` gives): one band, the whole image, unless one sample's
    workspace would pass MAX_CHUNK_BYTES."""
    one = sum(_workspace_sizes((1, *x_shape[1:]), w_shape, g, groups, itemsize).values())
    bands = row_bands(g.oh, one)
    if len(bands) == 1:
        return [(0, g.oh, g, 0, g.h)]
    return [(r0, r1, *band(g, r0, r1)) for r0, r1 in bands]


def forward(x, w, b, g: Geometry, groups: int):
    """y = x (*) w + b: (N, C_in, H, W), (C_out, C_in/G, KH, KW) -> (N, C_out, OH, OW).

    An image too large for one workspace is computed in bands of output rows, each a
    convolution of the input rows it reads."""
    bands = _bands(x.shape, w.shape, g, groups, x.itemsize)
    if len(bands) == 1:
        return _forward(x, w, b, g, groups)
    xp = backend.get_array_module(x, w)
    y = xp.empty((x.shape[0], w.shape[0], g.oh, g.ow), dtype=x.dtype)
    for r0, r1, geometry, a, b_ in bands:
        if b_ > a:
            y[:, :, r0:r1] = _forward(x[:, :, a:b_], w, b, geometry, groups)
        else:  # the band reads only padding
            y[:, :, r0:r1] = 0 if b is None else b.reshape(-1, 1, 1)
    return y


def _forward(x, w, b, g: Geometry, groups: int):
    path = _path(w.shape, groups, g)
    if path == "depthwise":
        return _dw_forward(x, w, b, g)
    if path == "rows":
        return conv_rows.forward(x, w, b, g, groups)
    return _gemm_forward(x, w, b, g, groups)


def backward(gy, g: Geometry, groups: int, x_shape: tuple, w_shape: tuple, x=None, w=None):
    """``(dL/dx, dL/dw)`` of y = x (*) w; dL/dx only when ``w`` is given, dL/dw only when ``x`` is.
    In bands of rows as ``forward`` computes them: the bands' dL/dx overlap where their input rows
    do, and add up there."""
    if x is None and w is None:  # only the bias wants a gradient
        return None, None
    bands = _bands(x_shape, w_shape, g, groups, gy.itemsize)
    if len(bands) == 1:
        return _backward(gy, g, groups, x_shape, w_shape, x, w)
    xp = backend.get_array_module(gy)
    gx = None if w is None else xp.zeros(x_shape, dtype=gy.dtype)
    gw = None if x is None else xp.zeros(w_shape, dtype=gy.dtype)
    for r0, r1, geometry, a, b in bands:
        if b <= a:  # the band reads only padding
            continue
        band_shape = (*x_shape[:2], b - a, x_shape[3])
        gx_band, gw_band = _backward(gy[:, :, r0:r1], geometry, groups, band_shape, w_shape,
                                     None if x is None else x[:, :, a:b], w)
        if gx is not None:
            gx[:, :, a:b] += gx_band
        if gw is not None:
            gw += gw_band
    return gx, gw


def _backward(gy, g: Geometry, groups: int, x_shape: tuple, w_shape: tuple, x=None, w=None):
    path = _path(w_shape, groups, g)
    if path == "depthwise":
        return _dw_backward(gy, g, x_shape, w_shape, x, w)
    if path == "rows":
        return conv_rows.backward(gy, g, groups, x_shape, w_shape, x, w)
    return _gemm_backward(gy, g, groups, x_shape, w_shape, x, w)
