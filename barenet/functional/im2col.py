"""The machinery under every convolution: geometry, reusable workspaces, im2col and col2im.

Columns are laid out ``(C, KH, KW, n, OH, OW)`` so that one GEMM ``W (C_out, C*KH*KW) @ col``
gives the output channel-major, ``(C_out, n, OH, OW)``; turning that into NCHW only swaps the
two outer axes, which copies whole output planes. im2col copies, for each kernel offset, the
input window into its slice of the columns; col2im adds it back (the adjoint). Padding is never
materialised: only the window's in-bounds rectangle is copied and the rest of the slice is zeroed.

When the stride is 1 and the output row is as wide as the input row (3x3 with padding 1, 5x5 with
padding 2: the common "same" convolution), a kernel offset is a constant shift of the flattened
plane, so each copy is one contiguous run per plane; only the columns that wrap around a row
edge are fixed up afterwards. This is what keeps im2col close to memcpy speed.

The batch is processed in chunks. A chunk's columns are about ``CHUNK_BYTES`` (8 MiB): that
bounds the workspace (a VGG-16 layer at batch 32 never needs its full 3.7 GB of columns) and keeps
the columns in the 32 MiB last-level cache between im2col and the GEMM that reads them; on a
quiet 2-core EPYC, GEMMs on 2-10 MiB column blocks ran 1.2-1.8x faster than on 19-37 MiB ones.
But a chunk also holds at least ``MIN_COLUMNS`` output pixels (GEMM columns), up to
``MAX_CHUNK_BYTES``: GEMMs only ~3000 columns wide (one 56x56 image, one AlexNet c1 image) and the
thread synchronisation of each BLAS call cost the 56x56 layer 1.7x torch's time, against 1.2x
with 3 images per chunk; and with other processes competing for the cores, many small BLAS
calls were 2-4x slower than few large ones.

Workspaces are kept per thread and reused across calls: fresh multi-megabyte arrays cost a page
fault per 4 KiB, which on this machine took longer than the copy itself.
"""
from __future__ import annotations

import threading
from typing import NamedTuple

import numpy as np

# Target bytes of one chunk's columns. A chunk grows past it to MIN_COLUMNS output pixels, but
# not past MAX_CHUNK_BYTES, which bounds the column workspace except that a single sample is
# never split (115 MB for VGG-16's 224x224x64 layers).
CHUNK_BYTES = 8 * 2**20
MIN_COLUMNS = 8192
MAX_CHUNK_BYTES = 256 * 2**20
# Largest W/OW at which a stride-1 convolution narrower than its input is computed W wide.
WIDEN_LIMIT = 1.5

_local = threading.local()


class Geometry(NamedTuple):
    """Sizes of one 2-D convolution; paddings are per side (top, bottom, left, right)."""

    h: int
    w: int
    kh: int
    kw: int
    sh: int
    sw: int
    dh: int
    dw: int
    pt: int
    pb: int
    pl: int
    pr: int
    keep: int = 0  # output columns wanted, when fewer than OW were made to compute (``widened``)

    @property
    def oh(self) -> int:
        return (self.h + self.pt + self.pb - self.dh * (self.kh - 1) - 1) // self.sh + 1

    @property
    def ow(self) -> int:
        return (self.w + self.pl + self.pr - self.dw * (self.kw - 1) - 1) // self.sw + 1

    @property
    def kept(self) -> int:
        """Output columns that matter; the rest (from ``widened``) are computed and dropped."""
        return self.keep or self.ow


def widened(g: Geometry) -> Geometry:
    """A stride-1 convolution narrower than its input (OW < W, e.g. a "valid" one) computed W wide.

    Extra zero padding on the right makes every kernel offset a flat shift, so im2col and col2im
    become one contiguous copy per offset with nothing to fix up (the wrapped columns all land in
    the W - OW extra ones, which are dropped). The GEMMs grow by W/OW: used up to WIDEN_LIMIT.
    """
    if g.sh == g.sw == 1 and g.ow < g.w <= WIDEN_LIMIT * g.ow:
        return g._replace(pr=g.pr + g.w - g.ow, keep=g.ow)
    return g


def workspace(xp, name: str, shape: tuple, dtype):
    """A scratch array reused across calls on this thread (never hand it out to the caller)."""
    buffers = _local.__dict__.setdefault("buffers", {})
    key = (name, xp.__name__, np.dtype(dtype).str)
    size = int(np.prod(shape))
    buf = buffers.get(key)
    if buf is None or buf.size < size:
        buffers[key] = None  # free the old one before allocating the larger
        buf = buffers[key] = xp.empty(size, dtype=dtype)
    return buf[:size].reshape(shape)


