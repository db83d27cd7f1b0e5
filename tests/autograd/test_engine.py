"""The backward traversal: deep graphs, shared subgraphs, accumulation, retain_graph, hooks, grad mode."""
import threading

import numpy as np
import pytest

import barenet
from barenet import Function


def leaf(values, dtype=barenet.float64):
    return barenet.tensor(values, dtype=dtype, requires_grad=True)


# ----- depth and shape of the graph ------------------------------------------------------------
def test_deep_residual_graph_needs_no_recursion():
    """h_{k+1} = h_k + a * h_k over 3000 blocks (~9000 nodes, far past Python's recursion limit).

    sum(h_n) = (1 + a)^n sum(x): d/dx = (1 + a)^n, d/da = n (1 + a)^(n-1) sum(x).
    """
    n, a0 = 3000, 1e-4
    x, a = leaf([0.5, -1.0, 2.0]), leaf(a0)
    h = x
    for _ in range(n):
        h = h + a * h
    h.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full(3, (1 + a0) ** n), rtol=1e-10)
    np.testing.assert_allclose(a.grad.item(), n * (1 + a0) ** (n - 1) * 1.5, rtol=1e-10)


def test_deep_chain_with_retained_graph_is_freed_without_crash():
    x = leaf([1.0])
    h = x
    for _ in range(20000):
        h = h * 1.0
    h.backward(retain_graph=True)
    h.backward()
    assert x.grad.item() == 2.0
    del h  # dropping a 20000-deep graph must not overflow the C stack


def test_diamond_graph_sums_both_paths():
    x = leaf([1.5])
    y = x * 2
    z = y * 3 + y * 4 + y.exp() * 0  # y feeds three ops
    z.backward()
    assert x.grad.item() == pytest.approx(14.0)


def test_same_tensor_twice_in_one_op():
    a = leaf([1.0, -2.0])
    (a + a).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [2.0, 2.0])
    a.grad = None
    (a * a).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [2.0, -4.0])


def test_unused_branch_and_non_grad_inputs():
    x, c = leaf([1.0, 2.0]), barenet.tensor([3.0, 4.0], dtype=barenet.float64)
    _unused = x * 5
    (x * c).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 4.0])
    assert c.grad is None


def test_backward_from_a_leaf():
    x = leaf(2.0)
    x.backward()
    assert x.grad.item() == 1.0


# ----- gradients accumulate in place, never alias --------------------------------------------------
def test_gradients_accumulate_in_place_across_backward_calls():
    """As in PyTorch: a later backward adds into the same .grad, which any reference to it sees."""
    x = leaf([1.0, 2.0])
    (x * 3).sum().backward()
    first = x.grad
    (x * x).sum().backward()
    assert x.grad is first
    np.testing.assert_array_equal(first.numpy(), [5.0, 7.0])


def test_gradient_accumulation_is_observed_as_in_pytorch():
    torch = pytest.importorskip("torch")
    seen = {}
    for lib in (barenet, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        (x * 3).sum().backward()
        first = x.grad
        (x * x).sum().backward()
        x.grad.data[0] = 0.0  # a write through .grad reaches the reference taken before
        seen[lib.__name__] = (np.asarray(first.detach().numpy() if lib is torch else first.numpy()).tolist(),
                              x.grad is first)
    assert seen["barenet"] == seen["torch"]


def test_leaves_never_share_a_gradient_array():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (a + b).sum().backward()  # Add hands the same upstream array to both inputs
    assert not np.shares_memory(a.grad.data, b.grad.data)
    a.grad.data *= 10  # an optimizer scaling one gradient in place must not touch the other
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 1.0])


def test_grads_are_writeable_and_not_aliasing_the_callers_gradient():
    x = leaf(np.ones((2, 3)))
    x.sum().backward()  # the Sum backward is a read-only broadcast view
    assert x.grad.data.flags.writeable and x.grad.data.strides != (0, 0)
    y = leaf([1.0, 2.0])
    upstream = np.array([5.0, 6.0])
    (y + 0).backward(upstream)
    upstream[0] = -1.0
    np.testing.assert_array_equal(y.grad.numpy(), [5.0, 6.0])


def test_leaf_gradient_has_the_leaf_dtype():
    x = leaf([1.0, 2.0], dtype=barenet.float32)
    y = x * np.array([2.0, 3.0])  # a float64 array promotes the result, as in PyTorch
    assert y.dtype == np.float64
    y.sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 3.0])


# ----- retain_graph -------------------------------------------------------------------------------
def test_retain_graph_allows_a_second_backward():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 8.0])


def test_second_backward_without_retain_graph_is_a_clear_error():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time.*retain_graph=True"):
        y.backward()


def test_shared_subgraph_freed_by_the_first_backward():
    x = leaf([1.0])
    y = x * 2
    (y + 1).backward()
    with pytest.raises(RuntimeError, match="a second time"):
        (y + 2).backward()


def test_backward_frees_saved_arrays():
    x = leaf([1.0, 2.0])
    y = x.exp()
    node = y.grad_fn
    y.sum().backward()
    assert not hasattr(node, "y") and node.inputs is None


# ----- backward arguments ----------------------------------------------------------------------------
def test_backward_argument_errors():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"gradient can be omitted only for a scalar output.*shape=\(2,\)"):
        (x * 2).backward()
    with pytest.raises(ValueError, match=r"gradient must have the tensor's shape.*gradient.shape=\(3,\)"):
        (x * 2).backward(np.ones(3))
    with pytest.raises(RuntimeError, match="does not require grad"):
        barenet.tensor([1.0]).sum().backward()
    with pytest.raises(RuntimeError, match="create_graph=True needs higher-order gradients"):
        (x * 2).sum().backward(create_graph=True)


