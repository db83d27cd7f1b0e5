"""The walk behind ``summary`` and ``profile``: one forward pass with every layer and op recorded.

Two mechanisms, both undone when the walk ends:

- forward pre-/post-hooks on every module. A module with a counting rule, or without children,
  is a *layer*: it becomes one node, costed by its rule (``counting.module_cost``) or, lacking
  one, by the ops it runs. A module with children and no rule is a *block*: its children are
  walked, and the ops of its own ``forward`` body become nodes of their own;
- ``Function.__call__`` routed through the tracer (every op of barenet's autograd is a
  ``Function``), which is how the ops of a block's body are seen: a residual sum
  ``self.residual(x) + identity`` becomes a node ``layer1.0.add``, Inception's concatenation a node
  ``inception3a.cat``. Hooks alone cannot see them, and an autograd graph would need a forward
  pass with gradients on, holding every activation.

Each tensor is tagged with the node that produced it and its receptive field (a weak
reference guards the tag against a recycled ``id``), so nodes know their inputs — the edges of
the layer graph — and fields propagate through branches. With ``shape_only`` the convolutions,
where nearly all the time goes, return zeros of the right shape instead of computing: ResNet-152
at 224x224 walks in about a tenth of a second.
"""
from __future__ import annotations

import threading
import time
import weakref
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from .. import backend
from ..autograd import Function, Tensor
from ..functional import conv as conv_ops
from .counting import VIEW_OPS, Cost, has_rule, module_cost, op_cost
from .receptive_field import ReceptiveField

__all__ = ["Node", "Tracer", "run_traced"]

_ORIGINAL_CALL = Function.__call__
_local = threading.local()
_install_lock = threading.Lock()
_installed = [0]


def _traced_call(fn, *inputs):
    tracer = getattr(_local, "tracer", None)
    if tracer is None:  # another thread, or no walk: the op runs untouched
        return _ORIGINAL_CALL(fn, *inputs)
    return tracer.on_op(fn, inputs)


@contextmanager
def _ops_routed_to(tracer):
    with _install_lock:
        if _installed[0] == 0:
            Function.__call__ = _traced_call
        _installed[0] += 1
    previous, _local.tracer = getattr(_local, "tracer", None), tracer
    try:
        yield
    finally:
        _local.tracer = previous
        with _install_lock:
            _installed[0] -= 1
            if _installed[0] == 0:
                Function.__call__ = _ORIGINAL_CALL


@dataclass
class Node:
    """One layer or block-level op, in execution order; ``inputs`` are producer indices (-1: the model input)."""

    index: int
    name: str
    type: str
    module: object = None
    inputs: list = field(default_factory=list)
    input_shapes: list = field(default_factory=list)
    output_shape: tuple = ()
    output_bytes: int = 0
    cost: Cost = field(default_factory=Cost)
    receptive_field: ReceptiveField | None = None
    forward_s: float = 0.0
    backward_s: float = 0.0
    in_tags: list = field(default_factory=list, repr=False)  # (producer, field) of the inputs, while open
    start: float = field(default=0.0, repr=False)


def _tensors_in(value) -> list:
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in _tensors_in(v)]
    return []


def _stub_convolution(fn, inputs) -> None:
    """Make a convolution op return zeros of its output shape instead of computing it."""
    kind = type(fn)
    if kind is not conv_ops.Conv2d and kind is not conv_ops.ConvTranspose2d:
        return
    x, w = (getattr(a, "data", a) for a in inputs[:2])
    if kind is conv_ops.Conv2d:
        shape = (x.shape[0], w.shape[0], fn.g.oh, fn.g.ow)
    else:  # the geometry is the adjoint convolution's, whose input is this op's output
        shape = (x.shape[0], w.shape[1] * fn.groups, fn.g.h, fn.g.w)
    xp, dtype = backend.get_array_module(x, w), np.result_type(x.dtype, w.dtype)
    fn.forward = lambda *arrays: xp.zeros(shape, dtype)


