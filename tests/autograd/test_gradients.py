"""``barenet.autograd.grad`` against ``torch.autograd.grad``: values, shapes, what is left
untouched (``.grad``), unused inputs, several outputs, and errors."""
import numpy as np
import pytest

import barenet
from barenet.autograd import grad


def _program(lib, x, w):
    hidden = (x @ w).tanh()  # a non-leaf input of grad below
    return hidden, (hidden * hidden).sum(), (x * 2).sum()


def test_matches_torch_and_leaves_grad_untouched(rng):
    torch = pytest.importorskip("torch")
    x0, w0, g0 = rng.standard_normal((3, 4)), rng.standard_normal((4, 2)), rng.standard_normal((3, 2))
    results = []
    for lib, grad_fn in ((barenet, grad), (torch, torch.autograd.grad)):
        x, w = lib.tensor(x0, requires_grad=True), lib.tensor(w0, requires_grad=True)
        hidden, loss, other = _program(lib, x, w)
        first = grad_fn(loss, [x, w, hidden], retain_graph=True)
        vjp = grad_fn(hidden, w, grad_outputs=lib.tensor(g0), retain_graph=True)
        both = grad_fn([loss, other], [x])  # two outputs: their gradients add up
        assert x.grad is None and w.grad is None  # (a non-leaf has no .grad either way)
        results.append([np.asarray(t.detach().numpy() if lib is torch else t.numpy()) for t in first + vjp + both])
    for ours, ref in zip(*results):
        assert ours.shape == ref.shape and np.allclose(ours, ref, rtol=1e-12)


def test_unused_inputs_and_a_freed_graph():
    torch = pytest.importorskip("torch")
    for lib, grad_fn in ((barenet, grad), (torch, torch.autograd.grad)):
        a, b = lib.ones(2, requires_grad=True), lib.ones(2, requires_grad=True)
        loss = (a * 3).sum()
        with pytest.raises(RuntimeError, match="not used|appears to not have been used"):
            grad_fn(loss, [a, b], retain_graph=True)
        got = grad_fn(loss, [a, b], allow_unused=True)
        assert got[1] is None and got[0].tolist() == [3.0, 3.0]
        with pytest.raises(RuntimeError, match="second time"):
            grad_fn(loss, a)


def test_gradient_arrays_are_the_callers_own():
    x = barenet.ones(3, requires_grad=True)
    y = barenet.ones(3, requires_grad=True)
    gx, gy = grad((x + y).sum(), [x, y])  # add hands both inputs one array
    gx.data[0] = 7.0
    assert gy.tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("call, error, match", [
    (lambda x: grad(x.sum(), barenet.ones(2)), RuntimeError, r"grad: an input of shape \(2,\) does not require grad"),
    (lambda x: grad(barenet.ones(2).sum(), x), RuntimeError, r"grad: an output of shape \(\) does not require grad"),
    (lambda x: grad(x * 2, x), RuntimeError, r"grad: grad_outputs can be omitted only for one-element outputs"),
    (lambda x: grad(x * 2, x, grad_outputs=barenet.ones(3)), ValueError, r"grad: a grad_outputs entry has shape \(3,\)"),
    (lambda x: grad([x.sum(), x.sum()], x, grad_outputs=[None]), ValueError, r"one grad_outputs entry per output \(2\)"),
    (lambda x: grad(x.sum(), "x"), TypeError, r"grad: inputs must be a Tensor or a non-empty sequence of Tensors"),
    (lambda x: grad(x.sum(), x, create_graph=True), RuntimeError, r"grad: create_graph=True needs higher-order"),
])
def test_errors(call, error, match):
    with pytest.raises(error, match=match):
        call(barenet.ones(2, requires_grad=True))
