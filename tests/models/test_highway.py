"""Highway networks: the layer's formula against numpy and torch, identity at shut gates, gradients
that cross 50 layers where a plain net's vanish, parameter counts by hand, training, errors."""
import numpy as np
import pytest
from harness import assert_close, assert_sgd_step_trains_every_parameter, check_grad, output_shapes

import barenet
from barenet import functional as F
from barenet import nn
from barenet.models import get_model
from barenet.models.highway import HighwayCNN, HighwayConv2d, HighwayLayer, HighwayMLP


def _sigmoid(a):
    return 1 / (1 + np.exp(-a))


def test_layer_computes_h_times_t_plus_x_times_carry(rng):
    layer = HighwayLayer(6, activation=nn.Tanh, gate_bias=-1.0)
    x = rng.standard_normal((4, 6)).astype(np.float32)
    wh, bh = layer.transform.weight.numpy(), layer.transform.bias.numpy()
    wt, bt = layer.gate.weight.numpy(), layer.gate.bias.numpy()
    h, t = np.tanh(x @ wh.T + bh), _sigmoid(x @ wt.T + bt)
    assert_close(layer(barenet.tensor(x)).numpy(), h * t + x * (1 - t), rtol=1e-6)


def test_conv_layer_matches_torch(rng):
    torch = pytest.importorskip("torch")
    T = torch.nn.functional
    layer = HighwayConv2d(3, kernel_size=5, gate_bias=-1.5)
    x = rng.standard_normal((2, 3, 7, 6)).astype(np.float32)
    xb, xt = barenet.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out = layer(xb)
    (out * out).sum().backward()
    p = {k: torch.tensor(v.numpy()) for k, v in layer.state_dict().items()}
    h = T.relu(T.conv2d(xt, p["transform.weight"], p["transform.bias"], padding=2))
    t = torch.sigmoid(T.conv2d(xt, p["gate.weight"], p["gate.bias"], padding=2))
    ref = h * t + xt * (1 - t)
    (ref * ref).sum().backward()
    assert_close(out.numpy(), ref.detach().numpy(), rtol=1e-5)
    assert_close(xb.grad.numpy(), xt.grad.numpy(), rtol=1e-5, what="input gradient")


def test_gradcheck(rng):
    check_grad(HighwayLayer(5, activation=nn.Tanh, gate_bias=-0.5).double(), rng.standard_normal((3, 5)))
    check_grad(HighwayConv2d(2, activation=nn.Tanh).double(), rng.standard_normal((1, 2, 5, 4)))


def test_gate_bias_initialisation():
    layer = HighwayLayer(8, gate_bias=-3.0)
    np.testing.assert_array_equal(layer.gate.bias.numpy(), np.full(8, -3.0, np.float32))
    assert len(np.unique(layer.transform.bias.numpy())) == 8  # H keeps PyTorch's default init
    model = get_model("highway_cnn", gate_bias=-1.0)
    gates = [m.gate.bias.numpy() for m in model.modules() if isinstance(m, HighwayConv2d)]
    assert len(gates) == 9 and all((g == -1.0).all() for g in gates)


def test_very_negative_gate_bias_gives_the_identity(rng):
    x = rng.standard_normal((4, 16)).astype(np.float32)
    np.testing.assert_allclose(HighwayLayer(16, gate_bias=-40.0)(barenet.tensor(x)).numpy(), x, atol=1e-7)
    y = rng.standard_normal((2, 4, 6, 6)).astype(np.float32)
    np.testing.assert_allclose(HighwayConv2d(4, gate_bias=-40.0)(barenet.tensor(y)).numpy(), y, atol=1e-7)
    # A whole network of shut gates passes its first layer's output to the classifier untouched.
    model = HighwayMLP(num_layers=20, gate_bias=-40.0)
    images = barenet.tensor(rng.standard_normal((3, 1, 28, 28)).astype(np.float32))
    with barenet.no_grad():
        np.testing.assert_allclose(model.forward_features(images).numpy(),
                                   model.stem(images.flatten(1)).numpy(), atol=1e-6)


def _first_and_last_grad_norms(model, rng):
    x = barenet.tensor(rng.standard_normal((16, 1, 28, 28)).astype(np.float32))
    F.cross_entropy(model(x), barenet.tensor(np.arange(16) % 10)).backward()
    return (float(np.linalg.norm(model.stem[0].weight.grad.numpy())),
            float(np.linalg.norm(model.fc.weight.grad.numpy())))