class Tracer:
    """Records the nodes of one forward pass (see the module docstring).

    Args:
        shape_only: convolutions return zeros instead of computing (values are meaningless,
            shapes exact).
        timing: time each node's forward, and wrap each recorded op's backward to time it too.
    """

    def __init__(self, shape_only: bool = True, timing: bool = False):
        self.shape_only, self.timing = shape_only, timing
        self.nodes: list[Node] = []
        self.frames: list = []  # ("layer" | "opaque", node) | ("inside", None) | ("block", name)
        self._tags: dict = {}
        self._names: dict = {}

    # ----- tensors -------------------------------------------------------------------------
    def tag(self, t: Tensor, producer: int, rf) -> None:
        self._tags[id(t)] = (weakref.ref(t), producer, rf)

    def tag_of(self, t):
        entry = self._tags.get(id(t)) if isinstance(t, Tensor) else None
        return entry[1:] if entry is not None and entry[0]() is t else None

    def _fields(self, cost: Cost, tags: list):
        rfs = [rf for _, rf in tags]
        if cost.spatial is None or not rfs or None in rfs:
            return None
        if cost.spatial == "window":
            return rfs[0].through(cost.window)
        merged = rfs[0]
        for rf in rfs[1:]:
            merged = merged.union(rf) if merged is not None else None
        return merged

    # ----- nodes ---------------------------------------------------------------------------
    def _new_node(self, name: str, type_name: str, module, tensors: list) -> tuple:
        tags = [tag for tag in map(self.tag_of, tensors) if tag is not None]
        producers = list(dict.fromkeys(p for p, _ in tags))
        node = Node(len(self.nodes), name, type_name, module, producers, [tuple(t.shape) for t in tensors])
        self.nodes.append(node)
        return node, tags

    def _unique(self, name: str) -> str:
        count = self._names.get(name, 0)
        self._names[name] = count + 1
        return name if count == 0 else f"{name}_{count}"

    def _row_of_frames(self):
        for kind, value in reversed(self.frames):
            if kind in ("layer", "opaque"):
                return value
        return None

    # ----- hooks ---------------------------------------------------------------------------
    def watch(self, model) -> list:
        """Hook every module of ``model``; returns the handles to remove."""
        handles = []
        for name, module in model.named_modules():
            label = name or type(module).__name__
            handles.append(module.register_forward_pre_hook(lambda m, args, n=label: self.pre(n, m, args)))
            handles.append(module.register_forward_hook(lambda m, args, out: self.post(m, out)))
        return handles

    def pre(self, name: str, module, args) -> None:
        if self.frames and self.frames[-1][0] in ("layer", "opaque", "inside"):
            self.frames.append(("inside", None))  # a layer's own submodules are part of it
            return
        if not (has_rule(module) or not module._modules):
            self.frames.append(("block", name))
            return
        node, node.in_tags = self._new_node(name, type(module).__name__, module, _tensors_in(args))
        self.frames.append(("layer" if has_rule(module) else "opaque", node))
        node.start = time.perf_counter()

    def post(self, module, output) -> None:
        kind, node = self.frames[-1]
        if kind in ("inside", "block"):
            self.frames.pop()
            return
        node.forward_s += time.perf_counter() - node.start
        outputs = _tensors_in(output)
        node.output_shape = tuple(outputs[0].shape) if outputs else ()
        node.output_bytes = sum(int(t.data.nbytes) for t in outputs)
        if outputs and 0 in node.output_shape:
            raise ValueError(f"the output would be empty: shape {node.output_shape}")
        self.frames.pop()
        if kind == "layer":
            node.cost = module_cost(module, node.input_shapes, node.output_shape)
            rf = self._fields(node.cost, node.in_tags)
        else:
            own = self.tag_of(outputs[0]) if outputs else None
            rf = own[1] if own is not None and own[0] == node.index else None
        node.receptive_field = rf
        for t in outputs:
            self.tag(t, node.index, rf)
        node.in_tags = []

    # ----- ops -----------------------------------------------------------------------------
    def on_op(self, fn, inputs):
        if self.shape_only:
            _stub_convolution(fn, inputs)
        kind, value = self.frames[-1] if self.frames else ("block", "")
        if kind in ("layer", "inside"):  # costed by the layer's rule
            out = _ORIGINAL_CALL(fn, *inputs)
            self._time_backward(fn, out, self._row_of_frames())
            return out
        start = time.perf_counter()
        out = _ORIGINAL_CALL(fn, *inputs)
        elapsed = time.perf_counter() - start
        tensors = [x for x in inputs if isinstance(x, Tensor)]
        cost = op_cost(fn, [getattr(x, "data", x) for x in inputs], out.data)
        if kind == "opaque":  # a layer without a rule: its ops add up
            tags = [tag for tag in map(self.tag_of, tensors) if tag is not None]
            value.cost = cost if value.cost == Cost() else value.cost + cost
            self.tag(out, value.index, self._fields(cost, tags))
            self._time_backward(fn, out, value)
            return out
        return self._block_op(fn, value, tensors, cost, out, elapsed)

    def _block_op(self, fn, block: str, tensors: list, cost: Cost, out, elapsed: float):
        name = type(fn).__name__
        if name in VIEW_OPS:  # a relabelled tensor still comes from the same layer
            tag = self.tag_of(tensors[0]) if tensors else None
            if tag is not None:
                same_grid = out.ndim == 4 and tensors[0].ndim == 4 and out.shape[2:] == tensors[0].shape[2:]
                self.tag(out, tag[0], tag[1] if same_grid else None)
            return out
        op = name.lower()
        node, tags = self._new_node(self._unique(f"{block}.{op}" if block else op), op, None, tensors)
        node.cost, node.forward_s = cost, elapsed
        node.output_shape, node.output_bytes = tuple(out.shape), int(out.data.nbytes)
        node.receptive_field = self._fields(cost, tags)
        self.tag(out, node.index, node.receptive_field)
        self._time_backward(fn, out, node)
        return out

    def _time_backward(self, fn, out, node) -> None:
        if not self.timing or node is None or out._ctx is not fn:
            return
        backward = fn.backward

        def timed(gy):
            start = time.perf_counter()
            result = backward(gy)
            node.backward_s += time.perf_counter() - start
            return result

        fn.backward = timed

    def failing_layer(self) -> str:
        """Where the walk stopped: the innermost layer or block still open."""
        for kind, value in reversed(self.frames):
            if kind in ("layer", "opaque"):
                shape = value.input_shapes[0] if value.input_shapes else ()
                return f"layer {value.name!r} ({value.type}), whose input is {shape},"
            if kind == "block":
                return f"block {value!r}"
        return "the model"


def run_traced(model, x: Tensor, tracer: Tracer):
    """Run ``model(x)`` under ``tracer``; returns the output. Hooks and op routing are removed after."""
    tracer.tag(x, -1, ReceptiveField.identity() if x.ndim == 4 else None)
    handles = tracer.watch(model)
    try:
        with _ops_routed_to(tracer):
            return model(x)
    finally:
        for handle in handles:
            handle.remove()
