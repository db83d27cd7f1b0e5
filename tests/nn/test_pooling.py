"""Pooling layers: torch's constructor defaults and reprs, forward through the functional ops,
indices for unpooling, and no state."""
import numpy as np
import pytest
from harness import assert_close, tie_free, torch_or_skip

import barenet
import barenet.functional as F
from barenet import nn

REPRS = [  # torch's own strings for the same constructors
    (lambda m: m.MaxPool2d(3, 2), "MaxPool2d(kernel_size=3, stride=2, padding=0, dilation=1, ceil_mode=False)"),
    (lambda m: m.MaxPool2d((2, 3), padding=1, ceil_mode=True),
     "MaxPool2d(kernel_size=(2, 3), stride=(2, 3), padding=1, dilation=1, ceil_mode=True)"),
    (lambda m: m.AvgPool2d(2), "AvgPool2d(kernel_size=2, stride=2, padding=0)"),
    (lambda m: m.AvgPool2d(3, 1, 1, count_include_pad=False), "AvgPool2d(kernel_size=3, stride=1, padding=1)"),
    (lambda m: m.AdaptiveAvgPool2d((None, 7)), "AdaptiveAvgPool2d(output_size=(None, 7))"),
    (lambda m: m.AdaptiveMaxPool2d(1, return_indices=True), "AdaptiveMaxPool2d(output_size=1)"),
    (lambda m: m.MaxUnpool2d(2), "MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))"),
    (lambda m: m.MaxUnpool2d((3, 2), 1, (1, 0)), "MaxUnpool2d(kernel_size=(3, 2), stride=(1, 1), padding=(1, 0))"),
]


@pytest.mark.parametrize("make,expected", REPRS)
def test_repr_matches_torch(make, expected):
    assert repr(make(nn)) == expected
    try:
        import torch
    except ImportError:
        return
    assert repr(make(torch.nn)) == expected


def test_defaults_match_torch():
    m = nn.MaxPool2d(3)
    assert (m.stride, m.padding, m.dilation, m.return_indices, m.ceil_mode) == (3, 0, 1, False, False)
    a = nn.AvgPool2d(3)
    assert (a.stride, a.padding, a.ceil_mode, a.count_include_pad, a.divisor_override) == (3, 0, False, True, None)
    assert nn.AdaptiveMaxPool2d(2).return_indices is False


LAYERS = [  # layer, the functional call it must equal
    (nn.MaxPool2d(3, 2, 1, ceil_mode=True), lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True)),
    (nn.MaxPool2d((2, 3), dilation=(2, 1)), lambda x: F.max_pool2d(x, (2, 3), dilation=(2, 1))),
    (nn.AvgPool2d(3, 2, 1, count_include_pad=False), lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False)),
    (nn.AvgPool2d(2, divisor_override=3), lambda x: F.avg_pool2d(x, 2, divisor_override=3)),
    (nn.AdaptiveAvgPool2d((3, None)), lambda x: F.adaptive_avg_pool2d(x, (3, 7))),
    (nn.AdaptiveMaxPool2d(4), lambda x: F.adaptive_max_pool2d(x, 4)),
]


@pytest.mark.parametrize("layer,functional", LAYERS)
def test_layer_forward_and_backward_equal_functional(rng, layer, functional):
    x = tie_free(rng, 2, 3, 9, 7, dtype=np.float32)
    a, b = barenet.tensor(x, requires_grad=True), barenet.tensor(x, requires_grad=True)
    ya, yb = layer(a), functional(b)
    np.testing.assert_array_equal(ya.numpy(), yb.numpy())
    ya.sum().backward()
    yb.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())
    assert list(layer.parameters()) == [] and len(layer.state_dict()) == 0


def test_unbatched_input(rng):
    x = tie_free(rng, 3, 9, 7, dtype=np.float32)
    y = nn.MaxPool2d(3, 2)(barenet.tensor(x))
    assert y.shape == (3, 4, 3)
    assert_close(y.numpy(), nn.MaxPool2d(3, 2)(barenet.tensor(x[None])).numpy()[0])


def test_max_unpool_inverts_max_pool_in_a_sequential_net(rng):
    x = tie_free(rng, 2, 3, 8, 8, dtype=np.float32)
    pool, unpool = nn.MaxPool2d(2, return_indices=True), nn.MaxUnpool2d(2)
    y, idx = pool(barenet.tensor(x))
    u = unpool(y, idx).numpy()
    windows = x.reshape(2, 3, 4, 2, 4, 2)
    is_max = windows == windows.max(axis=(3, 5), keepdims=True)
    np.testing.assert_array_equal(u.reshape(windows.shape), np.where(is_max, windows, 0))
    assert unpool(y, idx, output_size=(9, 9)).shape == (2, 3, 9, 9)


def test_layers_match_torch(rng):
    torch = torch_or_skip()
    x = tie_free(rng, 2, 3, 11, 10, dtype=np.float32)
    for ours, theirs in ((nn.MaxPool2d(3, 2, 1, ceil_mode=True), torch.nn.MaxPool2d(3, 2, 1, ceil_mode=True)),
                         (nn.AvgPool2d((3, 2), 2, (1, 0)), torch.nn.AvgPool2d((3, 2), 2, (1, 0))),
                         (nn.AdaptiveAvgPool2d(4), torch.nn.AdaptiveAvgPool2d(4)),
                         (nn.AdaptiveMaxPool2d((3, 4)), torch.nn.AdaptiveMaxPool2d((3, 4)))):
        assert_close(ours(barenet.tensor(x)).numpy(), theirs(torch.tensor(x)).numpy(), rtol=1e-6)


def test_errors_name_the_op():
    with pytest.raises(ValueError, match=r"max_pool2d: padding must be between 0 and half of kernel_size"):
        nn.MaxPool2d(2, padding=2)(barenet.zeros(1, 1, 8, 8))
    with pytest.raises(TypeError, match=r"MaxUnpool2d: kernel_size must be an int or a pair of ints"):
        nn.MaxUnpool2d("2")
