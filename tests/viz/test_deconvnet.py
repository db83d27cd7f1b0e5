"""The deconvnet projection against projections written out by hand: transposed filters placed at
the unit's window, max-pooling switches found by a loop, receptive fields from the layer geometry."""
import numpy as np
import pytest

import barenet
import barenet.functional as F
from barenet import models, nn, viz


def conv_relu(rng, stride=2, padding=1):
    barenet.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(2, 3, 3, stride=stride, padding=padding), nn.ReLU())
    return net, rng.standard_normal((2, 9, 11)).astype(np.float32)


def place_filter(weight, channel, row, col, value, stride, padding, size):
    """``value * weight[channel]`` placed where the unit's window lay on the padded input, padding cut."""
    _, c_in, k, _ = weight.shape
    canvas = np.zeros((c_in, size[0] + 2 * padding + k, size[1] + 2 * padding + k))
    canvas[:, row * stride:row * stride + k, col * stride:col * stride + k] += value * weight[channel]
    return canvas[:, padding:padding + size[0], padding:padding + size[1]]


@pytest.mark.parametrize("layer", ["0", "1"])
@pytest.mark.parametrize("stride,padding", [(1, 0), (2, 1)])
def test_single_conv_relu_equals_the_transposed_filter_projection(layer, stride, padding, rng):
    net, image = conv_relu(rng, stride, padding)
    result = viz.deconvnet(net, image, layer, top_k=4)  # 3 maps: k = 3
    acts = np.maximum(F.conv2d(barenet.tensor(image[None]), net[0].weight, net[0].bias, stride, padding).numpy()[0], 0)
    weight = net[0].weight.numpy()
    assert result.projections.shape == (3, 2, 9, 11)
    for projection, (c, i, j), value in zip(result.projections, result.units, result.activations):
        assert value == pytest.approx(acts[c, i, j]) and value > 0
        expected = place_filter(weight, c, i, j, value, stride, padding, (9, 11))
        np.testing.assert_allclose(projection, expected, rtol=1e-5, atol=1e-6)
    # channel=None: the strongest maps, strongest first, each at its maximum
    np.testing.assert_allclose(result.activations, np.sort(acts.reshape(3, -1).max(1))[::-1], rtol=1e-6)


@pytest.mark.parametrize("kernel,stride,ceil_mode", [(2, 2, False), (3, 2, True)])  # LeNet's, ZFNet's pooling
def test_max_pool_switches_route_the_projection(kernel, stride, ceil_mode, rng):
    """conv -> relu -> max-pool: the value goes back to the window's maximum, then through the filter.
    Overlapping windows share maxima; a neighbour's zero must not overwrite the unit's value."""
    barenet.manual_seed(1)
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.MaxPool2d(kernel, stride, ceil_mode=ceil_mode))
    image = rng.standard_normal((1, 12, 12)).astype(np.float32)
    result = viz.deconvnet(net, image, "2", channel=1, top_k=6)
    relu = np.maximum(F.conv2d(barenet.tensor(image[None]), net[0].weight, net[0].bias).numpy()[0], 0)  # (2, 10, 10)
    weight = net[0].weight.numpy()
    for projection, (c, i, j), value in zip(result.projections, result.units, result.activations):
        assert c == 1
        window = relu[c, stride * i:stride * i + kernel, stride * j:stride * j + kernel]
        r, s = np.unravel_index(window.argmax(), window.shape)  # the switch, found by hand
        assert value == pytest.approx(window.max()) and value > 0
        expected = place_filter(weight, c, stride * i + r, stride * j + s, value, 1, 0, (12, 12))
        np.testing.assert_allclose(projection, expected, rtol=1e-5, atol=1e-6)


def test_projection_is_zero_outside_the_receptive_field(rng):
    barenet.manual_seed(2)
    net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(4, 6, 3), nn.ReLU())
    image = rng.standard_normal((1, 20, 20)).astype(np.float32)
    result = viz.deconvnet(net, image, "4", top_k=6)
    assert result.projections.shape == (6, 1, 20, 20)
    assert np.all(result.activations > 0)  # only active units are projected
    for projection, (_, i, j), box in zip(result.projections, result.units, result.boxes):
        # conv2 sees pooled rows i..i+2, i.e. conv1 rows 2i..2i+5, i.e. input rows 2i-1..2i+6
        top, left = max(2 * i - 1, 0), max(2 * j - 1, 0)
        bottom, right = min(2 * i + 7, 20), min(2 * j + 7, 20)
        assert tuple(box) == (top, left, bottom, right)
        outside = np.ones((20, 20), bool)
        outside[top:bottom, left:right] = False
        assert np.all(projection[:, outside] == 0)
        assert np.abs(projection[:, ~outside]).max() > 0


def test_zoo_cnns_project_and_others_get_a_clear_message(rng):
    image = rng.standard_normal((1, 32, 32)).astype(np.float32)
    barenet.manual_seed(3)
    lenet = models.get_model("lenet5_relu")
    result = viz.deconvnet(lenet, image, "features.c3", top_k=2)
    assert result.projections.shape == (2, 1, 32, 32) and result.layer == "features.c3"
    with pytest.raises(ValueError, match=r"deconvnet: layer 'features.act1' is a ScaledTanh; deconvnet projects "
                                         r"through a chain of Conv2d, ReLU and MaxPool2d"):
        viz.deconvnet(models.get_model("lenet5"), image, "features.c3")
    resnet = models.get_model("resnet18", num_classes=3, in_channels=1)
    with pytest.raises(ValueError,
                       match=r"layer 'bn1' is a BatchNorm2d.*LeNet \(lenet5_relu\), AlexNet, ZFNet and VGG"):
        viz.deconvnet(resnet, image, "layer1")


class FunctionalRelu(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(1, 2, 3), nn.Conv2d(2, 2, 3)

    def forward(self, x):
        return self.conv2(F.relu(self.conv1(x)))


def test_a_silent_layer_has_nothing_to_project(rng):
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU())
    with barenet.no_grad():
        net[0].bias.fill_(-100.0)
    with pytest.raises(ValueError, match=r"deconvnet: no unit of channel 1 of layer '1' is active \(> 0\)"):
        viz.deconvnet(net, rng.standard_normal((1, 8, 8)).astype(np.float32), "1", channel=1)


def test_a_functional_activation_breaks_the_chain(rng):
    with pytest.raises(ValueError, match=r"the input of layer 'conv2' is not the output of the layer before it"):
        viz.deconvnet(FunctionalRelu(), rng.standard_normal((1, 8, 8)).astype(np.float32), "conv2")


@pytest.mark.parametrize("kwargs,error,message", [
    ({"layer": "9"}, ValueError, r"deconvnet: unknown layer '9' in Sequential. Valid names: 0, 1."),
    ({"layer": "1", "channel": 3}, ValueError,
     r"deconvnet: channel must be an index in \[0, 3\). Received: channel=3."),
    ({"layer": "1", "top_k": 0}, ValueError, r"deconvnet: top_k must be a positive integer"),
])
def test_bad_arguments(kwargs, error, message, rng):
    net, image = conv_relu(rng)
    with pytest.raises(error, match=message):
        viz.deconvnet(net, image, **kwargs)
