"""``Module``: the base class of layers and models (PyTorch's ``torch.nn.Module`` semantics)."""
from __future__ import annotations

import itertools
from collections import OrderedDict

import numpy as np

from .. import backend
from ..autograd import Tensor, is_grad_enabled
from ..autograd.function import reset_grads
from . import backward_hooks
from .module_state import ModuleState
from .parameter import Parameter

_hook_ids = itertools.count()  # unique hook keys: a removed hook never frees a key for reuse


class _RemovableHandle:
    def __init__(self, hooks: dict, key: int):
        self.hooks, self.key = hooks, key

    def remove(self) -> None:
        self.hooks.pop(self.key, None)


class Module(ModuleState):
    """Base class of every layer and model.

    Assigning a ``Parameter``, a ``Module`` or a registered buffer as an attribute registers
    it, so ``parameters()``, ``state_dict()``, ``train()``/``eval()`` and ``to()`` find it.
    Subclasses implement ``forward``; calling the module runs hooks around it.
    """

    def __init__(self):
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = OrderedDict()
        d["_buffers"] = OrderedDict()
        d["_non_persistent"] = set()
        d["_modules"] = OrderedDict()
        d["_forward_pre_hooks"] = OrderedDict()
        d["_forward_hooks"] = OrderedDict()
        d["_backward_pre_hooks"] = OrderedDict()
        d["_backward_hooks"] = OrderedDict()

    # ----- attribute registration ------------------------------------------------------
    def __setattr__(self, name, value):
        d = self.__dict__
        if "_parameters" not in d:
            raise AttributeError(f"{type(self).__name__}: call super().__init__() before assigning attributes.")
        if isinstance(value, (Parameter, Module)):
            target = "_parameters" if isinstance(value, Parameter) else "_modules"
            for registry in ("_parameters", "_buffers", "_modules"):
                if registry != target:  # reassigning keeps the entry's place, as in PyTorch
                    d[registry].pop(name, None)
            d["_non_persistent"].discard(name)
            d.pop(name, None)
            d[target][name] = value
        elif name in d["_buffers"]:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"{type(self).__name__}.{name}: a buffer must be a Tensor or None.")
            d["_buffers"][name] = value
        elif name in d["_parameters"] or name in d["_modules"]:
            if value is not None:
                kind = "Parameter" if name in d["_parameters"] else "Module"
                raise TypeError(f"{type(self).__name__}.{name}: expected a {kind} or None. "
                                f"Received: {type(value).__name__}.")
            (d["_parameters"] if name in d["_parameters"] else d["_modules"])[name] = None
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name):
        d = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            if registry in d and name in d[registry]:
                return d[registry][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                return
        object.__delattr__(self, name)

    def _check_name(self, what: str, name) -> None:
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"{what}: a name must be a non-empty string without '.'. Received: {name!r}.")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        self._check_name("register_parameter", name)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: {name} must be a Parameter or None. "
                            f"Received: {type(param).__name__}.")
        self.__dict__.pop(name, None)
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Register state that is saved in ``state_dict`` (unless not ``persistent``) but not
        trained: running means, step counters..."""
        self._check_name("register_buffer", name)
        if name in self._parameters or name in self._modules:
            raise KeyError(f"register_buffer: {name!r} is already a parameter or a submodule.")
        if tensor is not None and not isinstance(tensor, Tensor):
            try:
                tensor = Tensor(tensor)
            except (TypeError, ValueError):
                raise TypeError(f"register_buffer: {name} must be a Tensor, an array or None. "
                                f"Received: {type(tensor).__name__}.") from None
        self.__dict__.pop(name, None)
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent.discard(name)
        else:
            self._non_persistent.add(name)

    def add_module(self, name: str, module: "Module | None") -> None:
        self._check_name("add_module", name)
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {name} must be a Module. Received: {type(module).__name__}.")
        self.__dict__.pop(name, None)
        self._modules[name] = module

    register_module = add_module

    # ----- calling -------------------------------------------------------------------------
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no forward()")

    def __call__(self, *args, **kwargs):
        if not (self._forward_pre_hooks or self._forward_hooks or self._backward_hooks or self._backward_pre_hooks):
            return self.forward(*args, **kwargs)  # the common case, kept cheap
        for hook in tuple(self._forward_pre_hooks.values()):
            out = hook(self, args)
            if out is not None:
                args = out if isinstance(out, tuple) else (out,)
        call = None
        if (self._backward_hooks or self._backward_pre_hooks) and is_grad_enabled():
            call = backward_hooks.Call(self, args)
            args = backward_hooks.hook_inputs(call, args)
        result = self.forward(*args, **kwargs)
        for hook in tuple(self._forward_hooks.values()):
            out = hook(self, args, result)
            if out is not None:
                result = out
        return result if call is None else backward_hooks.hook_outputs(call, result)

    def register_forward_hook(self, hook) -> _RemovableHandle:
        """``hook(module, inputs, output)`` runs after ``forward``; a returned value replaces the output."""
        key = next(_hook_ids)
        self._forward_hooks[key] = hook
        return _RemovableHandle(self._forward_hooks, key)

    def register_forward_pre_hook(self, hook) -> _RemovableHandle:
        """``hook(module, inputs)`` runs before ``forward``; a returned value replaces the inputs."""
        key = next(_hook_ids)
        self._forward_pre_hooks[key] = hook
        return _RemovableHandle(self._forward_pre_hooks, key)

    def register_full_backward_hook(self, hook) -> _RemovableHandle:
        """``hook(module, grad_input, grad_output)`` runs once the gradients of the module's
        positional tensor inputs are computed (tuples of tensors, None where an input needs
        none); a returned tuple replaces ``grad_input``. See ``backward_hooks`` for the one
        limit: with several tensor inputs, only the last-computed gradient can be replaced."""
        key = next(_hook_ids)
        self._backward_hooks[key] = hook
        return _RemovableHandle(self._backward_hooks, key)

    def register_full_backward_pre_hook(self, hook) -> _RemovableHandle:
        """``hook(module, grad_output)`` runs once the gradients of the module's outputs are known,
        before those of its inputs; a returned tuple replaces ``grad_output``."""
        key = next(_hook_ids)
        self._backward_pre_hooks[key] = hook
        return _RemovableHandle(self._backward_pre_hooks, key)

    # ----- traversal -------------------------------------------------------------------------
    def named_modules(self, prefix: str = "", memo: set | None = None):
        """Yield ``(qualified_name, module)`` for this module and every descendant, each once."""
        memo = set() if memo is None else memo
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in memo:
                continue
            memo.add(id(module))
            yield name, module
            children = [(f"{name}.{k}" if name else k, m) for k, m in module._modules.items() if m is not None]
            stack.extend(reversed(children))

    def modules(self):
        return (m for _, m in self.named_modules())

    def named_children(self):
        seen = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self):
        return (m for _, m in self.named_children())

    def _named_members(self, registry: str, prefix: str, recurse: bool):
        seen = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for mod_name, module in modules:
            for name, value in getattr(module, registry).items():
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))  # a parameter shared by two layers is yielded once
                yield (f"{mod_name}.{name}" if mod_name else name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True):
        return self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse: bool = True):
        return (p for _, p in self.named_parameters(recurse=recurse))

    def named_buffers(self, prefix: str = "", recurse: bool = True):
        return self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse: bool = True):
        return (b for _, b in self.named_buffers(recurse=recurse))

    def get_submodule(self, target: str) -> "Module":
        """The module at a qualified name such as ``"features.3"`` or ``"layer1.0.conv1"``."""
        if not isinstance(target, str):
            raise TypeError(f"get_submodule: target must be a str. Received: {type(target).__name__}.")
        module = self
        for part in target.split(".") if target else []:
            if part not in module._modules:
                valid = [n for n, _ in self.named_modules() if n]
                raise AttributeError(
                    f"get_submodule: {type(self).__name__} has no submodule {target!r}. "
                    f"Valid names include: {', '.join(valid[:20])}{' ...' if len(valid) > 20 else ''}."
                )
            module = module._modules[part]
        return module

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at a qualified name such as ``"layer1.0.conv1.weight"``."""
        return self._get_leaf("get_parameter", "_parameters", "parameter", target)

    def get_buffer(self, target: str) -> Tensor:
        """The buffer at a qualified name such as ``"layer1.0.bn1.running_mean"``."""
        return self._get_leaf("get_buffer", "_buffers", "buffer", target)

    def _get_leaf(self, op: str, registry: str, kind: str, target: str):
        if not isinstance(target, str):
            raise TypeError(f"{op}: target must be a str. Received: {type(target).__name__}.")
        owner_name, _, name = target.rpartition(".")
        owner = self.get_submodule(owner_name)
        if name not in getattr(owner, registry):
            where = f" at {owner_name!r}" if owner_name else ""
            raise AttributeError(f"{op}: {type(owner).__name__}{where} has no {kind} {name!r}. "
                                 f"Its {kind}s: {', '.join(getattr(owner, registry)) or 'none'}.")
        return getattr(owner, registry)[name]

    def set_submodule(self, target: str, module: "Module") -> None:
        """Replace (or add) the module at a qualified name: ``set_submodule("fc", nn.Linear(512, 10))``
        for fine-tuning; every module above it must exist."""
        if not isinstance(target, str) or not target:
            raise TypeError(f"set_submodule: target must be a non-empty str. Received: {target!r}.")
        owner_name, _, name = target.rpartition(".")
        self.get_submodule(owner_name).add_module(name, module)

    # ----- modes and bulk operations -------------------------------------------------------
    def train(self, mode: bool = True) -> "Module":
        """Set training mode here and, through each child's own ``train``, below (so a layer that
        overrides ``train``, e.g. to keep statistics frozen, is honoured)."""
        if not isinstance(mode, bool):
            raise ValueError(f"train: mode must be a bool. Received: mode={mode!r}.")
        self.__dict__["training"] = mode
        for m in self.children():
            m.train(mode)
        return self

    def eval(self) -> "Module":
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Drop every parameter's gradient (the default), or zero it in place."""
        reset_grads(self.parameters(), set_to_none)

    def apply(self, fn) -> "Module":
        """Call ``fn`` on every submodule (children first) and on self, as PyTorch does."""
        if not callable(fn):
            raise TypeError(f"apply: fn must be callable. Received: {type(fn).__name__}.")
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def requires_grad_(self, requires_grad: bool = True) -> "Module":
        if not isinstance(requires_grad, bool):
            raise TypeError(f"requires_grad_: expects a bool. Received: {type(requires_grad).__name__}.")
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def to(self, *args, device=None, dtype=None) -> "Module":
        """Move every parameter and buffer to a device (``"cpu"``/``"cuda"``) and/or cast the
        floating-point ones to a float dtype, in place (parameters keep their identity, so an
        optimizer built before still holds them). ``to(device, dtype)`` and keywords work too.

        Raises:
            TypeError: a dtype that is not floating point.
        """
        for arg in args:
            if isinstance(arg, str):
                device = arg
            else:
                dtype = arg
        device = None if device is None else backend.check_device(device)
        dtype = None if dtype is None else backend.check_dtype("Module.to", dtype)
        if dtype is not None and dtype.kind != "f":
            raise TypeError(f"Module.to: only floating-point dtypes are accepted. Received: dtype={dtype}.")

        def convert(a):
            if dtype is not None and a.dtype.kind == "f":
                a = a.astype(dtype, copy=False)
            return a if device is None else backend.to_device(a, device)

        for m in self.modules():
            for registry in (m._parameters, m._buffers):
                for t in registry.values():
                    if t is not None:
                        t.data = convert(t.data)
                        if t.grad is not None:
                            t.grad.data = convert(t.grad.data)
        return self

    def cpu(self) -> "Module":
        return self.to("cpu")

    def cuda(self) -> "Module":
        return self.to("cuda")

    def float(self) -> "Module":
        return self.to(np.float32)

    def double(self) -> "Module":
        return self.to(np.float64)

    # ----- repr -------------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The layer's settings, shown inside its parentheses by ``repr``."""
        return ""

    def __repr__(self) -> str:
        """PyTorch's layout: ``Name(extra)`` for a leaf layer, else one indented line per child."""
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({name}): " + repr(m).replace("\n", "\n  ") for name, m in self._modules.items()]
        if not child_lines and len(extra_lines) <= 1:
            return f"{type(self).__name__}({extra})"
        body = "\n  ".join(extra_lines + child_lines)
        return f"{type(self).__name__}(\n  {body}\n)"


def expect_module(owner: str, model) -> None:
    """A TypeError naming ``owner`` unless ``model`` is a barenet ``Module`` (a PyTorch module,
    a model name or a checkpoint path would otherwise fail deep inside with an AttributeError)."""
    if not isinstance(model, Module):
        hint = " (for a zoo name, barenet.models.get_model(name))" if isinstance(model, str) else ""
        raise TypeError(f"{owner}: model must be a barenet nn.Module{hint}. Received: {type(model).__name__}.")
