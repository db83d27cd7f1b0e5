"""The state of a ``Module``: ``state_dict`` and ``load_state_dict`` (PyTorch's keys and order)."""
from __future__ import annotations

from collections import OrderedDict, namedtuple

import numpy as np

from .. import backend
from ..autograd import Tensor
from ..autograd.function import mark_changed

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


def _raw(value):
    return value.data if isinstance(value, Tensor) else value


class ModuleState:
    """Mixin giving ``Module`` its state dict; reads ``_parameters``, ``_buffers``,
    ``_non_persistent`` and ``_modules``."""

    __slots__ = ()

    def state_dict(self, prefix: str = "", keep_vars: bool = False) -> "OrderedDict[str, Tensor]":
        """Every parameter and persistent buffer by qualified name, in PyTorch's order: a module's
        own parameters, then its buffers, then each child's entries. As in PyTorch, a module or
        parameter registered under two names appears under both. Values share memory with the
        module; ``keep_vars`` returns the Parameters themselves instead of detached tensors."""
        out = OrderedDict()
        stack = [(prefix, self)]
        while stack:
            pre, module = stack.pop()
            for name, p in module._parameters.items():
                if p is not None:
                    out[pre + name] = p if keep_vars else p.detach()
            for name, b in module._buffers.items():
                if b is not None and name not in module._non_persistent:
                    out[pre + name] = b if keep_vars else b.detach()
            stack.extend(reversed([(f"{pre}{k}.", m) for k, m in module._modules.items() if m is not None]))
        return out

    def load_state_dict(self, state_dict, strict: bool = True) -> IncompatibleKeys:
        """Copy values (Tensors or NumPy arrays) into this module's parameters and buffers, in place.

        Args:
            state_dict: a mapping from qualified names to values (a ``state_dict()``, a dict of
                arrays, an ``np.load``-ed ``.npz``).
            strict: require the keys to match exactly.

        Returns:
            ``(missing_keys, unexpected_keys)``.

        Raises:
            RuntimeError: nothing is copied when, with ``strict``, keys are missing or unexpected
                (every one is listed), or when an entry's shape differs (key and both shapes).
        """
        if not (hasattr(state_dict, "keys") and hasattr(state_dict, "__getitem__")) or isinstance(state_dict, ModuleState):
            raise TypeError(f"load_state_dict: state_dict must be a mapping of names to tensors or arrays "
                            f"(a state_dict(), a dict, an np.load-ed .npz). Received: {type(state_dict).__name__}.")
        if not isinstance(strict, bool):
            raise TypeError(f"load_state_dict: strict must be a bool. Received: {type(strict).__name__}.")
        own = self.state_dict()
        values = {k: _raw(state_dict[k]) for k in own if k in state_dict}
        missing = [k for k in own if k not in values]
        unexpected = [k for k in state_dict if k not in own]
        mismatched = [f"{k}: checkpoint {tuple(np.shape(v))}, model {own[k].shape}"
                      for k, v in values.items() if tuple(np.shape(v)) != own[k].shape]
        problems = []
        if mismatched:
            problems.append("size mismatch for " + "; ".join(mismatched))
        if strict and missing:
            problems.append("missing keys: " + ", ".join(missing))
        if strict and unexpected:
            problems.append("unexpected keys: " + ", ".join(unexpected))
        if problems:
            raise RuntimeError(f"load_state_dict: {type(self).__name__} cannot load this state dict. "
                               + ". ".join(problems) + ".")
        for key, value in values.items():
            target = own[key]
            target.data[...] = backend.to_device(value, target.device)
            mark_changed(target)  # an in-place change: a graph that saved it can no longer go backward
        return IncompatibleKeys(missing, unexpected)
