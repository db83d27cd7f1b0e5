"""dropout / dropout2d: statistics, whole-channel masks, seeding, gradients and errors."""
import numpy as np
import pytest
from harness import check_grad

import barenet
import barenet.functional as F


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_statistics(p):
    barenet.manual_seed(0)
    y = F.dropout(barenet.ones(200, 500), p).numpy()
    kept = y != 0
    assert abs((~kept).mean() - p) < 0.01  # fraction zeroed ~ p (std ~0.002)
    np.testing.assert_allclose(y[kept], 1 / (1 - p), rtol=1e-6)  # inverted dropout scale
    assert abs(y.mean() - 1.0) < 0.03  # the mean is preserved in expectation


def test_dropout_gradient_is_the_same_mask(rng):
    x = barenet.tensor(rng.uniform(1, 2, (4, 7)), requires_grad=True)
    y = F.dropout(x, 0.4)
    gy = rng.standard_normal((4, 7))
    y.backward(barenet.tensor(gy))
    np.testing.assert_allclose(x.grad.numpy(), gy * y.numpy() / x.numpy(), rtol=1e-12)


@pytest.mark.parametrize("fn,shape", [(F.dropout, (3, 5)), (F.dropout, (7,)), (F.dropout2d, (2, 3, 4, 5)),
                                      (F.dropout2d, (1, 3, 5))])
def test_dropout_gradcheck_under_a_fixed_seed(rng, fn, shape):
    def seeded(x):
        barenet.manual_seed(3)  # the same mask at every finite-difference evaluation
        return fn(x, 0.3)
    check_grad(seeded, rng.standard_normal(shape))


@pytest.mark.parametrize("fn", [F.dropout, F.dropout2d])
def test_dropout_is_reproducible_under_manual_seed(fn):
    x = barenet.ones(4, 6, 3, 3)
    barenet.manual_seed(7)
    a = fn(x).numpy()
    barenet.manual_seed(7)
    b = fn(x).numpy()
    c = fn(x).numpy()
    assert np.array_equal(a, b) and not np.array_equal(b, c)


@pytest.mark.parametrize("fn", [F.dropout, F.dropout2d])
def test_eval_mode_and_p_zero_are_the_identity(fn):
    x = barenet.ones(2, 3, 4, 4, requires_grad=True)
    assert fn(x, 0.5, training=False) is x
    assert fn(x, 0.0) is x


@pytest.mark.parametrize("fn", [F.dropout, F.dropout2d])
def test_p_one_zeroes_everything_with_zero_gradient(fn):
    x = barenet.ones(2, 3, 4, 4, requires_grad=True)
    y = fn(x, 1.0)
    y.sum().backward()
    assert not y.numpy().any() and not x.grad.numpy().any() and np.isfinite(y.numpy()).all()


@pytest.mark.parametrize("shape", [(16, 32, 5, 5), (16, 32, 7)])
def test_dropout2d_zeroes_whole_channels(shape):
    barenet.manual_seed(1)
    p = 0.3
    y = F.dropout2d(barenet.ones(*shape), p).numpy().reshape(shape[0], shape[1], -1)
    per_channel = y[:, :, :1]
    assert np.array_equal(y, np.broadcast_to(per_channel, y.shape))  # each map all dropped or all kept
    assert set(np.unique(per_channel)) <= {0.0, np.float32(1 / (1 - p))}
    assert abs((per_channel == 0).mean() - p) < 0.06  # 512 channels: std ~0.02


def test_dropout_keeps_dtype(rng):
    for dtype in (np.float32, np.float64):
        assert F.dropout(barenet.tensor(rng.standard_normal(5).astype(dtype))).dtype == dtype


def test_dropout_errors():
    with pytest.raises(ValueError, match=r"dropout: p must be in \[0, 1\]. Received: p=1.5"):
        F.dropout(barenet.ones(3), 1.5)
    with pytest.raises(ValueError, match=r"dropout2d: p must be in \[0, 1\]. Received: p=-0.1"):
        F.dropout2d(barenet.ones(1, 2, 3, 3), -0.1)
    with pytest.raises(ValueError, match=r"dropout2d: input must be 4-D \(N, C, H, W\) or 3-D \(N, C, L\).*"
                                         r"Received: input.shape=\(4, 5\)"):
        F.dropout2d(barenet.ones(4, 5))


def test_dropout_runs_on_each_backend(xp):
    x = barenet.tensor(xp.ones((2, 3, 4, 4), dtype=np.float32), requires_grad=True)
    (F.dropout(x) + F.dropout2d(x)).sum().backward()
    assert type(x.grad.data) is type(x.data)
