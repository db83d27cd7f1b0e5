"""Every op of ``autograd/ops.py`` and ``autograd/shape_ops.py``: finite differences and PyTorch.

One line per case: ``(id, barenet fn, torch fn, input maker)``. Inputs are float64 for the
gradient check and float32 for the torch comparison (see ``tests/harness.py``).
"""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import barenet
from harness import check_grad, check_torch, tie_free


def sym(rng, *shape):
    return rng.standard_normal(shape)


def pos(rng, *shape):
    return rng.uniform(0.5, 2.0, shape)


def away(rng, *shape):
    """Values with |x| in [0.5, 2]: safe for abs, division and clamp boundaries."""
    return rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


# indices with repeats for the (3, 5, 7) inputs of UNARY: along dim 1 (output (3, 4, 7)), and along
# dim 2 with an index smaller than the input on the other dims (output (2, 5, 3))
GATHER = np.random.default_rng(1).integers(0, 5, (3, 4, 7))
GATHER_SMALLER = np.random.default_rng(2).integers(0, 7, (2, 5, 3))

UNARY = [
    ("neg", lambda x: -x, lambda x: -x, sym),
    ("pos", lambda x: +x * 1.0, lambda x: +x * 1.0, sym),
    ("pow3", lambda x: x ** 3, lambda x: x ** 3, sym),
    ("pow_half", lambda x: x ** 0.5, lambda x: x ** 0.5, pos),
    ("pow_neg2", lambda x: x ** -2, lambda x: x ** -2, away),
    ("pow0", lambda x: x ** 0, lambda x: x ** 0, sym),
    ("pow_np_scalar", lambda x: x ** np.float64(2.0), lambda x: x ** 2.0, sym),
    ("rpow", lambda x: 2.0 ** x, lambda x: 2.0 ** x, sym),
    ("exp", lambda x: x.exp(), lambda x: x.exp(), sym),
    ("log", lambda x: x.log(), lambda x: x.log(), pos),
    ("sqrt", lambda x: x.sqrt(), lambda x: x.sqrt(), pos),
    ("abs", lambda x: x.abs(), lambda x: x.abs(), away),
    ("clamp", lambda x: x.clamp(-1.0, 1.0), lambda x: x.clamp(-1.0, 1.0), away),
    ("clamp_min", lambda x: x.clamp(min=0.0), lambda x: x.clamp(min=0.0), away),
    ("clamp_max", lambda x: x.clip(max=0.0), lambda x: x.clip(max=0.0), away),
    ("scalar_left_sub", lambda x: 2.5 - x, lambda x: 2.5 - x, sym),
    ("scalar_left_div", lambda x: 3.0 / x, lambda x: 3.0 / x, away),
    ("scalar_right_div", lambda x: x / 4.0, lambda x: x / 4.0, sym),
    ("scalar_left_mul", lambda x: 0.5 * x, lambda x: 0.5 * x, sym),
    ("scalar_right_add", lambda x: x + 1, lambda x: x + 1, sym),
    ("sum", lambda x: x.sum(), lambda x: x.sum(), sym),
    ("sum_dim", lambda x: x.sum(1), lambda x: x.sum(1), sym),
    ("sum_neg_keepdim", lambda x: x.sum(-1, keepdim=True), lambda x: x.sum(-1, keepdim=True), sym),
    ("sum_tuple", lambda x: x.sum((0, 2)), lambda x: x.sum((0, 2)), sym),
    ("mean", lambda x: x.mean(), lambda x: x.mean(), sym),
    ("mean_dim_keepdim", lambda x: x.mean(0, keepdim=True), lambda x: x.mean(0, keepdim=True), sym),
    ("mean_tuple", lambda x: x.mean((-1, 1)), lambda x: x.mean((-1, 1)), sym),
    ("var", lambda x: x.var(), lambda x: x.var(), sym),
    ("var_dim_biased", lambda x: x.var(1, unbiased=False), lambda x: x.var(1, correction=0), sym),
    ("std_keepdim", lambda x: x.std(2, keepdim=True), lambda x: x.std(2, keepdim=True), sym),
    ("max_all", lambda x: x.max(), lambda x: x.max(), tie_free),
    ("min_all", lambda x: x.min(), lambda x: x.min(), tie_free),
    ("max_dim", lambda x: x.max(1).values, lambda x: x.max(1).values, tie_free),
    ("max_dim_keepdim", lambda x: x.max(-1, keepdim=True)[0], lambda x: x.max(-1, keepdim=True)[0], tie_free),
    ("min_dim", lambda x: x.min(0).values, lambda x: x.min(0).values, tie_free),
    ("amax_tuple", lambda x: x.amax((0, 2)), lambda x: x.amax((0, 2)), tie_free),
    ("amin_keepdim", lambda x: x.amin(1, keepdim=True), lambda x: x.amin(1, keepdim=True), tie_free),
    ("reshape", lambda x: x.reshape(5, -1), lambda x: x.reshape(5, -1), sym),
    ("view_tuple", lambda x: x.view((3, 35)), lambda x: x.view((3, 35)), sym),
    ("flatten", lambda x: x.flatten(1), lambda x: x.flatten(1), sym),
    ("flatten_all", lambda x: x.flatten(), lambda x: x.flatten(), sym),
    ("permute", lambda x: x.permute(2, 0, 1), lambda x: x.permute(2, 0, 1), sym),
    ("permute_neg", lambda x: x.permute((-1, 1, 0)), lambda x: x.permute((-1, 1, 0)), sym),
    ("transpose", lambda x: x.transpose(-1, 0), lambda x: x.transpose(-1, 0), sym),
    ("unsqueeze", lambda x: x.unsqueeze(-1), lambda x: x.unsqueeze(-1), sym),
    ("unsqueeze_squeeze", lambda x: x.unsqueeze(1).squeeze(1), lambda x: x.unsqueeze(1).squeeze(1), sym),
    ("expand", lambda x: x[:, :1].expand(2, 3, 4, 7), lambda x: x[:, :1].expand(2, 3, 4, 7), sym),
    ("getitem_int", lambda x: x[1], lambda x: x[1], sym),
    ("getitem_slices", lambda x: x[::2, 1:, -3::2], lambda x: x[::2, 1:, -3::2], sym),
    ("getitem_none_ellipsis", lambda x: x[None, ..., 2], lambda x: x[None, ..., 2], sym),
    ("getitem_repeated", lambda x: x[[0, 2, 0, 0]], lambda x: x[[0, 2, 0, 0]], sym),
    ("getitem_mixed_adv", lambda x: x[[1, 1], :, [0, 6]], lambda x: x[[1, 1], :, [0, 6]], sym),
    # an integer beside array indices is applied first in PyTorch (NumPy would move the dims)
    ("getitem_int_slice_array", lambda x: x[1, :, [0, 6, 6]], lambda x: x[1, :, [0, 6, 6]], sym),
    ("getitem_int_ellipsis_array", lambda x: x[-1, ..., [2]], lambda x: x[-1, ..., [2]], sym),
    ("getitem_array_int_none", lambda x: x[[0, 2], None, 3], lambda x: x[[0, 2], None, 3], sym),
    ("clone", lambda x: x.clone() * 2.0, lambda x: x.clone() * 2.0, sym),
    ("double", lambda x: x.double() * 3.0, lambda x: x.double() * 3.0, sym),
    ("expm1", lambda x: x.expm1(), lambda x: x.expm1(), sym),
    ("log1p", lambda x: x.log1p(), lambda x: x.log1p(), pos),
    ("reciprocal", lambda x: x.reciprocal(), lambda x: x.reciprocal(), away),
    ("rsqrt", lambda x: x.rsqrt(), lambda x: x.rsqrt(), pos),
    ("sin", lambda x: x.sin(), lambda x: x.sin(), sym),
    ("cos", lambda x: x.cos(), lambda x: x.cos(), sym),
    ("square", lambda x: x.square(), lambda x: x.square(), sym),
    # the activations PyTorch also has as methods (attached by barenet.functional)
    ("relu", lambda x: x.relu(), lambda x: x.relu(), away),
    ("sigmoid", lambda x: x.sigmoid(), lambda x: x.sigmoid(), sym),
    ("tanh", lambda x: x.tanh(), lambda x: x.tanh(), sym),
    ("softmax", lambda x: x.softmax(1), lambda x: x.softmax(1), sym),
    ("log_softmax", lambda x: x.log_softmax(-1), lambda x: x.log_softmax(-1), sym),
    ("flip", lambda x: x.flip(0, 2), lambda x: x.flip(0, 2), sym),
    ("flip_list", lambda x: x.flip([-1]), lambda x: x.flip([-1]), sym),
    ("roll", lambda x: x.roll((1, -2), (0, 2)), lambda x: x.roll((1, -2), (0, 2)), sym),
    ("roll_flat", lambda x: x.roll(4), lambda x: x.roll(4), sym),
    ("narrow", lambda x: x.narrow(1, -3, 2), lambda x: x.narrow(1, -3, 2), sym),
    ("index_select_repeats", lambda x: x.index_select(2, barenet.tensor([6, 0, 6])),
     lambda x: x.index_select(2, __import__("torch").tensor([6, 0, 6])), sym),
    ("gather_repeats", lambda x: x.gather(1, barenet.tensor(GATHER)), lambda x: x.gather(1, __import__("torch").tensor(GATHER)), sym),
    ("gather_smaller", lambda x: x.gather(2, barenet.tensor(GATHER_SMALLER)),
     lambda x: x.gather(2, __import__("torch").tensor(GATHER_SMALLER)), sym),
]


