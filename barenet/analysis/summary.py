"""``summary(model, input_size)``: every layer's shape, parameters, MACs, memory and receptive field.

The counting convention is ``counting``'s (MACs of conv/linear layers, as torch forward hooks
count them; everything else as separately named other operations), per sample. How the walk
works (one forward pass, convolutions only shaped) is ``trace``'s docstring.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from .. import nn, random
from ..autograd import Tensor, set_grad_enabled
from .counting import MAC_KINDS
from .memory import conv_workspace_sizes, network_workspace_bytes, training_memory
from .receptive_field import ReceptiveField
from .trace import Tracer, run_traced

__all__ = ["Layer", "Summary", "summary", "check_input_size", "traced_nodes", "layers_of"]


@dataclass
class Layer:
    """One row of a summary: a layer, or an op of a block's own ``forward`` (``layer1.0.add``).

    ``params`` counts each parameter at the first layer that uses it, so shared parameters are
    counted once. ``macs`` and ``ops`` (other operations) are per sample; ``output_bytes`` too.
    ``receptive_field`` is None where units have no spatial field (after flattening).
    """

    name: str
    type: str
    kind: str
    output_shape: tuple
    input_shapes: list
    inputs: list
    params: int = 0
    trainable_params: int = 0
    macs: int = 0
    ops: int = 0
    output_bytes: int = 0
    receptive_field: ReceptiveField | None = None
    kernel: tuple | None = None
    backward_macs: int = 0
    module: object = field(default=None, repr=False)

    def to_dict(self) -> dict:
        rf = self.receptive_field
        return {
            "name": self.name, "type": self.type, "kind": self.kind, "output_shape": list(self.output_shape),
            "params": self.params, "trainable_params": self.trainable_params, "macs": self.macs, "ops": self.ops,
            "output_bytes": self.output_bytes, "inputs": list(self.inputs),
            "receptive_field": None if rf is None else list(rf.size),
            "jump": None if rf is None else list(rf.jump), "start": None if rf is None else list(rf.start),
        }


@dataclass
class Summary:
    """The result of ``summary``: ``layers`` in execution order and the model's totals.

    Attributes:
        macs: conv/linear (and matmul) multiply-accumulates per sample; ``flops`` is twice that.
        backward_macs: the backward pass' MACs per sample: dL/dW and dL/dx each cost a forward,
            except that a layer reading the model input needs no dL/dx.
        ops: other operations per sample (``ops_by_type`` splits them by layer kind).
        activation_bytes: the outputs of every layer for one sample.
        workspace_bytes: barenet's convolution workspace for a training step at ``batch_size``
            (columns built a chunk of the batch at a time, buffers reused from layer to layer).
        naive_im2col_bytes: the same without chunking: the whole batch's columns at once.
        unused_params: parameters of layers the pass did not run.
    """

    model: str
    input_shape: tuple
    batch_size: int
    dtype: str
    layers: list
    total_params: int
    trainable_params: int
    param_bytes: int
    trainable_bytes: int
    buffer_bytes: int
    activation_bytes: int
    workspace_bytes: int
    naive_im2col_bytes: int

    @property
    def macs(self) -> int:
        return sum(layer.macs for layer in self.layers)

    @property
    def flops(self) -> int:
        return 2 * self.macs

    @property
    def backward_macs(self) -> int:
        return sum(layer.backward_macs for layer in self.layers)

    @property
    def ops(self) -> int:
        return sum(layer.ops for layer in self.layers)

    @property
    def macs_by_type(self) -> dict:
        out = {"conv": 0, "linear": 0}
        for layer in self.layers:
            if layer.macs or layer.kind in MAC_KINDS:
                out[layer.kind] = out.get(layer.kind, 0) + layer.macs
        return out

    @property
    def ops_by_type(self) -> dict:
        out = {}
        for layer in self.layers:
            if layer.ops:
                out[layer.kind] = out.get(layer.kind, 0) + layer.ops
        return out

    @property
    def unused_params(self) -> int:
        """Parameters of layers this forward pass did not run (GoogLeNet's auxiliary heads in eval)."""
        return self.total_params - sum(layer.params for layer in self.layers)

    def training_memory(self, batch_size: int | None = None, optimizer: str = "momentum") -> dict:
        """Training-memory estimate in bytes (see ``memory``); ``batch_size`` defaults to the summary's."""
        batch = self.batch_size if batch_size is None else batch_size
        workspace = self.workspace_bytes if batch == self.batch_size else _workspace(self.layers, batch, self.itemsize)
        return training_memory(self.param_bytes, self.buffer_bytes, self.trainable_bytes, self.activation_bytes,
                               workspace, batch, optimizer)

    @property
    def itemsize(self) -> int:
        return np.dtype(self.dtype).itemsize

    def to_dict(self, optimizer: str = "momentum") -> dict:
        """A JSON-ready dict: the totals, ``layers`` and the training-memory estimate."""
        return {
            "model": self.model, "input_shape": list(self.input_shape), "batch_size": self.batch_size,
            "dtype": self.dtype, "total_params": self.total_params, "trainable_params": self.trainable_params,
            "unused_params": self.unused_params, "macs": self.macs, "flops": self.flops,
            "backward_macs": self.backward_macs, "macs_by_type": self.macs_by_type, "ops": self.ops,
            "ops_by_type": self.ops_by_type, "param_bytes": self.param_bytes, "buffer_bytes": self.buffer_bytes,
            "activation_bytes": self.activation_bytes * self.batch_size,
            "activation_bytes_per_sample": self.activation_bytes,
            "workspace_bytes": self.workspace_bytes, "naive_im2col_bytes": self.naive_im2col_bytes,
            "training_memory": self.training_memory(optimizer=optimizer),
            "layers": [layer.to_dict() for layer in self.layers],
        }

    def __str__(self) -> str:
        from .report import summary_table

        return summary_table(self)


def check_input_size(input_size, op: str = "summary") -> tuple:
    """``input_size`` as a tuple of positive ints: one sample's shape, e.g. ``(3, 224, 224)``.

    Raises:
        ValueError: anything else.
    """
    size = tuple(input_size) if isinstance(input_size, (tuple, list)) else (input_size,)
    if not size or not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n > 0 for n in size):
        raise ValueError(f"{op}: input_size must be one sample's shape, positive ints such as (3, 224, 224). "
                         f"Received: input_size={input_size!r}.")
    return tuple(int(n) for n in size)


