"""Optimizers against torch.optim step by step, state_dict round trips, and errors."""
import numpy as np
import pytest
from harness import assert_close, torch_or_skip

import barenet
from barenet import optim

SHAPES = [(3, 4), (5,), (2, 1, 3)]
CONFIGS = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3, "weight_decay": 1e-2}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.05}),
    ("SGD", {"lr": 0.05, "momentum": 0.5, "maximize": True}),
    ("Adam", {"lr": 1e-2}),
    ("Adam", {"lr": 1e-2, "weight_decay": 0.1}),
    ("Adam", {"lr": 1e-2, "amsgrad": True, "weight_decay": 0.05}),
    ("Adam", {"lr": 1e-2, "betas": (0.8, 0.99), "eps": 1e-6, "maximize": True}),
    ("AdamW", {"lr": 1e-2}),
    ("AdamW", {"lr": 1e-2, "weight_decay": 0.1, "amsgrad": True}),
    ("RMSprop", {}),
    ("RMSprop", {"lr": 1e-2, "momentum": 0.9}),
    ("RMSprop", {"lr": 1e-2, "centered": True}),
    ("RMSprop", {"lr": 1e-2, "centered": True, "momentum": 0.5, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 1e-3, "alpha": 0.9, "eps": 1e-6}),
]
IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'defaults'}" for name, kw in CONFIGS]


def _initial(seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(np.float32) for s in SHAPES]


def _grads(step, params):
    """A gradient that depends on the parameters (a quadratic bowl) plus noise of varying scale."""
    rng = np.random.default_rng(100 + step)
    scale = 10.0 ** rng.uniform(-1, 1)  # varying magnitudes exercise amsgrad's maximum
    return [(0.5 * p + scale * rng.standard_normal(p.shape)).astype(np.float32) for p in params]


def _run_ours(opt, params, steps):
    for step in steps:
        grads = _grads(step, [p.numpy() for p in params])
        for p, g in zip(params, grads):
            p.grad = barenet.tensor(g)
        opt.step()


def _run_torch(torch, opt, params, steps):
    for step in steps:
        grads = _grads(step, [p.detach().numpy() for p in params])
        for p, g in zip(params, grads):
            p.grad = torch.tensor(g)
        opt.step()


def _make(torch, name, kwargs, seed=0):
    values = _initial(seed)
    ours = [barenet.tensor(v, requires_grad=True) for v in values]
    ref = [torch.tensor(v, requires_grad=True) for v in values]
    return ours, getattr(optim, name)(ours, **kwargs), ref, getattr(torch.optim, name)(ref, **kwargs)


@pytest.mark.parametrize("name, kwargs", CONFIGS, ids=IDS)
def test_matches_torch_over_ten_steps(name, kwargs):
    torch = torch_or_skip()
    ours, opt, ref, topt = _make(torch, name, kwargs)
    for step in range(10):
        _run_ours(opt, ours, [step])
        _run_torch(torch, topt, ref, [step])
        for i, (p, q) in enumerate(zip(ours, ref)):
            assert_close(p.numpy(), q.detach().numpy(), 1e-5, f"step {step}, parameter {i}")
    _assert_state_matches(opt.state_dict(), topt.state_dict())


def _assert_state_matches(ours, ref):
    assert sorted(ours["state"]) == sorted(ref["state"])
    for index, state in ref["state"].items():
        assert sorted(ours["state"][index]) == sorted(state)
        for key, value in state.items():
            assert isinstance(ours["state"][index][key], np.ndarray)
            assert_close(ours["state"][index][key], value.numpy(), 1e-5, f"state {index}.{key}")
    for group, ref_group in zip(ours["param_groups"], ref["param_groups"]):
        for key, value in group.items():
            assert ref_group[key] == value, key


