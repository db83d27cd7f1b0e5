"""Dropout layers: active in training, the identity in eval, PyTorch's repr, errors."""
import numpy as np
import pytest
from harness import torch_or_skip

import barenet
from barenet import nn


@pytest.mark.parametrize("name", ["Dropout", "Dropout2d"])
def test_dropout_layer_train_and_eval(name):
    layer = getattr(nn, name)(0.5)
    x = barenet.ones(8, 16, 3, 3)
    barenet.manual_seed(0)
    y = layer(x).numpy()
    assert set(np.unique(y)) == {0.0, 2.0}
    assert layer.eval()(x) is x
    assert layer.train()(x) is not x


@pytest.mark.parametrize("name", ["Dropout", "Dropout2d"])
def test_dropout_layer_repr_and_errors(name):
    torch = torch_or_skip()
    assert repr(getattr(nn, name)(0.3)) == repr(getattr(torch.nn, name)(0.3))
    with pytest.raises(ValueError, match=rf"{name}: p must be in \[0, 1\]. Received: p=2"):
        getattr(nn, name)(2)


def test_dropout_follows_the_enclosing_model_mode():
    net = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.9))
    net.eval()
    x = barenet.ones(3, 4)
    assert np.array_equal(net(x).numpy(), net[0](x).numpy())
