"""Learning-rate schedules: the rate sequences against torch.optim.lr_scheduler, state_dict round trips."""
import json
import warnings

import numpy as np
import pytest
from harness import torch_or_skip

import barenet
from barenet import optim
from barenet.optim import lr_scheduler

SCHEDULES = [
    ("StepLR", {"step_size": 3, "gamma": 0.5}),
    ("MultiStepLR", {"milestones": [2, 5, 5, 9], "gamma": 0.3}),
    ("CosineAnnealingLR", {"T_max": 7}),
    ("CosineAnnealingLR", {"T_max": 4, "eta_min": 0.01}),  # runs past T_max: the cosine rises again
    ("LinearLR", {}),
    ("LinearLR", {"start_factor": 0.1, "end_factor": 0.5, "total_iters": 4}),
]
STEPS = 15


def _optimizers(torch, lrs=(0.1, 0.03)):
    """The same two-group SGD in both frameworks."""
    ours = optim.SGD([{"params": [barenet.zeros(1, requires_grad=True)], "lr": lr} for lr in lrs])
    ref = torch.optim.SGD([{"params": [torch.zeros(1, requires_grad=True)], "lr": lr} for lr in lrs])
    return ours, ref


def _sequence(opt, sched, steps=STEPS, metrics=None):
    lrs = []
    for i in range(steps):
        lrs.append(sched.get_last_lr())
        opt.step()
        sched.step() if metrics is None else sched.step(metrics[i])
    return np.array(lrs)


def _torch_sequence(opt, sched, steps=STEPS, metrics=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns that no parameter had a gradient
        return _sequence(opt, sched, steps, metrics)


@pytest.mark.parametrize("name, kwargs", SCHEDULES)
def test_sequence_matches_torch(name, kwargs):
    torch = torch_or_skip()
    opt, topt = _optimizers(torch)
    ours = _sequence(opt, getattr(lr_scheduler, name)(opt, **kwargs))
    ref = _torch_sequence(topt, getattr(torch.optim.lr_scheduler, name)(topt, **kwargs))
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-15)
    assert [g["lr"] for g in opt.param_groups] == pytest.approx([g["lr"] for g in topt.param_groups], rel=1e-12)


def test_sequential_warmup_then_cosine_matches_torch():
    torch = torch_or_skip()
    seqs = []
    for module, opt in zip((lr_scheduler, torch.optim.lr_scheduler), _optimizers(torch)):
        warm = module.LinearLR(opt, start_factor=0.1, total_iters=4)
        decay = module.CosineAnnealingLR(opt, T_max=8, eta_min=1e-3)
        step = module.StepLR(opt, step_size=2, gamma=0.5)
        sched = module.SequentialLR(opt, [warm, decay, step], milestones=[4, 12])
        seqs.append(_torch_sequence(opt, sched, 20))
    np.testing.assert_allclose(seqs[0], seqs[1], rtol=1e-12)


@pytest.mark.parametrize("kwargs", [{"patience": 2, "factor": 0.5}, {"mode": "max", "patience": 1, "cooldown": 2},
                                    {"threshold_mode": "abs", "threshold": 0.05, "patience": 0, "min_lr": [0.02, 0.0]},
                                    {"mode": "max", "threshold_mode": "abs", "threshold": 0.1, "patience": 1}])
def test_reduce_on_plateau_matches_torch(kwargs):
    torch = torch_or_skip()
    metrics = list(np.random.default_rng(3).uniform(0.8, 1.2, 30) * np.linspace(1.0, 0.7, 30))
    opt, topt = _optimizers(torch)
    ours = _sequence(opt, lr_scheduler.ReduceLROnPlateau(opt, **kwargs), 30, metrics)
    ref = _torch_sequence(topt, torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **kwargs), 30, metrics)
    np.testing.assert_allclose(ours, ref, rtol=1e-12)
    assert len(np.unique(ours[:, 0])) > 1  # the schedule did reduce


