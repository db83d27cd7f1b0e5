"""The Tensor API: construction, attributes, conversion, dtype promotion, in-place rules, creation."""
import copy

import numpy as np
import pytest

import barenet
from barenet import backend


# ----- construction and attributes --------------------------------------------------------
@pytest.mark.parametrize("data, dtype", [
    (1.5, np.float32), ([1.0, 2.0], np.float32), ([[1, 2]], np.int64), (True, np.bool_),
    (np.zeros(2, np.float64), np.float64), (np.zeros(2, np.int32), np.int32), (np.float64(2.0), np.float64),
])
def test_tensor_dtype_inference_matches_torch(data, dtype):
    assert barenet.tensor(data).dtype == dtype
    torch = pytest.importorskip("torch")
    assert str(torch.tensor(data).dtype) == f"torch.{np.dtype(dtype).name.replace('bool', 'bool')}"


def test_tensor_copies_its_data_and_accepts_dtype():
    source = np.array([1.0, 2.0])
    t = barenet.tensor(source, dtype=barenet.float32)
    source[0] = 7.0
    assert t.dtype == np.float32 and t.numpy().tolist() == [1.0, 2.0]
    u = barenet.tensor(t)
    t.data[1] = 5.0
    assert u.numpy().tolist() == [1.0, 2.0]


def test_tensor_errors():
    with pytest.raises(TypeError, match="tensor: could not make an array of numbers from dict"):
        barenet.tensor({"a": 1})
    with pytest.raises(TypeError, match="requires_grad: only floating-point tensors can require gradients"):
        barenet.tensor([1, 2], requires_grad=True)


def test_attributes():
    t = barenet.zeros(2, 3, 4)
    assert t.shape == (2, 3, 4) and t.size() == (2, 3, 4) and t.size(1) == 3 and t.size(-1) == 4
    assert t.ndim == t.dim() == 3 and t.numel() == 24 and len(t) == 2
    assert t.dtype == barenet.float32 and t.device == "cpu"
    assert t.grad is None and not t.requires_grad and t.is_leaf and t.grad_fn is None
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(barenet.tensor(1.0))


def test_non_leaf_attributes():
    x = barenet.tensor([1.0], requires_grad=True)
    y = x * 2
    assert y.requires_grad and not y.is_leaf and y.grad_fn is not None
    with pytest.raises(RuntimeError, match="only a leaf tensor can stop requiring grad"):
        y.requires_grad_(False)


# ----- conversion -------------------------------------------------------------------------
def test_numpy_works_on_tensors_that_require_grad_and_shares_memory():
    x = barenet.tensor([1.0, 2.0], requires_grad=True)
    arr = x.numpy()
    assert isinstance(arr, np.ndarray) and arr.tolist() == [1.0, 2.0]
    assert np.shares_memory(arr, x.data)


def test_array_protocol():
    x = barenet.tensor([1.0, 2.0], requires_grad=True)
    assert np.asarray(x).dtype == np.float32
    assert np.asarray(x, dtype=np.float64).dtype == np.float64
    copied = np.array(x, copy=True)
    copied[0] = 9.0
    assert x.numpy()[0] == 1.0


def test_item_and_python_conversions():
    assert barenet.tensor([[2.5]]).item() == 2.5
    assert float(barenet.tensor(1.5)) == 1.5 and int(barenet.tensor(3)) == 3
    assert bool(barenet.tensor(0.0)) is False
    assert [10, 20, 30][barenet.tensor(1)] == 20
    with pytest.raises(ValueError, match=r"item: only a tensor with one element.*shape=\(2,\)"):
        barenet.tensor([1.0, 2.0]).item()
    with pytest.raises(TypeError, match="index: only integer tensors can be used as an index"):
        [1, 2][barenet.tensor(1.0)]
    assert barenet.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]


def test_detach_shares_data_without_graph():
    x = barenet.tensor([1.0, 2.0], requires_grad=True)
    d = (x * 2).detach()
    assert not d.requires_grad and d.grad_fn is None
    e = x.detach()
    e.data[0] = 5.0
    assert x.numpy()[0] == 5.0


