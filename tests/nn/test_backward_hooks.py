"""Module backward hooks against PyTorch's: what the hooks see, what their returns change."""
import numpy as np
import pytest

import barenet


def _grads(lib, *tensors):
    return [None if t.grad is None else np.asarray(t.grad.detach().numpy() if lib.__name__ == "torch" else t.grad.numpy())
            for t in tensors]


def _arrays(lib, grads):
    return [None if g is None else np.asarray(g.detach().numpy() if lib.__name__ == "torch" else g.numpy()) for g in grads]


def _linear(lib):
    layer = lib.nn.Linear(3, 2).double()
    w, b = np.random.default_rng(0).standard_normal((2, 4)).T[:3].T, np.array([0.5, -1.0])
    with lib.no_grad():
        layer.weight.copy_(lib.tensor(np.ascontiguousarray(w)))
        layer.bias.copy_(lib.tensor(b))
    return layer


@pytest.mark.filterwarnings("ignore:Full backward hook is firing")  # torch's note for the case without input grads
@pytest.mark.parametrize("case", ["see", "replace_input", "replace_output", "input_without_grad", "removed"])
def test_single_input_layer_as_torch(case):
    torch = pytest.importorskip("torch")
    x0 = np.random.default_rng(1).standard_normal((4, 3))
    results = []
    for lib in (barenet, torch):
        layer, seen = _linear(lib), []
        x = lib.tensor(x0, requires_grad=case != "input_without_grad")

        def hook(module, grad_input, grad_output):
            seen.append(_arrays(lib, grad_input) + _arrays(lib, grad_output))
            return (grad_input[0] * 3,) if case == "replace_input" else None

        def pre_hook(module, grad_output):
            return (grad_output[0] * -2,) if case == "replace_output" else None

        handle = layer.register_full_backward_hook(hook)
        layer.register_full_backward_pre_hook(pre_hook)
        if case == "removed":
            handle.remove()
        (layer(x) ** 2).sum().backward()
        results.append((seen, _grads(lib, x, layer.weight, layer.bias)))
    (ours_seen, ours), (ref_seen, ref) = results
    assert len(ours_seen) == len(ref_seen) == (0 if case == "removed" else 1)
    for a, b in zip(sum(ours_seen, []) + ours, sum(ref_seen, []) + ref):
        assert (a is None) == (b is None) and (a is None or np.allclose(a, b, rtol=1e-12))


class _Product(barenet.nn.Module):
    def forward(self, a, b):
        return a * b, a + b


def test_two_inputs_and_two_outputs_seen_as_torch():
    torch = pytest.importorskip("torch")
    a0, b0 = np.random.default_rng(2).standard_normal((2, 3, 3))

    class TorchProduct(torch.nn.Module):
        def forward(self, a, b):
            return a * b, a + b

    results = []
    for lib, module in ((barenet, _Product()), (torch, TorchProduct())):
        seen = []
        module.register_full_backward_hook(lambda m, gi, go: seen.append(_arrays(lib, gi) + _arrays(lib, go)))
        a, b = lib.tensor(a0, requires_grad=True), lib.tensor(b0, requires_grad=True)
        prod, total = module(a, b)
        (prod.sum() * 2 + (total ** 2).sum()).backward()
        results.append(sum(seen, []) + _grads(lib, a, b))
    assert len(results[0]) == len(results[1]) == 6
    for x, y in zip(*results):
        assert np.allclose(x, y, rtol=1e-12)


def test_replacing_an_earlier_input_gradient_is_refused():
    module = _Product()
    module.register_full_backward_hook(lambda m, gi, go: tuple(g * 0 for g in gi))
    a, b = barenet.ones(3, requires_grad=True), barenet.ones(3, requires_grad=True)
    prod, _ = module(a, b)
    with pytest.raises(RuntimeError, match="only the gradient that arrives last can be replaced"):
        prod.sum().backward()


def test_no_hooks_run_under_no_grad_and_shapes_are_checked():
    layer, calls = barenet.nn.Linear(3, 2), []
    layer.register_full_backward_hook(lambda m, gi, go: calls.append(1))
    with barenet.no_grad():
        layer(barenet.ones(1, 3))
    assert not calls
    layer.register_full_backward_hook(lambda m, gi, go: (barenet.ones(5),))
    with pytest.raises(RuntimeError, match=r"the hook returned a gradient of shape \(5,\) for one of \(1, 3\)"):
        layer(barenet.ones(1, 3, requires_grad=True)).sum().backward()
