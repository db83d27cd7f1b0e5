"""Activation maximisation: the input a unit likes best, found by gradient ascent on the image
(Erhan et al. 2009; Simonyan et al. 2014), kept natural-looking by L2 decay and blurring
(Yosinski et al. 2015)."""
from __future__ import annotations

import os

import numpy as np

from .. import nn, random
from ..autograd import Tensor
from .hooks import as_input, in_channels, inspecting, record, resolve_layer, run_model
from .plotting import display_image, figure, finish, make_grid, show

__all__ = ["activation_maximization", "plot_activation_maximization"]


def _positive(name: str, value, kind=int):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not value > 0 \
            or (kind is int and int(value) != value):
        what = "a positive integer" if kind is int else "positive"
        raise ValueError(f"activation_maximization: {name} must be {what}. Received: {name}={value!r}.")
    return kind(value)


def _blur(x: np.ndarray, sigma: float) -> np.ndarray:
    """Separable Gaussian blur of (N, C, H, W) images over H and W, edges repeated."""
    radius = max(1, int(round(3 * sigma)))
    taps = np.exp(-np.arange(-radius, radius + 1) ** 2 / (2 * sigma ** 2))
    taps /= taps.sum()
    for axis in (2, 3):
        pad = [(0, 0)] * 4
        pad[axis] = (radius, radius)
        padded = np.pad(x, pad, mode="edge")
        size = x.shape[axis]
        x = sum(t * np.take(padded, np.arange(i, i + size), axis=axis) for i, t in enumerate(taps))
    return x


def _unit_activation(op: str, name: str, output: Tensor, channels: np.ndarray) -> Tensor:
    """(k,) activations: image i's mean of map ``channels[i]`` (or its unit, for a flat output)."""
    if output.ndim not in (2, 4):
        raise ValueError(f"{op}: layer {name!r} gives an output of shape {tuple(output.shape)}; expected "
                         f"(N, C, h, w) maps or (N, features).")
    if channels.max() >= output.shape[1] or channels.min() < 0:
        raise ValueError(f"{op}: channel must be an index in [0, {output.shape[1]}) for layer {name!r}. "
                         f"Received: channel={channels.tolist() if len(channels) > 1 else int(channels[0])}.")
    picked = output[np.arange(len(channels)), channels]  # (k,) or (k, h, w)
    return picked if picked.ndim == 1 else picked.mean(dim=(1, 2))


def activation_maximization(model: nn.Module, layer, channel, steps: int = 100, lr: float = 0.1,
                            weight_decay: float = 1e-3, blur_sigma: float = 1.0,
                            size=32, seed: int | None = 0):
    """Gradient ascent on the input to maximise a unit's activation.

    Starting from faint noise, each step moves the image along the gradient of the unit's
    activation, normalised to a mean absolute value of 1 (so ``lr`` is the step in pixel units)
    and blurred by a Gaussian of ``blur_sigma`` pixels, then shrinks the image by
    ``weight_decay`` (L2 regularisation). The blur keeps out the high frequencies that would
    otherwise dominate; because it is applied to the step, every step still climbs, so the
    activation rises steadily.

    Args:
        model: the network (run in eval mode; mode and parameters restored after).
        layer: a qualified module name or a module. Prefer a convolution to the ReLU after it: a
            rectified unit that is silent on the starting noise has no gradient to climb.
        channel: the feature map (or unit of a flat output) to maximise; a sequence of them is
            optimised together, one image each.
        steps: gradient-ascent steps.
        lr: step size.
        weight_decay: fraction the image shrinks by at each step.
        blur_sigma: the blur's standard deviation in pixels (0: no blur).
        size: the image's ``H, W`` (an int for a square).
        seed: seed of the starting noise; None draws from barenet's default generator.

    Shape:
        - Returns: images ``(C, H, W)`` for one channel, ``(k, C, H, W)`` for k channels;
          history ``(steps + 1,)`` or ``(steps + 1, k)``.

    Returns:
        ``(images, history)``: the optimised images and the activation before each step and after the last.

    Raises:
        ValueError: an unknown layer (the valid names are listed), a channel out of range, a
            non-positive setting, or a size the model cannot take.

    Example:
        >>> from barenet import nn
        >>> net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU())
        >>> image, history = activation_maximization(net, "0", 2, steps=5, size=8)
        >>> image.shape, history.shape, bool(history[-1] > history[0])
        ((1, 8, 8), (6,), True)
    """
    nn.module.expect_module("activation_maximization", model)
    op = "activation_maximization"
    name, module = resolve_layer(op, model, layer)
    channels = np.atleast_1d(np.asarray(channel)).astype(np.int64)
    steps, lr = _positive("steps", steps), _positive("lr", lr, float)
    height, width = (size, size) if isinstance(size, (int, np.integer)) else tuple(size)
    rng = np.random.default_rng(seed) if seed is not None else random.default_generator()
    x = rng.normal(0.0, 0.1, (len(channels), in_channels(model) or 3, height, width))  # (k, C, H, W)
    history = []
    with inspecting(model):
        for step in range(steps + 1):
            image = as_input(model, x, requires_grad=True)
            with record({name: module}) as rec:
                run_model(op, model, image)
            activation = _unit_activation(op, name, rec.output(name, op), channels)  # (k,)
            history.append(activation.numpy().astype(np.float64))
            if step == steps:
                break
            activation.sum().backward()
            grad = image.grad.numpy().astype(np.float64)
            step_dir = grad / (np.abs(grad).mean(axis=(1, 2, 3), keepdims=True) + 1e-12)
            # Blurring the step keeps it an ascent direction (a Gaussian blur B is positive
            # semi-definite: <B g, g> >= 0) while it keeps high frequencies out of the image.
            x = (x + lr * (_blur(step_dir, blur_sigma) if blur_sigma > 0 else step_dir)) * (1 - weight_decay)
    history = np.array(history)  # (steps + 1, k)
    if np.ndim(channel) == 0:
        return x[0], history[:, 0]
    return x, history


def plot_activation_maximization(images: np.ndarray, path: str | os.PathLike | None = None, history=None,
                                 channels=None, title: str = "activation maximisation") -> bytes:
    """The optimised images side by side (each scaled to its own range) and, given, the activations per step."""
    images = np.asarray(images)
    images = images[None] if images.ndim == 3 else images
    tiles = np.stack([display_image(im) for im in images])
    fig = figure(8.0 if history is not None else 5.0, 4.0)
    axes = fig.subplots(1, 2 if history is not None else 1)
    axes = np.atleast_1d(axes)
    label = f" (channels {', '.join(str(c) for c in np.atleast_1d(channels))})" if channels is not None else ""
    show(axes[0], make_grid(tiles), title + label)
    if history is not None:
        axes[1].plot(np.asarray(history))
        axes[1].set_xlabel("step")
        axes[1].set_ylabel("activation")
        axes[1].grid(alpha=0.3)
    return finish(fig, path)
