"""Pooling ops: naive loop references, finite differences, PyTorch parity (values, gradients,
indices), the unpooling round trip, and error messages."""
import numpy as np
import pytest
from harness import assert_close, check_grad, check_torch, tie_free, torch_or_skip
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import barenet
import barenet.functional as F


# ----- naive references, written independently of the implementation ----------------------
def out_len(size, k, s, p, d=1, ceil=False):
    """PyTorch's documented output length (ceil mode: the last window starts inside input or left padding)."""
    span = size + 2 * p - d * (k - 1) - 1
    n = (-(-span // s) if ceil else span // s) + 1
    return n - 1 if ceil and (n - 1) * s >= size + p else n


def naive_max_pool2d(x, k, s, p, d, ceil):
    """Values and flat indices h*W + w of the first (row-major) maximum of every window."""
    n, c, h, w = x.shape
    oh, ow = out_len(h, k[0], s[0], p[0], d[0], ceil), out_len(w, k[1], s[1], p[1], d[1], ceil)
    y, idx = np.full((n, c, oh, ow), -np.inf), np.full((n, c, oh, ow), -1)
    for i in range(oh):
        for j in range(ow):
            for u in range(k[0]):
                for v in range(k[1]):
                    r, q = i * s[0] - p[0] + u * d[0], j * s[1] - p[1] + v * d[1]
                    if 0 <= r < h and 0 <= q < w:
                        better = x[:, :, r, q] > y[:, :, i, j]
                        y[:, :, i, j][better] = x[:, :, r, q][better]
                        idx[:, :, i, j][better] = r * w + q
    return y, idx


def naive_avg_pool2d(x, k, s, p, ceil, count_include_pad, divisor_override):
    """Window sums over the input, divided as torch's CPU kernel does (window clipped to the
    padded input for count_include_pad, to the input otherwise)."""
    n, c, h, w = x.shape
    oh, ow = out_len(h, k[0], s[0], p[0], 1, ceil), out_len(w, k[1], s[1], p[1], 1, ceil)
    y = np.zeros((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            r0, q0 = i * s[0] - p[0], j * s[1] - p[1]
            r1, q1 = min(r0 + k[0], h + p[0]), min(q0 + k[1], w + p[1])
            padded_count = (r1 - r0) * (q1 - q0)
            r0, q0, r1, q1 = max(r0, 0), max(q0, 0), min(r1, h), min(q1, w)
            total = x[:, :, r0:r1, q0:q1].sum(axis=(2, 3))
            div = divisor_override or (padded_count if count_include_pad else (r1 - r0) * (q1 - q0))
            y[:, :, i, j] = total / div
    return y


def naive_adaptive(x, out, reduce):
    n, c, h, w = x.shape
    y = np.zeros((n, c) + out)
    for i in range(out[0]):
        for j in range(out[1]):
            r0, r1 = i * h // out[0], -(-(i + 1) * h // out[0])
            q0, q1 = j * w // out[1], -(-(j + 1) * w // out[1])
            y[:, :, i, j] = reduce(x[:, :, r0:r1, q0:q1].reshape(n, c, -1), axis=2)
    return y


def windows_hit_input(size, k, s, p, d, ceil):
    """The output is not empty and every window holds an input pixel (torch gives garbage indices
    otherwise)."""
    n = out_len(size, k, s, p, d, ceil)
    return n >= 1 and all(any(0 <= o * s - p + u * d < size for u in range(k)) for o in range(n))


def _t(a, grad=False):
    return barenet.tensor(a, requires_grad=grad)


# ----- max_pool2d --------------------------------------------------------------------------
MAX_CASES = [  # shape, kernel, stride, padding, dilation, ceil_mode
    ((1, 2, 7, 5), (3, 3), (2, 2), (0, 0), (1, 1), False),  # AlexNet's overlapping 3x3/2, odd sizes
    ((2, 1, 8, 8), (2, 2), (2, 2), (0, 0), (1, 1), False),  # tiling windows
    ((1, 2, 7, 6), (3, 2), (3, 2), (1, 1), (1, 1), False),  # padding, stride not dividing the size
    ((1, 1, 6, 7), (3, 3), (2, 2), (1, 0), (1, 1), True),   # ceil mode keeps a partial window
    ((1, 2, 9, 8), (3, 2), (2, 1), (1, 1), (2, 3), False),  # dilation
    ((1, 1, 6, 6), (5, 5), (1, 1), (2, 2), (1, 1), False),  # large kernel at stride 1 (sliced views)
    ((2, 3, 5), (2, 2), (1, 1), (0, 0), (1, 1), True),      # unbatched (C, H, W)
]


@pytest.mark.parametrize("shape,k,s,p,d,ceil", MAX_CASES)
def test_max_pool2d_matches_naive_and_gradcheck(rng, shape, k, s, p, d, ceil):
    x = tie_free(rng, *shape)
    y, idx = F.max_pool2d(_t(x), k, s, p, d, ceil, return_indices=True)
    ref_y, ref_idx = naive_max_pool2d(x if x.ndim == 4 else x[None], k, s, p, d, ceil)
    assert_close(y.numpy(), ref_y if x.ndim == 4 else ref_y[0])
    np.testing.assert_array_equal(idx.numpy(), ref_idx if x.ndim == 4 else ref_idx[0])
    assert idx.dtype == np.int64 and y.dtype == np.float64
    check_grad(lambda t: F.max_pool2d(t, k, s, p, d, ceil), x)


def test_max_pool2d_ties_and_nan_follow_torch():
    torch = torch_or_skip()
    relu_like = np.maximum(np.random.default_rng(1).standard_normal((2, 3, 7, 7)), 0).astype(np.float32)
    relu_like[0, 0] = 0.0  # all-zero windows: torch picks the first pixel of each
    nan = np.array([[[[1.0, np.nan, 3.0, np.nan], [np.nan, 0.0, 2.0, 5.0]]]], dtype=np.float32)
    for x, args in ((relu_like, (3, 2, 1)), (nan, ((1, 4),)), (nan, (2, 1))):
        y, idx = F.max_pool2d(_t(x), *args, return_indices=True)
        ty, tidx = torch.nn.functional.max_pool2d(torch.tensor(x), *args, return_indices=True)
        np.testing.assert_array_equal(y.numpy(), ty.numpy())
        np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
    check_torch(lambda t: F.max_pool2d(t, 3, 2, 1), lambda t: torch.nn.functional.max_pool2d(t, 3, 2, 1), relu_like)
    _, idx = F.adaptive_max_pool2d(_t(relu_like), (3, 4), return_indices=True)
    _, tidx = torch.nn.functional.adaptive_max_pool2d(torch.tensor(relu_like), (3, 4), return_indices=True)
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())


@st.composite
def max_configs(draw):
    k = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    p = (draw(st.integers(0, k[0] // 2)), draw(st.integers(0, k[1] // 2)))
    d = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    ceil = draw(st.booleans())
    shape = (draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 12)), draw(st.integers(1, 12)))
    assume(all(windows_hit_input(shape[2 + a], k[a], s[a], p[a], d[a], ceil) for a in range(2)))
    return shape, k, s, p, d, ceil


@settings(max_examples=40, deadline=None)
@given(max_configs(), st.integers(0, 2**16))
def test_max_pool2d_torch_parity(config, seed):
    torch = torch_or_skip()
    shape, k, s, p, d, ceil = config
    x = tie_free(np.random.default_rng(seed), *shape)
    check_torch(lambda t: F.max_pool2d(t, k, s, p, d, ceil),
                lambda t: torch.nn.functional.max_pool2d(t, k, s, p, d, ceil), x)
    _, idx = F.max_pool2d(_t(x), k, s, p, d, ceil, return_indices=True)
    _, tidx = torch.nn.functional.max_pool2d(torch.tensor(x), k, s, p, d, ceil, return_indices=True)
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())


# ----- avg_pool2d --------------------------------------------------------------------------
AVG_CASES = [  # shape, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override
    ((1, 2, 7, 5), (3, 3), (2, 2), (1, 1), False, True, None),
    ((1, 2, 7, 5), (3, 3), (2, 2), (1, 1), False, False, None),
    ((2, 1, 6, 7), (2, 3), (2, 2), (1, 0), True, True, None),   # ceil-mode window past the padding
    ((1, 1, 7, 7), (3, 3), (2, 2), (1, 1), True, False, None),
    ((1, 2, 8, 6), (2, 2), (2, 2), (0, 0), False, True, 3),
    ((2, 5, 4), (3, 2), (1, 2), (1, 0), False, True, None),      # unbatched
]


@pytest.mark.parametrize("shape,k,s,p,ceil,cip,div", AVG_CASES)
def test_avg_pool2d_matches_naive_and_gradcheck(rng, shape, k, s, p, ceil, cip, div):
    x = rng.standard_normal(shape)
    y = F.avg_pool2d(_t(x), k, s, p, ceil, cip, div)
    ref = naive_avg_pool2d(x if x.ndim == 4 else x[None], k, s, p, ceil, cip, div)
    assert_close(y.numpy(), ref if x.ndim == 4 else ref[0], rtol=1e-12)
    check_grad(lambda t: F.avg_pool2d(t, k, s, p, ceil, cip, div), x)


@settings(max_examples=30, deadline=None)
@given(max_configs(), st.booleans(), st.sampled_from([None, 2, 5]), st.integers(0, 2**16))
def test_avg_pool2d_torch_parity(config, cip, div, seed):
    torch = torch_or_skip()
    shape, k, s, p, _, ceil = config
    assume(all(out_len(n, ki, si, pi, 1, False) >= 1 for n, ki, si, pi in zip(shape[2:], k, s, p)))
    x = np.random.default_rng(seed).standard_normal(shape)
    check_torch(lambda t: F.avg_pool2d(t, k, s, p, ceil, cip, div),
                lambda t: torch.nn.functional.avg_pool2d(t, k, s, p, ceil, cip, div), x)


# ----- adaptive pooling --------------------------------------------------------------------
ADAPTIVE_CASES = [  # shape, output_size, resolved output size
    ((1, 2, 7, 5), (3, 2), (3, 2)),      # unequal, overlapping bins
    ((2, 1, 8, 6), (4, 3), (4, 3)),      # equal tiles
    ((1, 2, 5, 7), 1, (1, 1)),           # global pooling
    ((1, 1, 3, 4), (5, None), (5, 4)),   # more bins than rows; None keeps the width
    ((2, 6, 5), 4, (4, 4)),              # unbatched
    ((1, 2, 4, 3), (0, 2), (0, 2)),      # empty output, as torch allows
]


@pytest.mark.parametrize("shape,size,out", ADAPTIVE_CASES)
def test_adaptive_pools_match_naive_and_gradcheck(rng, shape, size, out):
    x = tie_free(rng, *shape)
    x4 = x if x.ndim == 4 else x[None]
    unbatch = (lambda a: a) if x.ndim == 4 else (lambda a: a[0])
    assert_close(F.adaptive_avg_pool2d(_t(x), size).numpy(), unbatch(naive_adaptive(x4, out, np.mean)), rtol=1e-12)
    y, idx = F.adaptive_max_pool2d(_t(x), size, return_indices=True)
    assert_close(y.numpy(), unbatch(naive_adaptive(x4, out, np.max)))
    flat = x.reshape(x.shape[:-2] + (-1,))
    np.testing.assert_array_equal(np.take_along_axis(flat, idx.numpy().reshape(flat.shape[:-1] + (-1,)), -1),
                                  y.numpy().reshape(flat.shape[:-1] + (-1,)))
    check_grad(lambda t: F.adaptive_avg_pool2d(t, size), x)
    check_grad(lambda t: F.adaptive_max_pool2d(t, size), x)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 11), st.integers(1, 11), st.integers(1, 8), st.integers(1, 8), st.integers(0, 2**16))
def test_adaptive_pools_torch_parity(h, w, oh, ow, seed):
    torch = torch_or_skip()
    tf = torch.nn.functional
    x = tie_free(np.random.default_rng(seed), 2, 3, h, w)
    check_torch(lambda t: F.adaptive_avg_pool2d(t, (oh, ow)), lambda t: tf.adaptive_avg_pool2d(t, (oh, ow)), x)
    check_torch(lambda t: F.adaptive_max_pool2d(t, (oh, ow)), lambda t: tf.adaptive_max_pool2d(t, (oh, ow)), x)
    _, idx = F.adaptive_max_pool2d(_t(x), (oh, ow), return_indices=True)
    _, tidx = tf.adaptive_max_pool2d(torch.tensor(x), (oh, ow), return_indices=True)
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())


