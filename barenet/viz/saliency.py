"""Gradient explanations of one prediction: the saliency map and Grad-CAM.

Both differentiate the target's score (the logit, before softmax) with barenet's own autograd, so
activations called as functions inside ``forward`` (``F.relu``) are handled like ``nn.ReLU`` modules.
"""
from __future__ import annotations

import os

import numpy as np

from .. import nn
from ..data import resize_bilinear
from .hooks import conv_layers, check_target, inspecting, prepare_image, record, resolve_layer, run_model
from .plotting import figure, finish, heat_panels

__all__ = ["gradcam", "plot_gradcam", "plot_saliency", "saliency"]


def _backward_from_target(op: str, model: nn.Module, image, target, watch: dict):
    """One forward and backward pass from the target's score; ``(input, recording)``, gradients kept."""
    with inspecting(model), record(watch, retain_grad=True) as rec:
        x = prepare_image(op, model, image).requires_grad_()
        logits = run_model(op, model, x)
        logits[:, check_target(op, logits, target)].sum().backward()
    return x, rec


def saliency(model: nn.Module, image, target: int | None = None) -> np.ndarray:
    """Simonyan et al. (2014)'s image-specific class saliency: |d score_target / d image|, max over channels.

    Args:
        model: a classifier returning scores ``(N, num_classes)`` (run in eval mode, restored after).
        image: an array or tensor ``(C, H, W)`` (or a batch of one).
        target: the class to explain; the predicted class by default.

    Shape:
        - image: ``(C, H, W)`` or ``(1, C, H, W)``
        - Returns: ``(H, W)``, non-negative.

    Returns:
        The saliency map: how much a small change of each pixel changes the target's score.

    Raises:
        ValueError: an image of the wrong shape or channel count, a target out of range.
        TypeError: an image that is not an array or tensor.

    Example:
        >>> import numpy as np
        >>> from barenet import nn
        >>> net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(72, 3))
        >>> saliency(net, np.ones((1, 8, 8), np.float32)).shape
        (8, 8)
    """
    nn.module.expect_module("saliency", model)
    x, _ = _backward_from_target("saliency", model, image, target, {})
    return np.abs(x.grad.numpy()[0]).max(axis=0)


def gradcam(model: nn.Module, image, target: int | None = None, layer=None) -> np.ndarray:
    """Grad-CAM (Selvaraju et al., 2017): the layer's maps weighted by their mean gradient, rectified.

    ``cam = relu(sum_k alpha_k A_k)`` with ``alpha_k`` the spatial mean of d score_target / d A_k,
    upsampled bilinearly to the image's size and divided by its maximum.

    Args:
        model: a classifier returning scores ``(N, num_classes)`` (run in eval mode, restored after).
        image: an array or tensor ``(C, H, W)`` (or a batch of one).
        target: the class to explain; the predicted class by default.
        layer: a qualified module name or a module whose output is ``(N, K, h, w)`` maps; by
            default the last ``Conv2d`` to run whose output is larger than 1x1. For a residual
            network pass the block (``"layer4"``) to explain its output after the shortcut.

    Shape:
        - image: ``(C, H, W)`` or ``(1, C, H, W)``
        - Returns: ``(H, W)``

    Returns:
        The class activation map in [0, 1] (all zeros when no map speaks for the target).

    Raises:
        ValueError: an unknown layer (the valid names are listed), a layer without spatial maps,
            no convolution to default to, a bad image or target.
        TypeError: an image that is not an array or tensor.

    Example:
        >>> import numpy as np
        >>> from barenet import nn
        >>> net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(72, 3))
        >>> cam = gradcam(net, np.ones((1, 8, 8), np.float32))
        >>> cam.shape, bool(cam.min() >= 0 and cam.max() <= 1)
        ((8, 8), True)
    """
    nn.module.expect_module("gradcam", model)
    if layer is None:
        watch, name = dict(conv_layers(model)), None
    else:
        name, module = resolve_layer("gradcam", model, layer)
        watch = {name: module}
    x, rec = _backward_from_target("gradcam", model, image, target, watch)
    name, maps = _cam_layer(rec, name)
    if maps.ndim != 4:
        raise ValueError(f"gradcam: layer {name!r} gives an output of shape {tuple(maps.shape)}, not maps "
                         f"(N, K, h, w); choose a convolution, pooling or block layer.")
    grads = maps.grad
    maps = maps.numpy()[0].astype(np.float64)  # (K, h, w)
    grads = np.zeros_like(maps) if grads is None else grads.numpy()[0]  # the layer did not reach the score
    alpha = grads.mean(axis=(1, 2))  # (K,)
    cam = np.maximum(np.tensordot(alpha, maps, axes=1), 0.0)  # (h, w)
    cam = np.maximum(resize_bilinear(cam, tuple(x.shape[2:])), 0.0)  # (H, W)
    top = cam.max()
    return cam / top if top > 0 else cam


def _cam_layer(rec, name: str | None):
    """``(name, output)`` of the maps Grad-CAM explains: the named layer's last call, or the default conv's."""
    if name is not None:
        return name, rec.output(name, "gradcam")
    spatial = [c for c in rec.calls if c.output.ndim == 4 and c.output.shape[2] * c.output.shape[3] > 1]
    if not spatial:
        raise ValueError("gradcam: no convolution (Conv2d) with an output larger than 1x1 ran; "
                         "pass layer= to choose the maps to explain.")
    return spatial[-1].name, spatial[-1].output


def plot_saliency(image, saliency_map: np.ndarray, path: str | os.PathLike | None = None,
                  title: str = "saliency") -> bytes:
    """The image beside its saliency map; returns the PNG bytes, written to ``path`` when given."""
    fig = figure(7.5, 3.6)
    heat_panels(fig, image, saliency_map, title, cmap="hot")
    return finish(fig, path)


def plot_gradcam(image, cam: np.ndarray, path: str | os.PathLike | None = None,
                 title: str = "Grad-CAM") -> bytes:
    """The image beside its Grad-CAM overlay; returns the PNG bytes, written to ``path`` when given."""
    fig = figure(7.5, 3.6)
    heat_panels(fig, image, cam, title, vmin=0.0, vmax=1.0)
    return finish(fig, path)
