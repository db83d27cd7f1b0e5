"""Module, Parameter and the containers, checked against the same structure built in PyTorch."""
import copy
from collections import OrderedDict

import numpy as np
import pytest

import barenet
from barenet import backend, nn
from barenet.nn import Module, ModuleDict, ModuleList, Parameter, Sequential


def build(lib, zeros, zero_int):
    """The same network in barenet or torch: nested containers, buffers (one non-persistent),
    a module registered under two names and a parameter tied between two modules."""

    class Leaf(lib.Module):
        def __init__(self, n):
            super().__init__()
            self.n = n
            self.weight = lib.Parameter(zeros(n, 2))
            self.bias = lib.Parameter(zeros(n))
            self.register_buffer("running_mean", zeros(n))
            self.register_buffer("num_batches_tracked", zero_int())
            self.register_buffer("scratch", zeros(1), persistent=False)

        def extra_repr(self):
            return f"n={self.n}"

        def forward(self, x):
            return x * 2

    class Net(lib.Module):
        def __init__(self):
            super().__init__()
            self.scale = lib.Parameter(zeros(1))
            self.features = lib.Sequential(Leaf(3), lib.Sequential(Leaf(2)), Leaf(4))
            self.heads = lib.ModuleList([Leaf(5), Leaf(6)])
            self.branches = lib.ModuleDict({"b": Leaf(7), "a": Leaf(1)})
            self.shared = self.features[0]
            self.register_buffer("step", zeros(()))
            self.tied = Leaf(5)
            self.tied.weight = self.heads[0].weight

        def forward(self, x):
            return self.features(x)

    return Net()


def ours():
    return build(nn, lambda *s: barenet.zeros(*s), lambda: barenet.tensor(0))


def theirs():
    torch = pytest.importorskip("torch")
    return build(torch.nn, lambda *s: torch.zeros(*s), lambda: torch.tensor(0))


def randomise_torch(net, seed=0):
    import torch

    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for t in list(net.parameters()) + list(net.buffers()):
            if t.is_floating_point():
                t.copy_(torch.randn(t.shape, generator=g))
            else:
                t.fill_(7)
    return net


# ----- structure vs PyTorch ---------------------------------------------------------------------
def test_names_and_order_match_torch():
    a, b = ours(), theirs()
    assert list(a.state_dict()) == list(b.state_dict())
    assert [tuple(v.shape) for v in a.state_dict().values()] == [tuple(v.shape) for v in b.state_dict().values()]
    assert [n for n, _ in a.named_parameters()] == [n for n, _ in b.named_parameters()]
    assert [n for n, _ in a.named_buffers()] == [n for n, _ in b.named_buffers()]
    assert [n for n, _ in a.named_modules()] == [n for n, _ in b.named_modules()]
    assert [n for n, _ in a.named_children()] == [n for n, _ in b.named_children()]
    assert [n for n, _ in a.named_parameters(recurse=False)] == ["scale"]


def test_shared_parameters_are_counted_once():
    a, b = ours(), theirs()
    count = sum(p.numel() for p in a.parameters())
    assert count == sum(p.numel() for p in b.parameters())
    assert len(list(a.parameters())) == len({id(p) for p in a.parameters()})
    assert "tied.weight" in a.state_dict() and "shared.weight" in a.state_dict()  # state_dict keeps both names


def test_repr_matches_torch():
    assert repr(ours()) == repr(theirs())


def test_repr_of_empty_and_multiline_modules():
    assert repr(Sequential()) == "Sequential()"

    class TwoLines(Module):
        def extra_repr(self):
            return "a=1\nb=2"

    assert repr(TwoLines()) == "TwoLines(\n  a=1\n  b=2\n)"


def test_apply_visits_children_first_like_torch():
    def order(net):
        seen = []
        net.apply(lambda m: seen.append((type(m).__name__, getattr(m, "n", None))))
        return seen

    assert order(ours()) == order(theirs())