@pytest.mark.parametrize("name, fn, torch_fn, make", UNARY, ids=[c[0] for c in UNARY])
def test_unary(name, fn, torch_fn, make, rng):
    x = make(rng, 3, 5, 7)
    check_grad(fn, x)
    check_torch(fn, torch_fn, x)


ZERO_D = [
    ("mul_scalar", lambda x: x * 3.0 + 1.0),
    ("exp", lambda x: x.exp()),
    ("sum_dim0", lambda x: x.sum(0)),
    ("mean_dim_neg", lambda x: x.mean(-1, keepdim=True)),
    ("max", lambda x: x.max()),
    ("reshape", lambda x: x.reshape(1, 1)),
    ("unsqueeze", lambda x: x.unsqueeze(0)),
]


@pytest.mark.parametrize("name, fn", ZERO_D, ids=[c[0] for c in ZERO_D])
def test_zero_dimensional_inputs(name, fn):
    x = np.array(0.7)
    check_grad(fn, x)
    check_torch(fn, fn, x)


BINARY = [
    ("add", lambda a, b: a + b, sym, sym),
    ("sub", lambda a, b: a - b, sym, sym),
    ("mul", lambda a, b: a * b, sym, sym),
    ("div", lambda a, b: a / b, sym, away),
    ("pow_tensor", lambda a, b: a ** b, pos, sym),
    ("self_add", lambda a, b: a + a * b, sym, sym),
    ("maximum", lambda a, b: a.maximum(b), sym, sym),
    ("minimum", lambda a, b: a.minimum(b), sym, sym),
]


