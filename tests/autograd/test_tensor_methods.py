"""In-place methods, ``new_*`` constructors, whole-tensor comparisons and the argument checks of
the selection methods (their values and gradients are in test_ops.py's tables)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import barenet

INPLACE = [
    ("add_", lambda t, o: t.add_(o)), ("add_alpha", lambda t, o: t.add_(o, alpha=-2.5)),
    ("sub_", lambda t, o: t.sub_(o)), ("sub_alpha", lambda t, o: t.sub_(o, alpha=0.5)),
    ("mul_", lambda t, o: t.mul_(o)), ("div_", lambda t, o: t.div_(o)),
    ("clamp_", lambda t, o: t.clamp_(-0.5, 0.5)), ("clamp_min", lambda t, o: t.clamp_(min=0.1)),
    ("clip_max", lambda t, o: t.clip_(max=0.0)), ("fill_", lambda t, o: t.fill_(2.5)),
    ("copy_", lambda t, o: t.copy_(o)), ("zero_", lambda t, o: t.zero_()),
]


@pytest.mark.parametrize("name, op", INPLACE, ids=[c[0] for c in INPLACE])
def test_in_place_methods_match_torch(name, op, rng):
    torch = pytest.importorskip("torch")
    x, other = rng.standard_normal((3, 4)), rng.uniform(0.5, 2.0, (4,))  # other broadcasts over the rows
    ours, ref = barenet.tensor(x), torch.tensor(x)
    back = op(ours, barenet.tensor(other))
    op(ref, torch.tensor(other))
    assert back is ours  # the tensor itself, for chaining
    np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-15)


def test_in_place_on_a_parameter_needs_no_grad():
    w = barenet.ones(3, requires_grad=True)
    for call in (lambda: w.add_(1.0), lambda: w.mul_(2.0), lambda: w.clamp_(0, 1), lambda: w.fill_(0.0),
                 lambda: w.copy_(np.zeros(3)), lambda: w.zero_()):
        with pytest.raises(RuntimeError, match="an in-place change of a tensor that requires grad"):
            call()
    with barenet.no_grad():
        w.mul_(3.0).sub_(barenet.ones(3), alpha=0.5)  # an optimizer's update
    assert w.numpy().tolist() == [2.5, 2.5, 2.5] and w.requires_grad
    y = w * 2
    with barenet.no_grad(), pytest.raises(RuntimeError, match="add_"):
        y.add_(1.0)  # a non-leaf: its array may be saved for a backward pass


def test_in_place_keeps_shape_and_dtype():
    t = barenet.zeros(3)
    with pytest.raises(ValueError, match=r"add_: the other operand's shape \(2, 3\) does not broadcast to "
                                         r"this tensor's shape \(3,\)"):
        t.add_(barenet.ones(2, 3))
    ints = barenet.tensor([1, 2, 3])
    with pytest.raises(TypeError, match="div_: the result is floating-point, which this int64 tensor can't hold"):
        ints.div_(2)
    with pytest.raises(TypeError, match="add_: the result is floating-point"):
        ints.add_(1.5)
    assert ints.add_(2).numpy().tolist() == [3, 4, 5]
    with pytest.raises(ValueError, match="clamp_: at least one of min and max"):
        t.clamp_()


def test_new_tensors_take_dtype_and_device_from_self():
    torch = pytest.importorskip("torch")
    for dtype in ("float64", "int64", "float32"):
        ours, ref = barenet.ones(2, dtype=getattr(barenet, dtype)), torch.ones(2, dtype=getattr(torch, dtype))
        cases = [(lambda t: t.new_zeros(2, 3)), (lambda t: t.new_ones((1, 2))), (lambda t: t.new_full((2,), 7)),
                 (lambda t: t.new_tensor([1.5, 2.0])), (lambda t: t.new_zeros(2, dtype=t.new_tensor(1).dtype)),
                 (lambda t: t.new_empty(3, 1))]
        for make in cases:
            a, b = make(ours), make(ref)
            assert a.shape == tuple(b.shape) and str(a.dtype) == str(b.dtype).replace("torch.", "")
            if make is not cases[-1]:
                assert a.numpy().tolist() == b.numpy().tolist()
            assert not a.requires_grad
    for make in (lambda t, d: t.new_zeros(2, dtype=d), lambda t, d: t.new_full((2,), 1, dtype=d),
                 lambda t, d: t.new_empty(2, dtype=d), lambda t, d: t.new_tensor([1, 2], dtype=d)):
        assert make(barenet.ones(1), barenet.float64).dtype == np.float64  # a given dtype wins over self's
    grad = barenet.ones(1).new_tensor([1.0, 2.0], requires_grad=True)
    assert grad.requires_grad and grad.is_leaf
    source = barenet.tensor([1.0, 2.0])
    copy = barenet.ones(1).new_tensor(source)
    source.fill_(0.0)
    assert copy.numpy().tolist() == [1.0, 2.0]  # new_tensor copies
    with pytest.raises(ValueError, match=r"new_zeros: size must be an int >= 0. Received: size=-1"):
        barenet.ones(1).new_zeros(2, -1)


def test_equal_and_allclose():
    a = barenet.tensor([1.0, 2.0, 3.0])
    assert a.equal(barenet.tensor([1.0, 2.0, 3.0])) is True
    assert a.equal(barenet.tensor([1.0, 2.0, 4.0])) is False
    assert a.equal(barenet.tensor([[1.0, 2.0, 3.0]])) is False  # another shape, even if it broadcasts
    assert a.allclose(a + 1e-9) is True and a.allclose(a + 1e-3) is False
    assert a.allclose(a + 1e-3, atol=1e-2) is True
    nan = barenet.tensor([float("nan")])
    assert nan.allclose(nan) is False and nan.allclose(nan, equal_nan=True) is True


def test_float_functions_of_integers_are_float32():
    torch = pytest.importorskip("torch")
    for name in ("exp", "log", "sqrt", "expm1", "log1p", "reciprocal", "rsqrt", "sin", "cos"):
        ours, ref = getattr(barenet.tensor([1, 2]), name)(), getattr(torch.tensor([1, 2]), name)()
        assert str(ours.dtype) == "float32" == str(ref.dtype).replace("torch.", "")
        np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-6)


@pytest.mark.parametrize("call, error, match", [
    (lambda x: x.gather(1, barenet.tensor([[0, 1]])), ValueError,
     r"gather: index must be an integer tensor with the input's 3 dims"),
    (lambda x: x.gather(1, barenet.tensor([[[0.0]]])), ValueError, r"gather: index must be an integer tensor"),
    (lambda x: x.gather(1, barenet.zeros(3, 1, 1, dtype=barenet.int64)), ValueError,
     r"no larger on the dims other than 1"),
    (lambda x: x.gather(2, barenet.tensor([[[4]]])), IndexError, r"gather: index 4 is out of bounds for dim 2 of size 4"),
    (lambda x: x.gather(2, barenet.tensor([[[-1]]])), IndexError, r"gather: index -1 is out of bounds"),
    (lambda x: x.gather(3, barenet.tensor([[[0]]])), IndexError, r"gather: dim 3 is out of range"),
    (lambda x: x.index_select(0, barenet.tensor([[0]])), ValueError, r"index_select: index must be a 0-D or 1-D"),
    (lambda x: x.index_select(1, barenet.tensor([3])), IndexError, r"index_select: index 3 is out of bounds for dim 1"),
    (lambda x: x.narrow(2, 3, 2), ValueError, r"narrow: start 3 \+ length 2 exceeds the size 4 of dim 2"),
    (lambda x: x.narrow(2, -5, 1), ValueError, r"narrow: start must be an int >= -4"),
    (lambda x: x.narrow(0, 0.5, 1), TypeError, r"narrow: start must be an int"),
    (lambda x: x.roll((1, 2), 0), ValueError, r"roll: expects one shift per dim"),
    (lambda x: x.roll((1, 2)), ValueError, r"roll: without dims, shifts must be one int"),
    (lambda x: x.roll(1, 5), IndexError, r"roll: dim 5 is out of range"),
    (lambda x: x.flip(0, -3), ValueError, r"flip: each dim may appear once"),
    (lambda x: x.dot(x), ValueError, r"dot: expects 1-D tensors"),
    (lambda x: x[0, 0].dot(x[0, 0, :3]), ValueError, r"dot: the sizes differ"),
    (lambda x: x[0].outer(x[0, 0]), ValueError, r"outer: expects 1-D tensors"),
    (lambda x: x.maximum(barenet.ones(5)), ValueError, r"maximum: operands of shapes \(2, 3, 4\) and \(5,\)"),
])
def test_selection_errors(call, error, match):
    with pytest.raises(error, match=match):
        call(barenet.ones(2, 3, 4))


def test_zero_dimensional_selections():
    torch = pytest.importorskip("torch")
    for lib in (barenet, torch):
        x = lib.tensor(2.5)
        index = lib.tensor(0)
        assert x.gather(0, index).item() == x.index_select(0, index).item() == x.flip(0).item() == 2.5
        assert x.roll(1).item() == 2.5
        with pytest.raises(IndexError):
            x.roll(1, 0)


def test_backward_refuses_an_input_changed_after_its_op_saved_it():
    """As PyTorch: an op that saved a tensor for its gradient raises if it was changed in place
    since; an op that needs only its shape (add) does not mind."""
    torch = pytest.importorskip("torch")
    for lib in (barenet, torch):
        w, x = lib.ones(3, requires_grad=True), lib.tensor([1.0, 2.0, 3.0])
        y = (x * w).sum()
        x.add_(1.0)
        with pytest.raises(RuntimeError, match="modified by an inplace operation|was changed in place since"):
            y.backward()
        z = (x + w).sum()
        x.mul_(2.0)
        z.backward()
        assert w.grad.tolist() == [1.0, 1.0, 1.0]
        v = (w * w).sum()
        with lib.no_grad():
            w.sub_(0.5)
        with pytest.raises(RuntimeError, match="modified by an inplace operation|changed in place"):
            v.backward()


def test_a_change_through_a_view_or_a_detached_tensor_counts():
    """PyTorch shares version counters between views and their base; barenet goes by memory."""
    torch = pytest.importorskip("torch")
    changes = [lambda x: x[0].add_(1.0), lambda x: x.detach().mul_(2.0), lambda x: x.reshape(6)[5:].zero_(),
               lambda x: x.t().fill_(0.0)]
    for change in changes:
        for lib in (barenet, torch):
            w, x = lib.ones(2, 3, requires_grad=True), lib.ones(2, 3)
            y = (x * w).sum()  # saves x for w's gradient
            change(x)
            with pytest.raises(RuntimeError, match="modified by an inplace operation|was changed in place since"):
                y.backward()
    w, x = barenet.ones(2, 3, requires_grad=True), barenet.ones(2, 3)
    v = x[1]
    y = (v * w[1]).sum()  # saves the view x[1]
    x.add_(1.0)  # the base changes under the view
    with pytest.raises(RuntimeError, match="was changed in place since"):
        y.backward()


def test_an_optimizer_step_counts_as_an_in_place_change():
    w = barenet.ones(2, requires_grad=True)
    loss = (w * w).sum()
    loss.backward(retain_graph=True)
    barenet.optim.SGD([w], lr=0.1).step()
    with pytest.raises(RuntimeError, match="was changed in place since"):
        loss.backward()  # the saved w is the updated one now
    w.grad = None
    (w * w).sum().backward()  # a new graph after the step is fine
    assert np.allclose(w.grad.numpy(), 2 * 0.8)


@pytest.mark.parametrize("call, error, match", [
    (lambda x: x + None, TypeError, r"unsupported operand type\(s\) for \+: 'Tensor' and 'NoneType'"),
    (lambda x: None * x, TypeError, r"unsupported operand type\(s\) for \*: 'NoneType' and 'Tensor'"),
    (lambda x: x @ object(), TypeError, r"unsupported operand type\(s\) for @: 'Tensor' and 'object'"),
    (lambda x: x.mul("a"), TypeError, r"mul: other must be a Tensor, a number or an array. Received: str"),
    (lambda x: x.add(None, alpha=2), TypeError, r"add: other must be a Tensor, a number or an array"),
    (lambda x: x.add_(None), TypeError, r"add_: other must be a Tensor, a number or an array"),
    (lambda x: x.clamp("a"), TypeError, r"clamp: min must be a number, a Tensor or None. Received: str"),
    (lambda x: x.clamp(max=barenet.ones(5)), ValueError, r"clamp: max of shape \(5,\) does not broadcast to the input's"),
    (lambda x: x.clamp(), ValueError, r"clamp: at least one of min and max must be given"),
    (lambda x: x.clamp_(min=barenet.ones(2, 3, 4, 1)), ValueError, r"clamp_: min of shape \(2, 3, 4, 1\) does not"),
    (lambda x: x.sum(dim="a"), TypeError, r"sum: dim must be an int. Received: dim='a'"),
    (lambda x: x.gather(None, barenet.zeros(2, 3, 4, dtype=barenet.int64)), TypeError, r"gather: dim must be an int"),
    (lambda x: x.roll(1, "a"), TypeError, r"roll: dims must be an int"),
    (lambda x: x.new_full(2, "a"), TypeError, r"new_full: fill_value must be a number. Received: str"),
    (lambda x: x.new_tensor("a"), TypeError, r"new_tensor: could not make float32 numbers of str"),
    (lambda x: x.logical_and(barenet.ones(5)), ValueError, r"logical_and: shapes \(2, 3, 4\) and \(5,\) do not broadcast"),
    (lambda x: x.allclose(1.0), TypeError, r"allclose: other must be a Tensor. Received: float"),
    (lambda x: x.allclose(barenet.ones(5)), ValueError, r"allclose: other's shape \(5,\) does not broadcast"),
    (lambda x: x.maximum(0.0), TypeError, r"maximum: other must be a Tensor"),
    (lambda x: x.equal([1.0]), TypeError, r"equal: other must be a Tensor. Received: list"),
])
def test_bad_operands_name_the_method(call, error, match):
    with pytest.raises(error, match=match):
        call(barenet.ones(2, 3, 4))


def test_clamp_takes_tensor_bounds_as_constants():
    torch = pytest.importorskip("torch")
    x = np.linspace(-2, 2, 12).reshape(3, 4)
    lo, hi = np.array([-1.0, 0.0, -0.5, 1.0]), np.full((3, 1), 1.5)
    ours = barenet.tensor(x, requires_grad=True)
    ref = torch.tensor(x, requires_grad=True)
    y, t = ours.clamp(barenet.tensor(lo), barenet.tensor(hi)), ref.clamp(torch.tensor(lo), torch.tensor(hi))
    y.sum().backward()
    t.sum().backward()
    np.testing.assert_array_equal(y.numpy(), t.detach().numpy())
    np.testing.assert_array_equal(ours.grad.numpy(), ref.grad.numpy())


def test_the_record_of_changes_stays_bounded():
    from barenet.autograd import function
    for _ in range(3000):
        barenet.zeros(4).add_(1.0)  # each tensor is freed at once
    kept = [barenet.zeros(2) for _ in range(1500)]
    for t in kept:
        t.add_(1.0)  # alive: only the oldest are forgotten
    assert len(function._changed) <= function._CHANGED_KEPT
    w, x = barenet.ones(3, requires_grad=True), barenet.ones(3)
    y = (x * w).sum()
    x.mul_(2.0)
    with pytest.raises(RuntimeError, match="was changed in place since"):
        y.backward()


_OPS = {  # name: (arity, fn(lib, a, b)); inputs are positive, so log/sqrt/div are defined
    "mul": (2, lambda L, a, b: a * b), "div": (2, lambda L, a, b: a / (b * b + 1)), "add": (2, lambda L, a, b: a + b),
    "sub": (2, lambda L, a, b: a - b), "maximum": (2, lambda L, a, b: a.maximum(b * 0.9)),
    "matmul": (2, lambda L, a, b: a @ b.t() @ a), "pow": (2, lambda L, a, b: (a * a + 1) ** (b * 0.5)),
    "exp": (1, lambda L, a, b: (a * 0.1).exp()), "log": (1, lambda L, a, b: (a * a + 1).log()),
    "relu": (1, lambda L, a, b: (a - 1).relu()), "sigmoid": (1, lambda L, a, b: a.sigmoid()),
    "tanh": (1, lambda L, a, b: a.tanh()), "sqrt": (1, lambda L, a, b: (a * a + 1).sqrt()),
    "clamp": (1, lambda L, a, b: a.clamp(0.5, 1.5)), "square": (1, lambda L, a, b: a.square()),
    "sin": (1, lambda L, a, b: a.sin()), "reciprocal": (1, lambda L, a, b: (a * a + 1).reciprocal()),
}
_CHANGES = {
    "scale": lambda t: t.mul_(1.5), "view": lambda t: t[0].add_(1.0), "detached": lambda t: t.detach().sub_(0.25),
}


@settings(max_examples=60, deadline=None)
@given(program=st.lists(st.tuples(st.sampled_from(sorted(_OPS)), st.integers(0, 9), st.integers(0, 9)),
                        min_size=1, max_size=4),
       target=st.integers(0, 2), change=st.sampled_from(sorted(_CHANGES)), seed=st.integers(0, 2**16))
def test_in_place_changes_never_give_a_silently_wrong_gradient(program, target, change, seed):
    """Random graphs over w (requires grad), v (requires grad) and x (does not), one in-place change
    between forward and backward. barenet raises, or its gradients equal PyTorch's from the
    unchanged values; and it never raises where PyTorch does not (no false alarms)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    values = [rng.uniform(0.5, 1.5, (3, 3)) for _ in range(3)]

    def run(lib, change_one):
        leaves = [lib.tensor(v, requires_grad=i < 2) for i, v in enumerate(values)]
        pool = list(leaves)
        for name, i, j in program:
            arity, fn = _OPS[name]
            pool.append(fn(lib, pool[i % len(pool)], pool[j % len(pool)] if arity == 2 else None))
        loss = sum(t.sum() for t in pool[3:])
        if change_one:
            with lib.no_grad():
                _CHANGES[change](leaves[target])
        try:
            loss.backward()
        except RuntimeError:
            return "raised"
        return [None if t.grad is None else np.asarray(t.grad.detach().numpy() if lib is torch else t.grad.numpy())
                for t in leaves[:2]]

    ours, theirs, unchanged = run(barenet, True), run(torch, True), run(torch, False)
    if theirs != "raised":
        assert ours != "raised", "barenet raised where PyTorch did not"
    if ours != "raised":
        for a, b in zip(ours, unchanged):
            assert (a is None) == (b is None) and (a is None or np.allclose(a, b, rtol=1e-10)), (ours, unchanged)
