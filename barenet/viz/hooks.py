"""What every visualisation shares: finding a layer, checking an image, and recording what a
forward pass computes with hooks that are removed when the call ends, even on an error."""
from __future__ import annotations

import contextlib
from typing import NamedTuple

import numpy as np

from .. import backend, nn
from ..autograd import Tensor, no_grad

__all__ = ["Call", "Recording", "as_input", "check_target", "conv_layers", "first_conv", "in_channels", "inspecting",
           "prepare_image", "record", "resolve_layer", "run_model", "spatial_convs"]


class Call(NamedTuple):
    """One call of a recorded module: its qualified name, the module, its first input and its output."""

    name: str
    module: nn.Module
    input: object
    output: object


class Recording:
    """The calls a forward pass made to the recorded modules, in the order they finished."""

    def __init__(self):
        self.calls: list[Call] = []

    def output(self, name: str, op: str = "record") -> Tensor:
        """The output of the last call of the module ``name``; ``op`` names the caller in errors.

        Raises:
            ValueError: the module did not run during the forward pass.
        """
        for call in reversed(self.calls):
            if call.name == name:
                return call.output
        raise ValueError(f"{op}: layer {name!r} did not run during the forward pass, so it has no output to show.")


def _first(value):
    """A module's tensor: max pooling with ``return_indices`` returns ``(output, indices)``."""
    return value[0] if isinstance(value, (tuple, list)) else value


@contextlib.contextmanager
def record(modules: dict, retain_grad: bool = False):
    """Record every call of ``modules`` (``{name: module}``) while the block runs.

    Args:
        modules: the modules to watch, by qualified name.
        retain_grad: keep the gradient of each recorded output (``output.grad`` after ``backward``).

    Returns:
        A ``Recording`` filled as the model runs; the hooks are gone once the block exits.

    Example:
        >>> import barenet
        >>> from barenet import nn
        >>> net = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
        >>> with record({"0": net[0]}) as rec:
        ...     _ = net(barenet.ones(1, 2))
        >>> rec.output("0").shape, len(net[0]._forward_hooks)
        ((1, 3), 0)
    """
    recording = Recording()

    def hook(name, module, inputs, output):
        output = _first(output)
        if retain_grad and isinstance(output, Tensor) and output.requires_grad:
            output.retain_grad()
        recording.calls.append(Call(name, module, _first(inputs) if inputs else None, output))

    handles = []
    try:
        for name, module in modules.items():
            handles.append(module.register_forward_hook(
                lambda m, i, o, name=name: hook(name, m, i, o)))
        yield recording
    finally:
        for handle in handles:
            handle.remove()


@contextlib.contextmanager
def inspecting(model: nn.Module):
    """Evaluation mode and frozen parameters while the block runs; both restored after.

    Frozen parameters keep ``backward`` from computing (and accumulating) weight gradients the
    visualisations do not need.
    """
    was_training = model.training
    flags = [(p, p.requires_grad) for p in model.parameters()]
    model.eval()
    try:
        for p, _ in flags:
            p.requires_grad = False
        yield model
    finally:
        for p, flag in flags:
            p.requires_grad = flag
        model.train(was_training)


def resolve_layer(op: str, model: nn.Module, layer) -> tuple[str, nn.Module]:
    """``(qualified_name, module)`` for a layer given by name or as a module of ``model``.

    Raises:
        ValueError: an unknown name (the valid ones are listed) or a module not in ``model``.
        TypeError: ``layer`` is neither a string nor a module.
    """
    named = [(name, m) for name, m in model.named_modules() if name]
    if isinstance(layer, nn.Module):
        for name, module in named:
            if module is layer:
                return name, module
        raise ValueError(f"{op}: the {type(layer).__name__} given as layer is not a submodule of "
                         f"{type(model).__name__}.")
    if not isinstance(layer, str):
        raise TypeError(f"{op}: layer must be a qualified module name or a module. Received: {layer!r}.")
    for name, module in named:
        if name == layer:
            return name, module
    raise ValueError(f"{op}: unknown layer {layer!r} in {type(model).__name__}. "
                     f"Valid names: {', '.join(name for name, _ in named)}.")


def conv_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """Every ``Conv2d`` of ``model`` with its qualified name, in registration order."""
    return [(name, m) for name, m in model.named_modules() if isinstance(m, nn.Conv2d)]


