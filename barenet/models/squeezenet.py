"""SqueezeNet: Iandola, Han, Moskewicz, Ashraf, Dally & Keutzer, "SqueezeNet: AlexNet-level accuracy
with 50x fewer parameters and <0.5MB model size", 2016 — version 1.0 in torchvision's layout."""
from __future__ import annotations

from .. import nn
from ..autograd import cat
from ._common import ZooModel, names_failing_layer
from .registry import register_model

__all__ = ["Fire", "SqueezeNet", "squeezenet1_0"]


class Fire(nn.Module):
    """A 1x1 squeeze layer feeding parallel 1x1 and 3x3 expand layers, whose outputs are concatenated.

    Args:
        inplanes: input channels.
        squeeze_planes: channels of the squeeze layer (s1x1).
        expand1x1_planes: channels of the 1x1 expand layer (e1x1).
        expand3x3_planes: channels of the 3x3 expand layer (e3x3).

    Shape:
        - Input: ``(N, inplanes, H, W)``.
        - Output: ``(N, expand1x1_planes + expand3x3_planes, H, W)``.
    """

    def __init__(self, inplanes: int, squeeze_planes: int, expand1x1_planes: int, expand3x3_planes: int):
        super().__init__()
        self.expansion = (expand1x1_planes + expand3x3_planes) / squeeze_planes
        self.squeeze = nn.Conv2d(inplanes, squeeze_planes, kernel_size=1)
        self.squeeze_activation = nn.ReLU()
        self.expand1x1 = nn.Conv2d(squeeze_planes, expand1x1_planes, kernel_size=1)
        self.expand1x1_activation = nn.ReLU()
        self.expand3x3 = nn.Conv2d(squeeze_planes, expand3x3_planes, kernel_size=3, padding=1)
        self.expand3x3_activation = nn.ReLU()

    def forward(self, x):
        x = self.squeeze_activation(self.squeeze(x))
        return cat([self.expand1x1_activation(self.expand1x1(x)),
                    self.expand3x3_activation(self.expand3x3(x))], dim=1)


class SqueezeNet(ZooModel):
    """A 7x7/2 convolution, eight Fire modules between three max poolings, a 1x1 convolution classifier.

    Args:
        num_classes: number of output logits (channels of the final 1x1 convolution).
        in_channels: channels of the input image.
        dropout: drop probability before the final convolution.

    Shape:
        - Input: ``(N, in_channels, H, W)``.
        - Output: ``(N, num_classes)``.

    Example:
        >>> import barenet
        >>> squeezenet1_0(num_classes=7)(barenet.zeros(1, 3, 64, 64)).shape
        (1, 7)
    """

    def __init__(self, num_classes: int = 1000, in_channels: int = 3, dropout: float = 0.5):
        super().__init__()
        self.in_channels = in_channels
        self.num_classes = num_classes

        def pool():
            return nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True)

        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 96, kernel_size=7, stride=2), nn.ReLU(), pool(),
            *self._make_stage([(96, 16, 64), (128, 16, 64), (128, 32, 128)]), pool(),
            *self._make_stage([(256, 32, 128), (256, 48, 192), (384, 48, 192), (384, 64, 256)]), pool(),
            *self._make_stage([(512, 64, 256)]),
        )
        final_conv = nn.Conv2d(512, num_classes, kernel_size=1)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout), final_conv, nn.ReLU(), nn.AdaptiveAvgPool2d((1, 1)))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                # torchvision: the classifier N(0, 0.01), the rest He uniform; zero biases.
                if m is final_conv:
                    nn.init.normal_(m.weight, 0.0, 0.01)
                else:
                    nn.init.kaiming_uniform_(m.weight)
                nn.init.zeros_(m.bias)

    @staticmethod
    def _make_stage(fires: list[tuple[int, int, int]]) -> list[Fire]:
        """Fire modules from ``(inplanes, squeeze, expand)`` triples, expand split evenly between 1x1 and 3x3."""
        return [Fire(inplanes, squeeze, expand, expand) for inplanes, squeeze, expand in fires]

    @names_failing_layer
    def forward_head(self, x):
        return self.classifier(x).flatten(1)


@register_model
def squeezenet1_0(num_classes: int = 1000, in_channels: int = 3, **kwargs) -> SqueezeNet:
    """SqueezeNet 1.0 in torchvision's layout (1,248,424 parameters at 1000 classes).

    Input 224x224 (the paper's 227 also works; so does any size >= 21, thanks to the global
    pooling). Kept from the paper (Table 1): a 96-filter 7x7/2 convolution, Fire modules fire2 to
    fire9 with the paper's squeeze and expand widths, 3x3/2 max pooling after conv1, fire4 and
    fire8, dropout 0.5 after fire9, a 1x1 convolution to the classes, ReLU and global average
    pooling, no fully connected layer. Changed: pooling rounds up (``ceil_mode``, as Caffe does),
    He uniform initialisation. State-dict keys equal torchvision's ``squeezenet1_0``.
    """
    return SqueezeNet(num_classes, in_channels, **kwargs)
