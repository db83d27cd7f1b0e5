"""Zeiler & Fergus' deconvnet ("Visualizing and Understanding Convolutional Networks", ECCV 2014):
project one strong activation back to pixel space to see which pattern excited it.

The projection undoes the layers below in reverse order: max pooling by unpooling at the switches
(the positions of the maxima, from barenet's ``max_pool2d(..., return_indices=True)`` on the forward
pass's input), ReLU by a ReLU of the reconstruction, and a convolution by ``conv_transpose2d`` with
the layer's own filters (no bias). It needs a plain chain of such layers from the image to the chosen one.
"""
from __future__ import annotations

import os
from typing import NamedTuple

import numpy as np

from .. import backend, functional as F, nn
from ..autograd import Tensor, no_grad
from .hooks import inspecting, prepare_image, record, resolve_layer, run_model
from .plotting import display_image, figure, finish, show

__all__ = ["Deconvolution", "deconvnet", "plot_deconvnet"]

# Identity in the projection: dropout is off in eval mode; like the paper's deconvnet we do not
# invert local contrast normalisation.
_PASS_THROUGH = (nn.Dropout, nn.Dropout2d, nn.Identity, nn.LocalResponseNorm)
_SUPPORTED = (nn.Conv2d, nn.ReLU, nn.MaxPool2d) + _PASS_THROUGH
_ADVICE = ("deconvnet projects through a chain of Conv2d, ReLU and MaxPool2d modules (dropout and local "
           "response normalisation pass through), as in LeNet (lenet5_relu), AlexNet, ZFNet and VGG")


class Deconvolution(NamedTuple):
    """The projections of the strongest units of a layer, strongest first.

    Attributes:
        projections: ``(k, C, H, W)``: each unit's reconstruction in pixel space, shaped like the image.
        units: ``(k, 3)``: channel, row and column of each unit in the layer's output.
        activations: ``(k,)``: each unit's activation.
        boxes: ``(k, 4)``: each unit's receptive field in the image, ``top, left, bottom, right``
            (bottom and right exclusive), clipped to the image.
        layer: the layer's qualified name.
    """

    projections: np.ndarray
    units: np.ndarray
    activations: np.ndarray
    boxes: np.ndarray
    layer: str


def deconvnet(model: nn.Module, image, layer, channel: int | None = None, top_k: int = 9) -> Deconvolution:
    """Project the strongest activations of ``layer`` down to pixel space (Zeiler & Fergus 2014).

    Each selected unit is kept alone (every other activation of the layer set to zero) and
    projected separately. ``projections[0]`` is the strongest unit's reconstruction.

    Args:
        model: a network whose layers from the image up to ``layer`` form a chain of ``Conv2d``,
            ``ReLU`` and ``MaxPool2d`` modules (``Dropout``, ``LocalResponseNorm`` and ``Identity``
            pass through); run in eval mode, restored after.
        image: an array or tensor ``(C, H, W)`` (or a batch of one).
        layer: a qualified module name or a module in that chain (``"features.10"``).
        channel: project the ``top_k`` strongest positions of this feature map; by default the
            ``top_k`` feature maps with the strongest activation, each at its maximum.
        top_k: how many units to project.

    Shape:
        - image: ``(C, H, W)`` or ``(1, C, H, W)``
        - projections: ``(k, C, H, W)``, k <= top_k: the active (> 0) units among the candidates

    Returns:
        A ``Deconvolution``: projections, units, activations, receptive-field boxes, layer name.

    Raises:
        ValueError: an unknown layer (the valid names are listed), a layer not reached by a plain
            chain of supported modules (a residual network, a functional activation, batch
            norm...), a layer without maps, no active unit, a bad channel, ``top_k`` or image.
        TypeError: an image that is not an array or tensor.

    Example:
        >>> import numpy as np, barenet
        >>> from barenet import nn
        >>> _ = barenet.manual_seed(0)
        >>> net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2))
        >>> image = np.random.default_rng(0).standard_normal((1, 8, 8)).astype(np.float32)
        >>> result = deconvnet(net, image, "2", top_k=2)
        >>> result.projections.shape, result.units.shape
        ((2, 1, 8, 8), (2, 3))
    """
    nn.module.expect_module("deconvnet", model)
    name, module = resolve_layer("deconvnet", model, layer)
    if isinstance(top_k, bool) or not isinstance(top_k, (int, np.integer)) or top_k < 1:
        raise ValueError(f"deconvnet: top_k must be a positive integer. Received: top_k={top_k!r}.")
    with inspecting(model), no_grad():
        x = prepare_image("deconvnet", model, image)
        chain, output = _trace(model, x, name, module)
        activations = output.numpy()[0]
        if activations.ndim != 3:
            raise ValueError(f"deconvnet: layer {name!r} gives an output of shape {tuple(output.shape)}, not "
                             f"feature maps (N, C, h, w).")
        units, values = _select(name, activations, channel, int(top_k))
        signal = np.zeros((len(units),) + activations.shape, dtype=activations.dtype)  # (k, C, h, w)
        signal[np.arange(len(units)), units[:, 0], units[:, 1], units[:, 2]] = values
        projection = Tensor(signal, device=x.device)
        for call in reversed(chain):
            projection = _project_down(call, projection)
    boxes = _receptive_boxes(chain, units[:, 1:], tuple(x.shape[2:]))
    return Deconvolution(projection.numpy(), units, values, boxes, name)