def test_train_eval_propagate_like_torch():
    a, b = ours(), theirs()
    a.eval(), b.eval()
    assert [m.training for m in a.modules()] == [m.training for m in b.modules()] == [False] * len(list(a.modules()))
    a.features.train()
    b.features.train()
    assert [m.training for m in a.modules()] == [m.training for m in b.modules()]
    with pytest.raises(ValueError, match="train: mode must be a bool"):
        a.train("yes")


def test_train_calls_each_childs_own_train():
    class Frozen(Module):
        def train(self, mode=True):
            return super().train(False)

    net = Sequential(Frozen(), Sequential(Frozen()))
    net.train()
    assert net.training and not net[0].training and not net[1][0].training


# ----- state dict ---------------------------------------------------------------------------------------
def test_load_torch_state_dict_as_numpy_arrays():
    b = randomise_torch(theirs())
    a = ours()
    result = a.load_state_dict({k: v.numpy() for k, v in b.state_dict().items()})
    assert result.missing_keys == [] and result.unexpected_keys == []
    for (key, ref), value in zip(b.state_dict().items(), a.state_dict().values()):
        np.testing.assert_array_equal(value.numpy(), ref.numpy(), err_msg=key)
    assert a.tied.weight is a.heads[0].weight and a.shared is a.features[0]


def test_load_state_dict_from_tensors_copies_in_place():
    a, source = ours(), ours()
    for p in source.parameters():
        p.data[...] = 1.5
    weight = a.features[0].weight
    a.load_state_dict(source.state_dict())
    assert a.features[0].weight is weight and float(weight.numpy().mean()) == 1.5
    weight.data[...] = 0.0
    assert float(source.features[0].weight.numpy().mean()) == 1.5  # no aliasing between modules


def test_strict_load_names_every_missing_and_unexpected_key():
    a = ours()
    state = {k: v.numpy() for k, v in a.state_dict().items()}
    del state["features.1.0.bias"], state["step"]
    state["extra.weight"] = np.zeros(1)
    state["heads.9.bias"] = np.zeros(1)
    with pytest.raises(RuntimeError, match=r"missing keys: step, features\.1\.0\.bias\. "
                                           r"unexpected keys: extra\.weight, heads\.9\.bias"):
        a.load_state_dict(state)


def test_shape_mismatch_names_key_and_both_shapes_and_loads_nothing():
    a = ours()
    state = {k: np.full(v.shape, 3.0) for k, v in a.state_dict().items()}
    state["features.0.weight"] = np.zeros((2, 2))
    message = r"size mismatch for features\.0\.weight: checkpoint \(2, 2\), model \(3, 2\)"
    with pytest.raises(RuntimeError, match=message):
        a.load_state_dict(state, strict=False)
    assert all(float(np.abs(v.numpy()).sum()) == 0.0 for v in a.state_dict().values())


def test_non_strict_load_returns_the_same_keys_as_torch():
    a, b = ours(), theirs()
    state = {k: v.numpy() for k, v in a.state_dict().items() if not k.startswith("heads.1")}
    state["surplus"] = np.zeros(2)
    ours_result = a.load_state_dict(state, strict=False)
    torch = pytest.importorskip("torch")
    theirs_result = b.load_state_dict({k: torch.tensor(v) for k, v in state.items()}, strict=False)
    assert ours_result.missing_keys == theirs_result.missing_keys
    assert ours_result.unexpected_keys == theirs_result.unexpected_keys


def test_state_dict_shares_memory_and_keep_vars():
    a = ours()
    state = a.state_dict()
    assert np.shares_memory(state["scale"].numpy(), a.scale.data) and not state["scale"].requires_grad
    assert a.state_dict(keep_vars=True)["scale"] is a.scale
    assert list(a.features.state_dict(prefix="features."))[0] == "features.0.weight"


