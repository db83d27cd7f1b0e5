"""nn.Conv2d and nn.ConvTranspose2d: parameters, init, repr, padding modes, errors, torch parity."""
import math

import numpy as np
import pytest
from harness import assert_close

import barenet
import barenet.functional as F
from barenet import nn


def test_conv2d_parameters_and_default_init():
    barenet.manual_seed(0)
    layer = nn.Conv2d(6, 16, 5, groups=2)
    assert layer.weight.shape == (16, 3, 5, 5) and layer.bias.shape == (16,)
    assert layer.weight.dtype == np.float32
    bound = 1 / math.sqrt(3 * 5 * 5)  # kaiming_uniform_(a=sqrt(5)) = U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    for p in (layer.weight, layer.bias):
        values = p.numpy()
        assert np.abs(values).max() <= bound and np.abs(values).max() > 0.8 * bound
    assert list(layer.state_dict()) == ["weight", "bias"]
    assert nn.Conv2d(3, 4, 3, bias=False).bias is None


def test_conv_transpose2d_weight_shape_and_init():
    layer = nn.ConvTranspose2d(8, 6, (3, 2), groups=2)
    assert layer.weight.shape == (8, 3, 3, 2) and layer.bias.shape == (6,)
    bound = 1 / math.sqrt(3 * 3 * 2)  # torch computes fan_in from weight.shape[1] here too
    assert np.abs(layer.weight.numpy()).max() <= bound


@pytest.mark.parametrize("layer, expected", [
    (lambda: nn.Conv2d(3, 64, 3), "Conv2d(3, 64, kernel_size=(3, 3), stride=(1, 1))"),
    (lambda: nn.Conv2d(3, 8, (3, 5), 2, 1, 2, bias=False, padding_mode="reflect"),
     "Conv2d(3, 8, kernel_size=(3, 5), stride=(2, 2), padding=(1, 1), dilation=(2, 2), bias=False, "
     "padding_mode=reflect)"),
    (lambda: nn.Conv2d(4, 8, 3, padding="same", groups=2),
     "Conv2d(4, 8, kernel_size=(3, 3), stride=(1, 1), padding=same, groups=2)"),
    (lambda: nn.ConvTranspose2d(4, 8, 3, 2, 1, 1, groups=2),
     "ConvTranspose2d(4, 8, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), output_padding=(1, 1), groups=2)"),
])
def test_repr_like_torch(layer, expected):
    assert repr(layer()) == expected


def test_forward_equals_functional(rng):
    layer = nn.Conv2d(3, 4, 3, stride=2, padding=1, dilation=1)
    x = barenet.tensor(rng.standard_normal((2, 3, 9, 9)).astype(np.float32))
    expected = F.conv2d(x, layer.weight, layer.bias, 2, 1)
    assert_close(layer(x).numpy(), expected.numpy(), rtol=1e-6)
    up = nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1, output_padding=1)
    assert up(layer(x)).shape == (2, 3, 10, 10)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("padding", [1, (2, 1), "same"])
def test_padding_modes_match_torch(mode, padding, rng):
    torch = pytest.importorskip("torch")
    ours = nn.Conv2d(2, 3, (3, 4), padding=padding, padding_mode=mode)
    ref = torch.nn.Conv2d(2, 3, (3, 4), padding=padding, padding_mode=mode)
    with torch.no_grad():
        ref.weight.copy_(torch.tensor(ours.weight.numpy()))
        ref.bias.copy_(torch.tensor(ours.bias.numpy()))
    x = rng.standard_normal((2, 2, 6, 7)).astype(np.float32)
    assert_close(ours(barenet.tensor(x)).numpy(), ref(torch.tensor(x)).detach().numpy(), rtol=1e-5)


def test_layers_train_like_torch(rng):
    """Gradients of both layers' parameters equal PyTorch's for the same weights."""
    torch = pytest.importorskip("torch")
    down, up = nn.Conv2d(3, 4, 3, stride=2, padding=1), nn.ConvTranspose2d(4, 3, 3, 2, 1, output_padding=1)
    t_down, t_up = torch.nn.Conv2d(3, 4, 3, 2, 1), torch.nn.ConvTranspose2d(4, 3, 3, 2, 1, output_padding=1)
    for ours, ref in ((down, t_down), (up, t_up)):
        with torch.no_grad():
            ref.weight.copy_(torch.tensor(ours.weight.numpy()))
            ref.bias.copy_(torch.tensor(ours.bias.numpy()))
    x = rng.standard_normal((2, 3, 8, 8)).astype(np.float32)
    (up(down(barenet.tensor(x))) ** 2).sum().backward()
    (t_up(t_down(torch.tensor(x))) ** 2).sum().backward()
    for ours, ref in ((down, t_down), (up, t_up)):
        assert_close(ours.weight.grad.numpy(), ref.weight.grad.numpy(), rtol=1e-4)
        assert_close(ours.bias.grad.numpy(), ref.bias.grad.numpy(), rtol=1e-4)


def test_conv_transpose2d_output_size(rng):
    layer = nn.ConvTranspose2d(2, 2, 3, stride=2, padding=1)
    x = barenet.tensor(rng.standard_normal((1, 2, 4, 4)).astype(np.float32))
    assert layer(x).shape == (1, 2, 7, 7)
    assert layer(x, output_size=(8, 8)).shape == (1, 2, 8, 8)
    with pytest.raises(ValueError, match=r"output_size \(9, 9\) is not reachable"):
        layer(x, output_size=(9, 9))


def test_input_channel_error_names_layer_and_shapes():
    with pytest.raises(ValueError, match=r"Conv2d\(3, 64, kernel_size=\(3, 3\), stride=\(1, 1\)\): expected input "
                                         r"\(N, 3, H, W\).*Received: input.shape=\(8, 1, 32, 32\)"):
        nn.Conv2d(3, 64, 3)(barenet.zeros(8, 1, 32, 32))
    with pytest.raises(ValueError, match=r"ConvTranspose2d\(4, 2.*Received: input.shape=\(4, 4\)"):
        nn.ConvTranspose2d(4, 2, 2)(barenet.zeros(4, 4))


@pytest.mark.parametrize("make, match", [
    (lambda: nn.Conv2d(3, 8, 3, groups=2), r"in_channels must be a positive integer divisible by groups"),
    (lambda: nn.Conv2d(4, 6, 3, groups=4), r"out_channels must be a positive integer divisible by groups"),
    (lambda: nn.Conv2d(4, 6, 3, groups=0), r"groups must be a positive integer"),
    (lambda: nn.Conv2d(4, 6, 3, padding_mode="mirror"), r"padding_mode must be one of"),
    (lambda: nn.Conv2d(4, 6, 3, stride=2, padding="same"), r"'same' is not supported for strided"),
    (lambda: nn.ConvTranspose2d(4, 6, 3, padding_mode="reflect"), r"only padding_mode='zeros'"),
    (lambda: nn.ConvTranspose2d(4, 6, 3, padding="same"), r"padding must be an int or a pair"),
])
def test_construction_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()