def test_global_average_pooling_is_the_mean(rng):
    x = rng.standard_normal((3, 4, 6, 5)).astype(np.float32)
    assert_close(F.adaptive_avg_pool2d(_t(x), 1).numpy(), x.mean(axis=(2, 3), keepdims=True), rtol=1e-6)


# ----- max_unpool2d ------------------------------------------------------------------------
@settings(max_examples=30, deadline=None)
@given(max_configs(), st.integers(0, 2**16))
def test_max_unpool2d_round_trip_matches_torch(config, seed):
    torch = torch_or_skip()
    tf = torch.nn.functional
    shape, k, s, p, _, ceil = config
    x = tie_free(np.random.default_rng(seed), *shape).astype(np.float32)
    assume(all(out_len(n, ki, si, pi) >= 1 for n, ki, si, pi in zip(shape[2:], k, s, p)))
    y, idx = F.max_pool2d(_t(x), k, s, p, return_indices=True)
    ty, tidx = tf.max_pool2d(torch.tensor(x), k, s, p, return_indices=True)
    out = shape[2:]  # the input size is always within a stride of the default
    check_torch(lambda t: F.max_unpool2d(t, idx, k, s, p, out),
                lambda t: tf.max_unpool2d(t, tidx, k, s, p, out), y.numpy())