def test_clone_copies_and_keeps_gradient():
    x = barenet.tensor([1.0, 2.0], requires_grad=True)
    c = x.clone()
    c.data[0] = 9.0
    assert x.numpy()[0] == 1.0
    (c * 3).sum().backward()
    assert x.grad.numpy().tolist() == [3.0, 3.0]


def test_zero_dimensional_results_hold_arrays():
    x = barenet.tensor([1.0, 2.0], requires_grad=True)
    s = x.sum()
    assert s.shape == () and isinstance(s.data, np.ndarray)
    t = barenet.tensor(2.0) + barenet.tensor(3.0)
    assert isinstance(t.data, np.ndarray)
    t.fill_(1.0)
    assert t.item() == 1.0
    s.backward()
    assert isinstance(x.grad.data, np.ndarray)


def test_repr():
    assert repr(barenet.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(barenet.tensor([1.0], requires_grad=True)) == "tensor([1.], requires_grad=True)"
    assert repr(barenet.tensor([1.0], dtype=barenet.float64)) == "tensor([1.], dtype=float64)"
    assert repr(barenet.tensor([1.0], requires_grad=True) * 2) == "tensor([2.], grad_fn=<MulBackward>)"
    assert repr(barenet.tensor(1.5)) == "tensor(1.5)"


def test_deepcopy_copies_data_and_grad():
    x = barenet.tensor([1.0, 2.0], requires_grad=True)
    (x * 2).sum().backward()
    y = copy.deepcopy(x)
    y.data[0] = 7.0
    y.grad.data[0] = 7.0
    assert x.numpy()[0] == 1.0 and x.grad.numpy()[0] == 2.0 and y.requires_grad


def test_assigned_grad_must_fit_in_place_accumulation():
    x = barenet.tensor([1.0, 2.0], requires_grad=True)
    x.grad = barenet.tensor([0.5, 0.5])
    (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.5, 2.5])
    for value, error, match in [
        (np.ones(2, dtype=np.float32), TypeError, "expected a Tensor or None. Received: ndarray"),
        (barenet.tensor([1.0]), ValueError, r"gradient \(1,\) float32 .* tensor \(2,\) float32"),
        (barenet.tensor([1.0, 1.0], dtype=barenet.float64), ValueError, "float64"),
        (barenet.from_numpy(np.broadcast_to(np.float32(1), (2,))), ValueError, "read-only array"),
    ]:
        with pytest.raises(error, match=match):
            x.grad = value
    x.grad = None
    assert x.grad is None


def test_tensors_hash_by_identity():
    a, b = barenet.tensor([1.0]), barenet.tensor([1.0])
    assert len({a: 1, b: 2}) == 2


# ----- dtype promotion, scalar and NumPy operands -------------------------------------------
def _operand(kind):
    return {
        "f32": barenet.tensor([1.0, 2.0]), "f64": barenet.tensor([1.0, 2.0], dtype=barenet.float64),
        "i64": barenet.tensor([1, 2]), "bool": barenet.tensor([True, True]),
        "0d_f64": barenet.tensor(2.0, dtype=barenet.float64), "0d_f32": barenet.tensor(2.0),
        "0d_i64": barenet.tensor(2), "float": 2.5, "int": 3, "np_f64": np.float64(2.0),
        "np_f32": np.float32(2.0), "arr_f64": np.array([1.0, 2.0]),
    }[kind]


def _torch_operand(torch, kind, value):
    if isinstance(value, barenet.Tensor):
        return torch.tensor(value.numpy())
    if isinstance(value, np.ndarray):
        return torch.tensor(value)
    return value


PAIRS = [("f32", "float"), ("f32", "int"), ("i64", "float"), ("i64", "i64"), ("f32", "0d_f64"),
         ("f32", "f64"), ("i64", "0d_f64"), ("bool", "float"), ("f32", "np_f64"), ("f32", "np_f32"),
         ("0d_f32", "0d_f64"), ("0d_i64", "float"), ("f32", "arr_f64"), ("i64", "int")]