def test_backward_with_gradient_tensor():
    x = leaf([1.0, 2.0])
    (x * 2).backward(barenet.tensor([1.0, -1.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, -2.0])


# ----- hooks and retain_grad ----------------------------------------------------------------------------
def test_hooks_see_and_replace_gradients():
    x = leaf([1.0, 2.0])
    seen = []
    y = x * 3
    y.register_hook(lambda g: seen.append(g.numpy().copy()))
    handle = x.register_hook(lambda g: g * 10)
    (y * 2).sum().backward()
    np.testing.assert_array_equal(seen[0], [2.0, 2.0])
    np.testing.assert_array_equal(x.grad.numpy(), [60.0, 60.0])
    handle.remove()
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


def test_hook_on_intermediate_changes_upstream_gradients():
    x = leaf([1.0])
    y = x * 2
    y.register_hook(lambda g: g * 0)
    (y * 5).backward()
    assert x.grad.item() == 0.0


def test_hooks_run_without_recording_and_check_shapes():
    x = leaf([1.0, 2.0])
    modes = []
    x.register_hook(lambda g: modes.append(barenet.is_grad_enabled()))
    (x * 2).sum().backward()
    assert modes == [False]
    z = leaf([1.0, 2.0])
    z.register_hook(lambda g: barenet.ones(3))
    with pytest.raises(RuntimeError, match=r"hook: returned a gradient of shape \(3,\) for a tensor of shape \(2,\)"):
        (z * 2).sum().backward()
    with pytest.raises(RuntimeError, match="register_hook: cannot register a hook"):
        barenet.tensor([1.0]).register_hook(print)


def test_retain_grad():
    x = leaf([1.0, 2.0])
    y = x * 3
    y.retain_grad()
    z = y * y
    (z.sum()).backward()
    np.testing.assert_array_equal(y.grad.numpy(), [6.0, 12.0])
    assert z.grad is None
    with pytest.raises(RuntimeError, match="retain_grad: can't retain"):
        barenet.tensor([1.0]).retain_grad()


# ----- grad mode -------------------------------------------------------------------------------------
def test_no_grad_context_manager_and_decorators():
    x = leaf([1.0])
    with barenet.no_grad():
        assert not (x * 2).requires_grad
        with barenet.enable_grad():
            assert (x * 2).requires_grad
        assert not barenet.is_grad_enabled()
    assert barenet.is_grad_enabled()

    @barenet.no_grad()
    def with_parentheses():
        return x * 2

    @barenet.no_grad
    def bare():
        return x * 2

    assert not with_parentheses().requires_grad and not bare().requires_grad
    assert bare.__name__ == "bare" and barenet.is_grad_enabled()


def test_no_grad_restores_the_mode_after_an_exception():
    with pytest.raises(KeyError):
        with barenet.no_grad():
            raise KeyError
    assert barenet.is_grad_enabled()

    @barenet.no_grad()
    def fails():
        raise KeyError

    with pytest.raises(KeyError):
        fails()
    assert barenet.is_grad_enabled()


def test_set_grad_enabled_as_call_context_and_decorator():
    x = leaf([1.0])
    barenet.set_grad_enabled(False)
    try:
        assert not (x * 2).requires_grad
    finally:
        barenet.set_grad_enabled(True)
    with barenet.set_grad_enabled(False):
        assert not barenet.is_grad_enabled()
    assert barenet.is_grad_enabled()

    @barenet.set_grad_enabled(False)
    def inference():
        return barenet.is_grad_enabled()

    assert barenet.is_grad_enabled()  # decorating does not switch the caller's mode
    assert inference() is False and barenet.is_grad_enabled()


def test_grad_mode_is_per_thread():
    result = []
    with barenet.no_grad():
        thread = threading.Thread(target=lambda: result.append(barenet.is_grad_enabled()))
        thread.start()
        thread.join()
    assert result == [True]


# ----- Function contract ---------------------------------------------------------------------------
class Scale(Function):
    """y = k x; records what needs_input_grad said during forward."""

    def forward(self, x, k):
        self.k, self.seen = k, self.needs_input_grad
        return x * k

    def backward(self, gy):
        return gy * self.k, None


def test_function_sees_needs_input_grad_and_records_only_when_needed():
    x = leaf([1.0, 2.0])
    y = Scale()(x, 3.0)
    assert y.grad_fn.seen == (True, False)
    plain = Scale()(barenet.tensor([1.0]), 3.0)
    assert plain.grad_fn is None and not plain.requires_grad
    with barenet.no_grad():
        assert Scale()(x, 3.0).grad_fn is None
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


class WrongShape(Function):
    def forward(self, x):
        return x.sum()

    def backward(self, gy):
        return gy.reshape(1)


class TooFew(Function):
    """Returns a gradient for ``a`` only: fine while ``b`` needs none."""

    def forward(self, a, b):
        self.b = b
        return a * b

    def backward(self, gy):
        return (gy * self.b,)


def test_function_contract_errors_name_the_op():
    with pytest.raises(RuntimeError, match=r"<WrongShapeBackward>: backward returned a gradient of shape \(1,\)"):
        WrongShape()(leaf([1.0, 2.0])).backward()
    with pytest.raises(RuntimeError, match=r"<TooFewBackward>: backward returned 1 gradients for 2 inputs"):
        TooFew()(leaf([1.0]), leaf([2.0])).sum().backward()
    a = leaf([1.0])
    TooFew()(a, barenet.tensor([2.0], dtype=barenet.float64)).sum().backward()  # b needs none: fine
    assert a.grad.item() == 2.0