def release_workspaces() -> None:
    """Free this thread's scratch arrays (they are reallocated on the next convolution)."""
    _local.__dict__.pop("buffers", None)


def largest_workspaces(sizes) -> dict:
    """What ``workspace`` ends up holding after calls needing the ``sizes`` (dicts of workspace
    name -> bytes): each name grows to its largest request and is kept."""
    largest = {}
    for request in sizes:
        for name, size in request.items():
            largest[name] = max(largest.get(name, 0), size)
    return largest


def chunks(n: int, bytes_per_sample: int, columns_per_sample: int = 0):
    """``(start, stop)`` pairs covering ``range(n)``: about ``CHUNK_BYTES`` per chunk, but at least
    ``MIN_COLUMNS`` GEMM columns (``columns_per_sample`` each) within ``MAX_CHUNK_BYTES``."""
    step = CHUNK_BYTES // max(1, bytes_per_sample)
    if columns_per_sample:
        step = max(step, min(-(-MIN_COLUMNS // columns_per_sample), MAX_CHUNK_BYTES // max(1, bytes_per_sample)))
    step = max(1, min(n, step))
    return [(i, min(n, i + step)) for i in range(0, n, step)]


def row_bands(oh: int, sample_bytes: int):
    """Ranges ``[(r0, r1), ...]`` of output rows covering ``range(oh)``: the whole image, unless
    one sample needs more than ``MAX_CHUNK_BYTES`` of workspace (a large image), in which case
    bands of rows that need about that much each (see ``band``)."""
    if sample_bytes <= MAX_CHUNK_BYTES:
        return [(0, oh)]
    step = max(1, oh * MAX_CHUNK_BYTES // sample_bytes)
    return [(r, min(oh, r + step)) for r in range(0, oh, step)]


def band(g: Geometry, r0: int, r1: int):
    """The convolution that gives output rows [r0, r1) of ``g``: ``(geometry, a, b)``, where input
    rows [a, b) are its input and the rows it reads outside the image are its padding (b <= a
    when it reads padding only)."""
    top = r0 * g.sh - g.pt  # the input row under the band's first output row and first kernel row
    end = (r1 - 1) * g.sh - g.pt + g.dh * (g.kh - 1) + 1
    a, b = max(0, top), min(g.h, end)
    return g._replace(h=max(b - a, 0), pt=a - top, pb=end - max(a, b)), a, b


def axis_range(k: int, dilation: int, pad: int, stride: int, size: int, out: int):
    """Output indices ``[o0, o1)`` whose input index ``o*stride + k*dilation - pad`` is in
    ``[0, size)``, and the input index of ``o0``."""
    off = k * dilation - pad
    o0 = min(out, max(0, -(off // stride)))  # ceil(-off / stride)
    o1 = max(o0, min(out, (size - off + stride - 1) // stride))
    return o0, o1, o0 * stride + off


def offsets(g: Geometry, skip_empty: bool = False):
    """Per kernel offset (i, j): the valid output rectangle and where it starts in the input
    (``skip_empty``: leave out offsets whose window lies wholly in the padding)."""
    for i in range(g.kh):
        h0, h1, ih = axis_range(i, g.dh, g.pt, g.sh, g.h, g.oh)
        for j in range(g.kw):
            w0, w1, iw = axis_range(j, g.dw, g.pl, g.sw, g.w, g.ow)
            if not (skip_empty and (h0 == h1 or w0 == w1)):
                yield i, j, (h0, h1, ih), (w0, w1, iw)


def _flat_shift(g: Geometry) -> bool:
    return g.sh == 1 and g.sw == 1 and g.ow == g.w


def _window(x, rows, cols, g: Geometry):
    """The strided input window of one kernel offset, ``(n, C, h1-h0, w1-w0)``."""
    (h0, h1, ih), (w0, w1, iw) = rows, cols
    return x[:, :, ih:ih + g.sh * (h1 - h0 - 1) + 1:g.sh, iw:iw + g.sw * (w1 - w0 - 1) + 1:g.sw]


def _zero_outside(dst, rows, cols) -> None:
    """Zero the parts of ``dst`` (..., OH, OW) outside the rectangle rows x cols."""
    (h0, h1, _), (w0, w1, _) = rows, cols
    dst[..., :h0, :] = 0
    dst[..., h1:, :] = 0
    dst[..., h0:h1, :w0] = 0
    dst[..., h0:h1, w1:] = 0


def as_shifted(a, g: Geometry):
    """``a`` (n, C, rows, cols) as ``shift_indices`` indexes it: flattened planes in flat mode."""
    return a.reshape(a.shape[0], a.shape[1], -1) if _flat_shift(g) else a


def shift_indices(g: Geometry):
    """Per kernel offset (i, j): indices of matching elements in an input-shaped and an
    output-shaped array (both seen through ``as_shifted``), and, in flat mode, the columns
    whose flat shift wrapped around a row edge (zero them in a product with ``zero_wrapped``
    before accumulating it); None when nothing wrapped."""
    flat = _flat_shift(g)
    for i, j, rows, cols in offsets(g, skip_empty=True):
        if flat:
            shift, lo, hi = _flat_bounds(g, rows, cols)
            yield i, j, (Ellipsis, slice(lo + shift, hi + shift)), (Ellipsis, slice(lo, hi)), cols
        else:
            (h0, h1, ih), (w0, w1, iw) = rows, cols
            src = (Ellipsis, slice(ih, ih + g.sh * (h1 - h0 - 1) + 1, g.sh),
                   slice(iw, iw + g.sw * (w1 - w0 - 1) + 1, g.sw))
            yield i, j, src, (Ellipsis, slice(h0, h1), slice(w0, w1)), None


def zero_wrapped(dst, cols, g: Geometry) -> None:
    """Zero the columns of ``dst`` (..., OH, OW) whose flat shift wrapped around a row edge
    (``cols`` as ``offsets`` gives them; None: nothing wrapped)."""
    if cols is None:
        return
    w0, w1 = cols[0], min(cols[1], g.kept)
    if w0:
        dst[..., :w0] = 0
    if w1 < g.kept:
        dst[..., w1:g.kept] = 0


def _flat_bounds(g: Geometry, rows, cols):
    """Shift between a flattened output plane and the input plane, and the valid flat range."""
    shift = (rows[2] - rows[0]) * g.w + (cols[2] - cols[0])
    return shift, max(0, -shift), min(g.oh * g.ow, g.h * g.w - shift)


def im2col(x, col, g: Geometry) -> None:
    """Fill ``col`` (C, KH, KW, n, OH, OW) with the windows of ``x`` (n, C, H, W).

    col[c, i, j, n, oh, ow] = x[n, c, oh*SH + i*DH - PT, ow*SW + j*DW - PL] (0 outside x).
    """
    n, c = x.shape[:2]
    flat = _flat_shift(g)
    planes = x.reshape(n, c, g.h * g.w).transpose(1, 0, 2)  # (C, n, H*W)
    for i, j, rows, cols in offsets(g):
        dst = col[:, i, j]  # (C, n, OH, OW)
        if rows[0] == rows[1] or cols[0] == cols[1]:
            dst[...] = 0
        elif flat:
            shift, lo, hi = _flat_bounds(g, rows, cols)
            dst2 = dst.reshape(c, n, g.oh * g.ow)
            dst2[:, :, lo:hi] = planes[:, :, lo + shift:hi + shift]
            dst2[:, :, :lo] = 0
            dst2[:, :, hi:] = 0
            zero_wrapped(dst, cols, g)
        else:
            _zero_outside(dst, rows, cols)
            dst[:, :, rows[0]:rows[1], cols[0]:cols[1]] = _window(x, rows, cols, g).transpose(1, 0, 2, 3)


def col2im(col, gx, g: Geometry) -> None:
    """Add ``col`` (C, KH, KW, n, OH, OW) back into ``gx`` (n, C, H, W), the adjoint of im2col.

    gx[n, c, ih, iw] += sum over (i, j, oh, ow) mapping to (ih, iw) of col[c, i, j, n, oh, ow].
    ``col`` is used as scratch (its wrapped columns are zeroed).
    """
    n, c = gx.shape[:2]
    flat = _flat_shift(g)
    planes = gx.reshape(n, c, g.h * g.w).transpose(1, 0, 2)  # (C, n, H*W), a view
    for i, j, rows, cols in offsets(g, skip_empty=True):
        src = col[:, i, j]  # (C, n, OH, OW)
        if flat:
            shift, lo, hi = _flat_bounds(g, rows, cols)
            zero_wrapped(src, cols, g)
            planes[:, :, lo + shift:hi + shift] += src.reshape(c, n, g.oh * g.ow)[:, :, lo:hi]
        else:
            _window(gx, rows, cols, g)[...] += src[:, :, rows[0]:rows[1], cols[0]:cols[1]].transpose(1, 0, 2, 3)
