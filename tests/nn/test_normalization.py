"""BatchNorm1d/2d and LocalResponseNorm layers: state-dict layout, running statistics, modes, errors."""
import numpy as np
import pytest
from harness import assert_close, torch_or_skip

import barenet
from barenet import nn


def _pair(torch, cls_name, *args, **kwargs):
    """The same layer in barenet and torch, with identical random affine parameters."""
    bn, th = getattr(nn, cls_name)(*args, **kwargs), getattr(torch.nn, cls_name)(*args, **kwargs)
    if bn.affine:
        rng = np.random.default_rng(1)
        for name in ("weight", "bias")[:1 + (bn.bias is not None)]:
            value = rng.standard_normal(bn.num_features).astype(np.float32)
            getattr(bn, name).data[...] = value
            getattr(th, name).data[...] = torch.tensor(value)
    return bn, th


def test_state_dict_keys_dtypes_and_shapes_match_torch():
    torch = torch_or_skip()
    for cls in ("BatchNorm1d", "BatchNorm2d"):
        bn, th = getattr(nn, cls)(16), getattr(torch.nn, cls)(16)
        ours, ref = bn.state_dict(), th.state_dict()
        assert list(ours) == list(ref)
        for key in ref:
            assert ours[key].shape == tuple(ref[key].shape)
            assert str(ours[key].dtype) == str(ref[key].dtype).replace("torch.", "")
            assert_close(ours[key].numpy(), ref[key].numpy(), 0)
    assert [n for n, _ in nn.BatchNorm2d(4).named_parameters()] == ["weight", "bias"]
    no_bias, ref = nn.BatchNorm2d(4, bias=False), torch.nn.BatchNorm2d(4, bias=False)
    assert list(no_bias.state_dict()) == list(ref.state_dict()) and no_bias.bias is None
    assert [n for n, _ in no_bias.named_parameters()] == ["weight"]


@pytest.mark.parametrize("kwargs", [{}, {"affine": False}, {"track_running_stats": False}, {"momentum": None},
                                    {"momentum": 0.5, "eps": 1e-3}, {"bias": False}])
@pytest.mark.parametrize("cls, shape", [("BatchNorm1d", (6, 5)), ("BatchNorm1d", (3, 5, 4)),
                                        ("BatchNorm2d", (2, 5, 3, 4))])
def test_train_then_eval_matches_torch(kwargs, cls, shape):
    """Four training batches (outputs, gradients, buffers), then eval outputs, against torch."""
    torch = torch_or_skip()
    bn, th = _pair(torch, cls, 5, **kwargs)
    rng = np.random.default_rng(0)
    for step in range(4):
        x = (rng.standard_normal(shape) * (step + 1) + step).astype(np.float32)
        xb, xt = barenet.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        yb, yt = bn(xb), th(xt)
        assert_close(yb.numpy(), yt.detach().numpy(), 2e-4, f"train output {step}")
        gy = rng.standard_normal(shape).astype(np.float32)
        yb.backward(barenet.tensor(gy))
        yt.backward(torch.tensor(gy))
        assert_close(xb.grad.numpy(), xt.grad.numpy(), 2e-4, f"input gradient {step}")
    ours, ref = bn.state_dict(), th.state_dict()
    assert list(ours) == list(ref)
    for key in ref:
        assert_close(ours[key].numpy(), ref[key].numpy(), 1e-5, key)
    if bn.affine:
        assert_close(bn.weight.grad.numpy(), th.weight.grad.numpy(), 2e-4, "weight gradient")
        assert (bn.bias is None) == (th.bias is None)
        if bn.bias is not None:
            assert_close(bn.bias.grad.numpy(), th.bias.grad.numpy(), 2e-4, "bias gradient")
    bn.eval(), th.eval()
    x = rng.standard_normal(shape).astype(np.float32)
    assert_close(bn(barenet.tensor(x)).numpy(), th(torch.tensor(x)).detach().numpy(), 2e-4, "eval output")


