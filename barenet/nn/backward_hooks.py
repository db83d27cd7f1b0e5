"""Module backward hooks (``register_full_backward_hook`` and ``register_full_backward_pre_hook``,
PyTorch's semantics) on barenet's single-output graph nodes.

A hooked module's call puts an identity op on each tensor output, which catches dL/d(output),
and one on each positional tensor input that requires grad, which catches dL/d(input). The
backward pass reaches every output node before any input node (the module's own ops lie
between them), so:

* the pre-hooks run when the last output gradient arrives: ``hook(module, grad_output)``, and
  may return new output gradients;
* the hooks run when the last input gradient arrives (or, if no input requires grad, right
  after the pre-hooks): ``hook(module, grad_input, grad_output)``, and may return new input
  gradients.

Each node can only change the gradient passing through it, so a replacement is accepted for the
last-arriving output (pre-hooks) or input (hooks); a module with one tensor input and one output,
nearly every layer, gets the whole of PyTorch's behaviour. Replacing an earlier one raises.
"""
from __future__ import annotations

from ..autograd import Function, Tensor


class Call:
    """One call of a hooked module: its gradients so far, and the hooks to run."""

    def __init__(self, module, args: tuple):
        self.module = module
        self.needs = [isinstance(a, Tensor) and a.requires_grad for a in args]
        self.grad_inputs = [None] * len(args)
        self.inputs_left = sum(self.needs)
        self.grad_outputs, self.outputs_left = [], 0  # set by ``hook_outputs``

    def output_arrived(self, i: int, g):
        self.grad_outputs[i] = g
        self.outputs_left -= 1
        if self.outputs_left:
            return g
        for hook in tuple(self.module._backward_pre_hooks.values()):
            new = hook(self.module, self._tensors(self.grad_outputs))
            if new is not None:
                self.grad_outputs = self._replace("register_full_backward_pre_hook", self.grad_outputs, new, i)
        if not self.inputs_left:
            self._run_hooks()
        return self.grad_outputs[i]

    def input_arrived(self, i: int, g):
        self.grad_inputs[i] = g
        self.inputs_left -= 1
        if not self.inputs_left:
            self._run_hooks(last=i)
        return self.grad_inputs[i]

    def _run_hooks(self, last: int | None = None) -> None:
        for hook in tuple(self.module._backward_hooks.values()):
            new = hook(self.module, self._tensors(self.grad_inputs), self._tensors(self.grad_outputs))
            if new is not None:
                self.grad_inputs = self._replace("register_full_backward_hook", self.grad_inputs, new, last)

    @staticmethod
    def _tensors(arrays: list) -> tuple:
        return tuple(None if a is None else Tensor._wrap(a) for a in arrays)

    @staticmethod
    def _replace(owner: str, current: list, new, last: int | None) -> list:
        new = new if isinstance(new, (tuple, list)) else (new,)
        if len(new) != len(current):
            raise RuntimeError(f"{owner}: the hook returned {len(new)} gradients for {len(current)}.")
        arrays = [None if g is None else (g.data if isinstance(g, Tensor) else g) for g in new]
        for k, (old, a) in enumerate(zip(current, arrays)):
            if old is not None and a is not old and k != last:
                raise RuntimeError(f"{owner}: only the gradient that arrives last can be replaced (entry {last}); "
                                   f"entry {k} has already gone on through the graph.")
            if old is not None and a is not None and a.shape != old.shape:
                raise RuntimeError(f"{owner}: the hook returned a gradient of shape {a.shape} for one of {old.shape}.")
        return arrays


class _Identity(Function):
    """y = x; backward hands dL/dy to the module call, which may replace it."""

    def __init__(self, arrived, i: int):
        self.arrived, self.i = arrived, i

    def forward(self, x):
        return x

    def backward(self, gy):
        return self.arrived(self.i, gy)


def hook_inputs(call: Call, args: tuple) -> tuple:
    """The call's positional arguments, each tensor that requires grad behind an identity op."""
    return tuple(_Identity(call.input_arrived, i)(a) if need else a for i, (a, need) in enumerate(zip(args, call.needs)))


def hook_outputs(call: Call, result):
    """The call's result (a tensor, or a tuple or list of them), each tensor that requires grad
    behind an identity op."""
    outputs = (result,) if isinstance(result, Tensor) else tuple(result)
    needs = [isinstance(t, Tensor) and t.requires_grad for t in outputs]
    call.grad_outputs, call.outputs_left = [None] * len(outputs), sum(needs)
    hooked = [_Identity(call.output_arrived, i)(t) if need else t for i, (t, need) in enumerate(zip(outputs, needs))]
    return hooked[0] if isinstance(result, Tensor) else type(result)(hooked)