@pytest.mark.parametrize("name, fn, make_a, make_b", BINARY, ids=[c[0] for c in BINARY])
@settings(max_examples=25, deadline=None)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3), seed=st.integers(0, 2**16))
def test_binary_broadcasting(name, fn, make_a, make_b, shapes, seed):
    rng = np.random.default_rng(seed)
    a, b = make_a(rng, *shapes.input_shapes[0]), make_b(rng, *shapes.input_shapes[1])
    check_grad(fn, a, b)
    check_torch(fn, fn, a, b)


@settings(max_examples=25, deadline=None)
@given(shapes=mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=3), seed=st.integers(0, 2**16))
def test_where_broadcasting(shapes, seed):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    cond = np.asarray(rng.random(shapes.input_shapes[0]) > 0.5)
    a, b = sym(rng, *shapes.input_shapes[1]), sym(rng, *shapes.input_shapes[2])
    check_grad(lambda c, x, y: barenet.where(c, x, y), cond, a, b)
    check_torch(lambda c, x, y: barenet.where(c, x, y), torch.where, cond, a, b)


def test_where_with_a_scalar_operand(rng):
    torch = pytest.importorskip("torch")
    cond, x = rng.random((3, 4)) > 0.5, sym(rng, 3, 4)
    check_grad(lambda c, t: barenet.where(c, t, 0.5), cond, x)
    check_torch(lambda c, t: barenet.where(c, 0.5, t), lambda c, t: torch.where(c, 0.5, t), cond, x)


MATMUL = [((3, 4), (4, 5)), ((4,), (4, 5)), ((3, 4), (4,)), ((4,), (4,)), ((2, 1, 3, 4), (5, 4, 2)),
          ((1, 3, 4), (2, 4, 1))]


@pytest.mark.parametrize("shape_a, shape_b", MATMUL, ids=[f"{a}@{b}" for a, b in MATMUL])
def test_matmul(shape_a, shape_b, rng):
    a, b = sym(rng, *shape_a), sym(rng, *shape_b)
    check_grad(lambda x, y: x @ y, a, b)
    check_torch(lambda x, y: x @ y, lambda x, y: x @ y, a, b)