def test_momentum_none_is_cumulative_average(rng):
    bn = nn.BatchNorm1d(2, momentum=None).double()
    batches = [rng.standard_normal((5, 2)) + i for i in range(3)]
    for x in batches:
        bn(barenet.tensor(x))
    assert int(bn.num_batches_tracked) == 3
    assert_close(bn.running_mean.numpy(), np.mean([x.mean(0) for x in batches], axis=0), 1e-12)
    assert_close(bn.running_var.numpy(), np.mean([x.var(0, ddof=1) for x in batches], axis=0), 1e-12)


def test_eval_does_not_touch_buffers(rng):
    bn = nn.BatchNorm2d(3).eval()
    before = {k: v.numpy().copy() for k, v in bn.state_dict().items()}
    bn(barenet.tensor(rng.standard_normal((2, 3, 4, 4)).astype(np.float32)))
    for key, value in bn.state_dict().items():
        assert_close(value.numpy(), before[key], 0, key)


def test_no_running_stats_normalises_with_batch_in_eval(rng):
    bn = nn.BatchNorm2d(2, affine=False, track_running_stats=False).eval()
    assert list(bn.state_dict()) == []
    x = rng.standard_normal((3, 2, 2, 2)) * 4 + 1
    y = bn.double()(barenet.tensor(x)).numpy()
    assert_close(y.mean(axis=(0, 2, 3)), np.zeros(2), 1e-10)


def test_reset_and_load_state_dict(rng):
    bn = nn.BatchNorm2d(3)
    bn(barenet.tensor(rng.standard_normal((2, 3, 2, 2)).astype(np.float32)))
    other = nn.BatchNorm2d(3)
    other.load_state_dict(bn.state_dict())
    assert int(other.num_batches_tracked) == 1
    assert_close(other.running_var.numpy(), bn.running_var.numpy(), 0)
    bn.reset_running_stats()
    assert int(bn.num_batches_tracked) == 0 and float(bn.running_var.numpy().min()) == 1.0


def test_repr():
    torch = torch_or_skip()
    for kwargs in ({}, {"bias": False}, {"affine": False, "momentum": None}):
        assert repr(nn.BatchNorm2d(64, **kwargs)) == repr(torch.nn.BatchNorm2d(64, **kwargs))
    assert repr(nn.LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2.0)) == \
        "LocalResponseNorm(5, alpha=0.0005, beta=0.75, k=2.0)"


@pytest.mark.parametrize("layer, shape, match", [
    (nn.BatchNorm2d(3), (2, 3, 4), r"BatchNorm2d: expected 4-D \(N, C, H, W\) input. Received: input.shape=\(2, 3, 4\)"),
    (nn.BatchNorm1d(3), (2, 3, 4, 4), r"BatchNorm1d: expected 2-D \(N, C\) or 3-D \(N, C, L\) input"),
    (nn.BatchNorm2d(64), (2, 3, 4, 4),
     r"BatchNorm2d\(64\): input channels \(dim 1\) must equal num_features. "
     r"Received: input.shape=\(2, 3, 4, 4\), num_features=64"),
    (nn.LocalResponseNorm(3), (2, 3), r"local_response_norm: expected input .* at least 3 dimensions"),
])
def test_errors(layer, shape, match):
    with pytest.raises(ValueError, match=match):
        layer(barenet.ones(*shape))


def test_bad_num_features():
    with pytest.raises(ValueError, match=r"BatchNorm2d: num_features must be a positive integer"):
        nn.BatchNorm2d(0)


def test_local_response_norm_layer_matches_torch(rng):
    torch = torch_or_skip()
    x = (rng.standard_normal((2, 7, 3, 3)) * 10).astype(np.float32)
    ours = nn.LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2.0)(barenet.tensor(x))
    ref = torch.nn.LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2.0)(torch.tensor(x))
    assert_close(ours.numpy(), ref.numpy(), 1e-5)
