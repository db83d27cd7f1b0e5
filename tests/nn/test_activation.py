"""Activation layers: same values as the functional ops, PyTorch's reprs and parameters, errors."""
import numpy as np
import pytest
from harness import check_torch, torch_or_skip

import barenet
import barenet.functional as F
from barenet import nn

# (barenet layer, torch layer) built with the same arguments
LAYERS = [
    ("ReLU", (), {}), ("ReLU", (True,), {}), ("LeakyReLU", (0.2,), {}), ("PReLU", (), {}), ("PReLU", (3,), {"init": 0.1}),
    ("ELU", (), {"alpha": 0.5}), ("ELU", (), {"inplace": True}), ("Sigmoid", (), {}), ("Tanh", (), {}),
    ("Softplus", (), {"beta": 2.0, "threshold": 5.0}), ("Softmax", (), {"dim": 1}), ("LogSoftmax", (), {"dim": -1}),
]


@pytest.mark.parametrize("name,args,kwargs", LAYERS)
def test_layer_matches_torch_values_and_repr(rng, name, args, kwargs):
    torch = torch_or_skip()
    ours, ref = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(ref)
    check_torch(ours, lambda t: ref(t.clone()), rng.standard_normal((2, 3, 4)) * 3)  # clone: torch's inplace
    assert [k for k, _ in ours.named_parameters()] == [k for k, _ in ref.named_parameters()]


def test_prelu_learns_its_slope():
    layer = nn.PReLU(2, init=0.5)
    x = barenet.tensor([[[-2.0], [-4.0]], [[1.0], [-1.0]]])  # (N=2, C=2, L=1)
    layer(x).sum().backward()
    assert layer.weight.shape == (2,) and layer.weight.grad.tolist() == [-2.0, -5.0]  # sum of min(x, 0)


@pytest.mark.parametrize("name", ["Softmax", "LogSoftmax"])
def test_softmax_layers_require_dim(name):
    with pytest.raises(ValueError, match=rf"{name}: dim is required; PyTorch's implicit dim is deprecated"):
        getattr(nn, name)()


def test_maxout_layer(rng):
    layer = nn.Maxout(3)
    assert repr(layer) == "Maxout(pieces=3, dim=1)"
    x = barenet.tensor(rng.standard_normal((2, 6, 4)))
    np.testing.assert_array_equal(layer(x).numpy(), F.maxout(x, 3).numpy())
    with pytest.raises(ValueError, match=r"Maxout: pieces must be a positive integer. Received: pieces=0"):
        nn.Maxout(0)


def test_activations_in_a_sequential_train_end_to_end(rng):
    net = nn.Sequential(nn.Linear(4, 6), nn.PReLU(), nn.Linear(6, 6), nn.Maxout(2), nn.Tanh(), nn.Linear(3, 2))
    x = barenet.tensor(rng.standard_normal((5, 4)).astype(np.float32))
    net(x).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