def test_matmul_with_numpy_operand_on_either_side(rng):
    a, w = sym(rng, 3, 4), rng.standard_normal((4, 2)).astype(np.float32)
    check_torch(lambda x: x @ w, lambda x: x @ __import__("torch").tensor(w), a)
    check_torch(lambda x: w.T @ x.T, lambda x: __import__("torch").tensor(w.T) @ x.T, a)


INDEX = [
    ("bool_mask", lambda rng: rng.random((3, 5)) > 0.4),
    ("int_array_repeats", lambda rng: np.array([2, 0, 2, 2])),
    ("int_array_2d", lambda rng: np.array([[0, 1], [1, 1]])),
]


@pytest.mark.parametrize("name, make_index", INDEX, ids=[c[0] for c in INDEX])
def test_tensor_index(name, make_index, rng):
    x, index = sym(rng, 3, 5), make_index(rng)
    check_grad(lambda t, i: t[i] * 2.0, x, index)
    check_torch(lambda t, i: t[i] * 2.0, lambda t, i: t[i] * 2.0, x, index)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cat(dim, rng):
    torch = pytest.importorskip("torch")
    a, b, c = sym(rng, 2, 3), sym(rng, 2, 3), sym(rng, 2, 3)
    check_grad(lambda *xs: barenet.cat(xs, dim), a, b, c)
    check_torch(lambda *xs: barenet.cat(xs, dim), lambda *xs: torch.cat(xs, dim), a, b, c)


def test_cat_uneven_sizes(rng):
    torch = pytest.importorskip("torch")
    a, b = sym(rng, 2, 1, 3), sym(rng, 2, 4, 3)
    check_grad(lambda x, y: barenet.cat([x, y], dim=1), a, b)
    check_torch(lambda x, y: barenet.cat([x, y], 1), lambda x, y: torch.cat([x, y], 1), a, b)


@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_stack(dim, rng):
    torch = pytest.importorskip("torch")
    a, b = sym(rng, 2, 3), sym(rng, 2, 3)
    check_grad(lambda *xs: barenet.stack(xs, dim), a, b)
    check_torch(lambda *xs: barenet.stack(xs, dim), lambda *xs: torch.stack(xs, dim), a, b)


def test_max_ties_share_gradient_evenly_like_torch():
    torch = pytest.importorskip("torch")
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    check_torch(lambda t: t.max() * 1.0, lambda t: t.max() * 1.0, x)
    check_torch(lambda t: t.amax(1), lambda t: t.amax(1), x)
    check_torch(lambda t: t.amin(0), lambda t: t.amin(0), x)


def test_max_dim_with_ties_routes_gradient_to_the_returned_index():
    x = barenet.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]], requires_grad=True)
    values, indices = x.max(dim=1)
    values.sum().backward()
    expected = np.zeros((2, 3), dtype=np.float32)
    expected[np.arange(2), indices.numpy()] = 1.0
    assert indices.numpy().tolist() == [1, 0]  # the first maximum, as PyTorch on CPU
    np.testing.assert_array_equal(x.grad.numpy(), expected)


def test_max_dim_returns_values_and_indices_like_torch(rng):
    torch = pytest.importorskip("torch")
    x = tie_free(rng, 4, 5)
    for dim, keepdim in [(0, False), (1, True), (-1, False)]:
        ours, ref = barenet.tensor(x).max(dim, keepdim), torch.tensor(x).max(dim, keepdim)
        np.testing.assert_array_equal(ours.indices.numpy(), ref.indices.numpy())
        np.testing.assert_array_equal(ours.values.numpy(), ref.values.numpy())
        np.testing.assert_array_equal(barenet.tensor(x).argmin(dim, keepdim).numpy(),
                                      torch.tensor(x).argmin(dim, keepdim).numpy())


def test_var_of_one_element_is_nan_like_torch():
    with np.errstate(invalid="ignore"):
        assert np.isnan(barenet.tensor([2.0]).var().item())
    assert barenet.tensor([2.0]).var(unbiased=False).item() == 0.0


