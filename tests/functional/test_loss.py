"""Losses: finite differences, PyTorch parity (weights, ignore_index, smoothing, reductions), stability, errors."""
import numpy as np
import pytest
from harness import check_grad, check_torch, torch_or_skip
from hypothesis import given, settings
from hypothesis import strategies as st

import barenet
import barenet.functional as F

REDUCTIONS = ["none", "mean", "sum"]
CLASS_SHAPES = [(5, 7), (1, 3), (3, 4, 5), (2, 3, 2, 3)]  # (N, C), batch 1, (N, C, d), (N, C, H, W)


def _targets(rng, shape, ignore_some=False):
    t = rng.integers(0, shape[1], (shape[0],) + shape[2:])
    if ignore_some:
        t.reshape(-1)[:: 3] = -100
    return t


def _class_fns(name, weight=None, **kw):
    """(barenet fn, torch fn) of (input, target), with the weight bound as a constant."""
    torch = torch_or_skip()
    w_bn = None if weight is None else barenet.tensor(weight)
    w_th = None if weight is None else torch.tensor(weight, dtype=torch.float32)

    def ours(x, t):
        w = w_bn if w_bn is None else w_bn.type(x.dtype)
        return getattr(F, name)(x, t, w, **kw)

    return ours, lambda x, t: getattr(torch.nn.functional, name)(x, t, w_th, **kw)


def _log_probs(x):
    return x - np.log(np.exp(x - x.max(1, keepdims=True)).sum(1, keepdims=True)) - x.max(1, keepdims=True)


# ----- cross_entropy / nll_loss --------------------------------------------------------------------
@pytest.mark.parametrize("shape", CLASS_SHAPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted,smoothing,ignore", [(False, 0.0, False), (True, 0.0, True), (True, 0.2, True),
                                                       (False, 0.1, False)])
def test_cross_entropy_gradcheck(rng, shape, reduction, weighted, smoothing, ignore):
    weight = rng.uniform(0.2, 2.0, shape[1]) if weighted else None
    fn, _ = _class_fns("cross_entropy", weight, reduction=reduction, label_smoothing=smoothing)
    check_grad(fn, rng.standard_normal(shape) * 2, _targets(rng, shape, ignore))


@settings(max_examples=40, deadline=None)
@given(shape=st.sampled_from(CLASS_SHAPES + [(16, 10), (4, 1)]), reduction=st.sampled_from(REDUCTIONS),
       weighted=st.booleans(), smoothing=st.sampled_from([0.0, 0.05, 0.3, 1.0]), ignore=st.booleans(),
       scale=st.sampled_from([1.0, 10.0]), seed=st.integers(0, 2**16))
def test_cross_entropy_torch_parity(shape, reduction, weighted, smoothing, ignore, scale, seed):
    rng = np.random.default_rng(seed)
    weight = rng.uniform(0.2, 2.0, shape[1]) if weighted else None
    fns = _class_fns("cross_entropy", weight, reduction=reduction, label_smoothing=smoothing)
    check_torch(*fns, rng.standard_normal(shape) * scale, _targets(rng, shape, ignore))


@settings(max_examples=25, deadline=None)
@given(shape=st.sampled_from(CLASS_SHAPES), reduction=st.sampled_from(REDUCTIONS), weighted=st.booleans(),
       smoothing=st.sampled_from([0.0, 0.2]), seed=st.integers(0, 2**16))
def test_cross_entropy_probability_targets_torch_parity(shape, reduction, weighted, smoothing, seed):
    """Soft targets, with their own gradient as in PyTorch."""
    rng = np.random.default_rng(seed)
    weight = rng.uniform(0.2, 2.0, shape[1]) if weighted else None
    fns = _class_fns("cross_entropy", weight, reduction=reduction, label_smoothing=smoothing)
    q = np.exp(_log_probs(rng.standard_normal(shape)))
    check_torch(*fns, rng.standard_normal(shape) * 3, q)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_probability_targets_gradcheck(rng, reduction):
    fn, _ = _class_fns("cross_entropy", rng.uniform(0.5, 2, 4), reduction=reduction, label_smoothing=0.1)
    check_grad(fn, rng.standard_normal((3, 4, 2)), np.exp(_log_probs(rng.standard_normal((3, 4, 2)))))


