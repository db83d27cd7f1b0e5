"""``Function``: one node of the graph, with a forward and a hand-written backward.

Design choice (see DESIGN.md): ``forward`` and ``backward`` work on raw arrays (NumPy or
CuPy), not on tensors. That keeps each op's two halves side by side, makes the graph
bookkeeping one object per op, and is the fastest choice; the price is that barenet does
not compute higher-order gradients.

An op subclasses ``Function``, takes its non-tensor settings in ``__init__``, saves in
``forward`` only what ``backward`` needs, and returns from ``backward`` one gradient per
input (``None`` where an input needs none)::

    class Exp(Function):
        def forward(self, x):
            self.y = np.exp(x)
            return self.y

        def backward(self, gy):
            return gy * self.y          # d exp(x)/dx = exp(x)

``Exp()(x)`` runs it on a tensor ``x``. Inside ``forward``, ``self.needs_input_grad``
tells which inputs will want a gradient, so an op can skip saving what no one will use.
"""
from __future__ import annotations

from .grad_mode import is_grad_enabled


class Function:
    """Base class of every differentiable op (single output)."""

    inputs = ()
    needs_input_grad = ()

    def __call__(self, *inputs):
        from .tensor import Tensor

        arrays = []
        needs = []
        for x in inputs:
            if isinstance(x, Tensor):
                arrays.append(x.data)
                needs.append(x.requires_grad)
            else:
                arrays.append(x)
                needs.append(False)
        record = is_grad_enabled() and any(needs)
        self.needs_input_grad = tuple(needs) if record else (False,) * len(inputs)
        out = self.forward(*arrays)
        if not record:
            return Tensor._wrap(out)
        self.inputs = inputs
        return Tensor._wrap(out, ctx=self)

    def forward(self, *arrays):
        raise NotImplementedError(f"{type(self).__name__}.forward")

    def backward(self, gy):
        raise NotImplementedError(f"{type(self).__name__}.backward")

    def __repr__(self) -> str:
        return f"<{type(self).__name__}Backward>"


def _topological_order(root):
    """Tensors that need a gradient, each after every tensor computed from it (iterative DFS).

    No recursion, so graphs thousands of layers deep (ResNet-1202) are fine.
    """
    order, seen = [], set()
    stack = [(root, False)]
    while stack:
        t, expanded = stack.pop()
        if expanded:
            order.append(t)
            continue
        if id(t) in seen:
            continue
        seen.add(id(t))
        stack.append((t, True))
        ctx = t._ctx
        if ctx is not None:
            if ctx.inputs is None:
                raise RuntimeError(
                    "backward: trying to backward through the graph a second time; its saved "
                    "arrays were freed. Pass retain_graph=True to the first backward call."
                )
            for x in ctx.inputs:
                if getattr(x, "requires_grad", False) and id(x) not in seen:
                    stack.append((x, False))
    order.reverse()
    return order


def run_backward(root, gradient, retain_graph: bool = False) -> None:
    """Propagate ``gradient`` (an array shaped like ``root``) to every leaf that requires grad.

    Leaf gradients accumulate into ``.grad`` (out of place, so aliased arrays are never
    modified); non-leaf tensors keep theirs only after ``retain_grad()``.
    """
    from .tensor import Tensor

    grads = {id(root): gradient}
    for t in _topological_order(root):
        g = grads.pop(id(t), None)
        if g is None:
            continue
        for hook in t._hooks or ():
            out = hook(Tensor._wrap(g))
            if out is not None:
                g = out.data if isinstance(out, Tensor) else out
        ctx = t._ctx
        if ctx is None or t._retains_grad:
            t.grad = Tensor._wrap(g) if t.grad is None else Tensor._wrap(t.grad.data + g)
        if ctx is None:
            continue
        input_grads = ctx.backward(g)
        if not isinstance(input_grads, tuple):
            input_grads = (input_grads,)
        for x, needs, gx in zip(ctx.inputs, ctx.needs_input_grad, input_grads):
            if not needs or gx is None:
                continue
            if gx.shape != x.data.shape:
                raise RuntimeError(
                    f"{ctx!r}: backward returned a gradient of shape {gx.shape} for an input "
                    f"of shape {x.data.shape}."
                )
            prev = grads.get(id(x))
            grads[id(x)] = gx if prev is None else prev + gx
        if not retain_graph:
            vars(ctx).clear()  # drop the saved arrays now, not when the graph is collected
            ctx.inputs = None  # a second backward through it raises a clear error