def _model_input(model, size: tuple, dtype, batch: int, fill_seed: int | None) -> Tensor:
    """Zeros, or standard normal values drawn from ``fill_seed`` (not from barenet's own stream)."""
    param = next(model.parameters(), None)
    dtype = np.dtype(dtype if dtype is not None else (param.dtype if param is not None else np.float32))
    shape = (batch,) + size
    values = np.zeros(shape, dtype) if fill_seed is None else np.random.default_rng(fill_seed).standard_normal(shape)
    x = Tensor(values.astype(dtype, copy=False))
    return x.to(param.device) if param is not None else x


@contextmanager
def _untouched(model, training: bool):
    """Run in ``training`` mode, then restore every module's mode, the buffers and the random stream
    (a training-mode pass updates BatchNorm statistics and draws dropout masks)."""
    modes = [(m, m.training) for m in model.modules()]
    buffers = [(b, b.data.copy()) for b in model.buffers()] if training else []
    rng_state = random.get_rng_state()
    model.train(training)
    try:
        yield
    finally:
        for m, mode in modes:
            m.__dict__["training"] = mode
        for b, data in buffers:
            b.data[...] = data
        random.set_rng_state(rng_state)


def _root_message(error: BaseException) -> str:
    while error.__cause__ is not None:
        error = error.__cause__
    return str(error)


def traced_nodes(model, input_size, *, batch_size: int = 1, dtype=None, training: bool = False,
                 shape_only: bool = True, grad: bool = False, timing: bool = False, op: str = "summary",
                 fill_seed: int | None = None):
    """Run one traced forward pass on zeros (or seeded random values); returns the tracer's nodes and
    the output. Modes, buffers and barenet's random stream are as before afterwards.

    Raises:
        ValueError: a layer cannot run on what it receives (too small an input makes its output
            empty, wrong channels...): the message names the layer and the shape it got.
    """
    size = check_input_size(input_size, op)
    x = _model_input(model, size, dtype, batch_size, fill_seed)
    tracer = Tracer(shape_only=shape_only, timing=timing)
    with _untouched(model, training), set_grad_enabled(grad):
        try:
            output = run_traced(model, x, tracer)
        except ValueError as error:
            raise ValueError(f"{op}: {tracer.failing_layer()} cannot run on an input of size {size}: "
                             f"{_root_message(error)}") from error
    return tracer.nodes, output