@pytest.mark.parametrize("op", ["+", "-", "*", "/"])
@pytest.mark.parametrize("left, right", PAIRS + [(b, a) for a, b in PAIRS if a != b],
                         ids=[f"{a}-{b}" for a, b in PAIRS] + [f"{b}-{a}" for a, b in PAIRS if a != b])
def test_result_dtype_matches_torch(op, left, right):
    torch = pytest.importorskip("torch")
    a, b = _operand(left), _operand(right)
    if not isinstance(a, barenet.Tensor) and not isinstance(b, barenet.Tensor):
        pytest.skip("no tensor operand")
    if op == "-" and "bool" in (left, right):
        pytest.skip("torch forbids subtracting bools")
    ours = eval(f"a {op} b")
    ref = eval(f"ta {op} tb", {"ta": _torch_operand(torch, left, a), "tb": _torch_operand(torch, right, b)})
    assert isinstance(ours, barenet.Tensor)
    assert str(ref.dtype) == f"torch.{ours.dtype}", (left, op, right)
    np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-6)


def test_float32_times_python_float_stays_float32_in_backward():
    x = barenet.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 0.1 + np.float64(2.0)) / 3.0 - 1
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


def test_numpy_array_operands_on_either_side():
    x = barenet.tensor([1.0, 2.0], requires_grad=True)
    w = np.array([3.0, 4.0], dtype=np.float32)
    for y in (w * x, x * w, w + x, w - x, w / x, x @ w, w @ x):
        assert isinstance(y, barenet.Tensor) and y.requires_grad
    (w * x).sum().backward()
    assert x.grad.numpy().tolist() == [3.0, 4.0]


def test_comparisons_give_bool_tensors_without_graph():
    x = barenet.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for r, expected in [(x > 2, [0, 0, 1]), (x >= 2, [0, 1, 1]), (x < 2, [1, 0, 0]), (x <= 2, [1, 1, 0]),
                        (x == barenet.tensor([1.0, 0.0, 3.0]), [1, 0, 1]), (x != 2, [1, 0, 1])]:
        assert r.dtype == np.bool_ and not r.requires_grad and r.numpy().tolist() == [bool(e) for e in expected]


# ----- in-place rules -----------------------------------------------------------------------
def test_integer_and_array_indices_follow_pytorch():
    """x[0, :, [1, 2]] of a (2, 3, 4) tensor is (3, 2), as in PyTorch (NumPy gives (2, 3)); the
    assignment goes to the same elements."""
    x = barenet.tensor(np.arange(24.0).reshape(2, 3, 4))
    y = x[0, :, [1, 2]]
    assert y.shape == (3, 2)
    np.testing.assert_array_equal(y.numpy(), [[1, 2], [5, 6], [9, 10]])
    x[0, :, [1, 2]] = -np.ones((3, 2))
    assert (x.numpy()[0, :, 1:3] == -1).all() and x.numpy().sum() == np.arange(24.0).sum() - 33 - 6


def test_setitem():
    t = barenet.zeros(3)
    t[1] = 2.0
    t[barenet.tensor([True, False, False])] = barenet.tensor(5.0)
    assert t.numpy().tolist() == [5.0, 2.0, 0.0]
    w = barenet.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="setitem: an in-place change of a tensor that requires grad"):
        w[0] = 1.0
    with barenet.no_grad():
        w[0] = 1.0  # initialisation, as torch allows under no_grad
    assert w.numpy()[0] == 1.0
    y = w * 2
    with barenet.no_grad(), pytest.raises(RuntimeError, match="setitem"):
        y[0] = 1.0  # a non-leaf's data may be saved for backward


def test_copy_and_fill():
    t = barenet.zeros(2, 2)
    t.copy_(np.ones((2, 2)))
    assert t.numpy().sum() == 4.0
    t.copy_(barenet.full((2, 2), 3.0))
    assert t.numpy().sum() == 12.0
    assert t.zero_().numpy().sum() == 0.0