def test_std_of_a_constant_sample_has_zero_gradient_like_torch():
    """sqrt's derivative is infinite at 0; PyTorch's std gives 0 there, not NaN."""
    x = barenet.tensor([[1.0, 1.0], [2.0, 5.0]], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x.std(dim=1, unbiased=False).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy()[0], [0.0, 0.0])
    np.testing.assert_allclose(x.grad.numpy()[1], [-0.5, 0.5])  # d std / dx = (x - mean) / (n std)


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("dim", [0, -1])
def test_max_and_min_over_a_dim_of_a_scalar_like_torch(name, dim):
    x = barenet.tensor(2.0, requires_grad=True)
    values, indices = getattr(x, name)(dim=dim)
    values.backward()
    assert values.item() == 2.0 and indices.item() == 0 and indices.dtype == np.int64 and x.grad.item() == 1.0
    with pytest.raises(IndexError, match=f"{name}: dim 1 is out of range"):
        getattr(x, name)(dim=1)


@pytest.mark.parametrize("fn, match", [
    (lambda x: x.sum(3), "sum: dim 3 is out of range"),
    (lambda x: x.mean(-4), "mean: dim -4 is out of range"),
    (lambda x: x.sum((0, -3)), "sum: each dim may appear once"),
    (lambda x: x.amax(5), "amax: dim 5 is out of range"),
    (lambda x: x.max(3), "max: dim 3 is out of range"),
    (lambda x: x.unsqueeze(4), "unsqueeze: dim 4 is out of range"),
    (lambda x: x.squeeze(-4), "squeeze: dim -4 is out of range"),
    (lambda x: x.permute(0, 0, 1), "permute: dims must be a permutation"),
    (lambda x: x.permute(0, 1), r"permute: dims must be a permutation of 0..2, one per dimension"),
    (lambda x: x.permute(0, 1, 5), "permute: dim 5 is out of range"),
    (lambda x: x.transpose(0, 3), "transpose: dim 3 is out of range"),
    (lambda x: x.sum().permute(0), "permute: dims must be empty for a 0-d tensor"),
])
def test_dim_errors(fn, match):
    with pytest.raises((IndexError, ValueError), match=match):
        fn(barenet.ones(2, 3, 4))


def test_transpose_of_a_scalar_is_itself_as_in_torch():
    x = barenet.tensor(2.0)
    assert x.transpose(0, -1) is x
    with pytest.raises(IndexError, match="transpose: dim 1 is out of range"):
        x.transpose(0, 1)


@pytest.mark.parametrize("fn, match", [
    (lambda a, b: a + b, r"add: operands of shapes \(2, 3\) and \(4, 3\) cannot be combined \(aligned from the last"),
    (lambda a, b: a - b, r"sub: operands of shapes \(2, 3\) and \(4, 3\)"),
    (lambda a, b: a * b, r"mul: operands of shapes"),
    (lambda a, b: a / b, r"div: operands of shapes"),
    (lambda a, b: a ** b, r"pow: operands of shapes"),
    (lambda a, b: barenet.where(a > 0, a, b), r"where: operands of shapes \(2, 3\) and \(4, 3\)"),
    (lambda a, b: a @ b, r"matmul: operands of shapes \(2, 3\) and \(4, 3\) cannot be combined \(the first's last "
                         r"dimension must equal the second's next-to-last"),
])
@pytest.mark.parametrize("grad", [False, True])
def test_shape_mismatches_name_the_op_and_the_shapes(fn, match, grad):
    a, b = barenet.ones(2, 3, requires_grad=grad), barenet.ones(4, 3)
    with pytest.raises(ValueError, match=match):
        fn(a, b)


def test_shape_errors_name_the_op():
    x = barenet.ones(2, 3)
    with pytest.raises(ValueError, match=r"reshape: shape \(4, 2\) is invalid for a tensor of shape \(2, 3\)"):
        x.reshape(4, 2)
    with pytest.raises(ValueError, match=r"expand: cannot expand a tensor of shape \(2, 3\) to \(2, 4\)"):
        x.expand(2, 4)
    with pytest.raises(ValueError, match=r"cat: tensors must match in every dimension but dim=0"):
        barenet.cat([x, barenet.ones(2, 4)])
    with pytest.raises(ValueError, match=r"cat: zero-dimensional tensors cannot be concatenated"):
        barenet.cat([barenet.tensor(1.0), barenet.tensor(2.0)])
    with pytest.raises(IndexError, match=r"cat: dim 2 is out of range"):
        barenet.cat([x, x], dim=2)
    with pytest.raises(ValueError, match=r"stack: tensors must have equal shapes"):
        barenet.stack([x, barenet.ones(3, 2)])
    with pytest.raises(ValueError, match=r"stack: expected a non-empty sequence"):
        barenet.stack([])
    with pytest.raises(TypeError, match=r"pow: the exponent must be a number or a tensor"):
        x ** "2"