def first_conv(op: str, model: nn.Module) -> tuple[str, nn.Module]:
    """The first ``Conv2d`` of ``model``: the default layer of the pictures of one layer.

    Raises:
        ValueError: the model has no convolution.
    """
    convs = conv_layers(model)
    if not convs:
        raise ValueError(f"{op}: {type(model).__name__} has no convolution layer (Conv2d); pass layer= "
                         f"to choose another.")
    return convs[0]


def spatial_convs(op: str, model: nn.Module, image) -> list[str]:
    """Names of the convolutions that run on ``image`` with an output larger than 1x1, in call order.

    Raises:
        ValueError: an image the model cannot take.
    """
    convs = dict(conv_layers(model))
    with inspecting(model), no_grad(), record(convs) as rec:
        run_model(op, model, prepare_image(op, model, image))
    names = [c.name for c in rec.calls if c.output.ndim == 4 and c.output.shape[2] * c.output.shape[3] > 1]
    return list(dict.fromkeys(names))


def in_channels(model: nn.Module) -> int | None:
    """The image channels ``model`` takes: its ``in_channels``, else its first convolution's."""
    channels = getattr(model, "in_channels", None)
    if isinstance(channels, int):
        return channels
    convs = conv_layers(model)
    return convs[0][1].in_channels if convs else None


def as_input(model: nn.Module, batch: np.ndarray, requires_grad: bool = False) -> Tensor:
    """A batch as a tensor of the model's dtype on its device (those of its first floating-point
    parameter; float32 on the CPU for a model without parameters)."""
    dtype, device = np.dtype(np.float32), "cpu"
    for p in model.parameters():
        if p.dtype.kind == "f":
            dtype, device = p.dtype, p.device
            break
    return Tensor(np.asarray(batch).astype(dtype), requires_grad=requires_grad, device=device)


def prepare_image(op: str, model: nn.Module, image) -> Tensor:
    """A ``(1, C, H, W)`` tensor on the model's device and dtype from an image ``(C, H, W)`` or ``(1, C, H, W)``.

    Raises:
        TypeError: ``image`` is not an array or a tensor.
        ValueError: another rank, a batch of more than one, or a channel count the model does not take.
    """
    if isinstance(image, Tensor):
        image = image.numpy()
    if not isinstance(image, np.ndarray) and backend.get_array_module(image) is np:
        raise TypeError(f"{op}: image must be a NumPy array or a Tensor. Received: {type(image).__name__}.")
    image = backend.to_numpy(image)
    if image.ndim == 3:
        image = image[None]
    if image.ndim != 4 or image.shape[0] != 1:
        raise ValueError(f"{op}: expected one image of shape (C, H, W) or (1, C, H, W). "
                         f"Received: image.shape={tuple(image.shape)}.")
    channels = in_channels(model)
    if channels is not None and image.shape[1] != channels:
        raise ValueError(f"{op}: {type(model).__name__} takes images with {channels} channel(s). "
                         f"Received: image.shape={tuple(image.shape[1:])}.")
    return as_input(model, image)


def run_model(op: str, model: nn.Module, x: Tensor) -> Tensor:
    """``model(x)``, turning an error about the input into one that names the visualisation.

    Raises:
        ValueError: the model cannot take an input of this shape (its own message follows).
    """
    try:
        return model(x)
    except ValueError as exc:
        raise ValueError(f"{op}: {type(model).__name__} cannot take an image of shape "
                         f"{tuple(x.shape[1:])}: {exc}") from exc


def check_target(op: str, logits: Tensor, target) -> int:
    """The class to explain: ``target``, or the predicted class when it is None.

    Raises:
        ValueError: the model's output is not ``(1, num_classes)``, or ``target`` is out of range.
    """
    if logits.ndim != 2:
        raise ValueError(f"{op}: the model must return class scores of shape (N, num_classes). "
                         f"Received: output.shape={tuple(logits.shape)}.")
    classes = logits.shape[1]
    if target is None:
        return int(np.argmax(logits.numpy()[0]))
    if isinstance(target, bool) or not isinstance(target, (int, np.integer)) or not 0 <= target < classes:
        raise ValueError(f"{op}: target must be a class index in [0, {classes}). Received: target={target!r}.")
    return int(target)
