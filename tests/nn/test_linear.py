"""Linear, Identity and Flatten: PyTorch's init, reprs, state-dict keys and outputs; layer errors."""
import math

import numpy as np
import pytest
from harness import assert_close, torch_or_skip

import barenet
from barenet import nn


def test_linear_default_init_bounds_and_seeding():
    barenet.manual_seed(0)
    a = nn.Linear(400, 50)
    bound = 1 / math.sqrt(400)
    for p in (a.weight, a.bias):
        v = p.numpy()
        assert v.dtype == np.float32 and np.abs(v).max() <= bound and np.abs(v).max() > 0.9 * bound
    assert abs(a.weight.numpy().std() - bound / math.sqrt(3)) < 0.05 * bound  # uniform: std = bound / sqrt(3)
    barenet.manual_seed(0)
    assert np.array_equal(nn.Linear(400, 50).weight.numpy(), a.weight.numpy())


@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch_with_its_state_dict(rng, bias):
    torch = torch_or_skip()
    ref = torch.nn.Linear(5, 3, bias=bias)
    ours = nn.Linear(5, 3, bias=bias)
    assert repr(ours) == repr(ref)
    assert list(ours.state_dict()) == list(ref.state_dict())
    ours.load_state_dict({k: v.detach().numpy() for k, v in ref.state_dict().items()})
    x = rng.standard_normal((2, 4, 5)).astype(np.float32)
    assert_close(ours(barenet.tensor(x)).numpy(), ref(torch.tensor(x)).detach().numpy(), rtol=1e-6)


def test_linear_wrong_input_names_the_layer():
    with pytest.raises(ValueError, match=r"Linear\(in_features=784, out_features=10, bias=True\): expected an input "
                                         r"whose last dim is in_features=784. Received: input.shape=\(8, 100\)."):
        nn.Linear(784, 10)(barenet.zeros(8, 100))


def test_identity_and_flatten(rng):
    torch = torch_or_skip()
    x = barenet.tensor(rng.standard_normal((2, 3, 4, 5)))
    assert nn.Identity(3, any="thing")(x) is x and repr(nn.Identity()) == "Identity()"
    assert nn.Flatten()(x).shape == (2, 60) and nn.Flatten(0, 2)(x).shape == (24, 5)
    assert repr(nn.Flatten(0, 2)) == repr(torch.nn.Flatten(0, 2))
