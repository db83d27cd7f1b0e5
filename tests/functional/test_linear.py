"""linear: finite differences, PyTorch parity over leading dims, the skip-gradient paths, errors."""
import numpy as np
import pytest
from harness import check_grad, check_torch, torch_or_skip
from hypothesis import given, settings
from hypothesis import strategies as st

import barenet
import barenet.functional as F


@pytest.mark.parametrize("lead", [(), (1,), (5,), (2, 3), (2, 1, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_gradcheck(rng, lead, bias):
    x, w, b = rng.standard_normal(lead + (3,)), rng.standard_normal((4, 3)), rng.standard_normal(4)
    check_grad(F.linear, x, w, *([b] if bias else []))


@settings(max_examples=30, deadline=None)
@given(lead=st.sampled_from([(1,), (7,), (3, 5), (2, 3, 4)]), in_f=st.integers(1, 9), out_f=st.integers(1, 9),
       bias=st.booleans(), seed=st.integers(0, 2**16))
def test_linear_torch_parity(lead, in_f, out_f, bias, seed):
    torch = torch_or_skip()
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(lead + (in_f,)), rng.standard_normal((out_f, in_f))]
    arrays += [rng.standard_normal(out_f)] if bias else []
    check_torch(F.linear, torch.nn.functional.linear, *arrays)


def test_linear_matches_numpy(rng):
    x, w, b = rng.standard_normal((2, 3, 5)), rng.standard_normal((4, 5)), rng.standard_normal(4)
    y = F.linear(barenet.tensor(x), barenet.tensor(w), barenet.tensor(b)).numpy()
    np.testing.assert_allclose(y, np.einsum("abi,oi->abo", x, w) + b, rtol=1e-12)


def test_linear_partial_gradients(rng):
    """Only the input, or only the parameters, require a gradient."""
    x, w, b = rng.standard_normal((2, 3, 5)), rng.standard_normal((4, 5)), rng.standard_normal(4)
    check_grad(lambda t: F.linear(t, barenet.tensor(w), barenet.tensor(b)), x)
    check_grad(lambda wt, bt: F.linear(barenet.tensor(x), wt, bt), w, b)
    check_grad(lambda bt: F.linear(barenet.tensor(x), barenet.tensor(w), bt), b)


def test_linear_errors():
    with pytest.raises(ValueError, match=r"linear: input.shape\[-1\] must equal weight.shape\[1\] \(in_features\).*"
                                         r"Received: input.shape=\(8, 5\), weight.shape=\(4, 3\)"):
        F.linear(barenet.zeros(8, 5), barenet.zeros(4, 3))
    with pytest.raises(ValueError, match=r"linear: bias must have shape \(out_features,\) = \(4,\).*bias.shape=\(3,\)"):
        F.linear(barenet.zeros(8, 3), barenet.zeros(4, 3), barenet.zeros(3))
    with pytest.raises(TypeError, match=r"linear: input, weight and bias must have the same dtype. "
                                        r"Received: input.dtype=float64, weight.dtype=float32"):
        F.linear(barenet.zeros(8, 3, dtype=barenet.float64), barenet.zeros(4, 3))


def test_linear_runs_on_each_backend(xp, rng):
    x = barenet.tensor(xp.asarray(rng.standard_normal((2, 3)).astype(np.float32)), requires_grad=True)
    w = barenet.tensor(xp.asarray(rng.standard_normal((4, 3)).astype(np.float32)), requires_grad=True)
    F.linear(x, w, barenet.zeros(4).to(x.device)).sum().backward()
    assert type(x.grad.data) is type(x.data) and type(w.grad.data) is type(x.data)
