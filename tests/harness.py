"""One harness for every op test: finite differences always, PyTorch parity when torch is installed.

``check_grad(fn, *arrays)`` runs ``barenet.gradcheck`` in float64 on the float arrays.
``check_torch(fn, torch_fn, *arrays)`` runs both frameworks in float32 on the same inputs and
the same upstream gradient, and compares the output and every input's gradient within
``rtol`` of their scale; on failure it prints both readably.
"""
from __future__ import annotations

import numpy as np
import pytest

import barenet


def torch_or_skip():
    return pytest.importorskip("torch")


def _as_inputs(arrays, dtype, wrap):
    out = []
    for a in arrays:
        if isinstance(a, np.ndarray) and a.dtype.kind == "f":
            out.append(wrap(a.astype(dtype), True))
        elif isinstance(a, np.ndarray):
            out.append(wrap(a, False))
        else:
            out.append(a)
    return out


def check_grad(fn, *arrays, atol=1e-5, rtol=1e-3, eps=1e-6):
    """Finite-difference check of ``fn`` on float64 copies of ``arrays``."""
    inputs = _as_inputs(arrays, np.float64, lambda a, g: barenet.tensor(a, requires_grad=g))
    assert barenet.gradcheck(fn, inputs, eps=eps, atol=atol, rtol=rtol)


def assert_close(actual, expected, rtol=1e-4, what="output"):
    """``|actual - expected| <= rtol * max(1, max|expected|)`` elementwise."""
    actual, expected = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != expected {expected.shape}"
    scale = max(1.0, float(np.abs(expected).max(initial=0.0)))
    err = np.abs(actual - expected)
    if err.size and err.max() > rtol * scale:
        i = np.unravel_index(np.argmax(err), err.shape)
        raise AssertionError(
            f"{what}: max abs error {err.max():.3g} at {i} exceeds {rtol:g} x scale {scale:.3g}: "
            f"barenet={actual[i]:.7g}, reference={expected[i]:.7g}"
        )


def check_torch(fn, torch_fn, *arrays, rtol=1e-4, grad=True, seed=0):
    """Compare ``fn`` (barenet) with ``torch_fn`` (PyTorch) on float32 copies of ``arrays``."""
    torch = torch_or_skip()
    bn_in = _as_inputs(arrays, np.float32, lambda a, g: barenet.tensor(a, requires_grad=g and grad))
    th_in = _as_inputs(arrays, np.float32, lambda a, g: torch.tensor(a, requires_grad=g and grad))
    out = fn(*bn_in)
    ref = torch_fn(*th_in)
    assert_close(out.numpy(), ref.detach().numpy(), rtol, "forward")
    if not grad or not ref.requires_grad:
        return out
    upstream = np.random.default_rng(seed).standard_normal(ref.shape).astype(np.float32)
    out.backward(barenet.tensor(upstream))
    ref.backward(torch.tensor(upstream))
    for k, (b, t) in enumerate(zip(bn_in, th_in)):
        if isinstance(t, torch.Tensor) and t.requires_grad:
            assert b.grad is not None, f"input {k}: barenet computed no gradient"
            assert_close(b.grad.numpy(), t.grad.numpy(), rtol, f"gradient of input {k}")
    return out


def tie_free(rng, *shape, dtype=np.float64):
    """Distinct values spaced >= 0.05 apart in random order: max-based ops can't tie or flake."""
    n = int(np.prod(shape))
    return (rng.permutation(n) * 0.05 - n * 0.025).reshape(shape).astype(dtype)


def assert_sgd_step_trains_every_parameter(model, loss, name: str = ""):
    """Backward through ``loss``, take one SGD step, and check that every parameter of ``model``
    got a finite gradient and changed."""
    from barenet import optim

    prefix = f"{name}: " if name else ""
    assert np.isfinite(loss.item()), f"{prefix}loss is not finite"
    loss.backward()
    before = {k: p.numpy().copy() for k, p in model.named_parameters()}
    optim.SGD(model.parameters(), lr=0.1).step()
    for key, p in model.named_parameters():
        assert p.grad is not None, f"{prefix}{key} got no gradient"
        assert np.isfinite(p.grad.numpy()).all(), f"{prefix}{key} has a non-finite gradient"
        assert not np.array_equal(p.numpy(), before[key]), f"{prefix}{key} did not change after an SGD step"


def output_shapes(model, names, run):
    """Call ``run()`` under ``no_grad`` with forward hooks on the submodules of ``model`` called
    ``names`` (paths as ``get_submodule`` takes them; ints index a Sequential); return
    ``({name: output shape}, what run returned)``. The hooks are removed afterwards."""
    shapes = {}
    handles = [model.get_submodule(str(name)).register_forward_hook(
        lambda m, i, o, name=name: shapes.__setitem__(name, o.shape)) for name in names]
    try:
        with barenet.no_grad():
            result = run()
    finally:
        for handle in handles:
            handle.remove()
    return shapes, result