def test_expand_with_minus_one_and_new_leading_dims_matches_torch(rng):
    torch = pytest.importorskip("torch")
    x = sym(rng, 3, 1)
    check_torch(lambda t: t.expand(2, -1, 4), lambda t: t.expand(2, -1, 4), x)
    check_grad(lambda t: t.expand(2, -1, 4), x)


def test_cast_round_trip_matches_torch(rng):
    pytest.importorskip("torch")
    fn = lambda x: x.to(barenet.float64).to(dtype=barenet.float32) * 3.0  # noqa: E731
    out = check_torch(fn, lambda x: x.double().float() * 3.0, sym(rng, 3, 4))
    assert out.dtype == np.float32


def test_cast_to_integer_leaves_the_graph():
    x = barenet.tensor([1.7, -2.2], requires_grad=True)
    y = x.long()
    assert y.dtype == np.int64 and not y.requires_grad and y.grad_fn is None
    assert y.numpy().tolist() == [1, -2]


def test_to_device_round_trip_keeps_gradient(xp):
    x = barenet.tensor([1.0, 2.0], requires_grad=True)
    device = "cuda" if xp is not np else "cpu"
    y = (x.to(device) * 3.0).to("cpu")
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])


# ----- PyTorch's method spellings and list-like splits ----------------------------------------
METHODS = {
    "split": lambda a, L: a.split(2), "split_sizes": lambda a, L: a.split([1, 3], dim=1),
    "split_last": lambda a, L: a.split(2, -1), "chunk": lambda a, L: a.chunk(3), "chunk_more": lambda a, L: a.chunk(9, 2),
    "unbind": lambda a, L: a.unbind(1), "add": lambda a, L: a.add(a * 2), "sub": lambda a, L: a.sub(1.0),
    "mul": lambda a, L: a.mul(a), "div": lambda a, L: a.div(2.0), "neg": lambda a, L: a.neg(),
    "matmul": lambda a, L: a.matmul(L.ones(3, 2, dtype=L.float64)),
    "mm": lambda a, L: a[0].mm(L.ones(3, 2, dtype=L.float64)),
    "bmm": lambda a, L: a.bmm(L.ones(5, 3, 2, dtype=L.float64)),
    "masked_fill": lambda a, L: a.masked_fill(a > 0, 0.5),
    "gt": lambda a, L: a.gt(0), "all": lambda a, L: (a > -10).all(), "any": lambda a, L: (a > 1).any(dim=1),
    "isnan": lambda a, L: a.log().isnan(), "isfinite": lambda a, L: (1 / (a > 0).double()).isfinite(),
    "int": lambda a, L: a.int(), "bool": lambda a, L: a.bool(), "type_as": lambda a, L: a.type_as(L.ones(1)),
    "round": lambda a, L: (a * 3).round(), "floor": lambda a, L: a.floor(), "ceil": lambda a, L: a.ceil(),
    "trunc": lambda a, L: a.trunc(), "sign": lambda a, L: a.sign(), "cumsum": lambda a, L: a.cumsum(1),
    "repeat": lambda a, L: a.repeat(1, 2, 3), "repeat_new_dims": lambda a, L: a.repeat(2, 1, 1, 2),
    "norm": lambda a, L: a.norm(), "norm_p1_dim": lambda a, L: a.norm(1, dim=1),
    "norm_p3_dims": lambda a, L: a.norm(3, dim=(0, 2), keepdim=True), "norm_half": lambda a, L: a.norm(0.5, 2),
    "norm_inf": lambda a, L: a.norm(float("inf"), 0), "norm_zero_rows": lambda a, L: (a * (a > 0)).norm(2, dim=2),
    "sort": lambda a, L: a.sort(1), "sort_descending": lambda a, L: a.sort(0, descending=True),
    "topk": lambda a, L: a.topk(2), "topk_smallest": lambda a, L: a.topk(3, dim=1, largest=False),
    "prod": lambda a, L: a.prod(), "prod_dim": lambda a, L: a.prod(1, keepdim=True),
    "prod_with_zeros": lambda a, L: (a * (a > -0.5)).prod(0),
    "maximum_ties": lambda a, L: a.maximum(a.flip(0)), "minimum_ties": lambda a, L: a.minimum(a.flip(1)),
    "where": lambda a, L: a.where(a > 0, -a), "add_alpha": lambda a, L: a.add(a * 2, alpha=0.5),
    "sub_alpha": lambda a, L: a.sub(a.exp(), alpha=3), "dot": lambda a, L: a[0, :, 0].dot(a[1, :, 1]),
    "outer": lambda a, L: a[0, :, 0].outer(a[1, :, 1]), "logical_not": lambda a, L: (a > 0).logical_not(),
    "logical_and": lambda a, L: (a > 0).logical_and(a < 1), "logical_or": lambda a, L: (a > 1).logical_or(a < -1),
    "logical_xor": lambda a, L: (a > 0).logical_xor(a > 1),
}


