"""batch_norm and local_response_norm: finite differences, PyTorch parity, a naive AlexNet LRN loop."""
import numpy as np
import pytest
from harness import assert_close, check_grad, check_torch, torch_or_skip
from hypothesis import given, settings
from hypothesis import strategies as st

import barenet
import barenet.functional as F

BN_SHAPES = [(5, 3), (4, 3, 7), (2, 3, 5, 4), (1, 3, 3, 5)]  # 2-D, 3-D, 4-D, batch 1


def _bn_fn(training, running):
    """batch_norm on (x, weight, bias) with fresh float64 copies of the running statistics."""
    def fn(x, w, b):
        rm, rv = (barenet.tensor(a, dtype=barenet.float64) for a in running)
        return F.batch_norm(x, rm, rv, w, b, training=training, momentum=0.3, eps=1e-3)
    return fn


def _running(rng, c):
    return rng.standard_normal(c), rng.uniform(0.5, 2.0, c)


@pytest.mark.parametrize("shape", BN_SHAPES)
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_gradcheck(rng, shape, training):
    c = shape[1]
    x = rng.standard_normal(shape) * 2 + 0.5
    check_grad(_bn_fn(training, _running(rng, c)), x, rng.standard_normal(c), rng.standard_normal(c))


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_gradcheck_without_affine(rng, training):
    running = _running(rng, 3)
    fn = _bn_fn(training, running)
    check_grad(lambda x: fn(x, None, None), rng.standard_normal((3, 3, 2, 3)))


def test_batch_norm_gradcheck_input_only(rng):
    """Only x needs a gradient: the path that skips the weight and bias gradients."""
    w, b = (barenet.tensor(rng.standard_normal(3)) for _ in range(2))
    fn = _bn_fn(True, _running(rng, 3))
    check_grad(lambda x: fn(x, w.double(), b.double()), rng.standard_normal((2, 3, 3, 2)))


def _affine(wb):
    return wb if wb else (None, None)


@settings(max_examples=30, deadline=None)
@given(shape=st.sampled_from([(6, 4), (3, 5, 7), (2, 3, 5, 6), (1, 2, 4, 3), (8, 1, 2, 2)]),
       training=st.booleans(), affine=st.booleans(), momentum=st.sampled_from([0.1, 0.5, 1.0]),
       offset=st.floats(-5, 5), seed=st.integers(0, 2**16))
def test_batch_norm_torch_parity(shape, training, affine, momentum, offset, seed):
    torch = torch_or_skip()
    rng = np.random.default_rng(seed)
    c = shape[1]
    x = (rng.standard_normal(shape) * rng.uniform(0.5, 3) + offset).astype(np.float32)
    rm0, rv0 = (a.astype(np.float32) for a in _running(rng, c))
    rms = {"bn": barenet.tensor(rm0), "th": torch.tensor(rm0)}
    rvs = {"bn": barenet.tensor(rv0), "th": torch.tensor(rv0)}
    params = [rng.standard_normal(c).astype(np.float32) for _ in range(2)] if affine else []
    check_torch(lambda x, *wb: F.batch_norm(x, rms["bn"], rvs["bn"], *_affine(wb), training, momentum),
                lambda x, *wb: torch.nn.functional.batch_norm(x, rms["th"], rvs["th"], *_affine(wb), training, momentum),
                x, *params, rtol=2e-4)
    assert_close(rms["bn"].numpy(), rms["th"].numpy(), 1e-5, "running_mean")
    assert_close(rvs["bn"].numpy(), rvs["th"].numpy(), 1e-5, "running_var")


def test_batch_norm_running_update_formula(rng):
    """running = (1 - m) * running + m * stat, with the unbiased variance (independent of torch)."""
    x = rng.standard_normal((4, 2, 3, 3))
    rm, rv = barenet.zeros(2, dtype=barenet.float64), barenet.ones(2, dtype=barenet.float64)
    F.batch_norm(barenet.tensor(x), rm, rv, training=True, momentum=0.25)
    assert_close(rm.numpy(), 0.25 * x.mean(axis=(0, 2, 3)), 1e-12)
    assert_close(rv.numpy(), 0.75 + 0.25 * x.var(axis=(0, 2, 3), ddof=1), 1e-12)


def test_batch_norm_eval_uses_running_stats_and_keeps_them(rng):
    x = rng.standard_normal((3, 2, 4))
    rm, rv = rng.standard_normal(2), rng.uniform(1, 2, 2)
    trm, trv = barenet.tensor(rm), barenet.tensor(rv)
    y = F.batch_norm(barenet.tensor(x), trm, trv, training=False, eps=0.0)
    assert_close(y.numpy(), (x - rm[:, None]) / np.sqrt(rv[:, None]), 1e-12)
    assert_close(trm.numpy(), rm, 0)
    assert_close(trv.numpy(), rv, 0)