@pytest.mark.parametrize("activation", [nn.Tanh, nn.Sigmoid])
def test_gradient_crosses_50_layers_only_with_highways(rng, activation):
    """Fig. 1's point at initialisation: 50 saturating layers, first-layer gradient vs last-layer one."""
    barenet.manual_seed(0)
    # Depth 50 as the paper counts it: a plain first layer and 49 more, then the softmax layer.
    highway = HighwayMLP(num_layers=49, activation=activation)
    plain = HighwayMLP(num_layers=49, activation=activation, highway=False)
    h_first, h_last = _first_and_last_grad_norms(highway, rng)
    p_first, p_last = _first_and_last_grad_norms(plain, rng)
    # Measured first/last ratios: tanh about 0.6 (highway) vs 5e-11 (plain); sigmoid about 5e-3 vs
    # exactly 0 (the plain gradient underflows float32).
    assert h_first / h_last > 1e-3
    assert p_first / p_last < 1e-8
    assert h_first > 1e5 * p_first


def test_parameter_counts_by_hand():
    def linear(n_in, n_out):
        return n_in * n_out + n_out

    def conv(c_in, c_out, k):
        return c_in * c_out * k * k + c_out

    def count(model):
        return sum(p.numel() for p in model.parameters())

    # Each highway layer holds H and T, two equal affine maps.
    mlp = linear(784, 50) + 9 * 2 * linear(50, 50) + linear(50, 10)
    assert mlp == 85_660 and count(get_model("highway_mlp")) == mlp
    assert count(get_model("highway_mlp", num_layers=4, width=20, in_channels=3, input_size=8, num_classes=5)) == \
        linear(192, 20) + 4 * 2 * linear(20, 20) + linear(20, 5)
    assert count(HighwayMLP(num_layers=4, highway=False)) == linear(784, 50) + 4 * linear(50, 50) + linear(50, 10)
    cnn = conv(3, 32, 3) + 9 * 2 * conv(32, 32, 3) + linear(32, 10)
    assert cnn == 167_690 and count(get_model("highway_cnn")) == cnn
    assert count(HighwayCNN(in_channels=1, num_layers=4, width=8, kernel_size=5)) == \
        conv(1, 8, 3) + 4 * 2 * conv(8, 8, 5) + linear(8, 10)


def test_cnn_stages_and_map_sizes():
    model = HighwayCNN(num_layers=7).eval()
    assert [sum(isinstance(m, HighwayConv2d) for m in stage) for stage in (model.layer1, model.layer2,
                                                                           model.layer3)] == [3, 2, 2]
    shapes, out = output_shapes(model, ("stem", "layer1", "layer2", "layer3"),
                                lambda: model(barenet.zeros(2, 3, 32, 32)))
    assert shapes == {"stem": (2, 32, 32, 32), "layer1": (2, 32, 32, 32), "layer2": (2, 32, 16, 16),
                      "layer3": (2, 32, 8, 8)}
    assert out.shape == (2, 10)
    assert not any(isinstance(m, HighwayConv2d) for m in HighwayCNN(highway=False).modules())


@pytest.mark.parametrize("name,shape", [("highway_mlp", (2, 1, 28, 28)), ("highway_cnn", (2, 3, 16, 16))])
def test_one_training_step_changes_every_parameter(rng, name, shape):
    barenet.manual_seed(0)
    model = get_model(name).train()
    out = model(barenet.tensor(rng.standard_normal(shape).astype(np.float32)))
    assert out.shape == (2, 10)
    loss = F.cross_entropy(out, barenet.tensor(np.array([1, 8])))
    assert_sgd_step_trains_every_parameter(model, loss)


def test_errors():
    with pytest.raises(ValueError, match=r"HighwayConv2d: kernel_size must be odd .* Received: kernel_size=4"):
        HighwayConv2d(8, kernel_size=4)
    with pytest.raises(ValueError, match=r"HighwayMLP: layer 'stem.0' \(Linear\) failed .*in_features=784"):
        get_model("highway_mlp")(barenet.zeros(2, 1, 32, 32))
    with pytest.raises(ValueError, match=r"HighwayCNN: expected an input of shape \(N, 3, H, W\). "
                                         r"Received: x.shape=\(2, 1, 32, 32\)"):
        get_model("highway_cnn")(barenet.zeros(2, 1, 32, 32))
