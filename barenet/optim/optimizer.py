"""``Optimizer``: parameter groups, per-parameter state, and a checkpointable ``state_dict``.

Subclasses implement ``_update(p, grad, group, state)``, which changes ``p.data`` in place and
keeps whatever it needs in ``state`` (a dict of arrays, plus an integer ``step``). Gradients
are read, never written: ``backward`` accumulates into them in place, so a state that kept one
would change with the next backward pass.
"""
from __future__ import annotations

import numpy as np

from .. import _args, backend
from ..autograd import Tensor, enable_grad
from ..autograd.function import mark_changed, reset_grads


def check_non_negative(owner: str, **values) -> None:
    """Raise naming the first hyper-parameter that is not a number (``TypeError``) or is below 0
    (``ValueError``)."""
    for name, value in values.items():
        if _args.number(owner, name, value) < 0:
            raise ValueError(f"{owner}: invalid {name}. Expected {name} >= 0. Received: {name}={value!r}.")


class Optimizer:
    """Base class of the optimizers (PyTorch's ``torch.optim.Optimizer`` semantics).

    Args:
        params: an iterable of parameters, or of dicts each holding ``"params"`` and the
            hyper-parameters that group overrides.
        defaults: the hyper-parameters of groups that do not set them.

    Raises:
        TypeError: params is a single tensor, or holds something that is not a tensor.
        ValueError: params is empty, holds a non-leaf tensor, or a parameter appears twice.
    """

    def __init__(self, params, defaults: dict):
        self.defaults = dict(defaults)
        self.state: dict = {}  # parameter -> {name: array or int}
        self.param_groups: list[dict] = []
        if isinstance(params, Tensor):
            raise TypeError(f"{type(self).__name__}: params must be an iterable of tensors or dicts. "
                            f"Received: a single Tensor of shape {params.shape}; wrap it in a list.")
        try:
            groups = list(params)
        except TypeError:
            raise TypeError(f"{type(self).__name__}: params must be an iterable of tensors or dicts (model.parameters()). "
                            f"Received: {type(params).__name__}.") from None
        if not groups:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list.")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters with its own hyper-parameters (defaults fill the rest)."""
        name = type(self).__name__
        if not isinstance(param_group, dict) or "params" not in param_group:
            raise TypeError(f"{name}.add_param_group: expects a dict with a 'params' entry. "
                            f"Received: {type(param_group).__name__}.")
        params = param_group["params"]
        if not isinstance(params, Tensor) and not hasattr(params, "__iter__"):
            raise TypeError(f"{name}: a group's params must be tensors. Received: {type(params).__name__}.")
        params = [params] if isinstance(params, Tensor) else list(params)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"{name}: can only optimize Tensors. Received: {type(p).__name__}.")
            if not p.is_leaf:
                raise ValueError(f"{name}: can't optimize a non-leaf Tensor (shape {p.shape}).")
            if id(p) in seen:
                raise ValueError(f"{name}: a parameter (shape {p.shape}) appears more than once "
                                 f"in the parameter groups.")
            seen.add(id(p))
        group = {**self.defaults, **param_group, "params": params}
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every gradient: to None (default), or to zeros in place."""
        reset_grads((p for group in self.param_groups for p in group["params"]), set_to_none)

    def step(self, closure=None):
        """Update every parameter that has a gradient; ``closure`` re-evaluates and returns the loss."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    self._update(p, p.grad.data, group, self.state.setdefault(p, {}))
                    mark_changed(p)  # a graph that saved p can no longer go backward
        return loss

    def _update(self, p, grad, group: dict, state: dict) -> None:
        raise NotImplementedError(f"{type(self).__name__}._update")

    # ----- checkpoints -------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """``{"state": {index: {name: ndarray}}, "param_groups": [{..., "params": [index, ...]}]}``.

        Parameters are numbered in group order, as PyTorch does; every state value is a NumPy
        array (``step`` a 0-d int64), copied, so a checkpoint can store it in safetensors or npz.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {index[id(p)]: {k: _to_numpy(v) for k, v in s.items()}
                 for p, s in self.state.items() if s and id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Load hyper-parameters and state saved by ``state_dict`` (arrays are copied in the
        parameter's dtype and device; integer keys may also be strings, as JSON leaves them).

        Raises:
            ValueError: the number of groups, or of parameters in a group, differs.
        """
        name = type(self).__name__
        if not (isinstance(state_dict, dict) and isinstance(state_dict.get("state"), dict)
                and isinstance(state_dict.get("param_groups"), list)):
            raise TypeError(f"{name}.load_state_dict: expects a dict with 'state' (a dict) and 'param_groups' (a list), "
                            f"as state_dict() gives. Received: {type(state_dict).__name__}.")
        saved = state_dict["param_groups"]
        if len(saved) != len(self.param_groups):
            raise ValueError(f"{name}.load_state_dict: the state dict has {len(saved)} parameter groups, "
                             f"the optimizer {len(self.param_groups)}.")
        by_index = {}
        for i, (group, s) in enumerate(zip(self.param_groups, saved)):
            if len(group["params"]) != len(s["params"]):
                raise ValueError(f"{name}.load_state_dict: parameter group {i} has {len(s['params'])} "
                                 f"parameters in the state dict, {len(group['params'])} in the optimizer.")
            by_index.update({int(k): p for k, p in zip(s["params"], group["params"])})
        self.state = {}
        for k, s in state_dict["state"].items():
            p = by_index.get(int(k))
            if p is not None:
                self.state[p] = {key: _from_numpy(key, v, p) for key, v in s.items()}
        self.param_groups = [{**s, "params": g["params"]} for g, s in zip(self.param_groups, saved)]

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join(lines + [")"])


def _to_numpy(value) -> np.ndarray:
    if isinstance(value, (int, np.integer)):
        return np.array(value, dtype=np.int64)
    return np.array(backend.to_numpy(value))  # a copy: later steps must not change a checkpoint


def _from_numpy(key: str, value, p):
    if key == "step":
        return int(np.asarray(backend.to_numpy(value)))
    array = np.array(backend.to_numpy(value), dtype=p.data.dtype)  # a copy, in the parameter's dtype
    if array.shape != p.shape:
        raise ValueError(f"load_state_dict: state {key!r} has shape {array.shape}, its parameter {p.shape}.")
    return backend.to_device(array, p.device)
