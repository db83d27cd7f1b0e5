"""He et al.'s CIFAR-10 ResNets and plain nets: sizes, option A shortcuts, and parity with a torch rewrite."""
import numpy as np
import pytest
from harness import assert_close, check_grad, output_shapes

import barenet
from barenet import nn
from barenet.models import get_model
from barenet.models.resnet import BasicBlock
from barenet.models.resnet_cifar import CifarResNet, PlainBlock, ZeroPadShortcut


def hand_count(n: int, num_classes: int = 10) -> int:
    """Parameters of a 6n+2 CIFAR net, layer by layer: 3x3 conv weights (no bias) + BN (gamma, beta)."""
    def conv_bn(c_in, c_out):
        return c_in * c_out * 3 * 3 + 2 * c_out

    total = conv_bn(3, 16)
    for c_in, c_out in ((16, 16), (16, 32), (32, 64)):
        total += conv_bn(c_in, c_out) + conv_bn(c_out, c_out)  # the stage's first block
        total += (n - 1) * 2 * conv_bn(c_out, c_out)
    return total + 64 * num_classes + num_classes


def count(model) -> int:
    return sum(p.numel() for p in model.parameters())


# Table 6 of the paper: depth, n, parameters in millions.
TABLE6 = [(20, 3, 0.27), (32, 5, 0.46), (44, 7, 0.66), (56, 9, 0.85), (110, 18, 1.7)]


@pytest.mark.parametrize("depth,n,millions", TABLE6)
def test_parameter_counts_match_hand_count_and_table6(depth, n, millions):
    resnet = get_model(f"resnet{depth}")
    assert count(resnet) == hand_count(n)
    assert round(count(resnet) / 1e6, 2 if millions < 1 else 1) == millions
    if depth <= 56:  # the plain nets of Figure 6
        assert count(get_model(f"plain{depth}")) == hand_count(n)  # option A shortcuts add no parameters
    layers = [m for m in resnet.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    assert len(layers) == 6 * n + 2


def test_resnet1202_size():
    assert hand_count(200) == 19_421_274
    assert round(hand_count(200) / 1e6, 1) == 19.4  # Table 6
    model = get_model("resnet1202")
    assert count(model) == hand_count(200)


def test_stage_shapes_follow_the_paper():
    model = get_model("resnet20").eval()
    shapes, out = output_shapes(model, ("conv1", "layer1", "layer2", "layer3"),
                                lambda: model(barenet.zeros(2, 3, 32, 32)))
    assert shapes == {"conv1": (2, 16, 32, 32), "layer1": (2, 16, 32, 32), "layer2": (2, 32, 16, 16),
                      "layer3": (2, 64, 8, 8)}
    assert out.shape == (2, 10)
    assert model.forward_features(barenet.zeros(1, 3, 32, 32)).shape == (1, 64, 8, 8)


@pytest.mark.parametrize("size", [8, 7])
def test_option_a_shortcut_matches_naive_subsample_and_pad(rng, size):
    x = rng.standard_normal((2, 16, size, size)).astype(np.float32)
    out = ZeroPadShortcut(16, 32, 2)(barenet.tensor(x)).numpy()
    half = (size + 1) // 2
    expected = np.zeros((2, 32, half, half), np.float32)
    for i in range(half):
        for j in range(half):
            expected[:, :16, i, j] = x[:, :, 2 * i, 2 * j]
    np.testing.assert_array_equal(out, expected)
    check_grad(ZeroPadShortcut(16, 32, 2), rng.standard_normal((1, 16, size, size)))


def test_residual_block_with_zeroed_branch_is_identity(rng):
    block = BasicBlock(16, 16).eval()
    nn.init.zeros_(block.bn2.weight)
    nn.init.zeros_(block.bn2.bias)
    x = np.abs(rng.standard_normal((2, 16, 5, 5))).astype(np.float32)  # a post-ReLU input
    np.testing.assert_array_equal(block(barenet.tensor(x)).numpy(), x)
    plain = PlainBlock(16, 16).eval()
    nn.init.zeros_(plain.bn2.weight)
    nn.init.zeros_(plain.bn2.bias)
    np.testing.assert_array_equal(plain(barenet.tensor(x)).numpy(), 0 * x)


def test_plain_nets_have_no_shortcuts():
    plain = get_model("plain20")
    assert not any(isinstance(m, ZeroPadShortcut) for m in plain.modules())
    assert all(type(m) is PlainBlock for m in plain.modules() if isinstance(m, BasicBlock))
    shortcuts = [m for m in get_model("resnet20").modules() if isinstance(m, ZeroPadShortcut)]
    assert [(s.in_planes, s.planes, s.stride) for s in shortcuts] == [(16, 32, 2), (32, 64, 2)]


def test_gradcheck_through_a_small_net(rng):
    model = CifarResNet(BasicBlock, 1, num_classes=3).double().eval()
    check_grad(model, rng.standard_normal((2, 3, 6, 6)), atol=1e-5, rtol=1e-4)


def _torch_cifar_resnet(torch, n, residual, state):
    """An independent torch rewrite of the CIFAR net (option A), loaded with barenet's weights."""
    F = torch.nn.functional

    def conv_bn(x, prefix, stride=1):
        x = F.conv2d(x, state[prefix.replace("bn", "conv") + ".weight"], stride=stride, padding=1)
        return F.batch_norm(x, state[prefix + ".running_mean"], state[prefix + ".running_var"],
                            state[prefix + ".weight"], state[prefix + ".bias"], False, 0.0, 1e-5)

    def forward(x):
        x = F.relu(conv_bn(x, "bn1"))
        for stage, planes in enumerate((16, 32, 64), start=1):
            for b in range(n):
                stride = 2 if stage > 1 and b == 0 else 1
                p = f"layer{stage}.{b}"
                out = conv_bn(F.relu(conv_bn(x, p + ".bn1", stride)), p + ".bn2")
                if residual:
                    shortcut = x[:, :, ::stride, ::stride]
                    shortcut = F.pad(shortcut, (0, 0, 0, 0, 0, planes - shortcut.shape[1]))
                    out = out + shortcut
                x = F.relu(out)
        return F.linear(x.mean(dim=(2, 3)), state["fc.weight"], state["fc.bias"])
    return forward


@pytest.mark.parametrize("name,n,residual", [("resnet20", 3, True), ("plain20", 3, False)])
def test_matches_torch_rewrite(rng, name, n, residual):
    torch = pytest.importorskip("torch")
    model = get_model(name)
    for key, value in model.state_dict().items():  # non-trivial BN statistics
        if key.endswith(("running_mean", "bias")):
            value.data[...] = rng.normal(0, 0.1, value.shape)
        elif key.endswith(("running_var", "bn1.weight", "bn2.weight")):
            value.data[...] = rng.uniform(0.5, 1.5, value.shape)
    model.eval()
    x = rng.standard_normal((2, 3, 16, 16)).astype(np.float32)
    xb = barenet.tensor(x, requires_grad=True)
    out = model(xb)
    (out * out).sum().backward()
    state = {k: torch.tensor(v.numpy()) for k, v in model.state_dict().items()}
    xt = torch.tensor(x, requires_grad=True)
    ref = _torch_cifar_resnet(torch, n, residual, state)(xt)
    (ref * ref).sum().backward()
    assert_close(out.numpy(), ref.detach().numpy(), rtol=1e-4, what="logits")
    assert_close(xb.grad.numpy(), xt.grad.numpy(), rtol=1e-4, what="input gradient")