def test_batch_norm_float32_stays_float32(rng):
    x = barenet.tensor(rng.standard_normal((4, 3, 2, 2)).astype(np.float32), requires_grad=True)
    w = barenet.ones(3, requires_grad=True)
    y = F.batch_norm(x, barenet.zeros(3), barenet.ones(3), w, None, training=True)
    y.sum().backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32 and w.grad.dtype == np.float32


def test_batch_norm_backend(xp):
    x = barenet.tensor(xp.asarray(np.arange(12.0).reshape(2, 3, 2)), requires_grad=True)
    F.batch_norm(x, None, None, training=True).sum().backward()
    assert type(x.grad.data) is type(x.data)


@pytest.mark.parametrize("call, match", [
    (lambda: F.batch_norm(barenet.ones(4), None, None, training=True), r"at least 2 dimensions.*\(4,\)"),
    (lambda: F.batch_norm(barenet.ones(1, 3), None, None, training=True),
     r"more than 1 value per channel.*\(1, 3\)"),
    (lambda: F.batch_norm(barenet.ones(2, 3, 4), None, None), r"required when training=False"),
    (lambda: F.batch_norm(barenet.ones(2, 3, 4), barenet.zeros(4), barenet.ones(3)),
     r"running_mean must have shape \(C,\) = \(3,\).*running_mean.shape=\(4,\)"),
    (lambda: F.batch_norm(barenet.ones(2, 3), None, None, barenet.ones(2), training=True),
     r"weight must have shape.*input.shape=\(2, 3\), weight.shape=\(2,\)"),
])
def test_batch_norm_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ----- local response normalisation ------------------------------------------------------------
def _lrn_alexnet_loop(a, n, alpha_paper, beta, k):
    """Krizhevsky et al. 2012, sec. 3.3, literally: sum over j = max(0, i - n/2) .. min(N-1, i + n/2)."""
    out = np.empty_like(a)
    channels = a.shape[1]
    for i in range(channels):
        lo, hi = max(0, i - n // 2), min(channels - 1, i + n // 2)
        s = sum(a[:, j] ** 2 for j in range(lo, hi + 1))
        out[:, i] = a[:, i] / (k + alpha_paper * s) ** beta
    return out


@pytest.mark.parametrize("channels", [1, 3, 7, 12])
def test_lrn_matches_alexnet_formula(rng, channels):
    a = rng.standard_normal((2, channels, 3, 4)) * 20  # large enough that the denominator matters
    y = F.local_response_norm(barenet.tensor(a), size=5, alpha=5 * 1e-4, beta=0.75, k=2.0)
    assert_close(y.numpy(), _lrn_alexnet_loop(a, 5, 1e-4, 0.75, 2.0), 1e-12)


@pytest.mark.parametrize("shape, size", [((2, 5, 3, 3), 5), ((2, 7, 3, 2), 4), ((1, 3, 4), 2),
                                         ((2, 4, 2, 2, 3), 3), ((2, 3, 2, 2), 7), ((1, 5, 2, 3), 1)])
def test_lrn_gradcheck(rng, shape, size):
    check_grad(lambda x: F.local_response_norm(x, size, alpha=0.5, beta=0.75, k=1.5), rng.standard_normal(shape))


@settings(max_examples=30, deadline=None)
@given(channels=st.integers(1, 9), size=st.integers(1, 8), rank=st.sampled_from([3, 4, 5]),
       alpha=st.floats(1e-4, 1.0), beta=st.floats(0.25, 1.5), k=st.floats(0.5, 3.0), seed=st.integers(0, 2**16))
def test_lrn_torch_parity(channels, size, rank, alpha, beta, k, seed):
    torch = torch_or_skip()
    shape = (2, channels, 3, 4, 2)[:rank]
    x = np.random.default_rng(seed).standard_normal(shape) * 3
    check_torch(lambda t: F.local_response_norm(t, size, alpha, beta, k),
                lambda t: torch.nn.functional.local_response_norm(t, size, alpha, beta, k), x)


@pytest.mark.parametrize("call, match", [
    (lambda: F.local_response_norm(barenet.ones(2, 3), 3), r"at least 3 dimensions.*\(2, 3\)"),
    (lambda: F.local_response_norm(barenet.ones(2, 3, 4), 0), r"local_response_norm: size must be an int >= 1.*size=0"),
    (lambda: F.local_response_norm(barenet.ones(2, 3, 4), (2,)), r"local_response_norm: size must be an int\. .*size=\(2,\)"),
    (lambda: F.local_response_norm(barenet.ones(2, 3, 4), 2, alpha="x"), r"alpha must be a finite number.*alpha='x'"),
    (lambda: F.local_response_norm(barenet.ones(2, 3, 4), 2, k=float("nan")), r"k must be a finite number"),
])
def test_lrn_errors(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()