def _trace(model: nn.Module, x: Tensor, name: str, module: nn.Module):
    """The chain of leaf-module calls from ``x`` to the layer's output, checked to be a plain chain."""
    leaves = {n: m for n, m in model.named_modules() if n and not m._modules}
    with record({**leaves, name: module}) as rec:
        run_model("deconvnet", model, x)
    target = rec.output(name, "deconvnet")
    chain, current = [], x
    for call in (c for c in rec.calls if c.name in leaves):
        if not isinstance(call.module, _SUPPORTED):
            raise ValueError(f"deconvnet: layer {call.name!r} is a {type(call.module).__name__}; {_ADVICE}.")
        if call.input is not current:
            raise ValueError(f"deconvnet: the input of layer {call.name!r} is not the output of the layer "
                             f"before it (a branch, or an operation outside the modules); {_ADVICE}.")
        chain.append(call)
        current = call.output
        if current is target:
            break
    if current is not target:
        raise ValueError(f"deconvnet: the output of layer {name!r} is not computed by a chain of modules "
                         f"from the image; {_ADVICE}.")
    return chain, target


def _select(name: str, activations: np.ndarray, channel, top_k: int) -> tuple[np.ndarray, np.ndarray]:
    """``(units (k, 3), values (k,))``: the strongest channels at their maxima, or one channel's
    strongest positions; only active units (> 0), which are what the paper projects."""
    C, h, w = activations.shape
    flat = activations.reshape(C, h * w)
    if channel is None:
        best = flat.argmax(axis=1)  # (C,) each map's strongest position
        channels = np.argsort(-flat[np.arange(C), best], kind="stable")[:top_k]
        positions = best[channels]
    else:
        if isinstance(channel, bool) or not isinstance(channel, (int, np.integer)) or not 0 <= channel < C:
            raise ValueError(f"deconvnet: channel must be an index in [0, {C}). Received: channel={channel!r}.")
        positions = np.argsort(-flat[channel], kind="stable")[:top_k]
        channels = np.full(len(positions), channel)
    active = flat[channels, positions] > 0
    if not active.any():
        where = "layer" if channel is None else f"channel {channel} of layer"
        raise ValueError(f"deconvnet: no unit of {where} {name!r} is active (> 0) for this image; nothing to project.")
    channels, positions = channels[active], positions[active]
    units = np.stack([channels, positions // w, positions % w], axis=1).astype(np.int64)
    return units, flat[channels, positions]


def _project_down(call, projection: Tensor) -> Tensor:
    """The reconstruction below ``call``'s module from the one above it."""
    module = call.module
    if isinstance(module, nn.ReLU):
        return F.relu(projection)  # rectify the reconstruction, as the forward pass rectified the features
    if isinstance(module, nn.MaxPool2d):
        return _unpool(module, call.input, projection)
    if isinstance(module, nn.Conv2d):
        return _transposed_filters(module, call.input, projection)
    return projection


def _unpool(module: nn.MaxPool2d, below: Tensor, projection: Tensor) -> Tensor:
    """Put each value back at its window's switch (the position of the forward pass's maximum).

    Overlapping windows (AlexNet's and ZFNet's 3x3/2) can share a switch; their values are summed,
    the adjoint of max pooling. ``max_unpool2d`` keeps one of them, as PyTorch's does, which lets a
    zero from a neighbouring window overwrite the unit being projected.
    """
    kernel, stride, padding, dilation = _pool_settings(module)
    _, switches = F.max_pool2d(below, kernel, stride, padding, dilation, ceil_mode=module.ceil_mode,
                               return_indices=True)  # (1, C, h, w) flat indices into each H*W plane
    xp = backend.get_array_module(projection.data)
    (k, channels), (height, width) = projection.shape[:2], below.shape[2:]
    planes = xp.arange(k * channels).reshape(k, channels, 1, 1) * (height * width)
    flat = (switches.data + planes).ravel()  # (k*C*h*w,) indices into the (k, C, H, W) output
    out = xp.bincount(flat, weights=projection.data.ravel(), minlength=k * channels * height * width)
    return Tensor._wrap(out.reshape(k, channels, height, width).astype(projection.dtype))


def _transposed_filters(module: nn.Conv2d, below: Tensor, projection: Tensor) -> Tensor:
    """Convolve the reconstruction with the transposed filters: the full transposed convolution,
    then the rows and columns that were the forward pass's padding cut away."""
    full = F.conv_transpose2d(projection, module.weight, None, module.stride, 0, 0, module.groups,
                              module.dilation).data  # (k, C_in, (h-1)*SH + DH*(KH-1) + 1, ...)
    (top, left), (H, W) = _conv_pads(module), below.shape[2:]
    xp = backend.get_array_module(full)
    padded = xp.zeros(full.shape[:2] + (max(full.shape[2], top + H), max(full.shape[3], left + W)), full.dtype)
    padded[:, :, :full.shape[2], :full.shape[3]] = full  # rows the last window never reached stay zero
    return Tensor._wrap(padded[:, :, top:top + H, left:left + W])


def _pair(value) -> tuple[int, int]:
    return (value, value) if isinstance(value, (int, np.integer)) else tuple(value)


def _pool_settings(module: nn.MaxPool2d):
    return (_pair(module.kernel_size), _pair(module.stride), _pair(module.padding), _pair(module.dilation))


def _conv_pads(module: nn.Conv2d) -> tuple[int, int]:
    """Padding above and left of the input (PyTorch's ``"same"`` puts an odd pixel at the bottom/right)."""
    if module.padding == "valid":
        return 0, 0
    if module.padding == "same":
        return tuple(d * (k - 1) // 2 for d, k in zip(module.dilation, module.kernel_size))
    return tuple(module.padding)


def _window(module) -> tuple | None:
    """``(kernel, stride, dilation, pad_before)`` pairs of a sliding-window layer; None for pointwise ones."""
    if isinstance(module, nn.Conv2d):
        return module.kernel_size, module.stride, module.dilation, _conv_pads(module)
    if isinstance(module, nn.MaxPool2d):
        kernel, stride, padding, dilation = _pool_settings(module)
        return kernel, stride, dilation, padding
    return None


def _receptive_boxes(chain: list, positions: np.ndarray, size: tuple) -> np.ndarray:
    """(k, 4) ``top, left, bottom, right`` of the input pixels each unit at ``positions`` (k, 2) can see."""
    low, high = positions.copy(), positions.copy()  # (k, 2) first and last index in rows and columns
    for call in reversed(chain):
        window = _window(call.module)
        if window is None:
            continue
        kernel, stride, dilation, pad = (np.array(v) for v in window)
        low = low * stride - pad
        high = high * stride - pad + dilation * (kernel - 1)
    low = np.maximum(low, 0)
    high = np.minimum(high, np.array(size) - 1)
    return np.concatenate([low, high + 1], axis=1).astype(np.int64)


def plot_deconvnet(result: Deconvolution, image, path: str | os.PathLike | None = None, per_row: int = 3) -> bytes:
    """Each projection beside the image patch its unit sees, as in the paper's figures."""
    k = len(result.units)
    rows, cols = -(-k // per_row), 2 * min(k, per_row)
    fig = figure(1.6 * cols, 1.8 * rows + 0.3)
    axes = np.atleast_1d(fig.subplots(rows, cols)).reshape(rows, cols)
    picture = display_image(image)
    for i, ax in enumerate(axes.ravel()):
        ax.set_axis_off()
        unit = i // 2
        if unit >= k:
            continue
        top, left, bottom, right = result.boxes[unit]
        channel, activation = result.units[unit, 0], result.activations[unit]
        if i % 2 == 0:
            crop = result.projections[unit][:, top:bottom, left:right]
            show(ax, _signed(crop), f"ch {channel}: {activation:.3g}")
        else:
            show(ax, picture[top:bottom, left:right], "patch")
    fig.suptitle(f"deconvnet: {result.layer}", fontsize=10)
    return finish(fig, path)


def _signed(projection: np.ndarray) -> np.ndarray:
    """A projection for display: zero mid-grey, the strongest value black or white."""
    scale = np.abs(projection).max()
    shown = projection / (2 * scale) + 0.5 if scale > 0 else np.full_like(projection, 0.5)
    return shown.transpose(1, 2, 0) if shown.shape[0] == 3 else shown[0]
