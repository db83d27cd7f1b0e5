"""Activations: finite differences, PyTorch parity, extreme-logit stability, maxout against a loop."""
import warnings

import numpy as np
import pytest
from harness import assert_close, check_grad, check_torch, tie_free, torch_or_skip
from hypothesis import given, settings
from hypothesis import strategies as st

import barenet
import barenet.functional as F

SHAPES = [(7,), (1, 5), (3, 4), (2, 3, 5), (1, 3, 4, 5)]  # odd sizes, batch 1, several dims

# name -> (barenet fn, torch fn name, torch kwargs); barenet and torch take the same kwargs
ELEMENTWISE = {
    "relu": (F.relu, "relu", {}),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.2), "leaky_relu", {"negative_slope": 0.2}),
    "elu": (lambda x: F.elu(x, 1.7), "elu", {"alpha": 1.7}),
    "sigmoid": (F.sigmoid, "sigmoid", {}),
    "tanh": (F.tanh, "tanh", {}),
    "softplus": (lambda x: F.softplus(x, 2.0, 5.0), "softplus", {"beta": 2.0, "threshold": 5.0}),
    "hardtanh": (lambda x: F.hardtanh(x, -0.5, 2.0), "hardtanh", {"min_val": -0.5, "max_val": 2.0}),
    "relu6": (F.relu6, "relu6", {}),
}


def _away_from_kinks(rng, *shape):
    """Values with |x| in [0.1, 3], softplus's threshold (beta x = 5) and hardtanh's bounds (-0.5,
    2) avoided, so finite differences never straddle a kink."""
    x = rng.uniform(0.1, 3.0, shape) * rng.choice([-1.0, 1.0], shape)
    for kink in (-0.5, 2.0, 2.5):
        x = np.where(np.abs(x - kink) < 0.05, kink - 0.2, x)
    return x


def _torch_fn(name, kwargs):
    torch = torch_or_skip()
    return lambda x: getattr(torch.nn.functional, name)(x, **kwargs)


@pytest.mark.parametrize("name", ELEMENTWISE)
@pytest.mark.parametrize("shape", SHAPES)
def test_elementwise_gradcheck(rng, name, shape):
    check_grad(ELEMENTWISE[name][0], _away_from_kinks(rng, *shape))


@settings(max_examples=30, deadline=None)
@given(name=st.sampled_from(sorted(ELEMENTWISE)), shape=st.sampled_from(SHAPES), scale=st.sampled_from([0.5, 3.0, 30.0]),
       seed=st.integers(0, 2**16))
def test_elementwise_torch_parity(name, shape, scale, seed):
    fn, torch_name, kwargs = ELEMENTWISE[name]
    x = np.random.default_rng(seed).standard_normal(shape) * scale
    check_torch(fn, _torch_fn(torch_name, kwargs), x)


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "elu", "hardtanh", "relu6"])
def test_gradient_at_kinks_matches_torch(name):
    """At a kink PyTorch picks one side's slope (the negative side's at x = 0; 0 at hardtanh's
    bounds, where clamp would give 1); so must we."""
    fn, torch_name, kwargs = ELEMENTWISE[name]
    check_torch(fn, _torch_fn(torch_name, kwargs), np.array([0.0, -1.0, 1.0, -0.5, 2.0, 6.0]))


