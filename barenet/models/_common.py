"""What every zoo classifier shares: the features/head split, input checks, layer-naming errors, init.

``ZooModel.forward`` is ``forward_head(forward_features(x))`` (timm's split), so analysis,
visualisation and the command line treat every model alike. ``forward_features`` checks the input
and, through ``names_failing_layer``, turns an op's error deep inside the network (an input too
small for a pooling layer, say) into one that names the layer by its state-dict prefix.
"""
from __future__ import annotations

import functools
import inspect
import textwrap

from .. import nn

__all__ = ["ZooModel", "names_failing_layer", "kaiming_init_", "fill_docstring"]


def names_failing_layer(method):
    """Decorate ``forward_features``/``forward_head`` so a ``ValueError`` raised by an op names its layer.

    The failing layer is the deepest submodule whose method is on the traceback; walking the
    traceback after the fact costs nothing on the normal path (no hooks on every call). An error
    raised by the model itself (its input check) passes through unchanged.
    """
    @functools.wraps(method)
    def wrapper(self, x, *args, **kwargs):
        try:
            return method(self, x, *args, **kwargs)
        except ValueError as error:
            layer = None if getattr(error, "layer_named", False) else _failing_layer(self, error)
            if layer is None:
                raise
            named = ValueError(f"{type(self).__name__}: layer {layer} failed in {method.__name__} on an "
                               f"input of shape {tuple(x.shape)}: {error}")
            named.layer_named = True
            raise named from error
    return wrapper


class ZooModel(nn.Module):
    """Base class of the zoo's classifiers.

    Subclasses set ``self.in_channels``; the default ``forward_features`` (input to the last
    feature map) runs ``self.features`` and the default ``forward_head`` (feature map to logits)
    runs ``self.classifier`` on the flattened ``self.avgpool`` output — the layout of AlexNet, VGG
    and MobileNet; other models override either.
    """

    in_channels = 3

    def forward(self, x):
        return self.forward_head(self.forward_features(x))

    @names_failing_layer
    def forward_features(self, x):
        self.check_input(x)
        return self.features(x)

    @names_failing_layer
    def forward_head(self, x):
        return self.classifier(self.avgpool(x).flatten(1))

    def check_input(self, x) -> None:
        """Raise ``ValueError`` unless ``x`` is a batch of images with ``in_channels`` channels."""
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"{type(self).__name__}: expected an input of shape (N, {self.in_channels}, H, W). "
                             f"Received: x.shape={tuple(x.shape)}.")


def _failing_layer(model: nn.Module, error: BaseException) -> str | None:
    """``'name' (Type)`` of the deepest submodule of ``model`` on the error's traceback, if any."""
    names = {id(m): name for name, m in model.named_modules() if name}
    found = None
    tb = error.__traceback__
    while tb is not None:
        owner = tb.tb_frame.f_locals.get("self")
        if id(owner) in names:
            found = f"{names[id(owner)]!r} ({type(owner).__name__})"
        tb = tb.tb_next
    return found


def kaiming_init_(model: nn.Module, linear_std: float | None = None) -> None:
    """torchvision's init of VGG, ResNet and MobileNet.

    Convolutions get He et al. (2015) normal init in ``fan_out`` mode and zero bias; norm layers
    weight 1 and bias 0; linear layers N(0, ``linear_std``^2) and zero bias, or PyTorch's default
    init when ``linear_std`` is None.
    """
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear) and linear_std is not None:
            nn.init.normal_(m.weight, 0.0, linear_std)
            nn.init.zeros_(m.bias)


def fill_docstring(template: str, **fields) -> str:
    """``template.format(**fields)`` with each paragraph re-wrapped, for builders that share one docstring."""
    paragraphs = inspect.cleandoc(template).format(**fields).split("\n\n")
    wrapped = [textwrap.fill(" ".join(p.split()), width=96, initial_indent="    ", subsequent_indent="    ")
               for p in paragraphs]
    return wrapped[0].lstrip() + "\n\n" + "\n\n".join(wrapped[1:]) + "\n"
