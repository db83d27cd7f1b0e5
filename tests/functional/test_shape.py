"""pad and flatten: NumPy's np.pad as an independent reference, finite differences, PyTorch parity, errors."""
import numpy as np
import pytest
from harness import check_grad, check_torch, torch_or_skip
from hypothesis import given, settings
from hypothesis import strategies as st

import barenet
import barenet.functional as F

NP_MODES = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}
PADS = [(1, 2), (0, 3), (2, 0, 1, 1), (1, 1, 2, 0), (1, 0, 0, 2, 1, 1)]  # 1, 2 and 3 padded dims


def _np_pad(x, pad, mode, value=0.0):
    widths = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        widths[x.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    kw = {"constant_values": value} if mode == "constant" else {}
    return np.pad(x, widths, mode=NP_MODES[mode], **kw)


@pytest.mark.parametrize("mode", NP_MODES)
@pytest.mark.parametrize("pad", PADS)
def test_pad_matches_numpy_and_gradcheck(rng, mode, pad):
    x = rng.standard_normal((2, 3, 4, 5))
    value = 1.5 if mode == "constant" else None
    ours = F.pad(barenet.tensor(x), pad, mode, value).numpy()
    np.testing.assert_array_equal(ours, _np_pad(x, pad, mode, value or 0.0))
    check_grad(lambda t: F.pad(t, pad, mode, value), x)


@pytest.mark.parametrize("pad", [(-1, 2), (1, -2, -1, 0), (-2, -1, 0, 0), (3, -4), (-2, -2)])
def test_pad_negative_crops(rng, pad):
    torch = torch_or_skip()
    x = rng.standard_normal((1, 2, 3, 4))
    check_torch(lambda t: F.pad(t, pad), lambda t: torch.nn.functional.pad(t, pad), x)
    check_grad(lambda t: F.pad(t, pad, value=0.5), x)


def test_pad_largest_amounts_each_mode_allows(rng):
    x = rng.standard_normal((1, 1, 3, 3))
    for mode, amount in [("reflect", 2), ("circular", 3), ("replicate", 7)]:
        pad = (amount, amount, amount, 0)
        np.testing.assert_array_equal(F.pad(barenet.tensor(x), pad, mode).numpy(), _np_pad(x, pad, mode))
        check_grad(lambda t: F.pad(t, pad, mode), x)


@settings(max_examples=40, deadline=None)
@given(mode=st.sampled_from(sorted(NP_MODES)), dims=st.integers(1, 3), batch=st.booleans(),
       amounts=st.lists(st.integers(0, 2), min_size=6, max_size=6), seed=st.integers(0, 2**16))
def test_pad_torch_parity(mode, dims, batch, amounts, seed):
    torch = torch_or_skip()
    shape = ((2,) if batch else ()) + (3,) + (3, 4, 5)[-dims:]  # (N,) C, spatial: what torch's modes accept
    pad = tuple(amounts[:2 * dims])
    x = np.random.default_rng(seed).standard_normal(shape)
    check_torch(lambda t: F.pad(t, pad, mode), lambda t: torch.nn.functional.pad(t, pad, mode), x)


def test_pad_backward_adds_reflected_and_replicated_gradients():
    x = barenet.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    F.pad(x, (2, 1), "reflect").sum().backward()  # [3, 2, 1, 2, 3, 2]
    assert x.grad.tolist() == [[1.0, 3.0, 2.0]]
    x.grad = None
    F.pad(x, (2, 1), "replicate").sum().backward()  # [1, 1, 1, 2, 3, 3]
    assert x.grad.tolist() == [[3.0, 1.0, 2.0]]


def test_pad_errors():
    x = barenet.zeros(1, 1, 3, 3)
    with pytest.raises(ValueError, match=r"pad: mode must be one of 'constant', 'reflect', 'replicate', 'circular'. "
                                         r"Received: .*mode='mirror'"):
        F.pad(x, (1, 1), "mirror")
    with pytest.raises(ValueError, match=r"pad: pad must hold an even number of integers"):
        F.pad(x, (1, 1, 1))
    with pytest.raises(ValueError, match=r"at most 2 per input dim"):
        F.pad(barenet.zeros(3), (1, 1, 1, 1))
    with pytest.raises(ValueError, match=r"pad: reflect padding must be at most 2 for a dimension of size 3. "
                                         r"Received: input.shape=\(1, 1, 3, 3\), pad=\(3, 0\)"):
        F.pad(x, (3, 0), "reflect")
    with pytest.raises(ValueError, match=r"pad: circular padding must be at most 3"):
        F.pad(x, (0, 4), "circular")
    with pytest.raises(ValueError, match=r"pad: negative padding \(cropping\) needs mode='constant'"):
        F.pad(x, (-1, 1), "replicate")
    with pytest.raises(ValueError, match=r"pad: mode 'reflect' takes no value argument"):
        F.pad(x, (1, 1), "reflect", value=2.0)
    with pytest.raises(ValueError, match=r"pad: negative padding crops more than a dimension's size 3"):
        F.pad(x, (3, -4))


# ----- flatten ----------------------------------------------------------------------------------
@pytest.mark.parametrize("shape,start,end", [((2, 3, 4, 5), 1, -1), ((2, 3, 4, 5), 0, 2), ((2, 3, 4), -2, -1),
                                             ((5,), 0, 0), ((1, 3, 1), 1, 2), ((2, 0, 3), 1, 2)])
def test_flatten_matches_torch(rng, shape, start, end):
    torch = torch_or_skip()
    x = rng.standard_normal(shape)
    out = check_torch(lambda t: F.flatten(t, start, end), lambda t: torch.flatten(t, start, end), x)
    assert out.shape == tuple(torch.flatten(torch.zeros(shape), start, end).shape)


def test_flatten_gradcheck_and_scalar(rng):
    check_grad(lambda t: F.flatten(t, 1), rng.standard_normal((2, 3, 2)))
    assert F.flatten(barenet.tensor(3.0)).shape == (1,)


def test_flatten_errors():
    with pytest.raises(IndexError, match=r"flatten: dims must be integers in \[-3, 2\] for a 3-D input. "
                                         r"Received: start_dim=3, end_dim=-1"):
        F.flatten(barenet.zeros(2, 3, 4), 3)
    with pytest.raises(ValueError, match=r"flatten: start_dim must not come after end_dim"):
        F.flatten(barenet.zeros(2, 3, 4), 2, 1)


def test_shape_ops_run_on_each_backend(xp, rng):
    x = barenet.tensor(xp.asarray(rng.standard_normal((1, 2, 3, 3)).astype(np.float32)), requires_grad=True)
    outs = [F.pad(x, (1, 1, 1, 1), mode).sum() for mode in NP_MODES] + [F.flatten(x, 1).sum()]
    sum(outs).backward()
    assert type(x.grad.data) is type(x.data)