def test_cross_entropy_is_softmax_minus_onehot_over_n(rng):
    """The textbook gradient, against an independent NumPy computation."""
    x, t = rng.standard_normal((6, 5)), rng.integers(0, 5, 6)
    xb = barenet.tensor(x, requires_grad=True)
    loss = F.cross_entropy(xb, barenet.tensor(t))
    loss.backward()
    p = np.exp(_log_probs(x))
    np.testing.assert_allclose(loss.item(), -_log_probs(x)[np.arange(6), t].mean(), rtol=1e-12)
    np.testing.assert_allclose(xb.grad.numpy(), (p - np.eye(5)[t]) / 6, rtol=1e-10, atol=1e-15)


def test_cross_entropy_extreme_logits_match_torch(rng):
    x = rng.standard_normal((5, 6))
    x[0, 0], x[1, :], x[2, 3], x[3, 1] = 1e4, [1e4, -1e4] * 3, -1e4, 1e4
    t = np.array([0, 1, 3, 2, 5])  # correct, tied, hopeless and ordinary targets
    for smoothing in (0.0, 0.1):
        out = check_torch(*_class_fns("cross_entropy", reduction="none", label_smoothing=smoothing), x, t)
        assert np.isfinite(out.numpy()).all()


def test_cross_entropy_unbatched_input(rng):
    x, t = rng.standard_normal(5), np.array(3)
    for reduction in REDUCTIONS:
        out = check_torch(*_class_fns("cross_entropy", reduction=reduction), x, t)
        assert out.shape == ()
    check_torch(*_class_fns("cross_entropy"), x, np.exp(_log_probs(rng.standard_normal((1, 5))))[0])


def test_cross_entropy_all_ignored_is_nan_with_zero_gradient_like_torch():
    x = barenet.tensor([[1.0, 2.0], [0.5, 0.1]], requires_grad=True)
    loss = F.cross_entropy(x, barenet.tensor([-100, -100]))
    loss.backward()
    assert np.isnan(loss.item()) and x.grad.tolist() == [[0.0, 0.0], [0.0, 0.0]]


@pytest.mark.parametrize("shape", CLASS_SHAPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss_gradcheck_and_torch(rng, shape, reduction):
    weight = rng.uniform(0.2, 2.0, shape[1])
    x, t = _log_probs(rng.standard_normal(shape)), _targets(rng, shape, ignore_some=True)
    fns = _class_fns("nll_loss", weight, reduction=reduction)
    check_grad(fns[0], x, t)
    check_torch(*fns, x, t)
    check_torch(*_class_fns("nll_loss", reduction=reduction, ignore_index=1), x, _targets(rng, shape))


def test_nll_of_log_softmax_equals_cross_entropy(rng):
    x, t = rng.standard_normal((4, 6, 3)), rng.integers(0, 6, (4, 3))
    a = F.nll_loss(F.log_softmax(barenet.tensor(x), 1), barenet.tensor(t)).item()
    b = F.cross_entropy(barenet.tensor(x), barenet.tensor(t)).item()
    assert abs(a - b) < 1e-12


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
def test_class_loss_errors(name):
    fn = getattr(F, name)
    x = barenet.zeros(4, 5)
    with pytest.raises(ValueError, match=rf"{name}: target 7 is out of range for C=5 classes \(expected 0..4, "
                                         r"or ignore_index=-100\). Received: input.shape=\(4, 5\)"):
        fn(x, barenet.tensor([0, 7, 1, 9]))
    with pytest.raises(ValueError, match=rf"{name}: target -3 is out of range"):
        fn(x, barenet.tensor([0, -3, 1, 2]))
    with pytest.raises(ValueError, match=rf"{name}: target must have the input's shape without the class dim 1. "
                                         r"Received: input.shape=\(4, 5\), target.shape=\(3,\)"):
        fn(x, barenet.tensor([0, 1, 2]))
    with pytest.raises(TypeError, match=rf"{name}: class-index targets must have an integer dtype.*float32"):
        fn(x, barenet.zeros(4))
    with pytest.raises(ValueError, match=rf"{name}: reduction must be one of 'none', 'mean', 'sum'. "
                                         r"Received: reduction='avg'"):
        fn(x, barenet.tensor([0, 1, 2, 3]), reduction="avg")
    with pytest.raises(ValueError, match=rf"{name}: weight must have one element per class, shape \(5,\)"):
        fn(x, barenet.tensor([0, 1, 2, 3]), barenet.ones(4))


def test_cross_entropy_label_smoothing_range():
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\]. Received: label_smoothing=1.5"):
        F.cross_entropy(barenet.zeros(2, 3), barenet.tensor([0, 1]), label_smoothing=1.5)


