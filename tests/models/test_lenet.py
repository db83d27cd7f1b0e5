"""LeNet-5 against the paper: parameter counts, Table I, the layers' formulas, gradients."""
import numpy as np
import pytest
from harness import assert_close, check_grad

import barenet
from barenet import functional as F
from barenet.models import get_model, lenet

# Table I of LeCun et al. 1998, transcribed from the paper: rows are the S2 maps 0-5, columns
# the C3 maps 0-15, "X" where an S2 map feeds a C3 map.
TABLE_I = [
    "X   XXX  XXXX XX",
    "XX   XXX  XXXX X",
    "XXX   XXX  X XXX",
    " XXX  XXXX  X XX",
    "  XXX  XXXX XX X",
    "   XXX  XXXX XXX",
]
# The S2 maps each C3 map combines, read off the table column by column.
TABLE_I_COLUMNS = [[r for r in range(6) if TABLE_I[r][c] == "X"] for c in range(16)]
PAPER_COUNTS = {"c1": 156, "s2": 12, "c3": 1516, "s4": 32, "c5": 48120, "f6": 10164}


@pytest.fixture(scope="module")
def net():
    barenet.manual_seed(0)
    return get_model("lenet5")


def _counts(model):
    out = {}
    for name, p in model.named_parameters():
        layer = name.split(".")[1]
        out[layer] = out.get(layer, 0) + p.numel()
    return out


def test_parameter_counts_match_the_paper(net):
    assert _counts(net) == PAPER_COUNTS
    assert sum(p.numel() for p in net.parameters()) == 60_000


def test_relu_variant_counts():
    model = get_model("lenet5_relu")
    assert _counts(model) == {"c1": 156, "c3": 2416, "c5": 48120, "f6": 10164, "output": 850}


def test_c3_connection_table_is_table_one(net):
    expected = np.array([[c == "X" for c in row] for row in TABLE_I])
    assert expected.shape == (6, 16) and expected.sum() == 60
    assert (net.features.c3.connection_mask() == expected).all()


def test_partial_conv_is_a_sum_over_its_table(rng):
    """Each C3 map is the sum of 'valid' correlations with the S2 maps Table I lists, plus a bias."""
    barenet.manual_seed(1)
    layer = lenet.PartialConv2d(6, lenet.C3_TABLE, 5)
    x = rng.standard_normal((2, 6, 9, 8)).astype(np.float32)
    out = layer(barenet.tensor(x)).numpy()
    w, b = layer.weight.numpy(), layer.bias.numpy()
    ref = np.zeros((2, 16, 5, 4))
    k = 0
    for o, maps in enumerate(TABLE_I_COLUMNS):
        for i in maps:  # ascending input maps: the documented order of the kernels
            for dy in range(5):
                for dx in range(5):
                    ref[:, o] += w[k, dy, dx] * x[:, i, dy:dy + 5, dx:dx + 4]
            k += 1
        ref[:, o] += b[o]
    assert_close(out, ref, rtol=1e-5)


def test_partial_conv_gradients(rng):
    layer = lenet.PartialConv2d(3, ((0,), (0, 2), (0, 1, 2)), 3).double()
    x = rng.standard_normal((1, 3, 5, 6))
    check_grad(lambda x, w, b: F.conv2d(x, lenet._ScatterKernels(layer._index, (3, 3, 3, 3))(w), b),
               x, layer.weight.numpy(), layer.bias.numpy())


def test_subsampling_is_a_scaled_2x2_sum(rng):
    layer = lenet.Subsampling(3)
    x = rng.standard_normal((2, 3, 6, 4)).astype(np.float32)
    w, b = layer.weight.numpy(), layer.bias.numpy()
    sums = x.reshape(2, 3, 3, 2, 2, 2).sum(axis=(3, 5))
    assert_close(layer(barenet.tensor(x)).numpy(), sums * w[:, None, None] + b[:, None, None], rtol=1e-5)
    check_grad(lambda x: layer.double()(x), x)


def test_scaled_tanh_maps_plus_minus_one_to_themselves():
    y = lenet.ScaledTanh()(barenet.tensor([-1.0, 0.0, 1.0, 3.0], dtype=barenet.float64)).numpy()
    assert_close(y, 1.7159 * np.tanh(2 / 3 * np.array([-1.0, 0.0, 1.0, 3.0])), rtol=1e-12)
    assert abs(y[2] - 1) < 1e-4 and abs(y[0] + 1) < 1e-4


def test_rbf_outputs_squared_distances(rng):
    protos = lenet.rbf_prototypes(10)
    layer = lenet.EuclideanRBF(protos)
    x = rng.standard_normal((4, 84))
    ref = ((x[:, None, :] - protos[None]) ** 2).sum(-1)
    assert_close(layer(barenet.tensor(x.astype(np.float32))).numpy(), ref, rtol=1e-5)
    check_grad(lambda t: layer.double()(t), x[:2])


def test_prototypes_are_fixed_plus_minus_one_buffers(net):
    protos = lenet.rbf_prototypes(10)
    assert protos.shape == (10, 84) and set(np.unique(protos)) == {-1.0, 1.0}
    assert len({row.tobytes() for row in protos}) == 10
    assert "head.output.prototypes" in net.state_dict()
    assert all("prototypes" not in name for name, _ in net.named_parameters())
    other = lenet.rbf_prototypes(5)
    assert other.shape == (5, 84) and (other == lenet.rbf_prototypes(5)).all()


def test_forward_returns_negative_distances_of_f6(net, rng):
    x = barenet.tensor(rng.standard_normal((3, 1, 32, 32)).astype(np.float32))
    with barenet.no_grad():
        feats = net.forward_features(x)
        f6 = net.head.act6(net.head.f6(feats.flatten(1))).numpy()
        out = net(x).numpy()
    assert feats.shape == (3, 120, 1, 1)
    ref = -((f6[:, None, :] - lenet.rbf_prototypes(10)[None]) ** 2).sum(-1)
    assert_close(out, ref, rtol=1e-5)


@pytest.mark.parametrize("name", ["lenet5", "lenet5_relu"])
@pytest.mark.parametrize("num_classes,in_channels,batch", [(10, 1, 1), (7, 3, 3)])
def test_shapes_and_every_parameter_gets_a_gradient(name, num_classes, in_channels, batch, rng):
    barenet.manual_seed(0)
    model = get_model(name, num_classes=num_classes, in_channels=in_channels)
    x = barenet.tensor(rng.standard_normal((batch, in_channels, 32, 32)).astype(np.float32))
    out = model(x)
    assert out.shape == (batch, num_classes)
    F.cross_entropy(out, barenet.tensor(np.arange(batch) % num_classes)).backward()
    for pname, p in model.named_parameters():
        assert p.grad is not None and np.isfinite(p.grad.numpy()).all(), pname
        assert np.abs(p.grad.numpy()).max() > 0, f"{pname}: zero gradient"


def test_wrong_input_size_is_named(net):
    with pytest.raises(ValueError, match=r"expected 32x32 images .* Received: x.shape=\(2, 1, 28, 28\)"):
        net(barenet.zeros(2, 1, 28, 28))
    with pytest.raises(ValueError, match=r"expected an input of shape \(N, 1, H, W\)"):
        net(barenet.zeros(2, 3, 32, 32))