def test_non_persistent_buffer_can_become_persistent():
    m = ours().tied
    assert "scratch" not in m.state_dict()
    m.register_buffer("scratch", barenet.zeros(1))
    assert "scratch" in m.state_dict()


# ----- bulk operations ----------------------------------------------------------------------------------
def test_to_float64_keeps_identity_and_integer_buffers():
    a = ours()
    weight = a.features[0].weight
    weight.grad = barenet.ones(3, 2)
    assert a.to(barenet.float64) is a
    assert a.features[0].weight is weight and weight.dtype == np.float64 and weight.grad.dtype == np.float64
    assert a.features[0].num_batches_tracked.dtype == np.int64
    assert all(p.dtype == np.float64 for p in a.parameters())
    a.float()
    assert all(p.dtype == np.float32 for p in a.parameters())
    a.to(dtype=np.float64)
    assert a.scale.dtype == np.float64
    with pytest.raises(TypeError, match="Module.to: only floating-point dtypes"):
        a.to(np.int32)
    with pytest.raises(ValueError, match="device: expected one of"):
        a.to("gpu")


@pytest.mark.skipif(backend.cupy_available(), reason="checks the message shown without CuPy")
def test_module_to_cuda_without_cupy():
    with pytest.raises(RuntimeError, match="device: 'cuda' needs CuPy"):
        ours().to("cuda")


def test_zero_grad_and_requires_grad_():
    a = ours()
    for p in a.parameters():
        p.grad = barenet.ones(*p.shape)
    grads = [p.grad for p in a.parameters()]
    a.zero_grad(set_to_none=False)  # in place, as PyTorch's
    assert all(p.grad is g and float(g.numpy().sum()) == 0.0 for p, g in zip(a.parameters(), grads))
    a.zero_grad()
    assert all(p.grad is None for p in a.parameters())
    a.requires_grad_(False)
    assert not any(p.requires_grad for p in a.parameters())


def test_forward_hooks_and_pre_hooks():
    leaf = ours().tied
    x = barenet.tensor([1.0])
    pre = leaf.register_forward_pre_hook(lambda m, inputs: (inputs[0] + 1,))
    post = leaf.register_forward_hook(lambda m, inputs, out: out * 10)
    assert leaf(x).item() == 40.0  # ((1 + 1) * 2) * 10
    pre.remove()
    assert leaf(x).item() == 20.0
    post.remove()
    assert leaf(x).item() == 2.0


def test_removing_a_hook_never_drops_another():
    leaf = ours().tied
    calls = []

    def hook(m, inputs, out):
        calls.append(1)

    first = leaf.register_forward_hook(hook)
    leaf.register_forward_hook(hook)
    first.remove()
    leaf.register_forward_hook(hook)
    leaf(barenet.tensor([1.0]))
    assert len(calls) == 2


def test_deepcopy_gives_independent_parameters():
    a = ours()
    b = copy.deepcopy(a)
    b.scale.data[...] = 5.0
    assert float(a.scale.numpy()[0]) == 0.0 and b.tied.weight is b.heads[0].weight


# ----- registration rules ---------------------------------------------------------------------------
def test_attribute_registration_rules():
    m = Module()
    m.w = Parameter(np.zeros(2, np.float32))
    m.child = Module()
    m.plain = barenet.zeros(2)  # a plain tensor is an attribute, not state
    assert [n for n, _ in m.named_parameters()] == ["w"] and list(m.state_dict()) == ["w"]
    with pytest.raises(TypeError, match="Module.w: expected a Parameter or None. Received: Tensor"):
        m.w = barenet.zeros(2)
    m.w = None
    assert list(m.named_parameters()) == [] and m.w is None
    del m.child
    assert list(m.children()) == []
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'missing'"):
        m.missing