@pytest.mark.parametrize("name, kwargs", CONFIGS, ids=IDS)
def test_state_dict_round_trip_resumes_exactly(name, kwargs):
    """Five steps, save, load into a fresh optimizer over copied parameters, five more steps:
    identical to ten uninterrupted steps, and to torch's ten steps."""
    torch = torch_or_skip()
    ours, opt, ref, topt = _make(torch, name, kwargs)
    _run_ours(opt, ours, range(5))
    saved = opt.state_dict()
    # What a safetensors/JSON checkpoint gives back: string keys, fresh arrays.
    saved = {"state": {str(i): {k: np.array(v) for k, v in s.items()} for i, s in saved["state"].items()},
             "param_groups": [dict(g) for g in saved["param_groups"]]}
    resumed = [barenet.tensor(p.numpy(), requires_grad=True) for p in ours]
    opt2 = getattr(optim, name)(resumed, lr=123.0)  # hyper-parameters come back from the checkpoint
    opt2.load_state_dict(saved)
    _run_ours(opt, ours, range(5, 10))
    _run_ours(opt2, resumed, range(5, 10))
    _run_torch(torch, topt, ref, range(10))
    for p, q, r in zip(ours, resumed, ref):
        assert np.array_equal(p.numpy(), q.numpy())
        assert_close(q.numpy(), r.detach().numpy(), 1e-5)


def test_loads_a_torch_state_dict():
    """A torch optimizer's state (tensors turned into arrays) resumes in barenet."""
    torch = torch_or_skip()
    ours, opt, ref, topt = _make(torch, "Adam", {"lr": 1e-2, "amsgrad": True})
    _run_torch(torch, topt, ref, range(5))
    state = topt.state_dict()
    opt.load_state_dict({"state": {i: {k: v.numpy() for k, v in s.items()} for i, s in state["state"].items()},
                         "param_groups": state["param_groups"]})
    for p, q in zip(ours, ref):
        p.data[...] = q.detach().numpy()
    _run_torch(torch, topt, ref, range(5, 10))
    _run_ours(opt, ours, range(5, 10))
    for p, q in zip(ours, ref):
        assert_close(p.numpy(), q.detach().numpy(), 1e-5)


def test_param_groups_with_own_hyperparameters():
    torch = torch_or_skip()
    values = _initial()
    ours = [barenet.tensor(v, requires_grad=True) for v in values]
    ref = [torch.tensor(v, requires_grad=True) for v in values]
    opt = optim.SGD([{"params": ours[:2]}, {"params": ours[2:], "lr": 0.5, "momentum": 0.0}], lr=0.1, momentum=0.9)
    topt = torch.optim.SGD([{"params": ref[:2]}, {"params": ref[2:], "lr": 0.5, "momentum": 0.0}], lr=0.1, momentum=0.9)
    _run_ours(opt, ours, range(4))
    _run_torch(torch, topt, ref, range(4))
    for p, q in zip(ours, ref):
        assert_close(p.numpy(), q.detach().numpy(), 1e-5)
    assert opt.state_dict()["param_groups"][1]["params"] == [2]


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop"])
def test_step_leaves_gradients_untouched_and_skips_missing_ones(name):
    a, b = barenet.tensor([1.0, 2.0], requires_grad=True), barenet.tensor([3.0], requires_grad=True)
    g = np.array([0.5, -0.5], dtype=np.float32)
    a.grad = barenet.Tensor._wrap(g)
    kwargs = {"momentum": 0.9, "weight_decay": 0.1} if name in ("SGD", "RMSprop") else {"weight_decay": 0.1}
    opt = getattr(optim, name)([a, b], lr=0.1, **kwargs)
    opt.step()
    opt.step()
    assert np.array_equal(g, [0.5, -0.5]) and a.grad.data is g
    assert float(b.numpy()[0]) == 3.0 and b not in opt.state


def test_zero_grad():
    p = barenet.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([p])
    g = np.array([1.0, 1.0], dtype=np.float32)
    p.grad = barenet.Tensor._wrap(g)
    opt.zero_grad(set_to_none=False)  # in place, as PyTorch's
    assert p.grad.data is g and np.array_equal(g, [0.0, 0.0])
    opt.zero_grad()
    assert p.grad is None