# ----- elementwise losses ---------------------------------------------------------------------------
def _pair_inputs(rng, name, shape):
    """(input, target) with x - t away from each loss's kinks (0 and +-beta)."""
    if name in ("binary_cross_entropy",):
        return rng.uniform(0.05, 0.95, shape), rng.uniform(0, 1, shape)
    if name == "binary_cross_entropy_with_logits":
        return rng.standard_normal(shape) * 3, rng.uniform(0, 1, shape)
    t = rng.standard_normal(shape)
    d = rng.choice([0.2, 0.6, 1.5, 2.5], shape) * rng.choice([-1, 1], shape)
    return t + d, t


POINTWISE = {
    "mse_loss": {}, "l1_loss": {}, "smooth_l1_loss": {"beta": 0.9}, "binary_cross_entropy": {},
    "binary_cross_entropy_with_logits": {},
}


@pytest.mark.parametrize("name", POINTWISE)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(7,), (1, 3), (2, 3, 5)])
def test_pointwise_loss_gradcheck_input_and_target(rng, name, reduction, shape):
    fn = getattr(F, name)
    check_grad(lambda x, t: fn(x, t, reduction=reduction, **POINTWISE[name]), *_pair_inputs(rng, name, shape))


@settings(max_examples=40, deadline=None)
@given(name=st.sampled_from(sorted(POINTWISE)), reduction=st.sampled_from(REDUCTIONS),
       shape=st.sampled_from([(9,), (4, 5), (2, 3, 4, 3)]), beta=st.sampled_from([0.0, 0.5, 2.0]),
       seed=st.integers(0, 2**16))
def test_pointwise_loss_torch_parity(name, reduction, shape, beta, seed):
    torch = torch_or_skip()
    kw = {"reduction": reduction, **({"beta": beta} if name == "smooth_l1_loss" else {})}
    check_torch(lambda x, t: getattr(F, name)(x, t, **kw), lambda x, t: getattr(torch.nn.functional, name)(x, t, **kw),
                *_pair_inputs(np.random.default_rng(seed), name, shape))