@pytest.mark.parametrize("name", METHODS)
def test_methods_match_torch(name, rng):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((5, 4, 3))
    outs = {}
    for lib in (barenet, torch):
        t = lib.tensor(x, requires_grad=True)
        with np.errstate(invalid="ignore", divide="ignore"):  # log of negatives, 1 / 0: on purpose
            out = METHODS[name](t, lib)
        pieces = out if isinstance(out, tuple) else (out,)
        if pieces[0].requires_grad:
            sum((p * (i + 1)).sum() for i, p in enumerate(pieces)).backward()
        outs[lib.__name__] = ([np.asarray(p.detach().numpy() if lib is torch else p.numpy()) for p in pieces],
                              None if t.grad is None else np.asarray(t.grad.detach().numpy() if lib is torch else t.grad.numpy()))
    (ours, our_grad), (ref, ref_grad) = outs["barenet"], outs["torch"]
    assert len(ours) == len(ref)
    for a, b in zip(ours, ref):
        assert a.shape == b.shape and a.dtype == b.dtype and np.allclose(a, b, equal_nan=True)
    assert (our_grad is None) == (ref_grad is None) and (our_grad is None or np.allclose(our_grad, ref_grad))


def test_splits_gradcheck(rng):
    x = rng.standard_normal((5, 4))
    check_grad(lambda t: t.cumsum(0) * t.repeat(2, 1, 2)[1, :, 2:6], x)
    check_grad(lambda t: t.norm(dim=1) * t.norm(3, dim=0, keepdim=True)[0, :2].sum() + t.norm(1.5), x)
    check_grad(lambda t: t.prod(1) + t[:, :3].prod(), x)
    zeros = x.copy()
    zeros[0, :2] = 0.0  # two zeros in row 0: its product's gradient is 0; one zero in column 0, 1
    check_grad(lambda t: t.prod(1) + t.prod(0).sum(), zeros)
    check_grad(lambda t: t.split([2, 3])[1] * t.chunk(2, dim=1)[0].sum(), x)
    check_grad(lambda t: t.unbind(1)[2] * 3.0 + t.masked_fill(barenet.tensor(x > 0), 1.0)[:, 0], x)


@pytest.mark.parametrize("call, match", [
    (lambda x: x.mm(x), r"mm: expects 2-D tensors. Received: shapes \(2, 3, 4\) and \(2, 3, 4\)"),
    (lambda x: x.bmm(barenet.ones(3, 4, 2)), r"bmm: the batch sizes differ"),
    (lambda x: x.split([1, 2]), r"split: the sizes \[1, 2\] must be non-negative and add up to 2"),
    (lambda x: x.split(0), r"split: split_size must be positive"),
    (lambda x: x.chunk(0), r"chunk: chunks must be positive"),
    (lambda x: x.unbind(3), r"unbind: dim 3 is out of range"),
    (lambda x: x.repeat(2, 2), r"repeat: expects one non-negative int per dim \(at least 3\)"),
    (lambda x: x.cumsum(3), r"cumsum: dim 3 is out of range"),
    (lambda x: x.norm(0), r"norm: p must be a positive number or inf. Received: p=0"),
    (lambda x: x.topk(5), r"topk: k must be at most the size 4 of dim -1. Received: k=5"),
    (lambda x: x.sort(3), r"sort: dim 3 is out of range"),
    (lambda x: x.norm(2, dim=4), r"norm: dim 4 is out of range"),
])
def test_method_errors(call, match):
    with pytest.raises((ValueError, IndexError), match=match):
        call(barenet.ones(2, 3, 4))