def test_max_unpool2d_gradcheck_and_default_size(rng):
    x = tie_free(rng, 1, 2, 7, 5)
    y, idx = F.max_pool2d(_t(x), 3, 2, return_indices=True)
    u = F.max_unpool2d(y, idx, 3, 2)
    assert u.shape == (1, 2, 7, 5)  # (3 - 1)*2 + 3 = 7, (2 - 1)*2 + 3 = 5
    kept = u.numpy() != 0
    np.testing.assert_array_equal(u.numpy()[kept], x[kept])
    unbatched = F.max_unpool2d(y[0], idx[0], 3, 2)
    np.testing.assert_array_equal(unbatched.numpy(), u.numpy()[0])
    # Overlapping windows can pick one pixel twice, and a repeated index is a write that finite
    # differences see once but torch's (gather) backward twice: check on disjoint windows.
    y, idx = F.max_pool2d(_t(x), 2, return_indices=True)
    check_grad(lambda t: F.max_unpool2d(t, idx, 2, output_size=(1, 2, 7, 5)), y.numpy())


# ----- backends and errors -----------------------------------------------------------------
def test_pools_run_on_each_backend(xp, rng):
    x = barenet.tensor(xp.asarray(tie_free(rng, 2, 3, 9, 7, dtype=np.float32)), requires_grad=True)
    y, idx = F.max_pool2d(x, 3, 2, 1, return_indices=True)
    outs = [y, F.avg_pool2d(x, 2, ceil_mode=True), F.adaptive_avg_pool2d(x, (4, 3)), F.adaptive_avg_pool2d(x, 1),
            F.adaptive_max_pool2d(x, (4, 3)), F.max_unpool2d(y, idx, 3, 2, 1, output_size=(9, 7))]
    sum(o.sum() for o in outs).backward()
    assert all(type(o.data) is type(x.data) for o in outs) and type(x.grad.data) is type(x.data)


