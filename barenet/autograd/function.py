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

import threading
import weakref

from .. import backend
from .grad_mode import _state, no_grad

# ``tensor.py`` binds the Tensor class here once it exists (the two modules need each other);
# a module global is much cheaper per op than an import inside ``__call__``.
Tensor = None


class Function:
    """Base class of every differentiable op (single output)."""

    inputs = ()
    needs_input_grad = ()
    #: In-place changes of tensors so far, in the whole process (``mark_changed``); each recorded
    #: op keeps the count it ran at (``epoch``), so a backward pass can tell whether anything
    #: changed since, at one comparison.
    changes = 0
    epoch = 0
    #: An op that combines operands by broadcasting sets its name here: a shape error of the
    #: array module in ``forward`` is then raised naming the op, the operands' shapes and the rule.
    broadcasts: str | None = None
    shape_rule = "aligned from the last, each dimension must match or be 1"

    def __call__(self, *inputs):
        # One plain loop (no comprehensions, no helper calls): this runs once per op.
        tensor_cls = Tensor
        arrays = []
        record = False
        for x in inputs:
            if isinstance(x, tensor_cls):
                arrays.append(x.data)
                if x.requires_grad:
                    record = True
            else:
                arrays.append(x)
        record = record and _state.enabled
        if record:
            self.needs_input_grad = tuple([isinstance(x, tensor_cls) and x.requires_grad for x in inputs])
        else:
            self.needs_input_grad = (False,) * len(inputs)
        try:
            out = self.forward(*arrays)
        except ValueError as err:
            if self.broadcasts is None:
                raise
            shapes = " and ".join(str(tuple(getattr(a, "shape", ()))) for a in arrays)
            raise ValueError(f"{self.broadcasts}: operands of shapes {shapes} cannot be combined "
                             f"({self.shape_rule}). The array module said: {err}") from None
        if record:
            self.inputs = inputs
            self.epoch = Function.changes
            return tensor_cls._wrap(out, self)
        return tensor_cls._wrap(out)

    def forward(self, *arrays):
        raise NotImplementedError(f"{type(self).__name__}.forward")

    def backward(self, gy):
        raise NotImplementedError(f"{type(self).__name__}.backward")

    def __repr__(self) -> str:
        return f"<{type(self).__name__}Backward>"


def _topological_order(roots: list) -> list:
    """Tensors that need a gradient, each before every tensor it was computed from (iterative DFS
    from each root in turn; a tensor a later root reaches again keeps its earlier place, which
    its own descendants all precede).

    No recursion, so graphs thousands of layers deep (ResNet-1202) are fine.
    """
    order, seen = [], set()
    stack = [(root, False) for root in reversed(roots)]
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
    return order  # post-order: roots last, so ``order.pop()`` walks from the roots down


def _run_hooks(t, g):
    for hook in tuple(t._hooks):
        out = hook(Tensor._wrap(g))
        if out is not None:
            g = out.data if isinstance(out, Tensor) else out
            if g.shape != t.data.shape:
                raise RuntimeError(f"hook: returned a gradient of shape {g.shape} for a tensor of "
                                   f"shape {t.data.shape}.")
    return g


def _store_grad(t, g) -> None:
    """Accumulate into ``t.grad`` as PyTorch does: the first gradient is copied into a fresh array
    in ``t``'s dtype (``g`` may be shared: ``a + b`` hands both inputs the same array, and a
    caller keeps the one it passed), later ones are added to it in place, so every reference to
    ``.grad`` sees the sum."""
    if t.grad is None:
        t.grad = Tensor._wrap(g.astype(t.data.dtype))  # astype copies
    else:
        t.grad.data += g


def reset_grads(params, set_to_none: bool = True) -> None:
    """``zero_grad`` for modules and optimizers: drop each gradient (the default), or zero it in
    place, as PyTorch does."""
    for p in params:
        if p.grad is not None:
            if set_to_none:
                p.grad = None
            else:
                p.grad.data[...] = 0