def test_sigmoid_softplus_extreme_inputs_stay_finite_and_quiet():
    torch = torch_or_skip()
    x = np.array([-800.0, -100.0, -20.0, 0.0, 20.0, 100.0, 800.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning either
        s = F.sigmoid(barenet.tensor(x)).numpy()
        sp = F.softplus(barenet.tensor(x), threshold=1e4).numpy()
    assert_close(s, torch.sigmoid(torch.tensor(x)).numpy(), rtol=1e-12)
    assert s[2] > 0  # sigmoid(-20) keeps its relative precision, not 0
    assert np.isfinite(sp).all() and sp[-1] == 800.0  # log(1 + e^800) without overflow


def test_relu_inplace_returns_a_new_tensor_and_keeps_the_input():
    x = barenet.tensor([-1.0, 2.0], requires_grad=True)
    y = F.relu(x, inplace=True)
    y.sum().backward()
    assert x.tolist() == [-1.0, 2.0] and y.tolist() == [0.0, 2.0] and x.grad.tolist() == [0.0, 1.0]


# ----- prelu ------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape,channels", [((2, 3, 4, 5), 3), ((5, 4), 4), ((1, 3, 5), 1), ((7,), 1)])
def test_prelu_gradcheck_and_torch(rng, shape, channels):
    x = _away_from_kinks(rng, *shape)
    w = rng.uniform(0.05, 0.5, channels)
    check_grad(F.prelu, x, w)
    check_torch(F.prelu, lambda a, b: torch_or_skip().nn.functional.prelu(a, b), x, w)


def test_prelu_weight_only_gradient(rng):
    x = barenet.tensor(_away_from_kinks(rng, 2, 3, 4))
    check_grad(lambda w: F.prelu(x, w), rng.uniform(0.1, 0.5, 3))


def test_prelu_rejects_wrong_weight_size():
    with pytest.raises(ValueError, match=r"prelu: weight must have 1 element or one per channel .*"
                                         r"input.shape=\(2, 3, 4\), weight.shape=\(2,\)"):
        F.prelu(barenet.zeros(2, 3, 4), barenet.zeros(2))


# ----- softmax / log_softmax -------------------------------------------------------------------
SOFTMAXES = {"softmax": F.softmax, "log_softmax": F.log_softmax}


@pytest.mark.parametrize("name", SOFTMAXES)
@pytest.mark.parametrize("shape,dim", [((1, 5), 1), ((4, 3), 0), ((2, 3, 5), -1), ((2, 3, 2, 3), 1), ((6,), 0)])
def test_softmax_gradcheck(rng, name, shape, dim):
    check_grad(lambda x: SOFTMAXES[name](x, dim), rng.standard_normal(shape) * 2)


@settings(max_examples=30, deadline=None)
@given(name=st.sampled_from(sorted(SOFTMAXES)), shape=st.sampled_from([(5, 7), (1, 10), (3, 4, 5), (2, 3, 4, 5)]),
       dim=st.integers(-2, 1), scale=st.sampled_from([1.0, 10.0, 100.0]), seed=st.integers(0, 2**16))
def test_softmax_torch_parity(name, shape, dim, scale, seed):
    torch = torch_or_skip()
    x = np.random.default_rng(seed).standard_normal(shape) * scale
    check_torch(lambda t: SOFTMAXES[name](t, dim), lambda t: getattr(torch.nn.functional, name)(t, dim), x)


@pytest.mark.parametrize("name", SOFTMAXES)
def test_softmax_extreme_logits_match_torch(rng, name):
    """±1e4 logits: no overflow, no log(0); same values and gradients as PyTorch in float32."""
    torch = torch_or_skip()
    x = rng.standard_normal((4, 6))
    x[0, 2], x[1, :3], x[2, 4], x[3] = 1e4, -1e4, -1e4, [1e4, -1e4, 0.0, 1e4, 5.0, -3.0]
    out = check_torch(lambda t: SOFTMAXES[name](t, 1), lambda t: getattr(torch.nn.functional, name)(t, 1), x)
    assert np.isfinite(out.numpy()).all()


@pytest.mark.parametrize("name", SOFTMAXES)
def test_softmax_infinities_follow_torch(name):
    """-inf logits are just zero probability; +inf or an all -inf row is NaN in PyTorch too."""
    torch = torch_or_skip()
    x = np.array([[-np.inf, 0.0, 1.0], [np.inf, 1.0, 0.0], [-np.inf, -np.inf, -np.inf]], dtype=np.float32)
    with np.errstate(invalid="ignore"):
        ours = SOFTMAXES[name](barenet.tensor(x), 1).numpy()
    ref = getattr(torch.nn.functional, name)(torch.tensor(x), 1).numpy()
    np.testing.assert_allclose(ours, ref, rtol=1e-6)  # equal NaN and inf positions


@pytest.mark.parametrize("name", SOFTMAXES)
@pytest.mark.parametrize("shape,dim", [((), 0), ((0,), 0), ((2, 0), 1), ((2, 0, 3), 1), ((0, 3), 1)])
def test_softmax_of_a_scalar_or_over_an_empty_dim(name, shape, dim):
    """A 0-d input is one class (softmax 1, log_softmax 0, gradient 0); an empty dim or batch gives
    an empty result and gradient of the input's shape, with no warning, as in PyTorch."""
    x = barenet.tensor(np.full(shape, 3.0, dtype=np.float32), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = SOFTMAXES[name](x, dim)
        y.sum().backward()
    assert y.shape == shape and y.dtype == np.float32 and x.grad.shape == shape
    if not shape:
        assert y.item() == (1.0 if name == "softmax" else 0.0) and x.grad.item() == 0.0


@pytest.mark.parametrize("name", SOFTMAXES)
def test_softmax_requires_dim(name):
    with pytest.raises(ValueError, match=rf"{name}: dim is required.*deprecated.*Received: dim=None"):
        SOFTMAXES[name](barenet.zeros(2, 3))
    with pytest.raises(IndexError, match=rf"{name}: dim must be an integer in \[-2, 1\].*Received: dim=2"):
        SOFTMAXES[name](barenet.zeros(2, 3), 2)


def test_softmax_dtype_argument():
    y = F.softmax(barenet.zeros(2, 3), 1, dtype=barenet.float64)
    assert y.dtype == np.float64


# ----- maxout -----------------------------------------------------------------------------------
def _maxout_loop(x, pieces, dim):
    """Naive reference: group i of ``dim`` is channels i*pieces .. i*pieces + pieces - 1."""
    x = np.moveaxis(x, dim, 0)
    out = np.stack([x[i * pieces:(i + 1) * pieces].max(axis=0) for i in range(x.shape[0] // pieces)])
    return np.moveaxis(out, 0, dim)


@pytest.mark.parametrize("shape,pieces,dim", [((2, 6, 3, 5), 3, 1), ((1, 4, 5), 2, 1), ((3, 10), 5, -1),
                                              ((2, 3, 4), 4, 2), ((5, 3), 1, 1)])
def test_maxout_matches_loop_and_gradcheck(rng, shape, pieces, dim):
    x = tie_free(rng, *shape)
    assert_close(F.maxout(barenet.tensor(x), pieces, dim).numpy(), _maxout_loop(x, pieces, dim), rtol=0)
    check_grad(lambda t: F.maxout(t, pieces, dim), x)


def test_maxout_gradient_goes_to_the_winning_piece_only():
    x = barenet.tensor([[1.0, 5.0, 4.0, 2.0, 2.0, 2.0]], requires_grad=True)
    F.maxout(x, 3).sum().backward()
    assert x.grad.tolist() == [[0.0, 1.0, 0.0, 1.0, 0.0, 0.0]]  # a tie goes to the first piece


def test_maxout_without_grad_uses_the_same_values(rng):
    x = tie_free(rng, 2, 6, 3)
    with barenet.no_grad():
        y = F.maxout(barenet.tensor(x, requires_grad=True), 2)
    assert_close(y.numpy(), _maxout_loop(x, 2, 1), rtol=0)


def test_maxout_errors():
    with pytest.raises(ValueError, match=r"maxout: pieces must be a positive integer dividing input.shape\[1\]. "
                                         r"Received: input.shape=\(2, 10, 4\), pieces=3, dim=1."):
        F.maxout(barenet.zeros(2, 10, 4), 3)
    with pytest.raises(ValueError, match="pieces=0"):
        F.maxout(barenet.zeros(2, 10), 0)


def test_ops_run_on_each_backend(xp, rng):
    x = barenet.tensor(xp.asarray(rng.standard_normal((2, 6, 3)).astype(np.float32)), requires_grad=True)
    outs = [fn(x) for fn, _, _ in ELEMENTWISE.values()]
    outs += [F.softmax(x, 1), F.log_softmax(x, 2), F.maxout(x, 2), F.prelu(x, barenet.ones(6).to(x.device))]
    sum(o.sum() for o in outs).backward()
    assert all(type(o.data) is type(x.data) for o in outs) and type(x.grad.data) is type(x.data)
