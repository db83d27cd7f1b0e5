"""Why each shape came out as it did: the output-size arithmetic with the numbers filled in.

``explain(model, (3, 224, 224))`` gives, for AlexNet's first convolution,
``OH = OW = (224 + 2*2 - 11)//4 + 1 = 55``: PyTorch's formula ``(H + 2*PH - DH*(KH-1) - 1)//SH + 1``
with the dilated kernel ``DH*(KH-1) + 1`` written as ``KH`` when DH is 1.

Example:
    >>> from barenet import nn
    >>> rows = explain(nn.Sequential(nn.Conv2d(3, 64, 11, stride=4, padding=2)), (3, 224, 224))
    >>> rows[0].text
    'OH = OW = (224 + 2*2 - 11)//4 + 1 = 55; C_out = 64'
"""
from __future__ import annotations

from typing import NamedTuple

from .. import nn
from ..functional.conv import _conv_padding
from .counting import adaptive_bins, as_pair, pool_window
from .summary import Layer, summary

__all__ = ["Explanation", "explain", "explain_layer"]


class Explanation(NamedTuple):
    name: str
    type: str
    input_shape: tuple
    output_shape: tuple
    text: str


def _span(k: int, d: int) -> str:
    return str(k) if d == 1 else f"({d}*({k}-1) + 1)"


def _pad(before: int, after: int) -> str:
    return f"2*{before}" if before == after else f"{before} + {after}"


def _both_axes(exprs: list, sizes: tuple) -> str:
    """``OH = OW = e = n`` when both axes read alike, else ``OH = e1 = n1, OW = e2 = n2``."""
    if exprs[0] == exprs[1] and sizes[0] == sizes[1]:
        return f"OH = OW = {exprs[0]} = {sizes[0]}"
    return f"OH = {exprs[0]} = {sizes[0]}, OW = {exprs[1]} = {sizes[1]}"


def _sliding(in_hw, kernel, stride, pads, dilation, ceil_mode=False) -> str:
    """PyTorch's output size of a sliding window, worked out here (not read from the run)."""
    exprs, sizes = [], []
    for n, k, s, (pa, pb), d in zip(in_hw, kernel, stride, pads, dilation):
        inner, reach = f"{n} + {_pad(pa, pb)} - {_span(k, d)}", n + pa + pb - d * (k - 1) - 1
        if not ceil_mode:
            exprs.append(f"({inner})//{s} + 1")
            sizes.append(reach // s + 1)
            continue
        size, expr = -(-reach // s) + 1, f"ceil(({inner})/{s}) + 1"
        if (size - 1) * s >= n + pa:  # torch: the last window must start inside the input or left padding
            size, expr = size - 1, f"{expr} - 1 (the last window would start in the right padding)"
        exprs.append(expr)
        sizes.append(size)
    return _both_axes(exprs, sizes)


def _conv_text(m, in_shape, out_shape) -> str:
    kernel, stride, dilation = as_pair(m.kernel_size), as_pair(m.stride), as_pair(m.dilation)
    if isinstance(m.padding, str):
        top, bottom, left, right = _conv_padding(m.padding, kernel, stride, dilation)
    else:
        (top, left), (bottom, right) = as_pair(m.padding), as_pair(m.padding)
    text = _sliding(in_shape[-2:], kernel, stride, ((top, bottom), (left, right)), dilation)
    return f"{text}; C_out = {m.out_channels}"


def _conv_transpose_text(m, in_shape, out_shape) -> str:
    axes = list(zip(in_shape[-2:], as_pair(m.stride), as_pair(m.padding), as_pair(m.dilation), as_pair(m.kernel_size),
                    as_pair(m.output_padding)))
    exprs = [f"({n} - 1)*{s} - 2*{p} + {d}*({k} - 1) + {op} + 1" for n, s, p, d, k, op in axes]
    sizes = [(n - 1) * s - 2 * p + d * (k - 1) + op + 1 for n, s, p, d, k, op in axes]
    return f"{_both_axes(exprs, sizes)}; C_out = {m.out_channels}"


def _pool_text(m, in_shape, out_shape) -> str:
    w = pool_window(m)
    pads = tuple((p, p) for p in w.padding)
    return _sliding(in_shape[-2:], w.kernel, w.stride, pads, w.dilation, bool(m.ceil_mode))


def _adaptive_text(m, in_shape, out_shape) -> str:
    parts = []
    for axis, n, o in zip(("OH", "OW"), in_shape[-2:], out_shape[-2:]):
        bins = adaptive_bins(n, o)
        lengths = str(bins.min()) if bins.min() == bins.max() else f"{bins.min()}-{bins.max()}"
        parts.append(f"{axis} = output_size = {o} (bins of {lengths} of {n})")
    return ", ".join(parts)


def _flatten_text(m, in_shape, out_shape) -> str:
    start, end = m.start_dim % len(in_shape), m.end_dim % len(in_shape)
    merged = in_shape[start:end + 1]
    return f"{out_shape[start]} = {'*'.join(map(str, merged))}"


_TEXTS = {
    nn.Conv2d: _conv_text, nn.ConvTranspose2d: _conv_transpose_text, nn.MaxPool2d: _pool_text,
    nn.AvgPool2d: _pool_text, nn.AdaptiveAvgPool2d: _adaptive_text, nn.AdaptiveMaxPool2d: _adaptive_text,
    nn.Flatten: _flatten_text,
    nn.Linear: lambda m, i, o: f"out = out_features = {m.out_features} (in_features = {m.in_features})",
}


def explain_layer(layer: Layer) -> str:
    """The output-size arithmetic of one summary row."""
    in_shape = layer.input_shapes[0] if layer.input_shapes else ()
    rule = next((_TEXTS[t] for t in type(layer.module).__mro__ if t in _TEXTS), None)
    if rule is not None:
        return rule(layer.module, in_shape, layer.output_shape)
    if layer.type == "cat" and len(layer.output_shape) > 1:
        channels = [str(shape[1]) for shape in layer.input_shapes]
        return f"C = {' + '.join(channels)} = {layer.output_shape[1]}"
    if tuple(layer.output_shape) == tuple(in_shape):
        return "same shape as the input"
    return f"{in_shape} -> {layer.output_shape}"


def explain(model, input_size) -> list:
    """``Explanation(name, type, input_shape, output_shape, text)`` for every layer, in execution order.

    Raises:
        ValueError: as ``summary``: a malformed ``input_size``, or a layer whose output would
            be empty (the message names it).
    """
    nn.module.expect_module("explain", model)
    result = summary(model, input_size)
    return [Explanation(layer.name, layer.type, layer.input_shapes[0] if layer.input_shapes else (),
                        layer.output_shape, explain_layer(layer)) for layer in result.layers]
