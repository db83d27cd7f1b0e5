"""``profile``: per-layer timings beside MACs, and the model left as it was."""
import json

import numpy as np
import pytest

import barenet
from barenet import nn
from barenet.analysis import matmul_gflops, profile, summary


def _model():
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Dropout(0.5), nn.Flatten(), nn.Linear(4 * 4 * 4, 3))


def test_layers_times_and_macs():
    model = _model()
    p = profile(model, (1, 8, 8), batch_size=3)
    assert [t.name for t in p.layers] == [str(i) for i in range(7)]
    s = summary(model, (1, 8, 8))
    assert [t.macs for t in p.layers] == [3 * layer.macs for layer in s.layers]  # the whole batch
    assert all(t.forward_s > 0 for t in p.layers)
    conv, linear = p.layers[0], p.layers[6]
    assert conv.backward_s > 0 and linear.backward_s > 0 and conv.forward_gflops > 0
    assert linear.backward_macs == 2 * linear.macs and conv.backward_macs == conv.macs  # the input needs no grad
    assert p.forward_s > 0 and p.backward_s > 0 and p.matmul_gflops > 0
    text = str(p)
    assert "fwd GFLOP/s" in text and "matrix product runs at" in text
    assert json.loads(json.dumps(p.to_dict()))["layers"][0]["name"] == "0"


def test_model_state_is_restored():
    model = _model().eval()
    bn = model[1]
    stats, grads, rng = bn.running_mean.numpy().copy(), [p.grad for p in model.parameters()], barenet.get_rng_state()
    profile(model, (1, 8, 8), batch_size=2, repeats=1)
    assert not model.training and not bn.training
    assert np.array_equal(bn.running_mean.numpy(), stats) and bn.num_batches_tracked.item() == 0
    assert [p.grad for p in model.parameters()] == grads and barenet.get_rng_state() == rng


def test_residual_additions_get_backward_time():
    model = barenet.models.get_model("resnet20")
    p = profile(model, (3, 16, 16), batch_size=2, repeats=1)
    adds = [t for t in p.layers if t.type == "add"]
    assert adds and all(t.forward_s > 0 and t.backward_s > 0 for t in adds)


def test_bad_arguments():
    with pytest.raises(ValueError, match="profile: batch_size must be a positive int"):
        profile(_model(), (1, 8, 8), batch_size=0)
    with pytest.raises(ValueError, match="profile: input_size must be"):
        profile(_model(), "1x8x8")


def test_matmul_reference():
    assert matmul_gflops(64, repeats=1) > 0