ERRORS = [
    (lambda: F.max_pool2d(_t(np.zeros((4, 4))), 2), ValueError,
     r"max_pool2d: expected a non-empty 3-D \(C, H, W\) or 4-D \(N, C, H, W\) input. Received: input.shape=\(4, 4\)."),
    (lambda: F.avg_pool2d(_t(np.zeros((1, 1, 1, 4, 4))), 2), ValueError, r"avg_pool2d: expected a non-empty 3-D"),
    (lambda: F.max_pool2d(_t(np.zeros((1, 1, 4, 4))), 5), ValueError,
     r"max_pool2d: the \(dilated\) kernel is larger than the padded input, so the output would be empty. "
     r"Received: input.shape=\(1, 1, 4, 4\), kernel_size=\(5, 5\), stride=\(5, 5\), padding=\(0, 0\), "
     r"dilation=\(1, 1\) \(output size \(0, 0\)\)."),
    (lambda: F.max_pool2d(_t(np.zeros((1, 1, 5, 5))), 2, dilation=5), ValueError, r"output size \(0, 0\)"),
    (lambda: F.max_pool2d(_t(np.zeros((1, 1, 4, 4))), (0, 2)), ValueError,
     r"max_pool2d: kernel_size must be positive. Received: kernel_size=\(0, 2\)."),
    (lambda: F.avg_pool2d(_t(np.zeros((1, 1, 4, 4))), 2, stride=0), ValueError, r"avg_pool2d: stride must be positive"),
    (lambda: F.max_pool2d(_t(np.zeros((1, 1, 4, 4))), 2, dilation=(1, 0)), ValueError, r"dilation must be positive"),
    (lambda: F.max_pool2d(_t(np.zeros((1, 1, 9, 9))), 3, padding=2), ValueError,
     r"max_pool2d: padding must be between 0 and half of kernel_size. "
     r"Received: padding=\(2, 2\), kernel_size=\(3, 3\)."),
    (lambda: F.avg_pool2d(_t(np.zeros((1, 1, 9, 9))), 3, padding=-1), ValueError, r"padding must be between 0"),
    (lambda: F.max_pool2d(_t(np.zeros((1, 1, 4, 4))), 2.5), TypeError,
     r"max_pool2d: kernel_size must be an int or a pair of ints. Received: kernel_size=2.5."),
    (lambda: F.max_pool2d(_t(np.zeros((1, 1, 4, 4))), (2, 2, 2)), TypeError, r"kernel_size must be an int or a pair"),
    (lambda: F.avg_pool2d(_t(np.zeros((1, 1, 4, 4))), 2, divisor_override=0), ValueError,
     r"avg_pool2d: divisor_override must not be zero"),
    (lambda: F.adaptive_avg_pool2d(_t(np.zeros((1, 1, 4, 4))), (2, 2, 2)), TypeError,
     r"adaptive_avg_pool2d: output_size must be an int or a pair of ints \(or None\). "
     r"Received: output_size=\(2, 2, 2\)."),
    (lambda: F.adaptive_max_pool2d(_t(np.zeros((1, 1, 4, 4))), (-1, 2)), ValueError,
     r"adaptive_max_pool2d: output_size must be non-negative. Received: output_size=\(-1, 2\)."),
    (lambda: F.adaptive_avg_pool2d(_t(np.zeros((4, 4))), 2), ValueError, r"adaptive_avg_pool2d: expected a non-empty"),
    (lambda: F.max_unpool2d(_t(np.zeros((1, 1, 2, 2))), _t(np.zeros((1, 1, 2, 1), np.int64)), 2), ValueError,
     r"max_unpool2d: indices must have the same shape as input. Received: input.shape=\(1, 1, 2, 2\), "
     r"indices.shape=\(1, 1, 2, 1\)."),
    (lambda: F.max_unpool2d(_t(np.zeros((1, 1, 2, 2))), _t(np.zeros((1, 1, 2, 2))), 2), TypeError,
     r"max_unpool2d: indices must be an integer tensor. Received: indices.dtype=float64."),
    (lambda: F.max_unpool2d(_t(np.zeros((1, 1, 2, 2))), _t(np.full((1, 1, 2, 2), 16)), 2), ValueError,
     r"max_unpool2d: indices must lie in \[0, OH\*OW\) of the output plane. "
     r"Received: an index 16 for output size \(4, 4\)."),
    (lambda: F.max_unpool2d(_t(np.zeros((1, 1, 2, 2))), _t(np.zeros((1, 1, 2, 2), np.int64)), 2, output_size=(6, 4)),
     ValueError, r"max_unpool2d: output_size must hold 2 \(or 4\) sizes, each within a stride of the default \(4, 4\). "
                 r"Received: output_size=\(6, 4\), stride=\(2, 2\)."),
]


@pytest.mark.parametrize("call,error,message", ERRORS)
def test_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()