def run_backward(roots: list, gradients: list, retain_graph: bool = False, capture: dict | None = None) -> None:
    """Propagate each of ``gradients`` (arrays shaped like their ``roots``) back through the graph.

    Leaf gradients accumulate into ``.grad``, and non-leaf tensors keep theirs after
    ``retain_grad()``; with ``capture`` (a dict keyed by the ids of some tensors), each of those
    tensors' gradient is put there instead and no ``.grad`` changes (``autograd.grad``). Hooks run
    with graph recording off, as in PyTorch.
    """
    order = _topological_order(roots)
    grads: dict = {}
    for root, gradient in zip(roots, gradients):
        grads[id(root)] = gradient if id(root) not in grads else grads[id(root)] + gradient
    with no_grad():
        while order:
            t = order.pop()  # dropping each reference as we go frees activations early
            g = grads.pop(id(t), None)
            if g is None:
                continue
            if t._hooks:
                g = _run_hooks(t, g)
            ctx = t._ctx
            if capture is not None:
                if id(t) in capture:
                    capture[id(t)] = g
            elif ctx is None or t._retains_grad:
                _store_grad(t, g)
            if ctx is not None:
                _backward_node(ctx, g, grads, retain_graph)


# The memory changed in place since the process began: the id of each changed array's base (the
# array owning the memory) -> (the change count then, a weak reference to that base), oldest first.
_changed: dict = {}
_CHANGED_KEPT = 1024
_changed_lock = threading.Lock()  # a data-loading thread may change tensors in place too


def mark_changed(t) -> None:
    """Record an in-place change of tensor ``t``'s array (see ``Function.changes``): by the memory,
    so a change through a view, or through ``detach()``, counts for every tensor on that memory,
    as PyTorch's shared version counters do."""
    base = t.data if t.data.base is None else t.data.base
    try:
        ref = weakref.ref(base)
    except TypeError:  # an array type without weak references: hold it
        ref = (lambda kept: lambda: kept)(base)
    with _changed_lock:
        Function.changes += 1
        _changed.pop(id(base), None)  # re-inserted last: the dict stays ordered by change
        _changed[id(base)] = (Function.changes, ref)
        if len(_changed) > _CHANGED_KEPT:  # forget freed memory, then the oldest changes, down to half
            for key in [k for k, (_, r) in _changed.items() if r() is None]:  # (so pruning is amortised)
                del _changed[key]
            while len(_changed) > _CHANGED_KEPT // 2:
                del _changed[next(iter(_changed))]


def _check_saved_arrays(ctx) -> None:
    """Raise if memory changed in place after the op ran holds an array the op saved for its
    backward, whose gradient would then be wrong, as PyTorch does; an op that saved nothing of
    its inputs (``a + b``) is unaffected. Called only when something was changed since the op
    ran; looks at those changes alone, newest first."""
    saved = [a for v in vars(ctx).values() for a in (v if isinstance(v, (tuple, list)) else (v,))
             if hasattr(a, "__array_interface__") or hasattr(a, "__cuda_array_interface__")]
    with _changed_lock:
        changes = list(_changed.values())
    for count, ref in reversed(changes):
        if count <= ctx.epoch:
            return
        base = ref()
        if base is None:
            continue
        xp = backend.get_array_module(base)
        for a in saved:
            if backend.get_array_module(a) is xp and xp.may_share_memory(a, base):
                raise RuntimeError(
                    f"backward: {ctx!r} saved an array of shape {a.shape} for its gradient, and it (or memory it "
                    f"shares) was changed in place since, so the gradient would be wrong. Change a clone "
                    f"(x.clone()) instead, or change it after backward.")


def _backward_node(ctx, g, grads: dict, retain_graph: bool) -> None:
    """Run one op's backward and add its input gradients into ``grads`` (out of place)."""
    if ctx.epoch != Function.changes:
        _check_saved_arrays(ctx)
    input_grads = ctx.backward(g)
    if not isinstance(input_grads, tuple):
        input_grads = (input_grads,)
    if len(input_grads) != len(ctx.inputs) and True in ctx.needs_input_grad[len(input_grads):]:
        raise RuntimeError(f"{ctx!r}: backward returned {len(input_grads)} gradients for "
                           f"{len(ctx.inputs)} inputs; return one per input (None where none).")
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
