"""A small CNN with batch norm trained for a few SGD steps in barenet and in PyTorch, from the same
initial weights on the same batches: the losses, the final weights and running statistics, and
the eval-mode outputs agree."""
import numpy as np
from harness import assert_close, torch_or_skip

import barenet
import barenet.nn.functional as F
from barenet import nn, optim

STEPS = 6


def _model(module):
    """Conv2d -> BatchNorm2d -> ReLU -> MaxPool2d -> Flatten -> Linear, in either framework."""
    return module.Sequential(
        module.Conv2d(3, 8, kernel_size=3, padding=1),
        module.BatchNorm2d(8),
        module.ReLU(),
        module.MaxPool2d(2),
        module.Flatten(),
        module.Linear(8 * 4 * 4, 5),
    )


def _batches():
    rng = np.random.default_rng(0)
    return [(rng.standard_normal((6, 3, 8, 8)).astype(np.float32) * 2 + 0.5, rng.integers(0, 5, 6))
            for _ in range(STEPS)]


def test_cnn_with_batch_norm_trains_like_torch():
    torch = torch_or_skip()
    torch.manual_seed(0)
    ref = _model(torch.nn)
    ours = _model(nn)
    ours.load_state_dict({k: v.numpy() for k, v in ref.state_dict().items()})
    hyper = dict(lr=0.05, momentum=0.9, weight_decay=5e-4)
    opt, topt = optim.SGD(ours.parameters(), **hyper), torch.optim.SGD(ref.parameters(), **hyper)
    for step, (x, t) in enumerate(_batches()):
        opt.zero_grad()
        loss = F.cross_entropy(ours(barenet.tensor(x)), barenet.tensor(t))
        loss.backward()
        opt.step()
        topt.zero_grad()
        tloss = torch.nn.functional.cross_entropy(ref(torch.tensor(x)), torch.tensor(t))
        tloss.backward()
        topt.step()
        assert abs(float(loss.item()) - tloss.item()) <= 1e-4 * max(1.0, abs(tloss.item())), f"loss at step {step}"
    ours_state, ref_state = ours.state_dict(), ref.state_dict()
    assert list(ours_state) == list(ref_state)
    for key, value in ref_state.items():
        assert_close(ours_state[key].numpy(), value.numpy(), 2e-4, key)
    ours.eval(), ref.eval()
    x = _batches()[0][0]
    with barenet.no_grad(), torch.no_grad():
        assert_close(ours(barenet.tensor(x)).numpy(), ref(torch.tensor(x)).numpy(), 2e-4, "eval logits")
