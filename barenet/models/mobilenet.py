"""MobileNetV2: Sandler, Howard, Zhu, Zhmoginov & Chen, "MobileNetV2: Inverted Residuals and Linear
Bottlenecks", CVPR 2018, in torchvision's layout."""
from __future__ import annotations

from .. import nn
from ._common import ZooModel, kaiming_init_
from .registry import register_model

__all__ = ["ConvBNReLU6", "InvertedResidual", "MobileNetV2", "mobilenet_v2"]

# Table 2 of the paper: expansion factor t, output channels c, repeats n, first stride s.
_SETTING = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]


def _make_divisible(value: float, divisor: int = 8) -> int:
    """Round ``value`` to a multiple of ``divisor``, never going below 90% of it (the reference code's rule)."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


class ConvBNReLU6(nn.Sequential):
    """Convolution (no bias), BatchNorm, ReLU6 — torchvision's ``Conv2dNormActivation``, named ``0``, ``1``, ``2``."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3, stride: int = 1, groups: int = 1):
        padding = (kernel_size - 1) // 2
        super().__init__(
            nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding, groups=groups, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU6(),
        )


class InvertedResidual(nn.Module):
    """Expand (1x1, ReLU6), depthwise 3x3 (ReLU6), project (1x1, linear), plus the input when shapes agree.

    Args:
        inp: input channels.
        oup: output channels.
        stride: stride of the depthwise convolution.
        expand_ratio: hidden width as a multiple of ``inp`` (no expansion layer when 1).

    Raises:
        ValueError: a stride other than 1 or 2.
    """

    def __init__(self, inp: int, oup: int, stride: int, expand_ratio: int):
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f"InvertedResidual: stride must be 1 or 2. Received: stride={stride}.")
        hidden = int(round(inp * expand_ratio))
        self.expansion = expand_ratio
        self.use_res_connect = stride == 1 and inp == oup
        layers = [ConvBNReLU6(inp, hidden, kernel_size=1)] if expand_ratio != 1 else []
        layers += [
            ConvBNReLU6(hidden, hidden, stride=stride, groups=hidden),
            # The projection stays linear: a ReLU on a low-dimensional output destroys information (Section 3.2).
            nn.Conv2d(hidden, oup, kernel_size=1, bias=False),
            nn.BatchNorm2d(oup),
        ]
        self.conv = nn.Sequential(*layers)
        self.out_channels = oup

    def forward(self, x):
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


class MobileNetV2(ZooModel):
    """A 3x3/2 stem, 17 inverted residual blocks, a 1x1 convolution to 1280 channels, pooling, one linear layer.

    Args:
        num_classes: number of output logits.
        in_channels: channels of the input image.
        width_mult: multiplies every layer's width (rounded to multiples of ``round_nearest``).
        round_nearest: the channel granularity.
        dropout: drop probability before the classifier.

    Shape:
        - Input: ``(N, in_channels, H, W)``.
        - Output: ``(N, num_classes)``.

    Example:
        >>> import barenet
        >>> MobileNetV2(num_classes=5).eval()(barenet.zeros(1, 3, 32, 32)).shape
        (1, 5)
    """

    def __init__(self, num_classes: int = 1000, in_channels: int = 3, width_mult: float = 1.0,
                 round_nearest: int = 8, dropout: float = 0.2):
        super().__init__()
        self.in_channels = in_channels
        input_channel = _make_divisible(32 * width_mult, round_nearest)
        self.last_channel = _make_divisible(1280 * max(1.0, width_mult), round_nearest)
        features = [ConvBNReLU6(in_channels, input_channel, stride=2)]
        for t, c, n, s in _SETTING:
            output_channel = _make_divisible(c * width_mult, round_nearest)
            features += self._make_stage(input_channel, output_channel, n, s, t)
            input_channel = output_channel
        features.append(ConvBNReLU6(input_channel, self.last_channel, kernel_size=1))
        self.features = nn.Sequential(*features)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.classifier = nn.Sequential(nn.Dropout(p=dropout), nn.Linear(self.last_channel, num_classes))
        kaiming_init_(self, linear_std=0.01)

    @staticmethod
    def _make_stage(inp: int, oup: int, repeats: int, stride: int, expand_ratio: int) -> list:
        return [InvertedResidual(inp if i == 0 else oup, oup, stride if i == 0 else 1, expand_ratio)
                for i in range(repeats)]


@register_model
def mobilenet_v2(num_classes: int = 1000, in_channels: int = 3, **kwargs) -> MobileNetV2:
    """MobileNetV2 (width 1.0) in torchvision's layout (3,504,872 parameters at 1000 classes).

    Input 224x224 (any size works, thanks to the global pooling). Kept from the paper: Table 2's
    stem and inverted residual bottlenecks (expansion 6, depthwise 3x3, linear 1x1 projection,
    shortcuts where stride is 1 and widths agree), ReLU6, batch normalisation, the 1x1
    convolution to 1280 channels, global average pooling. Changed: dropout 0.2 before the
    linear layer (from the TensorFlow reference code; the paper names none), He initialisation
    in fan-out mode. State-dict keys equal torchvision's ``mobilenet_v2``.
    """
    return MobileNetV2(num_classes, in_channels, **kwargs)