def test_closure_is_evaluated():
    p = barenet.tensor([2.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    assert float(opt.step(closure)) == 4.0
    assert float(p.numpy()[0]) == 1.0


def test_repr_lists_groups():
    text = repr(optim.Adam([barenet.zeros(1, requires_grad=True)], lr=0.5))
    assert text.startswith("Adam (") and "Parameter Group 0" in text and "lr: 0.5" in text


P = [barenet.zeros(2, requires_grad=True)]


@pytest.mark.parametrize("make, error, match", [
    (lambda: optim.SGD(P, lr=-0.1), ValueError, r"SGD: invalid lr. Expected lr >= 0. Received: lr=-0.1"),
    (lambda: optim.SGD(P, momentum=-1), ValueError, r"invalid momentum"),
    (lambda: optim.SGD(P, nesterov=True), ValueError,
     r"nesterov momentum requires momentum > 0 and dampening = 0. Received: momentum=0.0, dampening=0.0"),
    (lambda: optim.SGD(P, momentum=0.9, dampening=0.1, nesterov=True), ValueError, r"dampening=0.1"),
    (lambda: optim.Adam(P, betas=(0.9, 1.0)), ValueError, r"Adam: invalid beta parameter at index 1"),
    (lambda: optim.AdamW(P, eps=-1e-8), ValueError, r"AdamW: invalid eps"),
    (lambda: optim.RMSprop(P, alpha=-0.5), ValueError, r"RMSprop: invalid alpha"),
    (lambda: optim.SGD([]), ValueError, r"SGD: got an empty parameter list"),
    (lambda: optim.SGD(P[0]), TypeError, r"iterable of tensors or dicts"),
    (lambda: optim.SGD([np.zeros(2)]), TypeError, r"can only optimize Tensors. Received: ndarray"),
    (lambda: optim.SGD([P[0] * 2]), ValueError, r"non-leaf"),
    (lambda: optim.SGD([{"params": P}, {"params": P}]), ValueError, r"appears more than once"),
])
def test_errors(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_load_state_dict_mismatch():
    opt = optim.SGD([barenet.zeros(2, requires_grad=True), barenet.zeros(1, requires_grad=True)])
    other = optim.SGD([barenet.zeros(2, requires_grad=True)])
    with pytest.raises(ValueError, match=r"parameter group 0 has 1 parameters in the state dict, 2 in the optimizer"):
        opt.load_state_dict(other.state_dict())


@pytest.mark.parametrize("call, match", [
    (lambda m, o: optim.SGD(3, lr=0.1), r"SGD: params must be an iterable of tensors or dicts \(model.parameters\(\)\). Received: int"),
    (lambda m, o: o.add_param_group([1]), r"SGD.add_param_group: expects a dict with a 'params' entry. Received: list"),
    (lambda m, o: o.add_param_group({"lr": 0.1}), r"SGD.add_param_group: expects a dict with a 'params' entry"),
    (lambda m, o: o.add_param_group({"params": 5}), r"SGD: a group's params must be tensors. Received: int"),
    (lambda m, o: o.load_state_dict(None), r"SGD.load_state_dict: expects a dict with 'state' \(a dict\) and 'param_groups'"),
    (lambda m, o: o.load_state_dict({"state": 1, "param_groups": 2}), r"SGD.load_state_dict: expects a dict"),
    (lambda m, o: optim.lr_scheduler.StepLR(o, 1).load_state_dict("a"), r"StepLR.load_state_dict: expects the dict"),
])
def test_bad_arguments_name_the_optimizer_or_schedule(call, match):
    model = barenet.nn.Linear(2, 2)
    with pytest.raises(TypeError, match=match):
        call(model, optim.SGD(model.parameters(), lr=0.1))