# ----- device and dtype moves ----------------------------------------------------------------
def test_to():
    x = barenet.tensor([1.0, 2.0], requires_grad=True)
    assert x.to("cpu") is x and x.to(barenet.float32) is x and x.cpu() is x
    y = x.to(barenet.float64)
    assert y.dtype == np.float64 and y.grad_fn is not None
    z = x.to("cpu", barenet.float64)
    assert z.dtype == np.float64
    assert x.to(z).dtype == np.float64 and x.to(dtype=np.float16).dtype == np.float16
    assert x.double().dtype == np.float64 and y.float().dtype == np.float32 and x.long().dtype == np.int64
    with pytest.raises(ValueError, match=r"device: expected one of \('cpu', 'cuda'\). Received: device='tpu'"):
        x.to("tpu")


@pytest.mark.skipif(backend.cupy_available(), reason="checks the message shown without CuPy")
def test_to_cuda_without_cupy_is_a_clear_runtime_error():
    with pytest.raises(RuntimeError, match="device: 'cuda' needs CuPy and a GPU"):
        barenet.tensor([1.0]).to("cuda")
    with pytest.raises(RuntimeError, match="needs CuPy"):
        barenet.tensor([1.0]).cuda()
    with pytest.raises(RuntimeError, match="needs CuPy"):
        barenet.zeros(2, device="cuda:0")


# ----- creation -----------------------------------------------------------------------------
def test_creation_defaults_match_torch():
    torch = pytest.importorskip("torch")
    cases = [
        (barenet.zeros(2, 3), torch.zeros(2, 3)), (barenet.ones((2,)), torch.ones((2,))),
        (barenet.zeros(2, dtype=None), torch.zeros(2, dtype=None)), (barenet.empty(0), torch.empty(0)),
        (barenet.full((2,), 1.5), torch.full((2,), 1.5)), (barenet.full((2,), 3), torch.full((2,), 3)),
        (barenet.full((2,), True), torch.full((2,), True)), (barenet.arange(5), torch.arange(5)),
        (barenet.arange(0, 1, 0.25), torch.arange(0, 1, 0.25)), (barenet.randn(3), torch.randn(3)),
        (barenet.rand(3), torch.rand(3)), (barenet.randint(0, 5, (3,)), torch.randint(0, 5, (3,))),
        (barenet.randint(5, (4,)), torch.randint(5, (4,))),
        (barenet.zeros_like(barenet.ones(2, dtype=barenet.float64)),
         torch.zeros_like(torch.ones(2, dtype=torch.float64))),
        (barenet.ones_like(barenet.zeros(2)), torch.ones_like(torch.zeros(2))),
    ]
    for ours, ref in cases:
        assert ours.shape == tuple(ref.shape) and str(ref.dtype) == f"torch.{ours.dtype}"
    np.testing.assert_array_equal(barenet.arange(0, 1, 0.25).numpy(), torch.arange(0, 1, 0.25).numpy())
    assert 0 <= barenet.randint(5, (100,)).numpy().min() and barenet.randint(5, (100,)).numpy().max() < 5


def test_creation_requires_grad_and_from_numpy():
    assert barenet.zeros(2, requires_grad=True).requires_grad
    a = np.arange(3.0)
    t = barenet.from_numpy(a)
    a[0] = 5.0
    assert t.numpy()[0] == 5.0 and t.dtype == np.float64


def test_random_creation_is_reproducible():
    barenet.manual_seed(7)
    a, b = barenet.randn(4), barenet.rand(2, 2)
    barenet.manual_seed(7)
    np.testing.assert_array_equal(a.numpy(), barenet.randn(4).numpy())
    np.testing.assert_array_equal(b.numpy(), barenet.rand(2, 2).numpy())
    g = np.random.default_rng(0)
    np.testing.assert_array_equal(barenet.randn(3, generator=g).numpy(),
                                  np.random.default_rng(0).standard_normal(3).astype(np.float32))