def test_registration_errors():
    class Early(Module):
        def __init__(self):
            self.w = Parameter(np.zeros(1, np.float32))

    with pytest.raises(AttributeError, match=r"Early: call super\(\).__init__\(\) before assigning"):
        Early()
    m = Module()
    with pytest.raises(KeyError, match="register_parameter: a name must be a non-empty string without '.'"):
        m.register_parameter("a.b", None)
    with pytest.raises(TypeError, match="register_parameter: w must be a Parameter or None"):
        m.register_parameter("w", barenet.zeros(1))
    with pytest.raises(TypeError, match="add_module: m must be a Module"):
        m.add_module("m", 3)
    m.w = Parameter(np.zeros(1, np.float32))
    with pytest.raises(KeyError, match="register_buffer: 'w' is already a parameter"):
        m.register_buffer("w", barenet.zeros(1))
    with pytest.raises(TypeError, match="Module.b: a buffer must be a Tensor or None"):
        m.register_buffer("b", barenet.zeros(1))
        m.b = np.zeros(1)


def test_get_submodule():
    a = ours()
    assert a.get_submodule("features.1.0") is a.features[1][0] and a.get_submodule("") is a
    message = r"get_submodule: Net has no submodule 'features\.9'. Valid names include: features"
    with pytest.raises(AttributeError, match=message):
        a.get_submodule("features.9")


# ----- Parameter and containers ------------------------------------------------------------------------
def test_parameter():
    p = Parameter(np.zeros((2, 3), np.float32))
    assert p.requires_grad and p.is_leaf and isinstance(p, barenet.Tensor)
    assert repr(p).startswith("Parameter containing:\ntensor(")
    t = barenet.ones(2)
    assert np.shares_memory(Parameter(t).data, t.data)
    assert not Parameter(t, requires_grad=False).requires_grad
    assert type(p * 2) is barenet.Tensor
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients"):
        Parameter(np.zeros(2, np.int64))


class Add(Module):
    def __init__(self, k):
        super().__init__()
        self.k = k

    def forward(self, x):
        return x + self.k


def test_sequential():
    seq = Sequential(Add(1), Add(2), Add(3))
    assert seq(barenet.tensor(0.0)).item() == 6.0 and len(seq) == 3
    assert seq[-1].k == 3 and [m.k for m in seq] == [1, 2, 3]
    assert isinstance(seq[1:], Sequential) and [m.k for m in seq[1:]] == [2, 3]
    seq.append(Add(4)).extend([Add(5)])
    seq[0] = Add(10)
    assert seq(barenet.tensor(0.0)).item() == 24.0 and list(seq._modules) == ["0", "1", "2", "3", "4"]
    with pytest.raises(IndexError, match="Sequential: index 5 is out of range for 5 modules"):
        seq[5]
    named = Sequential(OrderedDict([("first", Add(1)), ("second", Add(2))]))
    assert [n for n, _ in named.named_children()] == ["first", "second"]


def test_module_list():
    ml = ModuleList([Add(1)])
    ml.append(Add(2)).extend([Add(3)])
    ml.insert(0, Add(0))
    assert [m.k for m in ml] == [0, 1, 2, 3] and list(ml._modules) == ["0", "1", "2", "3"]
    ml[-1] = Add(9)
    assert ml[3].k == 9 and [m.k for m in ml[:2]] == [0, 1] and len(ml) == 4
    with pytest.raises(IndexError, match="ModuleList: index -5 is out of range for 4 modules"):
        ml[-5]


def test_module_dict():
    md = ModuleDict({"a": Add(1)})
    md["b"] = Add(2)
    md.update([("c", Add(3))])
    assert list(md) == ["a", "b", "c"] and "b" in md and len(md) == 3
    assert [k for k, _ in md.items()] == list(md.keys()) and md.pop("a").k == 1
    with pytest.raises(KeyError, match="ModuleDict: no module 'z'. Valid keys: b, c"):
        md["z"]
    del md["b"]
    assert list(md) == ["c"]
    md.clear()
    assert len(md) == 0 and not list(md.parameters())