@pytest.mark.parametrize("name", ["binary_cross_entropy", "binary_cross_entropy_with_logits"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_weights_torch_parity_and_gradcheck(rng, name, reduction):
    torch = torch_or_skip()
    x, t = _pair_inputs(rng, name, (4, 3))
    w, pw = rng.uniform(0.5, 2, (1, 3)), rng.uniform(0.5, 3, 3)
    extra = {"pos_weight": pw} if name.endswith("logits") else {}

    def ours(a, b):
        kw = {k: barenet.tensor(v, dtype=a.dtype) for k, v in extra.items()}
        return getattr(F, name)(a, b, barenet.tensor(w, dtype=a.dtype), reduction=reduction, **kw)

    def ref(a, b):
        kw = {k: torch.tensor(v, dtype=a.dtype) for k, v in extra.items()}
        return getattr(torch.nn.functional, name)(a, b, torch.tensor(w, dtype=a.dtype), reduction=reduction, **kw)

    check_grad(ours, x, t)
    check_torch(ours, ref, x, t)


def test_bce_clamps_log_at_minus_100_like_torch():
    x, t = np.array([0.0, 1.0, 0.0, 1.0, 1e-30]), np.array([1.0, 0.0, 0.0, 1.0, 1.0])
    out = check_torch(lambda a, b: F.binary_cross_entropy(a, b, reduction="none"),
                      lambda a, b: torch_or_skip().nn.functional.binary_cross_entropy(a, b, reduction="none"), x, t)
    assert out.tolist()[:4] == [100.0, 100.0, 0.0, 0.0]


def test_bce_with_logits_is_stable_for_large_logits():
    x, t = np.array([-200.0, -50.0, 50.0, 200.0]), np.array([1.0, 0.0, 1.0, 0.0])
    out = check_torch(lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction="none"),
                      lambda a, b: torch_or_skip().nn.functional.binary_cross_entropy_with_logits(
                          a, b, reduction="none"), x, t)
    np.testing.assert_allclose(out.numpy(), [200.0, 0.0, 0.0, 200.0], atol=1e-6)  # log1p(e^-50) ~ 2e-22


def test_pointwise_loss_errors():
    x = barenet.zeros(2, 3)
    with pytest.raises(ValueError, match=r"mse_loss: target must have the input's shape. "
                                         r"Received: input.shape=\(2, 3\), target.shape=\(3,\)"):
        F.mse_loss(x, barenet.zeros(3))
    with pytest.raises(TypeError, match=r"l1_loss: input and target must be floating-point.*target.dtype=int64"):
        F.l1_loss(x, barenet.tensor(np.zeros((2, 3), dtype=np.int64)))
    with pytest.raises(ValueError, match=r"smooth_l1_loss: reduction must be one of 'none', 'mean', 'sum'"):
        F.smooth_l1_loss(x, x, reduction="elementwise_mean")
    with pytest.raises(ValueError, match=r"smooth_l1_loss: beta must be >= 0. Received: beta=-1"):
        F.smooth_l1_loss(x, x, beta=-1.0)
    with pytest.raises(ValueError, match=r"binary_cross_entropy: input must hold probabilities in \[0, 1\]. "
                                         r"Received: values in \[0, 2\]"):
        F.binary_cross_entropy(barenet.tensor([0.0, 2.0]), barenet.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"binary_cross_entropy_with_logits: pos_weight must broadcast to the "
                                         r"input's shape. Received: input.shape=\(2, 3\), pos_weight.shape=\(2,\)"):
        F.binary_cross_entropy_with_logits(x, x, pos_weight=barenet.ones(2))
    with pytest.raises(ValueError, match=r"binary_cross_entropy: weight must broadcast"):
        F.binary_cross_entropy(x, x, barenet.ones(2, 3, 1))


def test_smooth_l1_with_beta_zero_is_l1(rng):
    x, t = (barenet.tensor(rng.standard_normal(6)) for _ in range(2))
    assert F.smooth_l1_loss(x, t, beta=0.0).item() == F.l1_loss(x, t).item()


def test_target_is_cast_to_the_input_dtype(rng):
    x = barenet.tensor(rng.standard_normal(4).astype(np.float32), requires_grad=True)
    t = barenet.tensor(rng.standard_normal(4), requires_grad=True)  # float64
    loss = F.mse_loss(x, t)
    loss.backward()
    assert loss.dtype == np.float32 and x.grad.dtype == np.float32 and t.grad.dtype == np.float64


def test_losses_run_on_each_backend(xp, rng):
    x = barenet.tensor(xp.asarray(rng.standard_normal((4, 5)).astype(np.float32)), requires_grad=True)
    t = barenet.tensor(xp.asarray(rng.integers(0, 5, 4)))
    q = barenet.tensor(xp.asarray(rng.uniform(0, 1, (4, 5)).astype(np.float32)))
    losses = [F.cross_entropy(x, t, label_smoothing=0.1), F.nll_loss(x, t), F.mse_loss(x, q), F.l1_loss(x, q),
              F.smooth_l1_loss(x, q), F.binary_cross_entropy(F.sigmoid(x), q), F.binary_cross_entropy_with_logits(x, q)]
    sum(losses).backward()
    assert type(x.grad.data) is type(x.data) and np.isfinite(x.grad.numpy()).all()


@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_float64_class_weights_keep_float32_gradients(rng, smoothing):
    """A weight of another dtype is a constant: it must not promote the gradient flowing back."""
    x = barenet.tensor(rng.standard_normal((3, 4)).astype(np.float32), requires_grad=True)
    seen = []

    def hooked():
        y = x * 1.0
        y.register_hook(lambda g: seen.append(g.dtype))
        return y

    w = barenet.tensor(rng.uniform(0.5, 2, 4))  # float64
    F.cross_entropy(hooked(), barenet.tensor([0, 1, 3]), w, label_smoothing=smoothing).backward()
    F.cross_entropy(hooked(), barenet.tensor(rng.uniform(0, 1, (3, 4))), w, label_smoothing=smoothing).backward()
    F.nll_loss(hooked(), barenet.tensor([0, 1, 3]), w).backward()
    assert seen == [np.float32] * 3
