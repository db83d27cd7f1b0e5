"""Loss layers: same values as the functional losses, weights as buffers, PyTorch's reprs and keys."""
import numpy as np
import pytest
from harness import assert_close, torch_or_skip

import barenet
import barenet.functional as F
from barenet import nn


def _inputs(rng, name):
    x = rng.standard_normal((4, 3)).astype(np.float32)
    if name in ("CrossEntropyLoss", "NLLLoss"):
        return x, rng.integers(0, 3, 4)
    if name == "BCELoss":
        return 1 / (1 + np.exp(-x)), rng.uniform(0, 1, (4, 3)).astype(np.float32)
    return x, rng.standard_normal((4, 3)).astype(np.float32)


CASES = [("CrossEntropyLoss", {"label_smoothing": 0.1, "ignore_index": 2}), ("NLLLoss", {"reduction": "sum"}),
         ("MSELoss", {}), ("L1Loss", {"reduction": "none"}), ("SmoothL1Loss", {"beta": 0.5}), ("BCELoss", {}),
         ("BCEWithLogitsLoss", {"reduction": "sum"})]


@pytest.mark.parametrize("name,kwargs", CASES)
def test_loss_layer_matches_torch(rng, name, kwargs):
    torch = torch_or_skip()
    ours, ref = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    assert repr(ours) == repr(ref)
    x, t = _inputs(rng, name)
    assert_close(ours(barenet.tensor(x), barenet.tensor(t)).numpy(), ref(torch.tensor(x), torch.tensor(t)).numpy())


def test_weights_are_buffers_like_torch(rng):
    torch = torch_or_skip()
    w = rng.uniform(0.5, 2, 3).astype(np.float32)
    for name, kw in [("CrossEntropyLoss", "weight"), ("NLLLoss", "weight"), ("BCELoss", "weight"),
                     ("BCEWithLogitsLoss", "pos_weight")]:
        ours, ref = getattr(nn, name)(**{kw: barenet.tensor(w)}), getattr(torch.nn, name)(**{kw: torch.tensor(w)})
        assert list(ours.state_dict()) == list(ref.state_dict())
    loss = nn.CrossEntropyLoss(weight=barenet.tensor(w)).to(barenet.float64)
    x = barenet.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    assert loss.weight.dtype == np.float64
    t = barenet.tensor(rng.integers(0, 3, 4))
    assert loss(x, t).item() == pytest.approx(F.cross_entropy(x, t, barenet.tensor(w).double()).item())


def test_loss_layer_rejects_a_bad_reduction():
    with pytest.raises(ValueError, match=r"MSELoss: reduction must be one of 'none', 'mean', 'sum'. "
                                         r"Received: reduction='avg'"):
        nn.MSELoss(reduction="avg")