@pytest.mark.parametrize("kind", ["Sequential", "ModuleList"])
def test_list_operations_renumber_as_in_torch(kind):
    """del, pop, insert, += and + keep the modules numbered "0", "1"... with the parameters
    registered under the new names, as PyTorch's containers do."""
    make = (lambda ms: Sequential(*ms)) if kind == "Sequential" else ModuleList
    seq = make([Add(k) for k in range(5)])
    del seq[1]
    assert seq.pop().k == 4 and seq.pop(0).k == 0
    seq.insert(-1, Add(7))
    seq += make([Add(8)])
    both = seq + make([Add(9)])
    assert type(both).__name__ == kind and [m.k for m in both] == [2, 7, 3, 8, 9]
    assert [m.k for m in seq] == [2, 7, 3, 8] and list(seq._modules) == ["0", "1", "2", "3"]
    del seq[1:3]
    assert [m.k for m in seq] == [2, 8] and [n for n, _ in seq.named_children()] == ["0", "1"]
    with pytest.raises(TypeError, match=f"{kind}: can only add another {kind}"):
        seq + [Add(1)]
    with pytest.raises(IndexError, match=f"{kind}: index 2 is out of range for 2 modules"):
        seq.pop(2)


@pytest.mark.parametrize("call, error, match", [
    (lambda m: m.load_state_dict(3), TypeError, r"load_state_dict: state_dict must be a mapping of names"),
    (lambda m: m.load_state_dict(nn.Linear(2, 2)), TypeError, r"load_state_dict: state_dict must be a mapping"),
    (lambda m: m.load_state_dict({}, strict="yes"), TypeError, r"load_state_dict: strict must be a bool"),
    (lambda m: m.register_buffer("b", {"x": 1}), TypeError, r"register_buffer: b must be a Tensor, an array or None"),
    (lambda m: m.get_submodule(0), TypeError, r"get_submodule: target must be a str. Received: int"),
    (lambda m: m.apply(None), TypeError, r"apply: fn must be callable. Received: NoneType"),
    (lambda m: m.requires_grad_(np.ones(2)), TypeError, r"requires_grad_: expects a bool. Received: ndarray"),
    (lambda m: m.to(2), TypeError, r"Module.to: expected a dtype such as barenet.float32 or 'float64'. Received: 2"),
    (lambda m: m[0].weight.requires_grad_(1), TypeError, r"requires_grad_: expects a bool. Received: int"),
    (lambda m: m[0].weight.type("nonsense"), TypeError, r"type: expected a dtype"),
])
def test_module_methods_reject_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call(nn.Sequential(nn.Linear(2, 2), nn.ReLU()))


def test_get_parameter_get_buffer_and_set_submodule_as_torch():
    torch = pytest.importorskip("torch")
    for lib in (barenet, torch):
        model = lib.nn.Sequential(lib.nn.Conv2d(1, 2, 3), lib.nn.Sequential(lib.nn.BatchNorm2d(2), lib.nn.ReLU()))
        assert model.get_parameter("0.weight") is model[0].weight
        assert model.get_buffer("1.0.running_var") is model[1][0].running_var
        model.set_submodule("1.1", lib.nn.Tanh())
        assert type(model[1][1]).__name__ == "Tanh"
    with pytest.raises(AttributeError, match=r"get_parameter: Conv2d at '0' has no parameter 'nope'. Its parameters: weight, bias"):
        nn.Sequential(nn.Conv2d(1, 2, 3)).get_parameter("0.nope")
    with pytest.raises(AttributeError, match=r"get_buffer: Sequential has no buffer 'x'. Its buffers: none"):
        nn.Sequential(nn.ReLU()).get_buffer("x")
    with pytest.raises(AttributeError, match=r"get_submodule: Sequential has no submodule '7'"):
        nn.Sequential(nn.ReLU()).set_submodule("7.0", nn.ReLU())
