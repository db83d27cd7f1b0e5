"""conv2d and conv_transpose2d: naive loop references, finite differences, PyTorch parity, errors."""
import numpy as np
import pytest
from harness import assert_close, check_grad, check_torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import barenet
import barenet.functional as F
from barenet.functional import conv_kernels, im2col
from barenet.functional.conv import conv2d_geometry


# ----- naive references, written independently of the implementation ----------------------
def naive_conv2d(x, w, b=None, stride=(1, 1), pads=(0, 0, 0, 0), dilation=(1, 1), groups=1):
    """Direct 7-loop cross-correlation; pads = (top, bottom, left, right)."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    xp = np.zeros((n, c, h + pads[0] + pads[1], wd + pads[2] + pads[3]))
    xp[:, :, pads[0]:pads[0] + h, pads[2]:pads[2] + wd] = x
    oh = (xp.shape[2] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (xp.shape[3] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    y = np.zeros((n, o, oh, ow))
    og = o // groups
    for ni in range(n):
        for oi in range(o):
            for i in range(oh):
                for j in range(ow):
                    acc = 0.0 if b is None else b[oi]
                    for ci in range(cg):
                        for u in range(kh):
                            for v in range(kw):
                                acc += w[oi, ci, u, v] * xp[ni, (oi // og) * cg + ci,
                                                            i * stride[0] + u * dilation[0],
                                                            j * stride[1] + v * dilation[1]]
                    y[ni, oi, i, j] = acc
    return y


def naive_conv_transpose2d(x, w, b=None, stride=(1, 1), padding=(0, 0), output_padding=(0, 0), groups=1,
                           dilation=(1, 1)):
    """Scatter form: every input pixel adds W-weighted copies of itself into the full output."""
    n, c, h, wd = x.shape
    _, og, kh, kw = w.shape
    cg = c // groups
    full_h = (h - 1) * stride[0] + dilation[0] * (kh - 1) + 1 + output_padding[0]
    full_w = (wd - 1) * stride[1] + dilation[1] * (kw - 1) + 1 + output_padding[1]
    full = np.zeros((n, og * groups, full_h, full_w))
    for ni in range(n):
        for ci in range(c):
            for oi in range(og):
                for i in range(h):
                    for j in range(wd):
                        for u in range(kh):
                            for v in range(kw):
                                full[ni, (ci // cg) * og + oi, i * stride[0] + u * dilation[0],
                                     j * stride[1] + v * dilation[1]] += x[ni, ci, i, j] * w[ci, oi, u, v]
    y = full[:, :, padding[0]:full_h - padding[0], padding[1]:full_w - padding[1]]
    return y if b is None else y + b[None, :, None, None]


def _t(a, grad=False):
    return barenet.tensor(a, requires_grad=grad)


# (N, C_in, H, W, C_out, (KH, KW), stride, padding, dilation, groups)
CONV_CASES = [
    (2, 3, 7, 6, 4, (3, 3), 1, 0, 1, 1),          # odd sizes, no padding
    (1, 2, 9, 8, 3, (3, 2), 2, 1, 1, 1),          # batch 1, stride that divides neither size
    (2, 2, 8, 7, 2, (3, 3), (2, 3), (1, 2), 1, 1),  # asymmetric stride and padding
    (2, 2, 9, 9, 3, (3, 3), 1, 2, 2, 1),          # dilation (flat-shift path: OW == W)
    (1, 2, 10, 9, 2, (2, 3), 3, 0, (2, 1), 1),    # dilation with stride
    (2, 4, 6, 5, 6, (3, 3), 1, 1, 1, 2),          # groups
    (2, 3, 7, 7, 3, (3, 3), 2, 1, 1, 3),          # depthwise, strided
    (1, 2, 6, 6, 4, (3, 3), 1, 1, 1, 2),          # depthwise with channel multiplier 2
    (2, 1, 8, 8, 3, (5, 5), 1, 2, 1, 1),          # one input channel (LeNet c1-like)
    (2, 4, 5, 6, 3, (1, 1), 1, 0, 1, 1),          # 1x1
    (1, 4, 7, 7, 2, (1, 1), 2, 0, 1, 1),          # 1x1 strided (ResNet shortcut)
    (1, 2, 5, 5, 2, (3, 3), 1, 3, 1, 1),          # padding beyond the kernel span
    (2, 4, 6, 7, 3, (3, 3), 1, 1, 1, 1),          # "same": row-shift path
    (1, 4, 5, 6, 4, (3, 3), 1, 1, 1, 2),          # ... with groups
    (1, 3, 7, 7, 2, (3, 3), 1, 2, 2, 1),          # ... with dilation
    (2, 3, 6, 6, 4, (1, 3), 1, (0, 1), 1, 1),     # ... one kernel row (no row offsets)
    (2, 3, 6, 5, 2, (3, 1), 1, (1, 0), 1, 1),     # ... one kernel column (no column copies)
    (1, 2, 7, 7, 3, (5, 5), 1, 0, 1, 1),          # "valid" too narrow to widen: im2col
]
IDS = [f"case{i}" for i in range(len(CONV_CASES))]


def _conv_case(case, rng):
    n, c, h, w, o, k, s, p, d, g = case
    x = rng.standard_normal((n, c, h, w))
    weight = rng.standard_normal((o, c // g, *k))
    bias = rng.standard_normal(o)
    pair = lambda v: (v, v) if isinstance(v, int) else v  # noqa: E731
    return x, weight, bias, pair(s), pair(p), pair(d), g


@pytest.mark.parametrize("case", CONV_CASES, ids=IDS)
def test_conv2d_forward_matches_naive_loops(case, rng):
    x, w, b, s, p, d, g = _conv_case(case, rng)
    out = F.conv2d(_t(x), _t(w), _t(b), s, p, d, g)
    assert_close(out.numpy(), naive_conv2d(x, w, b, s, (p[0], p[0], p[1], p[1]), d, g), rtol=1e-10)


@pytest.mark.parametrize("case", CONV_CASES, ids=IDS)
def test_conv2d_gradcheck(case, rng):
    x, w, b, s, p, d, g = _conv_case(case, rng)
    check_grad(lambda x_, w_, b_: F.conv2d(x_, w_, b_, s, p, d, g), x, w, b)


@pytest.mark.parametrize("padding", ["same", "valid"])
@pytest.mark.parametrize("kernel, dilation", [((3, 3), 1), ((2, 4), 1), ((3, 2), (2, 1))])
def test_conv2d_same_and_valid(padding, kernel, dilation, rng):
    x, w = rng.standard_normal((1, 2, 6, 5)), rng.standard_normal((3, 2, *kernel))
    d = (dilation, dilation) if isinstance(dilation, int) else dilation
    total = [dd * (k - 1) for k, dd in zip(kernel, d)]
    pads = (0, 0, 0, 0) if padding == "valid" else (total[0] // 2, total[0] - total[0] // 2,
                                                    total[1] // 2, total[1] - total[1] // 2)
    out = F.conv2d(_t(x), _t(w), None, 1, padding, dilation)
    assert_close(out.numpy(), naive_conv2d(x, w, None, (1, 1), pads, d), rtol=1e-10)
    if padding == "same":
        assert out.shape[2:] == x.shape[2:]
    check_grad(lambda x_, w_: F.conv2d(x_, w_, None, 1, padding, dilation), x, w)


@pytest.mark.parametrize("groups", [1, 2])  # row shifts; depthwise
@pytest.mark.parametrize("size, kernel", [((1, 2), (1, 3)), ((2, 2), (3, 3)), ((1, 1), (3, 3))])
def test_conv2d_same_with_padding_larger_than_the_image(size, kernel, groups, rng):
    """Dilation 3 pads 3 on each side: some kernel offsets shift past the whole plane."""
    x, w = rng.standard_normal((2, 2, *size)), rng.standard_normal((4, 2 // groups, *kernel))
    pads = tuple(p for k in kernel for p in (3 * (k - 1) // 2,) * 2)
    out = F.conv2d(_t(x), _t(w), None, 1, "same", 3, groups)
    assert_close(out.numpy(), naive_conv2d(x, w, None, (1, 1), pads, (3, 3), groups), rtol=1e-10)
    check_grad(lambda x_, w_: F.conv2d(x_, w_, None, 1, "same", 3, groups), x, w)


def test_conv2d_without_bias_and_unbatched(rng):
    x, w = rng.standard_normal((2, 5, 5)), rng.standard_normal((3, 2, 3, 3))
    out = F.conv2d(_t(x), _t(w), padding=1)
    assert out.shape == (3, 5, 5)
    assert_close(out.numpy(), naive_conv2d(x[None], w, None, (1, 1), (1, 1, 1, 1))[0], rtol=1e-10)
    check_grad(lambda x_, w_: F.conv2d(x_, w_, padding=1), x, w)


def test_conv2d_keeps_float32_and_skips_unneeded_grads(rng):
    x = _t(rng.standard_normal((2, 3, 6, 6)).astype(np.float32), grad=True)
    w = _t(rng.standard_normal((4, 3, 3, 3)).astype(np.float32))
    out = F.conv2d(x, w, padding=1)
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == np.float32 and w.grad is None


@pytest.mark.parametrize("groups", [1, 3])
def test_conv2d_gradient_of_bias_alone(groups, rng):
    x, w = _t(rng.standard_normal((2, 3, 5, 5))), _t(rng.standard_normal((3, 3 // groups, 3, 3)))
    b = _t(rng.standard_normal(3), grad=True)
    F.conv2d(x, w, b, padding=1, groups=groups).sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), np.full(3, 2 * 5 * 5))


@pytest.mark.parametrize("case", CONV_CASES, ids=IDS)
def test_conv2d_gradient_of_input_or_weight_alone(case, rng):
    """dL/dx without dL/dw, and dL/dw without dL/dx, are what both together give (every strategy
    has a pass that skips the other)."""
    x, w, _, s, p, d, g = _conv_case(case, rng)
    upstream = rng.standard_normal(F.conv2d(_t(x), _t(w), None, s, p, d, g).shape)

    def grads(x_grad: bool, w_grad: bool):
        xt, wt = _t(x, x_grad), _t(w, w_grad)
        F.conv2d(xt, wt, None, s, p, d, g).backward(_t(upstream))
        return xt.grad, wt.grad

    both = grads(True, True)
    assert_close(grads(True, False)[0].numpy(), both[0].numpy(), rtol=1e-12)
    assert_close(grads(False, True)[1].numpy(), both[1].numpy(), rtol=1e-12)


@pytest.mark.parametrize("chunk_bytes, widen_limit", [(1, 1.5), (3000, 1.5), (3000, 1.0), (1, 1.0)])
def test_conv2d_strategy_settings_do_not_change_results(chunk_bytes, widen_limit, rng, monkeypatch):
    """Chunks of 1 sample (or a few), with or without widening, give the one-chunk results."""
    x, w, b = rng.standard_normal((5, 4, 7, 6)), rng.standard_normal((6, 2, 3, 3)), rng.standard_normal(6)
    for s, p in ((1, 1), (1, 0), (2, 0)):
        results = []
        for budget, limit in ((im2col.CHUNK_BYTES, im2col.WIDEN_LIMIT), (chunk_bytes, widen_limit)):
            monkeypatch.setattr(im2col, "CHUNK_BYTES", budget)
            monkeypatch.setattr(im2col, "MIN_COLUMNS", 1 if budget == chunk_bytes else im2col.MIN_COLUMNS)
            monkeypatch.setattr(im2col, "WIDEN_LIMIT", limit)
            xt, wt, bt = _t(x, True), _t(w, True), _t(b, True)
            out = F.conv2d(xt, wt, bt, s, p, groups=2)
            (out * out).sum().backward()
            results.append([out.numpy(), xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()])
        for whole, chunked in zip(*results):
            assert_close(chunked, whole, rtol=1e-12)


@pytest.mark.parametrize("kernel, stride, padding, dilation, groups", [
    (3, 1, 1, 1, 1),  # row shifts
    (3, 2, 1, 1, 1),  # im2col, strided
    (5, 1, 0, 1, 1),  # "valid", widened
    (3, 1, 2, 2, 1),  # dilated
    (3, 1, 1, 1, 4),  # depthwise
    (3, 1, 4, 1, 2),  # padding beyond the kernel span: some bands read only padding
])
def test_large_images_split_into_bands_of_rows_give_the_whole_results(kernel, stride, padding, dilation, groups,
                                                                        rng, monkeypatch):
    """One sample larger than MAX_CHUNK_BYTES is computed in bands of output rows (each band a
    convolution of the rows it reads): outputs and gradients equal the one-piece results."""
    c_out = 6 if groups == 1 else 8
    x, w, b = (rng.standard_normal((2, 4, 13, 9)), rng.standard_normal((c_out, 4 // groups, kernel, kernel)),
               rng.standard_normal(c_out))
    results = []
    for budget in (im2col.MAX_CHUNK_BYTES, 2000):
        monkeypatch.setattr(im2col, "MAX_CHUNK_BYTES", budget)
        xt, wt, bt = _t(x, True), _t(w, True), _t(b, True)
        out = F.conv2d(xt, wt, bt, stride, padding, dilation, groups)
        (out * out).sum().backward()
        results.append([out.numpy(), xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()])
    assert len(conv_kernels._bands(x.shape, w.shape, _geometry(x, w, stride, padding, dilation), groups, 8)) > 2
    for whole, banded in zip(*results):
        assert_close(banded, whole, rtol=1e-12)


def test_conv_transpose2d_in_bands_of_rows_gives_the_whole_results(rng, monkeypatch):
    x, w = rng.standard_normal((2, 4, 7, 6)), rng.standard_normal((4, 3, 3, 3))
    results = []
    for budget in (im2col.MAX_CHUNK_BYTES, 1500):
        monkeypatch.setattr(im2col, "MAX_CHUNK_BYTES", budget)
        xt, wt = _t(x, True), _t(w, True)
        out = F.conv_transpose2d(xt, wt, None, 2, 1, 1)
        (out * out).sum().backward()
        results.append([out.numpy(), xt.grad.numpy(), wt.grad.numpy()])
    for whole, banded in zip(*results):
        assert_close(banded, whole, rtol=1e-12)


def _geometry(x, w, stride, padding, dilation):
    return conv2d_geometry(x.shape, w.shape, stride, padding, dilation)


# ----- conv_transpose2d --------------------------------------------------------------------
# (N, C_in, H, W, C_out, (KH, KW), stride, padding, output_padding, dilation, groups)
TRANSPOSE_CASES = [
    (2, 3, 4, 5, 2, (3, 3), 1, 0, 0, 1, 1),
    (1, 2, 3, 4, 3, (3, 2), 2, 1, 1, 1, 1),
    (2, 4, 3, 3, 2, (2, 2), (2, 3), 0, (1, 2), 1, 2),
    (1, 2, 4, 3, 2, (3, 3), 1, 1, 1, (2, 2), 1),   # output_padding < dilation with stride 1
    (2, 3, 4, 4, 3, (3, 3), 2, 1, 0, 1, 3),         # depthwise
]


def _transpose_case(case, rng):
    n, c, h, w, o, k, s, p, op, d, g = case
    pair = lambda v: (v, v) if isinstance(v, int) else v  # noqa: E731
    return (rng.standard_normal((n, c, h, w)), rng.standard_normal((c, o // g, *k)), rng.standard_normal(o),
            pair(s), pair(p), pair(op), g, pair(d))


@pytest.mark.parametrize("case", TRANSPOSE_CASES)
def test_conv_transpose2d_matches_naive_scatter(case, rng):
    x, w, b, s, p, op, g, d = _transpose_case(case, rng)
    out = F.conv_transpose2d(_t(x), _t(w), _t(b), s, p, op, g, d)
    assert_close(out.numpy(), naive_conv_transpose2d(x, w, b, s, p, op, g, d), rtol=1e-10)


@pytest.mark.parametrize("case", TRANSPOSE_CASES)
def test_conv_transpose2d_gradcheck(case, rng):
    x, w, b, s, p, op, g, d = _transpose_case(case, rng)
    check_grad(lambda x_, w_, b_: F.conv_transpose2d(x_, w_, b_, s, p, op, g, d), x, w, b)


def test_conv_transpose2d_is_the_adjoint_of_conv2d(rng):
    """<conv2d(x), y> = <x, conv_transpose2d(y)> for the same weight, stride, padding, dilation."""
    x, y = rng.standard_normal((2, 4, 9, 8)), rng.standard_normal((2, 6, 5, 2))
    w = rng.standard_normal((6, 2, 3, 3))
    cx = F.conv2d(_t(x), _t(w), None, (2, 3), 1, (1, 2), 2).numpy()
    ty = F.conv_transpose2d(_t(y), _t(w), None, (2, 3), 1, (0, 2), 2, (1, 2)).numpy()
    assert ty.shape == x.shape
    np.testing.assert_allclose((cx * y).sum(), (x * ty).sum(), rtol=1e-10)


# ----- PyTorch parity on drawn configurations ----------------------------------------------
@st.composite
def conv_configs(draw, transpose=False):
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    cg, og = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    if draw(st.booleans()) and groups > 1:
        og = 1 if transpose else og
        cg = 1 if not transpose else cg
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    h = draw(st.integers(max(1, dilation[0] * (kh - 1) + 1 - 2 * padding[0]), 9))
    w = draw(st.integers(max(1, dilation[1] * (kw - 1) + 1 - 2 * padding[1]), 9))
    n = draw(st.integers(1, 3))
    out_pad = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
    bias = draw(st.booleans())
    return n, groups * cg, groups * og, h, w, (kh, kw), stride, padding, dilation, groups, out_pad, bias


@settings(max_examples=40, deadline=None)
@given(conv_configs(), st.integers(0, 2**31 - 1))
def test_conv2d_matches_torch(cfg, seed):
    torch = pytest.importorskip("torch")
    n, c, o, h, w, k, s, p, d, g, _, bias = cfg
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal((n, c, h, w)), rng.standard_normal((o, c // g, *k))]
    arrays += [rng.standard_normal(o)] if bias else []
    check_torch(lambda *a: F.conv2d(*a[:2], a[2] if bias else None, s, p, d, g),
                lambda *a: torch.nn.functional.conv2d(*a[:2], a[2] if bias else None, s, p, d, g), *arrays)


@settings(max_examples=80, deadline=None)
@given(conv_configs(), st.lists(st.integers(0, 4), min_size=4, max_size=4), st.integers(1, 3), st.integers(1, 3),
       st.booleans(), st.booleans(), st.integers(0, 2**31 - 1))
def test_conv_kernels_match_torch_with_any_padding_per_side(cfg, pads, h, w, same_width, chunked, seed):
    """The array kernels with unequal paddings per side (what "same" with an even kernel and a
    transposed convolution hand them), also wider than the image, and chunks of one sample:
    against torch on the input padded beforehand. Half the draws keep the width (stride 1,
    PL + PR = DW*(KW-1)), the row-shift path."""
    torch = pytest.importorskip("torch")
    n, c, o, _, _, k, s, _, d, g, _, _ = cfg
    if same_width:
        s, pads[3] = (1, 1), d[1] * (k[1] - 1) - pads[2]
    geometry = im2col.Geometry(h, w, *k, *s, *d, *pads)
    assume(pads[3] >= 0 and geometry.oh >= 1 and geometry.ow >= 1)
    rng = np.random.default_rng(seed)
    x, weight = rng.standard_normal((n, c, h, w)), rng.standard_normal((o, c // g, *k))
    gy = rng.standard_normal((n, o, geometry.oh, geometry.ow))
    with pytest.MonkeyPatch.context() as patch:
        if chunked:
            patch.setattr(im2col, "CHUNK_BYTES", 1)
            patch.setattr(im2col, "MIN_COLUMNS", 1)
        y = conv_kernels.forward(x, weight, None, geometry, g)
        gx, gw = conv_kernels.backward(gy, geometry, g, x.shape, weight.shape, x=x, w=weight)
    pt, pb, pl, pr = pads
    xt = torch.tensor(np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr))), requires_grad=True)
    wt = torch.tensor(weight, requires_grad=True)
    yt = torch.nn.functional.conv2d(xt, wt, None, s, 0, d, g)
    yt.backward(torch.tensor(gy))
    assert_close(y, yt.detach().numpy(), rtol=1e-10)
    assert_close(gx, xt.grad.numpy()[:, :, pt:pt + h, pl:pl + w], rtol=1e-10)
    assert_close(gw, wt.grad.numpy(), rtol=1e-10)


@settings(max_examples=40, deadline=None)
@given(conv_configs(), st.integers(0, 2**31 - 1))
def test_conv2d_in_one_row_bands_matches_the_whole(cfg, seed):
    """With a 1-byte budget every output row is a band of its own: outputs and all gradients still
    equal the one-piece computation, whatever the stride, padding, dilation and groups."""
    n, c, o, h, w, k, s, p, d, g, _, bias = cfg
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal((n, c, h, w)), rng.standard_normal((o, c // g, *k)), rng.standard_normal(o)]
    results = []
    for budget in (im2col.MAX_CHUNK_BYTES, 1):
        saved, im2col.MAX_CHUNK_BYTES = im2col.MAX_CHUNK_BYTES, budget
        try:
            xt, wt, bt = (_t(a, True) for a in arrays)
            out = F.conv2d(xt, wt, bt if bias else None, s, p, d, g)
            (out * out).sum().backward()
        finally:
            im2col.MAX_CHUNK_BYTES = saved
        results.append([out.numpy(), xt.grad.numpy(), wt.grad.numpy()])
    for whole, banded in zip(*results):
        assert_close(banded, whole, rtol=1e-12)


@settings(max_examples=40, deadline=None)
@given(conv_configs(transpose=True), st.integers(0, 2**31 - 1))
def test_conv_transpose2d_matches_torch(cfg, seed):
    torch = pytest.importorskip("torch")
    n, c, o, h, w, k, s, p, d, g, op, bias = cfg
    rng = np.random.default_rng(seed)
    h, w = max(1, h - 5), max(1, w - 5)
    out = [(i - 1) * st_ - 2 * pp + dd * (kk - 1) + q + 1 for i, st_, pp, dd, kk, q in zip((h, w), s, p, d, k, op)]
    if min(out) < 1:
        p = (0, 0)
    arrays = [rng.standard_normal((n, c, h, w)), rng.standard_normal((c, o // g, *k))]
    arrays += [rng.standard_normal(o)] if bias else []
    check_torch(lambda *a: F.conv_transpose2d(*a[:2], a[2] if bias else None, s, p, op, g, d),
                lambda *a: torch.nn.functional.conv_transpose2d(*a[:2], a[2] if bias else None, s, p, op, g, d),
                *arrays)


@pytest.mark.parametrize("shape", [(4, 16, 12, 12, 16, 3, 1, 1, 1), (2, 8, 15, 15, 12, 5, 2, 2, 1),
                                   (2, 16, 10, 10, 16, 3, 2, 1, 16), (3, 6, 14, 14, 16, 5, 1, 0, 1)])
def test_conv2d_matches_torch_on_layer_sized_inputs(shape, rng, monkeypatch):
    """Realistic sizes in several chunks, for every strategy (flat shift, widened, strided, depthwise)."""
    torch = pytest.importorskip("torch")
    monkeypatch.setattr(im2col, "CHUNK_BYTES", 1)
    monkeypatch.setattr(im2col, "MIN_COLUMNS", 1)
    n, c, h, w, o, k, s, p, g = shape
    arrays = [rng.standard_normal((n, c, h, w)), rng.standard_normal((o, c // g, k, k)), rng.standard_normal(o)]
    check_torch(lambda *a: F.conv2d(*a, s, p, 1, g), lambda *a: torch.nn.functional.conv2d(*a, s, p, 1, g),
                *arrays)


# ----- errors ------------------------------------------------------------------------------
def _zeros(*shape):
    return barenet.zeros(*shape)


@pytest.mark.parametrize("call, error, match", [
    (lambda: F.conv2d(_zeros(3, 8, 8, 1, 1), _zeros(4, 3, 3, 3)), ValueError, r"conv2d: expected a 4-D input"),
    (lambda: F.conv2d(_zeros(1, 3, 8, 8), _zeros(4, 3, 3)), ValueError, r"weight must be 4-D"),
    (lambda: F.conv2d(_zeros(1, 3, 8, 8), _zeros(4, 3, 0, 3)), ValueError,
     r"conv2d: weight must be 4-D with a kernel of at least 1x1 .* Received: weight.shape=\(4, 3, 0, 3\)"),
    (lambda: F.conv2d(_zeros(1, 3, 8, 8), _zeros(0, 3, 3, 3)), ValueError, r"at least one output channel"),
    (lambda: F.conv_transpose2d(_zeros(1, 3, 8, 8), _zeros(3, 0, 3, 3)), ValueError,
     r"conv_transpose2d: .*at least one output channel"),
    (lambda: F.conv2d(_zeros(8, 3, 32, 32), _zeros(16, 4, 3, 3)), ValueError,
     r"input channels must equal weight.shape\[1\] \* groups. Received: input.shape=\(8, 3, 32, 32\), "
     r"weight.shape=\(16, 4, 3, 3\), groups=1"),
    (lambda: F.conv2d(_zeros(1, 4, 8, 8), _zeros(3, 2, 3, 3), groups=2), ValueError, r"divisible by groups"),
    (lambda: F.conv2d(_zeros(1, 3, 4, 4), _zeros(2, 3, 5, 5)), ValueError, r"output would be empty"),
    (lambda: F.conv2d(_zeros(1, 3, 4, 4), _zeros(2, 3, 3, 3), dilation=2), ValueError, r"output would be empty"),
    (lambda: F.conv2d(_zeros(1, 3, 8, 8), _zeros(2, 3, 3, 3), stride=0), ValueError, r"stride must be positive"),
    (lambda: F.conv2d(_zeros(1, 3, 8, 8), _zeros(2, 3, 3, 3), dilation=(1, -1)), ValueError,
     r"dilation must be positive"),
    (lambda: F.conv2d(_zeros(1, 3, 8, 8), _zeros(2, 3, 3, 3), padding=-1), ValueError, r"non-negative"),
    (lambda: F.conv2d(_zeros(1, 3, 8, 8), _zeros(2, 3, 3, 3), padding="same", stride=2), ValueError,
     r"'same' is not supported for strided"),
    (lambda: F.conv2d(_zeros(1, 3, 8, 8), _zeros(2, 3, 3, 3), padding="full"), ValueError, r"'same' or 'valid'"),
    (lambda: F.conv2d(_zeros(1, 3, 8, 8), _zeros(2, 3, 3, 3), stride=1.5), TypeError, r"an int or a pair"),
    (lambda: F.conv2d(_zeros(1, 3, 8, 8), _zeros(2, 3, 3, 3), groups=0), ValueError, r"groups must be a positive"),
    (lambda: F.conv2d(_zeros(1, 3, 8, 8), _zeros(2, 3, 3, 3), _zeros(3)), ValueError, r"bias must have shape \(2,\)"),
    (lambda: F.conv2d(_zeros(1, 3, 8, 8), _zeros(2, 3, 3, 3).double()), TypeError, r"share one dtype"),
    (lambda: F.conv_transpose2d(_zeros(1, 3, 4, 4), _zeros(2, 2, 3, 3)), ValueError,
     r"conv_transpose2d: input channels must equal weight.shape\[0\]"),
    (lambda: F.conv_transpose2d(_zeros(1, 2, 4, 4), _zeros(2, 2, 3, 3), stride=2, output_padding=2), ValueError,
     r"output_padding must be smaller than either stride or dilation"),
    (lambda: F.conv_transpose2d(_zeros(1, 2, 1, 1), _zeros(2, 2, 1, 1), padding=1), ValueError,
     r"output would be empty"),
])
def test_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
