"""nn.init: fans and gains vs PyTorch, sample statistics vs the papers' formulas."""
import math

import numpy as np
import pytest

import barenet
from barenet.nn import Parameter, init

SHAPES = [(3, 4), (8, 3, 5, 5), (16, 1, 3, 3), (2, 3, 4, 5, 6), (7, 1)]


@pytest.mark.parametrize("shape", SHAPES, ids=[str(s) for s in SHAPES])
def test_fan_in_and_fan_out_match_torch(shape):
    torch = pytest.importorskip("torch")
    expected = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert init._calculate_fan_in_and_fan_out(barenet.zeros(*shape)) == expected


def test_fans_need_two_dimensions():
    message = r"init: fan in and fan out need a tensor with >= 2 dimensions. Received: shape=\(5,\)"
    with pytest.raises(ValueError, match=message):
        init.kaiming_normal_(barenet.zeros(5))


GAINS = [("linear", None), ("conv2d", None), ("conv_transpose3d", None), ("sigmoid", None), ("tanh", None),
         ("relu", None), ("selu", None), ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", math.sqrt(5))]


@pytest.mark.parametrize("nonlinearity, param", GAINS)
def test_calculate_gain_matches_torch(nonlinearity, param):
    torch = pytest.importorskip("torch")
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(torch.nn.init.calculate_gain(nonlinearity, param))


def test_unknown_nonlinearity_and_mode():
    with pytest.raises(ValueError, match="calculate_gain: unknown nonlinearity 'swish'. Valid: .*relu"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="init: mode must be 'fan_in' or 'fan_out'. Received: mode='fan'"):
        init.kaiming_uniform_(barenet.zeros(3, 3), mode="fan")


def _weight(shape=(256, 64, 3, 3)):
    return Parameter(np.zeros(shape, np.float32))


# Each case: (init call, expected std, expected bound or None for a normal). 147,456 samples make
# the sample std accurate to ~0.4%.
FAN_IN, FAN_OUT = 64 * 9, 256 * 9
CASES = [
    ("kaiming_normal_relu", lambda w: init.kaiming_normal_(w, nonlinearity="relu"), math.sqrt(2 / FAN_IN), None),
    ("kaiming_normal_fan_out", lambda w: init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu"),
     math.sqrt(2 / FAN_OUT), None),
    ("kaiming_normal_leaky", lambda w: init.kaiming_normal_(w, a=0.1),
     math.sqrt(2 / (1 + 0.01)) / math.sqrt(FAN_IN), None),
    ("kaiming_uniform_relu", lambda w: init.kaiming_uniform_(w, nonlinearity="relu"), math.sqrt(2 / FAN_IN),
     math.sqrt(6 / FAN_IN)),
    ("kaiming_uniform_a_sqrt5", lambda w: init.kaiming_uniform_(w, a=math.sqrt(5)), 1 / math.sqrt(3 * FAN_IN),
     1 / math.sqrt(FAN_IN)),
    ("xavier_normal", lambda w: init.xavier_normal_(w), math.sqrt(2 / (FAN_IN + FAN_OUT)), None),
    ("xavier_normal_gain", lambda w: init.xavier_normal_(w, gain=2.0), 2 * math.sqrt(2 / (FAN_IN + FAN_OUT)), None),
    ("xavier_uniform", lambda w: init.xavier_uniform_(w), math.sqrt(2 / (FAN_IN + FAN_OUT)),
     math.sqrt(6 / (FAN_IN + FAN_OUT))),
    ("uniform", lambda w: init.uniform_(w, -0.5, 0.5), 1 / math.sqrt(12), 0.5),
    ("normal", lambda w: init.normal_(w, 0.0, 0.3), 0.3, None),
]


@pytest.mark.parametrize("name, fn, std, bound", CASES, ids=[c[0] for c in CASES])
def test_sample_statistics_follow_the_formulas(name, fn, std, bound):
    barenet.manual_seed(0)
    w = _weight()
    assert fn(w) is w
    values = w.numpy()
    assert values.dtype == np.float32 and w.grad_fn is None and w.requires_grad
    assert abs(values.mean()) < 0.02 * std
    assert values.std() == pytest.approx(std, rel=0.01)
    if bound is not None:
        assert values.min() >= -bound and values.max() <= bound
        assert values.max() > 0.999 * bound and values.min() < -0.999 * bound


def test_constant_zeros_ones_keep_dtype():
    w = Parameter(np.empty((3, 4)))
    assert init.constant_(w, 0.25) is w and np.all(w.numpy() == 0.25) and w.dtype == np.float64
    assert np.all(init.zeros_(w).numpy() == 0.0) and np.all(init.ones_(w).numpy() == 1.0)


def test_normal_keeps_float64():
    w = Parameter(np.zeros((50, 40)))
    init.normal_(w)
    assert w.dtype == np.float64 and w.numpy().std() > 0.5


def test_trunc_normal_stays_in_bounds():
    barenet.manual_seed(1)
    w = init.trunc_normal_(_weight((100, 100)), std=1.0, a=-0.5, b=1.0)
    assert w.numpy().min() >= -0.5 and w.numpy().max() <= 1.0


def test_default_layer_init_is_torchs_linear_and_conv_default():
    barenet.manual_seed(2)
    weight, bias = _weight((128, 50, 3, 3)), Parameter(np.zeros(128, np.float32))
    init.default_layer_init_(weight, bias)
    bound = 1 / math.sqrt(50 * 9)
    for t in (weight, bias):
        assert np.abs(t.numpy()).max() <= bound and np.abs(t.numpy()).max() > 0.9 * bound
    assert weight.numpy().std() == pytest.approx(bound / math.sqrt(3), rel=0.01)


def test_init_is_reproducible_under_manual_seed_and_accepts_a_generator():
    barenet.manual_seed(3)
    a = init.kaiming_uniform_(_weight((4, 5))).numpy().copy()
    barenet.manual_seed(3)
    np.testing.assert_array_equal(init.kaiming_uniform_(_weight((4, 5))).numpy(), a)
    g1, g2 = np.random.default_rng(9), np.random.default_rng(9)
    np.testing.assert_array_equal(init.xavier_normal_(_weight((4, 5)), generator=g1).numpy(),
                                  init.xavier_normal_(_weight((4, 5)), generator=g2).numpy())


def test_zero_element_tensor_is_left_alone():
    w = _weight((0, 3))
    assert init.kaiming_normal_(w) is w and init.kaiming_uniform_(w) is w


@pytest.mark.parametrize("call, error, match", [
    (lambda: init.normal_(barenet.ones(3), std=-1), ValueError, r"normal_: std must be >= 0. Received: std=-1"),
    (lambda: init.normal_(barenet.ones(3), std="a"), TypeError, r"normal_: std must be a finite number"),
    (lambda: init.uniform_(barenet.ones(3), a=2, b=1), ValueError, r"uniform_: a must not exceed b"),
    (lambda: init.trunc_normal_(barenet.ones(3), a=1, b=1), ValueError, r"trunc_normal_: a must be below b"),
    (lambda: init.constant_(np.ones(3), 1.0), TypeError, r"constant_: tensor must be a Tensor. Received: ndarray"),
    (lambda: init.kaiming_uniform_(np.ones((3, 3))), TypeError, r"kaiming_uniform_: tensor must be a Tensor"),
    (lambda: init.xavier_normal_([1.0]), TypeError, r"init: tensor must be a Tensor. Received: list"),
])
def test_bad_arguments_name_the_function(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_empty_tensors_are_left_as_they_are_and_a_refill_counts_as_an_in_place_change():
    assert init.xavier_uniform_(barenet.ones(3, 0)).shape == (3, 0)
    w = barenet.ones(2, requires_grad=True)
    loss = (w * w).sum()
    init.normal_(w)
    with pytest.raises(RuntimeError, match="was changed in place since"):
        loss.backward()
