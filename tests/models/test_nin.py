"""Network in Network for CIFAR-10: parameter count by hand, map sizes, the parameter-free global
average pooling head, parity with a torch rewrite of the released configuration, training."""
import numpy as np
import pytest
from harness import assert_close, assert_sgd_step_trains_every_parameter, output_shapes

import barenet
from barenet import functional as F
from barenet import nn
from barenet.models import get_model
from barenet.models.nin import MlpConv


def _conv(c_in, c_out, k):
    return c_in * c_out * k * k + c_out


def hand_count(num_classes=10, in_channels=3):
    """The released configuration, layer by layer: conv, cccp, cccp in each mlpconv block."""
    block1 = _conv(in_channels, 192, 5) + _conv(192, 160, 1) + _conv(160, 96, 1)
    block2 = _conv(96, 192, 5) + _conv(192, 192, 1) + _conv(192, 192, 1)
    block3 = _conv(192, 192, 3) + _conv(192, 192, 1) + _conv(192, num_classes, 1)
    return block1 + block2 + block3


def count(model):
    return sum(p.numel() for p in model.parameters())


def test_parameter_count_by_hand():
    assert hand_count() == 966_986
    assert count(get_model("nin_cifar")) == hand_count()
    assert count(get_model("nin_cifar", num_classes=100, in_channels=1)) == hand_count(100, 1)


def test_no_fully_connected_layer_and_nine_convolutions():
    model = get_model("nin_cifar")
    assert not any(isinstance(m, nn.Linear) for m in model.modules())
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert [(c.in_channels, c.out_channels, c.kernel_size) for c in convs] == [
        (3, 192, (5, 5)), (192, 160, (1, 1)), (160, 96, (1, 1)),
        (96, 192, (5, 5)), (192, 192, (1, 1)), (192, 192, (1, 1)),
        (192, 192, (3, 3)), (192, 192, (1, 1)), (192, 10, (1, 1))]
    assert sum(isinstance(m, nn.ReLU) for m in model.modules()) == 9
    assert [m.p for m in model.modules() if isinstance(m, nn.Dropout)] == [0.5, 0.5]


def test_map_sizes_and_class_maps():
    model = get_model("nin_cifar").eval()
    shapes, maps = output_shapes(model.features, range(5), lambda: model.forward_features(barenet.zeros(2, 3, 32, 32)))
    assert shapes == {0: (2, 96, 32, 32), 1: (2, 96, 16, 16), 2: (2, 96, 16, 16), 3: (2, 192, 16, 16),
                      4: (2, 192, 8, 8)}
    assert maps.shape == (2, 10, 8, 8)


def test_head_is_a_parameter_free_global_average(rng):
    model = get_model("nin_cifar")
    maps = rng.standard_normal((3, 10, 8, 8)).astype(np.float32)
    assert_close(model.forward_head(barenet.tensor(maps)).numpy(), maps.mean(axis=(2, 3)), rtol=1e-6)
    assert not list(model.avgpool.parameters())


def _torch_nin(torch, state):
    """An independent torch rewrite of the released CIFAR-10 network (eval: dropout off)."""
    T = torch.nn.functional

    def mlpconv(x, block, padding):
        for j, pad in zip((0, 2, 4), (padding, 0, 0)):
            key = f"features.{block}.{j}"
            x = T.relu(T.conv2d(x, state[key + ".weight"], state[key + ".bias"], padding=pad))
        return x

    def forward(x):
        x = T.max_pool2d(mlpconv(x, 0, 2), 3, 2, ceil_mode=True)
        x = T.avg_pool2d(mlpconv(x, 3, 2), 3, 2, ceil_mode=True)
        return mlpconv(x, 6, 1).mean(dim=(2, 3))
    return forward


@pytest.mark.parametrize("size", [16, 11])  # 16: both pools round up (16 -> 8 -> 4)
def test_matches_torch_rewrite(rng, size):
    torch = pytest.importorskip("torch")
    barenet.manual_seed(1)
    # float64: in float32 the two frameworks' rounding can flip a near-tie of a max-pool window
    # and send one pixel's gradient elsewhere.
    model = get_model("nin_cifar").double().eval()
    x = rng.standard_normal((2, 3, size, size))
    xb = barenet.tensor(x, requires_grad=True)
    out = model(xb)
    (out * out).sum().backward()
    state = {k: torch.tensor(v.numpy()) for k, v in model.state_dict().items()}
    xt = torch.tensor(x, requires_grad=True)
    ref = _torch_nin(torch, state)(xt)
    (ref * ref).sum().backward()
    scale = float(np.abs(ref.detach().numpy()).max())
    assert scale > 0
    assert_close(out.numpy() / scale, ref.detach().numpy() / scale, rtol=1e-9, what="logits")
    gscale = float(np.abs(xt.grad.numpy()).max())
    assert_close(xb.grad.numpy() / gscale, xt.grad.numpy() / gscale, rtol=1e-9, what="input gradient")


def test_dropout_acts_in_training_only(rng):
    model = get_model("nin_cifar")
    x = barenet.tensor(rng.standard_normal((2, 3, 16, 16)).astype(np.float32))
    with barenet.no_grad():
        model.eval()
        np.testing.assert_array_equal(model(x).numpy(), model(x).numpy())
        model.train()
        assert not np.array_equal(model.forward_features(x).numpy(), model.forward_features(x).numpy())


def test_one_training_step_changes_every_parameter(rng):
    barenet.manual_seed(0)
    model = get_model("nin_cifar", num_classes=4, in_channels=1).train()
    x = barenet.tensor(rng.standard_normal((2, 1, 32, 32)).astype(np.float32))
    loss = F.cross_entropy(model(x), barenet.tensor(np.array([0, 3])))
    assert_sgd_step_trains_every_parameter(model, loss)


def test_mlpconv_is_a_per_pixel_perceptron(rng):
    """With a 1x1 first kernel, an mlpconv layer is one MLP applied to each pixel's channel vector."""
    block = MlpConv(4, (6, 5, 3), 1, padding=0)
    x = rng.standard_normal((2, 4, 3, 5)).astype(np.float32)
    out = block(barenet.tensor(x)).numpy()
    w = [block[j].weight.numpy()[:, :, 0, 0] for j in (0, 2, 4)]
    b = [block[j].bias.numpy() for j in (0, 2, 4)]
    for n in range(2):
        for i in range(3):
            for j in range(5):
                h = x[n, :, i, j]
                for wk, bk in zip(w, b):
                    h = np.maximum(wk @ h + bk, 0)
                assert_close(out[n, :, i, j], h, rtol=1e-5)


def test_wrong_inputs_name_the_layer():
    model = get_model("nin_cifar")
    with pytest.raises(ValueError, match=r"NiN: expected an input of shape \(N, 3, H, W\). "
                                         r"Received: x.shape=\(2, 1, 32, 32\)"):
        model(barenet.zeros(2, 1, 32, 32))
    with pytest.raises(ValueError, match=r"NiN: layer 'features.0.0' \(Conv2d\) failed"):
        model(barenet.zeros(1, 3, 0, 32))