ALIAS_ARGS = {  # barenet.<name>(x, *args) against torch.<name>(x, *args); x is (3, 4) or 3-D for bmm
    "amax": (1,), "amin": (0,), "argmax": (1,), "argmin": (0,), "chunk": (2,), "clamp": (-0.5, 0.5),
    "cumsum": (1,), "flatten": (0,), "masked_fill": "mask", "matmul": "matrix", "mm": "matrix", "bmm": "batch",
    "max": (1,), "min": (0,), "permute": ((1, 0),), "reshape": ((4, 3),), "split": (2,),
    "squeeze": (), "std": (1,), "sum": (0,), "transpose": (0, 1), "unbind": (1,), "unsqueeze": (1,), "var": (0,),
    "norm": (3, 1), "sort": (0,), "topk": (2,), "prod": (1,), "add": (2.0,), "sub": (1.5,), "mul": (3.0,),
    "div": (2.0,), "dot": "vector", "outer": "vector", "flip": ((0,),), "gather": "gather", "index_select": "select",
    "logical_and": "mask_only", "logical_or": "mask_only", "logical_xor": "mask_only", "maximum": "row",
    "minimum": "row", "narrow": (1, 1, 2), "roll": (1, 1), "equal": "itself", "allclose": "itself",
}


@pytest.mark.parametrize("name", barenet.autograd.aliases.METHODS)
def test_function_spellings_match_torch(name, rng):
    torch = pytest.importorskip("torch")
    x = rng.uniform(0.5, 2.0, (2, 3, 4) if name == "bmm" else (4,) if name in ("dot", "outer") else (3, 4))
    args = ALIAS_ARGS.get(name, ())
    outs = []
    for lib in (barenet, torch):
        extra = {"mask": lambda: (lib.tensor(x > 1.0), 0.0), "matrix": lambda: (lib.ones(4, 2, dtype=lib.float64),),
                 "batch": lambda: (lib.ones(2, 4, 2, dtype=lib.float64),),
                 "vector": lambda: (lib.tensor(x[::-1].copy()),), "gather": lambda: (1, lib.tensor([[3, 0], [1, 1], [2, 0]])),
                 "select": lambda: (0, lib.tensor([2, 0, 2])), "mask_only": lambda: (lib.tensor(x > 1.0),),
                 "row": lambda: (lib.tensor(np.full((1, 4), 1.2)),), "itself": lambda: (lib.tensor(x),)}
        call_args = extra[args]() if isinstance(args, str) else args
        out = getattr(lib, name)(lib.tensor(x), *call_args)
        if isinstance(out, bool):  # equal, allclose
            outs.append([np.asarray(out)])
            continue
        pieces = out if isinstance(out, (tuple, list)) else (out[0],) if name in ("max", "min") else (out,)
        outs.append([np.asarray(p.numpy()) for p in pieces])
    assert len(outs[0]) == len(outs[1])
    for ours, ref in zip(*outs):
        assert ours.shape == ref.shape and np.allclose(ours, ref)


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_selections_match_torch_on_random_shapes(data):
    """gather, index_select, roll and flip on drawn shapes, dims, repeated indices and shifts."""
    torch = pytest.importorskip("torch")
    shape = data.draw(st.lists(st.integers(1, 4), min_size=1, max_size=4), label="shape")
    dim = data.draw(st.integers(-len(shape), len(shape) - 1), label="dim")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16), label="seed"))
    x, n = rng.standard_normal(shape), shape[dim]
    index_shape = [rng.integers(1, 6) if i == dim % len(shape) else rng.integers(1, m + 1) for i, m in enumerate(shape)]
    gather_index, select_index = rng.integers(0, n, index_shape), rng.integers(0, n, rng.integers(1, 6))
    dims = data.draw(st.lists(st.integers(0, len(shape) - 1), min_size=1, max_size=len(shape), unique=True), label="dims")
    shifts = tuple(int(s) for s in rng.integers(-7, 8, len(dims)))
    cases = [(lambda t, i: t.gather(dim, i), lambda t, i: torch.gather(t, dim, i), gather_index),
             (lambda t, i: t.index_select(dim, i), lambda t, i: torch.index_select(t, dim, i), select_index),
             (lambda t: t.roll(shifts, tuple(dims)), lambda t: torch.roll(t, shifts, tuple(dims)), None),
             (lambda t: t.flip(dims), lambda t: torch.flip(t, dims), None)]
    for ours, ref, index in cases:
        inputs = (x,) if index is None else (x, index)
        check_grad(ours, *inputs)
        check_torch(ours, ref, *inputs)