def _make(name, kwargs, lrs=(0.1, 0.03)):
    opt = optim.SGD([{"params": [barenet.zeros(1, requires_grad=True)], "lr": lr} for lr in lrs])
    if name == "SequentialLR":
        warm = lr_scheduler.LinearLR(opt, start_factor=0.2, total_iters=3)
        return opt, lr_scheduler.SequentialLR(opt, [warm, lr_scheduler.CosineAnnealingLR(opt, T_max=6)], [3])
    return opt, getattr(lr_scheduler, name)(opt, **kwargs)


@pytest.mark.parametrize("name, kwargs", SCHEDULES + [("SequentialLR", {}), ("ReduceLROnPlateau", {"patience": 1})])
def test_state_dict_round_trip_through_json(name, kwargs):
    """Seven epochs, save optimizer and scheduler (as JSON), rebuild both, eight more epochs:
    the same rates as fifteen uninterrupted epochs."""
    metrics = [1.0, 0.9, 0.95, 0.97, 0.99, 0.85, 0.9, 0.9, 0.91, 0.95, 0.8, 0.82, 0.83, 0.84, 0.85]
    plateau = name == "ReduceLROnPlateau"
    opt, sched = _make(name, kwargs)
    full = _sequence(opt, sched, STEPS, metrics if plateau else None)
    opt, sched = _make(name, kwargs)
    _sequence(opt, sched, 7, metrics if plateau else None)
    saved_opt = opt.state_dict()["param_groups"]
    saved = json.loads(json.dumps(sched.state_dict()))
    opt2, sched2 = _make(name, kwargs, lrs=(5.0, 5.0))
    for group, s in zip(opt2.param_groups, saved_opt):
        group.update({k: v for k, v in s.items() if k != "params"})
    sched2.load_state_dict(saved)
    rest = _sequence(opt2, sched2, STEPS - 7, metrics[7:] if plateau else None)
    np.testing.assert_allclose(rest, full[7:], rtol=1e-12)


def test_resuming_needs_initial_lr():
    opt = optim.SGD([barenet.zeros(1, requires_grad=True)], lr=0.1)
    with pytest.raises(KeyError, match=r"param_groups\[0\] has no 'initial_lr'"):
        lr_scheduler.StepLR(opt, step_size=2, last_epoch=3)


@pytest.mark.parametrize("make, error, match", [
    (lambda opt: lr_scheduler.StepLR(object(), 2), TypeError, r"StepLR: expected an Optimizer. Received: object"),
    (lambda opt: lr_scheduler.StepLR(opt, 0), ValueError, r"step_size must be a positive integer"),
    (lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=0), ValueError, r"T_max must be positive"),
    (lambda opt: lr_scheduler.LinearLR(opt, start_factor=0.0), ValueError, r"start_factor must be in \(0, 1\]"),
    (lambda opt: lr_scheduler.ReduceLROnPlateau(opt, factor=1.5), ValueError, r"factor must be < 1"),
    (lambda opt: lr_scheduler.ReduceLROnPlateau(opt, mode="up"), ValueError, r"mode must be 'min' or 'max'"),
    (lambda opt: lr_scheduler.ReduceLROnPlateau(opt, min_lr=[0, 0]), ValueError, r"expected 1 min_lr values"),
    (lambda opt: lr_scheduler.SequentialLR(opt, [lr_scheduler.StepLR(opt, 2)], [3]), ValueError,
     r"one milestone fewer than schedulers"),
    (lambda opt: lr_scheduler.SequentialLR(opt, [lr_scheduler.ReduceLROnPlateau(opt)], []), ValueError,
     r"epoch-driven"),
])
def test_errors(make, error, match):
    opt = optim.SGD([barenet.zeros(1, requires_grad=True)], lr=0.1)
    with pytest.raises(error, match=match):
        make(opt)