def _workspace(layers: list, batch: int, itemsize: int, chunked: bool = True) -> int:
    """The convolutions' workspace for a training step (buffers reused from layer to layer)."""
    sizes = []
    for layer in layers:
        conv = layer.module
        if not isinstance(conv, nn.Conv2d) or len(layer.input_shapes[0]) != 4:
            continue  # a transposed convolution's buffers are not counted
        sizes.append(conv_workspace_sizes((batch, *layer.input_shapes[0][1:]), conv.weight.shape, conv.stride,
                                          conv.padding, conv.dilation, conv.groups, itemsize, chunked))
    return network_workspace_bytes(sizes)


def layers_of(nodes: list) -> list:
    """The summary rows of a walk's nodes; each parameter is counted at the first row that uses it."""
    seen, layers = set(), []
    for node in nodes:
        params = [p for p in (node.module.parameters() if node.module is not None else ()) if id(p) not in seen]
        seen.update(id(p) for p in params)
        cost = node.cost
        layer = Layer(node.name, node.type, cost.kind, node.output_shape, node.input_shapes, node.inputs,
                      sum(p.numel() for p in params), sum(p.numel() for p in params if p.requires_grad),
                      cost.macs, cost.ops, node.output_bytes, node.receptive_field, cost.kernel, module=node.module)
        if cost.macs:
            has_weights = node.module is None or any(p.requires_grad for p in node.module.parameters())
            layer.backward_macs = cost.macs * (int(has_weights) + int(node.inputs != [-1]))
        layers.append(layer)
    return layers


def summary(model, input_size, *, batch_size: int = 1, dtype=None, training: bool = False, shape_only: bool = True,
            name: str | None = None) -> Summary:
    """Walk ``model`` once and describe every layer (see ``Layer``) and the totals (see ``Summary``).

    Args:
        model: any ``nn.Module``.
        input_size: one sample's shape, e.g. ``(3, 224, 224)``; the walk uses a batch of one.
        batch_size: the batch for the memory figures (activations, workspace, training memory).
        dtype: the input's dtype; by default the model's parameters'.
        training: count the training-mode pass (GoogLeNet's auxiliary heads run, dropout costs
            a multiply per value). Buffers, modes and the random stream are restored after.
        shape_only: convolutions return zeros instead of computing (exact shapes, fast); False
            runs the real forward.
        name: the model's name in reports (default: its class name).

    Returns:
        A ``Summary``; ``str(result)`` is a readable table, ``result.to_dict()`` JSON-ready.

    Raises:
        ValueError: a malformed ``input_size`` or ``batch_size``; an input on which a layer
            cannot run (its output would be empty, ...), naming that layer.

    Example:
        >>> from barenet import nn
        >>> s = summary(nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU()), (3, 10, 10))
        >>> s.macs, s.total_params, s.layers[0].output_shape
        (13824, 224, (1, 8, 8, 8))
    """
    nn.module.expect_module("summary", model)
    if not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError(f"summary: batch_size must be a positive int. Received: batch_size={batch_size!r}.")
    nodes, _ = traced_nodes(model, input_size, dtype=dtype, training=training, shape_only=shape_only)
    layers, params, batch = layers_of(nodes), list(model.parameters()), int(batch_size)
    dtype = np.dtype(dtype if dtype is not None else next((p.dtype for p in params), np.float32))
    return Summary(
        model=name or type(model).__name__, input_shape=check_input_size(input_size), batch_size=batch,
        dtype=str(dtype), layers=layers, total_params=sum(p.numel() for p in params),
        trainable_params=sum(p.numel() for p in params if p.requires_grad),
        param_bytes=sum(int(p.data.nbytes) for p in params),
        trainable_bytes=sum(int(p.data.nbytes) for p in params if p.requires_grad),
        buffer_bytes=sum(int(b.data.nbytes) for b in model.buffers()),
        activation_bytes=sum(layer.output_bytes for layer in layers),
        workspace_bytes=_workspace(layers, batch, dtype.itemsize),
        naive_im2col_bytes=_workspace(layers, batch, dtype.itemsize, chunked=False),
    )
