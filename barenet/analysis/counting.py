"""What one layer costs: the counting convention, one rule per layer type.

Multiply-accumulates (MACs), per sample, count only the products of a weighted layer:

- ``Conv2d``: OH*OW*C_out*(C_in/groups)*KH*KW — each output value is a dot product of a
  (C_in/groups)*KH*KW window with one filter;
- ``ConvTranspose2d``, the equivalent: H*W*C_in*(C_out/groups)*KH*KW — each input value is
  scattered through one filter of C_out/groups*KH*KW weights;
- ``Linear``: in_features*out_features per row of the input.

This is what torch forward hooks count and what ``../shared/reference``'s manifests hold.
Everything else is an *other operation*, counted apart and never folded into MACs: a bias
addition per output value; a comparison per element for ReLU and per window element but one
for max pooling (KH*KW - 1); an addition per window element (and one division) for average
pooling; a multiply and an add per element for an inference BatchNorm (scale and shift
folded); SIZE + 4 per element for local response normalisation (a square, SIZE - 1 window
additions, a scale, an offset, a power, a division); one per element for an elementwise op
such as a residual sum. FLOPs, where reported, are 2 x MACs: a MAC is a multiply and an add.

A layer type without a rule here is costed from the ops it runs (``op_cost``): a convolution
or matrix product inside it is counted like the layers above, elementwise ops one per element.
``register_rule`` adds a rule for a new layer type.

Example:
    >>> from barenet import nn
    >>> module_cost(nn.Conv2d(3, 64, 11, stride=4, padding=2), [(1, 3, 224, 224)], (1, 64, 55, 55)).macs
    70276800
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import nn
from ..functional.conv import _conv_padding
from ..models import lenet, resnet_cifar
from .receptive_field import Window

__all__ = ["Cost", "module_cost", "op_cost", "register_rule", "conv_macs", "conv_params", "VIEW_OPS"]

# Layer kinds whose MACs are listed in ``macs_by_type``; conv and linear always are.
MAC_KINDS = ("conv", "conv_transpose", "linear", "matmul")
# Ops that only relabel their input (no arithmetic, no new layer in the graph).
VIEW_OPS = frozenset({"Reshape", "Permute", "Expand", "GetItem", "Cast", "ToDevice", "Clone"})


@dataclass(frozen=True)
class Cost:
    """A layer's cost for one forward pass, and how it moves receptive fields.

    Attributes:
        kind: the layer's category (``conv``, ``linear``, ``norm``, ``pool``, ``activation``,
            ``add``, ``concat``, ...), the key of ``macs_by_type``/``ops_by_type``.
        macs: multiply-accumulates.
        ops: other operations (comparisons, additions, elementwise operations).
        window: the sliding window of a conv/pool layer, for receptive fields.
        spatial: ``"window"`` (apply ``window``), ``"union"`` (pointwise: keep, or merge the
            inputs' fields), or None (the output has no spatial receptive field).
        kernel: the kernel size of a weighted convolution.
    """

    kind: str = "other"
    macs: int = 0
    ops: int = 0
    window: Window | None = None
    spatial: str | None = None
    kernel: tuple | None = None

    def __add__(self, other: "Cost") -> "Cost":
        """Two ops of one layer: sums, the kind of the costlier, no receptive-field rule."""
        lead = self if (self.macs, self.ops) >= (other.macs, other.ops) else other
        return Cost(lead.kind, self.macs + other.macs, self.ops + other.ops, kernel=self.kernel or other.kernel)


def _numel(shape) -> int:
    return int(np.prod(shape, dtype=np.int64))


def as_pair(value) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def conv_macs(out_hw: tuple, in_channels: int, out_channels: int, kernel: tuple, groups: int = 1) -> int:
    """MACs of one sample's convolution: OH*OW*C_out*(C_in/groups)*KH*KW."""
    return _numel(out_hw) * out_channels * (in_channels // groups) * _numel(kernel)


def conv_params(in_channels: int, out_channels: int, kernel: tuple, groups: int = 1, bias: bool = True) -> int:
    """Parameters of a convolution: C_out*(C_in/groups)*KH*KW weights, plus C_out biases."""
    return out_channels * (in_channels // groups) * _numel(kernel) + (out_channels if bias else 0)


_RULES: dict = {}


def register_rule(*types):
    """Decorator: ``rule(module, input_shapes, output_shape) -> Cost`` for these layer types."""
    def decorate(rule):
        for t in types:
            _RULES[t] = rule
        return rule
    return decorate


def has_rule(module) -> bool:
    return any(t in _RULES for t in type(module).__mro__)


def module_cost(module, input_shapes: list, output_shape: tuple) -> Cost | None:
    """The cost of one call of ``module`` (None for a type without a rule)."""
    for t in type(module).__mro__:
        if t in _RULES:
            return _RULES[t](module, input_shapes, output_shape)
    return None


def conv_window(module, kernel=None) -> Window:
    """The window of an ``nn.Conv2d``-like layer, with a string padding resolved."""
    kernel = as_pair(kernel or module.kernel_size)
    stride, dilation = as_pair(module.stride), as_pair(module.dilation)
    padding = module.padding
    if isinstance(padding, str):
        top, _, left, _ = _conv_padding(padding, kernel, stride, dilation)
        padding = (top, left)
    return Window(kernel, stride, as_pair(padding), dilation)


@register_rule(nn.Conv2d)
def _conv(m, inputs, out) -> Cost:
    window = conv_window(m)
    macs = conv_macs(out[2:], m.in_channels, m.out_channels, window.kernel, m.groups) * out[0]
    bias = _numel(out) if m.bias is not None else 0
    return Cost("conv", macs, bias, window, "window", window.kernel)


@register_rule(nn.ConvTranspose2d)
def _conv_transpose(m, inputs, out) -> Cost:
    # Each input value meets C_out/groups*KH*KW weights: the MACs of the adjoint convolution.
    macs = _numel(inputs[0]) * (m.out_channels // m.groups) * _numel(m.kernel_size)
    bias = _numel(out) if m.bias is not None else 0
    return Cost("conv_transpose", macs, bias, kernel=tuple(m.kernel_size))


@register_rule(nn.Linear)
def _linear(m, inputs, out) -> Cost:
    bias = _numel(out) if m.bias is not None else 0
    return Cost("linear", _numel(out) * m.in_features, bias)


@register_rule(nn.BatchNorm1d, nn.BatchNorm2d)
def _batch_norm(m, inputs, out) -> Cost:
    return Cost("norm", 0, 2 * _numel(out), spatial="union")


@register_rule(nn.LocalResponseNorm)
def _lrn(m, inputs, out) -> Cost:
    return Cost("norm", 0, (m.size + 4) * _numel(out), spatial="union")


def pool_window(m) -> Window:
    """The window of an ``nn.MaxPool2d``/``nn.AvgPool2d`` (stride defaults to the kernel)."""
    stride = m.stride if m.stride not in (None, (), []) else m.kernel_size
    return Window(as_pair(m.kernel_size), as_pair(stride), as_pair(m.padding), as_pair(getattr(m, "dilation", 1)))


@register_rule(nn.MaxPool2d)
def _max_pool(m, inputs, out) -> Cost:
    window = pool_window(m)
    return Cost("pool", 0, _numel(out) * (_numel(window.kernel) - 1), window, "window")


@register_rule(nn.AvgPool2d)
def _avg_pool(m, inputs, out) -> Cost:
    window = pool_window(m)
    return Cost("pool", 0, _numel(out) * _numel(window.kernel), window, "window")


def adaptive_bins(size: int, out: int) -> np.ndarray:
    """Lengths of torch's adaptive bins: start floor(i*size/out), end ceil((i+1)*size/out)."""
    i = np.arange(out)
    return -(-(i + 1) * size // out) - i * size // out


def adaptive_window(input_shape: tuple, output_shape: tuple) -> Window | None:
    """The equivalent fixed window when every bin has the same length and the bins tile, else None."""
    (h, w), (oh, ow) = input_shape[-2:], output_shape[-2:]
    if oh < 1 or ow < 1 or h % oh or w % ow:
        return None
    return Window((h // oh, w // ow), (h // oh, w // ow))


def _adaptive(kind_ops: int):
    def rule(m, inputs, out) -> Cost:
        (h, w), (oh, ow) = inputs[0][-2:], out[-2:]
        window_sizes = np.outer(adaptive_bins(h, oh), adaptive_bins(w, ow))  # (OH, OW) elements per bin
        per_map = int(window_sizes.sum()) + kind_ops * oh * ow  # avg: +1 division; max: -1 comparison
        window = adaptive_window(inputs[0], out)
        return Cost("pool", 0, per_map * _numel(out[:-2]), window, "window" if window else None)
    return rule


register_rule(nn.AdaptiveAvgPool2d)(_adaptive(0))
register_rule(nn.AdaptiveMaxPool2d)(_adaptive(-1))


@register_rule(nn.ReLU, nn.LeakyReLU, nn.PReLU, nn.ELU, nn.Sigmoid, nn.Tanh, nn.Softplus, nn.Hardtanh)
def _activation(m, inputs, out) -> Cost:
    return Cost("activation", 0, _numel(out), spatial="union")


@register_rule(nn.Softmax, nn.LogSoftmax)
def _softmax(m, inputs, out) -> Cost:
    return Cost("activation", 0, 3 * _numel(out))  # an exp, a share of the sum, a division


@register_rule(nn.Maxout)
def _maxout(m, inputs, out) -> Cost:
    return Cost("activation", 0, _numel(out) * (m.pieces - 1), spatial="union")


@register_rule(nn.Dropout, nn.Dropout2d)
def _dropout(m, inputs, out) -> Cost:
    return Cost("dropout", 0, _numel(out) if m.training else 0, spatial="union")


@register_rule(nn.Identity)
def _identity(m, inputs, out) -> Cost:
    return Cost("other", spatial="union")


@register_rule(nn.Flatten)
def _flatten(m, inputs, out) -> Cost:
    return Cost("reshape")


@register_rule(lenet.PartialConv2d)
def _partial_conv(m, inputs, out) -> Cost:
    # Only the table's connections are weights (C3: 60 of 96 map pairs), as the paper counts.
    k = (m.kernel_size, m.kernel_size)
    macs = _numel(out[2:]) * len(m._index) * _numel(k) * out[0]
    return Cost("conv", macs, _numel(out), Window(k), "window", k)


@register_rule(lenet.Subsampling)
def _subsampling(m, inputs, out) -> Cost:
    # Per output: three additions for the 2x2 sum, the coefficient's product, the bias.
    return Cost("pool", 0, 5 * _numel(out), Window((2, 2), (2, 2)), "window")


@register_rule(resnet_cifar.ZeroPadShortcut)
def _zero_pad_shortcut(m, inputs, out) -> Cost:
    # Every stride-th pixel, zero channels appended: a 1x1 window of that stride, no arithmetic.
    return Cost("other", window=Window((1, 1), (m.stride, m.stride)), spatial="window")


@register_rule(lenet.EuclideanRBF)
def _rbf(m, inputs, out) -> Cost:
    # y_i = sum_j (x_j - w_ij)^2: a subtraction and a multiply-accumulate per (i, j).
    n_in = m.prototypes.shape[1]
    return Cost("linear", _numel(out) * n_in, _numel(out) * n_in)


# ----- ops run outside a layer with a rule (a block's own forward, an unknown layer) ----------------
_ELEMENTWISE = {"Add": "add", "Sub": "add", "Mul": "elementwise", "Div": "elementwise", "Neg": "elementwise",
                "Pow": "elementwise", "Power": "elementwise", "Exp": "elementwise", "Log": "elementwise",
                "Sqrt": "elementwise", "Abs": "elementwise", "Clamp": "elementwise", "Where": "elementwise",
                "Dropout": "dropout", "ReLU": "activation", "LeakyReLU": "activation", "PReLU": "activation",
                "ELU": "activation", "Sigmoid": "activation", "Tanh": "activation", "Softplus": "activation"}
_REDUCTIONS = {"Sum", "Mean", "Amax", "Softmax", "LogSoftmax"}


def _shape(a) -> tuple:
    return tuple(getattr(a, "shape", ()))


def _op_conv(fn, inputs, out) -> Cost:
    g, w = fn.g, inputs[1]
    window = Window((g.kh, g.kw), (g.sh, g.sw), (g.pt, g.pl), (g.dh, g.dw))
    macs = _numel(out) * _numel(w.shape[1:])  # (C_out, C_in/G, KH, KW): one window per output value
    bias = _numel(out) if len(inputs) > 2 and inputs[2] is not None else 0
    return Cost("conv", macs, bias, window, "window", (g.kh, g.kw))


def _op_conv_transpose(fn, inputs, out) -> Cost:
    x, w = inputs[0], inputs[1]  # w: (C_in, C_out/G, KH, KW); each input value meets C_out/G*KH*KW weights
    bias = _numel(out) if len(inputs) > 2 and inputs[2] is not None else 0
    return Cost("conv_transpose", _numel(x.shape) * _numel(w.shape[1:]), bias, kernel=tuple(w.shape[2:]))


def _op_pool(fn, inputs, out) -> Cost:
    kernel, stride, padding, dilation, _ = fn.args
    window = Window(as_pair(kernel), as_pair(stride if stride not in (None, (), []) else kernel), as_pair(padding),
                    as_pair(dilation))
    per_window = _numel(window.kernel) - (1 if type(fn).__name__ == "MaxPool2d" else 0)
    return Cost("pool", 0, _numel(out) * per_window, window, "window")


def op_cost(fn, inputs, out) -> Cost:
    """The cost of one op (a ``Function``) on raw arrays ``inputs`` giving the array ``out``.

    Convolutions and matrix products give MACs as their layers do; elementwise ops and
    activations one operation per output value; reductions one per input value; batch norm two
    per value; max/avg pooling as their layers; anything else (views, concatenation) nothing.
    """
    name, out = type(fn).__name__, _shape(out)
    if name == "Conv2d":
        return _op_conv(fn, inputs, out)
    if name == "ConvTranspose2d":
        return _op_conv_transpose(fn, inputs, out)
    if name in ("Linear", "MatMul"):
        k = _shape(inputs[0])[-1] if _shape(inputs[0]) else 1
        kind = "linear" if name == "Linear" else "matmul"
        bias = _numel(out) if name == "Linear" and len(inputs) > 2 and inputs[2] is not None else 0
        return Cost(kind, _numel(out) * k, bias)
    if name in ("MaxPool2d", "AvgPool2d") and hasattr(fn, "args"):
        return _op_pool(fn, inputs, out)
    if name in _ELEMENTWISE:
        return Cost(_ELEMENTWISE[name], 0, _numel(out), spatial="union")
    if name in _REDUCTIONS:
        return Cost("reduction", 0, _numel(_shape(inputs[0])))
    if name in ("BatchNorm", "LocalResponseNorm"):
        return Cost("norm", 0, 2 * _numel(out), spatial="union")
    if name == "Cat":
        return Cost("concat", spatial="union")
    return Cost("other")
