"""VGG: Simonyan & Zisserman, "Very Deep Convolutional Networks for Large-Scale Image Recognition",
ICLR 2015 — configurations A, B, D, E (VGG-11/13/16/19), with or without batch normalisation."""
from __future__ import annotations

from .. import nn
from ._common import ZooModel, fill_docstring, kaiming_init_
from .registry import register_model

__all__ = ["VGG", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn"]

# Table 1 of the paper: the output channels of each 3x3 convolution, "M" a 2x2/2 max pooling.
_LAYERS = {
    11: [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    13: [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    16: [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    19: [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
}


class VGG(ZooModel):
    """Stacks of 3x3 convolutions and 2x2 max pooling, then three fully connected layers.

    Args:
        features: the convolutional trunk (``_make_features``), ending in 512 channels.
        num_classes: number of output logits.
        in_channels: channels of the input image.
        dropout: drop probability of the two dropout layers of the classifier.
        init_weights: apply torchvision's init (He normal convolutions, N(0, 0.01) linear layers).

    Shape:
        - Input: ``(N, in_channels, H, W)``, H and W at least 32 (five 2x2 poolings).
        - Output: ``(N, num_classes)``.
    """

    def __init__(self, features: nn.Sequential, num_classes: int = 1000, in_channels: int = 3,
                 dropout: float = 0.5, init_weights: bool = True):
        super().__init__()
        self.in_channels = in_channels
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(), nn.Dropout(p=dropout),
            nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes),
        )
        if init_weights:
            kaiming_init_(self, linear_std=0.01)


def _make_features(layers: list, in_channels: int, batch_norm: bool) -> nn.Sequential:
    modules = []
    for width in layers:
        if width == "M":
            modules.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        modules.append(nn.Conv2d(in_channels, width, kernel_size=3, padding=1))
        if batch_norm:
            modules.append(nn.BatchNorm2d(width))
        modules.append(nn.ReLU())
        in_channels = width
    return nn.Sequential(*modules)


def _vgg(depth: int, batch_norm: bool, num_classes: int, in_channels: int, **kwargs) -> VGG:
    return VGG(_make_features(_LAYERS[depth], in_channels, batch_norm), num_classes, in_channels, **kwargs)


_DOC = """VGG-{depth}{bn_text} (configuration {config}; {params:,} parameters at 1000 classes).

    Input 224x224 (any size >= 32 works, thanks to the adaptive pooling). Kept from the paper:
    Table 1's stacks of 3x3/1 convolutions with padding 1, 2x2/2 max pooling, ReLU, two
    4096-wide hidden layers with dropout 0.5. Changed: the fully connected layers are linear
    layers, not the convolutions of the paper's dense evaluation; an ``AdaptiveAvgPool2d(7)``
    lets other input sizes through; He initialisation replaces the paper's staged training
    from configuration A{bn_change}. State-dict keys equal torchvision's ``vgg{depth}{suffix}``.
    """


def _document(depth: int, batch_norm: bool, params: int):
    def decorate(fn):
        fn.__doc__ = fill_docstring(_DOC, 
            depth=depth, params=params, config={11: "A", 13: "B", 16: "D", 19: "E"}[depth],
            suffix="_bn" if batch_norm else "", bn_text=" with batch normalisation" if batch_norm else "",
            bn_change="; a BatchNorm2d (Ioffe & Szegedy 2015) follows every convolution" if batch_norm else "")
        return fn
    return decorate


@register_model
@_document(11, False, 132_863_336)
def vgg11(num_classes: int = 1000, in_channels: int = 3, **kwargs) -> VGG:
    return _vgg(11, False, num_classes, in_channels, **kwargs)


@register_model
@_document(11, True, 132_868_840)
def vgg11_bn(num_classes: int = 1000, in_channels: int = 3, **kwargs) -> VGG:
    return _vgg(11, True, num_classes, in_channels, **kwargs)


@register_model
@_document(13, False, 133_047_848)
def vgg13(num_classes: int = 1000, in_channels: int = 3, **kwargs) -> VGG:
    return _vgg(13, False, num_classes, in_channels, **kwargs)


@register_model
@_document(13, True, 133_053_736)
def vgg13_bn(num_classes: int = 1000, in_channels: int = 3, **kwargs) -> VGG:
    return _vgg(13, True, num_classes, in_channels, **kwargs)


@register_model
@_document(16, False, 138_357_544)
def vgg16(num_classes: int = 1000, in_channels: int = 3, **kwargs) -> VGG:
    return _vgg(16, False, num_classes, in_channels, **kwargs)


@register_model
@_document(16, True, 138_365_992)
def vgg16_bn(num_classes: int = 1000, in_channels: int = 3, **kwargs) -> VGG:
    return _vgg(16, True, num_classes, in_channels, **kwargs)


@register_model
@_document(19, False, 143_667_240)
def vgg19(num_classes: int = 1000, in_channels: int = 3, **kwargs) -> VGG:
    return _vgg(19, False, num_classes, in_channels, **kwargs)


@register_model
@_document(19, True, 143_678_248)
def vgg19_bn(num_classes: int = 1000, in_channels: int = 3, **kwargs) -> VGG:
    return _vgg(19, True, num_classes, in_channels, **kwargs)
